//! The workspace chat: messages (with files attached) with edit and delete (earlier texts
//! kept), read marks, and the
//! live part — new messages, edits, read marks, typing and presence — published on the project
//! channel, which every instance relays to the project's open workspaces.

use serde_json::json;
use uuid::Uuid;

use crate::project::{
    check_message, check_post, Attachment, ChatMessage, ChatView, ReadMark, Revision,
};
use crate::server::audit::{self, AuditEvent};
use crate::server::db;
use crate::server::{rfc3339, RequestMeta, Services};
use crate::user::SessionUser;
use crate::AppError;

/// How many messages a workspace shows at once.
pub const PAGE: i64 = 100;
/// How long someone counts as present after their last heartbeat.
pub const PRESENCE_SECS: i64 = 45;

#[allow(clippy::too_many_arguments)]
fn view(
    id: Uuid,
    author_id: Uuid,
    author: String,
    body: String,
    at: time::OffsetDateTime,
    edited_at: Option<time::OffsetDateTime>,
    deleted_at: Option<time::OffsetDateTime>,
    attachments: Vec<Attachment>,
) -> ChatMessage {
    let deleted = deleted_at.is_some();
    ChatMessage {
        id,
        author_id,
        author,
        body,
        at: rfc3339(at),
        edited_at: edited_at.map(rfc3339),
        deleted,
        // A deleted message takes its files out of the chat (they stay in the Files panel
        // for their uploader to remove).
        attachments: if deleted { vec![] } else { attachments },
    }
}

/// The files sent with each of `messages`, in the order they were sent.
async fn attachments_of(
    conn: &mut sqlx::PgConnection,
    messages: &[Uuid],
) -> Result<Vec<(Uuid, Attachment)>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT message_id AS "message_id!", id, name, content_type, bytes FROM project_files
           WHERE message_id = ANY($1) AND deleted_at IS NULL ORDER BY created_at"#,
        messages
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|f| {
        (
            f.message_id,
            Attachment {
                id: f.id,
                name: f.name,
                content_type: f.content_type,
                bytes: f.bytes,
            },
        )
    })
    .collect())
}

fn files_for(all: &[(Uuid, Attachment)], message: Uuid) -> Vec<Attachment> {
    all.iter()
        .filter(|(m, _)| *m == message)
        .map(|(_, a)| a.clone())
        .collect()
}

/// The latest messages of `project` (before `before`, when paging back) and the read marks.
pub async fn list(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
    before: Option<Uuid>,
) -> Result<ChatView, AppError> {
    super::access(&svc.db, user, project).await?;
    let rows = sqlx::query!(
        "SELECT m.id, m.author_id, u.display_name, m.body, m.created_at, m.edited_at, m.deleted_at
         FROM messages m JOIN users u ON u.id = m.author_id
         WHERE m.project_id = $1 AND ($2::uuid IS NULL OR m.id < $2)
         ORDER BY m.id DESC LIMIT $3",
        project,
        before,
        PAGE
    )
    .fetch_all(&svc.db)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut conn = svc.db.acquire().await?;
    let files = attachments_of(&mut conn, &ids).await?;
    drop(conn);
    let mut messages: Vec<ChatMessage> = rows
        .into_iter()
        .map(|r| {
            let attached = files_for(&files, r.id);
            view(
                r.id,
                r.author_id,
                r.display_name,
                r.body,
                r.created_at,
                r.edited_at,
                r.deleted_at,
                attached,
            )
        })
        .collect();
    messages.reverse();
    let reads = sqlx::query!(
        "SELECT r.user_id, u.display_name, r.last_read FROM message_reads r JOIN users u ON u.id = r.user_id
         WHERE r.project_id = $1 ORDER BY u.display_name",
        project
    )
    .fetch_all(&svc.db)
    .await?
    .into_iter()
    .map(|r| ReadMark {
        user_id: r.user_id,
        name: r.display_name,
        last_read: r.last_read,
    })
    .collect();
    Ok(ChatView { messages, reads })
}

/// Posts a message, with files the author shared in the workspace first (`attachments`, not
/// yet sent with another message); everyone with the workspace open sees it at once.
pub async fn post(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
    body: &str,
    attachments: &[Uuid],
    meta: &RequestMeta,
) -> Result<ChatMessage, AppError> {
    super::access(&svc.db, user, project).await?;
    let body = check_post(body, attachments.len())?;
    let id = Uuid::now_v7();
    let mut tx = db::begin(&svc.db).await?;
    let at = sqlx::query_scalar!(
        "INSERT INTO messages (id, project_id, author_id, body) VALUES ($1, $2, $3, $4) RETURNING created_at",
        id,
        project,
        user.id.0,
        body
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut attached = vec![];
    if !attachments.is_empty() {
        let n = sqlx::query!(
            "UPDATE project_files SET message_id = $1
             WHERE id = ANY($2) AND project_id = $3 AND uploader_id = $4
               AND message_id IS NULL AND deleted_at IS NULL",
            id,
            attachments,
            project,
            user.id.0
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n as usize != attachments.len() {
            return Err(AppError::field(
                "attachments",
                "One of the files is not yours to send here, or was sent already; attach it again.",
            ));
        }
        attached = files_for(&attachments_of(&mut tx, &[id]).await?, id);
    }
    // The writer has read what they wrote.
    mark(&mut tx, project, user.id.0, id).await?;
    audit::append(
        &mut tx,
        AuditEvent::by("message.posted", user)
            .target(format!("message:{id}"))
            .details(
                json!({ "project": project, "chars": body.chars().count(), "files": attachments }),
            ),
        meta,
    )
    .await?;
    tx.commit().await?;
    let msg = view(
        id,
        user.id.0,
        user.display_name.clone(),
        body,
        at,
        None,
        None,
        attached,
    );
    super::publish(svc, project, "message", json!(msg)).await;
    Ok(msg)
}

async fn mark(
    conn: &mut sqlx::PgConnection,
    project: Uuid,
    user: Uuid,
    message: Uuid,
) -> Result<bool, AppError> {
    let n = sqlx::query!(
        "INSERT INTO message_reads (project_id, user_id, last_read) VALUES ($1, $2, $3)
         ON CONFLICT (project_id, user_id) DO UPDATE SET last_read = $3
         WHERE message_reads.last_read < $3",
        project,
        user,
        message
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// Marks everything up to `message` as read by `user` (never backwards).
pub async fn mark_read(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
    message: Uuid,
) -> Result<(), AppError> {
    super::access(&svc.db, user, project).await?;
    let in_project = sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM messages WHERE id = $1 AND project_id = $2) AS \"ok!\"",
        message,
        project
    )
    .fetch_one(&svc.db)
    .await?;
    if !in_project {
        return Err(AppError::NotFound);
    }
    let mut conn = svc.db.acquire().await?;
    if mark(&mut conn, project, user.id.0, message).await? {
        super::publish(
            svc,
            project,
            "read",
            json!({ "user": user.id.0, "name": user.display_name, "last_read": message }),
        )
        .await;
    }
    Ok(())
}

/// The author changes or deletes (`body` None) their message; the earlier text is kept.
pub async fn revise(
    svc: &Services,
    user: &SessionUser,
    message: Uuid,
    body: Option<&str>,
    meta: &RequestMeta,
) -> Result<ChatMessage, AppError> {
    let m = sqlx::query!(
        "SELECT project_id, author_id, body, deleted_at FROM messages WHERE id = $1",
        message
    )
    .fetch_optional(&svc.db)
    .await?
    .ok_or(AppError::NotFound)?;
    super::access(&svc.db, user, m.project_id).await?;
    if m.author_id != user.id.0 {
        return Err(AppError::Forbidden);
    }
    if m.deleted_at.is_some() {
        return Err(AppError::Conflict("This message was deleted.".into()));
    }
    let new_body = match body {
        Some(b) => check_message(b)?,
        None => String::new(),
    };
    let mut tx = db::begin(&svc.db).await?;
    sqlx::query!(
        "INSERT INTO message_revisions (message_id, body, replaced_by) VALUES ($1, $2, $3)",
        message,
        m.body,
        user.id.0
    )
    .execute(&mut *tx)
    .await?;
    let r = sqlx::query!(
        "UPDATE messages SET body = $2,
           edited_at = CASE WHEN $3 THEN edited_at ELSE now() END,
           deleted_at = CASE WHEN $3 THEN now() ELSE deleted_at END
         WHERE id = $1 RETURNING created_at, edited_at, deleted_at",
        message,
        new_body,
        body.is_none()
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by(
            if body.is_some() {
                "message.edited"
            } else {
                "message.deleted"
            },
            user,
        )
        .target(format!("message:{message}"))
        .details(json!({ "project": m.project_id })),
        meta,
    )
    .await?;
    let attached = files_for(&attachments_of(&mut tx, &[message]).await?, message);
    tx.commit().await?;
    let msg = view(
        message,
        user.id.0,
        user.display_name.clone(),
        new_body,
        r.created_at,
        r.edited_at,
        r.deleted_at,
        attached,
    );
    super::publish(svc, m.project_id, "message", json!(msg)).await;
    Ok(msg)
}

/// A message's earlier texts, oldest first, for anyone who may see the project.
pub async fn history(
    svc: &Services,
    user: &SessionUser,
    message: Uuid,
) -> Result<Vec<Revision>, AppError> {
    let project = sqlx::query_scalar!("SELECT project_id FROM messages WHERE id = $1", message)
        .fetch_optional(&svc.db)
        .await?
        .ok_or(AppError::NotFound)?;
    super::access(&svc.db, user, project).await?;
    Ok(sqlx::query!(
        "SELECT body, created_at FROM message_revisions WHERE message_id = $1 ORDER BY created_at",
        message
    )
    .fetch_all(&svc.db)
    .await?
    .into_iter()
    .map(|r| Revision {
        body: r.body,
        at: rfc3339(r.created_at),
    })
    .collect())
}

/// Says `user` is typing in `project` (nothing is stored).
pub async fn typing(svc: &Services, user: &SessionUser, project: Uuid) {
    super::publish(
        svc,
        project,
        "typing",
        json!({ "user": user.id.0, "name": user.display_name }),
    )
    .await;
}

fn presence_key(svc: &Services, project: Uuid) -> String {
    svc.key(&["presence", &project.to_string()])
}

/// Records that `user` has the workspace open now, and answers who else does (names).
pub async fn heartbeat(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
) -> Result<Vec<String>, AppError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let key = presence_key(svc, project);
    let member = format!("{}|{}", user.id.0, user.display_name);
    let mut r = svc.redis.clone();
    let (_, _, _, present): ((), (), (), Vec<String>) = redis::pipe()
        .zadd(&key, &member, now)
        .zrembyscore(&key, "-inf", now - PRESENCE_SECS)
        .expire(&key, PRESENCE_SECS * 2)
        .zrangebyscore(&key, now - PRESENCE_SECS, "+inf")
        .query_async(&mut r)
        .await?;
    Ok(names(&present))
}

/// `user` closed the workspace: the others hear who is still there.
pub async fn left(svc: &Services, user: &SessionUser, project: Uuid) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let key = presence_key(svc, project);
    let member = format!("{}|{}", user.id.0, user.display_name);
    let mut r = svc.redis.clone();
    let still: Result<((), Vec<String>), _> = redis::pipe()
        .zrem(&key, member)
        .zrangebyscore(&key, now - PRESENCE_SECS, "+inf")
        .query_async(&mut r)
        .await;
    if let Ok(((), present)) = still {
        announce(svc, project, &names(&present)).await;
    }
}

fn names(members: &[String]) -> Vec<String> {
    let mut out: Vec<String> = members
        .iter()
        .filter_map(|m| m.split_once('|').map(|(_, n)| n.to_owned()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Tells the workspace who has it open.
pub async fn announce(svc: &Services, project: Uuid, present: &[String]) {
    super::publish(svc, project, "presence", json!({ "present": present })).await;
}
