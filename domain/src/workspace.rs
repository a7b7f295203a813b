//! The rest of a project's workspace besides milestones and chat: tasks on a board, shared
//! files, and the activity feed. Rules and view types only; compiled for the browser too, so
//! the forms check what the server checks.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::error::FieldError;
use crate::project::{str_enum, Party};
use crate::AppError;

str_enum!(
    /// A task's column on the board.
    TaskStatus {
        /// Not started.
        Todo => "todo", "To do",
        /// Someone is on it.
        Doing => "doing", "In progress",
        /// Finished.
        Done => "done", "Done",
    }
);

str_enum!(
    /// How urgent a task is.
    Priority {
        /// Whenever there is time.
        Low => "low", "Low",
        /// The usual.
        Normal => "normal", "Normal",
        /// Before the usual.
        High => "high", "High",
        /// Drop everything.
        Urgent => "urgent", "Urgent",
    }
);

impl Priority {
    /// Higher is more urgent.
    pub fn rank(self) -> usize {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

/// The longest task title.
pub const MAX_TITLE: usize = 200;
/// The longest task notes.
pub const MAX_NOTES: usize = 5_000;

/// A task as someone typed it into the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInput {
    /// What is to be done.
    pub title: String,
    /// Detail.
    #[serde(default)]
    pub notes: String,
    /// Who does it: a member's id, or empty for nobody yet.
    #[serde(default)]
    pub assignee: String,
    /// When it is due, `YYYY-MM-DD`, or empty.
    #[serde(default)]
    pub due: String,
    /// `low`, `normal`, `high` or `urgent`.
    #[serde(default)]
    pub priority: String,
}

/// A task that passed [`TaskInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedTask {
    /// Its title, trimmed.
    pub title: String,
    /// Its notes, trimmed.
    pub notes: String,
    /// Its assignee (membership is checked by the server).
    pub assignee: Option<uuid::Uuid>,
    /// Its due date.
    pub due: Option<Date>,
    /// Its priority.
    pub priority: Priority,
}

const DATE: &[time::format_description::FormatItem<'_>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// Reads `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s.trim(), DATE).ok()
}

/// Writes `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    d.format(DATE).unwrap_or_default()
}

impl TaskInput {
    /// Checks every field, saying what is wrong with each.
    pub fn check(&self) -> Result<CheckedTask, AppError> {
        let mut errors = vec![];
        let title = self.title.trim();
        if title.is_empty() {
            errors.push(FieldError::new("title", "Say what is to be done."));
        } else if title.chars().count() > MAX_TITLE {
            errors.push(FieldError::new(
                "title",
                format!("Keep the title to {MAX_TITLE} characters; put the rest in the notes."),
            ));
        }
        let notes = self.notes.trim();
        if notes.chars().count() > MAX_NOTES {
            errors.push(FieldError::new(
                "notes",
                format!("Keep the notes to {MAX_NOTES} characters."),
            ));
        }
        let assignee = match self.assignee.trim() {
            "" => None,
            a => match uuid::Uuid::parse_str(a) {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(FieldError::new(
                        "assignee",
                        "Choose someone on the project.",
                    ));
                    None
                }
            },
        };
        let due = match self.due.trim() {
            "" => None,
            d => match parse_date(d) {
                Some(date) if date.year() >= 2000 && date.year() <= 2100 => Some(date),
                _ => {
                    errors.push(FieldError::new("due", "Enter the due date as YYYY-MM-DD."));
                    None
                }
            },
        };
        let priority = match self.priority.trim() {
            "" => Priority::Normal,
            p => Priority::parse(p).unwrap_or_else(|| {
                errors.push(FieldError::new("priority", "Choose a priority."));
                Priority::Normal
            }),
        };
        if errors.is_empty() {
            Ok(CheckedTask {
                title: title.to_owned(),
                notes: notes.to_owned(),
                assignee,
                due,
                priority,
            })
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

/// Who may change a task: staff and the project's freelancers change any; a customer changes
/// the ones they added.
pub fn may_edit_task(party: Party, created_it: bool) -> bool {
    match party {
        Party::Staff | Party::Freelancer | Party::System => true,
        Party::Customer => created_it,
    }
}

/// A task on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskView {
    /// Its id.
    pub id: uuid::Uuid,
    /// What is to be done.
    pub title: String,
    /// Detail.
    pub notes: String,
    /// Its column.
    pub status: TaskStatus,
    /// How urgent.
    pub priority: Priority,
    /// Who does it.
    pub assignee_id: Option<uuid::Uuid>,
    /// Their name.
    pub assignee: Option<String>,
    /// When it is due (`YYYY-MM-DD`).
    pub due: Option<String>,
    /// Due before today and not done.
    pub overdue: bool,
    /// Who added it.
    pub created_by: String,
    /// Whether the asker may change it.
    pub editable: bool,
    /// Changes so far (for "someone changed this meanwhile").
    pub version: i32,
}

/// Whether a task due on `due` is late on `today`.
pub fn overdue(status: TaskStatus, due: Option<Date>, today: Date) -> bool {
    status != TaskStatus::Done && due.is_some_and(|d| d < today)
}

/// Orders a column: urgent first, then the earliest due date (undated last), then the oldest.
pub fn sort_tasks(tasks: &mut [TaskView]) {
    tasks.sort_by(|a, b| {
        b.priority
            .rank()
            .cmp(&a.priority.rank())
            .then_with(|| match (&a.due, &b.due) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// The largest file a workspace takes.
pub const MAX_FILE_BYTES: usize = 25 * 1024 * 1024;

/// What a workspace accepts, for the form's hint.
pub const ACCEPTED_FILES: &str =
    "images, PDF, Word, Excel, PowerPoint, ZIP, MP4, MP3, and plain text or CSV";

/// What a file is, from its first bytes and its name (only for formats whose bytes say
/// nothing, like plain text): its media type, or why it is refused.
pub fn sniff(name: &str, bytes: &[u8]) -> Result<&'static str, String> {
    if bytes.is_empty() {
        return Err("This file is empty.".into());
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(format!(
            "This file is over {} MB, the most a workspace takes; share a link to it instead.",
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let kind = if starts(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if starts(b"\xff\xd8\xff") {
        "image/jpeg"
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        "image/gif"
    } else if bytes.len() > 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else if starts(b"%PDF-") {
        "application/pdf"
    } else if starts(b"PK\x03\x04") {
        // Office documents are ZIP files; their name says which.
        match ext.as_str() {
            "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            _ => "application/zip",
        }
    } else if bytes.len() > 12 && &bytes[4..8] == b"ftyp" {
        "video/mp4"
    } else if starts(b"ID3") || starts(b"\xff\xfb") || starts(b"\xff\xf3") {
        "audio/mpeg"
    } else if !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() {
        match ext.as_str() {
            "csv" => "text/csv",
            "md" => "text/markdown",
            "txt" | "" => "text/plain",
            _ => return Err(refused(name)),
        }
    } else {
        return Err(refused(name));
    };
    Ok(kind)
}

fn refused(name: &str) -> String {
    let name = name.trim();
    let name = if name.is_empty() { "This file" } else { name };
    format!("{name} is not a file type the workspace takes ({ACCEPTED_FILES}).")
}

/// A shared file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileView {
    /// Its id; it is downloaded at `/files/{id}`.
    pub id: uuid::Uuid,
    /// Its name as uploaded.
    pub name: String,
    /// Its media type, read from its bytes.
    pub content_type: String,
    /// Its size in bytes.
    pub bytes: i64,
    /// Who shared it.
    pub uploader: String,
    /// When (RFC 3339).
    pub at: String,
    /// The milestone it was delivered for, if any.
    pub milestone: Option<String>,
    /// Whether the asker may remove it (its uploader or staff).
    pub removable: bool,
}

/// One line of the activity feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityItem {
    /// Who did it (none for the scheduler).
    pub actor: Option<String>,
    /// What they did, in words ("moved 'Logo' to Done").
    pub summary: String,
    /// When (RFC 3339).
    pub at: String,
}

/// Today in UTC.
pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: &str) -> TaskInput {
        TaskInput {
            title: title.into(),
            ..TaskInput::default()
        }
    }

    fn fields(r: Result<CheckedTask, AppError>) -> Vec<String> {
        match r {
            Err(AppError::Validation(v)) => v.into_iter().map(|e| e.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_task_needs_a_title_and_says_what_else_is_wrong() {
        let bad = TaskInput {
            title: "  ".into(),
            notes: "x".repeat(MAX_NOTES + 1),
            assignee: "someone".into(),
            due: "31/12/2026".into(),
            priority: "asap".into(),
        };
        assert_eq!(
            fields(bad.check()),
            ["title", "notes", "assignee", "due", "priority"]
        );
        assert_eq!(fields(input(&"t".repeat(MAX_TITLE + 1)).check()), ["title"]);
    }

    #[test]
    fn a_good_task_is_trimmed_with_normal_priority_by_default() {
        let id = uuid::Uuid::now_v7();
        let t = TaskInput {
            title: "  Draft the logo ".into(),
            notes: " three options ".into(),
            assignee: id.to_string(),
            due: "2026-12-24".into(),
            priority: String::new(),
        }
        .check()
        .expect("valid");
        assert_eq!(t.title, "Draft the logo");
        assert_eq!(t.notes, "three options");
        assert_eq!(t.assignee, Some(id));
        assert_eq!(t.due.map(format_date).as_deref(), Some("2026-12-24"));
        assert_eq!(t.priority, Priority::Normal);
    }

    #[test]
    fn customers_change_only_their_own_tasks() {
        assert!(may_edit_task(Party::Customer, true));
        assert!(!may_edit_task(Party::Customer, false));
        assert!(may_edit_task(Party::Freelancer, false));
        assert!(may_edit_task(Party::Staff, false));
    }

    #[test]
    fn a_task_is_overdue_only_when_late_and_not_done() {
        let today = time::macros::date!(2026 - 12 - 01);
        let yesterday = time::macros::date!(2026 - 11 - 30);
        assert!(overdue(TaskStatus::Doing, Some(yesterday), today));
        assert!(!overdue(TaskStatus::Done, Some(yesterday), today));
        assert!(!overdue(TaskStatus::Todo, Some(today), today));
        assert!(!overdue(TaskStatus::Todo, None, today));
    }

    #[test]
    fn a_column_puts_urgent_then_earliest_due_first() {
        let t = |n: u128, p: Priority, due: Option<&str>| TaskView {
            id: uuid::Uuid::from_u128(n),
            title: n.to_string(),
            notes: String::new(),
            status: TaskStatus::Todo,
            priority: p,
            assignee_id: None,
            assignee: None,
            due: due.map(str::to_owned),
            overdue: false,
            created_by: String::new(),
            editable: true,
            version: 1,
        };
        let mut tasks = vec![
            t(1, Priority::Normal, None),
            t(2, Priority::Normal, Some("2026-12-20")),
            t(3, Priority::Urgent, None),
            t(4, Priority::Normal, Some("2026-12-10")),
        ];
        sort_tasks(&mut tasks);
        let order: Vec<_> = tasks.iter().map(|t| t.title.as_str()).collect();
        assert_eq!(order, ["3", "4", "2", "1"]);
    }

    #[test]
    fn files_are_known_by_their_bytes() {
        assert_eq!(sniff("a.png", b"\x89PNG\r\n\x1a\n...."), Ok("image/png"));
        assert_eq!(sniff("report", b"%PDF-1.7 ..."), Ok("application/pdf"));
        assert!(
            sniff("brief.docx", b"PK\x03\x04....").is_ok_and(|t| t.contains("wordprocessingml"))
        );
        assert_eq!(sniff("notes.csv", b"a,b\n1,2\n"), Ok("text/csv"));
        // A renamed program is still a program.
        let refused = sniff("photo.png", b"MZ\x90\x00\x03\x00").expect_err("refused");
        assert!(refused.contains("photo.png"), "{refused}");
        // Text with an unknown extension (a script) is refused.
        assert!(sniff("run.sh", b"#!/bin/sh\nrm -rf /\n").is_err());
        assert_eq!(sniff("a.txt", b""), Err("This file is empty.".into()));
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        assert!(sniff("a.txt", &big).is_err_and(|e| e.contains("over 25 MB")));
        // Nothing is refused for its name alone when its bytes say what it is.
        assert_eq!(sniff("", b"GIF89a...."), Ok("image/gif"));
    }
}
