//! Token billing for sales teams: what each paid operation costs, and what a plan's monthly
//! credits and daily burn limit allow. Amounts are kept in tenths of a token (the rate card has
//! halves and tenths), so every sum is exact.

use serde::{Deserialize, Serialize};

/// A paid operation of the lead engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// A contact's phone or email verified.
    Verification,
    /// A lead scored.
    Scoring,
    /// An inbound WhatsApp message handled.
    InboundWhatsapp,
    /// Intent read from a message.
    Intent,
    /// A qualification message drafted.
    QualificationMessage,
    /// A persuasion message drafted.
    PersuasionMessage,
    /// A cold lead re-engaged.
    ColdRecovery,
    /// A conversation escalated to a person.
    Escalation,
    /// An appointment booked.
    Appointment,
    /// A lead routed to an SDR.
    Routing,
    /// An inbound Instagram or Messenger message handled.
    InboundSocialDm,
    /// A person reviewed an AI decision.
    HumanReview,
}

impl Operation {
    /// Every operation, in rate-card order.
    pub const ALL: [Operation; 12] = [
        Self::Verification,
        Self::Scoring,
        Self::InboundWhatsapp,
        Self::Intent,
        Self::QualificationMessage,
        Self::PersuasionMessage,
        Self::ColdRecovery,
        Self::Escalation,
        Self::Appointment,
        Self::Routing,
        Self::InboundSocialDm,
        Self::HumanReview,
    ];

    /// Its stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verification => "verification",
            Self::Scoring => "scoring",
            Self::InboundWhatsapp => "inbound_whatsapp",
            Self::Intent => "intent",
            Self::QualificationMessage => "qualification_message",
            Self::PersuasionMessage => "persuasion_message",
            Self::ColdRecovery => "cold_recovery",
            Self::Escalation => "escalation",
            Self::Appointment => "appointment",
            Self::Routing => "routing",
            Self::InboundSocialDm => "inbound_social_dm",
            Self::HumanReview => "human_review",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Its price in tenths of a token.
    pub fn tenths(self) -> i64 {
        match self {
            Self::Verification => 5,
            Self::Scoring => 5,
            Self::InboundWhatsapp => 1,
            Self::Intent => 10,
            Self::QualificationMessage => 20,
            Self::PersuasionMessage => 30,
            Self::ColdRecovery => 25,
            Self::Escalation => 5,
            Self::Appointment => 10,
            Self::Routing => 10,
            Self::InboundSocialDm => 2,
            Self::HumanReview => 50,
        }
    }
}

/// Tenths of a token as people read them: `12.5`, `3`, `0.1`.
pub fn tokens(tenths: i64) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    let t = tenths.unsigned_abs();
    let (whole, tenth) = (t / 10, t % 10);
    let grouped = crate::money::grouped(whole);
    if tenth == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{tenth}")
    }
}

/// A team's plan: its monthly credits and daily burn limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// For a team trying it out.
    Starter,
    /// For a working sales team.
    Growth,
    /// For many SDRs and channels.
    Scale,
}

impl Plan {
    /// Every plan, smallest first.
    pub const ALL: [Plan; 3] = [Self::Starter, Self::Growth, Self::Scale];

    /// Its stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starter => "starter",
            Self::Growth => "growth",
            Self::Scale => "scale",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Starter => "Starter",
            Self::Growth => "Growth",
            Self::Scale => "Scale",
        }
    }

    /// Tokens a month, in tenths.
    pub fn monthly(self) -> i64 {
        match self {
            Self::Starter => 5_000 * 10,
            Self::Growth => 50_000 * 10,
            Self::Scale => 500_000 * 10,
        }
    }

    /// The most tokens a day, in tenths.
    pub fn daily_limit(self) -> i64 {
        match self {
            Self::Starter => 500 * 10,
            Self::Growth => 5_000 * 10,
            Self::Scale => 50_000 * 10,
        }
    }
}

/// Where a tenant's usage stands against its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Usage {
    /// Below half of the month's credits.
    Fine,
    /// Half of the month's credits used.
    Half,
    /// 80 % of the month's credits used.
    Most,
    /// Everything used, or today's burn limit reached: paid operations pause.
    Paused,
}

/// A plan's allowance and what was used of it, in tenths of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowance {
    /// Credits for the month, including top-ups.
    pub monthly: i64,
    /// The most that may be spent in one day.
    pub daily_limit: i64,
    /// Spent this month.
    pub used_month: i64,
    /// Spent today.
    pub used_today: i64,
}

/// Why an operation may not run now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The month's credits are used up.
    OutOfCredits,
    /// Today's burn limit is reached.
    DailyLimit,
}

impl Refusal {
    /// The banner's words.
    pub fn message(self) -> &'static str {
        match self {
            Self::OutOfCredits => "Your team has used all of this month's tokens, so AI drafts, scoring and routing are paused. Buy tokens on the team's tokens page (owners and admins) to resume them at once; messages still arrive and nothing is lost.",
            Self::DailyLimit => "Your team has reached today's token limit, so AI drafts, scoring and routing are paused until midnight UTC or a larger plan. Messages still arrive and nothing is lost.",
        }
    }
}

impl Usage {
    /// Its stable name (the warnings' `level`); `None` for [`Usage::Fine`].
    pub fn level(self) -> Option<&'static str> {
        match self {
            Self::Fine => None,
            Self::Half => Some("half"),
            Self::Most => Some("most"),
            Self::Paused => Some("paused"),
        }
    }
}

impl Allowance {
    /// The banner a team sees at this usage: none below half of the month's credits and
    /// under today's limit.
    pub fn notice(&self) -> Option<String> {
        if self.used_today >= self.daily_limit && self.used_month < self.monthly {
            return Some(Refusal::DailyLimit.message().to_owned());
        }
        self.month_notice()
    }

    /// What the month's credits alone call for (the warnings mailed at half, 80 % and all).
    pub fn month_notice(&self) -> Option<String> {
        let of = |used: i64, all: i64| format!("{} of {}", tokens(used), tokens(all));
        match self.month_usage() {
            Usage::Fine => None,
            Usage::Half => Some(format!(
                "Your team has used half of this month's tokens ({}).",
                of(self.used_month, self.monthly)
            )),
            Usage::Most => Some(format!(
                "Your team has used 80 % of this month's tokens ({}). Paid operations pause when they run out.",
                of(self.used_month, self.monthly)
            )),
            Usage::Paused => Some(Refusal::OutOfCredits.message().to_owned()),
        }
    }

    /// How far into the month's credits the tenant is, paused as well when today's limit is
    /// reached.
    pub fn usage(&self) -> Usage {
        if self.used_today >= self.daily_limit {
            return Usage::Paused;
        }
        self.month_usage()
    }

    /// How far into the month's credits alone (what the warnings are about).
    pub fn month_usage(&self) -> Usage {
        if self.used_month >= self.monthly {
            return Usage::Paused;
        }
        // Compare without dividing: used/monthly ≥ 0.8 ⇔ 10·used ≥ 8·monthly.
        if 10 * self.used_month >= 8 * self.monthly {
            Usage::Most
        } else if 2 * self.used_month >= self.monthly {
            Usage::Half
        } else {
            Usage::Fine
        }
    }

    /// Whether `op` may run now; it may when it fits in what is left of both the month and the
    /// day.
    pub fn allows(&self, op: Operation) -> Result<(), Refusal> {
        let cost = op.tenths();
        if self.used_month + cost > self.monthly {
            Err(Refusal::OutOfCredits)
        } else if self.used_today + cost > self.daily_limit {
            Err(Refusal::DailyLimit)
        } else {
            Ok(())
        }
    }

    /// The warning that crossing from `before` to this usage should send, once.
    pub fn crossed(before: Usage, after: Usage) -> Option<Usage> {
        let rank = |u: Usage| match u {
            Usage::Fine => 0,
            Usage::Half => 1,
            Usage::Most => 2,
            Usage::Paused => 3,
        };
        (rank(after) > rank(before)).then_some(after)
    }
}

/// What an operation cost a team this month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationUse {
    /// Which.
    pub operation: Operation,
    /// How many times.
    pub count: i64,
    /// In tenths of a token.
    pub tenths: i64,
}

/// Credits added to a team's month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopUp {
    /// In tenths of a token.
    pub tenths: i64,
    /// Why.
    pub note: String,
    /// When (RFC 3339).
    pub at: String,
}

/// A team's tokens: its plan, what it used this month and today, and on what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenStatus {
    /// The team's name.
    pub team: String,
    /// Its plan.
    pub plan: Plan,
    /// Credits (with this month's top-ups), the daily limit and what was used.
    pub allowance: Allowance,
    /// Where that stands.
    pub usage: Usage,
    /// The banner, from half of the month's credits on.
    pub notice: Option<String>,
    /// This month's charges by operation, in rate-card order.
    pub by_operation: Vec<OperationUse>,
    /// This month's top-ups, newest first.
    pub topups: Vec<TopUp>,
    /// The asker may buy tokens by card (owners and admins).
    #[serde(default)]
    pub can_buy: bool,
    /// The key of the purchase form as shown: pressing it twice pays once.
    #[serde(default)]
    pub purchase_key: String,
    /// A purchase whose card asked the buyer to confirm it with their bank, not confirmed yet
    /// (the latest of the last day's).
    #[serde(default)]
    pub awaiting_bank: Option<AwaitingPurchase>,
}

/// A token purchase waiting for the buyer to confirm it with their bank (3-D Secure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingPurchase {
    /// The purchase, for the confirm step.
    pub id: uuid::Uuid,
    /// "5,000 tokens for $90.00".
    pub pack: String,
}

/// The most tokens one top-up adds.
pub const TOP_UP_MAX: i64 = 1_000_000;

/// A top-up as staff type it: whole tokens and a note; or what is wrong, field by field.
pub fn parse_top_up(tokens: &str, note: &str) -> Result<(i64, String), Vec<crate::FieldError>> {
    let mut errors = Vec::new();
    let amount = tokens.trim().replace(',', "").parse::<i64>().ok();
    let amount = match amount {
        Some(n) if (1..=TOP_UP_MAX).contains(&n) => n * 10,
        _ => {
            errors.push(crate::FieldError::new(
                "tokens",
                "Enter a whole number of tokens from 1 to 1,000,000.",
            ));
            0
        }
    };
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 200 {
        errors.push(crate::FieldError::new(
            "note",
            "Say why, in up to 200 characters (the team sees it).",
        ));
    }
    if errors.is_empty() {
        Ok((amount, note.to_owned()))
    } else {
        Err(errors)
    }
}

/// A pack of tokens a team buys by card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pack {
    /// What the form sends.
    pub id: &'static str,
    /// Whole tokens added to the month.
    pub tokens: i64,
    /// Its price in US cents.
    pub cents: i64,
}

impl Pack {
    /// "5,000 tokens for $90.00".
    pub fn label(&self) -> String {
        format!(
            "{} tokens for ${}.{:02}",
            tokens(self.tokens * 10),
            self.cents / 100,
            self.cents % 100
        )
    }
}

/// The packs on sale: the more tokens, the lower the price of each.
pub const PACKS: [Pack; 3] = [
    Pack {
        id: "1k",
        tokens: 1_000,
        cents: 2_000,
    },
    Pack {
        id: "5k",
        tokens: 5_000,
        cents: 9_000,
    },
    Pack {
        id: "20k",
        tokens: 20_000,
        cents: 32_000,
    },
];

/// The pack a form names.
pub fn pack(id: &str) -> Option<Pack> {
    PACKS.iter().copied().find(|p| p.id == id.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_read_as_sold_and_get_cheaper_per_token() {
        let labels: Vec<String> = PACKS.iter().map(Pack::label).collect();
        assert_eq!(
            labels,
            [
                "1,000 tokens for $20.00",
                "5,000 tokens for $90.00",
                "20,000 tokens for $320.00"
            ]
        );
        assert!(PACKS
            .windows(2)
            .all(|w| w[1].cents * w[0].tokens < w[0].cents * w[1].tokens));
        assert_eq!(pack(" 5k "), Some(PACKS[1]));
        assert_eq!(pack("2k"), None);
    }

    #[test]
    fn the_rate_card_reads_as_published() {
        let card: Vec<String> = Operation::ALL
            .iter()
            .map(|o| format!("{} {}", o.as_str(), tokens(o.tenths())))
            .collect();
        assert_eq!(
            card,
            [
                "verification 0.5",
                "scoring 0.5",
                "inbound_whatsapp 0.1",
                "intent 1",
                "qualification_message 2",
                "persuasion_message 3",
                "cold_recovery 2.5",
                "escalation 0.5",
                "appointment 1",
                "routing 1",
                "inbound_social_dm 0.2",
                "human_review 5",
            ]
        );
        for o in Operation::ALL {
            assert_eq!(Operation::parse(o.as_str()), Some(o));
        }
    }

    fn plan(used_month: i64, used_today: i64) -> Allowance {
        Allowance {
            monthly: 10_000,
            daily_limit: 1_000,
            used_month,
            used_today,
        }
    }

    #[test]
    fn warnings_come_at_half_and_eighty_percent_and_work_pauses_at_all() {
        assert_eq!(plan(4_999, 0).usage(), Usage::Fine);
        assert_eq!(plan(5_000, 0).usage(), Usage::Half);
        assert_eq!(plan(7_999, 0).usage(), Usage::Half);
        assert_eq!(plan(8_000, 0).usage(), Usage::Most);
        assert_eq!(plan(10_000, 0).usage(), Usage::Paused);
        assert_eq!(plan(100, 1_000).usage(), Usage::Paused);
        assert_eq!(plan(100, 1_000).month_usage(), Usage::Fine);
        assert_eq!(
            Allowance::crossed(Usage::Fine, Usage::Most),
            Some(Usage::Most)
        );
        assert_eq!(Allowance::crossed(Usage::Most, Usage::Most), None);
        assert_eq!(Allowance::crossed(Usage::Paused, Usage::Fine), None);
    }

    #[test]
    fn an_operation_runs_only_when_it_fits_the_month_and_the_day() {
        assert_eq!(plan(9_950, 0).allows(Operation::HumanReview), Ok(()));
        assert_eq!(
            plan(9_951, 0).allows(Operation::HumanReview),
            Err(Refusal::OutOfCredits)
        );
        assert_eq!(plan(0, 999).allows(Operation::InboundWhatsapp), Ok(()));
        assert_eq!(
            plan(0, 999).allows(Operation::Scoring),
            Err(Refusal::DailyLimit)
        );
        assert!(Refusal::OutOfCredits.message().contains("Buy tokens"));
    }

    #[test]
    fn the_banner_says_how_far_and_what_pauses() {
        assert_eq!(plan(4_999, 0).notice(), None);
        assert_eq!(
            plan(5_000, 0).notice().unwrap(),
            "Your team has used half of this month's tokens (500 of 1,000)."
        );
        assert!(plan(8_000, 0)
            .notice()
            .unwrap()
            .starts_with("Your team has used 80 %"));
        assert!(plan(10_000, 0).notice().unwrap().contains("Buy tokens"));
        assert!(plan(0, 1_000)
            .notice()
            .unwrap()
            .contains("today's token limit"));
        for p in Plan::ALL {
            assert_eq!(Plan::parse(p.as_str()), Some(p));
            assert!(p.daily_limit() * 10 == p.monthly());
        }
    }

    #[test]
    fn a_top_up_is_whole_tokens_with_a_reason() {
        assert_eq!(
            parse_top_up(" 10,000 ", " Paid invoice 1042 "),
            Ok((100_000, "Paid invoice 1042".into()))
        );
        let e = parse_top_up("0.5", "").unwrap_err();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].field, "tokens");
        assert_eq!(e[1].field, "note");
        assert!(parse_top_up("1000001", "x").is_err());
        assert!(parse_top_up("-3", "x").is_err());
    }

    #[test]
    fn tokens_print_exactly() {
        assert_eq!(tokens(0), "0");
        assert_eq!(tokens(125), "12.5");
        assert_eq!(tokens(-5), "-0.5");
        assert_eq!(tokens(500_000), "50,000");
        assert_eq!(tokens(12_345_675), "1,234,567.5");
    }
}
