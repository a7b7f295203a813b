//! Leads from the site's forms and first-party conversion events.
//!
//! A form submission is checked (spam trap, minimum fill time from a signed token, rate limit
//! per IP, every field) and stored with its consent, IP, user agent, UTM parameters and source
//! page before the visitor gets an answer. A refused submission is kept for a few minutes in
//! Redis as a [`FormEcho`], so the page can show the form again with what was typed and a
//! message at each field, without JavaScript.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::server::db;
use crate::server::{random_token, rfc3339, throttle, RequestMeta, Services};
use crate::site::lead::{parse_lead, FormEcho, LeadForm, CONSENT_TEXT};
use crate::site::views::{ConversionReport, ConversionRow, LeadRow};
use crate::site::PageKind;
use crate::{AppError, FieldError};

/// A person needs at least this long to fill in a form.
pub const MIN_FILL_MS: i64 = 3_000;
/// A form's token works for this long.
pub const MAX_FORM_AGE_MS: i64 = 24 * 3600 * 1000;
/// Submissions per IP per window.
pub const LIMIT_PER_IP: u64 = 5;
/// The window, in seconds.
pub const LIMIT_WINDOW_SECS: u64 = 600;
/// How long a refused submission is kept for showing again.
pub const ECHO_SECS: u64 = 600;

/// The hidden field a person never sees and a bot fills in.
pub const HONEYPOT: &str = "website";

fn mac(svc: &Services, purpose: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so the fallback is never used.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&svc.settings.data_key)
        .unwrap_or_else(|_| <Hmac<Sha256> as hmac::digest::KeyInit>::new(&Default::default()));
    m.update(purpose.as_bytes());
    m
}

fn sign(svc: &Services, ms: i64) -> String {
    let mut m = mac(svc, "lead-form:");
    m.update(ms.to_string().as_bytes());
    hex::encode(&m.finalize().into_bytes()[..12])
}

/// A token for a form rendered at `now`: when, and a signature over it.
pub fn form_token(svc: &Services, now: OffsetDateTime) -> String {
    let ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    format!("{ms}.{}", sign(svc, ms))
}

/// How long ago (ms) the form with `token` was rendered, if the token is ours.
fn token_age(svc: &Services, token: &str, now: OffsetDateTime) -> Option<i64> {
    let (ms, sig) = token.split_once('.')?;
    let ms: i64 = ms.parse().ok()?;
    let expected = sign(svc, ms);
    if !bool::from(expected.as_bytes().ct_eq(sig.as_bytes())) {
        return None;
    }
    Some((now.unix_timestamp_nanos() / 1_000_000) as i64 - ms)
}

/// What happened to a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    /// Stored; the visitor is thanked.
    Stored {
        /// The lead's id.
        id: Uuid,
        /// Which form.
        form: LeadForm,
        /// The page to go back to.
        source_page: String,
    },
    /// Caught by the spam trap: answered like a success, stored nowhere.
    Spam {
        /// Which form it claimed to be.
        form: LeadForm,
        /// The page to go back to.
        source_page: String,
    },
    /// Refused; show the form again with this.
    Refused {
        /// The page to go back to.
        source_page: String,
        /// What was typed and what is wrong.
        echo: FormEcho,
    },
}

/// A site path a form may claim to be on; anything else becomes `/contact`.
fn source_page(raw: Option<&String>) -> String {
    raw.map(|s| s.trim())
        .filter(|s| {
            s.len() <= 300
                && PageKind::from_path(s).is_some()
                && s.starts_with('/')
                && !s.starts_with("//")
        })
        .map(|s| s.split(['?', '#']).next().unwrap_or("/").to_owned())
        .unwrap_or_else(|| "/contact".to_owned())
}

fn optional(values: &BTreeMap<String, String>, key: &str, max: usize) -> Option<String> {
    values
        .get(key)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(max).collect())
}

/// Takes a form submission: `values` are the posted fields.
pub async fn submit(
    svc: &Services,
    values: BTreeMap<String, String>,
    meta: &RequestMeta,
) -> Result<Submission, AppError> {
    let source_page = source_page(values.get("source_page"));
    let consent = values
        .get("consent")
        .is_some_and(|v| matches!(v.as_str(), "on" | "yes" | "true" | "1"));
    let kept: BTreeMap<String, String> = values
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "token" | HONEYPOT | "consent"))
        .map(|(k, v)| (k.clone(), v.chars().take(6000).collect()))
        .collect();
    let refuse = |kept: BTreeMap<String, String>, errors: Vec<FieldError>| Submission::Refused {
        source_page: source_page.clone(),
        echo: FormEcho {
            values: kept,
            consent,
            errors,
        },
    };
    let Some(form) = values.get("form").and_then(|f| LeadForm::parse(f)) else {
        return Ok(refuse(
            kept,
            vec![FieldError::new(
                "form",
                "This form is not one we know. Please use the form on the page.",
            )],
        ));
    };
    if values.get(HONEYPOT).is_some_and(|v| !v.trim().is_empty()) {
        tracing::info!(form = form.as_str(), "lead form: spam trap filled; dropped");
        return Ok(Submission::Spam { form, source_page });
    }
    let now = OffsetDateTime::now_utc();
    match values.get("token").and_then(|t| token_age(svc, t, now)) {
        None => {
            return Ok(refuse(kept, vec![FieldError::new("form", "This form had expired. Your details are below: please check them and send again.")]));
        }
        Some(age) if !(-60_000..=MAX_FORM_AGE_MS).contains(&age) => {
            return Ok(refuse(kept, vec![FieldError::new("form", "This form had expired. Your details are below: please check them and send again.")]));
        }
        Some(age) if age < MIN_FILL_MS => {
            return Ok(refuse(kept, vec![FieldError::new("form", "That was quicker than a person usually types. Please check your details and press send again.")]));
        }
        Some(_) => {}
    }
    let ip = meta.ip.clone().unwrap_or_else(|| "unknown".into());
    if let Err(AppError::RateLimited { retry_after_secs }) =
        throttle::rate_limit(svc, &["lead", &ip], LIMIT_PER_IP, LIMIT_WINDOW_SECS).await
    {
        let minutes = retry_after_secs.div_ceil(60);
        return Ok(refuse(kept, vec![FieldError::new(
            "form",
            format!("We have had several messages from your network just now. Please send again in {minutes} minute{}; your details are kept below.", if minutes == 1 { "" } else { "s" }),
        )]));
    }
    let lead = match parse_lead(form, &values, consent) {
        Ok(l) => l,
        Err(AppError::Validation(errs)) => return Ok(refuse(kept, errs)),
        Err(e) => return Err(e),
    };
    let id = Uuid::now_v7();
    let cta = optional(&values, "cta", 48)
        .filter(|c| c.chars().all(|ch| ch.is_alphanumeric() || ch == '-'));
    let details = serde_json::to_value(&lead.details).map_err(|_| AppError::Internal)?;
    let mut tx = db::begin(&svc.db).await?;
    sqlx::query!(
        "INSERT INTO site_leads (id, form, name, email, phone, company, message, details, consent_at, consent_text,
                                 ip, user_agent, utm_source, utm_medium, utm_campaign, utm_term, utm_content,
                                 source_page, referrer, cta)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
        id,
        form.as_str(),
        lead.name,
        lead.email.as_str(),
        lead.phone,
        lead.company,
        lead.message,
        details,
        now,
        CONSENT_TEXT,
        meta.ip,
        meta.user_agent,
        optional(&values, "utm_source", 200),
        optional(&values, "utm_medium", 200),
        optional(&values, "utm_campaign", 200),
        optional(&values, "utm_term", 200),
        optional(&values, "utm_content", 200),
        source_page,
        optional(&values, "referrer", 300),
        cta
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO site_events (kind, path, cta, visitor) VALUES ('form_submit', $1, $2, $3)",
        source_page,
        cta,
        visitor(svc, meta, now)
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Submission::Stored {
        id,
        form,
        source_page,
    })
}

/// Keeps a refused submission for showing again; answers its id.
pub async fn keep_echo(svc: &Services, echo: &FormEcho) -> Result<String, AppError> {
    let id = random_token(12);
    let json = serde_json::to_string(echo).map_err(|_| AppError::Internal)?;
    let mut r = svc.redis.clone();
    let _: () = r
        .set_ex(svc.key(&["form-echo", &id]), json, ECHO_SECS)
        .await?;
    Ok(id)
}

/// A kept submission, while it lasts.
pub async fn echo(svc: &Services, id: &str) -> Result<Option<FormEcho>, AppError> {
    if id.len() > 40
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Ok(None);
    }
    let mut r = svc.redis.clone();
    let json: Option<String> = r.get(svc.key(&["form-echo", id])).await?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

/// A day's pseudonymous visitor id: the same person on the same day, nothing more.
fn visitor(svc: &Services, meta: &RequestMeta, now: OffsetDateTime) -> String {
    let day = now.date().to_string();
    let mut m = mac(svc, "visitor:");
    m.update(day.as_bytes());
    m.update(meta.ip.as_deref().unwrap_or("").as_bytes());
    m.update(b"\n");
    m.update(meta.user_agent.as_deref().unwrap_or("").as_bytes());
    hex::encode(&m.finalize().into_bytes()[..8])
}

/// An event the page's script reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientEvent {
    /// `view` or `cta_click`.
    pub kind: String,
    /// The page it happened on.
    pub path: String,
    /// The call to action's name, for clicks.
    #[serde(default)]
    pub cta: Option<String>,
    /// Where the click leads.
    #[serde(default)]
    pub target: Option<String>,
}

/// Most events in one report.
pub const MAX_EVENTS: usize = 20;

/// Records what the page's script reported; answers how many were kept (malformed ones are
/// dropped and counted out).
pub async fn record_events(
    svc: &Services,
    events: &[ClientEvent],
    meta: &RequestMeta,
) -> Result<usize, AppError> {
    if events.len() > MAX_EVENTS {
        return Err(AppError::BadRequest(format!(
            "Send at most {MAX_EVENTS} events at once."
        )));
    }
    let ip = meta.ip.clone().unwrap_or_else(|| "unknown".into());
    throttle::rate_limit(svc, &["site-events", &ip], 240, 60).await?;
    let who = visitor(svc, meta, OffsetDateTime::now_utc());
    let mut kept = 0;
    for e in events {
        let path = e.path.split(['?', '#']).next().unwrap_or_default();
        let ok_kind = matches!(e.kind.as_str(), "view" | "cta_click");
        let ok_path = path.len() <= 300 && PageKind::from_path(path).is_some();
        let cta = e.cta.as_deref().map(str::trim).filter(|c| !c.is_empty());
        let ok_cta = cta
            .is_none_or(|c| c.len() <= 48 && c.chars().all(|ch| ch.is_alphanumeric() || ch == '-'));
        let target = e
            .target
            .as_deref()
            .map(|t| t.chars().take(300).collect::<String>());
        if !(ok_kind && ok_path && ok_cta) || (e.kind == "cta_click" && cta.is_none()) {
            continue;
        }
        sqlx::query!(
            "INSERT INTO site_events (kind, path, cta, target, visitor) VALUES ($1, $2, $3, $4, $5)",
            e.kind,
            path,
            cta,
            target,
            who
        )
        .execute(&svc.db)
        .await?;
        kept += 1;
    }
    Ok(kept)
}

fn rate(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

/// Views, clicks and leads per page and per call to action over the last `days` days.
pub async fn conversion_report(db: &sqlx::PgPool, days: i32) -> Result<ConversionReport, AppError> {
    let days = days.clamp(1, 365);
    let pages = sqlx::query!(
        r#"SELECT path,
                  count(*) FILTER (WHERE kind = 'view') AS "views!",
                  count(*) FILTER (WHERE kind = 'cta_click') AS "clicks!",
                  count(*) FILTER (WHERE kind = 'form_submit') AS "leads!"
           FROM site_events WHERE created_at > now() - make_interval(days => $1)
           GROUP BY path ORDER BY 2 DESC, 4 DESC, path LIMIT 200"#,
        days
    )
    .fetch_all(db)
    .await?;
    let ctas = sqlx::query!(
        r#"SELECT cta AS "cta!",
                  count(*) FILTER (WHERE kind = 'view') AS "views!",
                  count(*) FILTER (WHERE kind = 'cta_click') AS "clicks!",
                  count(*) FILTER (WHERE kind = 'form_submit') AS "leads!"
           FROM site_events WHERE created_at > now() - make_interval(days => $1) AND cta IS NOT NULL
           GROUP BY cta ORDER BY 3 DESC, 4 DESC, cta LIMIT 100"#,
        days
    )
    .fetch_all(db)
    .await?;
    let total_leads = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM site_leads WHERE created_at > now() - make_interval(days => $1)"#,
        days
    )
    .fetch_one(db)
    .await?;
    Ok(ConversionReport {
        days,
        pages: pages
            .into_iter()
            .map(|r| ConversionRow {
                rate: rate(r.leads, r.views),
                key: r.path,
                views: r.views,
                clicks: r.clicks,
                leads: r.leads,
            })
            .collect(),
        ctas: ctas
            .into_iter()
            .map(|r| ConversionRow {
                rate: rate(r.leads, r.clicks),
                key: r.cta,
                views: r.views,
                clicks: r.clicks,
                leads: r.leads,
            })
            .collect(),
        total_leads,
    })
}

/// The newest leads.
pub async fn recent_leads(db: &sqlx::PgPool, limit: i64) -> Result<Vec<LeadRow>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT l.id, l.form, l.name, l.email, l.company, l.source_page, l.cta, l.utm_source,
                  l.created_at, t.name AS "team?"
           FROM site_leads l LEFT JOIN tenants t ON t.id = l.forwarded_to
           ORDER BY l.created_at DESC LIMIT $1"#,
        limit.clamp(1, 500)
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| LeadRow {
            id: r.id.to_string(),
            form: r.form,
            name: r.name,
            email: r.email,
            company: r.company,
            source_page: r.source_page,
            cta: r.cta,
            utm_source: r.utm_source,
            created_at: rfc3339(r.created_at),
            team: r.team,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_pages_stay_on_the_site() {
        assert_eq!(
            source_page(Some(&"/pricing?utm_source=x".to_owned())),
            "/pricing"
        );
        assert_eq!(
            source_page(Some(&"https://evil.example/".to_owned())),
            "/contact"
        );
        assert_eq!(source_page(Some(&"//evil.example".to_owned())), "/contact");
        assert_eq!(source_page(Some(&"/admin".to_owned())), "/contact");
        assert_eq!(source_page(None), "/contact");
        assert_eq!(source_page(Some(&"/".to_owned())), "/");
    }

    #[test]
    fn rates_are_percentages_to_one_decimal() {
        assert_eq!(rate(1, 3), 33.3);
        assert_eq!(rate(0, 0), 0.0);
        assert_eq!(rate(5, 5), 100.0);
    }
}
