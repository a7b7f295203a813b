//! Automation rules: what the scheduler looks for in projects and what it tells people. The
//! findings are advisory alerts for ops, admins or support; a person acts on each (assigns the
//! suggested PM, sends the drafted follow-up, chases the milestone) or dismisses it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::project::str_enum;

str_enum!(
    /// What an alert is about.
    AlertRule {
        /// A new project has no PM; here is who has the most room.
        PmSuggested => "pm_suggested", "Suggested PM",
        /// A milestone is past its due date and not delivered.
        MilestoneOverdue => "milestone_overdue", "Milestone past due",
        /// Funds have been held for a milestone for too long.
        FundsHeldLong => "funds_held_long", "Funds held too long",
        /// A customer has not answered a delivery waiting for them.
        CustomerIdle => "customer_idle", "Customer idle",
        /// A freelancer's rating fell low: QA audits their recent work.
        RatingLow => "rating_low", "QA audit",
        /// The payment provider has not taken a refund after several tries, or refused it.
        RefundFailing => "refund_failing", "Refund not paid",
    }
);

impl AlertRule {
    /// Who handles it.
    pub fn audience(self) -> &'static str {
        match self {
            Self::PmSuggested | Self::MilestoneOverdue => "Ops",
            Self::FundsHeldLong | Self::RefundFailing => "Admins",
            Self::CustomerIdle => "Support",
            Self::RatingLow => "QA",
        }
    }
}

/// Days funds may stay held for one milestone before admins are told: well inside the
/// 90 days within which a held amount must be released, refunded or decided.
pub const HELD_FUNDS_ALERT_DAYS: i32 = 45;

/// Days a delivery may wait for the customer's answer before support drafts a follow-up.
pub const CUSTOMER_IDLE_DAYS: i32 = 3;

/// A rating below this (out of 5) calls for a QA audit…
pub const LOW_RATING: f32 = 3.5;
/// …once it rests on at least this many reviews.
pub const LOW_RATING_MIN_REVIEWS: i32 = 3;

/// An alert, as the ops page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpsAlert {
    /// Its id.
    pub id: uuid::Uuid,
    /// What it is about.
    pub rule: AlertRule,
    /// The project, if it is about one.
    pub project_id: Option<uuid::Uuid>,
    /// Its name.
    pub project: Option<String>,
    /// One line.
    pub title: String,
    /// The detail, or the drafted message.
    pub body: String,
    /// The suggested PM's name.
    pub suggested: Option<String>,
    /// Whether accepting it tries a refund again.
    #[serde(default)]
    pub retry: bool,
    /// `open`, `accepted`, `done` or `dismissed`.
    pub status: String,
    /// When it was raised (RFC 3339).
    pub at: String,
}

/// The follow-up support may send a customer who has not answered a delivery: a draft they
/// edit before sending.
pub fn follow_up_draft(customer: &str, milestone: &str, project: &str, days: i64) -> String {
    let first = customer.split_whitespace().next().unwrap_or(customer);
    let waited = match days {
        d if d <= 1 => "a day".to_owned(),
        d => format!("{d} days"),
    };
    format!(
        "Hi {first},\n\n“{milestone}” in {project} was delivered and passed our QA review {waited} ago, and it is waiting for your approval. Could you take a look? You can approve it, ask for changes, or tell us if anything is unclear — we are happy to walk you through it on a call.\n\nIf we do not hear from you, it will be approved automatically at the end of the approval window.\n\nBest regards,\nFluxorae support"
    )
}

/// The alert's line for a milestone past due.
pub fn overdue_title(milestone: &str, project: &str, days_late: i64) -> String {
    let late = match days_late {
        d if d <= 1 => "1 day".to_owned(),
        d => format!("{d} days"),
    };
    format!("“{milestone}” in {project} is {late} past due")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_follow_up_greets_by_first_name_and_says_what_waits() {
        let d = follow_up_draft("Cai Customer", "Design", "Ceramics store", 4);
        assert!(d.starts_with("Hi Cai,"), "{d}");
        assert!(d.contains("“Design” in Ceramics store"), "{d}");
        assert!(d.contains("4 days ago"), "{d}");
        assert!(follow_up_draft("Cai", "D", "P", 1).contains("a day ago"));
    }

    #[test]
    fn overdue_says_how_late() {
        assert_eq!(
            overdue_title("Build", "Shop", 0),
            "“Build” in Shop is 1 day past due"
        );
        assert_eq!(
            overdue_title("Build", "Shop", 5),
            "“Build” in Shop is 5 days past due"
        );
    }

    #[test]
    fn every_rule_has_someone_to_handle_it() {
        for r in AlertRule::ALL {
            assert!(!r.audience().is_empty());
            assert_eq!(AlertRule::parse(r.as_str()), Some(*r));
        }
    }
}
