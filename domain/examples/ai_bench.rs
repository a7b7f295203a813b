//! Latency of the built-in analyzers (p50/p99 per call over the golden inputs) and of matching
//! against 10,000 generated talent profiles. Run with `make bench-ai` (a release build).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use domain::ai::builtin::{matching, message, qualify, reply, scope, work};
use domain::ai::*;
use hdrhistogram::Histogram;
use std::time::Instant;
use uuid::Uuid;

fn measure(name: &str, rounds: usize, inputs: usize, mut f: impl FnMut(usize)) {
    let mut h = Histogram::<u64>::new(3).unwrap();
    for i in 0..inputs.min(50) {
        f(i); // warm-up
    }
    for r in 0..rounds {
        for i in 0..inputs {
            let t = Instant::now();
            f(i);
            h.record(t.elapsed().as_nanos() as u64).unwrap();
            let _ = r;
        }
    }
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1e6;
    println!(
        "| {name} | {} | {:.3} | {:.3} | {:.3} |",
        h.len(),
        ms(0.5),
        ms(0.99),
        h.max() as f64 / 1e6
    );
}

fn main() {
    let golden = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/");
    let messages: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(format!("{golden}messages.json")).unwrap())
            .unwrap();
    let briefs: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(format!("{golden}briefs.json")).unwrap())
            .unwrap();
    let texts: Vec<String> = messages
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect();
    let brief_texts: Vec<String> = briefs
        .iter()
        .map(|b| b["text"].as_str().unwrap().to_string())
        .collect();

    println!(
        "| Analyzer (built-in) | Calls | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|"
    );
    measure("message", 50, texts.len(), |i| {
        std::hint::black_box(message::analyze(&InboundMessage {
            text: texts[i].clone(),
        }));
    });
    measure("qualify (3 messages)", 50, texts.len(), |i| {
        let m = vec![
            texts[i].clone(),
            texts[(i + 1) % texts.len()].clone(),
            texts[(i + 2) % texts.len()].clone(),
        ];
        std::hint::black_box(qualify::analyze(&LeadConversation { messages: m }));
    });
    measure("requirements", 100, brief_texts.len(), |i| {
        std::hint::black_box(scope::requirements(&Brief {
            text: brief_texts[i].clone(),
            category: None,
        }));
    });
    let history: Vec<PastProject> = (0..200)
        .map(|i| PastProject {
            id: Uuid::from_u128(i),
            title: brief_texts[i as usize % brief_texts.len()]
                .chars()
                .take(60)
                .collect(),
            description: brief_texts[i as usize % brief_texts.len()].clone(),
            category: Category::ALL[i as usize % Category::ALL.len()],
            deliverables: vec![DeliverableKind::ALL[i as usize % DeliverableKind::ALL.len()]],
            budget_usd: 1000 + (i as u32 * 397) % 50_000,
            weeks: 1 + (i as u16 % 20),
        })
        .collect();
    measure("estimate (200 past projects)", 20, brief_texts.len(), |i| {
        std::hint::black_box(scope::estimate(&EstimateInput {
            text: brief_texts[i].clone(),
            category: Category::Web,
            deliverables: vec![DeliverableKind::Website],
            history: history.clone(),
        }));
    });
    let facts = TenantFacts {
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
        proof: vec!["Candle Co's online sales rose 40% in 3 months.".into()],
        insights: vec!["Most small shops lose buyers at a slow checkout.".into()],
        booking_link: Some("https://cal.example.com/acme".into()),
        availability: Some("Mon–Fri".into()),
    };
    measure("reply (+ honesty check)", 50, texts.len(), |i| {
        let d = reply::draft(&ReplyInput {
            band: LeadBand::ALL[i % 3],
            contact_name: None,
            last_message: texts[i].clone(),
            facts: facts.clone(),
        });
        std::hint::black_box(reply::unsupported_claims(&d.output.text, &facts, &texts[i]));
    });
    measure("support (3 articles)", 50, texts.len(), |i| {
        std::hint::black_box(work::support(&Ticket {
            subject: "Help".into(),
            body: texts[i].clone(),
            customer_name: None,
            articles: vec![
                KbArticle {
                    title: "Refunds".into(),
                    body: "How refunds and double charges are handled".into(),
                },
                KbArticle {
                    title: "Password".into(),
                    body: "Reset your password from the sign-in page".into(),
                },
                KbArticle {
                    title: "Delivery".into(),
                    body: "Milestones, deliverables and revisions".into(),
                },
            ],
        }));
    });
    measure("qa_check", 100, brief_texts.len(), |i| {
        std::hint::black_box(work::qa_check(&QaInput {
            acceptance_criteria: vec![
                "Final files in SVG and PNG".into(),
                "Brand guide with colours".into(),
            ],
            submission: brief_texts[i].clone(),
            attachments: vec!["final.svg".into()],
        }));
    });

    // 10,000 generated profiles.
    let skills = [
        "Rust",
        "React",
        "Figma",
        "SEO",
        "Flutter",
        "Python",
        "Shopify",
        "Copywriting",
        "Video editing",
        "Google Ads",
        "Postgres",
        "Branding",
        "Arabic",
        "Spanish",
        "Power BI",
        "Node.js",
    ];
    let words = [
        "builds",
        "designs",
        "fast",
        "stores",
        "apps",
        "brands",
        "data",
        "pipelines",
        "campaigns",
        "growth",
        "mobile",
        "web",
        "dashboards",
        "content",
        "teams",
        "startups",
        "ecommerce",
        "fintech",
        "health",
        "education",
    ];
    let profiles: Vec<TalentProfile> = (0..10_000u32)
        .map(|i| {
            let s: Vec<String> = (0..4)
                .map(|k| skills[((i * 7 + k * 5) as usize) % skills.len()].to_string())
                .collect();
            let bio: Vec<&str> = (0..30)
                .map(|k| words[((i * 13 + k * 3) as usize) % words.len()])
                .collect();
            TalentProfile {
                id: Uuid::from_u128(i as u128),
                name: format!("Person {i}"),
                kind: if i % 10 == 0 {
                    TalentKind::Expert
                } else {
                    TalentKind::Freelancer
                },
                headline: format!("{} specialist", s[0]),
                bio: bio.join(" "),
                skills: s,
                rating: 3.0 + (i % 20) as f32 / 10.0,
                reviews: i % 90,
                available_hours: (i % 41) as u16,
                utc_offset_minutes: ((i % 25) as i32 - 12) * 60,
                hourly_rate_usd: 20 + i % 150,
            }
        })
        .collect();
    let needs: Vec<Need> = (0..20)
        .map(|i| Need {
            text: format!(
                "We need someone who {} {} for our {}",
                words[i % 20],
                words[(i * 3) % 20],
                words[(i * 7) % 20]
            ),
            skills: vec![skills[i % 16].to_string(), skills[(i + 3) % 16].to_string()],
            kind: None,
            utc_offset_minutes: Some(330),
            hours_per_week: Some(20),
            limit: Some(10),
        })
        .collect();
    println!("\n| Matching, 10,000 profiles | Calls | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|");
    measure("index build + rank (cold)", 3, needs.len(), |i| {
        std::hint::black_box(matching::rank(&MatchInput {
            need: needs[i].clone(),
            candidates: Vec::new(),
        }));
        let index = matching::TalentIndex::new(profiles.clone());
        std::hint::black_box(index.rank(&needs[i]));
    });
    let index = matching::TalentIndex::new(profiles.clone());
    measure("rank on a built index", 20, needs.len(), |i| {
        std::hint::black_box(index.rank(&needs[i]));
    });
    // What `Ai::match_talent` does besides the database round trips: copy the candidates into
    // the logged input, hash what the log keeps, rank.
    measure("runner path on a built index", 20, needs.len(), |i| {
        let input = MatchInput {
            need: needs[i].clone(),
            candidates: index.profiles().to_vec(),
        };
        std::hint::black_box(
            serde_json::json!({ "need": input.need, "candidates": input.candidates.len() }),
        );
        std::hint::black_box(index.rank(&input.need));
    });
}
