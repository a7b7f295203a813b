//! Importing leads from a CSV file, shared by the server and the browser: which column holds
//! what (guessed from the header, then confirmed by the person importing), where an import
//! stands, and what went wrong with a row.

use serde::{Deserialize, Serialize};

/// Most bytes of a CSV file (about 500,000 rows of name, phone and email).
pub const MAX_BYTES: usize = 50 * 1024 * 1024;
/// Most rows shown as a preview before importing.
pub const PREVIEW_ROWS: usize = 5;

/// Which columns (0-based) hold what. A row needs a phone number or an email that reads.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Mapping {
    /// The person's name.
    #[serde(default)]
    pub name: Option<usize>,
    /// Phone numbers (several columns may: mobile, work).
    #[serde(default)]
    pub phones: Vec<usize>,
    /// Emails.
    #[serde(default)]
    pub emails: Vec<usize>,
}

impl Mapping {
    /// What is wrong with this mapping for a file with `columns` columns, if anything.
    pub fn problem(&self, columns: usize) -> Option<String> {
        let all = self
            .name
            .iter()
            .chain(&self.phones)
            .chain(&self.emails)
            .copied();
        if all.clone().any(|c| c >= columns) {
            return Some("A mapped column is not in the file.".into());
        }
        if self.phones.is_empty() && self.emails.is_empty() {
            return Some("Choose at least one column with phone numbers or emails.".into());
        }
        let mut seen: Vec<usize> = all.collect();
        let n = seen.len();
        seen.sort_unstable();
        seen.dedup();
        (seen.len() != n).then(|| "Each column can be mapped once.".into())
    }
}

/// What each header probably holds: names, phone numbers, emails.
pub fn guess(headers: &[String]) -> Mapping {
    let mut m = Mapping::default();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
        if has(&["email", "e-mail", "mail"]) {
            m.emails.push(i);
        } else if has(&["phone", "mobile", "cell", "whatsapp", "tel", "number"]) {
            m.phones.push(i);
        } else if m.name.is_none() && has(&["name", "contact", "person"]) {
            m.name = Some(i);
        }
    }
    m
}

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportState {
    /// Uploaded; waiting for its columns to be confirmed.
    Mapping,
    /// Confirmed; waiting for a worker.
    Queued,
    /// Being read.
    Running,
    /// Every row was read.
    Done,
    /// The file could not be read past some point (said in `error`).
    Failed,
}

/// An import as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportView {
    /// Its id.
    pub id: uuid::Uuid,
    /// The file's name.
    pub file_name: String,
    /// Where it stands.
    pub state: ImportState,
    /// The header row.
    pub headers: Vec<String>,
    /// The first rows, as a preview.
    pub preview: Vec<Vec<String>>,
    /// The columns chosen (or guessed, before that).
    pub mapping: Mapping,
    /// Data rows in the file.
    pub total: u64,
    /// Rows read so far.
    pub processed: u64,
    /// New leads.
    pub created: u64,
    /// Rows that matched a lead already known (or an earlier row of the file).
    pub matched: u64,
    /// Rows that brought two known leads together, now merged.
    pub merged: u64,
    /// Rows refused, each in the error report with its reason.
    pub failed: u64,
    /// Why the import stopped, when it failed.
    pub error: Option<String>,
}

impl ImportView {
    /// Percent done, 0–100.
    pub fn percent(&self) -> u8 {
        if self.total == 0 {
            return if self.state == ImportState::Done {
                100
            } else {
                0
            };
        }
        u8::try_from((self.processed.min(self.total) * 100) / self.total).unwrap_or(100)
    }
}

/// Quotes a CSV field when it needs it (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headers_are_guessed() {
        let m = guess(&h(&[
            "Full Name",
            "Mobile",
            "Work phone",
            "E-mail",
            "Company",
        ]));
        assert_eq!(
            m,
            Mapping {
                name: Some(0),
                phones: vec![1, 2],
                emails: vec![3],
            }
        );
        assert_eq!(guess(&h(&["a", "b"])), Mapping::default());
    }

    #[test]
    fn a_mapping_needs_a_phone_or_email_each_column_once_and_inside_the_file() {
        let m = Mapping {
            name: Some(0),
            phones: vec![1],
            emails: vec![],
        };
        assert_eq!(m.problem(2), None);
        assert_eq!(m.problem(1).unwrap(), "A mapped column is not in the file.");
        let none = Mapping {
            name: Some(0),
            ..Mapping::default()
        };
        assert!(none.problem(3).unwrap().contains("at least one column"));
        let twice = Mapping {
            name: Some(1),
            phones: vec![1],
            emails: vec![],
        };
        assert_eq!(twice.problem(3).unwrap(), "Each column can be mapped once.");
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn percent_is_bounded() {
        let mut v = ImportView {
            id: uuid::Uuid::nil(),
            file_name: "x.csv".into(),
            state: ImportState::Running,
            headers: vec![],
            preview: vec![],
            mapping: Mapping::default(),
            total: 200,
            processed: 50,
            created: 0,
            matched: 0,
            merged: 0,
            failed: 0,
            error: None,
        };
        assert_eq!(v.percent(), 25);
        v.processed = 300;
        assert_eq!(v.percent(), 100);
    }
}
