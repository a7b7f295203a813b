//! The append-only, hash-chained audit trail.
//!
//! Each entry's hash is `sha256(prev_hash || "\n" || canonical)`, where `canonical` is the
//! entry's own content (sequence, time, tenant, actor id, action, target, details) as canonical
//! JSON: object keys sorted, no insignificant whitespace. Personal data (email, IP, user agent)
//! is kept beside the chain in `audit_personal`, so erasing a person does not break it.

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use super::{db, rfc3339, RequestMeta};
use crate::types::{TenantId, UserId};
use crate::user::{AuditEntryView, ChainReport};
use crate::AppError;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Something that happened, to be recorded.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// The tenant it happened in, if any.
    pub tenant: Option<TenantId>,
    /// Who did it, if known.
    pub actor: Option<UserId>,
    /// What happened, as `area.verb` (`auth.sign_in`).
    pub action: &'static str,
    /// What it was done to.
    pub target: Option<String>,
    /// Non-personal details.
    pub details: Value,
    /// The actor's email as typed, kept outside the hashed content.
    pub actor_email: Option<String>,
}

impl AuditEvent {
    /// An event with no tenant, target or details.
    pub fn new(action: &'static str) -> Self {
        Self {
            tenant: None,
            actor: None,
            action,
            target: None,
            details: Value::Object(Default::default()),
            actor_email: None,
        }
    }

    /// An event done by a signed-in person (their id, and their email as personal data).
    pub fn by(action: &'static str, user: &crate::user::SessionUser) -> Self {
        Self::new(action).actor(user.id).email(user.email.clone())
    }

    /// Sets the actor.
    pub fn actor(mut self, actor: UserId) -> Self {
        self.actor = Some(actor);
        self
    }
    /// Sets the actor's email (personal data).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.actor_email = Some(email.into());
        self
    }
    /// Sets the tenant.
    pub fn tenant(mut self, tenant: TenantId) -> Self {
        self.tenant = Some(tenant);
        self
    }
    /// Sets the target.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }
    /// Sets the details.
    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// Writes `v` as canonical JSON: keys sorted by their UTF-8 bytes, no whitespace.
pub fn canonical_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical_json(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The hashed content of one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    /// Position in the chain.
    pub seq: i64,
    /// When, to the microsecond.
    pub at: OffsetDateTime,
    /// Tenant.
    pub tenant: Option<uuid::Uuid>,
    /// Actor id.
    pub actor: Option<uuid::Uuid>,
    /// Action.
    pub action: String,
    /// Target.
    pub target: Option<String>,
    /// Details.
    pub details: Value,
}

impl Content {
    /// The canonical text that is hashed.
    pub fn canonical(&self) -> String {
        let v = serde_json::json!({
            "seq": self.seq,
            "at": rfc3339(self.at),
            "tenant": self.tenant.map(|t| t.to_string()),
            "actor": self.actor.map(|a| a.to_string()),
            "action": self.action,
            "target": self.target,
            "details": self.details,
        });
        let mut out = String::new();
        canonical_json(&v, &mut out);
        out
    }
}

/// The hash of an entry given the previous entry's hash and its canonical content.
pub fn link_hash(prev_hash: &str, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

/// Appends an event inside the caller's transaction; returns its sequence number.
///
/// The chain head row is locked for the rest of the transaction, which serialises appends.
pub async fn append(
    conn: &mut PgConnection,
    ev: AuditEvent,
    meta: &RequestMeta,
) -> Result<i64, AppError> {
    let head = sqlx::query!("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
        .fetch_one(&mut *conn)
        .await?;
    let now = OffsetDateTime::now_utc();
    let at = now
        .replace_nanosecond(now.nanosecond() / 1000 * 1000)
        .unwrap_or(now);
    let content = Content {
        seq: head.seq + 1,
        at,
        tenant: ev.tenant.map(|t| t.0),
        actor: ev.actor.map(|a| a.0),
        action: ev.action.to_owned(),
        target: ev.target,
        details: ev.details,
    };
    let canonical = content.canonical();
    let hash = link_hash(&head.hash, &canonical);
    sqlx::query!(
        "INSERT INTO audit_log (seq, at, tenant_id, actor_id, action, target, details, canonical, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        content.seq,
        content.at,
        content.tenant,
        content.actor,
        content.action,
        content.target,
        content.details,
        canonical,
        head.hash,
        hash
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
        content.seq,
        hash
    )
    .execute(&mut *conn)
    .await?;
    if ev.actor_email.is_some() || meta.ip.is_some() || meta.user_agent.is_some() {
        sqlx::query!(
            "INSERT INTO audit_personal (seq, actor_email, ip, user_agent) VALUES ($1, $2, $3, $4)",
            content.seq,
            ev.actor_email,
            meta.ip,
            meta.user_agent
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(content.seq)
}

/// Appends an event in a transaction of its own.
pub async fn record(pool: &PgPool, ev: AuditEvent, meta: &RequestMeta) -> Result<i64, AppError> {
    let mut tx = db::begin(pool).await?;
    let seq = append(&mut tx, ev, meta).await?;
    tx.commit().await?;
    Ok(seq)
}

/// Walks the whole chain and reports the first entry whose content, hash or link is wrong.
pub async fn verify(pool: &PgPool) -> Result<ChainReport, AppError> {
    let mut tx = db::platform_tx(pool).await?;
    let rows = sqlx::query!(
        "SELECT seq, at, tenant_id, actor_id, action, target, details, canonical, prev_hash, hash
         FROM audit_log ORDER BY seq"
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut prev = GENESIS.to_owned();
    let mut checked = 0;
    for (expected_seq, r) in (1..).zip(rows) {
        let content = Content {
            seq: r.seq,
            at: r.at,
            tenant: r.tenant_id,
            actor: r.actor_id,
            action: r.action,
            target: r.target,
            details: r.details,
        };
        let intact = r.seq == expected_seq
            && r.prev_hash == prev
            && content.canonical() == r.canonical
            && link_hash(&prev, &r.canonical) == r.hash;
        if !intact {
            return Ok(ChainReport {
                checked,
                first_broken: Some(r.seq),
            });
        }
        checked += 1;
        prev = r.hash;
    }
    Ok(ChainReport {
        checked,
        first_broken: None,
    })
}

/// Where to list entries from.
#[derive(Debug, Clone, Copy)]
pub enum AuditScope {
    /// Every entry (platform ADMIN only).
    Platform,
    /// One tenant's entries.
    Tenant(TenantId),
}

/// The newest entries in scope, with personal data where still kept (platform scope only).
pub async fn recent(
    pool: &PgPool,
    scope: AuditScope,
    limit: i64,
) -> Result<Vec<AuditEntryView>, AppError> {
    let (mut tx, tenant) = match scope {
        AuditScope::Platform => (db::platform_tx(pool).await?, None),
        AuditScope::Tenant(t) => (db::tenant_tx(pool, t).await?, Some(t.0)),
    };
    let rows = sqlx::query!(
        r#"SELECT l.seq, l.at, l.action, l.actor_id, l.target, p.actor_email AS "actor_email?", p.ip AS "ip?"
           FROM audit_log l LEFT JOIN audit_personal p ON p.seq = l.seq
           WHERE ($1::uuid IS NULL OR l.tenant_id = $1)
           ORDER BY l.seq DESC LIMIT $2"#,
        tenant,
        limit
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntryView {
            seq: r.seq,
            at: rfc3339(r.at),
            action: r.action,
            actor: r.actor_email.or(r.actor_id.map(|a| a.to_string())),
            target: r.target,
            ip: r.ip,
        })
        .collect())
}

/// Erases a person's personal data from the trail; the chain stays verifiable.
pub async fn erase_person(pool: &PgPool, user: UserId) -> Result<u64, AppError> {
    let mut tx = db::platform_tx(pool).await?;
    let n = sqlx::query!(
        "DELETE FROM audit_personal WHERE seq IN (SELECT seq FROM audit_log WHERE actor_id = $1)",
        user.0
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn content(seq: i64, action: &str) -> Content {
        Content {
            seq,
            at: time::macros::datetime!(2026-11-23 10:00:00.123456 UTC),
            tenant: None,
            actor: Some(uuid::Uuid::nil()),
            action: action.into(),
            target: Some("user:1".into()),
            details: json!({"b": 1, "a": {"z": [1, "x"], "y": null}}),
        }
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let c = content(1, "auth.sign_in").canonical();
        assert!(c.starts_with(r#"{"action":"auth.sign_in","actor":"00000000-0000-0000-0000-000000000000","at":"2026-11-23T10:00:00.123456Z","details":{"a":{"y":null,"z":[1,"x"]},"b":1},"#), "{c}");
        assert!(!c.contains(' '));
    }

    #[test]
    fn canonical_form_ignores_key_insertion_order() {
        let mut a = content(1, "x");
        let mut b = content(1, "x");
        a.details = serde_json::from_str(r#"{"k1":1,"k2":2}"#).unwrap();
        b.details = serde_json::from_str(r#"{"k2":2,"k1":1}"#).unwrap();
        assert_eq!(a.canonical(), b.canonical());
    }

    #[test]
    fn chain_links_each_entry_to_the_previous() {
        let c1 = content(1, "a").canonical();
        let c2 = content(2, "b").canonical();
        let h1 = link_hash(GENESIS, &c1);
        let h2 = link_hash(&h1, &c2);
        assert_eq!(h1.len(), 64);
        assert_ne!(h1, h2);
        // Any change to earlier content changes every later hash.
        let h1_tampered = link_hash(GENESIS, &content(1, "A").canonical());
        assert_ne!(link_hash(&h1_tampered, &c2), h2);
    }

    #[test]
    fn known_vector() {
        // sha256("0…0\n{}") computed independently with coreutils' sha256sum.
        assert_eq!(
            link_hash(GENESIS, "{}"),
            "5649d09ed68c17156095d175eef152856c5b1a81c117c409c1e00f096aa6838e"
        );
    }
}
