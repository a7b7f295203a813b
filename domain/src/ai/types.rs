//! Inputs and outputs of every analyzer. With the `server` feature each derives a JSON Schema,
//! which is what a model is asked to follow and what its answers are validated against.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! ai_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// The stable name (as serialized).
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),+ } }
            /// Parses [`Self::as_str`].
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some($name::$v),)+ _ => None } }
        }
    };
}

// ----------------------------------------------------------------------------------------------
// Shared

ai_enum!(
    /// Service categories of the store and the wizard.
    Category {
        Web => "web",
        Mobile => "mobile",
        Design => "design",
        Marketing => "marketing",
        Content => "content",
        DataAi => "data_ai",
        Video => "video",
    }
);

ai_enum!(
    /// Kinds of deliverable the requirement analyzer recognises.
    DeliverableKind {
        Website => "website",
        LandingPage => "landing_page",
        EcommerceStore => "ecommerce_store",
        WebApp => "web_app",
        MobileApp => "mobile_app",
        ApiIntegration => "api_integration",
        Logo => "logo",
        BrandIdentity => "brand_identity",
        UiDesign => "ui_design",
        Seo => "seo",
        Ads => "ads",
        SocialMedia => "social_media",
        BlogArticles => "blog_articles",
        Copywriting => "copywriting",
        Translation => "translation",
        Dashboard => "dashboard",
        Chatbot => "chatbot",
        DataPipeline => "data_pipeline",
        MlModel => "ml_model",
        Video => "video",
    }
);

/// A detected language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Language {
    /// ISO 639-1 code (`en`, `hi`, `es`, `ar`), or `und` when unknown.
    #[cfg_attr(feature = "server", schemars(length(min = 2, max = 3)))]
    pub code: String,
    /// Hindi and English mixed in Latin script ("Hinglish"); `code` is then `hi`.
    pub hinglish: bool,
}

// ----------------------------------------------------------------------------------------------
// Requirement analyzer

/// A customer's free-text brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Brief {
    /// What the customer wrote, any length, any language.
    pub text: String,
    /// The category the customer picked, if any.
    #[serde(default)]
    pub category: Option<Category>,
}

/// One deliverable of a scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Deliverable {
    /// The recognised kind.
    pub kind: DeliverableKind,
    /// A short title.
    #[cfg_attr(feature = "server", schemars(length(min = 1, max = 120)))]
    pub title: String,
    /// What it includes, from the brief where the brief says.
    pub detail: String,
}

/// A milestone with what must be true to approve it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Milestone {
    /// A short title.
    #[cfg_attr(feature = "server", schemars(length(min = 1, max = 120)))]
    pub title: String,
    /// Checkable statements; at least one.
    #[cfg_attr(feature = "server", schemars(length(min = 1)))]
    pub acceptance_criteria: Vec<String>,
    /// Planned length in weeks.
    #[cfg_attr(feature = "server", schemars(range(min = 1, max = 52)))]
    pub weeks: u16,
}

/// A structured scope drafted from a brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Scope {
    /// One or two sentences.
    #[cfg_attr(feature = "server", schemars(length(min = 1, max = 400)))]
    pub summary: String,
    /// The brief's language.
    pub language: Language,
    /// The main category.
    pub category: Category,
    /// What will be delivered; at least one.
    #[cfg_attr(feature = "server", schemars(length(min = 1)))]
    pub deliverables: Vec<Deliverable>,
    /// In order; at least one.
    #[cfg_attr(feature = "server", schemars(length(min = 1)))]
    pub milestones: Vec<Milestone>,
    /// What the scope takes for granted.
    pub assumptions: Vec<String>,
    /// What could go wrong.
    pub risks: Vec<String>,
    /// What to ask the customer before confirming.
    pub questions: Vec<String>,
}

// ----------------------------------------------------------------------------------------------
// Estimator

/// A delivered project the estimator can compare with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct PastProject {
    /// Its id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// What it was about.
    pub description: String,
    /// Its category.
    pub category: Category,
    /// What it delivered.
    pub deliverables: Vec<DeliverableKind>,
    /// What it cost, in whole US dollars.
    pub budget_usd: u32,
    /// How long it took, in weeks.
    pub weeks: u16,
}

/// What the estimator is asked to price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct EstimateInput {
    /// The scope, as text (summary and deliverable titles).
    pub text: String,
    /// Its category.
    pub category: Category,
    /// Its deliverables.
    pub deliverables: Vec<DeliverableKind>,
    /// Delivered projects to compare with (the server loads them).
    #[serde(default)]
    pub history: Vec<PastProject>,
}

/// A past project used as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Comparable {
    /// The past project's id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// How similar it is, 0–1.
    #[cfg_attr(feature = "server", schemars(range(min = 0.0, max = 1.0)))]
    pub similarity: f32,
    /// What it cost.
    pub budget_usd: u32,
    /// How long it took.
    pub weeks: u16,
}

/// A budget range and timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Estimate {
    /// Low end, US dollars.
    pub budget_low_usd: u32,
    /// High end, US dollars; at least the low end.
    pub budget_high_usd: u32,
    /// Shortest likely timeline.
    pub weeks_low: u16,
    /// Longest likely timeline.
    pub weeks_high: u16,
    /// The most similar delivered projects, best first.
    pub comparables: Vec<Comparable>,
}

// ----------------------------------------------------------------------------------------------
// Matching

ai_enum!(
    /// Freelancer (delivers projects) or expert (books consultations).
    TalentKind { Freelancer => "freelancer", Expert => "expert" }
);

/// A person who can be matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct TalentProfile {
    /// Their user id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Freelancer or expert.
    pub kind: TalentKind,
    /// One line.
    pub headline: String,
    /// A paragraph.
    pub bio: String,
    /// Skills, as listed.
    pub skills: Vec<String>,
    /// Average rating 0–5.
    pub rating: f32,
    /// How many ratings.
    pub reviews: u32,
    /// Free hours a week.
    pub available_hours: u16,
    /// Minutes east of UTC.
    pub utc_offset_minutes: i32,
    /// Hourly rate, US dollars.
    pub hourly_rate_usd: u32,
}

/// What is needed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Need {
    /// The need in words.
    pub text: String,
    /// Required skills.
    #[serde(default)]
    pub skills: Vec<String>,
    /// Only this kind, if set.
    #[serde(default)]
    pub kind: Option<TalentKind>,
    /// The customer's minutes east of UTC, if known.
    #[serde(default)]
    pub utc_offset_minutes: Option<i32>,
    /// Hours a week the work needs.
    #[serde(default)]
    pub hours_per_week: Option<u16>,
    /// How many to return (default 5).
    #[serde(default)]
    pub limit: Option<u16>,
}

/// Matching input: the need and the candidates (the server loads them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct MatchInput {
    /// What is needed.
    pub need: Need,
    /// Who could do it.
    #[serde(default)]
    pub candidates: Vec<TalentProfile>,
}

/// One factor of a match score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Factor {
    /// `skills`, `rating`, `availability`, `text`, `timezone`.
    pub name: String,
    /// 0–1.
    #[cfg_attr(feature = "server", schemars(range(min = 0.0, max = 1.0)))]
    pub score: f32,
    /// Its share of the total.
    pub weight: f32,
    /// Why, in words.
    pub reason: String,
}

/// One ranked candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Match {
    /// The candidate's id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Weighted total 0–1.
    #[cfg_attr(feature = "server", schemars(range(min = 0.0, max = 1.0)))]
    pub score: f32,
    /// Per-factor scores and reasons.
    pub factors: Vec<Factor>,
}

/// Ranked candidates, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Ranking {
    /// Best first.
    pub matches: Vec<Match>,
}

// ----------------------------------------------------------------------------------------------
// Inbox message analysis

ai_enum!(
    /// What a message is mainly about.
    Intent {
        BuyingIntent => "buying_intent",
        Confusion => "confusion",
        Support => "support",
        Objection => "objection",
        Urgency => "urgency",
        Information => "information",
        CompetitorInquiry => "competitor_inquiry",
        FollowUp => "follow_up",
    }
);

ai_enum!(
    /// How a message sounds.
    Tone { Frustrated => "frustrated", Excited => "excited", Skeptical => "skeptical", Neutral => "neutral" }
);

ai_enum!(
    /// Classes that need a person before any automated reply.
    RiskClass { Legal => "legal", Financial => "financial", Medical => "medical", Violent => "violent", Abusive => "abusive" }
);

/// An inbound message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct InboundMessage {
    /// Its text.
    pub text: String,
}

/// What a message is about and how it sounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct MessageAnalysis {
    /// The main intent.
    pub intent: Intent,
    /// Other intents present, strongest first.
    pub other_intents: Vec<Intent>,
    /// The tone.
    pub tone: Tone,
    /// High-risk classes present.
    pub risks: Vec<RiskClass>,
    /// The language.
    pub language: Language,
    /// True when a person should handle it (any risk, or a frustrated support request).
    pub needs_human: bool,
}

// ----------------------------------------------------------------------------------------------
// Lead qualification

ai_enum!(
    /// How likely the lead is to buy soon.
    LeadIntent { High => "high", Medium => "medium", Low => "low" }
);

ai_enum!(
    /// Stated budget, in US dollars.
    BudgetBand { From1kTo5k => "1k_5k", From5kTo50k => "5k_50k", Over50k => "50k_plus" }
);

ai_enum!(
    /// Stated timeline.
    TimelineBand {
        Immediate => "immediate",
        OneToThreeMonths => "1_3_months",
        ThreeToSixMonths => "3_6_months",
        Exploring => "exploring",
    }
);

ai_enum!(
    /// The lead band that drives routing and reply style.
    LeadBand { Hot => "hot", Warm => "warm", Cold => "cold" }
);

/// A lead's inbound messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct LeadConversation {
    /// Inbound messages, oldest first.
    #[cfg_attr(feature = "server", schemars(length(min = 1)))]
    pub messages: Vec<String>,
}

/// A lead's qualification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Qualification {
    /// Buying intent.
    pub intent: LeadIntent,
    /// Budget band, when stated.
    pub budget: Option<BudgetBand>,
    /// The stated budget converted to US dollars, when stated.
    pub budget_usd: Option<u32>,
    /// Timeline band, when stated.
    pub timeline: Option<TimelineBand>,
    /// Objections raised, quoted or paraphrased.
    pub objections: Vec<String>,
    /// Buying signals, quoted or paraphrased.
    pub buying_signals: Vec<String>,
    /// 0–100.
    #[cfg_attr(feature = "server", schemars(range(min = 0, max = 100)))]
    pub score: u8,
    /// HOT, WARM or COLD.
    pub band: LeadBand,
}

// ----------------------------------------------------------------------------------------------
// Reply drafting

/// Something the tenant sells, as the tenant describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Offering {
    /// Its name.
    pub name: String,
    /// "From" price, when the tenant publishes one.
    #[serde(default)]
    pub price_from_usd: Option<u32>,
}

/// What the tenant configured as true: the only source of claims, numbers and availability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct TenantFacts {
    /// The business name.
    pub business_name: String,
    /// What it sells.
    #[serde(default)]
    pub offerings: Vec<Offering>,
    /// Proof the tenant stands behind (case studies, testimonials), verbatim.
    #[serde(default)]
    pub proof: Vec<String>,
    /// Useful, true insights the tenant wrote.
    #[serde(default)]
    pub insights: Vec<String>,
    /// Where to book a call.
    #[serde(default)]
    pub booking_link: Option<String>,
    /// When the team is available, as the tenant says it.
    #[serde(default)]
    pub availability: Option<String>,
}

/// What a reply is drafted for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct ReplyInput {
    /// The lead's band.
    pub band: LeadBand,
    /// The contact's first name, if known.
    #[serde(default)]
    pub contact_name: Option<String>,
    /// The message being answered.
    pub last_message: String,
    /// The tenant's facts.
    pub facts: TenantFacts,
}

/// A reply for an agent to edit and send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct ReplyDraft {
    /// The draft.
    #[cfg_attr(feature = "server", schemars(length(min = 1, max = 2000)))]
    pub text: String,
    /// The language it is written in (that of the message answered).
    pub language: Language,
    /// Which configured facts it uses, verbatim.
    pub facts_used: Vec<String>,
}

// ----------------------------------------------------------------------------------------------
// Project risk

ai_enum!(
    /// A milestone's state.
    MilestoneState {
        Planned => "planned",
        InProgress => "in_progress",
        Submitted => "submitted",
        Approved => "approved",
    }
);

/// A milestone as the risk analyzer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct MilestoneSnapshot {
    /// Its title.
    pub title: String,
    /// Days until due (negative: overdue).
    pub due_in_days: i32,
    /// Its state.
    pub state: MilestoneState,
    /// Share of its tasks done, 0–100.
    pub progress_pct: u8,
}

/// A project's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct ProjectSnapshot {
    /// Milestones in order.
    pub milestones: Vec<MilestoneSnapshot>,
    /// Days since the customer last wrote, if ever.
    pub customer_silent_days: Option<u32>,
    /// Days since the freelancer last wrote, if ever.
    pub freelancer_silent_days: Option<u32>,
    /// Tasks past their due date.
    pub overdue_tasks: u32,
    /// Open tasks.
    pub open_tasks: u32,
}

ai_enum!(
    /// Risk level.
    RiskLevel { Low => "low", Medium => "medium", High => "high" }
);

/// One reason for concern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct RiskSignal {
    /// `delay`, `silence` or `overdue_tasks`.
    pub kind: String,
    /// What was seen.
    pub detail: String,
}

/// A project's risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct RiskReport {
    /// Overall level.
    pub level: RiskLevel,
    /// What was seen.
    pub signals: Vec<RiskSignal>,
    /// What a person could do.
    pub suggested_actions: Vec<String>,
}

// ----------------------------------------------------------------------------------------------
// QA check

/// A submission to check against acceptance criteria.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct QaInput {
    /// The milestone's acceptance criteria.
    #[cfg_attr(feature = "server", schemars(length(min = 1)))]
    pub acceptance_criteria: Vec<String>,
    /// The freelancer's submission notes.
    pub submission: String,
    /// Names of attached files.
    #[serde(default)]
    pub attachments: Vec<String>,
}

ai_enum!(
    /// Whether the submission shows a criterion is met.
    CriterionStatus { Met => "met", Unclear => "unclear", Missing => "missing" }
);

/// One criterion checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct CriterionCheck {
    /// The criterion.
    pub criterion: String,
    /// What the submission shows.
    pub status: CriterionStatus,
    /// The passage or file that shows it.
    pub evidence: Option<String>,
}

ai_enum!(
    /// The QA suggestion.
    QaRecommendation { Approve => "approve", RequestChanges => "request_changes", NeedsReview => "needs_review" }
);

/// The QA suggestion for a reviewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct QaReport {
    /// One per criterion, in order.
    pub criteria: Vec<CriterionCheck>,
    /// The suggestion.
    pub recommendation: QaRecommendation,
}

// ----------------------------------------------------------------------------------------------
// Support copilot

/// A help-centre article the copilot may cite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct KbArticle {
    /// Its title.
    pub title: String,
    /// Its text.
    pub body: String,
}

/// A support ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct Ticket {
    /// Subject line.
    pub subject: String,
    /// The customer's message.
    pub body: String,
    /// The customer's first name, if known.
    #[serde(default)]
    pub customer_name: Option<String>,
    /// Articles that may answer it.
    #[serde(default)]
    pub articles: Vec<KbArticle>,
}

ai_enum!(
    /// Ticket category.
    TicketCategory { Billing => "billing", Access => "access", Bug => "bug", Delivery => "delivery", Other => "other" }
);

ai_enum!(
    /// Ticket priority.
    Priority { Low => "low", Normal => "normal", High => "high", Urgent => "urgent" }
);

/// A support reply draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(schemars::JsonSchema))]
pub struct SupportDraft {
    /// Category.
    pub category: TicketCategory,
    /// Priority.
    pub priority: Priority,
    /// The draft reply.
    #[cfg_attr(feature = "server", schemars(length(min = 1, max = 3000)))]
    pub reply: String,
    /// Titles of the articles it relies on.
    pub cited_articles: Vec<String>,
    /// True when a person must take it (risk, legal, refund demands).
    pub escalate: bool,
}
