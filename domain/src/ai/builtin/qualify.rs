//! Lead qualification: buying intent, budget and timeline bands, objections and buying signals,
//! and the HOT/WARM/COLD band that routing and reply drafting use.

use regex::Regex;
use std::sync::LazyLock;

use super::message;
use crate::ai::text::{fold, language, normalize, Lexicon};
use crate::ai::{
    Analysis, BudgetBand, Intent, LeadBand, LeadConversation, LeadIntent, Qualification,
    TimelineBand,
};

/// US dollars per unit of each currency we read. Rough, fixed rates: bands are wide, and a
/// person sees the original amount in the message.
fn usd_per(currency: &str) -> f64 {
    match currency {
        "eur" => 1.09,
        "gbp" => 1.27,
        "inr" => 1.0 / 83.0,
        "aed" => 1.0 / 3.67,
        "sar" => 1.0 / 3.75,
        "egp" => 1.0 / 48.0,
        "mxn" => 1.0 / 17.0,
        _ => 1.0,
    }
}

fn currency_of(token: &str) -> Option<&'static str> {
    let t = token.trim().trim_end_matches('.');
    Some(match t {
        "$" | "us$" | "usd" | "dollar" | "dollars" | "dolares" | "dolar" | "dollar." => "usd",
        "€" | "eur" | "euro" | "euros" => "eur",
        "£" | "gbp" | "pound" | "pounds" => "gbp",
        "₹" | "rs" | "inr" | "rupee" | "rupees" | "rupaye" | "rupay" | "रुपये" | "रुपए" | "रु" => {
            "inr"
        }
        "aed" | "dhs" | "dh" | "dirham" | "dirhams" | "درهم" | "دراهم" => "aed",
        "sar" | "riyal" | "riyals" | "ريال" => "sar",
        "جنيه" | "egp" => "egp",
        "mxn" | "pesos" => "mxn",
        _ => return None,
    })
}

fn multiplier_of(token: &str) -> Option<f64> {
    Some(match token.trim() {
        "k" | "thousand" | "grand" | "mil" | "hazaar" | "hazar" | "हजार" | "الف" | "آلاف"
        | "الاف" => 1e3,
        "m" | "mn" | "million" | "millones" | "millon" | "مليون" => 1e6,
        "l" | "lakh" | "lakhs" | "lac" | "lacs" | "लाख" => 1e5,
        "cr" | "crore" | "crores" | "करोड" => 1e7,
        _ => return None,
    })
}

static MONEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?P<pre>us\$|\$|€|£|₹|\brs\.?|\busd\b|\beur\b|\binr\b|\baed\b|\bsar\b|\bgbp\b)?\s*
        (?P<num>\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?)
        \s*(?P<mult>k\b|m\b|mn\b|million\b|millones\b|millon\b|mil\b|thousand\b|grand\b|lakhs?\b|lacs?\b|l\b|crores?\b|cr\b|hazaa?r\b|हजार|लाख|करोड|الف|آلاف|الاف|مليون)?
        \s*(?P<post>usd\b|dollars?\b|dolares\b|dolar\b|\$|€|euros?\b|eur\b|£|pounds?\b|gbp\b|₹|rs\b|inr\b|rupees?\b|rupaye\b|rupay\b|रुपये|रुपए|रु|aed\b|dhs?\b|dirhams?\b|درهم|دراهم|sar\b|riyals?\b|ريال|جنيه|egp\b|pesos\b|mxn\b)?
        ",
    )
    .unwrap_or_else(|e| panic!("money pattern: {e}"))
});

/// Words near a bare number that make it a budget.
const BUDGET_WORDS: &[&str] = &[
    "budget",
    "spend",
    "invest",
    "pay",
    "afford",
    "upto",
    "up to",
    "around",
    "approx",
    "max",
    "tak",
    "presupuesto",
    "hasta",
    "pagar",
    "invertir",
    "ميزانية",
    "ميزانيه",
    "بحدود",
    "حدود",
    "बजट",
    "तक",
    "cost",
    "price",
    "kharcha",
    "kharch",
];

/// Words after a number that make it not money.
const NOT_MONEY_AFTER: &[&str] = &[
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "page",
    "pages",
    "product",
    "products",
    "item",
    "items",
    "user",
    "users",
    "hour",
    "hours",
    "hrs",
    "%",
    "din",
    "hafte",
    "mahine",
    "mahina",
    "saal",
    "dias",
    "semanas",
    "meses",
    "anos",
    "paginas",
    "productos",
    "يوم",
    "ايام",
    "أيام",
    "اسبوع",
    "أسابيع",
    "شهر",
    "اشهر",
    "أشهر",
    "شهور",
    "صفحة",
    "صفحات",
    "दिन",
    "हफ्ते",
    "हफ़्ते",
    "महीने",
    "महीना",
    "साल",
    "पेज",
    "x",
    "screens",
    "languages",
    "am",
    "pm",
];

/// The largest amount of money stated in a text, in US dollars. Bare numbers count only next to
/// a budget word, with a thousands multiplier, or with a currency; the currency defaults by the
/// text's language (Hindi → INR, Arabic → AED, Spanish → EUR, else USD).
pub fn budget_usd(text: &str) -> Option<u32> {
    let folded = fold(text);
    let default_currency = match language(text).code.as_str() {
        "hi" => "inr",
        "ar" => "aed",
        "es" => "eur",
        _ => "usd",
    };
    let mut best: Option<f64> = None;
    for cap in MONEY.captures_iter(&folded) {
        let Some(num) = cap.name("num") else { continue };
        let whole = cap.get(0).map_or(num.range(), |m| m.range());
        let after = folded[whole.end..].trim_start();
        let next_word: String = after
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '.' | '!' | '?'))
            .collect();
        let currency = cap
            .name("pre")
            .and_then(|m| currency_of(m.as_str()))
            .or_else(|| cap.name("post").and_then(|m| currency_of(m.as_str())));
        let multiplier = cap.name("mult").and_then(|m| multiplier_of(m.as_str()));
        if NOT_MONEY_AFTER.contains(&next_word.as_str())
            && multiplier.is_none()
            && currency.is_none()
        {
            continue;
        }
        let before_start = folded[..num.start()]
            .char_indices()
            .rev()
            .nth(30)
            .map_or(0, |(i, _)| i);
        let before = &folded[before_start..num.start()];
        let near_budget_word = BUDGET_WORDS
            .iter()
            .any(|w| before.contains(w) || after.starts_with(w));
        if currency.is_none() && multiplier.is_none() && !near_budget_word {
            continue;
        }
        let value = parse_number(num.as_str()) * multiplier.unwrap_or(1.0);
        // "5 mil" in Spanish is 5,000; a year like 2025 or a tiny amount is not a budget.
        if value < 50.0
            || (currency.is_none() && multiplier.is_none() && (1990.0..2100.0).contains(&value))
        {
            continue;
        }
        let usd = value * usd_per(currency.unwrap_or(default_currency));
        best = Some(best.map_or(usd, |b: f64| b.max(usd)));
    }
    best.map(|v| v.round().min(u32::MAX as f64) as u32)
}

/// Parses "10.000", "10,000", "2.5", "1,5": a separator before exactly three digits groups
/// thousands; otherwise it is the decimal point.
fn parse_number(s: &str) -> f64 {
    let groups: Vec<&str> = s.split([',', '.']).collect();
    if groups.len() == 1 {
        return s.parse().unwrap_or(0.0);
    }
    let last = groups[groups.len() - 1];
    let thousands = groups[1..].iter().all(|g| g.len() == 3);
    if thousands {
        return groups.concat().parse().unwrap_or(0.0);
    }
    let int: String = groups[..groups.len() - 1].concat();
    format!("{int}.{last}").parse().unwrap_or(0.0)
}

/// The band of a budget in US dollars (under $1,000 has no band: too small to qualify).
pub fn budget_band(usd: u32) -> Option<BudgetBand> {
    match usd {
        0..=999 => None,
        1_000..=4_999 => Some(BudgetBand::From1kTo5k),
        5_000..=49_999 => Some(BudgetBand::From5kTo50k),
        _ => Some(BudgetBand::Over50k),
    }
}

use TimelineBand::*;

#[rustfmt::skip]
static TIMELINES: LazyLock<Lexicon<TimelineBand>> = LazyLock::new(|| Lexicon::new(&[
    (Immediate, 1.0, &[
        "asap", "as soon as possible", "urgent", "immediately", "right away", "right now", "today",
        "tomorrow", "this week", "next week", "within a week", "in a week", "by monday", "by friday",
        "jaldi", "turant", "abhi", "aaj", "kal tak", "is hafte", "agle hafte",
        "जल्दी", "तुरंत", "आज", "कल तक", "इस हफ्ते", "अगले हफ्ते", "अभी",
        "urgente", "cuanto antes", "lo antes posible", "hoy", "manana", "esta semana",
        "la proxima semana", "de inmediato", "ya mismo",
        "عاجل", "فورا", "فوراً", "بأسرع وقت", "اليوم", "بكرة", "غدا", "هذا الأسبوع", "الأسبوع الجاي",
        "الأسبوع القادم", "مستعجل",
    ]),
    (OneToThreeMonths, 1.0, &[
        "next month", "this month", "in a month", "within a month", "couple of months",
        "end of the month", "few weeks", "agle mahine", "is mahine", "agle month", "mahine ke andar",
        "अगले महीने", "इस महीने", "el proximo mes", "este mes", "el mes que viene", "en un mes",
        "الشهر القادم", "الشهر الجاي", "هذا الشهر", "خلال شهر",
    ]),
    (ThreeToSixMonths, 1.0, &[
        "next quarter", "this quarter", "later this year", "in the summer", "by summer",
        "end of the year", "by the end of the year", "in a few months", "few months",
        "kuch mahino", "kuch mahine", "कुछ महीनों", "कुछ महीने", "en unos meses", "dentro de unos meses",
        "el proximo trimestre", "a fin de ano", "خلال اشهر", "بعد كم شهر", "الربع القادم",
        "نهاية السنة",
    ]),
    (Exploring, 1.0, &[
        "just exploring", "just looking", "just browsing", "no rush", "no hurry", "exploring",
        "someday", "not in a hurry", "just curious", "researching", "gathering quotes",
        "getting an idea", "sometime next year", "next year",
        "sirf dekh", "bas dekh", "bas puch", "sirf puch", "koi jaldi nahi", "jaldi nahi",
        "अभी सिर्फ", "बस देख", "कोई जल्दी नहीं", "जल्दी नहीं",
        "solo explorando", "solo mirando", "solo estoy viendo", "sin prisa", "no hay prisa",
        "el ano que viene", "el proximo ano", "solo preguntando", "solo cotizando",
        "مجرد استفسار", "بس استفسر", "بس أستفسر", "مو مستعجل", "مش مستعجل", "ما في عجلة",
        "السنة الجاية", "العام القادم",
    ]),
]));

static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)(?P<n>\d+)\s*(?:-\s*\d+\s*)?
        (?P<unit>weeks?|wks?|months?|mos?|hafte|hafton|mahine|mahino|mahina|semanas?|meses|mes
        |हफ्ते|हफ़्ते|महीने|महीनों|महीना|اسابيع|أسابيع|اسبوع|أسبوع|اشهر|أشهر|شهور|شهر|days?|dias|din|दिन|يوم|ايام|أيام)",
    )
    .unwrap_or_else(|e| panic!("duration pattern: {e}"))
});

/// The stated timeline, from phrases or "in N weeks/months" in any of our languages.
pub fn timeline(text: &str) -> Option<TimelineBand> {
    let folded = fold(text);
    let mut bands: Vec<TimelineBand> = Vec::new();
    for cap in DURATION.captures_iter(&folded) {
        let n: f32 = cap
            .name("n")
            .and_then(|m| m.as_str().parse().ok())
            .unwrap_or(0.0);
        let unit = cap.name("unit").map_or("", |m| m.as_str());
        let weeks = if unit.starts_with('w')
            || unit.starts_with('h')
            || unit.starts_with("sem")
            || unit.contains("हफ")
            || unit.contains("سبوع")
            || unit.contains("سابيع")
        {
            n
        } else if unit.starts_with('d')
            || unit.contains("दिन")
            || unit.contains("يوم")
            || unit.contains("يام")
        {
            n / 7.0
        } else {
            n * 4.3
        };
        bands.push(match weeks {
            w if w <= 2.5 => Immediate,
            w if w <= 13.5 => OneToThreeMonths,
            w if w <= 26.5 => ThreeToSixMonths,
            _ => Exploring,
        });
    }
    let norm = normalize(text);
    let mut lex: Vec<TimelineBand> = TIMELINES.scan(&norm).map(|(b, _, _)| b).collect();
    // A stated duration is more precise than a phrase; among phrases, exploring overrides.
    if let Some(b) = bands.into_iter().min() {
        return Some(b);
    }
    lex.sort();
    if lex.contains(&Exploring) {
        return Some(Exploring);
    }
    lex.first().copied()
}

#[rustfmt::skip]
static SIGNALS: LazyLock<Lexicon<&'static str>> = LazyLock::new(|| Lexicon::new(&[
    ("asked for a quote or proposal", 1.0, &["quote", "proposal", "quotation", "cotizacion", "propuesta", "عرض سعر", "कोटेशन"]),
    ("wants a call or meeting", 1.0, &["call", "meeting", "llamada", "reunion", "مكالمة", "اجتماع", "कॉल", "मीटिंग"]),
    ("asked how to pay", 1.0, &["how do i pay", "how can i pay", "payment link", "advance", "como pago", "كيف ادفع", "भुगतान"]),
    ("ready to start", 1.0, &["ready to start", "ready to go", "let's start", "lets start", "start karte", "shuru karte", "empecemos", "estamos listos", "جاهز", "نبدأ", "शुरू करते"]),
    ("decision maker on the thread", 0.5, &["i'm the owner", "im the owner", "i own", "our ceo", "founder", "soy el dueno", "المالك", "मालिक"]),
]));

/// Qualifies a lead from its inbound messages.
pub fn analyze(input: &LeadConversation) -> Analysis<Qualification> {
    let all = input.messages.join("\n");
    let norm = normalize(&all);
    let intents = message::intent_scores(&norm);
    let score_of = |i: Intent| intents.get(&i).copied().unwrap_or(0.0);
    let budget_usd = budget_usd(&all);
    let budget = budget_usd.and_then(budget_band);
    let timeline = timeline(&all);

    let mut objections: Vec<String> = Vec::new();
    let mut buying_signals: Vec<String> = Vec::new();
    for m in &input.messages {
        let mn = normalize(m);
        let s = message::intent_scores(&mn);
        if s.get(&Intent::Objection).copied().unwrap_or(0.0) >= 1.0 {
            objections.push(m.trim().chars().take(160).collect());
        }
    }
    let mut seen = Vec::new();
    for (label, _, _) in SIGNALS.scan(&norm) {
        if !seen.contains(&label) {
            seen.push(label);
            buying_signals.push(label.to_string());
        }
    }
    if budget.is_some() {
        buying_signals.push("stated a budget".into());
    }
    if matches!(timeline, Some(Immediate | OneToThreeMonths)) {
        buying_signals.push("has a near timeline".into());
    }

    let buying = score_of(Intent::BuyingIntent) + score_of(Intent::Urgency) * 0.7;
    let interest = score_of(Intent::Information)
        + score_of(Intent::CompetitorInquiry)
        + score_of(Intent::FollowUp)
        + score_of(Intent::Confusion) * 0.5;
    let against = score_of(Intent::Objection)
        + if timeline == Some(Exploring) {
            1.5
        } else {
            0.0
        };

    let mut score: f32 = 20.0;
    score += (buying * 12.0).min(36.0);
    score += (interest * 6.0).min(15.0);
    score += match budget {
        Some(BudgetBand::Over50k) => 20.0,
        Some(BudgetBand::From5kTo50k) => 15.0,
        Some(BudgetBand::From1kTo5k) => 8.0,
        None => 0.0,
    };
    score += match timeline {
        Some(Immediate) => 18.0,
        Some(OneToThreeMonths) => 12.0,
        Some(ThreeToSixMonths) => 5.0,
        Some(Exploring) => -5.0,
        None => 0.0,
    };
    score -= (against * 10.0).min(30.0);
    if score_of(Intent::Support) >= 1.5 && buying < 1.0 {
        score -= 10.0;
    }
    let score = score.clamp(0.0, 100.0).round() as u8;
    let intent = match score {
        65..=100 => LeadIntent::High,
        40..=64 => LeadIntent::Medium,
        _ => LeadIntent::Low,
    };
    let band = match score {
        70..=100 => LeadBand::Hot,
        40..=69 => LeadBand::Warm,
        _ => LeadBand::Cold,
    };
    // Sure in proportion to what it found either way: what they want to know, their budget,
    // their timeline, signals for buying and against it. With none of these ("Hi") the reading
    // is a guess, under the 0.6 that hands the conversation to a person; one clear sign is
    // enough to go on. Whole percents, so that 0.6 is exactly the threshold's 0.6.
    let evidence = [
        budget.is_some(),
        timeline.is_some(),
        buying > 0.0,
        against > 0.0,
        interest > 0.0,
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let confidence = (45 + 15 * evidence).min(95) as f32 / 100.0;
    let mut why = vec![format!("score {score}")];
    if let Some(b) = budget_usd {
        why.push(format!("budget about ${b}"));
    }
    if let Some(t) = timeline {
        why.push(format!("timeline {}", t.as_str()));
    }
    if !objections.is_empty() {
        why.push(format!("{} objection(s)", objections.len()));
    }
    if !buying_signals.is_empty() {
        why.push(format!("signals: {}", buying_signals.join(", ")));
    }
    Analysis::new(
        Qualification {
            intent,
            budget,
            budget_usd,
            timeline,
            objections,
            buying_signals,
            score,
            band,
        },
        confidence,
        why.join("; "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_budgets_in_currencies_and_scales() {
        assert_eq!(budget_usd("our budget is $8,000"), Some(8000));
        assert_eq!(budget_usd("around 5k USD"), Some(5000));
        assert_eq!(budget_usd("bhai budget 50k tak hai"), Some(602));
        assert_eq!(budget_usd("budget 2 lakh hai"), Some(2410));
        assert_eq!(budget_usd("tenemos 10.000 € de presupuesto"), Some(10900));
        assert_eq!(budget_usd("الميزانية ٢٠٠٠٠ درهم"), Some(5450));
        assert_eq!(budget_usd("we need 5 pages in 3 weeks"), None);
        assert_eq!(budget_usd("launch in 2025"), None);
        assert_eq!(budget_band(602), None);
        assert_eq!(budget_band(5450), Some(BudgetBand::From5kTo50k));
        assert_eq!(budget_band(80_000), Some(BudgetBand::Over50k));
    }

    #[test]
    fn reads_timelines() {
        assert_eq!(timeline("we need it ASAP"), Some(Immediate));
        assert_eq!(timeline("launch in 2 months"), Some(OneToThreeMonths));
        assert_eq!(timeline("dentro de 4 meses"), Some(ThreeToSixMonths));
        assert_eq!(
            timeline("just exploring options for next year"),
            Some(Exploring)
        );
        assert_eq!(timeline("३ महीने में चाहिए"), Some(OneToThreeMonths));
        assert_eq!(timeline("hello"), None);
    }

    #[test]
    fn a_ready_buyer_with_budget_is_hot_and_an_explorer_is_cold() {
        let hot = analyze(&LeadConversation {
            messages: vec![
                "We need an online store, budget $20k, launch next month.".into(),
                "Ready to start — can we book a call tomorrow?".into(),
            ],
        });
        assert_eq!(hot.output.band, LeadBand::Hot, "{}", hot.reason);
        assert_eq!(hot.output.intent, LeadIntent::High);
        assert_eq!(hot.output.budget, Some(BudgetBand::From5kTo50k));
        let cold = analyze(&LeadConversation {
            messages: vec!["Just exploring, honestly it looks too expensive for us.".into()],
        });
        assert_eq!(cold.output.band, LeadBand::Cold, "{}", cold.reason);
        assert_eq!(cold.output.objections.len(), 1);
    }
}
