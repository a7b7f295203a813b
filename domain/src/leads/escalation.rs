//! When a conversation goes to a person at once, whatever its band: the AI is not sure, the money
//! is large, the lead is ready to buy or wants a call, the subject is legal, financial or medical,
//! a competitor is named, or the objections pile up. AI may draft; it never answers these alone.

use serde::{Deserialize, Serialize};

use crate::ai::text::normalize;
use crate::ai::RiskClass;

/// Below this confidence the AI's reading is not trusted.
pub const MIN_CONFIDENCE: f32 = 0.6;
/// A budget this large, in US dollars, always gets a person.
pub const BIG_BUDGET_USD: u32 = 50_000;
/// This many objections and a person takes over.
pub const MAX_OBJECTIONS: u32 = 3;

/// Why a conversation goes to a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Escalation {
    /// The AI's confidence in its reading.
    LowConfidence {
        /// 0–1.
        confidence: f32,
    },
    /// A budget of $50K or more.
    BigBudget {
        /// In US dollars.
        usd: u32,
    },
    /// They are ready to buy (asked how to pay, ready to start, asked for a quote).
    ReadyToBuy,
    /// They asked for a call or a meeting.
    WantsACall,
    /// A legal, financial or medical subject.
    Sensitive {
        /// Which.
        class: RiskClass,
    },
    /// They named a competitor.
    Competitor {
        /// As the tenant lists it.
        name: String,
    },
    /// Three objections or more.
    Objections {
        /// How many.
        count: u32,
    },
}

impl Escalation {
    /// What the person taking over is told.
    pub fn reason(&self) -> String {
        match self {
            Self::LowConfidence { confidence } => format!(
                "The AI is not sure what they want ({:.0} % confident)",
                confidence * 100.0
            ),
            Self::BigBudget { usd } => format!(
                "Budget of {}: $50,000 or more goes to a person",
                super::score::dollars(*usd)
            ),
            Self::ReadyToBuy => "Ready to buy".into(),
            Self::WantsACall => "Asked for a call".into(),
            Self::Sensitive { class } => format!("A {} subject", class.as_str()),
            Self::Competitor { name } => format!("Mentioned {name}"),
            Self::Objections { count } => format!("{count} objections"),
        }
    }
}

impl Escalation {
    /// Whether `other` is the same reason, perhaps with another figure (a new confidence, more
    /// objections): another competitor or another sensitive subject is a new reason.
    fn same_reason(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Sensitive { class: a }, Self::Sensitive { class: b }) => a == b,
            (Self::Competitor { name: a }, Self::Competitor { name: b }) => {
                normalize(a) == normalize(b)
            }
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

/// A lead's escalation after a new reading: the reasons it had, updated with the figures of
/// `found`, and the reasons of `found` that are new (to tell the person taking over). Reasons are
/// never dropped by a reading that no longer finds them: only a person closes an escalation (by
/// resolving the conversation).
pub fn merge(kept: &[Escalation], found: Vec<Escalation>) -> (Vec<Escalation>, Vec<Escalation>) {
    let mut all: Vec<Escalation> = kept.to_vec();
    let mut added = Vec::new();
    for e in found {
        match all.iter_mut().find(|k| k.same_reason(&e)) {
            Some(k) => *k = e,
            None => {
                all.push(e.clone());
                added.push(e);
            }
        }
    }
    (all, added)
}

/// The buying-signal labels of the lead qualifier (`ai::builtin::qualify`) that mean ready to buy.
pub const READY_SIGNALS: &[&str] = &[
    "asked for a quote or proposal",
    "asked how to pay",
    "ready to start",
];
/// The buying-signal label that means they want a call.
pub const CALL_SIGNAL: &str = "wants a call or meeting";

/// What the escalation rules read.
#[derive(Debug, Clone, Default)]
pub struct EscalationInput<'a> {
    /// The AI's confidence in its reading of the conversation, 0–1.
    pub confidence: f32,
    /// The budget they stated, in US dollars.
    pub budget_usd: Option<u32>,
    /// The qualifier's buying-signal labels.
    pub buying_signals: &'a [String],
    /// High-risk classes the message analyzer found.
    pub risks: &'a [RiskClass],
    /// Objections raised.
    pub objections: u32,
    /// The latest inbound text, to look for competitors in.
    pub text: &'a str,
    /// The tenant's competitors.
    pub competitors: &'a [String],
}

/// Every reason to hand the conversation to a person now; empty when AI may go on.
pub fn escalations(input: &EscalationInput<'_>) -> Vec<Escalation> {
    let mut out = Vec::new();
    if input.confidence < MIN_CONFIDENCE {
        out.push(Escalation::LowConfidence {
            confidence: input.confidence,
        });
    }
    if let Some(usd) = input.budget_usd.filter(|b| *b >= BIG_BUDGET_USD) {
        out.push(Escalation::BigBudget { usd });
    }
    let signal = |labels: &[&str]| {
        input
            .buying_signals
            .iter()
            .any(|s| labels.contains(&s.as_str()))
    };
    if signal(READY_SIGNALS) {
        out.push(Escalation::ReadyToBuy);
    }
    if signal(&[CALL_SIGNAL]) {
        out.push(Escalation::WantsACall);
    }
    for class in [RiskClass::Legal, RiskClass::Financial, RiskClass::Medical] {
        if input.risks.contains(&class) {
            out.push(Escalation::Sensitive { class });
        }
    }
    // Normalized text has a space at both ends and one between words: whole words match.
    let text = normalize(input.text);
    for name in input.competitors {
        let n = normalize(name);
        if !n.trim().is_empty() && text.contains(&n) {
            out.push(Escalation::Competitor { name: name.clone() });
        }
    }
    if input.objections >= MAX_OBJECTIONS {
        out.push(Escalation::Objections {
            count: input.objections,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sure() -> EscalationInput<'static> {
        EscalationInput {
            confidence: 0.9,
            ..Default::default()
        }
    }

    #[test]
    fn a_plain_confident_conversation_stays_with_ai() {
        assert!(escalations(&sure()).is_empty());
    }

    #[test]
    fn each_rule_escalates_at_its_edge() {
        let mut i = sure();
        i.confidence = 0.59;
        assert_eq!(
            escalations(&i),
            vec![Escalation::LowConfidence { confidence: 0.59 }]
        );
        i.confidence = 0.6;
        assert!(escalations(&i).is_empty());

        let mut i = sure();
        i.budget_usd = Some(49_999);
        assert!(escalations(&i).is_empty());
        i.budget_usd = Some(50_000);
        assert_eq!(escalations(&i), vec![Escalation::BigBudget { usd: 50_000 }]);

        let mut i = sure();
        i.objections = 2;
        assert!(escalations(&i).is_empty());
        i.objections = 3;
        assert_eq!(escalations(&i), vec![Escalation::Objections { count: 3 }]);
    }

    #[test]
    fn signals_risks_and_competitors_escalate() {
        let signals = vec![CALL_SIGNAL.to_owned(), "asked how to pay".to_owned()];
        let risks = [RiskClass::Medical, RiskClass::Abusive];
        let competitors = vec!["Acme Leads".to_owned(), "Zed".to_owned()];
        let i = EscalationInput {
            confidence: 0.95,
            buying_signals: &signals,
            risks: &risks,
            text: "Honestly ACME leads quoted us less. Zedd? no.",
            competitors: &competitors,
            ..Default::default()
        };
        let e = escalations(&i);
        assert_eq!(
            e,
            vec![
                Escalation::ReadyToBuy,
                Escalation::WantsACall,
                Escalation::Sensitive {
                    class: RiskClass::Medical
                },
                Escalation::Competitor {
                    name: "Acme Leads".into()
                },
            ]
        );
        assert_eq!(e[3].reason(), "Mentioned Acme Leads");
    }

    #[test]
    fn a_new_reading_adds_new_reasons_and_updates_known_ones() {
        let kept = vec![
            Escalation::Objections { count: 3 },
            Escalation::Competitor { name: "Zed".into() },
        ];
        let (all, added) = merge(
            &kept,
            vec![
                Escalation::Objections { count: 4 },
                Escalation::Competitor { name: "zed".into() },
                Escalation::Competitor {
                    name: "Acme Leads".into(),
                },
                Escalation::WantsACall,
            ],
        );
        assert_eq!(
            all,
            vec![
                Escalation::Objections { count: 4 },
                Escalation::Competitor { name: "zed".into() },
                Escalation::Competitor {
                    name: "Acme Leads".into()
                },
                Escalation::WantsACall,
            ]
        );
        assert_eq!(
            added,
            vec![
                Escalation::Competitor {
                    name: "Acme Leads".into()
                },
                Escalation::WantsACall
            ]
        );
        // A calm reading closes nothing.
        let (all, added) = merge(&kept, Vec::new());
        assert_eq!(all, kept);
        assert!(added.is_empty());
    }

    #[test]
    fn the_qualifier_still_uses_the_labels_read_here() {
        let q = crate::ai::builtin::qualify::analyze(&crate::ai::LeadConversation {
            messages: vec![
                "We're ready to start. Can we get on a call tomorrow? How do I pay?".into(),
            ],
        });
        let i = EscalationInput {
            confidence: 0.9,
            buying_signals: &q.output.buying_signals,
            ..Default::default()
        };
        let e = escalations(&i);
        assert!(e.contains(&Escalation::ReadyToBuy), "{q:?}");
        assert!(e.contains(&Escalation::WantsACall), "{q:?}");
    }
}
