//! A team's business facts: what the AI may say when it drafts a reply in the inbox. The draft
//! uses these facts and nothing else for names, prices, proof, links and availability, and a
//! draft that claims a number or link not found here is rejected. The team writes them in a
//! form, one item a line; [`parse`] checks the form field by field and [`to_form`] gives it
//! back for editing.

use serde::{Deserialize, Serialize};

use crate::ai::{Offering, TenantFacts};
use crate::FieldError;

/// The most offerings, proof lines or insights kept.
pub const MAX_LINES: usize = 20;
/// The longest offering name.
pub const OFFERING_MAX: usize = 80;
/// The longest proof line or insight.
pub const LINE_MAX: usize = 300;
/// The highest "from" price, in US dollars.
pub const PRICE_MAX: u32 = 10_000_000;

/// The facts as the form holds them: lists are one item a line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactsForm {
    /// The business name.
    pub business_name: String,
    /// One offering a line: `Name` or `Name: 8000` (a "from" price in US dollars).
    pub offerings: String,
    /// Proof they stand behind (case studies, testimonials), one a line.
    pub proof: String,
    /// True, useful insights, one a line.
    pub insights: String,
    /// Where to book a call (`https://…`), or empty.
    pub booking_link: String,
    /// When the team is available, in their words, or empty.
    pub availability: String,
    /// The team's competitors, one a line: a lead who names one goes to a person at once
    /// (`super::escalation`). Not given to the AI.
    #[serde(default)]
    pub competitors: String,
}

/// The most competitors kept.
pub const COMPETITORS_MAX: usize = 50;

/// The competitors of the form: one a line, each up to [`OFFERING_MAX`] characters, repeats
/// (in any case) kept once.
pub fn competitors(form: &FactsForm) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for (n, line) in lines(&form.competitors) {
        if line.chars().count() > OFFERING_MAX {
            return Err(FieldError::new(
                "competitors",
                format!("Line {n}: keep each name to {OFFERING_MAX} characters."),
            ));
        }
        if !line.chars().any(char::is_alphanumeric) {
            return Err(FieldError::new(
                "competitors",
                format!("Line {n}: write the competitor's name."),
            ));
        }
        if !out.iter().any(|c| c.to_lowercase() == line.to_lowercase()) {
            out.push(line.to_owned());
        }
    }
    if out.len() > COMPETITORS_MAX {
        return Err(FieldError::new(
            "competitors",
            format!(
                "Keep it to {COMPETITORS_MAX} competitors; this has {}.",
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// Reads the whole form: the facts for the AI and the competitors; every field that is wrong
/// says why.
pub fn parse_all(form: &FactsForm) -> Result<(TenantFacts, Vec<String>), Vec<FieldError>> {
    match (parse(form), competitors(form)) {
        (Ok(f), Ok(c)) => Ok((f, c)),
        (f, c) => {
            let mut errors = f.err().unwrap_or_default();
            errors.extend(c.err());
            Err(errors)
        }
    }
}

/// A reply the AI drafted, for an agent to check, edit and send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drafted {
    /// The draft.
    pub text: String,
    /// The language it is written in (ISO 639-1; that of the message answered).
    pub language: String,
    /// The team's facts it uses, verbatim.
    pub facts_used: Vec<String>,
    /// The AI run that wrote it (in the AI log).
    pub run: uuid::Uuid,
    /// What the agent should know about how it was written (the built-in engine stood in for
    /// the model while the inbox caught up).
    #[serde(default)]
    pub note: Option<String>,
}

fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
}

/// A price as people write it: `8000`, `8,000`, `$8,000`, `from 8000 USD`. `None` when the text
/// is not a price at all (the colon was part of the name, as in "Support: 24/7"); `Some(Err)`
/// when it is meant as one but is not a whole number of dollars in range ("8k", "0").
fn price(text: &str) -> Option<Result<u32, ()>> {
    let lower = text.trim().to_lowercase();
    let core = lower.strip_prefix("from").unwrap_or(&lower).trim();
    let core = core.strip_suffix("usd").unwrap_or(core).trim();
    let core = core
        .strip_prefix("us$")
        .or_else(|| core.strip_prefix('$'))
        .unwrap_or(core)
        .trim();
    if !core.chars().any(|c| c.is_ascii_digit())
        || !core
            .chars()
            .all(|c| c.is_ascii_digit() || ",.k ".contains(c))
    {
        return None;
    }
    Some(
        core.replace(',', "")
            .parse::<u32>()
            .ok()
            .filter(|p| (1..=PRICE_MAX).contains(p))
            .ok_or(()),
    )
}

fn offering(line: &str) -> Result<Offering, String> {
    let (name, price) =
        match line.rsplit_once(':') {
            Some((name, after)) => match price(after) {
                Some(Ok(p)) => (name.trim(), Some(p)),
                Some(Err(())) => return Err(
                    "write the price as a whole number of US dollars, like “Booking app: 8000”."
                        .into(),
                ),
                None => (line, None),
            },
            None => (line, None),
        };
    if name.is_empty() {
        return Err("name the offering before its price.".into());
    }
    if name.chars().count() > OFFERING_MAX {
        return Err(format!("keep the name to {OFFERING_MAX} characters."));
    }
    Ok(Offering {
        name: name.to_owned(),
        price_from_usd: price,
    })
}

fn list(field: &'static str, what: &str, text: &str, errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut out = Vec::new();
    for (n, line) in lines(text) {
        if line.chars().count() > LINE_MAX {
            errors.push(FieldError::new(
                field,
                format!("Line {n}: keep each {what} to {LINE_MAX} characters."),
            ));
            return out;
        }
        out.push(line.to_owned());
    }
    if out.len() > MAX_LINES {
        errors.push(FieldError::new(
            field,
            format!("Keep it to {MAX_LINES} lines; this has {}.", out.len()),
        ));
    }
    out
}

/// Reads the form; every field that is wrong says why, and nothing is kept until all are right.
pub fn parse(form: &FactsForm) -> Result<TenantFacts, Vec<FieldError>> {
    let mut errors = Vec::new();
    let business_name = form.business_name.trim();
    if business_name.is_empty() || business_name.chars().count() > 120 {
        errors.push(FieldError::new(
            "business_name",
            "Enter the business name your customers know, up to 120 characters.",
        ));
    }
    let mut offerings = Vec::new();
    for (n, line) in lines(&form.offerings) {
        match offering(line) {
            Ok(o) => offerings.push(o),
            Err(why) => {
                errors.push(FieldError::new("offerings", format!("Line {n}: {why}")));
                break;
            }
        }
    }
    if offerings.len() > MAX_LINES {
        errors.push(FieldError::new(
            "offerings",
            format!(
                "Keep it to {MAX_LINES} offerings; this has {}.",
                offerings.len()
            ),
        ));
    }
    let proof = list("proof", "proof line", &form.proof, &mut errors);
    let insights = list("insights", "insight", &form.insights, &mut errors);
    let link = form.booking_link.trim();
    let booking_link = if link.is_empty() {
        None
    } else if !(link.starts_with("https://") || link.starts_with("http://"))
        || link.len() > 300
        || link.chars().any(char::is_whitespace)
        || link.len() < "https://x.y".len()
    {
        errors.push(FieldError::new(
            "booking_link",
            "Enter the full booking link, starting with https://, or leave it empty.",
        ));
        None
    } else {
        Some(link.to_owned())
    };
    let availability = form.availability.trim();
    if availability.chars().count() > 200 {
        errors.push(FieldError::new(
            "availability",
            "Keep availability to 200 characters.",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(TenantFacts {
        business_name: business_name.to_owned(),
        offerings,
        proof,
        insights,
        booking_link,
        availability: (!availability.is_empty()).then(|| availability.to_owned()),
    })
}

/// The form of `facts` and `competitors`, for editing.
pub fn to_form(facts: &TenantFacts, competitors: &[String]) -> FactsForm {
    FactsForm {
        business_name: facts.business_name.clone(),
        offerings: facts
            .offerings
            .iter()
            .map(|o| match o.price_from_usd {
                Some(p) => format!("{}: {p}", o.name),
                None => o.name.clone(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        proof: facts.proof.join("\n"),
        insights: facts.insights.join("\n"),
        booking_link: facts.booking_link.clone().unwrap_or_default(),
        availability: facts.availability.clone().unwrap_or_default(),
        competitors: competitors.join("\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> FactsForm {
        FactsForm {
            business_name: " Acme Apps ".into(),
            offerings: "Booking app: from $8,000\n\nMobile app: 12000 USD\nDesign reviews".into(),
            proof: "Built the booking app for Casa Verde\n".into(),
            insights: "Most booking apps launch in 6 weeks".into(),
            booking_link: "https://cal.example.com/acme".into(),
            availability: "Weekdays 9–17 CET".into(),
            competitors: "Zed Studio\n\n zed studio \nAcme Leads".into(),
        }
    }

    #[test]
    fn a_filled_in_form_reads_into_the_facts_and_back() {
        let facts = parse(&form()).unwrap();
        assert_eq!(facts.business_name, "Acme Apps");
        assert_eq!(
            facts.offerings,
            vec![
                Offering {
                    name: "Booking app".into(),
                    price_from_usd: Some(8_000)
                },
                Offering {
                    name: "Mobile app".into(),
                    price_from_usd: Some(12_000)
                },
                Offering {
                    name: "Design reviews".into(),
                    price_from_usd: None
                },
            ]
        );
        assert_eq!(facts.proof, vec!["Built the booking app for Casa Verde"]);
        assert_eq!(
            facts.booking_link.as_deref(),
            Some("https://cal.example.com/acme")
        );
        let (_, rivals) = parse_all(&form()).unwrap();
        assert_eq!(rivals, vec!["Zed Studio", "Acme Leads"]);
        let again = to_form(&facts, &rivals);
        assert_eq!(again.competitors, "Zed Studio\nAcme Leads");
        assert_eq!(
            again.offerings,
            "Booking app: 8000\nMobile app: 12000\nDesign reviews"
        );
        assert_eq!(parse(&again).unwrap(), facts);
    }

    #[test]
    fn each_wrong_field_says_what_to_write() {
        let bad = FactsForm {
            business_name: "  ".into(),
            offerings: "Booking app: 8000\nMobile app: 8k".into(),
            proof: "x".repeat(LINE_MAX + 1),
            insights: (0..=MAX_LINES)
                .map(|i| format!("insight {i}"))
                .collect::<Vec<_>>()
                .join("\n"),
            booking_link: "cal.example.com".into(),
            availability: "a".repeat(201),
            competitors: "Zed\n--".into(),
        };
        let errors = parse_all(&bad).unwrap_err();
        let of = |f: &str| {
            errors
                .iter()
                .find(|e| e.field == f)
                .map(|e| e.message.clone())
                .unwrap_or_default()
        };
        assert!(of("business_name").contains("business name"));
        assert_eq!(
            of("offerings"),
            "Line 2: write the price as a whole number of US dollars, like “Booking app: 8000”."
        );
        assert!(of("proof").starts_with("Line 1: keep each proof line"));
        assert!(of("insights").contains("21"));
        assert!(of("booking_link").contains("https://"));
        assert!(of("availability").contains("200"));
        assert_eq!(of("competitors"), "Line 2: write the competitor's name.");
    }

    #[test]
    fn a_colon_without_a_price_is_part_of_the_name() {
        let mut f = form();
        f.offerings = "Strategy: discovery workshops\nSupport: 24/7".into();
        let facts = parse(&f).unwrap();
        assert_eq!(facts.offerings[0].name, "Strategy: discovery workshops");
        assert_eq!(facts.offerings[0].price_from_usd, None);
        assert_eq!(facts.offerings[1].name, "Support: 24/7");
        f.offerings = ": 500".into();
        assert!(parse(&f).is_err());
        f.offerings = "Audit: 0".into();
        assert!(parse(&f).is_err());
    }
}
