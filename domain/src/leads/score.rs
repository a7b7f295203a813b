//! A lead's score, 0–100, from five weighted factors: budget 30 %, intent 25 %, engagement 20 %,
//! response latency 15 %, lifecycle 10 %. Each factor rates the lead 0–100 with a reason a
//! person can check; the score is their weighted sum, and the three factors that added the most
//! are kept with it, so an SDR sees why a lead is HOT and not just that it is.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ai::{LeadBand, LeadIntent};
use crate::project::str_enum;

str_enum!(
    /// Where a lead stands in the sales process.
    Lifecycle {
        /// Just arrived; nobody has talked with them.
        New => "new", "New",
        /// An SDR has written; no answer yet.
        Contacted => "contacted", "Contacted",
        /// A conversation is going.
        Engaged => "engaged", "Engaged",
        /// Budget, need and timing are known.
        Qualified => "qualified", "Qualified",
        /// A proposal or quote was sent.
        Proposal => "proposal", "Proposal sent",
        /// They bought.
        Won => "won", "Won",
        /// They said no, or went silent for good.
        Lost => "lost", "Lost",
    }
);

/// What the score is computed from: the AI qualification of the conversation (budget, intent,
/// signals, objections) and facts the inbox knows (messages, timing, stage).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreInput {
    /// The budget they stated, in US dollars.
    pub budget_usd: Option<u32>,
    /// Their buying intent, when the conversation shows one.
    pub intent: Option<LeadIntent>,
    /// Buying signals seen (asked for a quote, wants a call, asked how to pay…).
    pub buying_signals: u32,
    /// Objections raised.
    pub objections: u32,
    /// Messages they sent us.
    pub inbound_messages: u32,
    /// Hours since their last message, if they wrote at all.
    pub hours_since_inbound: Option<f64>,
    /// How long they take to answer us, in minutes (the median), once they have answered.
    pub reply_minutes: Option<u32>,
    /// Where they stand.
    pub lifecycle: Lifecycle,
}

/// A factor of the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    /// The budget they stated.
    Budget,
    /// How ready they are to buy.
    Intent,
    /// How much, and how lately, they write.
    Engagement,
    /// How fast they answer.
    Latency,
    /// Where they stand in the process.
    Lifecycle,
}

impl FactorKind {
    /// Every factor, in weight order.
    pub const ALL: [FactorKind; 5] = [
        Self::Budget,
        Self::Intent,
        Self::Engagement,
        Self::Latency,
        Self::Lifecycle,
    ];

    /// Its weight in percent; the five add up to 100.
    pub fn weight(self) -> u32 {
        match self {
            Self::Budget => 30,
            Self::Intent => 25,
            Self::Engagement => 20,
            Self::Latency => 15,
            Self::Lifecycle => 10,
        }
    }

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Budget => "Budget",
            Self::Intent => "Intent",
            Self::Engagement => "Engagement",
            Self::Latency => "Response time",
            Self::Lifecycle => "Stage",
        }
    }
}

/// One factor's rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreFactor {
    /// Which factor.
    pub kind: FactorKind,
    /// Its rating, 0–100.
    pub rating: u32,
    /// What it adds to the score: rating × weight, in hundredths of a point.
    pub contribution: u32,
    /// Why, in words a person can check.
    pub reason: String,
}

/// A lead's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadScore {
    /// 0–100.
    pub score: u8,
    /// HOT 61–100, WARM 31–60, COLD 0–30.
    pub band: LeadBand,
    /// Every factor, in weight order.
    pub factors: Vec<ScoreFactor>,
    /// The three factors that added the most, most first.
    pub top: Vec<FactorKind>,
    /// The top three in a sentence.
    pub reasoning: String,
}

/// The band a score falls in: HOT 61–100, WARM 31–60, COLD 0–30.
pub fn band(score: u8) -> LeadBand {
    match score {
        61.. => LeadBand::Hot,
        31..=60 => LeadBand::Warm,
        _ => LeadBand::Cold,
    }
}

/// Whole US dollars as people read them: `$60,000`.
pub(crate) fn dollars(usd: u32) -> String {
    format!("${}", crate::money::grouped(u64::from(usd)))
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn budget(input: &ScoreInput) -> (u32, String) {
    match input.budget_usd {
        None => (20, "No budget stated yet".into()),
        Some(b) => {
            let rating = match b {
                50_000.. => 100,
                20_000..=49_999 => 85,
                5_000..=19_999 => 65,
                1_000..=4_999 => 40,
                _ => 15,
            };
            (rating, format!("Budget of {} stated", dollars(b)))
        }
    }
}

fn intent(input: &ScoreInput) -> (u32, String) {
    let (base, what) = match input.intent {
        Some(LeadIntent::High) => (80, "Ready to buy"),
        Some(LeadIntent::Medium) => (50, "Interested"),
        Some(LeadIntent::Low) => (20, "Only exploring"),
        None => (30, "Intent not clear yet"),
    };
    let rating = (base + 10 * input.buying_signals.min(2)).saturating_sub(10 * input.objections);
    let mut reason = what.to_owned();
    if input.buying_signals > 0 {
        reason.push_str(&format!(
            ", {}",
            plural(input.buying_signals, "buying signal", "buying signals")
        ));
    }
    if input.objections > 0 {
        reason.push_str(&format!(
            ", {}",
            plural(input.objections, "objection", "objections")
        ));
    }
    (rating.min(100), reason)
}

fn engagement(input: &ScoreInput) -> (u32, String) {
    let n = input.inbound_messages;
    let by_count = match n {
        0 => 0,
        1 => 35,
        2 => 55,
        3 | 4 => 75,
        _ => 90,
    };
    let messages = plural(n, "message", "messages");
    match input.hours_since_inbound {
        Some(h) if n > 0 && h <= 24.0 => (
            (by_count + 10).min(100),
            format!("{messages} from them, the last within a day"),
        ),
        Some(h) if n > 0 && h > 24.0 * 7.0 => (
            by_count / 2,
            format!(
                "{messages} from them, none for {} days",
                (h / 24.0).floor() as u32
            ),
        ),
        _ if n == 0 => (0, "They have not written yet".into()),
        _ => (by_count, format!("{messages} from them")),
    }
}

fn latency(input: &ScoreInput) -> (u32, String) {
    match input.reply_minutes {
        None => (50, "Has not answered us yet".into()),
        Some(m) => {
            let rating = match m {
                0..=5 => 100,
                6..=30 => 85,
                31..=120 => 70,
                121..=1_440 => 45,
                1_441..=4_320 => 25,
                _ => 10,
            };
            let took = if m < 60 {
                plural(m, "minute", "minutes")
            } else if m < 48 * 60 {
                plural(m / 60, "hour", "hours")
            } else {
                plural(m / 1_440, "day", "days")
            };
            (rating, format!("Answers in about {took}"))
        }
    }
}

fn lifecycle(input: &ScoreInput) -> (u32, String) {
    let rating = match input.lifecycle {
        Lifecycle::New => 30,
        Lifecycle::Contacted => 40,
        Lifecycle::Engaged => 55,
        Lifecycle::Qualified => 75,
        Lifecycle::Proposal => 90,
        Lifecycle::Won => 100,
        Lifecycle::Lost => 5,
    };
    (rating, format!("Stage: {}", input.lifecycle.label()))
}

/// Scores a lead.
pub fn score(input: &ScoreInput) -> LeadScore {
    let factors: Vec<ScoreFactor> = FactorKind::ALL
        .into_iter()
        .map(|kind| {
            let (rating, reason) = match kind {
                FactorKind::Budget => budget(input),
                FactorKind::Intent => intent(input),
                FactorKind::Engagement => engagement(input),
                FactorKind::Latency => latency(input),
                FactorKind::Lifecycle => lifecycle(input),
            };
            let rating = rating.min(100);
            ScoreFactor {
                kind,
                rating,
                contribution: rating * kind.weight(),
                reason,
            }
        })
        .collect();
    let total: u32 = factors.iter().map(|f| f.contribution).sum();
    // Hundredths of a point, rounded half up; at most 100 since the weights add up to 100.
    let score = ((total + 50) / 100).min(100) as u8;
    let mut ranked: Vec<&ScoreFactor> = factors.iter().collect();
    // Most added first; a tie goes to the heavier factor (ALL is in weight order, sort is stable).
    ranked.sort_by_key(|f| std::cmp::Reverse(f.contribution));
    let top: Vec<FactorKind> = ranked.iter().take(3).map(|f| f.kind).collect();
    let reasoning = format!(
        "{} ({}): {}.",
        band(score).as_str().to_uppercase(),
        score,
        ranked
            .iter()
            .take(3)
            .map(|f| f.reason.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    );
    LeadScore {
        score,
        band: band(score),
        factors,
        top,
        reasoning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ScoreInput {
        ScoreInput {
            budget_usd: None,
            intent: None,
            buying_signals: 0,
            objections: 0,
            inbound_messages: 0,
            hours_since_inbound: None,
            reply_minutes: None,
            lifecycle: Lifecycle::New,
        }
    }

    #[test]
    fn the_weights_add_up_to_a_hundred() {
        assert_eq!(FactorKind::ALL.iter().map(|f| f.weight()).sum::<u32>(), 100);
    }

    #[test]
    fn bands_have_the_documented_edges() {
        for (s, b) in [
            (0, LeadBand::Cold),
            (30, LeadBand::Cold),
            (31, LeadBand::Warm),
            (60, LeadBand::Warm),
            (61, LeadBand::Hot),
            (100, LeadBand::Hot),
        ] {
            assert_eq!(band(s), b, "{s}");
        }
    }

    #[test]
    fn a_lead_nobody_knows_anything_about_is_cold() {
        let s = score(&input());
        // 20×30 + 30×25 + 0×20 + 50×15 + 30×10 = 2,400 hundredths.
        assert_eq!(s.score, 24);
        assert_eq!(s.band, LeadBand::Cold);
        assert_eq!(s.factors.len(), 5);
    }

    #[test]
    fn a_big_ready_buyer_who_answers_fast_is_hot_and_says_why() {
        let s = score(&ScoreInput {
            budget_usd: Some(60_000),
            intent: Some(LeadIntent::High),
            buying_signals: 2,
            objections: 0,
            inbound_messages: 4,
            hours_since_inbound: Some(1.0),
            reply_minutes: Some(3),
            lifecycle: Lifecycle::Qualified,
        });
        // 100×30 + 100×25 + 85×20 + 100×15 + 75×10 = 9,450.
        assert_eq!(s.score, 95);
        assert_eq!(s.band, LeadBand::Hot);
        assert_eq!(
            s.top,
            vec![
                FactorKind::Budget,
                FactorKind::Intent,
                FactorKind::Engagement
            ]
        );
        assert!(s.reasoning.starts_with("HOT (95): Budget of $60,000 stated; Ready to buy, 2 buying signals; 4 messages from them, the last within a day."), "{}", s.reasoning);
    }

    #[test]
    fn a_middling_lead_is_warm() {
        let s = score(&ScoreInput {
            budget_usd: Some(8_000),
            intent: Some(LeadIntent::Medium),
            buying_signals: 0,
            objections: 1,
            inbound_messages: 2,
            hours_since_inbound: Some(30.0),
            reply_minutes: Some(200),
            lifecycle: Lifecycle::Engaged,
        });
        // 65×30 + 40×25 + 55×20 + 45×15 + 55×10 = 5,275 → 53.
        assert_eq!(s.score, 53);
        assert_eq!(s.band, LeadBand::Warm);
        let intent = &s.factors[1];
        assert_eq!(intent.reason, "Interested, 1 objection");
        assert_eq!(s.factors[3].reason, "Answers in about 3 hours");
    }

    #[test]
    fn objections_pull_intent_down_but_never_below_zero() {
        let mut i = input();
        i.intent = Some(LeadIntent::Low);
        i.objections = 5;
        let s = score(&i);
        assert_eq!(s.factors[1].rating, 0);
    }

    #[test]
    fn a_lead_gone_quiet_for_a_week_loses_half_its_engagement() {
        let mut i = input();
        i.inbound_messages = 5;
        i.hours_since_inbound = Some(24.0 * 10.0);
        let s = score(&i);
        assert_eq!(s.factors[2].rating, 45);
        assert_eq!(
            s.factors[2].reason,
            "5 messages from them, none for 10 days"
        );
    }

    #[test]
    fn scores_stay_within_bounds_and_move_the_right_way() {
        for budget in [None, Some(0), Some(999), Some(5_000), Some(1_000_000)] {
            for &lifecycle in Lifecycle::ALL {
                for reply in [None, Some(0), Some(10_000)] {
                    let mut i = input();
                    i.budget_usd = budget;
                    i.lifecycle = lifecycle;
                    i.reply_minutes = reply;
                    let s = score(&i);
                    assert!(s.score <= 100);
                    assert_eq!(s.top.len(), 3);
                    // More budget never lowers the score.
                    let mut richer = i.clone();
                    richer.budget_usd = Some(budget.unwrap_or(0).saturating_add(50_000));
                    assert!(score(&richer).score >= s.score, "{i:?}");
                }
            }
        }
    }

    #[test]
    fn stages_round_trip() {
        for &l in Lifecycle::ALL {
            assert_eq!(Lifecycle::parse(l.as_str()), Some(l));
        }
        assert_eq!(Lifecycle::parse("maybe"), None);
    }
}
