//! Leads in Postgres (`migrations/…_leads.sql`): one lead per person, found by any identity it
//! owns (a phone number in E.164, an email, a Messenger or Instagram id). [`resolve`] is the one
//! way a contact becomes a lead, for every intake (channel messages, imports, forms, the API):
//! it finds the lead that owns any of the contact's identities, adds the ones it lacks, and when
//! the contact names two or more leads (a person who wrote on WhatsApp and later sent an email
//! with a new number) merges them into the oldest, with their identities, messages and history.
//!
//! Concurrent intakes of one person never make two leads: each identity is locked (a
//! transaction-level advisory lock, taken in sorted order) before it is looked up.
//!
//! [`scoring`] scores a lead again when they write; [`routing`] gives scored leads to SDRs;
//! [`inbox`] is what the team sees and does in the unified inbox; [`import`] reads CSV files of
//! leads in bulk.

pub mod analytics;
pub mod backpressure;
pub mod billing;
pub mod booking;
pub mod drafts;
pub mod import;
pub mod inbox;
pub mod leakage;
pub mod reengage;
pub mod replies;
pub mod routing;
pub mod scoring;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::leads::contact::Normalized;
use crate::types::TenantId;
use crate::AppError;

/// What [`resolve`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolved {
    /// The person's lead.
    pub lead: Uuid,
    /// Whether it was created now.
    pub created: bool,
    /// Leads merged into it now.
    pub merged: Vec<Uuid>,
}

/// Where a lead came from.
pub type Source = &'static str;

/// Finds or creates the lead of `contact` in `tenant`, inside the caller's transaction. `name`
/// fills a lead that has none; numbers and addresses that did not read are kept on the lead,
/// flagged, and never matched on.
pub async fn resolve(
    tx: &mut PgConnection,
    tenant: TenantId,
    contact: &Normalized,
    name: Option<&str>,
    source: Source,
) -> Result<Resolved, AppError> {
    let mut keys: Vec<String> = contact.identities.iter().map(|i| i.key()).collect();
    keys.sort();
    keys.dedup();
    let invalid_phones: Vec<String> = contact
        .invalid_phones
        .iter()
        .map(|b| b.given.trim().to_owned())
        .collect();
    let name = name.map(str::trim).filter(|n| !n.is_empty()).map(|n| {
        // The column takes 200 characters.
        n.chars().take(200).collect::<String>()
    });

    lock_identities(tx, keys.iter().map(|k| identity_lock(tenant, k)).collect()).await?;
    let owners = sqlx::query_scalar!(
        r#"SELECT l.id FROM leads l
           WHERE l.tenant_id = $1
             AND l.id IN (SELECT i.lead_id FROM unnest($2::text[]) AS k(identity)
                          JOIN lead_identities i ON i.tenant_id = $1 AND i.identity = k.identity)
           ORDER BY l.created_at, l.id
           FOR NO KEY UPDATE"#,
        tenant.0,
        &keys
    )
    .fetch_all(&mut *tx)
    .await?;

    let (lead, created, merged) = match owners.split_first() {
        None => {
            let id = Uuid::now_v7();
            sqlx::query!(
                r#"INSERT INTO leads (id, tenant_id, name, source, invalid_phones, invalid_emails)
                   VALUES ($1, $2, $3, $4, $5, $6)"#,
                id,
                tenant.0,
                name,
                source,
                &invalid_phones,
                &contact.invalid_emails
            )
            .execute(&mut *tx)
            .await?;
            event(tx, tenant, id, "created", json!({ "source": source })).await?;
            (id, true, Vec::new())
        }
        Some((survivor, others)) => {
            if !others.is_empty() {
                merge(tx, tenant, *survivor, others).await?;
            }
            sqlx::query!(
                r#"UPDATE leads
                   SET name = COALESCE(name, $2),
                       invalid_phones = ARRAY(SELECT DISTINCT unnest(invalid_phones || $3::text[])),
                       invalid_emails = ARRAY(SELECT DISTINCT unnest(invalid_emails || $4::text[]))
                   WHERE id = $1"#,
                survivor,
                name,
                &invalid_phones,
                &contact.invalid_emails
            )
            .execute(&mut *tx)
            .await?;
            (*survivor, false, others.to_vec())
        }
    };

    let added = sqlx::query_scalar!(
        r#"INSERT INTO lead_identities (tenant_id, identity, lead_id)
           SELECT $1, k, $2 FROM unnest($3::text[]) AS k
           ON CONFLICT (tenant_id, identity) DO NOTHING
           RETURNING identity"#,
        tenant.0,
        lead,
        &keys
    )
    .fetch_all(&mut *tx)
    .await?;
    if !created && !added.is_empty() {
        event(
            tx,
            tenant,
            lead,
            "identity_added",
            json!({ "identities": added }),
        )
        .await?;
    }
    Ok(Resolved {
        lead,
        created,
        merged,
    })
}

/// The name of the advisory lock of `tenant`'s identity `key` ([`lock_identities`]).
pub(crate) fn identity_lock(tenant: TenantId, key: &str) -> String {
    format!("lead:{}:{key}", tenant.0)
}

/// Takes the transaction-level advisory lock of every identity given ([`identity_lock`]), in
/// one statement and in one global order, so that any two intakes, however many
/// identities and tenants each holds, wait for each other instead of deadlocking. Every way a
/// contact becomes a lead takes these locks before it looks an identity up.
pub(crate) async fn lock_identities(
    tx: &mut PgConnection,
    mut locks: Vec<String>,
) -> Result<(), AppError> {
    if locks.is_empty() {
        return Ok(());
    }
    locks.sort_unstable();
    locks.dedup();
    sqlx::query!(
        r#"SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) AS "n!"
           FROM unnest($1::text[]) AS k"#,
        &locks
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(())
}

/// The lead owning each of `keys` in `tenant` that has one ([`owners_across`]).
pub(crate) async fn owners_of(
    tx: &mut PgConnection,
    tenant: TenantId,
    keys: &[String],
) -> Result<HashMap<String, Uuid>, AppError> {
    let tenants = vec![tenant.0; keys.len()];
    Ok(owners_across(tx, &tenants, keys)
        .await?
        .into_iter()
        .map(|((_, key), lead)| (key, lead))
        .collect())
}

/// The lead owning each (tenant, key) given (`tenants` and `keys` side by side) that has one,
/// for any number of tenants in one statement. Each pair is looked up through the identities'
/// unique index, whatever the plan settles on and however many identities a team has.
pub(crate) async fn owners_across(
    tx: &mut PgConnection,
    tenants: &[Uuid],
    keys: &[String],
) -> Result<HashMap<(Uuid, String), Uuid>, AppError> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(sqlx::query!(
        r#"SELECT i.tenant_id, i.identity, i.lead_id
           FROM unnest($1::uuid[], $2::text[]) AS k(tenant_id, identity)
           JOIN lead_identities i ON i.tenant_id = k.tenant_id AND i.identity = k.identity"#,
        tenants,
        keys
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| ((r.tenant_id, r.identity), r.lead_id))
    .collect())
}

/// Leads to create in bulk ([`create_leads`]): one entry per lead in each list.
#[derive(Debug, Default)]
pub(crate) struct NewLeads {
    /// Their ids.
    pub ids: Vec<Uuid>,
    /// Their names, `""` for none.
    pub names: Vec<String>,
    /// Where each came from (`whatsapp`, `csv`, …).
    pub sources: Vec<&'static str>,
    /// Numbers that did not read, joined by U+001F; `""` for none.
    pub invalid_phones: Vec<String>,
    /// Addresses that did not read, joined by U+001F; `""` for none.
    pub invalid_emails: Vec<String>,
}

impl NewLeads {
    /// Adds a lead with nothing flagged; returns its id.
    pub fn push(&mut self, name: Option<&str>, source: &'static str) -> Uuid {
        self.push_flagged(name, source, String::new(), String::new())
    }

    /// Adds a lead with the numbers and addresses that did not read; returns its id.
    pub fn push_flagged(
        &mut self,
        name: Option<&str>,
        source: &'static str,
        invalid_phones: String,
        invalid_emails: String,
    ) -> Uuid {
        let id = Uuid::now_v7();
        self.ids.push(id);
        self.names.push(
            name.map(str::trim)
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect(),
        );
        self.sources.push(source);
        self.invalid_phones.push(invalid_phones);
        self.invalid_emails.push(invalid_emails);
        id
    }
}

/// Identities to give, each key to the lead beside it in the tenant beside it, where no lead
/// owns the key yet ([`create_leads_across`]).
#[derive(Debug, Default)]
pub(crate) struct NewIdentities {
    pub tenants: Vec<Uuid>,
    pub keys: Vec<String>,
    pub leads: Vec<Uuid>,
}

impl NewIdentities {
    pub fn push(&mut self, tenant: Uuid, key: String, lead: Uuid) {
        self.tenants.push(tenant);
        self.keys.push(key);
        self.leads.push(lead);
    }
}

/// Creates `new`'s leads in `tenant` and gives out `identities` ([`create_leads_across`]).
pub(crate) async fn create_leads(
    tx: &mut PgConnection,
    tenant: TenantId,
    new: &NewLeads,
    detail: serde_json::Value,
    identities: &NewIdentities,
) -> Result<(), AppError> {
    create_leads_across(tx, &vec![tenant.0; new.ids.len()], new, detail, identities).await
}

/// Creates `new`'s leads, each in the tenant beside it in `tenants`, with their `created`
/// events (`{"source": …}` and `detail`), and gives out `identities` (to the new leads or to
/// leads there already): one statement however many tenants and leads, so a batch of people
/// heard from for the first time costs the intake one round trip, not three. The leads'
/// foreign keys are checked at the statement's end, when the new leads are there.
pub(crate) async fn create_leads_across(
    tx: &mut PgConnection,
    tenants: &[Uuid],
    new: &NewLeads,
    detail: serde_json::Value,
    identities: &NewIdentities,
) -> Result<(), AppError> {
    if new.ids.is_empty() && identities.keys.is_empty() {
        return Ok(());
    }
    let sources: Vec<String> = new.sources.iter().map(|s| (*s).to_owned()).collect();
    sqlx::query!(
        r#"WITH n AS (
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                                  $6::text[]) AS n(tenant_id, id, name, source, phones, emails)),
           created AS (
             INSERT INTO leads (id, tenant_id, name, source, invalid_phones, invalid_emails)
             SELECT n.id, n.tenant_id, NULLIF(n.name, ''), n.source,
                    CASE WHEN n.phones = '' THEN '{}' ELSE string_to_array(n.phones, chr(31)) END,
                    CASE WHEN n.emails = '' THEN '{}' ELSE string_to_array(n.emails, chr(31)) END
             FROM n),
           events AS (
             INSERT INTO lead_events (tenant_id, lead_id, kind, detail)
             SELECT n.tenant_id, n.id, 'created', jsonb_build_object('source', n.source) || $7
             FROM n)
           INSERT INTO lead_identities (tenant_id, identity, lead_id)
           SELECT t, k, l FROM unnest($8::uuid[], $9::text[], $10::uuid[]) AS i(t, k, l)
           ON CONFLICT (tenant_id, identity) DO NOTHING"#,
        tenants,
        &new.ids,
        &new.names,
        &sources,
        &new.invalid_phones,
        &new.invalid_emails,
        detail,
        &identities.tenants,
        &identities.keys,
        &identities.leads
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Moves everything of `others` to `survivor` and marks them merged.
async fn merge(
    tx: &mut PgConnection,
    tenant: TenantId,
    survivor: Uuid,
    others: &[Uuid],
) -> Result<(), AppError> {
    // Identities, messages, history, notes and scores move in one statement; what was read of
    // the merged conversations goes (the survivor's own read marks stay).
    sqlx::query!(
        r#"WITH identities AS (UPDATE lead_identities SET lead_id = $1
                               WHERE tenant_id = $2 AND lead_id = ANY($3)),
                messages AS (UPDATE channel_messages SET lead_id = $1
                             WHERE tenant_id = $2 AND lead_id = ANY($3)),
                events AS (UPDATE lead_events SET lead_id = $1 WHERE tenant_id = $2 AND lead_id = ANY($3)),
                notes AS (UPDATE lead_notes SET lead_id = $1 WHERE tenant_id = $2 AND lead_id = ANY($3)),
                scores AS (UPDATE lead_scores SET lead_id = $1 WHERE tenant_id = $2 AND lead_id = ANY($3)),
                reads AS (DELETE FROM lead_reads WHERE tenant_id = $2 AND lead_id = ANY($3))
           SELECT 1 AS "done!""#,
        survivor,
        tenant.0,
        others
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        r#"UPDATE leads s
           SET name = COALESCE(s.name, (SELECT o.name FROM leads o WHERE o.id = ANY($2) AND o.name IS NOT NULL
                                         ORDER BY o.created_at LIMIT 1)),
               last_inbound_at = GREATEST(s.last_inbound_at,
                                          (SELECT max(o.last_inbound_at) FROM leads o WHERE o.id = ANY($2))),
               last_message_at = GREATEST(s.last_message_at,
                                          (SELECT max(o.last_message_at) FROM leads o WHERE o.id = ANY($2))),
               tags = ARRAY(SELECT DISTINCT unnest(s.tags || (
                        SELECT COALESCE(array_agg(t), '{}') FROM leads o, unnest(o.tags) t
                        WHERE o.id = ANY($2))) LIMIT 20),
               invalid_phones = ARRAY(SELECT DISTINCT unnest(s.invalid_phones || (
                                  SELECT COALESCE(array_agg(p), '{}') FROM leads o, unnest(o.invalid_phones) p
                                  WHERE o.id = ANY($2)))),
               invalid_emails = ARRAY(SELECT DISTINCT unnest(s.invalid_emails || (
                                  SELECT COALESCE(array_agg(e), '{}') FROM leads o, unnest(o.invalid_emails) e
                                  WHERE o.id = ANY($2)))),
               -- The merged history may change the score.
               score_requested_at = now()
           WHERE s.id = $1"#,
        survivor,
        others
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"UPDATE leads SET merged_into = $1, routing = 'new', assignee = NULL, nurture_until = NULL,
                            score_requested_at = NULL
           WHERE tenant_id = $2 AND id = ANY($3)"#,
        survivor,
        tenant.0,
        others
    )
    .execute(&mut *tx)
    .await?;
    event(tx, tenant, survivor, "merged", json!({ "from": others })).await
}

async fn event(
    tx: &mut PgConnection,
    tenant: TenantId,
    lead: Uuid,
    kind: &str,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO lead_events (tenant_id, lead_id, kind, detail) VALUES ($1, $2, $3, $4)",
        tenant.0,
        lead,
        kind,
        detail
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// `raw` normalised as the team reads numbers written without a country code (its default
/// country, the United States when it has none), inside the caller's tenant transaction.
///
/// The team's settings are read by `tenant_id = app_tenant_id()`, as every read of
/// `tenant_settings` is: row-level security alone would keep the right row, but its policy (the
/// team's row, or every row in platform scope) cannot use the primary key, so Postgres would
/// read every team's row to find it (0.45 ms a read with 1,000 teams).
pub(crate) async fn normalize_for_team(
    tx: &mut PgConnection,
    raw: &crate::leads::contact::RawContact,
) -> Result<Normalized, AppError> {
    use crate::leads::contact::{country, normalize};
    let code = sqlx::query_scalar!(
        "SELECT default_country FROM tenant_settings WHERE tenant_id = app_tenant_id()"
    )
    .fetch_optional(&mut *tx)
    .await?
    .unwrap_or_else(|| "US".into());
    Ok(normalize(
        raw,
        country(&code).unwrap_or(phonenumber::country::Id::US),
    ))
}

/// A lead as an integration sends it (`POST /api/v1/teams/{slug}/leads`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLead {
    /// Their name.
    #[serde(default)]
    pub name: Option<String>,
    /// Phone numbers, in any format (read with the team's country when they have no code).
    #[serde(default)]
    pub phones: Vec<String>,
    /// Email addresses.
    #[serde(default)]
    pub emails: Vec<String>,
}

/// What [`add`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Added {
    /// The person's lead.
    pub lead: Uuid,
    /// Whether it is new.
    pub created: bool,
    /// Leads merged into it now (the contact joined them).
    pub merged: Vec<Uuid>,
    /// Numbers and addresses that did not read: kept on the lead, flagged, never matched on.
    pub invalid: Vec<String>,
}

/// The most phone numbers or emails one lead may bring.
pub const NEW_LEAD_MAX: usize = 10;

/// Takes a lead from an integration into the team, found or made by [`resolve`] (source `api`),
/// for those who may work every lead (managers, admins, owners).
pub async fn add(
    svc: &crate::server::Services,
    grant: &crate::server::guard::TenantGrant,
    input: &NewLead,
) -> Result<Added, AppError> {
    use crate::leads::contact::RawContact;
    use crate::permissions::{allowed, Access, Resource, Scope};
    use crate::FieldError;
    if allowed(grant.role, Resource::Leads, Access::Write) != Some(Scope::All) {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    let name = input
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 120) {
        errors.push(FieldError::new("name", "Keep the name to 120 characters."));
    }
    for (field, list) in [("phones", &input.phones), ("emails", &input.emails)] {
        if list.len() > NEW_LEAD_MAX {
            errors.push(FieldError::new(
                field,
                format!("Send at most {NEW_LEAD_MAX}; this has {}.", list.len()),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut tx = crate::server::db::tenant_tx(&svc.db, grant.tenant).await?;
    let raw = RawContact {
        phones: input.phones.clone(),
        emails: input.emails.clone(),
        ..RawContact::default()
    };
    let contact = normalize_for_team(&mut tx, &raw).await?;
    let invalid: Vec<String> = contact
        .invalid_phones
        .iter()
        .map(|b| format!("{} ({})", b.given, b.why))
        .chain(contact.invalid_emails.iter().cloned())
        .collect();
    if contact.identities.is_empty() {
        return Err(AppError::Validation(vec![FieldError::new(
            "phones",
            if invalid.is_empty() {
                "Send at least one phone number or email address.".to_owned()
            } else {
                format!(
                    "None of the numbers or addresses read: {}.",
                    invalid.join("; ")
                )
            },
        )]));
    }
    let done = resolve(&mut tx, grant.tenant, &contact, name, "api").await?;
    tx.commit().await?;
    Ok(Added {
        lead: done.lead,
        created: done.created,
        merged: done.merged,
        invalid,
    })
}
