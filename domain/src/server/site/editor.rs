//! The content team's operations: pages, drafts with stale-save protection, publishing now or
//! on a schedule, revisions with diffs and rollback, preview links and reusable blocks. The
//! caller has checked that a CONTENT_EDITOR or ADMIN is asking; every publish, schedule,
//! rollback and reusable-block change goes to the audit trail in the same transaction.

use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{changed, sanitize};
use crate::server::audit::{self, AuditEvent};
use crate::server::db;
use crate::server::{random_token, rfc3339, sha256_hex, RequestMeta, Services};
use crate::site::diff::diff;
use crate::site::migrate::{migrate_blocks, migrate_content};
use crate::site::templates::template;
use crate::site::validate::{global_errors, page_errors};
use crate::site::views::{
    EditorPage, GlobalBlock, PageStatus, PageSummary, RevisionDiff, RevisionSummary, Saved,
};
use crate::site::{parse_page_slug, Block, PageContent, PageKind};
use crate::user::SessionUser;
use crate::{AppError, FieldError};

/// How long a preview link works.
pub const PREVIEW_DAYS: i64 = 7;

/// Reads stored content, migrating old block versions.
pub(crate) fn read_content(value: Value) -> Result<PageContent, AppError> {
    let mut content: PageContent = serde_json::from_value(value).map_err(|e| {
        tracing::error!(error = %e, "a stored page document does not read");
        AppError::Internal
    })?;
    migrate_content(&mut content);
    Ok(content)
}

/// A stored reusable block's blocks, migrated to the registry's current versions.
pub(crate) fn read_blocks(value: Value) -> Result<Vec<Block>, AppError> {
    let mut blocks: Vec<Block> = serde_json::from_value(value).map_err(|e| {
        tracing::error!(error = %e, "a stored reusable block does not read");
        AppError::Internal
    })?;
    migrate_blocks(&mut blocks);
    Ok(blocks)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, AppError> {
    serde_json::to_value(v).map_err(|e| {
        tracing::error!(error = %e, "a page document does not serialise");
        AppError::Internal
    })
}

fn kind_of(s: &str) -> Result<PageKind, AppError> {
    s.parse().map_err(|_| {
        tracing::error!(kind = s, "unknown page kind in the database");
        AppError::Internal
    })
}

fn status(published: bool, scheduled: bool, draft_is_live: bool) -> PageStatus {
    match (scheduled, published, draft_is_live) {
        (true, _, _) => PageStatus::Scheduled,
        (false, false, _) => PageStatus::Draft,
        (false, true, true) => PageStatus::Published,
        (false, true, false) => PageStatus::Changed,
    }
}

/// Every page, most recently saved first.
pub async fn list_pages(db: &PgPool) -> Result<Vec<PageSummary>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT p.id, p.kind, p.slug, p.draft->>'title' AS "title?", p.draft_saved_at, p.scheduled_at,
                  u.display_name AS "saved_by?", r.number AS "live?",
                  (r.content IS NOT NULL AND r.content = p.draft) AS "draft_is_live!"
           FROM site_pages p
           LEFT JOIN users u ON u.id = p.draft_saved_by
           LEFT JOIN site_revisions r ON r.id = p.published_revision
           ORDER BY p.draft_saved_at DESC, p.slug"#
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            let kind = kind_of(&r.kind)?;
            Ok(PageSummary {
                id: r.id.to_string(),
                kind,
                path: kind.path(&r.slug),
                slug: r.slug,
                title: r.title.unwrap_or_default(),
                status: status(r.live.is_some(), r.scheduled_at.is_some(), r.draft_is_live),
                saved_by: r.saved_by.unwrap_or_else(|| "Fluxorae".into()),
                saved_at: rfc3339(r.draft_saved_at),
                live_revision: r.live,
                scheduled_at: r.scheduled_at.map(rfc3339),
            })
        })
        .collect()
}

/// Creates a page of `kind` at `slug` from the template named `template_name`.
pub async fn create_page(
    svc: &Services,
    user: &SessionUser,
    kind: &str,
    slug: &str,
    title: &str,
    template_name: &str,
    meta: &RequestMeta,
) -> Result<String, AppError> {
    let mut errs = Vec::new();
    let kind: Option<PageKind> = match kind.parse() {
        Ok(k) => Some(k),
        Err(e) => {
            errs.push(FieldError::new("kind", e.to_string()));
            None
        }
    };
    let slug = match kind.map(|k| parse_page_slug(k, slug)) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            errs.push(FieldError::new("slug", e.to_string()));
            None
        }
        None => None,
    };
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 70 {
        errs.push(FieldError::new(
            "title",
            "Give the page a title of up to 70 characters.",
        ));
    }
    let tpl = template(template_name);
    match (tpl, kind) {
        (None, _) => errs.push(FieldError::new("template", "Choose a template.")),
        (Some(t), Some(k)) if t.kind != k => errs.push(FieldError::new(
            "template",
            format!(
                "The {} template is for a {}; choose one for a {}.",
                t.label,
                t.kind.label().to_lowercase(),
                k.label().to_lowercase()
            ),
        )),
        _ => {}
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let (Some(kind), Some(slug), Some(tpl)) = (kind, slug, tpl) else {
        return Err(AppError::Internal);
    };
    let content = tpl.content(title);
    let id = Uuid::now_v7();
    let mut tx = db::begin(&svc.db).await?;
    let inserted = sqlx::query!(
        "INSERT INTO site_pages (id, kind, slug, draft, draft_saved_by, created_by)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT ON CONSTRAINT site_pages_kind_slug_key DO NOTHING",
        id,
        kind.as_str(),
        slug.as_str(),
        to_json(&content)?,
        user.id.0
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::field(
            "slug",
            format!(
                "{} already uses this address; choose another.",
                kind.path(slug.as_str())
            ),
        ));
    }
    audit::append(
        &mut tx,
        AuditEvent::by("site.page_created", user)
            .target(id.to_string())
            .details(json!({"path": kind.path(slug.as_str()), "template": tpl.name})),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(id.to_string())
}

fn page_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

/// A page's draft, for the editor.
pub async fn load_page(db: &PgPool, id: &str) -> Result<EditorPage, AppError> {
    let id = page_id(id)?;
    let r = sqlx::query!(
        r#"SELECT p.id, p.kind, p.slug, p.draft, p.draft_version, p.draft_saved_at, p.scheduled_at,
                  u.display_name AS "saved_by?", r.number AS "live?",
                  (r.content IS NOT NULL AND r.content = p.draft) AS "draft_is_live!"
           FROM site_pages p
           LEFT JOIN users u ON u.id = p.draft_saved_by
           LEFT JOIN site_revisions r ON r.id = p.published_revision
           WHERE p.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound)?;
    let kind = kind_of(&r.kind)?;
    let content = read_content(r.draft)?;
    Ok(EditorPage {
        summary: PageSummary {
            id: r.id.to_string(),
            kind,
            path: kind.path(&r.slug),
            slug: r.slug,
            title: content.title.clone(),
            status: status(r.live.is_some(), r.scheduled_at.is_some(), r.draft_is_live),
            saved_by: r.saved_by.unwrap_or_else(|| "Fluxorae".into()),
            saved_at: rfc3339(r.draft_saved_at),
            live_revision: r.live,
            scheduled_at: r.scheduled_at.map(rfc3339),
        },
        content,
        version: r.draft_version,
    })
}

/// Reference errors the registry cannot see: reusable blocks that do not exist.
async fn missing_globals(
    conn: &mut PgConnection,
    content: &PageContent,
) -> Result<Vec<FieldError>, AppError> {
    let mut errs = Vec::new();
    for (_, b) in content.walk() {
        if b.kind != "global" {
            continue;
        }
        let Some(r) = b.p().text("ref").and_then(|s| Uuid::parse_str(s).ok()) else {
            continue;
        };
        let found = sqlx::query_scalar!(
            "SELECT count(*) AS \"n!\" FROM site_globals WHERE id = $1",
            r
        )
        .fetch_one(&mut *conn)
        .await?;
        if found == 0 {
            errs.push(FieldError::new(
                format!("block.{}.ref", b.id),
                "That reusable block no longer exists; choose another.",
            ));
        }
    }
    Ok(errs)
}

/// Why a save or publish based on `version` is stale, with who saved in between.
async fn stale(conn: &mut PgConnection, id: Uuid) -> Result<AppError, AppError> {
    let r = sqlx::query!(
        r#"SELECT p.draft_saved_at, u.display_name AS "by?" FROM site_pages p
           LEFT JOIN users u ON u.id = p.draft_saved_by WHERE p.id = $1"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let when = r
        .draft_saved_at
        .format(time::macros::format_description!(
            "[hour]:[minute] UTC on [day] [month repr:short]"
        ))
        .unwrap_or_default();
    Ok(AppError::Conflict(format!(
        "{} saved this page at {when}, after you opened it, so your version was not saved. Reload to get theirs; copy anything of yours you want to keep first.",
        r.by.unwrap_or_else(|| "Someone else".into())
    )))
}

/// Saves the draft if nobody saved since `version`. Answers the new version and the content as
/// stored (rich text sanitised).
pub async fn save_draft(
    svc: &Services,
    user: &SessionUser,
    id: &str,
    version: i32,
    mut content: PageContent,
) -> Result<Saved, AppError> {
    let id = page_id(id)?;
    migrate_content(&mut content);
    let mut conn = svc.db.acquire().await?;
    let kind = sqlx::query_scalar!("SELECT kind FROM site_pages WHERE id = $1", id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errs = page_errors(&content, kind_of(&kind)?);
    errs.extend(missing_globals(&mut conn, &content).await?);
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    sanitize::clean_content(&mut content);
    let saved = sqlx::query!(
        "UPDATE site_pages SET draft = $1, draft_version = draft_version + 1, draft_saved_by = $2, draft_saved_at = now()
         WHERE id = $3 AND draft_version = $4
         RETURNING draft_version, draft_saved_at",
        to_json(&content)?,
        user.id.0,
        id,
        version
    )
    .fetch_optional(&mut *conn)
    .await?;
    match saved {
        Some(s) => Ok(Saved {
            version: s.draft_version,
            saved_at: rfc3339(s.draft_saved_at),
            content,
        }),
        None => Err(stale(&mut conn, id).await?),
    }
}

/// The page row, locked, after checking that the draft is still at `version`.
async fn lock_current(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
) -> Result<(PageKind, String, PageContent), AppError> {
    let r = sqlx::query!(
        "SELECT kind, slug, draft, draft_version FROM site_pages WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    if r.draft_version != version {
        return Err(stale(conn, id).await?);
    }
    let kind = kind_of(&r.kind)?;
    let content = read_content(r.draft)?;
    let mut errs = page_errors(&content, kind);
    errs.extend(missing_globals(conn, &content).await?);
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    Ok((kind, r.slug, content))
}

async fn next_number(conn: &mut PgConnection, id: Uuid) -> Result<i32, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT coalesce(max(number), 0) + 1 AS "n!" FROM site_revisions WHERE page_id = $1"#,
        id
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// Publishes the draft at `version` now; answers the new revision's number. A pending schedule
/// is replaced.
pub async fn publish(
    svc: &Services,
    user: &SessionUser,
    id: &str,
    version: i32,
    meta: &RequestMeta,
) -> Result<i32, AppError> {
    let id = page_id(id)?;
    let mut tx = db::begin(&svc.db).await?;
    let (kind, slug, content) = lock_current(&mut tx, id, version).await?;
    let number = next_number(&mut tx, id).await?;
    let rev = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO site_revisions (id, page_id, number, content, reason, created_by, published_at)
         VALUES ($1, $2, $3, $4, 'publish', $5, now())",
        rev,
        id,
        number,
        to_json(&content)?,
        user.id.0
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE site_pages SET published_revision = $1, first_published_at = coalesce(first_published_at, now()),
                scheduled_revision = NULL, scheduled_at = NULL
         WHERE id = $2",
        rev,
        id
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("site.published", user)
            .target(id.to_string())
            .details(json!({"path": kind.path(&slug), "revision": number})),
        meta,
    )
    .await?;
    tx.commit().await?;
    changed(svc).await;
    Ok(number)
}

/// Schedules the draft at `version` to go live at `at`; answers the revision's number.
pub async fn schedule(
    svc: &Services,
    user: &SessionUser,
    id: &str,
    version: i32,
    at: OffsetDateTime,
    meta: &RequestMeta,
) -> Result<i32, AppError> {
    let now = OffsetDateTime::now_utc();
    if at <= now + time::Duration::minutes(1) {
        return Err(AppError::field(
            "publish_at",
            "Choose a time at least a minute from now.",
        ));
    }
    if at > now + time::Duration::days(366) {
        return Err(AppError::field(
            "publish_at",
            "Choose a time within the next year.",
        ));
    }
    let id = page_id(id)?;
    let mut tx = db::begin(&svc.db).await?;
    let (kind, slug, content) = lock_current(&mut tx, id, version).await?;
    let number = next_number(&mut tx, id).await?;
    let rev = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO site_revisions (id, page_id, number, content, reason, created_by)
         VALUES ($1, $2, $3, $4, 'schedule', $5)",
        rev,
        id,
        number,
        to_json(&content)?,
        user.id.0
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE site_pages SET scheduled_revision = $1, scheduled_at = $2 WHERE id = $3",
        rev,
        at,
        id
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("site.publish_scheduled", user)
            .target(id.to_string())
            .details(json!({"path": kind.path(&slug), "revision": number, "at": rfc3339(at)})),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(number)
}

/// Cancels a scheduled publish.
pub async fn cancel_schedule(
    svc: &Services,
    user: &SessionUser,
    id: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let id = page_id(id)?;
    let mut tx = db::begin(&svc.db).await?;
    let r = sqlx::query!(
        "UPDATE site_pages SET scheduled_revision = NULL, scheduled_at = NULL
         WHERE id = $1 AND scheduled_at IS NOT NULL RETURNING kind, slug",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::Conflict("Nothing is scheduled for this page.".into()))?;
    audit::append(
        &mut tx,
        AuditEvent::by("site.schedule_cancelled", user)
            .target(id.to_string())
            .details(json!({"path": kind_of(&r.kind)?.path(&r.slug)})),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Puts live every scheduled publish that is due at `now`; answers the paths. Safe to run from
/// several instances at once (rows are claimed with SKIP LOCKED).
pub async fn publish_due(svc: &Services, now: OffsetDateTime) -> Result<Vec<String>, AppError> {
    let mut tx = db::begin(&svc.db).await?;
    let due = sqlx::query!(
        r#"SELECT p.id, p.kind, p.slug, p.scheduled_revision AS "rev!", r.number, r.created_by
           FROM site_pages p JOIN site_revisions r ON r.id = p.scheduled_revision
           WHERE p.scheduled_at <= $1
           ORDER BY p.scheduled_at
           FOR UPDATE OF p SKIP LOCKED"#,
        now
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut paths = Vec::new();
    for d in due {
        sqlx::query!(
            "UPDATE site_revisions SET published_at = now() WHERE id = $1",
            d.rev
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE site_pages SET published_revision = scheduled_revision, scheduled_revision = NULL, scheduled_at = NULL,
                    first_published_at = coalesce(first_published_at, now())
             WHERE id = $1",
            d.id
        )
        .execute(&mut *tx)
        .await?;
        let path = kind_of(&d.kind)?.path(&d.slug);
        let mut ev = AuditEvent::new("site.published")
            .target(d.id.to_string())
            .details(json!({"path": path, "revision": d.number, "scheduled": true}));
        if let Some(by) = d.created_by {
            ev = ev.actor(crate::types::UserId(by));
        }
        audit::append(&mut tx, ev, &RequestMeta::default()).await?;
        paths.push(path);
    }
    tx.commit().await?;
    if !paths.is_empty() {
        changed(svc).await;
    }
    Ok(paths)
}

/// A page's revisions, newest first.
pub async fn revisions(db: &PgPool, id: &str) -> Result<Vec<RevisionSummary>, AppError> {
    let id = page_id(id)?;
    let rows = sqlx::query!(
        r#"SELECT r.number, r.reason, r.restored_from, r.created_at, r.published_at, r.content->>'title' AS "title?",
                  u.display_name AS "by?", (p.published_revision = r.id) AS "live!"
           FROM site_revisions r JOIN site_pages p ON p.id = r.page_id
           LEFT JOIN users u ON u.id = r.created_by
           WHERE r.page_id = $1 ORDER BY r.number DESC"#,
        id
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RevisionSummary {
            number: r.number,
            reason: r.reason,
            restored_from: r.restored_from,
            by: r.by.unwrap_or_else(|| "Fluxorae".into()),
            created_at: rfc3339(r.created_at),
            published_at: r.published_at.map(rfc3339),
            live: r.live,
            title: r.title.unwrap_or_default(),
        })
        .collect())
}

async fn revision_content(db: &PgPool, id: Uuid, number: i32) -> Result<PageContent, AppError> {
    let v = sqlx::query_scalar!(
        "SELECT content FROM site_revisions WHERE page_id = $1 AND number = $2",
        id,
        number
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound)?;
    read_content(v)
}

/// What changed from revision `from` (none: an empty page) to revision `to` (none: the draft).
pub async fn revision_diff(
    db: &PgPool,
    id: &str,
    from: Option<i32>,
    to: Option<i32>,
) -> Result<RevisionDiff, AppError> {
    let pid = page_id(id)?;
    let old = match from {
        Some(n) => revision_content(db, pid, n).await?,
        None => PageContent::titled(""),
    };
    let new = match to {
        Some(n) => revision_content(db, pid, n).await?,
        None => load_page(db, id).await?.content,
    };
    Ok(RevisionDiff {
        from,
        to,
        changes: diff(&old, &new),
    })
}

/// Puts revision `number` live again as a new revision, and makes it the draft. Answers the new
/// revision's number.
pub async fn rollback(
    svc: &Services,
    user: &SessionUser,
    id: &str,
    number: i32,
    meta: &RequestMeta,
) -> Result<i32, AppError> {
    let id = page_id(id)?;
    let mut tx = db::begin(&svc.db).await?;
    let page = sqlx::query!(
        "SELECT kind, slug FROM site_pages WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let old = sqlx::query_scalar!(
        "SELECT content FROM site_revisions WHERE page_id = $1 AND number = $2 AND published_at IS NOT NULL",
        id,
        number
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::Conflict(format!("Revision {number} was never live, so there is nothing to roll back to.")))?;
    let mut content = read_content(old)?;
    sanitize::clean_content(&mut content);
    let errs = missing_globals(&mut tx, &content).await?;
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let next = next_number(&mut tx, id).await?;
    let rev = Uuid::now_v7();
    let json = to_json(&content)?;
    sqlx::query!(
        "INSERT INTO site_revisions (id, page_id, number, content, reason, restored_from, created_by, published_at)
         VALUES ($1, $2, $3, $4, 'rollback', $5, $6, now())",
        rev,
        id,
        next,
        json,
        number,
        user.id.0
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE site_pages SET published_revision = $1, draft = $2, draft_version = draft_version + 1,
                draft_saved_by = $3, draft_saved_at = now(), scheduled_revision = NULL, scheduled_at = NULL
         WHERE id = $4",
        rev,
        json,
        user.id.0,
        id
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("site.rolled_back", user)
            .target(id.to_string())
            .details(json!({"path": kind_of(&page.kind)?.path(&page.slug), "restored": number, "revision": next})),
        meta,
    )
    .await?;
    tx.commit().await?;
    changed(svc).await;
    Ok(next)
}

/// A new shareable link to the page's draft, working for [`PREVIEW_DAYS`] days; answers its
/// path (`/preview/…`).
pub async fn create_preview_link(
    svc: &Services,
    user: &SessionUser,
    id: &str,
) -> Result<String, AppError> {
    let id = page_id(id)?;
    let token = random_token(24);
    let inserted = sqlx::query!(
        "INSERT INTO site_preview_links (token_hash, page_id, created_by, expires_at)
         SELECT $1, id, $2, now() + make_interval(days => $3) FROM site_pages WHERE id = $4",
        sha256_hex(&token),
        user.id.0,
        PREVIEW_DAYS as i32,
        id
    )
    .execute(&svc.db)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(format!("/preview/{token}"))
}

// ---------------------------------------------------------------------------------------------
// Reusable blocks

/// Every reusable block, by name, with how many page drafts use it.
pub async fn list_globals(db: &PgPool) -> Result<Vec<GlobalBlock>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT g.id, g.name, g.blocks, g.version,
                  (SELECT count(*) FROM site_pages p
                    WHERE jsonb_path_exists(p.draft, '$.**.props.ref ? (@ == $id)', jsonb_build_object('id', g.id::text))) AS "used_by!"
           FROM site_globals g ORDER BY g.name"#
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(GlobalBlock {
                id: r.id.to_string(),
                name: r.name,
                blocks: read_blocks(r.blocks)?,
                version: r.version,
                used_by: r.used_by,
            })
        })
        .collect()
}

/// The name and blocks of a reusable block, checked and cleaned.
fn checked_global(name: &str, mut blocks: Vec<Block>) -> Result<(&str, Vec<Block>), AppError> {
    migrate_blocks(&mut blocks);
    let errs = global_errors(name, &blocks);
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    sanitize::clean_blocks(&mut blocks);
    Ok((name.trim(), blocks))
}

/// Creates a reusable block; answers its id.
pub async fn create_global(
    svc: &Services,
    user: &SessionUser,
    name: &str,
    blocks: Vec<Block>,
    meta: &RequestMeta,
) -> Result<String, AppError> {
    let (name, blocks) = checked_global(name, blocks)?;
    let id = Uuid::now_v7();
    let mut tx = db::begin(&svc.db).await?;
    let inserted = sqlx::query!(
        "INSERT INTO site_globals (id, name, blocks, updated_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT ON CONSTRAINT site_globals_name_key DO NOTHING",
        id,
        name,
        to_json(&blocks)?,
        user.id.0
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::field(
            "name",
            "Another reusable block has this name.",
        ));
    }
    audit::append(
        &mut tx,
        AuditEvent::by("site.global_created", user)
            .target(id.to_string())
            .details(json!({"name": name})),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(id.to_string())
}

/// Saves a reusable block if nobody saved since `version`; every page that shows it changes at
/// once. Answers the new version.
pub async fn save_global(
    svc: &Services,
    user: &SessionUser,
    id: &str,
    version: i32,
    name: &str,
    blocks: Vec<Block>,
    meta: &RequestMeta,
) -> Result<i32, AppError> {
    let id = page_id(id)?;
    let (name, blocks) = checked_global(name, blocks)?;
    let mut tx = db::begin(&svc.db).await?;
    let saved = sqlx::query_scalar!(
        "UPDATE site_globals SET name = $1, blocks = $2, version = version + 1, updated_by = $3
         WHERE id = $4 AND version = $5 RETURNING version",
        name,
        to_json(&blocks)?,
        user.id.0,
        id,
        version
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.constraint() == Some("site_globals_name_key") => {
            AppError::field("name", "Another reusable block has this name.")
        }
        _ => AppError::from(e),
    })?;
    let Some(new_version) = saved else {
        let exists = sqlx::query_scalar!("SELECT version FROM site_globals WHERE id = $1", id)
            .fetch_optional(&mut *tx)
            .await?;
        return Err(match exists {
            None => AppError::NotFound,
            Some(_) => AppError::Conflict(
                "Someone saved this reusable block after you opened it, so your version was not saved. Reload to get theirs.".into(),
            ),
        });
    };
    audit::append(
        &mut tx,
        AuditEvent::by("site.global_saved", user)
            .target(id.to_string())
            .details(json!({"name": name, "version": new_version})),
        meta,
    )
    .await?;
    tx.commit().await?;
    changed(svc).await;
    Ok(new_version)
}

/// What the batch migration rewrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Migrated {
    /// Page drafts.
    pub drafts: usize,
    /// Revisions.
    pub revisions: usize,
    /// Reusable blocks.
    pub globals: usize,
}

/// Rewrites every stored document whose blocks are older than the registry
/// (`fluxorae migrate-blocks`). Reading migrates anyway; this makes the stored JSON current so
/// old versions can eventually be retired. Drafts keep their version (the content means the same).
pub async fn migrate_stored(db: &PgPool) -> Result<Migrated, AppError> {
    let mut out = Migrated::default();
    let mut tx = db::begin(db).await?;
    for r in sqlx::query!("SELECT id, draft FROM site_pages FOR UPDATE")
        .fetch_all(&mut *tx)
        .await?
    {
        let mut c: PageContent = serde_json::from_value(r.draft).map_err(|_| AppError::Internal)?;
        if migrate_content(&mut c) {
            sqlx::query!(
                "UPDATE site_pages SET draft = $1 WHERE id = $2",
                to_json(&c)?,
                r.id
            )
            .execute(&mut *tx)
            .await?;
            out.drafts += 1;
        }
    }
    for r in sqlx::query!("SELECT id, content FROM site_revisions FOR UPDATE")
        .fetch_all(&mut *tx)
        .await?
    {
        let mut c: PageContent =
            serde_json::from_value(r.content).map_err(|_| AppError::Internal)?;
        if migrate_content(&mut c) {
            sqlx::query!(
                "UPDATE site_revisions SET content = $1 WHERE id = $2",
                to_json(&c)?,
                r.id
            )
            .execute(&mut *tx)
            .await?;
            out.revisions += 1;
        }
    }
    for r in sqlx::query!("SELECT id, blocks FROM site_globals FOR UPDATE")
        .fetch_all(&mut *tx)
        .await?
    {
        let mut blocks: Vec<Block> =
            serde_json::from_value(r.blocks).map_err(|_| AppError::Internal)?;
        if migrate_blocks(&mut blocks) {
            sqlx::query!(
                "UPDATE site_globals SET blocks = $1 WHERE id = $2",
                to_json(&blocks)?,
                r.id
            )
            .execute(&mut *tx)
            .await?;
            out.globals += 1;
        }
    }
    tx.commit().await?;
    Ok(out)
}
