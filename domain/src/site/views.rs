//! What the site's server functions answer: the public page a visitor sees, and what the editor
//! and the admin reports show. Plain data, shared by the server and the browser.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::diff::Change;
use super::{Block, PageCard, PageContent, PageKind};

/// A published page (or a previewed draft), ready to render: rich text sanitised, reusable
/// blocks and listings resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicPage {
    /// The kind.
    pub kind: PageKind,
    /// The page's own path.
    pub path: String,
    /// The content.
    pub content: PageContent,
    /// The blocks of each reusable block the page uses, by its id.
    pub globals: BTreeMap<String, Vec<Block>>,
    /// The cards of each listing block (case-study cards, article list), by block id.
    pub listings: BTreeMap<String, Vec<PageCard>>,
    /// When it first went live (RFC 3339), empty for a draft that never did.
    pub published_at: String,
    /// When this version went live (RFC 3339).
    pub modified_at: String,
    /// A draft seen through a preview link (never indexed, never cached for visitors).
    pub preview: bool,
}

/// Where a page stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageStatus {
    /// Never published.
    Draft,
    /// Live, and the draft is what is live.
    Published,
    /// Live, with unpublished changes in the draft.
    Changed,
    /// A publish is scheduled.
    Scheduled,
}

impl PageStatus {
    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Published => "Published",
            Self::Changed => "Unpublished changes",
            Self::Scheduled => "Scheduled",
        }
    }
}

/// A page in the editor's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSummary {
    /// The page id.
    pub id: String,
    /// The kind.
    pub kind: PageKind,
    /// The slug.
    pub slug: String,
    /// The public path.
    pub path: String,
    /// The draft's title.
    pub title: String,
    /// Where it stands.
    pub status: PageStatus,
    /// Who saved the draft last.
    pub saved_by: String,
    /// When (RFC 3339).
    pub saved_at: String,
    /// The live revision's number.
    pub live_revision: Option<i32>,
    /// When a scheduled publish happens (RFC 3339).
    pub scheduled_at: Option<String>,
}

/// A page open in the editor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditorPage {
    /// The page's summary.
    pub summary: PageSummary,
    /// The draft (migrated to the current block versions).
    pub content: PageContent,
    /// The draft's version; a save names it and is refused when it is stale.
    pub version: i32,
}

/// The answer to a save.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    /// The new version.
    pub version: i32,
    /// When (RFC 3339).
    pub saved_at: String,
    /// The content as stored (rich text sanitised).
    pub content: PageContent,
}

/// One revision in a page's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionSummary {
    /// Its number (1, 2, …).
    pub number: i32,
    /// `publish`, `schedule` or `rollback`.
    pub reason: String,
    /// For a rollback: the revision it restored.
    pub restored_from: Option<i32>,
    /// Who made it.
    pub by: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// When it went live, if it did (RFC 3339).
    pub published_at: Option<String>,
    /// Whether it is live now.
    pub live: bool,
    /// Its title.
    pub title: String,
}

/// The changes between two revisions (or a revision and the draft).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionDiff {
    /// The older side, `None` for an empty page.
    pub from: Option<i32>,
    /// The newer side, `None` for the draft.
    pub to: Option<i32>,
    /// What changed.
    pub changes: Vec<Change>,
}

/// A reusable block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlobalBlock {
    /// Its id.
    pub id: String,
    /// Its name in the editor.
    pub name: String,
    /// Its blocks.
    pub blocks: Vec<Block>,
    /// Its version (for stale-save checks).
    pub version: i32,
    /// How many pages' drafts use it.
    pub used_by: i64,
}

/// One row of the conversion report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversionRow {
    /// The page path (or the CTA name in the per-CTA table).
    pub key: String,
    /// Page views.
    pub views: i64,
    /// Clicks on calls to action.
    pub clicks: i64,
    /// Form submissions (leads).
    pub leads: i64,
    /// Leads per view, in percent.
    pub rate: f64,
}

/// Conversions per page and per call to action over a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversionReport {
    /// How many days back it covers.
    pub days: i32,
    /// Per page, most viewed first.
    pub pages: Vec<ConversionRow>,
    /// Per call to action: clicks, and the leads whose visitor clicked it before sending.
    pub ctas: Vec<ConversionRow>,
    /// All leads in the period.
    pub total_leads: i64,
}

/// A lead from the site's forms, for the admin list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadRow {
    /// Its id.
    pub id: String,
    /// Which form (`contact`, `book_call`, `proposal`).
    pub form: String,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Company.
    pub company: Option<String>,
    /// The page the form was on.
    pub source_page: String,
    /// The call to action clicked before, if known.
    pub cta: Option<String>,
    /// `utm_source`, if any.
    pub utm_source: Option<String>,
    /// When (RFC 3339).
    pub created_at: String,
    /// The sales team whose inbox it went to, once it has.
    pub team: Option<String>,
}

/// Where the site's leads go: one team's email channel, chosen by the platform admins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteIntake {
    /// The channel now, if any (none: leads stay on the admins' list only).
    pub current: Option<IntakeChoice>,
    /// Since when leads go there (RFC 3339): those sent before stay on the list only.
    pub since: Option<String>,
    /// Every team's email channels, by team and address.
    pub choices: Vec<IntakeChoice>,
}

/// A team's email channel that site leads can go to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeChoice {
    /// The channel.
    pub channel: uuid::Uuid,
    /// The team's name.
    pub team: String,
    /// The address the leads arrive at.
    pub address: String,
}
