//! Freelancer onboarding in Postgres: the profile and its review by ops, availability,
//! portfolio pieces, identity documents, and applications to projects.
//!
//! A profile starts as a draft, out of matching (`active = false`). Its owner fills it in and
//! sends it to review once nothing is [missing](crate::talent::ProfileView::missing); ops
//! approves it (it joins matching and can be assigned) or asks for changes with a note.
//!
//! Identity documents are sealed before they reach the object store, with the owner's data
//! key (see [`crypto`]); the row keeps only what a reviewer lists. Every time staff open one,
//! the audit trail says who and when.

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::crypto::{self, DataKey};
use super::projects::workspace::Download;
use super::projects::{flow, is_staff};
use crate::money::{Currency, Money};
use crate::roles::PlatformRole;
use crate::server::audit::{self, AuditEvent};
use crate::server::db;
use crate::server::{rfc3339, RequestMeta, Services};
use crate::site::media::clean_filename;
use crate::talent::{
    check_review_note, ApplicationInput, ApplicationStatus, ApplicationView, Availability,
    CheckedAvailability, KycDocument, KycKind, OpenProject, PieceInput, PortfolioItem,
    ProfileInput, ProfileStatus, ProfileView, ReviewDecision, ReviewItem, TimeOff, MAX_PIECES,
};
use crate::types::Email;
use crate::user::SessionUser;
use crate::workspace::{parse_date, sniff, today};
use crate::AppError;

/// Whether `user` delivers work (freelancers and experts have profiles).
pub fn is_talent(user: &SessionUser) -> bool {
    matches!(user.role, PlatformRole::Freelancer | PlatformRole::Expert)
}

fn talent_only(user: &SessionUser) -> Result<(), AppError> {
    if is_talent(user) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn staff_only(user: &SessionUser) -> Result<(), AppError> {
    if is_staff(user) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The id of `user`'s profile, made as a draft the first time.
async fn ensure_profile(conn: &mut PgConnection, user: &SessionUser) -> Result<Uuid, AppError> {
    if let Some(id) = sqlx::query_scalar!(
        "SELECT id FROM talent_profiles WHERE user_id = $1",
        user.id.0
    )
    .fetch_optional(&mut *conn)
    .await?
    {
        return Ok(id);
    }
    let kind = if user.role == PlatformRole::Expert {
        "expert"
    } else {
        "freelancer"
    };
    sqlx::query!(
        "INSERT INTO talent_profiles (id, user_id, name, kind, headline, bio, skills, hourly_rate_usd, status, active)
         VALUES ($1, $2, $3, $4, '', '', '{}', 25, 'draft', false)
         ON CONFLICT (user_id) WHERE user_id IS NOT NULL DO NOTHING",
        Uuid::now_v7(),
        user.id.0,
        user.display_name,
        kind
    )
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query_scalar!(
        "SELECT id FROM talent_profiles WHERE user_id = $1",
        user.id.0
    )
    .fetch_one(&mut *conn)
    .await?)
}

fn availability_of(weekly: &[i16], time_off: serde_json::Value) -> CheckedAvailability {
    let mut w = [0u8; 7];
    for (slot, h) in w.iter_mut().zip(weekly) {
        *slot = u8::try_from(*h).unwrap_or(0);
    }
    let ranges: Vec<TimeOff> = serde_json::from_value(time_off).unwrap_or_default();
    CheckedAvailability {
        weekly: w,
        time_off: ranges
            .into_iter()
            .filter_map(|t| Some((parse_date(&t.from)?, parse_date(&t.to)?, t.note)))
            .collect(),
    }
}

/// The profile of the user `owner`, as its owner or staff see it.
async fn load(svc: &Services, owner: Uuid) -> Result<ProfileView, AppError> {
    let r = sqlx::query!(
        r#"SELECT t.id, t.name, t.status, t.review_note, t.headline, t.bio, t.hourly_rate_usd,
                  t.utc_offset_minutes, t.skills, t.weekly_hours, t.time_off, t.submitted_at,
                  t.rating, t.reviews
           FROM talent_profiles t WHERE t.user_id = $1"#,
        owner
    )
    .fetch_optional(&svc.db)
    .await?
    .ok_or(AppError::NotFound)?;
    let portfolio = sqlx::query!(
        "SELECT id, title, description, url, content_type FROM talent_portfolio
         WHERE talent_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
        r.id
    )
    .fetch_all(&svc.db)
    .await?
    .into_iter()
    .map(|p| PortfolioItem {
        id: p.id,
        title: p.title,
        description: p.description,
        url: p.url,
        file: p.content_type.is_some().then(|| p.id.to_string()),
        content_type: p.content_type,
    })
    .collect();
    let documents = sqlx::query!(
        "SELECT id, kind, name, bytes, created_at FROM kyc_documents
         WHERE user_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
        owner
    )
    .fetch_all(&svc.db)
    .await?
    .into_iter()
    .filter_map(|d| {
        Some(KycDocument {
            id: d.id,
            kind: KycKind::parse(&d.kind)?,
            name: d.name,
            bytes: d.bytes,
            at: rfc3339(d.created_at),
        })
    })
    .collect();
    let av = availability_of(&r.weekly_hours, r.time_off);
    let today = today();
    Ok(ProfileView {
        user_id: owner,
        name: r.name,
        status: ProfileStatus::parse(&r.status).unwrap_or(ProfileStatus::Draft),
        review_note: r.review_note,
        input: ProfileInput {
            headline: r.headline,
            bio: r.bio,
            hourly_rate: r.hourly_rate_usd.to_string(),
            utc_offset: r.utc_offset_minutes.to_string(),
            skills: r.skills,
        },
        calendar: av.calendar(today, 4),
        hours_per_week: av.hours_per_week(today),
        availability: av.to_input(),
        portfolio,
        documents,
        submitted_at: r.submitted_at.map(rfc3339),
        rating: r.rating,
        reviews: r.reviews,
    })
}

/// The asker's own profile, started as a draft the first time they open it.
pub async fn mine(svc: &Services, user: &SessionUser) -> Result<ProfileView, AppError> {
    talent_only(user)?;
    let mut conn = svc.db.acquire().await?;
    ensure_profile(&mut conn, user).await?;
    drop(conn);
    load(svc, user.id.0).await
}

/// The owner's profile row, locked, refusing changes while it is in review.
async fn editable(conn: &mut PgConnection, user: &SessionUser) -> Result<Uuid, AppError> {
    let id = ensure_profile(conn, user).await?;
    let status = sqlx::query_scalar!(
        "SELECT status FROM talent_profiles WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    if status == ProfileStatus::Submitted.as_str() {
        return Err(AppError::Conflict(
            "Your profile is with ops for review; you can change it again once they reply.".into(),
        ));
    }
    Ok(id)
}

/// Saves the profile fields.
pub async fn save_profile(
    svc: &Services,
    user: &SessionUser,
    input: &ProfileInput,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    talent_only(user)?;
    let p = input.check()?;
    let mut tx = db::begin(&svc.db).await?;
    let id = editable(&mut tx, user).await?;
    sqlx::query!(
        "UPDATE talent_profiles SET headline = $2, bio = $3, hourly_rate_usd = $4,
           utc_offset_minutes = $5, skills = $6
         WHERE id = $1",
        id,
        p.headline,
        p.bio,
        p.hourly_rate_usd,
        p.utc_offset_minutes,
        &p.skills
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("talent.profile_saved", user)
            .target(format!("talent:{id}"))
            .details(json!({ "skills": p.skills, "hourly_rate_usd": p.hourly_rate_usd })),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Saves weekly hours and time off; matching uses the four-week average from then on.
pub async fn save_availability(
    svc: &Services,
    user: &SessionUser,
    input: &Availability,
    meta: &RequestMeta,
) -> Result<u32, AppError> {
    talent_only(user)?;
    let today = today();
    let a = input.check(today)?;
    let per_week = a.hours_per_week(today);
    let weekly: Vec<i16> = a.weekly.iter().map(|h| i16::from(*h)).collect();
    let time_off = serde_json::to_value(a.to_input().time_off).map_err(|_| AppError::Internal)?;
    let mut tx = db::begin(&svc.db).await?;
    let id = editable(&mut tx, user).await?;
    sqlx::query!(
        "UPDATE talent_profiles SET weekly_hours = $2, time_off = $3, available_hours = $4 WHERE id = $1",
        id,
        &weekly,
        time_off,
        i16::try_from(per_week.min(80)).unwrap_or(80)
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("talent.availability_saved", user)
            .target(format!("talent:{id}"))
            .details(json!({ "weekly": weekly, "hours_per_week": per_week })),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(per_week)
}

/// A file that came with a form: its name and bytes.
#[derive(Debug)]
pub struct Upload {
    /// Its name as the browser gave it.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Adds a portfolio piece: a file, a link, or both.
pub async fn add_piece(
    svc: &Services,
    user: &SessionUser,
    input: &PieceInput,
    file: Option<Upload>,
    meta: &RequestMeta,
) -> Result<Uuid, AppError> {
    talent_only(user)?;
    let (title, description, url) = input.check(file.is_some())?;
    let file = match file {
        Some(f) => {
            let content_type = sniff(&f.name, &f.bytes).map_err(|m| AppError::field("file", m))?;
            Some((clean_filename(&f.name), content_type, f.bytes))
        }
        None => None,
    };
    let mut conn = svc.db.acquire().await?;
    let talent = editable(&mut conn, user).await?;
    drop(conn);
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM talent_portfolio WHERE talent_id = $1 AND deleted_at IS NULL"#,
        talent
    )
    .fetch_one(&svc.db)
    .await?;
    if count >= MAX_PIECES as i64 {
        return Err(AppError::field(
            "title",
            format!("A portfolio holds {MAX_PIECES} pieces; remove one to add another."),
        ));
    }
    let id = Uuid::now_v7();
    let (name, content_type, bytes, key) = match file {
        Some((name, ct, bytes)) => {
            let key = format!("talent/{talent}/{id}");
            let size = i64::try_from(bytes.len()).map_err(|_| AppError::Internal)?;
            svc.media.put(&key, bytes).await?;
            (Some(name), Some(ct), Some(size), Some(key))
        }
        None => (None, None, None, None),
    };
    let mut tx = db::begin(&svc.db).await?;
    sqlx::query!(
        "INSERT INTO talent_portfolio (id, talent_id, title, description, url, file_name, content_type, bytes, store_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        id,
        talent,
        title,
        description,
        url,
        name,
        content_type,
        bytes,
        key
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("talent.portfolio_added", user)
            .target(format!("portfolio:{id}"))
            .details(json!({ "title": title, "type": content_type })),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes one of the asker's portfolio pieces.
pub async fn remove_piece(
    svc: &Services,
    user: &SessionUser,
    piece: Uuid,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    talent_only(user)?;
    let mut tx = db::begin(&svc.db).await?;
    let talent = editable(&mut tx, user).await?;
    let gone = sqlx::query!(
        "UPDATE talent_portfolio SET deleted_at = now() WHERE id = $1 AND talent_id = $2 AND deleted_at IS NULL",
        piece,
        talent
    )
    .execute(&mut *tx)
    .await?;
    if gone.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    audit::append(
        &mut tx,
        AuditEvent::by("talent.portfolio_removed", user).target(format!("portfolio:{piece}")),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A portfolio file: for its owner and staff always, for anyone signed in once the profile
/// is approved.
pub async fn piece_file(
    svc: &Services,
    user: &SessionUser,
    piece: Uuid,
) -> Result<Download, AppError> {
    let p = sqlx::query!(
        r#"SELECT p.file_name AS "name!", p.content_type AS "content_type!", p.store_key AS "key!",
                  t.user_id, t.status
           FROM talent_portfolio p JOIN talent_profiles t ON t.id = p.talent_id
           WHERE p.id = $1 AND p.deleted_at IS NULL AND p.store_key IS NOT NULL"#,
        piece
    )
    .fetch_optional(&svc.db)
    .await?
    .ok_or(AppError::NotFound)?;
    let own = p.user_id == Some(user.id.0);
    if !own && !is_staff(user) && p.status != ProfileStatus::Approved.as_str() {
        return Err(AppError::NotFound);
    }
    let bytes = svc.media.get(&p.key).await?.ok_or(AppError::NotFound)?;
    Ok(Download {
        name: p.name,
        content_type: p.content_type,
        bytes,
    })
}

fn key_aad(user: Uuid) -> Vec<u8> {
    [b"user_data_key:".as_slice(), user.as_bytes()].concat()
}

fn doc_aad(doc: Uuid) -> Vec<u8> {
    [b"kyc_document:".as_slice(), doc.as_bytes()].concat()
}

/// `owner`'s data key, made and stored the first time.
async fn data_key(svc: &Services, owner: Uuid) -> Result<DataKey, AppError> {
    let master = &svc.settings.data_key;
    if let Some(w) = sqlx::query_scalar!(
        "SELECT wrapped FROM user_data_keys WHERE user_id = $1",
        owner
    )
    .fetch_optional(&svc.db)
    .await?
    {
        return crypto::unwrap_data_key(master, &key_aad(owner), &w);
    }
    let (key, wrapped) = crypto::new_data_key(master, &key_aad(owner))?;
    let made = sqlx::query!(
        "INSERT INTO user_data_keys (user_id, wrapped) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        owner,
        wrapped
    )
    .execute(&svc.db)
    .await?;
    if made.rows_affected() == 1 {
        return Ok(key);
    }
    // Another request made one first: use that.
    let w = sqlx::query_scalar!(
        "SELECT wrapped FROM user_data_keys WHERE user_id = $1",
        owner
    )
    .fetch_one(&svc.db)
    .await?;
    crypto::unwrap_data_key(master, &key_aad(owner), &w)
}

/// Stores an identity document, sealed with the owner's data key.
pub async fn upload_document(
    svc: &Services,
    user: &SessionUser,
    kind: &str,
    file: Upload,
    meta: &RequestMeta,
) -> Result<Uuid, AppError> {
    talent_only(user)?;
    let kind = KycKind::parse(kind)
        .ok_or_else(|| AppError::field("kind", "Choose what the document is."))?;
    let content_type = sniff(&file.name, &file.bytes).map_err(|m| AppError::field("file", m))?;
    if !(content_type.starts_with("image/") || content_type == "application/pdf") {
        return Err(AppError::field(
            "file",
            "Upload a scan or photo: a PDF, PNG, JPEG or WebP file.",
        ));
    }
    let mut conn = svc.db.acquire().await?;
    editable(&mut conn, user).await?;
    drop(conn);
    let id = Uuid::now_v7();
    let size = i64::try_from(file.bytes.len()).map_err(|_| AppError::Internal)?;
    let key = data_key(svc, user.id.0).await?;
    let sealed = crypto::seal_with(&key, &doc_aad(id), &file.bytes)?;
    drop(file.bytes);
    let store_key = format!("kyc/{}/{id}", user.id.0);
    svc.media.put(&store_key, sealed).await?;
    let name = clean_filename(&file.name);
    let mut tx = db::begin(&svc.db).await?;
    sqlx::query!(
        "INSERT INTO kyc_documents (id, user_id, kind, name, content_type, bytes, store_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id,
        user.id.0,
        kind.as_str(),
        name,
        content_type,
        size,
        store_key
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("kyc.document_uploaded", user)
            .target(format!("kyc:{id}"))
            .details(json!({ "kind": kind.as_str(), "bytes": size })),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes one of the asker's identity documents; its sealed bytes are deleted too.
pub async fn remove_document(
    svc: &Services,
    user: &SessionUser,
    doc: Uuid,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    talent_only(user)?;
    let mut tx = db::begin(&svc.db).await?;
    editable(&mut tx, user).await?;
    let key = sqlx::query_scalar!(
        "UPDATE kyc_documents SET deleted_at = now() WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL
         RETURNING store_key",
        doc,
        user.id.0
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    audit::append(
        &mut tx,
        AuditEvent::by("kyc.document_removed", user).target(format!("kyc:{doc}")),
        meta,
    )
    .await?;
    tx.commit().await?;
    if let Err(e) = svc.media.delete(&key).await {
        tracing::warn!(%doc, error = %e, "a removed identity document's bytes were not deleted");
    }
    Ok(())
}

/// An identity document's contents, for its owner or staff; staff access is audited.
pub async fn document(
    svc: &Services,
    user: &SessionUser,
    doc: Uuid,
    meta: &RequestMeta,
) -> Result<Download, AppError> {
    let d = sqlx::query!(
        "SELECT user_id, name, content_type, store_key FROM kyc_documents WHERE id = $1 AND deleted_at IS NULL",
        doc
    )
    .fetch_optional(&svc.db)
    .await?
    .ok_or(AppError::NotFound)?;
    let own = d.user_id == user.id.0;
    if !own && !is_staff(user) {
        return Err(AppError::NotFound);
    }
    if !own {
        audit::record(
            &svc.db,
            AuditEvent::by("kyc.document_viewed", user)
                .target(format!("kyc:{doc}"))
                .details(json!({ "owner": d.user_id })),
            meta,
        )
        .await?;
    }
    let sealed = svc.media.get(&d.store_key).await?.ok_or_else(|| {
        tracing::error!(%doc, "an identity document's sealed bytes are missing");
        AppError::NotFound
    })?;
    let key = data_key(svc, d.user_id).await?;
    let plain = crypto::open_with(&key, &doc_aad(doc), &sealed)?;
    Ok(Download {
        name: d.name,
        content_type: d.content_type,
        bytes: plain.into(),
    })
}

/// Sends the asker's profile to ops for review, once nothing is missing.
pub async fn submit(
    svc: &Services,
    user: &SessionUser,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let view = mine(svc, user).await?;
    let missing = view.missing();
    if !missing.is_empty() {
        return Err(AppError::field(
            "submit",
            format!("Before review, add {}.", join_words(&missing)),
        ));
    }
    match view.status {
        ProfileStatus::Submitted => return Ok(()),
        ProfileStatus::Approved => {
            return Err(AppError::Conflict(
                "Your profile is approved already; changes you save go live at once.".into(),
            ))
        }
        ProfileStatus::Draft | ProfileStatus::ChangesRequested => {}
    }
    let mut tx = db::begin(&svc.db).await?;
    let done = sqlx::query!(
        "UPDATE talent_profiles SET status = 'submitted', submitted_at = now()
         WHERE user_id = $1 AND status IN ('draft','changes_requested')",
        user.id.0
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 1 {
        audit::append(
            &mut tx,
            AuditEvent::by("talent.submitted", user).target(format!("user:{}", user.id.0)),
            meta,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn join_words(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Profiles waiting for review, oldest first (staff).
pub async fn review_queue(
    svc: &Services,
    staff: &SessionUser,
) -> Result<Vec<ReviewItem>, AppError> {
    staff_only(staff)?;
    let rows = sqlx::query!(
        r#"SELECT t.user_id AS "user_id!", u.email FROM talent_profiles t JOIN users u ON u.id = t.user_id
           WHERE t.status = 'submitted' ORDER BY t.submitted_at, t.id LIMIT 100"#
    )
    .fetch_all(&svc.db)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(ReviewItem {
            profile: load(svc, r.user_id).await?,
            email: r.email,
        });
    }
    Ok(out)
}

/// Ops approves a profile in review or sends it back with a note; the freelancer is emailed.
pub async fn review(
    svc: &Services,
    staff: &SessionUser,
    owner: Uuid,
    decision: ReviewDecision,
    note: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    staff_only(staff)?;
    let note = check_review_note(decision, note)?;
    let (status, active) = match decision {
        ReviewDecision::Approve => (ProfileStatus::Approved, true),
        ReviewDecision::RequestChanges => (ProfileStatus::ChangesRequested, false),
    };
    let mut tx = db::begin(&svc.db).await?;
    let done = sqlx::query!(
        "UPDATE talent_profiles SET status = $2, active = $3, review_note = $4,
           reviewed_by = $5, reviewed_at = now()
         WHERE user_id = $1 AND status = 'submitted'",
        owner,
        status.as_str(),
        active,
        note,
        staff.id.0
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "This profile is no longer waiting for review; someone decided already.".into(),
        ));
    }
    audit::append(
        &mut tx,
        AuditEvent::by("talent.reviewed", staff)
            .target(format!("user:{owner}"))
            .details(json!({ "decision": status.as_str(), "note": note })),
        meta,
    )
    .await?;
    tx.commit().await?;
    let email = sqlx::query_scalar!("SELECT email FROM users WHERE id = $1", owner)
        .fetch_one(&svc.db)
        .await?;
    let link = format!("{}/talent", svc.settings.base_url);
    let (subject, body) = match decision {
        ReviewDecision::Approve => (
            "Your Fluxorae profile is approved",
            format!(
                "Your profile is approved: you can now be matched and apply to projects.\n\n{}{link}\n",
                note.as_deref().map(|n| format!("{n}\n\n")).unwrap_or_default()
            ),
        ),
        ReviewDecision::RequestChanges => (
            "Your Fluxorae profile needs changes",
            format!(
                "Ops reviewed your profile and asked for changes:\n\n{}\n\nUpdate it and send it again: {link}\n",
                note.as_deref().unwrap_or_default()
            ),
        ),
    };
    if let Ok(to) = Email::parse(&email) {
        if let Err(e) = svc.mailer.send(&to, subject, &body).await {
            tracing::warn!(%owner, error = %e, "a review decision email was not sent");
        }
    }
    Ok(())
}

fn currency(code: &str) -> Currency {
    code.parse().unwrap_or(Currency::USD)
}

async fn approved(svc: &Services, user: &SessionUser) -> Result<(), AppError> {
    talent_only(user)?;
    let status = sqlx::query_scalar!(
        "SELECT status FROM talent_profiles WHERE user_id = $1",
        user.id.0
    )
    .fetch_optional(&svc.db)
    .await?;
    if status.as_deref() != Some(ProfileStatus::Approved.as_str()) {
        return Err(AppError::Conflict(
            "Projects open to applications are shown once ops approves your profile.".into(),
        ));
    }
    Ok(())
}

/// Active projects with nobody assigned to deliver them yet, and those the asker applied to
/// (approved freelancers only). They see the brief, never the customer.
pub async fn open_projects(
    svc: &Services,
    user: &SessionUser,
) -> Result<Vec<OpenProject>, AppError> {
    approved(svc, user).await?;
    let rows = sqlx::query!(
        r#"SELECT p.id, p.title, p.summary, p.deliverables, p.currency,
                  (SELECT count(*) FROM milestones m WHERE m.project_id = p.id) AS "milestones!",
                  (SELECT coalesce(sum(m.amount_minor), 0) FROM milestones m WHERE m.project_id = p.id)::bigint AS "budget!"
           FROM projects p
           WHERE p.status = 'active'
             AND (NOT EXISTS (SELECT 1 FROM project_members pm WHERE pm.project_id = p.id AND pm.role = 'freelancer')
                  OR EXISTS (SELECT 1 FROM project_applications a WHERE a.project_id = p.id AND a.freelancer_id = $1))
           ORDER BY p.created_at DESC
           LIMIT 100"#,
        user.id.0
    )
    .fetch_all(&svc.db)
    .await?;
    let mine = applications_where(svc, None, Some(user.id.0)).await?;
    Ok(rows
        .into_iter()
        .map(|r| OpenProject {
            mine: mine.iter().find(|a| a.project_id == r.id).cloned(),
            id: r.id,
            title: r.title,
            summary: r.summary,
            deliverables: r.deliverables,
            budget: Money::new(r.budget, currency(&r.currency)).to_string(),
            milestones: r.milestones as usize,
        })
        .collect())
}

/// Sends (or, while it waits, revises) the asker's application to an open project.
pub async fn apply(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
    input: &ApplicationInput,
    meta: &RequestMeta,
) -> Result<Uuid, AppError> {
    approved(svc, user).await?;
    let a = input.check()?;
    let open = sqlx::query_scalar!(
        r#"SELECT p.status = 'active'
                  AND NOT EXISTS (SELECT 1 FROM project_members pm WHERE pm.project_id = p.id AND pm.role = 'freelancer')
                  AS "open!"
           FROM projects p WHERE p.id = $1"#,
        project
    )
    .fetch_optional(&svc.db)
    .await?
    .ok_or(AppError::NotFound)?;
    if !open {
        return Err(AppError::Conflict(
            "This project has its freelancer already; it no longer takes applications.".into(),
        ));
    }
    let mut tx = db::begin(&svc.db).await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO project_applications (id, project_id, freelancer_id, proposal, price_usd, weeks)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (project_id, freelancer_id) DO UPDATE
           SET proposal = EXCLUDED.proposal, price_usd = EXCLUDED.price_usd, weeks = EXCLUDED.weeks,
               status = 'pending', decided_by = NULL, decided_at = NULL
           WHERE project_applications.status IN ('pending','withdrawn')
         RETURNING id",
        Uuid::now_v7(),
        project,
        user.id.0,
        a.proposal,
        a.price_usd,
        a.weeks
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        AppError::Conflict("Ops has decided on your application to this project already.".into())
    })?;
    audit::append(
        &mut tx,
        AuditEvent::by("project.application_sent", user)
            .target(format!("application:{id}"))
            .details(json!({ "project": project, "price_usd": a.price_usd, "weeks": a.weeks })),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Takes back the asker's waiting application.
pub async fn withdraw(
    svc: &Services,
    user: &SessionUser,
    application: Uuid,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    talent_only(user)?;
    let mut tx = db::begin(&svc.db).await?;
    let done = sqlx::query!(
        "UPDATE project_applications SET status = 'withdrawn'
         WHERE id = $1 AND freelancer_id = $2 AND status = 'pending'",
        application,
        user.id.0
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "Only a waiting application can be withdrawn.".into(),
        ));
    }
    audit::append(
        &mut tx,
        AuditEvent::by("project.application_withdrawn", user)
            .target(format!("application:{application}")),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn applications_where(
    svc: &Services,
    project: Option<Uuid>,
    freelancer: Option<Uuid>,
) -> Result<Vec<ApplicationView>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT a.id, a.project_id, p.title, a.freelancer_id, u.display_name,
                  coalesce(t.headline, '') AS "headline!", a.proposal, a.price_usd, a.weeks,
                  a.status, a.created_at
           FROM project_applications a
           JOIN projects p ON p.id = a.project_id
           JOIN users u ON u.id = a.freelancer_id
           LEFT JOIN talent_profiles t ON t.user_id = a.freelancer_id
           WHERE ($1::uuid IS NULL OR a.project_id = $1) AND ($2::uuid IS NULL OR a.freelancer_id = $2)
           ORDER BY a.created_at, a.id"#,
        project,
        freelancer
    )
    .fetch_all(&svc.db)
    .await?
    .into_iter()
    .map(|r| ApplicationView {
        id: r.id,
        project_id: r.project_id,
        project: r.title,
        freelancer_id: r.freelancer_id,
        freelancer: r.display_name,
        headline: r.headline,
        proposal: r.proposal,
        price_usd: r.price_usd,
        weeks: r.weeks,
        status: ApplicationStatus::parse(&r.status).unwrap_or(ApplicationStatus::Pending),
        at: rfc3339(r.created_at),
    })
    .collect())
}

/// The applications to a project, oldest first (staff).
pub async fn applications(
    svc: &Services,
    staff: &SessionUser,
    project: Uuid,
) -> Result<Vec<ApplicationView>, AppError> {
    staff_only(staff)?;
    applications_where(svc, Some(project), None).await
}

/// Ops accepts an application (its freelancer is assigned to the project) or declines it.
/// Two staff deciding at once: one decides, the other is told.
pub async fn decide(
    svc: &Services,
    staff: &SessionUser,
    application: Uuid,
    accept: bool,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    staff_only(staff)?;
    let to = if accept {
        ApplicationStatus::Accepted
    } else {
        ApplicationStatus::Declined
    };
    let mut tx = db::begin(&svc.db).await?;
    let row = sqlx::query!(
        "UPDATE project_applications SET status = $2, decided_by = $3, decided_at = now()
         WHERE id = $1 AND status = 'pending'
         RETURNING project_id, freelancer_id",
        application,
        to.as_str(),
        staff.id.0
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        AppError::Conflict("This application is no longer waiting; someone decided already.".into())
    })?;
    audit::append(
        &mut tx,
        AuditEvent::by("project.application_decided", staff)
            .target(format!("application:{application}"))
            .details(json!({ "decision": to.as_str(), "project": row.project_id })),
        meta,
    )
    .await?;
    if accept {
        flow::assign_in(&mut tx, svc, staff, row.project_id, row.freelancer_id, meta).await?;
    }
    tx.commit().await?;
    if accept {
        super::projects::publish(svc, row.project_id, "members", json!({})).await;
    }
    Ok(())
}
