//! Tasks, shared files and the activity feed of a workspace, in Postgres. Every change is
//! checked against who may see the project, written with its activity line and audit entry in
//! one transaction, and announced to the open workspaces (`tasks`, `files`).
//!
//! A file's bytes go to the object store first, under `projects/{project}/{file}`; the row is
//! written after, so a row never names missing bytes. Files are served only to the project's
//! people, as attachments, by [`download`].

use bytes::Bytes;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::project::Party;
use crate::server::audit::{self, AuditEvent};
use crate::server::db;
use crate::server::{rfc3339, RequestMeta, Services};
use crate::site::media::clean_filename;
use crate::user::SessionUser;
use crate::workspace::{
    format_date, may_edit_task, overdue, sniff, sort_tasks, today, ActivityItem, CheckedTask,
    FileView, Priority, TaskInput, TaskStatus, TaskView,
};
use crate::{AppError, FieldError};

/// Adds a line to the project's activity feed, in the deed's transaction.
pub(crate) async fn record(
    conn: &mut PgConnection,
    project: Uuid,
    actor: Option<Uuid>,
    summary: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO project_activity (id, project_id, actor_id, summary) VALUES ($1, $2, $3, $4)",
        Uuid::now_v7(),
        project,
        actor,
        summary
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The latest 50 lines of the activity feed, newest first.
pub async fn activity(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
) -> Result<Vec<ActivityItem>, AppError> {
    super::access(&svc.db, user, project).await?;
    load_activity(svc, project).await
}

pub(super) async fn load_activity(
    svc: &Services,
    project: Uuid,
) -> Result<Vec<ActivityItem>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT a.summary, a.created_at, u.display_name AS "actor?"
           FROM project_activity a LEFT JOIN users u ON u.id = a.actor_id
           WHERE a.project_id = $1 ORDER BY a.id DESC LIMIT 50"#,
        project
    )
    .fetch_all(&svc.db)
    .await?
    .into_iter()
    .map(|r| ActivityItem {
        actor: r.actor,
        summary: r.summary,
        at: rfc3339(r.created_at),
    })
    .collect())
}

fn changed_meanwhile() -> AppError {
    AppError::Conflict("Someone changed this task meanwhile; it now shows their version.".into())
}

/// The project's tasks, each column in board order.
pub async fn tasks(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
) -> Result<Vec<TaskView>, AppError> {
    let party = super::access(&svc.db, user, project).await?.party;
    load_tasks(svc, party, user, project).await
}

pub(super) async fn load_tasks(
    svc: &Services,
    party: Party,
    user: &SessionUser,
    project: Uuid,
) -> Result<Vec<TaskView>, AppError> {
    let today = today();
    let mut out: Vec<TaskView> = sqlx::query!(
        r#"SELECT t.id, t.title, t.notes, t.status, t.priority, t.assignee_id, t.due_on, t.version,
                  t.created_by, a.display_name AS "assignee?", c.display_name AS creator
           FROM project_tasks t
           JOIN users c ON c.id = t.created_by
           LEFT JOIN users a ON a.id = t.assignee_id
           WHERE t.project_id = $1 AND t.deleted_at IS NULL"#,
        project
    )
    .fetch_all(&svc.db)
    .await?
    .into_iter()
    .map(|r| {
        let status = TaskStatus::parse(&r.status).unwrap_or(TaskStatus::Todo);
        TaskView {
            id: r.id,
            title: r.title,
            notes: r.notes,
            status,
            priority: Priority::parse(&r.priority).unwrap_or(Priority::Normal),
            assignee_id: r.assignee_id,
            assignee: r.assignee,
            due: r.due_on.map(format_date),
            overdue: overdue(status, r.due_on, today),
            created_by: r.creator,
            editable: may_edit_task(party, r.created_by == user.id.0),
            version: r.version,
        }
    })
    .collect();
    sort_tasks(&mut out);
    Ok(out)
}

/// Whether `who` is on the project (its customer or a member), so a task may be theirs.
async fn on_project(conn: &mut PgConnection, project: Uuid, who: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1 AND customer_id = $2)
               OR EXISTS (SELECT 1 FROM project_members WHERE project_id = $1 AND user_id = $2) AS "on!""#,
        project,
        who
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// Puts a checked task in the "To do" column with its activity line, in the caller's
/// transaction.
pub(super) async fn insert_task(
    conn: &mut PgConnection,
    project: Uuid,
    by: Uuid,
    t: &CheckedTask,
) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO project_tasks (id, project_id, title, notes, priority, assignee_id, due_on, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        project,
        t.title,
        t.notes,
        t.priority.as_str(),
        t.assignee,
        t.due,
        by
    )
    .execute(&mut *conn)
    .await?;
    record(
        conn,
        project,
        Some(by),
        &format!("added the task “{}”", t.title),
    )
    .await?;
    Ok(id)
}

/// Adds a task to the "To do" column.
pub async fn add_task(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
    input: &TaskInput,
    meta: &RequestMeta,
) -> Result<Uuid, AppError> {
    super::access(&svc.db, user, project).await?;
    let t = input.check()?;
    let mut tx = db::begin(&svc.db).await?;
    if let Some(a) = t.assignee {
        if !on_project(&mut tx, project, a).await? {
            return Err(AppError::field(
                "assignee",
                "Choose someone on the project.",
            ));
        }
    }
    let id = insert_task(&mut tx, project, user.id.0, &t).await?;
    audit::append(
        &mut tx,
        AuditEvent::by("task.added", user)
            .target(format!("task:{id}"))
            .details(json!({ "project": project, "priority": t.priority.as_str() })),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::publish(svc, project, "tasks", json!({})).await;
    Ok(id)
}

/// What a change to a task does.
#[derive(Debug, Clone)]
pub enum TaskChange {
    /// New title, notes, assignee, due date or priority.
    Edit(TaskInput),
    /// Another column.
    Move(TaskStatus),
    /// Off the board (kept for the record).
    Remove,
}

/// Changes a task, if nobody changed it since `version`.
pub async fn change_task(
    svc: &Services,
    user: &SessionUser,
    task: Uuid,
    version: i32,
    change: TaskChange,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let row = sqlx::query!(
        "SELECT project_id FROM project_tasks WHERE id = $1 AND deleted_at IS NULL",
        task
    )
    .fetch_optional(&svc.db)
    .await?
    .ok_or(AppError::NotFound)?;
    let project = row.project_id;
    let party = super::access(&svc.db, user, project).await?.party;
    let mut tx = db::begin(&svc.db).await?;
    let cur = sqlx::query!(
        "SELECT title, status, version, created_by FROM project_tasks
         WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        task
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if !may_edit_task(party, cur.created_by == user.id.0) {
        return Err(AppError::Forbidden);
    }
    if cur.version != version {
        return Err(changed_meanwhile());
    }
    let (action, summary) = match &change {
        TaskChange::Edit(input) => {
            let t = input.check()?;
            if let Some(a) = t.assignee {
                if !on_project(&mut tx, project, a).await? {
                    return Err(AppError::field(
                        "assignee",
                        "Choose someone on the project.",
                    ));
                }
            }
            sqlx::query!(
                "UPDATE project_tasks SET title = $2, notes = $3, priority = $4, assignee_id = $5,
                        due_on = $6, version = version + 1 WHERE id = $1",
                task,
                t.title,
                t.notes,
                t.priority.as_str(),
                t.assignee,
                t.due
            )
            .execute(&mut *tx)
            .await?;
            ("task.edited", format!("edited the task “{}”", t.title))
        }
        TaskChange::Move(to) => {
            if to.as_str() == cur.status {
                return Ok(());
            }
            sqlx::query!(
                "UPDATE project_tasks SET status = $2, version = version + 1 WHERE id = $1",
                task,
                to.as_str()
            )
            .execute(&mut *tx)
            .await?;
            (
                "task.moved",
                format!("moved “{}” to {}", cur.title, to.label()),
            )
        }
        TaskChange::Remove => {
            sqlx::query!(
                "UPDATE project_tasks SET deleted_at = now(), version = version + 1 WHERE id = $1",
                task
            )
            .execute(&mut *tx)
            .await?;
            ("task.removed", format!("removed the task “{}”", cur.title))
        }
    };
    record(&mut tx, project, Some(user.id.0), &summary).await?;
    let details = match &change {
        TaskChange::Move(to) => {
            json!({ "project": project, "from": cur.status, "to": to.as_str() })
        }
        _ => json!({ "project": project }),
    };
    audit::append(
        &mut tx,
        AuditEvent::by(action, user)
            .target(format!("task:{task}"))
            .details(details),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::publish(svc, project, "tasks", json!({})).await;
    Ok(())
}

/// The project's files, newest first.
pub async fn files(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
) -> Result<Vec<FileView>, AppError> {
    let party = super::access(&svc.db, user, project).await?.party;
    load_files(svc, party, user, project).await
}

pub(super) async fn load_files(
    svc: &Services,
    party: Party,
    user: &SessionUser,
    project: Uuid,
) -> Result<Vec<FileView>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT f.id, f.name, f.content_type, f.bytes, f.created_at, f.uploader_id,
                  u.display_name, m.title AS "milestone?"
           FROM project_files f
           JOIN users u ON u.id = f.uploader_id
           LEFT JOIN milestones m ON m.id = f.milestone_id
           WHERE f.project_id = $1 AND f.deleted_at IS NULL
           ORDER BY f.created_at DESC, f.id DESC"#,
        project
    )
    .fetch_all(&svc.db)
    .await?
    .into_iter()
    .map(|r| FileView {
        id: r.id,
        name: r.name,
        content_type: r.content_type,
        bytes: r.bytes,
        uploader: r.display_name,
        at: rfc3339(r.created_at),
        milestone: r.milestone,
        removable: party == Party::Staff || r.uploader_id == user.id.0,
    })
    .collect())
}

/// Shares a file in the workspace, optionally as a delivery for one of its milestones.
pub async fn upload(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
    milestone: Option<Uuid>,
    name: &str,
    bytes: Vec<u8>,
    meta: &RequestMeta,
) -> Result<Uuid, AppError> {
    super::access(&svc.db, user, project).await?;
    let content_type = sniff(name, &bytes).map_err(|m| AppError::field("file", m))?;
    if let Some(m) = milestone {
        let ok = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM milestones WHERE id = $1 AND project_id = $2) AS "ok!""#,
            m,
            project
        )
        .fetch_one(&svc.db)
        .await?;
        if !ok {
            return Err(AppError::field(
                "milestone",
                "Choose one of this project's milestones.",
            ));
        }
    }
    let id = Uuid::now_v7();
    let key = format!("projects/{project}/{id}");
    let sha = hex::encode(Sha256::digest(&bytes));
    let size = i64::try_from(bytes.len()).map_err(|_| AppError::Internal)?;
    let name = clean_filename(name);
    let name = if name == "image" && !content_type.starts_with("image/") {
        "file".to_owned()
    } else {
        name
    };
    svc.media.put(&key, bytes).await?;
    let mut tx = db::begin(&svc.db).await?;
    sqlx::query!(
        "INSERT INTO project_files (id, project_id, milestone_id, uploader_id, name, content_type, bytes, sha256, store_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        id,
        project,
        milestone,
        user.id.0,
        name,
        content_type,
        size,
        sha,
        key
    )
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        project,
        Some(user.id.0),
        &format!("shared the file “{name}”"),
    )
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("file.shared", user)
            .target(format!("file:{id}"))
            .details(
                json!({ "project": project, "bytes": size, "type": content_type, "sha256": sha }),
            ),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::publish(svc, project, "files", json!({})).await;
    Ok(id)
}

/// A file to send: its name, type and bytes.
#[derive(Debug)]
pub struct Download {
    /// Its name as uploaded.
    pub name: String,
    /// Its media type.
    pub content_type: String,
    /// Its bytes.
    pub bytes: Bytes,
}

/// A file's bytes, for someone who may see its project.
pub async fn download(
    svc: &Services,
    user: &SessionUser,
    file: Uuid,
) -> Result<Download, AppError> {
    let f = sqlx::query!(
        "SELECT project_id, name, content_type, store_key FROM project_files WHERE id = $1 AND deleted_at IS NULL",
        file
    )
    .fetch_optional(&svc.db)
    .await?
    .ok_or(AppError::NotFound)?;
    super::access(&svc.db, user, f.project_id).await?;
    let bytes = svc.media.get(&f.store_key).await?.ok_or_else(|| {
        tracing::error!(%file, key = f.store_key, "a shared file's bytes are missing");
        AppError::NotFound
    })?;
    Ok(Download {
        name: f.name,
        content_type: f.content_type,
        bytes,
    })
}

/// Removes a file from the workspace (its uploader or staff). The bytes stay in the store for
/// the record; the file is no longer listed or served.
pub async fn remove_file(
    svc: &Services,
    user: &SessionUser,
    file: Uuid,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let f = sqlx::query!(
        "SELECT project_id, name, uploader_id FROM project_files WHERE id = $1 AND deleted_at IS NULL",
        file
    )
    .fetch_optional(&svc.db)
    .await?
    .ok_or(AppError::NotFound)?;
    let party = super::access(&svc.db, user, f.project_id).await?.party;
    if party != Party::Staff && f.uploader_id != user.id.0 {
        return Err(AppError::Forbidden);
    }
    let mut tx = db::begin(&svc.db).await?;
    let gone = sqlx::query!(
        "UPDATE project_files SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL",
        file
    )
    .execute(&mut *tx)
    .await?;
    if gone.rows_affected() == 0 {
        return Ok(());
    }
    record(
        &mut tx,
        f.project_id,
        Some(user.id.0),
        &format!("removed the file “{}”", f.name),
    )
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("file.removed", user)
            .target(format!("file:{file}"))
            .details(json!({ "project": f.project_id })),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::publish(svc, f.project_id, "files", json!({})).await;
    Ok(())
}

/// A field error for an upload that could not be read.
pub fn unreadable_upload(why: impl std::fmt::Display) -> AppError {
    AppError::Validation(vec![FieldError::new(
        "file",
        format!("The upload could not be read ({why}); try again."),
    )])
}
