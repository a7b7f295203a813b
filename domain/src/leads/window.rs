//! The messaging window of Meta's channels: a free-form reply may go out only within 24 hours of
//! the contact's last inbound message (7 days on Instagram and Messenger when the human-agent tag
//! is on); outside it, only approved templates. The composer, the API and automations all ask
//! [`window`] before they send. Email has no window.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::project::str_enum;

str_enum!(
    /// A channel kind.
    ChannelKind {
        /// WhatsApp Cloud API.
        Whatsapp => "whatsapp", "WhatsApp",
        /// Facebook Messenger.
        Messenger => "messenger", "Messenger",
        /// Instagram direct messages and comments.
        Instagram => "instagram", "Instagram",
        /// Email.
        Email => "email", "Email",
    }
);

impl ChannelKind {
    /// How long after the contact's last message a free-form reply may go out; `None` for no
    /// limit.
    pub fn reply_window(self, human_agent: bool) -> Option<Duration> {
        match self {
            Self::Email => None,
            Self::Messenger | Self::Instagram if human_agent => Some(Duration::days(7)),
            _ => Some(Duration::hours(24)),
        }
    }
}

/// What may be sent in a conversation now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Window {
    /// Anything, until `closes` (`None`: never closes).
    Open {
        /// When free-form replies stop being allowed.
        #[serde(with = "time::serde::rfc3339::option")]
        closes: Option<OffsetDateTime>,
    },
    /// Approved templates only.
    TemplatesOnly,
}

impl Window {
    /// Whether a free-form message may go out.
    pub fn free_form(self) -> bool {
        matches!(self, Self::Open { .. })
    }
}

/// Why only templates may go out on `kind`, for the composer, the API's 409 and the automation
/// log.
pub fn closed_reason(kind: ChannelKind, human_agent: bool) -> String {
    let span = match kind.reply_window(human_agent) {
        Some(d) if d.whole_days() >= 1 && d.whole_hours() > 24 => {
            format!("{} days", d.whole_days())
        }
        Some(d) => format!("{} hours", d.whole_hours()),
        None => return "Email has no reply window.".into(),
    };
    format!(
        "More than {span} have passed since their last {} message, so only an approved template can be sent until they write again.",
        kind.label()
    )
}

/// The window of a conversation on `kind` whose contact last wrote at `last_inbound`.
pub fn window(
    kind: ChannelKind,
    last_inbound: Option<OffsetDateTime>,
    human_agent: bool,
    now: OffsetDateTime,
) -> Window {
    let Some(span) = kind.reply_window(human_agent) else {
        return Window::Open { closes: None };
    };
    match last_inbound {
        Some(at) if now < at + span => Window::Open {
            closes: Some(at + span),
        },
        _ => Window::TemplatesOnly,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const AT: OffsetDateTime = datetime!(2026-12-01 10:00 UTC);

    #[test]
    fn whatsapp_is_open_for_24_hours_after_their_message() {
        let w = |h: i64| {
            window(
                ChannelKind::Whatsapp,
                Some(AT),
                true,
                AT + Duration::hours(h),
            )
        };
        assert_eq!(
            w(0),
            Window::Open {
                closes: Some(datetime!(2026-12-02 10:00 UTC))
            }
        );
        assert!(w(23).free_form());
        // The human-agent tag does not stretch WhatsApp's window.
        assert_eq!(w(24), Window::TemplatesOnly);
    }

    #[test]
    fn instagram_and_messenger_stretch_to_7_days_with_a_human_agent() {
        for kind in [ChannelKind::Instagram, ChannelKind::Messenger] {
            let later = AT + Duration::days(3);
            assert!(window(kind, Some(AT), true, later).free_form());
            assert_eq!(window(kind, Some(AT), false, later), Window::TemplatesOnly);
            assert_eq!(
                window(kind, Some(AT), true, AT + Duration::days(7)),
                Window::TemplatesOnly
            );
            assert!(closed_reason(kind, true).starts_with("More than 7 days have passed"));
            assert!(closed_reason(kind, false).starts_with("More than 24 hours have passed"));
        }
    }

    #[test]
    fn no_inbound_message_means_templates_only_except_on_email() {
        assert_eq!(
            window(ChannelKind::Whatsapp, None, false, AT),
            Window::TemplatesOnly
        );
        assert_eq!(
            window(ChannelKind::Email, None, false, AT),
            Window::Open { closes: None }
        );
    }

    #[test]
    fn kinds_round_trip() {
        for &k in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ChannelKind::parse("sms"), None);
    }
}
