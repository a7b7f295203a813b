//! The site's leads into a sales team's inbox.
//!
//! The platform admins choose one team's email channel ([`set`]). From then on every lead the
//! site's forms store is forwarded by the worker ([`forward_pending`]): it becomes the team's
//! lead (source `form`, found or made by the visitor's email and phone, so a person who also
//! wrote on WhatsApp is one lead), and arrives on the channel as an email from the visitor,
//! through the same durable intake as mail from outside. There it is scored, routed, escalated
//! and shown live like any message, and the team answers by email in its thread.
//!
//! A submission is stored before the visitor is thanked; forwarding comes after and is safe to
//! repeat (the email's bytes are the same each time, so the intake stores it once), so a crash
//! between the steps loses nothing and doubles nothing.

use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::leads::contact::RawContact;
use crate::leads::ChannelKind;
use crate::server::audit::{self, AuditEvent};
use crate::server::channels::intake;
use crate::server::leads;
use crate::server::{db, rfc3339, RequestMeta, Services};
use crate::site::lead::{inbox_text, Lead, LeadForm};
use crate::site::views::{IntakeChoice, SiteIntake};
use crate::types::{Email, TenantId};
use crate::user::SessionUser;
use crate::{AppError, FieldError};

/// Where site leads go now, and every team's email channels to choose from.
pub async fn view(svc: &Services) -> Result<SiteIntake, AppError> {
    let mut tx = db::platform_tx(&svc.db).await?;
    let choices: Vec<IntakeChoice> = sqlx::query!(
        r#"SELECT c.id, c.external_id, t.name AS team
           FROM channels c JOIN tenants t ON t.id = c.tenant_id
           WHERE c.kind = 'email' ORDER BY t.name, c.external_id"#
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| IntakeChoice {
        channel: r.id,
        team: r.team,
        address: r.external_id,
    })
    .collect();
    let now = sqlx::query!("SELECT channel_id, since FROM site_intake")
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    let current = now
        .as_ref()
        .and_then(|n| n.channel_id)
        .and_then(|id| choices.iter().find(|c| c.channel == id).cloned());
    Ok(SiteIntake {
        since: current.as_ref().and(now.as_ref()).map(|n| rfc3339(n.since)),
        current,
        choices,
    })
}

/// Sends the site's leads from now on to `channel` (a team's email channel), or to no team.
/// Leads sent before stay on the admins' list only. The caller checked that `user` is a
/// platform admin.
pub async fn set(
    svc: &Services,
    user: &SessionUser,
    channel: Option<Uuid>,
    meta: &RequestMeta,
) -> Result<SiteIntake, AppError> {
    let mut tx = db::platform_tx(&svc.db).await?;
    let chosen = match channel {
        None => None,
        Some(id) => {
            let found = sqlx::query!(
                r#"SELECT c.external_id, t.name AS team
                   FROM channels c JOIN tenants t ON t.id = c.tenant_id
                   WHERE c.id = $1 AND c.kind = 'email'"#,
                id
            )
            .fetch_optional(&mut *tx)
            .await?;
            let Some(found) = found else {
                return Err(AppError::Validation(vec![FieldError::new(
                    "channel",
                    "Choose one of the teams' email channels; that one is gone or is not email.",
                )]));
            };
            Some((found.team, found.external_id))
        }
    };
    sqlx::query!(
        r#"INSERT INTO site_intake (only_row, channel_id, since, updated_by)
           VALUES (true, $1, now(), $2)
           ON CONFLICT (only_row) DO UPDATE
             SET channel_id = EXCLUDED.channel_id, updated_by = EXCLUDED.updated_by,
                 since = CASE WHEN site_intake.channel_id IS NOT DISTINCT FROM EXCLUDED.channel_id
                              THEN site_intake.since ELSE now() END"#,
        channel,
        user.id.0
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("site.intake_set", user).details(match &chosen {
            Some((team, address)) => {
                json!({ "channel": channel, "team": team, "address": address })
            }
            None => json!({ "channel": null }),
        }),
        meta,
    )
    .await?;
    tx.commit().await?;
    view(svc).await
}

/// What one run of [`forward_pending`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forwarded {
    /// Site leads that reached the team's inbox.
    pub forwarded: usize,
    /// New leads among them (the others were people the team knew).
    pub new_leads: usize,
}

/// The email a site lead arrives as: from the visitor to the channel's `address`, dated when
/// they sent the form, with an id made from the site lead's, so the same lead always makes the
/// same bytes.
pub fn email_of(
    id: Uuid,
    lead: &Lead,
    page: &str,
    address: &str,
    at: OffsetDateTime,
) -> Result<Vec<u8>, AppError> {
    let (subject, body) = inbox_text(lead, page);
    let from = lettre::message::Mailbox::new(
        Some(lead.name.clone()),
        lead.email
            .as_str()
            .parse()
            .map_err(|_| AppError::Internal)?,
    );
    let to: lettre::message::Mailbox = address.parse().map_err(|_| AppError::Internal)?;
    let domain = address
        .rsplit_once('@')
        .map_or("fluxorae.invalid", |(_, d)| d);
    let message = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<site-{id}@{domain}>")))
        .date(at.into())
        .body(body)
        .map_err(|_| AppError::Internal)?;
    Ok(message.formatted())
}

/// Forwards up to `limit` site leads stored since the intake was set and not yet forwarded,
/// oldest first. Each is claimed by one instance; one that fails stays for the next run.
pub async fn forward_pending(svc: &Services, limit: i64) -> Result<Forwarded, AppError> {
    let mut done = Forwarded::default();
    let mut tx = db::platform_tx(&svc.db).await?;
    let Some(target) = sqlx::query!(
        r#"SELECT c.tenant_id, c.external_id, s.since
           FROM site_intake s JOIN channels c ON c.id = s.channel_id AND c.kind = 'email'"#
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        tx.commit().await?;
        return Ok(done);
    };
    let rows = sqlx::query!(
        r#"SELECT id, form, name, email, phone, company, message, details, source_page, created_at
           FROM site_leads
           WHERE picked_up_at IS NULL AND created_at >= $1
           ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED"#,
        target.since,
        limit
    )
    .fetch_all(&mut *tx)
    .await?;
    let tenant = TenantId(target.tenant_id);
    for r in rows {
        let (Some(form), Ok(email)) = (LeadForm::parse(&r.form), Email::parse(&r.email)) else {
            // The table's checks admit only these; a row that still does not read stays listed.
            tracing::warn!(id = %r.id, "a site lead does not read; it stays on the admins' list");
            continue;
        };
        let lead = Lead {
            form,
            name: r.name,
            email,
            company: r.company,
            phone: r.phone,
            message: r.message,
            details: serde_json::from_value(r.details).unwrap_or_default(),
        };
        // The team's lead first, by email and phone, so the email finds it.
        let mut ttx = db::tenant_tx(&svc.db, tenant).await?;
        let raw = RawContact {
            phones: lead.phone.iter().cloned().collect(),
            emails: vec![lead.email.as_str().to_owned()],
            ..RawContact::default()
        };
        let contact = leads::normalize_for_team(&mut ttx, &raw).await?;
        let resolved =
            leads::resolve(&mut ttx, tenant, &contact, Some(lead.name.as_str()), "form").await?;
        ttx.commit().await?;
        let bytes = email_of(
            r.id,
            &lead,
            &r.source_page,
            &target.external_id,
            r.created_at,
        )?;
        intake::receive(svc, ChannelKind::Email, &bytes).await?;
        sqlx::query!(
            "UPDATE site_leads SET picked_up_at = now(), forwarded_to = $2, inbox_lead = $3 WHERE id = $1",
            r.id,
            tenant.0,
            resolved.lead
        )
        .execute(&mut *tx)
        .await?;
        done.forwarded += 1;
        done.new_leads += usize::from(resolved.created);
    }
    tx.commit().await?;
    Ok(done)
}
