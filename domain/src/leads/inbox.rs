//! What the unified inbox shows, shared by the server and the browser: one conversation per lead
//! across every channel they used, with the lead's score and its reasons, routing and SLA, tags,
//! private notes, and whether the conversation is open or resolved.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::score::{Lifecycle, ScoreFactor};
use super::window::ChannelKind;
use crate::ai::LeadBand;
use crate::project::str_enum;

str_enum!(
    /// Whether a conversation needs the team.
    ConversationStatus {
        /// Needs an answer or a next step.
        Open => "open", "Open",
        /// Done for now; a new message from the lead opens it again.
        Resolved => "resolved", "Resolved",
    }
);

/// Whose conversations to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssigneeFilter {
    /// Everyone's (an SDR sees only their own whatever this says).
    #[default]
    Anyone,
    /// Mine.
    Me,
    /// Nobody's yet.
    Unassigned,
}

/// The inbox's filters. The default lists every conversation, the latest message first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InboxFilter {
    /// Only conversations with messages on this channel kind.
    #[serde(default)]
    pub channel: Option<ChannelKind>,
    /// Open or resolved (None: both).
    #[serde(default)]
    pub status: Option<ConversationStatus>,
    /// Whose.
    #[serde(default)]
    pub assignee: AssigneeFilter,
    /// Only this score band.
    #[serde(default)]
    pub band: Option<LeadBand>,
    /// Only conversations with messages I have not read.
    #[serde(default)]
    pub unread: bool,
    /// Only conversations escalated to a person.
    #[serde(default)]
    pub escalated: bool,
    /// Words in the name, a phone number, an email or a message.
    #[serde(default)]
    pub search: String,
}

/// Most characters a search may have.
pub const SEARCH_MAX: usize = 100;
/// Most characters of a private note.
pub const NOTE_MAX: usize = 4000;
/// Most tags on a conversation.
pub const TAGS_MAX: usize = 20;
/// Most characters of a tag.
pub const TAG_MAX: usize = 40;

/// A conversation in the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationRow {
    /// The lead.
    pub lead: uuid::Uuid,
    /// Their name, or the best identity we have.
    pub name: String,
    /// Channel kinds they wrote on.
    pub channels: Vec<ChannelKind>,
    /// The last message's text (or its kind, for media).
    pub last_text: Option<String>,
    /// When (RFC 3339).
    pub last_at: Option<String>,
    /// Whether the last message was theirs.
    pub last_inbound: bool,
    /// 0–100, once scored.
    pub score: Option<u8>,
    /// HOT, WARM or COLD, once scored.
    pub band: Option<LeadBand>,
    /// Who has it.
    pub assignee: Option<String>,
    /// Open or resolved.
    pub status: ConversationStatus,
    /// Messages from them I have not read.
    pub unread: bool,
    /// Its tags.
    pub tags: Vec<String>,
    /// When the first answer is due (RFC 3339), while nobody has answered.
    pub due: Option<String>,
    /// The first answer is late.
    pub late: bool,
    /// Why it was escalated to a person (empty: it was not).
    pub escalation: Vec<String>,
    /// Its lead is left waiting (an open leak alert).
    pub leaking: bool,
}

/// A message in a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxMessage {
    /// Its id.
    pub id: uuid::Uuid,
    /// The channel's kind.
    pub channel: ChannelKind,
    /// The channel's name in the team.
    pub channel_name: String,
    /// From the lead (else from the team).
    pub inbound: bool,
    /// text, image, audio, reaction, …
    pub kind: String,
    /// Its text or caption.
    pub body: Option<String>,
    /// An email's subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// When it was sent (RFC 3339).
    pub at: String,
    /// Delivery status of ours: queued, sent, delivered, read, failed.
    pub status: Option<String>,
    /// Why ours waits or failed.
    pub error: Option<String>,
    /// Who on the team wrote it.
    pub author: Option<String>,
    /// Its media (an image, audio, a video, a document, a sticker, a file), when it has some.
    #[serde(default)]
    pub media: Option<InboxMedia>,
}

/// Where a message's media stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxMedia {
    /// `waiting`, `fetched`, `failed` or `too_large`.
    pub state: String,
    /// Why it failed, or why the last try did.
    pub error: Option<String>,
    /// Its media type, once fetched.
    pub mime: Option<String>,
    /// Whether its channel has an access token: without one, media waits for it.
    pub can_fetch: bool,
    /// Its name, for a file the team sent.
    pub name: Option<String>,
}

/// How the inbox shows fetched media: in the page when the browser plays it as it is,
/// else as a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaShown {
    /// An `<img>`.
    Image,
    /// An `<audio>` player.
    Audio,
    /// A `<video>` player.
    Video,
    /// A link to download it.
    Download,
}

/// A media type without its parameters, lower-cased: `image/png` of `IMAGE/PNG; x=y`.
pub fn media_essence(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// How media of type `mime` is shown; only the types browsers play safely go in the page.
pub fn media_shown(mime: &str) -> MediaShown {
    match media_essence(mime).as_str() {
        "image/jpeg" | "image/png" | "image/gif" | "image/webp" => MediaShown::Image,
        "audio/ogg" | "audio/mpeg" | "audio/mp4" | "audio/aac" | "audio/webm" => MediaShown::Audio,
        "video/mp4" | "video/webm" => MediaShown::Video,
        _ => MediaShown::Download,
    }
}

impl InboxMedia {
    /// What the inbox says instead of the media, when it cannot show it; `kind` is the
    /// message's kind (image, document, …) and `channel` where it came from.
    pub fn note(&self, kind: &str, channel: ChannelKind) -> Option<String> {
        let what = match kind {
            "image" => "image",
            "audio" => "audio message",
            "video" => "video",
            "document" => "document",
            "sticker" => "sticker",
            _ => "file",
        };
        match self.state.as_str() {
            "fetched" => None,
            "too_large" => Some(format!(
                "This {what} is larger than the inbox keeps (16 MB); open it in {}.",
                channel.label()
            )),
            "failed" => Some(format!(
                "This {what} could not be fetched: {}",
                self.error.as_deref().unwrap_or("Meta did not give it.")
            )),
            _ if !self.can_fetch => Some(format!(
                "This {what} is fetched once the channel has an access token (Channels)."
            )),
            _ => Some(match &self.error {
                Some(why) => format!("Fetching this {what} again shortly ({why})"),
                None => format!("Fetching this {what}…"),
            }),
        }
    }
}

/// A private note: the team sees it, the lead never does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadNote {
    /// Who wrote it.
    pub author: String,
    /// What it says.
    pub body: String,
    /// When (RFC 3339).
    pub at: String,
}

/// An SDR a conversation can be given to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdrChoice {
    /// Who.
    pub user: uuid::Uuid,
    /// Their name.
    pub name: String,
    /// Open leads now.
    pub open: u32,
    /// Most open leads.
    pub capacity: u32,
    /// Taking HOT leads now.
    pub online: bool,
}

/// The lead beside their conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadProfile {
    /// The lead.
    pub id: uuid::Uuid,
    /// Their name, or the best identity we have.
    pub name: String,
    /// Phone numbers, emails and channel ids (`phone:+1…`).
    pub identities: Vec<String>,
    /// Numbers and addresses that did not read.
    pub invalid: Vec<String>,
    /// Where they came from.
    pub source: String,
    /// Where they stand.
    pub lifecycle: Lifecycle,
    /// 0–100, once scored.
    pub score: Option<u8>,
    /// The band.
    pub band: Option<LeadBand>,
    /// The top three factors, most first.
    pub factors: Vec<ScoreFactor>,
    /// The top three in a sentence.
    pub reasoning: Option<String>,
    /// Who has it, by id and name.
    pub assignee: Option<(uuid::Uuid, String)>,
    /// new, waiting, nurture, junior_pool or assigned.
    pub routing: String,
    /// Why it waits.
    pub routing_note: Option<String>,
    /// When the first answer is due (RFC 3339), while nobody has answered.
    pub due: Option<String>,
    /// The first answer is late.
    pub late: bool,
    /// Open or resolved.
    pub status: ConversationStatus,
    /// Its tags.
    pub tags: Vec<String>,
    /// Why it was escalated to a person (empty: it was not), until it is resolved.
    pub escalation: Vec<String>,
    /// When it was escalated (RFC 3339).
    pub escalated_at: Option<String>,
}

/// A conversation, opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// The lead.
    pub lead: LeadProfile,
    /// Every message on every channel, oldest first (the last 200).
    pub messages: Vec<InboxMessage>,
    /// Private notes, oldest first.
    pub notes: Vec<LeadNote>,
    /// Who it can be given to (only for those who may assign).
    pub sdrs: Option<Vec<SdrChoice>>,
    /// The asker may add notes and tags, resolve and reopen.
    pub can_work: bool,
    /// What the asker can answer with (only for those who may work the conversation).
    pub composer: Option<super::reply::Composer>,
    /// Calls offered and booked (only for those who may work the conversation).
    #[serde(default)]
    pub booking: Option<super::booking::BookingPanel>,
}

/// The inbox page's frame: the team, and what the asker sees and may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxHome {
    /// The team's name.
    pub team: String,
    /// The asker sees only the conversations given to them (an SDR).
    pub only_mine: bool,
    /// Whether the asker takes leads, and if so whether they are online now.
    pub online: Option<bool>,
    /// The team's token banner, from half of the month's credits on.
    pub tokens: Option<String>,
    /// Paid operations are paused (out of tokens for the month or the day).
    pub tokens_paused: bool,
    /// The asker's conversations that are leaking, oldest first.
    pub alerts: Vec<super::leakage::LeakAlert>,
    /// What the inbox gives up while its backlog is deep (`super::backpressure::banner`).
    #[serde(default)]
    pub busy: Option<String>,
}

/// Tags as a person typed them (comma-separated): trimmed, lowercased, without repeats; or what
/// is wrong with them.
pub fn parse_tags(input: &str) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for t in input.split(',') {
        let t = t.trim().to_lowercase();
        if t.is_empty() || tags.contains(&t) {
            continue;
        }
        if t.chars().count() > TAG_MAX {
            return Err(format!(
                "A tag has at most {TAG_MAX} characters: “{t}” is longer."
            ));
        }
        tags.push(t);
    }
    if tags.len() > TAGS_MAX {
        return Err(format!("A conversation has at most {TAGS_MAX} tags."));
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_types_browsers_play_safely_go_in_the_page() {
        assert_eq!(media_shown("image/jpeg"), MediaShown::Image);
        assert_eq!(media_shown("IMAGE/PNG; charset=binary"), MediaShown::Image);
        assert_eq!(media_shown("audio/ogg; codecs=opus"), MediaShown::Audio);
        assert_eq!(media_shown("video/mp4"), MediaShown::Video);
        // A script or a page that calls itself media is a download, never part of the page.
        for other in [
            "image/svg+xml",
            "text/html",
            "application/pdf",
            "audio/amr",
            "",
        ] {
            assert_eq!(media_shown(other), MediaShown::Download, "{other}");
        }
    }

    #[test]
    fn the_inbox_says_where_media_stands() {
        let media = |state: &str, error: Option<&str>, can_fetch| InboxMedia {
            state: state.into(),
            error: error.map(str::to_owned),
            mime: None,
            can_fetch,
            name: None,
        };
        let w = ChannelKind::Whatsapp;
        assert_eq!(media("fetched", None, true).note("image", w), None);
        assert_eq!(
            media("waiting", None, false).note("image", w).unwrap(),
            "This image is fetched once the channel has an access token (Channels)."
        );
        assert_eq!(
            media("waiting", None, true).note("audio", w).unwrap(),
            "Fetching this audio message…"
        );
        assert_eq!(
            media("waiting", Some("Meta answered 503."), true)
                .note("video", w)
                .unwrap(),
            "Fetching this video again shortly (Meta answered 503.)"
        );
        assert_eq!(
            media("failed", Some("Media not found."), true)
                .note("document", w)
                .unwrap(),
            "This document could not be fetched: Media not found."
        );
        assert_eq!(
            media("too_large", None, true)
                .note("file", ChannelKind::Messenger)
                .unwrap(),
            "This file is larger than the inbox keeps (16 MB); open it in Messenger."
        );
    }

    #[test]
    fn tags_are_trimmed_lowercased_and_kept_once() {
        assert_eq!(
            parse_tags(" VIP, follow-up ,vip,, ").unwrap(),
            ["vip", "follow-up"]
        );
        assert_eq!(parse_tags("").unwrap(), Vec::<String>::new());
        let long = "x".repeat(41);
        assert!(parse_tags(&long)
            .unwrap_err()
            .contains("at most 40 characters"));
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert_eq!(
            parse_tags(&many.join(",")).unwrap_err(),
            "A conversation has at most 20 tags."
        );
    }

    #[test]
    fn the_default_filter_lists_everyone() {
        let f: InboxFilter = serde_json::from_str("{}").unwrap();
        assert_eq!(f, InboxFilter::default());
        assert_eq!(f.assignee, AssigneeFilter::Anyone);
    }
}
