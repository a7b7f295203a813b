//! Reply drafting by lead band, in the language of the message answered, from the tenant's
//! configured facts only; and the honesty check that every draft — built-in or a model's — must
//! pass: no number, price, percentage or link that the facts do not contain.

use regex::Regex;
use std::sync::LazyLock;

use crate::ai::text::{fold, language, terms};
use crate::ai::{Analysis, LeadBand, Offering, ReplyDraft, ReplyInput, TenantFacts};

static CLAIMS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)https?://[^\s)]+|www\.[^\s)]+|\d[\d,.]*\s*%?")
        .unwrap_or_else(|e| panic!("claims pattern: {e}"))
});

fn facts_text(facts: &TenantFacts) -> String {
    let mut t = facts.business_name.clone();
    for o in &facts.offerings {
        t.push(' ');
        t.push_str(&o.name);
        if let Some(p) = o.price_from_usd {
            t.push_str(&format!(" {p} {}", thousands(p)));
        }
    }
    for s in facts.proof.iter().chain(&facts.insights) {
        t.push(' ');
        t.push_str(s);
    }
    for s in facts.booking_link.iter().chain(&facts.availability) {
        t.push(' ');
        t.push_str(s);
    }
    fold(&t)
}

fn digits(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit()).collect()
}

/// Numbers, percentages and links in `text` that the facts do not contain: claims a draft may
/// not make. Empty means the draft is honest by this check.
pub fn unsupported_claims(text: &str, facts: &TenantFacts, also_allowed: &str) -> Vec<String> {
    let known = format!("{} {}", facts_text(facts), fold(also_allowed));
    let known_numbers: Vec<String> = CLAIMS
        .find_iter(&known)
        .map(|m| digits(m.as_str()))
        .filter(|d| !d.is_empty())
        .collect();
    let folded = fold(text);
    let mut out = Vec::new();
    for m in CLAIMS.find_iter(&folded) {
        let claim = m.as_str().trim().trim_end_matches(['.', ',']);
        if claim.is_empty() {
            continue;
        }
        let ok = if claim.starts_with("http") || claim.starts_with("www.") {
            known.contains(claim)
        } else {
            let d = digits(claim);
            d.is_empty() || known_numbers.contains(&d)
        };
        if !ok {
            out.push(claim.to_string());
        }
    }
    out
}

fn thousands(n: u32) -> String {
    crate::money::grouped(u64::from(n))
}

/// The offering most related to the message, else the first.
fn best_offering<'a>(facts: &'a TenantFacts, message: &str) -> Option<&'a Offering> {
    let words = terms(message);
    facts
        .offerings
        .iter()
        .map(|o| {
            let ot = terms(&o.name);
            (o, ot.iter().filter(|t| words.contains(t)).count())
        })
        .max_by(|a, b| a.1.cmp(&b.1))
        .map(|(o, _)| o)
}

/// The phrases of one language.
struct Phrases {
    hello: &'static str,
    hello_name: &'static str,
    we_help: &'static str,
    from_price: &'static str,
    available: &'static str,
    hot_link: &'static str,
    hot_ask: &'static str,
    warm_proof: &'static str,
    warm_ask: &'static str,
    cold_insight: &'static str,
    cold_ask: &'static str,
}

const EN: Phrases = Phrases {
    hello: "Hi, thanks for reaching out!",
    hello_name: "Hi {name}, thanks for reaching out!",
    we_help: "{business} can help with {offering}.",
    from_price: "It starts from ${price}.",
    available: "We're available {availability}.",
    hot_link: "The quickest next step is a short call — pick a time here: {link}",
    hot_ask: "Shall we set up a short call? Reply with a time that suits you.",
    warm_proof: "In case it helps: {proof}",
    warm_ask: "Happy to share more examples and answer any questions.",
    cold_insight: "One thing worth knowing: {insight}",
    cold_ask: "Would it help if I sent a few ideas for your case?",
};
const ES: Phrases = Phrases {
    hello: "¡Hola, gracias por escribirnos!",
    hello_name: "¡Hola {name}, gracias por escribirnos!",
    we_help: "En {business} podemos ayudarte con {offering}.",
    from_price: "Empieza desde ${price}.",
    available: "Estamos disponibles {availability}.",
    hot_link: "El siguiente paso más rápido es una llamada corta — elige un horario aquí: {link}",
    hot_ask: "¿Agendamos una llamada corta? Dime qué horario te viene bien.",
    warm_proof: "Por si te sirve: {proof}",
    warm_ask: "Con gusto te comparto más ejemplos y respondo tus preguntas.",
    cold_insight: "Algo que vale la pena saber: {insight}",
    cold_ask: "¿Te ayudaría si te envío algunas ideas para tu caso?",
};
const HI: Phrases = Phrases {
    hello: "नमस्ते, संपर्क करने के लिए धन्यवाद!",
    hello_name: "नमस्ते {name}, संपर्क करने के लिए धन्यवाद!",
    we_help: "{business} {offering} में आपकी मदद कर सकता है।",
    from_price: "इसकी शुरुआत ${price} से होती है।",
    available: "हम {availability} उपलब्ध हैं।",
    hot_link: "अगला कदम एक छोटी कॉल है — यहाँ समय चुनें: {link}",
    hot_ask: "क्या हम एक छोटी कॉल तय करें? अपना सुविधाजनक समय बताइए।",
    warm_proof: "आपकी जानकारी के लिए: {proof}",
    warm_ask: "और उदाहरण भेजने और आपके सवालों के जवाब देने में खुशी होगी।",
    cold_insight: "एक काम की बात: {insight}",
    cold_ask: "क्या आपके लिए कुछ आइडिया भेजूँ?",
};
const HINGLISH: Phrases = Phrases {
    hello: "Hi, message karne ke liye thanks!",
    hello_name: "Hi {name}, message karne ke liye thanks!",
    we_help: "{business} aapki {offering} mein help kar sakta hai.",
    from_price: "Yeh ${price} se start hota hai.",
    available: "Hum {availability} available hain.",
    hot_link: "Sabse fast next step ek chhoti call hai — yahan time choose kijiye: {link}",
    hot_ask: "Ek chhoti call set karein? Apna convenient time bataiye.",
    warm_proof: "Aapke reference ke liye: {proof}",
    warm_ask: "Aur examples share karne aur aapke sawaalon ke jawab dene mein khushi hogi.",
    cold_insight: "Ek kaam ki baat: {insight}",
    cold_ask: "Kya main aapke case ke liye kuch ideas bhejun?",
};
const AR: Phrases = Phrases {
    hello: "مرحباً، شكراً لتواصلك معنا!",
    hello_name: "مرحباً {name}، شكراً لتواصلك معنا!",
    we_help: "يمكن لـ{business} مساعدتك في {offering}.",
    from_price: "يبدأ السعر من ${price}.",
    available: "نحن متاحون {availability}.",
    hot_link: "أسرع خطوة تالية هي مكالمة قصيرة — اختر الوقت المناسب من هنا: {link}",
    hot_ask: "هل نحدد مكالمة قصيرة؟ أخبرني بالوقت المناسب لك.",
    warm_proof: "للاطلاع: {proof}",
    warm_ask: "يسعدني مشاركة المزيد من الأمثلة والإجابة عن أسئلتك.",
    cold_insight: "معلومة مفيدة: {insight}",
    cold_ask: "هل يفيدك أن أرسل لك بعض الأفكار لحالتك؟",
};

/// Drafts a reply: HOT gets a direct booking offer, WARM trust and social proof, COLD curiosity
/// and a useful insight. Every claim comes from the tenant's facts; what is not configured is
/// left out rather than invented.
pub fn draft(input: &ReplyInput) -> Analysis<ReplyDraft> {
    let lang = language(&input.last_message);
    let p = match (lang.code.as_str(), lang.hinglish) {
        ("es", _) => &ES,
        ("hi", true) => &HINGLISH,
        ("hi", false) => &HI,
        ("ar", _) => &AR,
        _ => &EN,
    };
    let facts = &input.facts;
    let mut used: Vec<String> = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    let name = input
        .contact_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    parts.push(match name {
        Some(n) => p.hello_name.replace("{name}", n),
        None => p.hello.to_string(),
    });
    let business = if facts.business_name.trim().is_empty() {
        "We"
    } else {
        facts.business_name.trim()
    };
    if let Some(o) = best_offering(facts, &input.last_message) {
        parts.push(
            p.we_help
                .replace("{business}", business)
                .replace("{offering}", &o.name),
        );
        used.push(o.name.clone());
        if let (Some(price), LeadBand::Hot | LeadBand::Warm) = (o.price_from_usd, input.band) {
            parts.push(p.from_price.replace("{price}", &thousands(price)));
            used.push(format!("{}: from ${}", o.name, thousands(price)));
        }
    }
    let mut missing = Vec::new();
    match input.band {
        LeadBand::Hot => {
            if let Some(a) = &facts.availability {
                parts.push(p.available.replace("{availability}", a));
                used.push(a.clone());
            }
            match &facts.booking_link {
                Some(link) => {
                    parts.push(p.hot_link.replace("{link}", link));
                    used.push(link.clone());
                }
                None => {
                    parts.push(p.hot_ask.to_string());
                    missing.push("a booking link");
                }
            }
        }
        LeadBand::Warm => {
            match facts.proof.first() {
                Some(proof) => {
                    parts.push(p.warm_proof.replace("{proof}", proof));
                    used.push(proof.clone());
                }
                None => missing.push("proof (case studies or testimonials)"),
            }
            parts.push(p.warm_ask.to_string());
        }
        LeadBand::Cold => {
            match facts.insights.first() {
                Some(i) => {
                    parts.push(p.cold_insight.replace("{insight}", i));
                    used.push(i.clone());
                }
                None => missing.push("an insight to share"),
            }
            parts.push(p.cold_ask.to_string());
        }
    }
    let text = parts.join(" ");
    let mut reason = format!(
        "{} reply from {} configured fact(s)",
        input.band.as_str().to_uppercase(),
        used.len()
    );
    if !missing.is_empty() {
        reason.push_str(&format!(
            "; the tenant has not configured {}",
            missing.join(", ")
        ));
    }
    let confidence = if missing.is_empty() { 0.75 } else { 0.5 };
    Analysis::new(
        ReplyDraft {
            text,
            language: lang,
            facts_used: used,
        },
        confidence,
        reason,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> TenantFacts {
        TenantFacts {
            business_name: "Acme Studio".into(),
            offerings: vec![
                Offering {
                    name: "Shopify stores".into(),
                    price_from_usd: Some(4500),
                },
                Offering {
                    name: "Logo design".into(),
                    price_from_usd: None,
                },
            ],
            proof: vec!["We rebuilt Candle Co's store; online sales rose 40% in 3 months.".into()],
            insights: vec!["Most small shops lose buyers at a slow checkout.".into()],
            booking_link: Some("https://cal.example.com/acme".into()),
            availability: Some("Mon–Fri, 9–6 IST".into()),
        }
    }

    #[test]
    fn each_band_has_its_own_move_and_only_uses_facts() {
        for band in [LeadBand::Hot, LeadBand::Warm, LeadBand::Cold] {
            let d = draft(&ReplyInput {
                band,
                contact_name: Some("Priya".into()),
                last_message: "Hi, we want a Shopify store for our shop".into(),
                facts: facts(),
            });
            let t = &d.output.text;
            assert!(t.starts_with("Hi Priya"), "{t}");
            assert!(t.contains("Shopify stores"));
            assert!(
                unsupported_claims(t, &facts(), "").is_empty(),
                "{band:?}: {t}"
            );
            match band {
                LeadBand::Hot => {
                    assert!(t.contains("https://cal.example.com/acme") && t.contains("$4,500"))
                }
                LeadBand::Warm => assert!(t.contains("40%")),
                LeadBand::Cold => assert!(t.contains("slow checkout") && !t.contains("$")),
            }
        }
    }

    #[test]
    fn answers_in_the_customers_language() {
        let d = draft(&ReplyInput {
            band: LeadBand::Hot,
            contact_name: None,
            last_message: "Hola, necesito una tienda online".into(),
            facts: facts(),
        });
        assert_eq!(d.output.language.code, "es");
        assert!(d.output.text.starts_with("¡Hola"));
    }

    #[test]
    fn invented_numbers_and_links_are_caught() {
        let bad = "We've done 500 stores with 99% satisfaction, book at https://evil.example";
        let claims = unsupported_claims(bad, &facts(), "");
        assert_eq!(claims, ["500", "99%", "https://evil.example"]);
        assert!(unsupported_claims("From $4,500, 40% uplift", &facts(), "").is_empty());
        // Numbers the customer wrote may be echoed back.
        assert!(
            unsupported_claims("for your 12 products", &facts(), "we have 12 products").is_empty()
        );
    }

    #[test]
    fn missing_facts_are_left_out_not_invented() {
        let d = draft(&ReplyInput {
            band: LeadBand::Hot,
            contact_name: None,
            last_message: "ready to start".into(),
            facts: TenantFacts {
                business_name: "Solo".into(),
                ..Default::default()
            },
        });
        assert!(!d.output.text.contains("http"));
        assert!(d.reason.contains("booking link"));
    }
}
