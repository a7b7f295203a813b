//! The requirement analyzer (brief → scope) and the estimator (scope → budget and timeline from
//! comparable delivered projects).

use std::collections::HashMap;

use super::catalog::{spec, CATEGORIES, DELIVERABLES};
use super::{message, qualify};
use crate::ai::text::{language, normalize, sentences, terms, Corpus, Lexicon};
use crate::ai::{
    Analysis, Brief, Category, Comparable, Deliverable, DeliverableKind, Estimate, EstimateInput,
    Intent, Milestone, RiskClass, Scope,
};

/// Deliverable kinds named in a text, strongest evidence first, with their scores and where they
/// were first named.
pub fn deliverables_in(text: &str) -> Vec<(DeliverableKind, f32, usize)> {
    let norm = normalize(text);
    found_in(&DELIVERABLES, &norm)
}

fn found_in(lex: &Lexicon<DeliverableKind>, norm: &str) -> Vec<(DeliverableKind, f32, usize)> {
    let mut by_kind: HashMap<DeliverableKind, (f32, usize)> = HashMap::new();
    for (kind, w, start, _) in lex.scan_outermost(norm) {
        let e = by_kind.entry(kind).or_insert((0.0, start));
        e.0 += w;
        e.1 = e.1.min(start);
    }
    let mut v: Vec<(DeliverableKind, f32, usize)> = by_kind
        .into_iter()
        .filter(|(_, (s, _))| *s >= 1.0)
        .map(|(k, (s, p))| (k, s, p))
        .collect();
    // A website is implied by an online store, a landing page or a web app: don't list it twice
    // unless the brief asks for it on its own.
    let has = |v: &[(DeliverableKind, f32, usize)], k| v.iter().any(|(x, _, _)| *x == k);
    if has(&v, DeliverableKind::Website)
        && (has(&v, DeliverableKind::EcommerceStore) || has(&v, DeliverableKind::WebApp))
    {
        v.retain(|(k, s, _)| *k != DeliverableKind::Website || *s >= 2.0);
    }
    v.sort_by(|a, b| a.2.cmp(&b.2).then(b.1.total_cmp(&a.1)));
    v
}

fn category_label(c: Category) -> &'static str {
    match c {
        Category::Web => "Web development",
        Category::Mobile => "Mobile app",
        Category::Design => "Design and branding",
        Category::Marketing => "Marketing and SEO",
        Category::Content => "Content",
        Category::DataAi => "Data and AI",
        Category::Video => "Video",
    }
}

fn default_deliverable(c: Category) -> DeliverableKind {
    match c {
        Category::Web => DeliverableKind::Website,
        Category::Mobile => DeliverableKind::MobileApp,
        Category::Design => DeliverableKind::UiDesign,
        Category::Marketing => DeliverableKind::Seo,
        Category::Content => DeliverableKind::Copywriting,
        Category::DataAi => DeliverableKind::Dashboard,
        Category::Video => DeliverableKind::Video,
    }
}

/// The main category: what the customer picked, else the category with the most deliverable
/// evidence (ties go to the first named), else category words.
fn category_of(
    brief: &Brief,
    found: &[(DeliverableKind, f32, usize)],
    norm: &str,
) -> Option<Category> {
    if let Some(c) = brief.category {
        return Some(c);
    }
    let mut scores: HashMap<Category, (f32, usize)> = HashMap::new();
    for (k, s, pos) in found {
        let e = scores.entry(spec(*k).category).or_insert((0.0, *pos));
        e.0 += s;
        e.1 = e.1.min(*pos);
    }
    for (c, w) in CATEGORIES.scores(norm) {
        scores.entry(c).or_insert((0.0, usize::MAX)).0 += w;
    }
    scores
        .into_iter()
        .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))
        .map(|(c, _)| c)
}

fn detail_for(kind: DeliverableKind, sentences: &[String]) -> String {
    for s in sentences {
        if found_in(&DELIVERABLES, &normalize(s))
            .iter()
            .any(|(k, _, _)| *k == kind)
        {
            return s.chars().take(240).collect();
        }
    }
    String::new()
}

/// Drafts a scope from a brief.
pub fn requirements(brief: &Brief) -> Analysis<Scope> {
    let text = brief.text.trim();
    let norm = normalize(text);
    let lang = language(text);
    let sents = sentences(text);
    let found = found_in(&DELIVERABLES, &norm);
    let category = category_of(brief, &found, &norm).unwrap_or(Category::Web);
    let mut kinds: Vec<DeliverableKind> = found.iter().map(|(k, _, _)| *k).collect();
    let guessed = kinds.is_empty();
    if guessed {
        kinds.push(default_deliverable(category));
    }
    kinds.truncate(6);

    let deliverables: Vec<Deliverable> = kinds
        .iter()
        .map(|k| Deliverable {
            kind: *k,
            title: spec(*k).title.to_string(),
            detail: detail_for(*k, &sents),
        })
        .collect();

    // Milestones: agree the plan, one per deliverable (design before build), then hand over.
    let mut ordered = kinds.clone();
    ordered.sort_by_key(|k| match spec(*k).category {
        Category::Design => 0,
        Category::Content => 1,
        _ => 2,
    });
    let mut milestones = vec![Milestone {
        title: "Discovery and plan".into(),
        acceptance_criteria: vec![
            "The customer approves a written plan: scope, schedule and what they will supply"
                .into(),
        ],
        weeks: 1,
    }];
    for k in &ordered {
        let s = spec(*k);
        milestones.push(Milestone {
            title: s.title.to_string(),
            acceptance_criteria: s.criteria.iter().map(|c| c.to_string()).collect(),
            weeks: (s.weeks.0 + s.weeks.1).div_ceil(2).max(1),
        });
    }
    milestones.push(Milestone {
        title: "Launch and handover".into(),
        acceptance_criteria: vec![
            "Everything is delivered or live under the customer's own accounts".into(),
            "Access, source files and a short how-to are handed over".into(),
        ],
        weeks: 1,
    });

    let has = |k: DeliverableKind| kinds.contains(&k);
    let web = kinds
        .iter()
        .any(|k| spec(*k).category == Category::Web || *k == DeliverableKind::MobileApp);
    let mut assumptions = Vec::new();
    if web && !has(DeliverableKind::Copywriting) {
        assumptions.push(
            "The customer supplies text and images, or adds copywriting to the scope".to_string(),
        );
    }
    if web {
        assumptions.push(
            "Hosting, domains, app-store and third-party fees are paid by the customer".into(),
        );
    }
    if kinds.iter().any(|k| spec(*k).category == Category::Design) {
        assumptions.push("Two rounds of revisions per design deliverable".into());
    }
    if has(DeliverableKind::Ads) {
        assumptions
            .push("Ad spend is billed by the ad platforms, separately from this project".into());
    }
    assumptions
        .push("The customer answers questions and reviews work within 3 working days".into());

    let word_count = norm.split(' ').filter(|w| !w.is_empty()).count();
    let intents = message::intent_scores(&norm);
    let budget = qualify::budget_usd(text);
    let timeline = qualify::timeline(text);
    let risk_classes = message::risks(&norm);
    let mut risks = Vec::new();
    if word_count < 25 {
        risks.push("The brief is short: the scope may change once details are known".to_string());
    }
    if kinds.len() >= 4 {
        risks.push(
            "Several deliverables at once: consider phasing them into separate milestones".into(),
        );
    }
    if intents.get(&Intent::Urgency).copied().unwrap_or(0.0) >= 1.0 {
        risks.push("A tight deadline: agree what ships first if time runs short".into());
    }
    if has(DeliverableKind::ApiIntegration) || has(DeliverableKind::EcommerceStore) {
        risks.push("Third-party services (payments, APIs) can limit or delay the work".into());
    }
    if has(DeliverableKind::MlModel) || has(DeliverableKind::Chatbot) {
        risks.push("Quality depends on the data and documents the customer can provide".into());
    }
    if risk_classes.contains(&RiskClass::Medical) {
        risks.push(
            "Health data may be involved: check HIPAA/GDPR obligations before building".into(),
        );
    }
    if risk_classes.contains(&RiskClass::Financial) || risk_classes.contains(&RiskClass::Legal) {
        risks.push(
            "The brief mentions legal or financial matters: a person should review it".into(),
        );
    }

    let mut questions: Vec<String> = kinds
        .iter()
        .map(|k| spec(*k).question.to_string())
        .collect();
    if budget.is_none() {
        questions.push("What budget range have you set aside?".into());
    }
    if timeline.is_none() {
        questions.push("When do you need it delivered?".into());
    }
    if guessed {
        questions.insert(
            0,
            "What exactly should be delivered at the end of the project?".into(),
        );
    }

    let titles: Vec<&str> = deliverables.iter().map(|d| d.title.as_str()).collect();
    let summary = format!(
        "{} project: {}.",
        category_label(category),
        titles.join(", ").to_lowercase()
    );
    let summary = capitalize(&summary);

    let evidence: f32 = found.iter().map(|(_, s, _)| s).sum();
    let confidence = if guessed {
        0.2
    } else {
        (0.45 + 0.1 * evidence.min(4.0) + if word_count >= 25 { 0.1 } else { 0.0 }).min(0.9)
    };
    let reason = if guessed {
        format!(
            "No deliverable was named; guessed a {} from the {} category. Ask the customer.",
            spec(kinds[0]).title.to_lowercase(),
            category_label(category).to_lowercase()
        )
    } else {
        format!(
            "Recognised {} in a {}-word brief ({}).",
            titles.join(", ").to_lowercase(),
            word_count,
            if lang.hinglish {
                "Hinglish".to_string()
            } else {
                lang.code.clone()
            }
        )
    };
    Analysis::new(
        Scope {
            summary,
            language: lang,
            category,
            deliverables,
            milestones,
            assumptions,
            risks,
            questions,
        },
        confidence,
        reason,
    )
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

// ----------------------------------------------------------------------------------------------

/// A weighted percentile (`q` in 0–1) of values.
fn weighted_percentile(values: &[(f32, f32)], q: f32) -> f32 {
    let mut v: Vec<(f32, f32)> = values.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f32 = v.iter().map(|x| x.1).sum();
    if total <= 0.0 {
        return v.first().map_or(0.0, |x| x.0);
    }
    let mut acc = 0.0;
    for (value, w) in &v {
        acc += w;
        if acc / total >= q {
            return *value;
        }
    }
    v.last().map_or(0.0, |x| x.0)
}

fn round_budget(usd: f32) -> u32 {
    let step = if usd >= 20_000.0 {
        1000.0
    } else if usd >= 2_000.0 {
        250.0
    } else {
        50.0
    };
    ((usd / step).round() * step).max(step) as u32
}

/// Estimates budget and timeline from the most similar delivered projects: by text (TF-IDF
/// cosine), shared deliverables, and category. Falls back to the catalog's typical ranges when
/// nothing similar was delivered.
pub fn estimate(input: &EstimateInput) -> Analysis<Estimate> {
    let docs: Vec<String> = input
        .history
        .iter()
        .map(|p| {
            let kinds: Vec<&str> = p.deliverables.iter().map(|k| spec(*k).title).collect();
            format!("{} {} {}", p.title, p.description, kinds.join(" "))
        })
        .collect();
    let corpus = Corpus::new(docs.iter().map(String::as_str));
    let titles: Vec<&str> = input.deliverables.iter().map(|k| spec(*k).title).collect();
    let query = corpus.query(&format!("{} {}", input.text, titles.join(" ")));
    let mut scored: Vec<(usize, f32)> = input
        .history
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let text = corpus.docs[i].cosine(&query);
            let shared = p
                .deliverables
                .iter()
                .filter(|k| input.deliverables.contains(k))
                .count();
            let union = p.deliverables.len() + input.deliverables.len() - shared;
            let kinds = if union == 0 {
                0.0
            } else {
                shared as f32 / union as f32
            };
            let same_category = if p.category == input.category {
                1.0
            } else {
                0.6
            };
            (
                i,
                ((0.55 * text + 0.45 * kinds) * same_category).clamp(0.0, 1.0),
            )
        })
        .filter(|(_, s)| *s >= 0.12)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.truncate(5);

    let comparables: Vec<Comparable> = scored
        .iter()
        .map(|(i, s)| {
            let p = &input.history[*i];
            Comparable {
                id: p.id,
                title: p.title.clone(),
                similarity: (*s * 100.0).round() / 100.0,
                budget_usd: p.budget_usd,
                weeks: p.weeks,
            }
        })
        .collect();

    if comparables.is_empty() {
        let kinds: Vec<DeliverableKind> = if input.deliverables.is_empty() {
            vec![default_deliverable(input.category)]
        } else {
            input.deliverables.clone()
        };
        let low: u32 = kinds.iter().map(|k| spec(*k).price_usd.0).sum();
        let high: u32 = kinds.iter().map(|k| spec(*k).price_usd.1).sum();
        let weeks_low = kinds.iter().map(|k| spec(*k).weeks.0).max().unwrap_or(1);
        let weeks_high: u16 = kinds
            .iter()
            .map(|k| spec(*k).weeks.1)
            .sum::<u16>()
            .max(weeks_low);
        return Analysis::new(
            Estimate {
                budget_low_usd: round_budget(low as f32),
                budget_high_usd: round_budget(high as f32),
                weeks_low,
                weeks_high: (weeks_high as f32 * 0.8).ceil().max(weeks_low as f32) as u16,
                comparables,
            },
            0.25,
            "No similar delivered project yet: typical market ranges for these deliverables.",
        );
    }

    let budgets: Vec<(f32, f32)> = scored
        .iter()
        .map(|(i, s)| (input.history[*i].budget_usd as f32, *s))
        .collect();
    let weeks: Vec<(f32, f32)> = scored
        .iter()
        .map(|(i, s)| (input.history[*i].weeks as f32, *s))
        .collect();
    let (mut low, mut high) = (
        weighted_percentile(&budgets, 0.25),
        weighted_percentile(&budgets, 0.75),
    );
    let (mut wl, mut wh) = (
        weighted_percentile(&weeks, 0.25),
        weighted_percentile(&weeks, 0.75),
    );
    if comparables.len() == 1 || (high - low) / high.max(1.0) < 0.2 {
        // One data point (or a tight cluster): a ±20 % band around it.
        let mid = (low + high) / 2.0;
        low = mid * 0.8;
        high = mid * 1.2;
        let wmid = (wl + wh) / 2.0;
        wl = (wmid * 0.8).floor();
        wh = (wmid * 1.2).ceil();
    }
    let best = comparables[0].similarity;
    let confidence = (0.3 + 0.5 * best + 0.05 * comparables.len() as f32).min(0.9);
    let reason = format!(
        "From {} similar delivered project(s); the closest, \"{}\", is {:.0}% similar.",
        comparables.len(),
        comparables[0].title,
        best * 100.0
    );
    Analysis::new(
        Estimate {
            budget_low_usd: round_budget(low),
            budget_high_usd: round_budget(high).max(round_budget(low)),
            weeks_low: wl.max(1.0) as u16,
            weeks_high: wh.max(wl).max(1.0) as u16,
            comparables,
        },
        confidence,
        reason,
    )
}

/// The terms of a text, exposed for callers that index briefs.
pub fn brief_terms(text: &str) -> Vec<String> {
    terms(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::PastProject;
    use uuid::Uuid;

    #[test]
    fn a_store_brief_becomes_a_store_scope() {
        let a = requirements(&Brief {
            text: "We sell handmade candles and need an online store with Stripe payments, plus a logo refresh. Launch in 2 months.".into(),
            category: None,
        });
        let kinds: Vec<DeliverableKind> = a.output.deliverables.iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            [
                DeliverableKind::EcommerceStore,
                DeliverableKind::ApiIntegration,
                DeliverableKind::Logo
            ]
        );
        assert_eq!(a.output.category, Category::Web);
        assert!(a.output.milestones.len() >= 3);
        assert!(a
            .output
            .milestones
            .iter()
            .all(|m| !m.acceptance_criteria.is_empty()));
        assert!(a.output.questions.iter().any(|q| q.contains("budget")));
        assert!(!a
            .output
            .questions
            .iter()
            .any(|q| q.contains("When do you need")));
    }

    #[test]
    fn other_languages_and_empty_briefs() {
        let es = requirements(&Brief {
            text: "Necesito una aplicación móvil para reservas de mi gimnasio".into(),
            category: None,
        });
        assert!(es
            .output
            .deliverables
            .iter()
            .any(|d| d.kind == DeliverableKind::MobileApp));
        assert_eq!(es.output.language.code, "es");
        let ar = requirements(&Brief {
            text: "نحتاج شعار وهوية بصرية لمطعمنا الجديد".into(),
            category: None,
        });
        assert_eq!(ar.output.category, Category::Design);
        let vague = requirements(&Brief {
            text: "help".into(),
            category: Some(Category::Marketing),
        });
        assert_eq!(vague.output.deliverables[0].kind, DeliverableKind::Seo);
        assert!(vague.confidence < 0.3);
    }

    fn past(title: &str, kinds: &[DeliverableKind], usd: u32, weeks: u16) -> PastProject {
        PastProject {
            id: Uuid::nil(),
            title: title.into(),
            description: title.into(),
            category: Category::Web,
            deliverables: kinds.to_vec(),
            budget_usd: usd,
            weeks,
        }
    }

    #[test]
    fn estimate_uses_the_closest_projects() {
        use DeliverableKind::*;
        let input = EstimateInput {
            text: "Online store for handmade candles with payments".into(),
            category: Category::Web,
            deliverables: vec![EcommerceStore],
            history: vec![
                past(
                    "Shopify store for a candle shop",
                    &[EcommerceStore],
                    9000,
                    6,
                ),
                past(
                    "Online store for a clothing brand with payments",
                    &[EcommerceStore, ApiIntegration],
                    14000,
                    8,
                ),
                past("Logo for a dentist", &[Logo], 800, 2),
            ],
        };
        let e = estimate(&input).output;
        assert_eq!(e.comparables.len(), 2, "{:?}", e.comparables);
        assert!(
            e.budget_low_usd >= 7000 && e.budget_high_usd <= 17000,
            "{e:?}"
        );
        assert!(e.budget_low_usd <= e.budget_high_usd && e.weeks_low <= e.weeks_high);
        let none = estimate(&EstimateInput {
            history: vec![],
            ..input
        });
        assert!(none.confidence < 0.3);
        assert_eq!(none.output.budget_low_usd, 4000);
    }
}
