//! Delivery-side analyzers: project risk (delays, silence), the QA check of a submission
//! against acceptance criteria, and the support copilot's draft replies.

use std::sync::LazyLock;

use super::message;
use crate::ai::text::{normalize, sentences, terms, Corpus, Lexicon};
use crate::ai::{
    Analysis, CriterionCheck, CriterionStatus, MilestoneState, Priority, ProjectSnapshot, QaInput,
    QaRecommendation, QaReport, RiskClass, RiskLevel, RiskReport, RiskSignal, SupportDraft, Ticket,
    TicketCategory, Tone,
};

/// Flags delays and silence in a project.
pub fn project_risk(p: &ProjectSnapshot) -> Analysis<RiskReport> {
    let mut signals = Vec::new();
    let mut actions = Vec::new();
    let mut points = 0u32;
    for m in &p.milestones {
        if m.state == MilestoneState::Approved {
            continue;
        }
        if m.due_in_days < 0 && m.state != MilestoneState::Submitted {
            points += if m.due_in_days <= -7 { 3 } else { 2 };
            signals.push(RiskSignal {
                kind: "delay".into(),
                detail: format!(
                    "\"{}\" is {} day(s) overdue at {}% done",
                    m.title, -m.due_in_days, m.progress_pct
                ),
            });
        } else if m.due_in_days >= 0
            && m.due_in_days <= 7
            && m.progress_pct < 50
            && m.state != MilestoneState::Submitted
        {
            points += 1;
            signals.push(RiskSignal {
                kind: "delay".into(),
                detail: format!(
                    "\"{}\" is due in {} day(s) but only {}% done",
                    m.title, m.due_in_days, m.progress_pct
                ),
            });
        }
    }
    if signals.iter().any(|s| s.kind == "delay") {
        actions.push(
            "Agree a new date or a reduced scope with the customer before the deadline passes"
                .to_string(),
        );
    }
    for (who, days) in [
        ("customer", p.customer_silent_days),
        ("freelancer", p.freelancer_silent_days),
    ] {
        if let Some(d) = days.filter(|d| *d >= 5) {
            points += if d >= 10 { 2 } else { 1 };
            signals.push(RiskSignal {
                kind: "silence".into(),
                detail: format!("no message from the {who} for {d} days"),
            });
            actions.push(format!("Check in with the {who}"));
        }
    }
    if p.overdue_tasks > 0 {
        points += if p.overdue_tasks >= 5 { 2 } else { 1 };
        signals.push(RiskSignal {
            kind: "overdue_tasks".into(),
            detail: format!(
                "{} of {} open tasks are past due",
                p.overdue_tasks, p.open_tasks
            ),
        });
        actions.push("Re-plan the overdue tasks with the assignees".into());
    }
    let level = match points {
        0 => RiskLevel::Low,
        1..=2 => RiskLevel::Medium,
        _ => RiskLevel::High,
    };
    let reason = if signals.is_empty() {
        "No overdue milestones, silence or overdue tasks.".to_string()
    } else {
        format!("{} signal(s), {} risk point(s).", signals.len(), points)
    };
    Analysis::new(
        RiskReport {
            level,
            signals,
            suggested_actions: actions,
        },
        0.8,
        reason,
    )
}

/// Checks a submission against each acceptance criterion by the share of the criterion's terms
/// that the submission (notes and file names) shows.
pub fn qa_check(input: &QaInput) -> Analysis<QaReport> {
    let mut passages = sentences(&input.submission);
    passages.extend(
        input
            .attachments
            .iter()
            .map(|a| a.replace(['_', '-', '.'], " ")),
    );
    let passage_terms: Vec<Vec<String>> = passages.iter().map(|s| terms(s)).collect();
    let all_terms: Vec<String> = passage_terms.iter().flatten().cloned().collect();
    let mut criteria = Vec::new();
    for c in &input.acceptance_criteria {
        let ct = terms(c);
        if ct.is_empty() {
            criteria.push(CriterionCheck {
                criterion: c.clone(),
                status: CriterionStatus::Unclear,
                evidence: None,
            });
            continue;
        }
        let covered = ct.iter().filter(|t| all_terms.contains(t)).count() as f32 / ct.len() as f32;
        let best = passage_terms
            .iter()
            .enumerate()
            .map(|(i, pt)| (i, ct.iter().filter(|t| pt.contains(t)).count()))
            .max_by_key(|(_, n)| *n)
            .filter(|(_, n)| *n > 0)
            .map(|(i, _)| passages[i].clone());
        let status = if covered >= 0.5 {
            CriterionStatus::Met
        } else if covered >= 0.2 {
            CriterionStatus::Unclear
        } else {
            CriterionStatus::Missing
        };
        criteria.push(CriterionCheck {
            criterion: c.clone(),
            status,
            evidence: best,
        });
    }
    let count = |s| criteria.iter().filter(|c| c.status == s).count();
    let (met, missing) = (count(CriterionStatus::Met), count(CriterionStatus::Missing));
    let recommendation = if missing > 0 {
        QaRecommendation::RequestChanges
    } else if met == criteria.len() {
        QaRecommendation::Approve
    } else {
        QaRecommendation::NeedsReview
    };
    let reason = format!(
        "{met} of {} criteria shown as met, {missing} missing. A reviewer confirms.",
        criteria.len()
    );
    Analysis::new(
        QaReport {
            criteria,
            recommendation,
        },
        0.55,
        reason,
    )
}

#[rustfmt::skip]
static TICKETS: LazyLock<Lexicon<TicketCategory>> = LazyLock::new(|| Lexicon::new(&[
    (TicketCategory::Billing, 1.0, &["invoice", "charge", "charged", "refund", "payment", "paid", "billing", "receipt", "card", "factura", "cobro", "pago", "reembolso", "فاتورة", "دفع", "استرداد", "बिल", "भुगतान", "रिफंड", "payment", "paisa"]),
    (TicketCategory::Access, 1.0, &["log in", "login", "password", "sign in", "2fa", "two-factor", "locked out", "access", "account", "contrasena", "acceso", "cuenta", "كلمة المرور", "الدخول", "حساب", "पासवर्ड", "लॉगिन", "खाता"]),
    (TicketCategory::Bug, 1.0, &["error", "bug", "broken", "crash", "not working", "doesn't work", "blank", "500", "404", "no funciona", "falla", "خطأ", "لا يعمل", "त्रुटि", "काम नहीं"]),
    (TicketCategory::Delivery, 1.0, &["deliverable", "milestone", "deadline", "late", "freelancer", "files", "revision", "delivery", "entrega", "retraso", "تسليم", "تأخير", "डिलीवरी", "देरी"]),
]));

/// Categorises a ticket, sets its priority, and drafts a reply citing the most relevant help
/// articles. Legal or financial risk, or a refund demand, is escalated to a person.
pub fn support(t: &Ticket) -> Analysis<SupportDraft> {
    let text = format!("{}\n{}", t.subject, t.body);
    let norm = normalize(&text);
    let category = TICKETS
        .scores(&norm)
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map_or(TicketCategory::Other, |(c, _)| c);
    let risks = message::risks(&norm);
    let (tone, _) = message::tone(&text, &norm);
    let urgent = message::intent_scores(&norm)
        .get(&crate::ai::Intent::Urgency)
        .copied()
        .unwrap_or(0.0)
        >= 1.0;
    let priority = if risks.iter().any(|r| {
        matches!(
            r,
            RiskClass::Legal | RiskClass::Violent | RiskClass::Medical
        )
    }) {
        Priority::Urgent
    } else if urgent || tone == Tone::Frustrated || category == TicketCategory::Access {
        Priority::High
    } else if category == TicketCategory::Other {
        Priority::Low
    } else {
        Priority::Normal
    };
    let escalate = risks.iter().any(|r| {
        matches!(
            r,
            RiskClass::Legal | RiskClass::Financial | RiskClass::Violent | RiskClass::Medical
        )
    });

    let corpus = Corpus::new(
        t.articles
            .iter()
            .map(|a| format!("{} {}", a.title, a.body))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    );
    let q = corpus.query(&text);
    let mut ranked: Vec<(usize, f32)> = corpus
        .docs
        .iter()
        .enumerate()
        .map(|(i, d)| (i, d.cosine(&q)))
        .filter(|(_, s)| *s >= 0.15)
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.truncate(2);
    let cited: Vec<String> = ranked
        .iter()
        .map(|(i, _)| t.articles[*i].title.clone())
        .collect();

    let greeting = match t
        .customer_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(n) => format!("Hi {n},"),
        None => "Hi,".to_string(),
    };
    let ack = match category {
        TicketCategory::Billing => "thanks for flagging this billing question — I'm looking into your payment now.",
        TicketCategory::Access => "sorry you're having trouble getting in — let's get you back into your account.",
        TicketCategory::Bug => "thanks for reporting this, and sorry for the trouble — I've passed the details to our team.",
        TicketCategory::Delivery => "thanks for letting us know — I'm checking the status of your delivery with the team.",
        TicketCategory::Other => "thanks for getting in touch.",
    };
    let mut reply = format!("{greeting}\n\n{}{}", ack[..1].to_uppercase(), &ack[1..]);
    if !cited.is_empty() {
        reply.push_str("\n\nThese articles may help right away:");
        for c in &cited {
            reply.push_str(&format!("\n- {c}"));
        }
    }
    if escalate {
        reply.push_str("\n\nI've asked a senior member of the team to look at this personally, and they will reply to you directly.");
    } else {
        reply.push_str("\n\nI'll update you here as soon as I know more.");
    }
    let reason = format!(
        "{} ticket, {} priority{}{}",
        category.as_str(),
        priority.as_str(),
        if cited.is_empty() {
            String::new()
        } else {
            format!(", cites {}", cited.join(", "))
        },
        if escalate {
            "; escalated: legal, financial or safety risk"
        } else {
            ""
        }
    );
    Analysis::new(
        SupportDraft {
            category,
            priority,
            reply,
            cited_articles: cited,
            escalate,
        },
        if category == TicketCategory::Other {
            0.35
        } else {
            0.65
        },
        reason,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::{KbArticle, MilestoneSnapshot};

    #[test]
    fn overdue_and_silent_projects_are_high_risk() {
        let p = ProjectSnapshot {
            milestones: vec![
                MilestoneSnapshot {
                    title: "Design".into(),
                    due_in_days: -9,
                    state: MilestoneState::InProgress,
                    progress_pct: 60,
                },
                MilestoneSnapshot {
                    title: "Build".into(),
                    due_in_days: 20,
                    state: MilestoneState::Planned,
                    progress_pct: 0,
                },
            ],
            customer_silent_days: Some(12),
            freelancer_silent_days: Some(1),
            overdue_tasks: 2,
            open_tasks: 8,
        };
        let r = project_risk(&p).output;
        assert_eq!(r.level, RiskLevel::High);
        assert_eq!(r.signals.len(), 3);
        let calm = ProjectSnapshot {
            milestones: vec![],
            customer_silent_days: Some(1),
            freelancer_silent_days: None,
            overdue_tasks: 0,
            open_tasks: 3,
        };
        assert_eq!(project_risk(&calm).output.level, RiskLevel::Low);
    }

    #[test]
    fn qa_check_finds_met_and_missing_criteria() {
        let r = qa_check(&QaInput {
            acceptance_criteria: vec![
                "Final logo files in SVG, PNG and PDF".into(),
                "Brand guide covering colours and typography".into(),
            ],
            submission: "Attached are the final logo files in SVG, PNG and PDF formats.".into(),
            attachments: vec!["logo-final.svg".into()],
        })
        .output;
        assert_eq!(r.criteria[0].status, CriterionStatus::Met);
        assert_eq!(r.criteria[1].status, CriterionStatus::Missing);
        assert_eq!(r.recommendation, QaRecommendation::RequestChanges);
    }

    #[test]
    fn support_cites_articles_and_escalates_chargebacks() {
        let t = Ticket {
            subject: "Charged twice".into(),
            body: "I was charged twice for my invoice, fix it or I'll file a chargeback".into(),
            customer_name: Some("Lena".into()),
            articles: vec![
                KbArticle {
                    title: "Refunds and double charges".into(),
                    body: "If you were charged twice for an invoice we refund the duplicate".into(),
                },
                KbArticle {
                    title: "Resetting your password".into(),
                    body: "Use the forgot password link".into(),
                },
            ],
        };
        let d = support(&t).output;
        assert_eq!(d.category, TicketCategory::Billing);
        assert!(d.escalate);
        assert_eq!(d.cited_articles, ["Refunds and double charges"]);
        assert!(d.reply.starts_with("Hi Lena,"));
    }
}
