//! Projects and their milestones: the scope a customer confirms, and the rules of the milestone
//! flow (who may move a milestone from which state to which, and what money moves with it).
//!
//! ```text
//! unfunded ─fund→ funded ─start→ in_progress ─submit→ submitted ─qa_pass→ awaiting_approval
//!                                    ↑  ↑                 │ qa_fail          │ approve / auto-approve → released
//!                                    │  └─────────────────┘                  │ request_changes → in_progress
//!                                    └───────────────────────────────────────┘ dispute → disputed
//! disputed ─resolve→ released (all or part to the freelancer, the rest refunded) | refunded
//! released ─reverse→ refunded (ops take the release back: the fee returns, the customer is repaid)
//! ```
//!
//! Every rule here compiles to wasm, so the workspace shows only the buttons the server accepts.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::money::{Currency, Money};
use crate::roles::PlatformRole;
use crate::{AppError, Validator};

/// The platform's fee when no admin has set one: 20 %.
pub const DEFAULT_FEE_BPS: u32 = 2_000;
/// The largest fee an admin may set: 50 %.
pub const MAX_FEE_BPS: u32 = 5_000;
/// Days after QA passes before a milestone the customer has not answered is approved.
pub const DEFAULT_AUTO_APPROVE_DAYS: u32 = 7;

macro_rules! str_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal, $label:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            /// The stored form.
            pub fn as_str(self) -> &'static str { match self { $(Self::$variant => $text),+ } }
            /// The words people see.
            pub fn label(self) -> &'static str { match self { $(Self::$variant => $label),+ } }
            /// The value a stored form names.
            pub fn parse(s: &str) -> Option<Self> { match s { $($text => Some(Self::$variant),)+ _ => None } }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.label()) }
        }
    };
}

pub(crate) use str_enum;

str_enum!(
    /// Where a milestone is.
    MilestoneStatus {
        /// Planned, no money held yet.
        Unfunded => "unfunded", "Not funded",
        /// Its amount is held; work has not started.
        Funded => "funded", "Funded",
        /// The freelancer is working on it.
        InProgress => "in_progress", "In progress",
        /// Delivered, waiting for QA.
        Submitted => "submitted", "Submitted for QA",
        /// QA passed it; waiting for the customer.
        AwaitingApproval => "awaiting_approval", "Awaiting approval",
        /// Someone disputed it; ops decides.
        Disputed => "disputed", "In dispute",
        /// Paid to the freelancer (all, or part after a dispute).
        Released => "released", "Released",
        /// Returned to the customer.
        Refunded => "refunded", "Refunded",
    }
);

impl MilestoneStatus {
    /// Whether its money is held now.
    pub fn holds_funds(self) -> bool {
        matches!(
            self,
            Self::Funded
                | Self::InProgress
                | Self::Submitted
                | Self::AwaitingApproval
                | Self::Disputed
        )
    }

    /// Whether its money is settled: paid to the freelancer or returned to the customer (a
    /// release can still be taken back by ops, which ends it refunded).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Released | Self::Refunded)
    }
}

str_enum!(
    /// What someone does to a milestone.
    MilestoneAction {
        /// The customer pays its amount into held funds.
        Fund => "fund", "Fund",
        /// The freelancer starts work.
        Start => "start", "Start work",
        /// The freelancer delivers.
        Submit => "submit", "Submit for review",
        /// QA passes the delivery to the customer.
        QaPass => "qa_pass", "Pass QA",
        /// QA sends it back.
        QaFail => "qa_fail", "Send back",
        /// The customer approves: held funds go to the freelancer, minus the fee.
        Approve => "approve", "Approve and release",
        /// The customer asks for changes.
        RequestChanges => "request_changes", "Request changes",
        /// The customer or the freelancer disputes it.
        Dispute => "dispute", "Open a dispute",
        /// Ops decides a dispute.
        Resolve => "resolve", "Resolve dispute",
        /// The approval window passed with no answer.
        AutoApprove => "auto_approve", "Approved automatically",
        /// Ops take a release back: the freelancer's share and the fee return, and the customer
        /// is refunded (a refund after approval).
        Reverse => "reverse", "Refund after release",
    }
);

/// How someone stands to a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The project's customer.
    Customer,
    /// A freelancer assigned to it.
    Freelancer,
    /// Fluxorae staff (PM, QA, ops) or an admin.
    Staff,
    /// The scheduler.
    System,
}

impl Party {
    /// The party a platform role is on a project it can see, given whether they are its
    /// customer or an assigned freelancer.
    pub fn of(role: PlatformRole, is_customer: bool, is_assigned: bool) -> Option<Self> {
        if is_customer {
            Some(Self::Customer)
        } else if is_assigned {
            Some(Self::Freelancer)
        } else if matches!(role, PlatformRole::Employee | PlatformRole::Admin) {
            Some(Self::Staff)
        } else {
            None
        }
    }
}

/// How ops resolves a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "release_minor", rename_all = "snake_case")]
pub enum Resolution {
    /// Everything to the freelancer (minus the fee).
    Release,
    /// This much to the freelancer (minus the fee on it); the rest back to the customer.
    Partial(i64),
    /// Everything back to the customer.
    Refund,
}

impl Resolution {
    /// The freelancer's and the customer's parts of `held`, or why the split is wrong.
    pub fn split(self, held: Money) -> Result<(Money, Money), String> {
        let c = held.currency;
        match self {
            Self::Release => Ok((held, Money::new(0, c))),
            Self::Refund => Ok((Money::new(0, c), held)),
            Self::Partial(part) if part <= 0 || part >= held.minor => Err(format!(
                "A partial release is more than 0 and less than the {held} held."
            )),
            Self::Partial(part) => Ok((Money::new(part, c), Money::new(held.minor - part, c))),
        }
    }
}

/// Why a step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// The milestone is not in a state this step starts from.
    #[error("This milestone is {}; it cannot be {} now.", .from.label().to_lowercase(), past(*.action))]
    WrongState {
        /// Where it is.
        from: MilestoneStatus,
        /// What was asked.
        action: MilestoneAction,
    },
    /// This party may not take this step.
    #[error("Only {} can do this.", who_may(*.0))]
    NotYours(MilestoneAction),
}

fn past(a: MilestoneAction) -> &'static str {
    match a {
        MilestoneAction::Fund => "funded",
        MilestoneAction::Start => "started",
        MilestoneAction::Submit => "submitted",
        MilestoneAction::QaPass => "passed by QA",
        MilestoneAction::QaFail => "sent back by QA",
        MilestoneAction::Approve | MilestoneAction::AutoApprove => "approved",
        MilestoneAction::RequestChanges => "sent back for changes",
        MilestoneAction::Dispute => "disputed",
        MilestoneAction::Resolve => "resolved",
        MilestoneAction::Reverse => "refunded after release",
    }
}

/// The activity feed's line for a step on the milestone `title`.
pub fn milestone_activity(a: MilestoneAction, title: &str) -> String {
    let what = match a {
        MilestoneAction::AutoApprove => "approved automatically (no answer in time)",
        a => past(a),
    };
    format!("milestone “{title}”: {what}")
}

fn who_may(a: MilestoneAction) -> &'static str {
    match a {
        MilestoneAction::Fund | MilestoneAction::Approve | MilestoneAction::RequestChanges => {
            "the project's customer"
        }
        MilestoneAction::Start | MilestoneAction::Submit => "an assigned freelancer",
        MilestoneAction::QaPass
        | MilestoneAction::QaFail
        | MilestoneAction::Resolve
        | MilestoneAction::Reverse => "Fluxorae staff",
        MilestoneAction::Dispute => "the customer or an assigned freelancer",
        MilestoneAction::AutoApprove => "the scheduler",
    }
}

/// Who may take a step.
pub fn may(party: Party, action: MilestoneAction) -> bool {
    use MilestoneAction as A;
    match action {
        A::Fund | A::Approve | A::RequestChanges => party == Party::Customer,
        A::Start | A::Submit => party == Party::Freelancer,
        A::QaPass | A::QaFail | A::Resolve | A::Reverse => party == Party::Staff,
        A::Dispute => matches!(party, Party::Customer | Party::Freelancer),
        A::AutoApprove => party == Party::System,
    }
}

/// The state a step leads to from `from`, or why it cannot be taken. A resolved dispute ends
/// `Refunded` when nothing goes to the freelancer, else `Released`.
pub fn step(
    from: MilestoneStatus,
    action: MilestoneAction,
    party: Party,
    resolution: Option<Resolution>,
) -> Result<MilestoneStatus, StepError> {
    use MilestoneAction as A;
    use MilestoneStatus as S;
    if !may(party, action) {
        return Err(StepError::NotYours(action));
    }
    let to = match (from, action) {
        (S::Unfunded, A::Fund) => S::Funded,
        (S::Funded, A::Start) => S::InProgress,
        (S::InProgress, A::Submit) => S::Submitted,
        (S::Submitted, A::QaPass) => S::AwaitingApproval,
        (S::Submitted, A::QaFail) => S::InProgress,
        (S::AwaitingApproval, A::Approve | A::AutoApprove) => S::Released,
        (S::AwaitingApproval, A::RequestChanges) => S::InProgress,
        (S::InProgress | S::Submitted | S::AwaitingApproval, A::Dispute) => S::Disputed,
        (S::Disputed, A::Resolve) => match resolution {
            Some(Resolution::Refund) => S::Refunded,
            _ => S::Released,
        },
        (S::Released, A::Reverse) => S::Refunded,
        _ => return Err(StepError::WrongState { from, action }),
    };
    Ok(to)
}

/// The steps `party` can take on a milestone in `status` (the buttons the workspace shows).
pub fn available(status: MilestoneStatus, party: Party) -> Vec<MilestoneAction> {
    MilestoneAction::ALL
        .iter()
        .copied()
        .filter(|a| *a != MilestoneAction::AutoApprove)
        .filter(|a| {
            step(status, *a, party, Some(Resolution::Release)).is_ok()
                // Funding is done from the funding form, not as a bare step.
                && *a != MilestoneAction::Fund
        })
        .collect()
}

/// The fee on a release, from the fee rule in basis points.
pub fn fee(amount: Money, fee_bps: u32) -> Money {
    amount.share(fee_bps.min(10_000))
}

// ----------------------------------------------------------------------------------------------
// The scope a customer confirms

/// One milestone as the customer edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneDraft {
    /// A short title.
    pub title: String,
    /// What must be true to approve it, one per line.
    pub acceptance_criteria: Vec<String>,
    /// Planned length in weeks.
    pub weeks: u16,
    /// Its price in minor units.
    pub amount_minor: i64,
}

/// The scope as the customer edits it in the wizard (autosaved as typed, checked on confirm).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeDraft {
    /// The project's name.
    pub title: String,
    /// One or two sentences.
    pub summary: String,
    /// What will be delivered, one per line.
    pub deliverables: Vec<String>,
    /// In order.
    pub milestones: Vec<MilestoneDraft>,
    /// The currency of every amount.
    pub currency: Currency,
}

/// What the card field says on the built-in payment provider.
pub const TEST_CARD_HINT: &str = "Demo payments: 4242 4242 4242 4242 succeeds, 4000 0025 0000 3155 asks your bank to confirm, 4000 0000 0000 0002 is declined.";

/// The most milestones a project may have.
pub const MAX_MILESTONES: usize = 12;

impl ScopeDraft {
    /// The total of every milestone.
    pub fn total(&self) -> Money {
        Money::new(
            self.milestones.iter().map(|m| m.amount_minor).sum(),
            self.currency,
        )
    }

    /// Every problem, under the wizard's field names (`milestones.1.amount`).
    pub fn check(&self) -> Result<(), AppError> {
        let mut v = Validator::new();
        let title = self.title.trim();
        if title.is_empty() {
            v.add("title", "Give the project a name.");
        } else if title.chars().count() > 120 {
            v.add("title", "Keep the name under 120 characters.");
        }
        if self.summary.trim().chars().count() < 20 {
            v.add(
                "summary",
                "Describe the project in a sentence or two (at least 20 characters).",
            );
        } else if self.summary.chars().count() > 2_000 {
            v.add("summary", "Keep the summary under 2,000 characters.");
        }
        if self.deliverables.iter().all(|d| d.trim().is_empty()) {
            v.add("deliverables", "List at least one deliverable.");
        }
        if self.milestones.is_empty() {
            v.add("milestones", "Add at least one milestone.");
        } else if self.milestones.len() > MAX_MILESTONES {
            v.add(
                "milestones",
                format!("A project has at most {MAX_MILESTONES} milestones."),
            );
        }
        let min = Money::new(10 * 10i64.pow(self.currency.exponent()), self.currency);
        for (i, m) in self.milestones.iter().enumerate() {
            let f = |name: &str| format!("milestones.{i}.{name}");
            if m.title.trim().is_empty() {
                v.add(&f("title"), "Give the milestone a title.");
            } else if m.title.chars().count() > 120 {
                v.add(&f("title"), "Keep the title under 120 characters.");
            }
            if m.acceptance_criteria.iter().all(|c| c.trim().is_empty()) {
                v.add(
                    &f("criteria"),
                    "Write at least one thing that must be true to approve it.",
                );
            }
            if !(1..=52).contains(&m.weeks) {
                v.add(&f("weeks"), "Between 1 and 52 weeks.");
            }
            if m.amount_minor < min.minor {
                v.add(&f("amount"), format!("At least {min}."));
            } else if m.amount_minor > 1_000_000 * 10i64.pow(self.currency.exponent()) {
                v.add(
                    &f("amount"),
                    "Above 1,000,000 a milestone needs a custom quote.",
                );
            }
        }
        v.finish()
    }

    /// The scope with blank lines dropped and text trimmed, as it is stored on confirm.
    pub fn cleaned(&self) -> Self {
        let lines = |xs: &[String]| {
            xs.iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        };
        Self {
            title: self.title.trim().to_owned(),
            summary: self.summary.trim().to_owned(),
            deliverables: lines(&self.deliverables),
            milestones: self
                .milestones
                .iter()
                .map(|m| MilestoneDraft {
                    title: m.title.trim().to_owned(),
                    acceptance_criteria: lines(&m.acceptance_criteria),
                    weeks: m.weeks,
                    amount_minor: m.amount_minor,
                })
                .collect(),
            currency: self.currency,
        }
    }

    /// A first draft from the analyzers' scope and estimate: the budget's midpoint shared
    /// across milestones by their weeks (the last takes the rounding).
    pub fn from_analysis(
        scope: &crate::ai::Scope,
        estimate: Option<&crate::ai::Estimate>,
        title: &str,
    ) -> Self {
        let currency = Currency::USD;
        let scale = 10i64.pow(currency.exponent());
        let budget = estimate
            .map(|e| (i64::from(e.budget_low_usd) + i64::from(e.budget_high_usd)) / 2)
            .unwrap_or(0)
            .max(100 * scope.milestones.len() as i64)
            * scale;
        let weeks: i64 = scope
            .milestones
            .iter()
            .map(|m| i64::from(m.weeks.max(1)))
            .sum::<i64>()
            .max(1);
        let mut left = budget;
        let n = scope.milestones.len();
        let milestones = scope
            .milestones
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let amount = if i + 1 == n {
                    left
                } else {
                    // Whole currency units, so the amounts read cleanly.
                    (budget * i64::from(m.weeks.max(1)) / weeks) / scale * scale
                };
                left -= amount;
                MilestoneDraft {
                    title: m.title.clone(),
                    acceptance_criteria: m.acceptance_criteria.clone(),
                    weeks: m.weeks.clamp(1, 52),
                    amount_minor: amount,
                }
            })
            .collect();
        Self {
            title: title.to_owned(),
            summary: scope.summary.clone(),
            deliverables: scope.deliverables.iter().map(|d| d.title.clone()).collect(),
            milestones,
            currency,
        }
    }
}

/// How much of a project to fund on confirming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FundChoice {
    /// The first milestone only.
    First,
    /// Every milestone.
    All,
}

impl FundChoice {
    /// How many of `n` milestones it funds.
    pub fn count(self, n: usize) -> usize {
        match self {
            Self::First => n.min(1),
            Self::All => n,
        }
    }
}

/// What a person sends with a step: the delivery, the QA checklist, a note, a resolution.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepInput {
    /// Why (changes asked, dispute reason, QA note, resolution note).
    #[serde(default)]
    pub note: String,
    /// The delivery's notes (submit).
    #[serde(default)]
    pub notes: String,
    /// Links to what was delivered (submit), one per line.
    #[serde(default)]
    pub links: Vec<String>,
    /// One verdict per acceptance criterion (QA).
    #[serde(default)]
    pub checklist: Vec<CheckItem>,
    /// How a dispute ends (resolve).
    #[serde(default)]
    pub resolution: Option<Resolution>,
}

impl StepInput {
    /// Checks what `action` needs from the person, against the milestone's criteria and the
    /// amount held.
    pub fn check(
        &self,
        action: MilestoneAction,
        criteria: &[String],
        held: Money,
    ) -> Result<(), AppError> {
        use MilestoneAction as A;
        let mut v = Validator::new();
        let note = self.note.trim();
        match action {
            A::Submit => {
                if self.notes.trim().chars().count() < 10 {
                    v.add(
                        "notes",
                        "Say what you delivered and where to find it (at least 10 characters).",
                    );
                }
                for (i, l) in self.links.iter().enumerate() {
                    let l = l.trim();
                    if !(l.is_empty() || l.starts_with("https://") || l.starts_with("http://")) {
                        v.add(
                            &format!("links.{i}"),
                            format!("{l:?} is not a web address (https://…)."),
                        );
                    }
                }
            }
            A::QaPass | A::QaFail => {
                let covered = criteria
                    .iter()
                    .all(|c| self.checklist.iter().any(|i| &i.criterion == c));
                if !covered {
                    v.add("checklist", "Check every acceptance criterion.");
                } else if action == A::QaPass && self.checklist.iter().any(|i| !i.met) {
                    v.add(
                        "checklist",
                        "A delivery passes QA only when every criterion is met; send it back instead.",
                    );
                } else if action == A::QaFail && note.is_empty() {
                    v.add("note", "Tell the freelancer what is missing.");
                }
            }
            A::RequestChanges if note.is_empty() => {
                v.add("note", "Say what should change.");
            }
            A::Reverse if note.chars().count() < 10 => {
                v.add(
                    "note",
                    "Say why the customer is refunded, for both sides (at least 10 characters).",
                );
            }
            A::Dispute if note.chars().count() < 10 => {
                v.add(
                    "note",
                    "Explain what is wrong, so ops can decide (at least 10 characters).",
                );
            }
            A::Resolve => match self.resolution {
                None => v.add("resolution", "Choose how the dispute ends."),
                Some(r) => {
                    if let Err(e) = r.split(held) {
                        v.add("release", e);
                    }
                    if note.is_empty() {
                        v.add("note", "Write down why, for both sides.");
                    }
                }
            },
            _ => {}
        }
        if note.chars().count() > 5_000 || self.notes.chars().count() > 10_000 {
            v.add("note", "Keep it under 5,000 characters.");
        }
        v.finish()
    }
}

// ----------------------------------------------------------------------------------------------
// What the pages show

/// A wizard draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftView {
    /// Its id.
    pub id: uuid::Uuid,
    /// What the customer wrote.
    pub brief: String,
    /// The scope as edited (absent until the brief was analyzed).
    pub scope: Option<ScopeDraft>,
    /// What the analyzers said beyond the scope.
    pub analysis: Option<DraftAnalysis>,
    /// `draft`, `quote_requested` or `confirmed`.
    pub status: String,
    /// Bumped by every save; a save with an older one is refused.
    pub version: i32,
    /// The custom-quote thread.
    pub quote: Vec<QuoteMessage>,
    /// The project it became.
    pub project_id: Option<uuid::Uuid>,
    /// When it was last saved (RFC 3339).
    pub updated_at: String,
}

/// What the requirement analyzer and the estimator proposed, kept beside the edited scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftAnalysis {
    /// The requirement analyzer's run.
    pub requirements_run: uuid::Uuid,
    /// The estimator's run.
    pub estimate_run: uuid::Uuid,
    /// How sure the requirement analyzer was, 0–1.
    pub confidence: f32,
    /// Its reason.
    pub reason: String,
    /// Budget range, low and high, whole US dollars.
    pub budget_usd: (u32, u32),
    /// Timeline range in weeks.
    pub weeks: (u16, u16),
    /// The delivered projects it compared with.
    pub comparables: Vec<crate::ai::Comparable>,
    /// What the scope takes for granted.
    pub assumptions: Vec<String>,
    /// What could go wrong.
    pub risks: Vec<String>,
    /// What to settle before confirming.
    pub questions: Vec<String>,
}

/// The AI risk panel of a workspace (staff): the latest assessment and what was decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskPanel {
    /// The logged run.
    pub run: uuid::Uuid,
    /// Overall level.
    pub level: crate::ai::RiskLevel,
    /// What was seen.
    pub signals: Vec<crate::ai::RiskSignal>,
    /// What a person could do; accepting puts each on the task board.
    pub actions: Vec<String>,
    /// Why, in a sentence or two.
    pub reason: String,
    /// How sure the analyzer was, 0–1.
    pub confidence: f32,
    /// When it ran (RFC 3339).
    pub at: String,
    /// `accepted` or `rejected` once staff decided.
    pub decision: Option<String>,
}

/// One message of a custom-quote thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteMessage {
    /// Who wrote it.
    pub author: String,
    /// Whether Fluxorae staff wrote it.
    pub staff: bool,
    /// What they wrote.
    pub body: String,
    /// When (RFC 3339).
    pub at: String,
}

/// What confirming (or funding) did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundOutcome {
    /// The project.
    pub project_id: uuid::Uuid,
    /// The payment.
    pub payment_id: uuid::Uuid,
    /// Whether the bank wants the customer to confirm before anything is held.
    pub needs_action: bool,
}

/// A project in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    /// Its id.
    pub id: uuid::Uuid,
    /// Its name.
    pub title: String,
    /// `active`, `completed` or `cancelled`.
    pub status: String,
    /// Its customer's name.
    pub customer: String,
    /// Milestones released, of all.
    pub released: usize,
    /// All milestones.
    pub milestones: usize,
    /// The total of its milestones.
    pub total: Money,
    /// What is held now.
    pub held: Money,
}

/// A person on a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Their user id.
    pub id: uuid::Uuid,
    /// Their name.
    pub name: String,
    /// `customer`, `freelancer`, `pm` or `qa`.
    pub role: String,
}

/// A delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionView {
    /// Its id.
    pub id: uuid::Uuid,
    /// What the freelancer wrote.
    pub notes: String,
    /// Links to what was delivered.
    pub links: Vec<String>,
    /// Who delivered it.
    pub author: String,
    /// When (RFC 3339).
    pub at: String,
}

/// One criterion as a QA reviewer checked it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckItem {
    /// The acceptance criterion.
    pub criterion: String,
    /// Whether the delivery meets it.
    pub met: bool,
}

/// A QA review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QaView {
    /// The reviewer.
    pub reviewer: String,
    /// Their checklist.
    pub checklist: Vec<CheckItem>,
    /// Whether it passed.
    pub passed: bool,
    /// What they wrote.
    pub note: String,
    /// When (RFC 3339).
    pub at: String,
}

/// A dispute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeView {
    /// Who opened it.
    pub opened_by: String,
    /// Why.
    pub reason: String,
    /// How it ended, once it has.
    pub outcome: Option<String>,
    /// What went to the freelancer (before the fee), once resolved.
    pub released: Option<Money>,
}

/// A step in a milestone's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Who took it (empty for the scheduler).
    pub actor: String,
    /// What they did.
    pub action: String,
    /// Where it went.
    pub to: MilestoneStatus,
    /// What they said.
    pub note: String,
    /// When (RFC 3339).
    pub at: String,
}

/// A milestone in the workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MilestoneView {
    /// Its id.
    pub id: uuid::Uuid,
    /// Its place, from 1.
    pub position: i32,
    /// Its title.
    pub title: String,
    /// What must be true to approve it.
    pub acceptance_criteria: Vec<String>,
    /// Planned weeks.
    pub weeks: i32,
    /// Its price.
    pub amount: Money,
    /// Where it is.
    pub status: MilestoneStatus,
    /// The fee agreed when it was funded.
    pub fee_bps: Option<u32>,
    /// When it is due (RFC 3339).
    pub due_at: Option<String>,
    /// When it will be approved automatically (RFC 3339).
    pub approve_by: Option<String>,
    /// What went to the freelancer, before the fee.
    pub released: Money,
    /// What went back to the customer.
    pub refunded: Money,
    /// Where each refund stands, in words.
    #[serde(default)]
    pub refunds: Vec<String>,
    /// The steps the asker may take now.
    pub actions: Vec<MilestoneAction>,
    /// The latest delivery.
    pub submission: Option<SubmissionView>,
    /// The latest QA review.
    pub qa: Option<QaView>,
    /// The QA analyzer's suggestion for the latest delivery (staff only).
    pub qa_suggestion: Option<crate::ai::QaReport>,
    /// The dispute, if any.
    pub dispute: Option<DisputeView>,
    /// Its steps, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// A project's workspace as the asker may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceView {
    /// The project.
    pub id: uuid::Uuid,
    /// Its name.
    pub title: String,
    /// Its summary.
    pub summary: String,
    /// What it delivers.
    pub deliverables: Vec<String>,
    /// How the asker stands to it.
    pub party: Party,
    /// The asker.
    pub me: uuid::Uuid,
    /// Who is on it.
    pub members: Vec<Member>,
    /// Its milestones, in order.
    pub milestones: Vec<MilestoneView>,
    /// A payment waiting for the customer's confirmation with their bank.
    pub pending_payment: Option<uuid::Uuid>,
    /// The task board.
    pub tasks: Vec<crate::workspace::TaskView>,
    /// Shared files, newest first.
    pub files: Vec<crate::workspace::FileView>,
    /// What people did lately, newest first.
    pub activity: Vec<crate::workspace::ActivityItem>,
}

/// A chat message in a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Its id (time-ordered).
    pub id: uuid::Uuid,
    /// Who wrote it.
    pub author_id: uuid::Uuid,
    /// Their name.
    pub author: String,
    /// What it says now (empty once deleted).
    pub body: String,
    /// When it was written (RFC 3339).
    pub at: String,
    /// When it was last edited (RFC 3339).
    pub edited_at: Option<String>,
    /// Whether its author deleted it (its earlier text stays in the history).
    pub deleted: bool,
    /// Files sent with it (none once it is deleted).
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

/// A file sent with a chat message: a workspace file, served by `/files/{id}` to the project's
/// people only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The file's id.
    pub id: uuid::Uuid,
    /// Its name.
    pub name: String,
    /// Its type, read from its bytes.
    pub content_type: String,
    /// Its size in bytes.
    pub bytes: i64,
}

impl Attachment {
    /// Where it downloads from.
    pub fn href(&self) -> String {
        format!("/files/{}", self.id)
    }
}

/// The most files one chat message carries.
pub const MAX_ATTACHMENTS: usize = 5;

/// Checks a new chat message: text, files, or both.
pub fn check_post(body: &str, attachments: usize) -> Result<String, AppError> {
    if attachments > MAX_ATTACHMENTS {
        return Err(AppError::field(
            "attachments",
            format!("Send at most {MAX_ATTACHMENTS} files with one message."),
        ));
    }
    if attachments > 0 && body.trim().is_empty() {
        return Ok(String::new());
    }
    check_message(body)
}

/// How far someone has read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMark {
    /// Who.
    pub user_id: uuid::Uuid,
    /// Their name.
    pub name: String,
    /// The last message they have seen.
    pub last_read: uuid::Uuid,
}

/// A workspace's chat: the latest messages, oldest first, and who has read how far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatView {
    /// Oldest first.
    pub messages: Vec<ChatMessage>,
    /// One per participant who has read anything.
    pub reads: Vec<ReadMark>,
}

/// An earlier text of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// What it said.
    pub body: String,
    /// When it was replaced (RFC 3339).
    pub at: String,
}

/// The longest chat message, in characters.
pub const MAX_MESSAGE: usize = 5_000;

/// Checks a chat message as typed.
pub fn check_message(body: &str) -> Result<String, AppError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::field("body", "Write a message first."));
    }
    if body.chars().count() > MAX_MESSAGE {
        return Err(AppError::field(
            "body",
            format!(
                "Keep a message under {MAX_MESSAGE} characters; attach longer documents as files."
            ),
        ));
    }
    Ok(body.to_owned())
}

/// A suggested freelancer for a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// Their user id.
    pub user_id: uuid::Uuid,
    /// Their name.
    pub name: String,
    /// Match score 0–1.
    pub score: f32,
    /// Why, one reason per factor.
    pub reasons: Vec<String>,
}

/// One released milestone in a freelancer's earnings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarningLine {
    /// The project.
    pub project: String,
    /// The milestone.
    pub milestone: String,
    /// What was released, before the fee.
    pub gross: Money,
    /// The platform's fee.
    pub fee: Money,
    /// What the freelancer earned.
    pub net: Money,
    /// What ops took back of the release and returned to the customer (zero when nothing);
    /// the gross, fee and net above are what stands after it.
    #[serde(default)]
    pub reversed: Option<Money>,
    /// When (RFC 3339).
    pub at: String,
}

/// A payout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutView {
    /// Its id.
    pub id: uuid::Uuid,
    /// How much.
    pub amount: Money,
    /// `pending`, `paid` or `failed`.
    pub status: String,
    /// When requested (RFC 3339).
    pub at: String,
}

/// A freelancer's money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarningsView {
    /// Released to them, before fees.
    pub gross: Money,
    /// Fees.
    pub fees: Money,
    /// What they earned.
    pub net: Money,
    /// What they can be paid now.
    pub available: Money,
    /// Paid out so far.
    pub paid_out: Money,
    /// Held for their milestones in progress.
    pub in_progress: Money,
    /// Released milestones, newest first.
    pub lines: Vec<EarningLine>,
    /// Where payouts go: `none` (not set up), `onboarding` (the provider's form is not
    /// finished) or `ready`.
    #[serde(default)]
    pub payout_account: String,
    /// Payouts, newest first.
    pub payouts: Vec<PayoutView>,
}

/// The pricing rule admins set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingRule {
    /// The platform fee on a release, in basis points.
    pub fee_bps: u32,
    /// Days after QA passes before the milestone is approved automatically.
    pub auto_approve_days: u32,
}

impl Default for PricingRule {
    fn default() -> Self {
        Self {
            fee_bps: DEFAULT_FEE_BPS,
            auto_approve_days: DEFAULT_AUTO_APPROVE_DAYS,
        }
    }
}

impl PricingRule {
    /// Parses what an admin typed: a percentage (`20`, `12.5`) and days.
    pub fn parse(fee_percent: &str, days: &str) -> Result<Self, AppError> {
        let mut v = Validator::new();
        let fee = v.check(
            "fee_percent",
            fee_percent
                .trim()
                .trim_end_matches('%')
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|p| p.is_finite() && (0.0..=f64::from(MAX_FEE_BPS) / 100.0).contains(p))
                .map(|p| (p * 100.0).round() as u32)
                .ok_or(format!("A percentage from 0 to {}.", MAX_FEE_BPS / 100)),
        );
        let days = v.check(
            "auto_approve_days",
            days.trim()
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=60).contains(d))
                .ok_or("Between 1 and 60 days."),
        );
        v.finish()?;
        Ok(Self {
            fee_bps: fee.unwrap_or_default(),
            auto_approve_days: days.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MilestoneAction as A;
    use MilestoneStatus as S;

    #[test]
    fn the_happy_path_ends_released() {
        let mut s = S::Unfunded;
        for (a, p) in [
            (A::Fund, Party::Customer),
            (A::Start, Party::Freelancer),
            (A::Submit, Party::Freelancer),
            (A::QaPass, Party::Staff),
            (A::Approve, Party::Customer),
        ] {
            s = step(s, a, p, None).unwrap();
        }
        assert_eq!(s, S::Released);
        assert!(s.is_final() && !s.holds_funds());
    }

    #[test]
    fn only_staff_take_a_release_back_and_only_once() {
        assert_eq!(
            step(S::Released, A::Reverse, Party::Staff, None),
            Ok(S::Refunded)
        );
        for p in [Party::Customer, Party::Freelancer, Party::System] {
            assert_eq!(
                step(S::Released, A::Reverse, p, None),
                Err(StepError::NotYours(A::Reverse))
            );
        }
        for from in [S::AwaitingApproval, S::Disputed, S::Refunded, S::Funded] {
            assert!(matches!(
                step(from, A::Reverse, Party::Staff, None),
                Err(StepError::WrongState { .. })
            ));
        }
        assert_eq!(available(S::Released, Party::Staff), vec![A::Reverse]);
        assert!(available(S::Released, Party::Customer).is_empty());
        let usd = Money::new(10_000, Currency::USD);
        let short = StepInput {
            note: "refund".into(),
            ..Default::default()
        };
        let err = short.check(A::Reverse, &[], usd).unwrap_err();
        assert!(err.message_for("note").is_some());
        let reasoned = StepInput {
            note: "Delivered work was withdrawn by the freelancer.".into(),
            ..Default::default()
        };
        assert!(reasoned.check(A::Reverse, &[], usd).is_ok());
    }

    #[test]
    fn changes_and_qa_failures_go_back_to_work() {
        assert_eq!(
            step(
                S::AwaitingApproval,
                A::RequestChanges,
                Party::Customer,
                None
            ),
            Ok(S::InProgress)
        );
        assert_eq!(
            step(S::Submitted, A::QaFail, Party::Staff, None),
            Ok(S::InProgress)
        );
    }

    #[test]
    fn only_the_right_party_may_step() {
        assert_eq!(
            step(S::AwaitingApproval, A::Approve, Party::Freelancer, None),
            Err(StepError::NotYours(A::Approve))
        );
        assert_eq!(
            step(S::Submitted, A::QaPass, Party::Customer, None),
            Err(StepError::NotYours(A::QaPass))
        );
        assert_eq!(
            step(S::Disputed, A::Resolve, Party::Customer, None),
            Err(StepError::NotYours(A::Resolve))
        );
        assert!(step(S::AwaitingApproval, A::Dispute, Party::Freelancer, None).is_ok());
        assert!(step(S::AwaitingApproval, A::Dispute, Party::Staff, None).is_err());
    }

    #[test]
    fn a_released_milestone_cannot_be_disputed_or_approved_twice() {
        for a in [A::Approve, A::Dispute, A::RequestChanges] {
            let e = step(S::Released, a, Party::Customer, None).unwrap_err();
            assert!(matches!(e, StepError::WrongState { .. }), "{a:?}");
            assert!(e.to_string().starts_with("This milestone is released"));
        }
    }

    #[test]
    fn disputes_resolve_by_outcome() {
        let r = |res| step(S::Disputed, A::Resolve, Party::Staff, Some(res)).unwrap();
        assert_eq!(r(Resolution::Refund), S::Refunded);
        assert_eq!(r(Resolution::Release), S::Released);
        assert_eq!(r(Resolution::Partial(500)), S::Released);
    }

    #[test]
    fn partial_splits_must_leave_something_each_side() {
        let held = Money::new(10_000, Currency::USD);
        assert_eq!(
            Resolution::Partial(2_500).split(held),
            Ok((
                Money::new(2_500, Currency::USD),
                Money::new(7_500, Currency::USD)
            ))
        );
        assert!(Resolution::Partial(0).split(held).is_err());
        assert!(Resolution::Partial(10_000).split(held).is_err());
        assert_eq!(
            Resolution::Refund.split(held).unwrap().1.minor,
            10_000,
            "a refund returns all of it"
        );
    }

    #[test]
    fn a_message_carries_text_files_or_both() {
        assert!(check_post("", 0).unwrap_err().message_for("body").is_some());
        assert_eq!(check_post("  ", 1).unwrap(), "");
        assert_eq!(check_post(" Here it is ", 2).unwrap(), "Here it is");
        assert!(check_post("Too many", MAX_ATTACHMENTS + 1)
            .unwrap_err()
            .message_for("attachments")
            .is_some());
    }

    #[test]
    fn the_workspace_shows_each_party_its_buttons() {
        assert_eq!(
            available(S::AwaitingApproval, Party::Customer),
            vec![A::Approve, A::RequestChanges, A::Dispute]
        );
        assert_eq!(
            available(S::Submitted, Party::Staff),
            vec![A::QaPass, A::QaFail]
        );
        assert_eq!(available(S::Funded, Party::Freelancer), vec![A::Start]);
        assert!(available(S::Unfunded, Party::Customer).is_empty());
        assert_eq!(available(S::Released, Party::Staff), vec![A::Reverse]);
        assert!(available(S::Refunded, Party::Staff).is_empty());
    }

    #[test]
    fn admins_type_the_fee_as_a_percentage() {
        assert_eq!(
            PricingRule::parse("12.5 %", "5"),
            Ok(PricingRule {
                fee_bps: 1_250,
                auto_approve_days: 5
            })
        );
        let e = PricingRule::parse("80", "0").unwrap_err();
        assert!(e.message_for("fee_percent").is_some());
        assert!(e.message_for("auto_approve_days").is_some());
    }

    #[test]
    fn the_default_fee_is_a_fifth() {
        assert_eq!(
            fee(Money::new(150_000, Currency::USD), DEFAULT_FEE_BPS).minor,
            30_000
        );
        assert_eq!(
            fee(Money::new(333, Currency::USD), DEFAULT_FEE_BPS).minor,
            67
        );
    }

    fn draft() -> ScopeDraft {
        ScopeDraft {
            title: "Shop".into(),
            summary: "An online shop for handmade ceramics.".into(),
            deliverables: vec!["Storefront".into()],
            milestones: vec![MilestoneDraft {
                title: "Design".into(),
                acceptance_criteria: vec!["Mockups approved".into()],
                weeks: 2,
                amount_minor: 150_000,
            }],
            currency: Currency::USD,
        }
    }

    #[test]
    fn a_good_scope_passes() {
        assert_eq!(draft().check(), Ok(()));
        assert_eq!(draft().total().minor, 150_000);
    }

    #[test]
    fn a_bad_scope_names_every_field() {
        let mut d = draft();
        d.title = " ".into();
        d.milestones[0].amount_minor = 5;
        d.milestones[0].weeks = 0;
        d.milestones[0].acceptance_criteria = vec!["  ".into()];
        let e = d.check().unwrap_err();
        assert_eq!(e.message_for("title"), Some("Give the project a name."));
        assert_eq!(
            e.message_for("milestones.0.amount"),
            Some("At least $10.00.")
        );
        assert!(e.message_for("milestones.0.weeks").is_some());
        assert!(e.message_for("milestones.0.criteria").is_some());
    }

    #[test]
    fn analysis_budget_is_shared_by_weeks_and_adds_up() {
        use crate::ai::{Category, Estimate, Language, Milestone, Scope};
        let m = |t: &str, w| Milestone {
            title: t.into(),
            acceptance_criteria: vec!["done".into()],
            weeks: w,
        };
        let scope = Scope {
            summary: "A shop".into(),
            language: Language {
                code: "en".into(),
                hinglish: false,
            },
            category: Category::Web,
            deliverables: vec![],
            milestones: vec![m("a", 1), m("b", 2)],
            assumptions: vec![],
            risks: vec![],
            questions: vec![],
        };
        let est = Estimate {
            budget_low_usd: 2_000,
            budget_high_usd: 4_000,
            weeks_low: 2,
            weeks_high: 4,
            comparables: vec![],
        };
        let d = ScopeDraft::from_analysis(&scope, Some(&est), "Shop");
        assert_eq!(d.total().minor, 300_000);
        assert_eq!(d.milestones[0].amount_minor, 100_000);
    }
}
