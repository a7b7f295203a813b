//! What the inbox gives up, and in what order, while work piles up (issue 5, section 5).
//!
//! A team's backlog is what waits on its behalf: webhook events not read yet (every team's
//! alike, since an event names its team only once it is read), its leads waiting to be scored,
//! and its replies waiting to go out. Over 1,000, analytics and leak scans wait; over 2,000, AI
//! drafts come from the built-in engine only (no model call); over 5,000, only templates may be
//! sent. Each level keeps the ones below it. Everything comes back on its own as the backlog
//! drains.

use serde::{Deserialize, Serialize};

/// Over this, analytics and leak scans wait.
pub const DEFER_BACKGROUND: u64 = 1_000;
/// Over this, AI drafts come from the built-in engine only.
pub const DEFAULT_REPLIES: u64 = 2_000;
/// Over this, only templates may be sent.
pub const TEMPLATES_ONLY: u64 = 5_000;
/// How long a client is told to wait before asking again for what was deferred.
pub const RETRY_SECS: u64 = 30;

/// What waits on a team's behalf.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backlog {
    /// Webhook events not read yet (every team's).
    pub intake: u64,
    /// The team's leads waiting to be scored.
    pub scoring: u64,
    /// The team's replies waiting to go out.
    pub replies: u64,
}

impl Backlog {
    /// Everything waiting.
    pub fn total(&self) -> u64 {
        self.intake
            .saturating_add(self.scoring)
            .saturating_add(self.replies)
    }

    /// The level this backlog puts the team at.
    pub fn level(&self) -> Level {
        level(self.total())
    }

    /// Why only templates may be sent, when this backlog is over the last level.
    pub fn templates_only(&self) -> Option<String> {
        self.level()
            .templates_only()
            .then(|| templates_only_reason(self))
    }
}

/// How far the inbox has stepped back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    /// Everything runs.
    Normal,
    /// Analytics and leak scans wait.
    DeferBackground,
    /// AI drafts come from the built-in engine only, too.
    DefaultReplies,
    /// Only templates may be sent, too.
    TemplatesOnly,
}

/// The level of a backlog of `depth`.
pub fn level(depth: u64) -> Level {
    if depth > TEMPLATES_ONLY {
        Level::TemplatesOnly
    } else if depth > DEFAULT_REPLIES {
        Level::DefaultReplies
    } else if depth > DEFER_BACKGROUND {
        Level::DeferBackground
    } else {
        Level::Normal
    }
}

impl Level {
    /// Whether analytics and leak scans wait.
    pub fn defers_background(self) -> bool {
        self >= Self::DeferBackground
    }

    /// Whether AI drafts come from the built-in engine only.
    pub fn default_replies_only(self) -> bool {
        self >= Self::DefaultReplies
    }

    /// Whether only templates may be sent.
    pub fn templates_only(self) -> bool {
        self >= Self::TemplatesOnly
    }
}

fn waiting(depth: u64) -> String {
    format!(
        "The inbox is catching up: {} messages, leads and replies are waiting.",
        crate::money::grouped(depth)
    )
}

/// The inbox's banner at this backlog, when it has stepped back at all.
pub fn banner(backlog: &Backlog) -> Option<String> {
    let depth = backlog.total();
    let level = level(depth);
    let what = match level {
        Level::Normal => return None,
        Level::DeferBackground => "Analytics and leak scans wait until it has.",
        Level::DefaultReplies => {
            "Analytics and leak scans wait until it has, and AI drafts come from the built-in engine."
        }
        Level::TemplatesOnly => {
            "Only templates can be sent until it has; analytics and leak scans wait, and AI drafts come from the built-in engine."
        }
    };
    Some(format!("{} {what}", waiting(depth)))
}

/// Why analytics are not shown now.
pub fn analytics_deferred(backlog: &Backlog) -> String {
    format!(
        "{} Analytics come back on their own once it has; try again in a minute.",
        waiting(backlog.total())
    )
}

/// Why only a template may be sent now.
pub fn templates_only_reason(backlog: &Backlog) -> String {
    format!(
        "{} Until it has, only an approved template can be sent.",
        waiting(backlog.total())
    )
}

/// What a draft written by the built-in engine under load says about itself.
pub const DEFAULT_DRAFT_NOTE: &str =
    "Written by the built-in engine while the inbox catches up: check it closely.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_level_starts_just_over_its_threshold() {
        assert_eq!(level(0), Level::Normal);
        assert_eq!(level(1_000), Level::Normal);
        assert_eq!(level(1_001), Level::DeferBackground);
        assert_eq!(level(2_000), Level::DeferBackground);
        assert_eq!(level(2_001), Level::DefaultReplies);
        assert_eq!(level(5_000), Level::DefaultReplies);
        assert_eq!(level(5_001), Level::TemplatesOnly);
        assert_eq!(level(u64::MAX), Level::TemplatesOnly);
    }

    #[test]
    fn each_level_keeps_the_ones_below_it() {
        let l = Level::TemplatesOnly;
        assert!(l.defers_background() && l.default_replies_only() && l.templates_only());
        let l = Level::DefaultReplies;
        assert!(l.defers_background() && l.default_replies_only() && !l.templates_only());
        let l = Level::DeferBackground;
        assert!(l.defers_background() && !l.default_replies_only());
        assert!(!Level::Normal.defers_background());
    }

    #[test]
    fn the_backlog_adds_up_what_waits_for_the_team() {
        let b = Backlog {
            intake: 700,
            scoring: 250,
            replies: 51,
        };
        assert_eq!(b.total(), 1_001);
        assert_eq!(b.level(), Level::DeferBackground);
        let huge = Backlog {
            intake: u64::MAX,
            scoring: 1,
            replies: 1,
        };
        assert_eq!(huge.total(), u64::MAX);
    }

    #[test]
    fn the_banner_says_what_waits_and_what_stepped_back() {
        assert_eq!(banner(&Backlog::default()), None);
        let b = Backlog {
            intake: 2_500,
            scoring: 10,
            replies: 0,
        };
        assert_eq!(
            banner(&b).unwrap(),
            "The inbox is catching up: 2,510 messages, leads and replies are waiting. Analytics and leak scans wait until it has, and AI drafts come from the built-in engine."
        );
        let b = Backlog {
            intake: 6_000,
            ..Backlog::default()
        };
        assert!(banner(&b).unwrap().contains("Only templates can be sent"));
        assert!(templates_only_reason(&b).ends_with("only an approved template can be sent."));
        assert_eq!(b.templates_only(), Some(templates_only_reason(&b)));
        assert_eq!(Backlog::default().templates_only(), None);
        assert!(analytics_deferred(&b).starts_with("The inbox is catching up: 6,000"));
    }
}
