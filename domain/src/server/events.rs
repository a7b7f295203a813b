//! Events every server instance must hear, through Redis pub/sub.
//!
//! When something about a person changes (their role, password or second factor), the change is
//! published on `{prefix}:user-events`; each instance's hub (`server::events`) hears it and tells
//! that person's open pages, which reload who is signed in. Publishing happens after the change
//! is committed; a failed publish is logged and does not undo the change.

use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

use super::Services;
use crate::types::UserId;

/// What changed about a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserEventKind {
    /// Their platform role or a tenant role.
    RoleChanged,
    /// Their password (changed or reset).
    PasswordChanged,
    /// Two-factor sign-in turned on or off.
    TwoFactorChanged,
}

/// Something changed about `user`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEvent {
    /// Whose account.
    pub user: UserId,
    /// What changed.
    pub kind: UserEventKind,
}

/// The channel user events travel on.
pub fn user_channel(prefix: &str) -> String {
    format!("{prefix}:user-events")
}

/// Publishes a user event to every instance.
pub async fn publish(svc: &Services, user: UserId, kind: UserEventKind) {
    let ev = UserEvent { user, kind };
    let Ok(payload) = serde_json::to_string(&ev) else {
        return;
    };
    let mut r = svc.redis.clone();
    let sent: Result<i64, _> = r
        .publish(user_channel(&svc.settings.redis_prefix), payload)
        .await;
    if let Err(e) = sent {
        tracing::warn!(error = %e, ?ev, "could not publish a user event");
    }
}

/// The channel that says the site's published content changed.
pub fn site_channel(prefix: &str) -> String {
    format!("{prefix}:site-events")
}

/// Tells every instance that published content changed, so they drop cached pages.
pub async fn publish_site_changed(svc: &Services) {
    let mut r = svc.redis.clone();
    let sent: Result<i64, _> = r
        .publish(site_channel(&svc.settings.redis_prefix), "changed")
        .await;
    if let Err(e) = sent {
        tracing::warn!(error = %e, "could not publish a site change; other instances catch up within ten minutes");
    }
}

/// Reads a published payload.
pub fn parse(payload: &str) -> Option<UserEvent> {
    serde_json::from_str(payload).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_as_json() {
        let ev = UserEvent {
            user: UserId(uuid::Uuid::nil()),
            kind: UserEventKind::RoleChanged,
        };
        let json = serde_json::to_string(&ev).unwrap();
        assert!(json.contains("\"role_changed\""));
        assert_eq!(parse(&json), Some(ev));
        assert_eq!(parse("not json"), None);
    }
}
