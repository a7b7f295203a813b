//! Leaks: conversations slipping through an SDR's fingers. A lead who wrote and is still waiting
//! for an answer half an hour later, or whose message the SDR has not even opened after a quarter
//! of an hour, is a leak. The scan looks at every team's open, assigned conversations every
//! minute (the issue asks for at least every five), so an SDR hears of a leak within two minutes
//! of it becoming one. What it does depends on the band: every leak alerts the SDR who has the
//! conversation; a HOT one still unanswered after half an hour also goes to another SDR who is
//! online and has room, if there is one.

use serde::{Deserialize, Serialize};

use crate::ai::LeadBand;

/// Minutes a lead may wait for the SDR's answer before it is a leak.
pub const REPLY_PENDING_MINUTES: i64 = 30;
/// Minutes a lead's message may stay unopened by their SDR before it is a leak.
pub const UNSEEN_MINUTES: i64 = 15;
/// Seconds between scans.
pub const SCAN_SECONDS: u64 = 60;

/// What kind of leak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakKind {
    /// They wrote and nobody answered.
    ReplyPending,
    /// Their SDR has not opened what they wrote.
    Unseen,
}

impl LeakKind {
    /// Its stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReplyPending => "reply_pending",
            Self::Unseen => "unseen",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::ReplyPending, Self::Unseen]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// What a conversation looks like to the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    /// Minutes since their last message that the team has not answered (None: answered).
    pub unanswered_minutes: Option<i64>,
    /// Minutes since their last message the SDR has not opened (None: opened).
    pub unseen_minutes: Option<i64>,
}

/// The leaks of a conversation, with how long each has run, in minutes.
pub fn leaks(w: Waiting) -> Vec<(LeakKind, i64)> {
    let mut out = Vec::new();
    if let Some(m) = w.unanswered_minutes.filter(|m| *m >= REPLY_PENDING_MINUTES) {
        out.push((LeakKind::ReplyPending, m));
    }
    if let Some(m) = w.unseen_minutes.filter(|m| *m >= UNSEEN_MINUTES) {
        out.push((LeakKind::Unseen, m));
    }
    out
}

/// What to do about a leak of a lead in `band`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Tell the SDR who has it.
    Alert,
    /// Tell the SDR, and give the conversation to another SDR online with room.
    AlertAndMove,
}

/// The action for a leak by band: a HOT lead left unanswered moves on; everything else alerts.
pub fn act(band: Option<LeadBand>, kind: LeakKind) -> Act {
    match (band, kind) {
        (Some(LeadBand::Hot), LeakKind::ReplyPending) => Act::AlertAndMove,
        _ => Act::Alert,
    }
}

/// An alert as the SDR reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeakAlert {
    /// The lead.
    pub lead: uuid::Uuid,
    /// Their name.
    pub name: String,
    /// Which leak.
    pub kind: LeakKind,
    /// Since when (RFC 3339): their message.
    pub since: String,
    /// HOT, WARM or COLD.
    pub band: Option<LeadBand>,
}

impl LeakAlert {
    /// The sentence the SDR reads.
    pub fn text(&self) -> String {
        let band = self
            .band
            .map(|b| format!(" ({})", b.as_str().to_uppercase()));
        match self.kind {
            LeakKind::ReplyPending => format!(
                "{}{} is waiting for your answer.",
                self.name,
                band.unwrap_or_default()
            ),
            LeakKind::Unseen => format!(
                "{}{} wrote and you have not opened it yet.",
                self.name,
                band.unwrap_or_default()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leak_starts_at_its_threshold() {
        let w = |a, s| Waiting {
            unanswered_minutes: a,
            unseen_minutes: s,
        };
        assert!(leaks(w(None, None)).is_empty());
        assert!(leaks(w(Some(29), Some(14))).is_empty());
        assert_eq!(leaks(w(Some(30), Some(14))), [(LeakKind::ReplyPending, 30)]);
        assert_eq!(
            leaks(w(Some(45), Some(45))),
            [(LeakKind::ReplyPending, 45), (LeakKind::Unseen, 45)]
        );
        assert_eq!(leaks(w(None, Some(15))), [(LeakKind::Unseen, 15)]);
    }

    #[test]
    fn only_an_unanswered_hot_lead_moves_on() {
        assert_eq!(
            act(Some(LeadBand::Hot), LeakKind::ReplyPending),
            Act::AlertAndMove
        );
        assert_eq!(act(Some(LeadBand::Hot), LeakKind::Unseen), Act::Alert);
        assert_eq!(
            act(Some(LeadBand::Warm), LeakKind::ReplyPending),
            Act::Alert
        );
        assert_eq!(act(None, LeakKind::ReplyPending), Act::Alert);
        for k in [LeakKind::ReplyPending, LeakKind::Unseen] {
            assert_eq!(LeakKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn the_alert_names_the_lead_and_the_band() {
        let a = LeakAlert {
            lead: uuid::Uuid::nil(),
            name: "Priya Nair".into(),
            kind: LeakKind::ReplyPending,
            since: "2026-12-05T10:00:00Z".into(),
            band: Some(LeadBand::Hot),
        };
        assert_eq!(a.text(), "Priya Nair (HOT) is waiting for your answer.");
    }
}
