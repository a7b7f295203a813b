//! The site's lead forms: contact, book a call, request a proposal. What each asks, and the
//! parse from what a visitor typed into a [`Lead`] with one message per field.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::Validator;
use crate::types::Email;
use crate::{AppError, FieldError};

/// Which form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadForm {
    /// A general message.
    Contact,
    /// A request for a call.
    BookCall,
    /// A request for a proposal.
    Proposal,
}

impl LeadForm {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::BookCall => "book_call",
            Self::Proposal => "proposal",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "contact" => Some(Self::Contact),
            "book_call" => Some(Self::BookCall),
            "proposal" => Some(Self::Proposal),
            _ => None,
        }
    }

    /// What the visitor reads after sending.
    pub fn thanks(self) -> &'static str {
        match self {
            Self::Contact => "Thank you — your message is with our team. We answer within one business day.",
            Self::BookCall => "Thank you — we will email you within one business day with times for your call.",
            Self::Proposal => "Thank you — a solutions lead will review your brief and send a proposal outline within two business days.",
        }
    }

    /// The fields, in order.
    pub fn fields(self) -> &'static [LeadField] {
        match self {
            Self::Contact => CONTACT,
            Self::BookCall => BOOK_CALL,
            Self::Proposal => PROPOSAL,
        }
    }
}

/// How a field is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadInput {
    /// One line.
    Text {
        /// Longest, in characters.
        max: usize,
        /// The input type (`text`, `email`, `tel`).
        html_type: &'static str,
        /// The autocomplete token.
        autocomplete: &'static str,
    },
    /// Several lines.
    Area {
        /// Fewest characters, when filled in.
        min: usize,
        /// Most characters.
        max: usize,
    },
    /// One of these `(value, label)` pairs.
    Choice(&'static [(&'static str, &'static str)]),
}

/// One field of a lead form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeadField {
    /// The form field name.
    pub name: &'static str,
    /// The label.
    pub label: &'static str,
    /// How it is asked.
    pub input: LeadInput,
    /// Must be filled in.
    pub required: bool,
}

const fn text(
    name: &'static str,
    label: &'static str,
    max: usize,
    html_type: &'static str,
    autocomplete: &'static str,
    required: bool,
) -> LeadField {
    LeadField {
        name,
        label,
        input: LeadInput::Text {
            max,
            html_type,
            autocomplete,
        },
        required,
    }
}

/// Budget bands (the lead engine scores them).
pub const BUDGETS: &[(&str, &str)] = &[
    ("under_5k", "Under $5,000"),
    ("5k_50k", "$5,000 – $50,000"),
    ("50k_plus", "$50,000 or more"),
    ("unsure", "Not sure yet"),
];
/// Timeline bands.
pub const TIMELINES: &[(&str, &str)] = &[
    ("immediate", "As soon as possible"),
    ("1_3_months", "In 1–3 months"),
    ("3_6_months", "In 3–6 months"),
    ("exploring", "Just exploring"),
];
/// When a call suits.
pub const CALL_TIMES: &[(&str, &str)] = &[
    ("morning", "Mornings"),
    ("afternoon", "Afternoons"),
    ("evening", "Evenings"),
    ("any", "Any time"),
];

const NAME: LeadField = text("name", "Your name", 80, "text", "name", true);
const EMAIL: LeadField = text("email", "Work email", 254, "email", "email", true);
const COMPANY: LeadField = text("company", "Company", 120, "text", "organization", false);
const PHONE: LeadField = text("phone", "Phone (optional)", 32, "tel", "tel", false);

const CONTACT: &[LeadField] = &[
    NAME,
    EMAIL,
    COMPANY,
    LeadField {
        name: "message",
        label: "How can we help?",
        input: LeadInput::Area { min: 10, max: 4000 },
        required: true,
    },
];
const BOOK_CALL: &[LeadField] = &[
    NAME,
    EMAIL,
    COMPANY,
    PHONE,
    LeadField {
        name: "preferred_time",
        label: "When suits you?",
        input: LeadInput::Choice(CALL_TIMES),
        required: true,
    },
    LeadField {
        name: "message",
        label: "What would you like to discuss? (optional)",
        input: LeadInput::Area { min: 0, max: 2000 },
        required: false,
    },
];
const PROPOSAL: &[LeadField] = &[
    NAME,
    EMAIL,
    LeadField {
        name: "company",
        label: "Company",
        input: LeadInput::Text {
            max: 120,
            html_type: "text",
            autocomplete: "organization",
        },
        required: true,
    },
    PHONE,
    LeadField {
        name: "budget",
        label: "Budget",
        input: LeadInput::Choice(BUDGETS),
        required: true,
    },
    LeadField {
        name: "timeline",
        label: "When do you want to start?",
        input: LeadInput::Choice(TIMELINES),
        required: true,
    },
    LeadField {
        name: "message",
        label: "Describe the project",
        input: LeadInput::Area { min: 30, max: 6000 },
        required: true,
    },
];

/// The consent every form asks for, stored word for word with the lead.
pub const CONSENT_TEXT: &str =
    "I agree that Fluxorae may store these details and contact me about this request.";

/// A parsed lead, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lead {
    /// Which form.
    pub form: LeadForm,
    /// The visitor's name.
    pub name: String,
    /// Their email.
    pub email: Email,
    /// Their company.
    pub company: Option<String>,
    /// Their phone number as typed (the lead engine normalises it).
    pub phone: Option<String>,
    /// Their message or project description.
    pub message: Option<String>,
    /// The form's choices (budget, timeline, preferred time).
    pub details: BTreeMap<String, String>,
}

/// Parses what a visitor typed into `form`'s fields. `consent` is whether the box was ticked.
pub fn parse_lead(
    form: LeadForm,
    values: &BTreeMap<String, String>,
    consent: bool,
) -> Result<Lead, AppError> {
    let mut v = Validator::new();
    let mut out: BTreeMap<&str, String> = BTreeMap::new();
    for field in form.fields() {
        let raw = values.get(field.name).map(|s| s.trim()).unwrap_or_default();
        if raw.is_empty() {
            if field.required {
                v.add(field.name, required_message(field));
            }
            continue;
        }
        match field.input {
            LeadInput::Text { max, .. } => {
                if raw.chars().count() > max {
                    v.add(
                        field.name,
                        format!("{} is at most {max} characters.", field.label),
                    );
                } else if raw.contains(['\n', '\r']) {
                    v.add(field.name, format!("Keep {} to one line.", field.label));
                } else {
                    out.insert(field.name, raw.to_owned());
                }
            }
            LeadInput::Area { min, max } => {
                let n = raw.chars().count();
                if n < min {
                    v.add(
                        field.name,
                        format!("Tell us a little more — at least {min} characters (now {n})."),
                    );
                } else if n > max {
                    v.add(
                        field.name,
                        format!("Keep this to {max} characters (now {n})."),
                    );
                } else {
                    out.insert(field.name, raw.to_owned());
                }
            }
            LeadInput::Choice(options) => {
                if options.iter().any(|(value, _)| *value == raw) {
                    out.insert(field.name, raw.to_owned());
                } else {
                    v.add(field.name, "Choose one of the options.");
                }
            }
        }
    }
    let email = v.check(
        "email",
        Email::parse(values.get("email").map(String::as_str).unwrap_or_default()),
    );
    if let Some(phone) = out.get("phone") {
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let ok_chars = phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        if !ok_chars || !(7..=15).contains(&digits) {
            v.add(
                "phone",
                "Enter a phone number with its country code, like +44 20 7946 0958.",
            );
        }
    }
    if !consent {
        v.add(
            "consent",
            "Please tick the box so we may store your details and reply.",
        );
    }
    // Keep the field order of the form for the person reading the errors.
    let order = |f: &FieldError| {
        form.fields()
            .iter()
            .position(|x| x.name == f.field)
            .unwrap_or(usize::MAX)
    };
    let result = v.finish().map_err(|e| match e {
        AppError::Validation(mut errs) => {
            errs.sort_by_key(order);
            errs.dedup_by(|a, b| a.field == b.field);
            AppError::Validation(errs)
        }
        other => other,
    });
    result?;
    let Some(email) = email else {
        return Err(AppError::field("email", "Enter your email address."));
    };
    let mut take = |k: &str| out.remove(k);
    let name = take("name").unwrap_or_default();
    take("email");
    let company = take("company");
    let phone = take("phone");
    let message = take("message");
    Ok(Lead {
        form,
        name,
        email,
        company,
        phone,
        message,
        details: out.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    })
}

fn required_message(field: &LeadField) -> String {
    match field.name {
        "name" => "Tell us your name.".into(),
        "email" => "Enter your email address.".into(),
        "message" => "Tell us a little about what you need.".into(),
        _ => match field.input {
            LeadInput::Choice(_) => format!("Choose an answer for \"{}\".", field.label),
            _ => format!("{} is required.", field.label),
        },
    }
}

/// How a lead from the site reads in a team's inbox, where it arrives as an email from the
/// visitor: a subject naming the form, and their message followed by what else they told us
/// (company, phone, the form's choices by their labels) and the page they wrote from.
pub fn inbox_text(lead: &Lead, page: &str) -> (String, String) {
    let (subject, form) = match lead.form {
        LeadForm::Contact => ("Website: a message from the contact form", "contact"),
        LeadForm::BookCall => ("Website: a request for a call", "book-a-call"),
        LeadForm::Proposal => ("Website: a request for a proposal", "proposal"),
    };
    let mut body = String::new();
    if let Some(m) = lead
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        body.push_str(m);
        body.push_str("\n\n");
    }
    let mut line = |label: &str, value: &str| body.push_str(&format!("{label}: {value}\n"));
    if let Some(c) = &lead.company {
        line("Company", c);
    }
    if let Some(p) = &lead.phone {
        line("Phone", p);
    }
    for field in lead.form.fields() {
        let (LeadInput::Choice(choices), Some(value)) = (field.input, lead.details.get(field.name))
        else {
            continue;
        };
        let label = match field.name {
            "budget" => "Budget",
            "timeline" => "Start",
            "preferred_time" => "Best time for a call",
            other => other,
        };
        let shown = choices
            .iter()
            .find(|(v, _)| v == value)
            .map_or(value.as_str(), |(_, l)| l);
        line(label, shown);
    }
    body.push_str(&format!("\nSent with the {form} form on {page}\n"));
    (subject.to_owned(), body)
}

/// What a visitor sent and what was wrong with it, kept for a few minutes so that the form can
/// be shown again, filled in, with each message at its field (no JavaScript needed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormEcho {
    /// The values as typed.
    pub values: BTreeMap<String, String>,
    /// Whether the consent box was ticked.
    pub consent: bool,
    /// The messages, per field (`form` for the form as a whole).
    pub errors: Vec<FieldError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_contact_message() {
        let lead = parse_lead(
            LeadForm::Contact,
            &values(&[
                ("name", " Ana Silva "),
                ("email", "Ana@Example.COM"),
                ("message", "We need a booking app for 12 clinics."),
            ]),
            true,
        )
        .unwrap();
        assert_eq!(lead.name, "Ana Silva");
        assert_eq!(lead.email.as_str(), "ana@example.com");
        assert_eq!(lead.company, None);
        assert!(lead.details.is_empty());
    }

    #[test]
    fn every_problem_is_named_in_form_order() {
        let e = parse_lead(
            LeadForm::Proposal,
            &values(&[
                ("email", "not-an-email"),
                ("budget", "a-million"),
                ("message", "short"),
                ("phone", "call me"),
            ]),
            false,
        )
        .unwrap_err();
        let AppError::Validation(errs) = e else {
            panic!("{e:?}")
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["name", "email", "company", "phone", "budget", "timeline", "message", "consent"]
        );
        assert!(errs[6].message.contains("at least 30"));
    }

    /// A good request for a proposal.
    fn proposal() -> Lead {
        parse_lead(
            LeadForm::Proposal,
            &values(&[
                ("name", "Dev Patel"),
                ("email", "dev@kestrel.io"),
                ("company", "Kestrel"),
                ("phone", "+91 98765 43210"),
                ("budget", "50k_plus"),
                ("timeline", "1_3_months"),
                (
                    "message",
                    "A dispatch dashboard for 400 drivers, with live tracking and SLA alerts.",
                ),
            ]),
            true,
        )
        .unwrap()
    }

    #[test]
    fn a_proposal_keeps_its_choices() {
        let lead = proposal();
        assert_eq!(
            lead.details.get("budget").map(String::as_str),
            Some("50k_plus")
        );
        assert_eq!(
            lead.details.get("timeline").map(String::as_str),
            Some("1_3_months")
        );
        assert_eq!(lead.phone.as_deref(), Some("+91 98765 43210"));
    }

    #[test]
    fn a_proposal_reads_as_an_email_with_its_choices_by_label() {
        let lead = proposal();
        let (subject, body) = inbox_text(&lead, "/pricing");
        assert_eq!(subject, "Website: a request for a proposal");
        assert_eq!(
            body,
            "A dispatch dashboard for 400 drivers, with live tracking and SLA alerts.\n\n\
             Company: Kestrel\nPhone: +91 98765 43210\n\
             Budget: $50,000 or more\nStart: In 1–3 months\n\
             \nSent with the proposal form on /pricing\n"
        );
    }

    #[test]
    fn a_call_request_without_a_message() {
        let lead = parse_lead(
            LeadForm::BookCall,
            &values(&[
                ("name", "Ana"),
                ("email", "ana@example.com"),
                ("preferred_time", "morning"),
            ]),
            true,
        )
        .unwrap();
        let (subject, body) = inbox_text(&lead, "/");
        assert_eq!(subject, "Website: a request for a call");
        assert_eq!(
            body,
            "Best time for a call: Mornings\n\nSent with the book-a-call form on /\n"
        );
    }

    #[test]
    fn limits() {
        let long = "x".repeat(81);
        let e = parse_lead(
            LeadForm::BookCall,
            &values(&[
                ("name", &long),
                ("email", "a@b.co"),
                ("preferred_time", "any"),
            ]),
            true,
        )
        .unwrap_err();
        assert_eq!(
            e.message_for("name"),
            Some("Your name is at most 80 characters.")
        );
    }
}
