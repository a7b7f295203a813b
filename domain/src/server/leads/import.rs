//! Importing leads from CSV files. The file is kept with the import when it is uploaded (its
//! header, a preview and the number of rows are read at once, and the columns guessed); once the
//! person importing confirms the columns, a worker reads it in chunks of [`CHUNK`] rows. Each
//! chunk is one transaction that also records where the next one starts, so a crash loses
//! nothing and a restart resumes there. Every row ends in exactly one place: a new lead, a lead
//! already known (or an earlier row of the same file), a merge of two known leads, or the error
//! report with its reason.
//!
//! New people are written in bulk (one statement per table per chunk); rows that bring two or
//! more known leads together go through [`super::resolve`], which merges them with their history.
//! The identities of a chunk are locked (the same advisory locks as every intake) before they are
//! looked up, so an import and a WhatsApp message of the same person never make two leads.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::leads::contact::{country, normalize, Normalized, RawContact};
use crate::leads::import::{guess, ImportState, ImportView, Mapping, MAX_BYTES, PREVIEW_ROWS};
use crate::permissions::{allowed, Access, Resource, Scope};
use crate::server::guard::TenantGrant;
use crate::server::{db, Services};
use crate::types::{TenantId, UserId};
use crate::{AppError, FieldError};

/// Rows per transaction.
pub const CHUNK: usize = 5_000;

fn may_import(grant: &TenantGrant) -> bool {
    allowed(grant.role, Resource::Leads, Access::Write) == Some(Scope::All)
}

fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(bytes)
}

/// The file without a UTF-8 byte order mark.
fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Stores an uploaded file as a new import of `grant`'s team, with its header, a preview, its
/// row count and the columns guessed; nothing is imported until [`start`].
pub async fn upload(
    svc: &Services,
    grant: &TenantGrant,
    me: UserId,
    file_name: &str,
    bytes: &[u8],
    default_country: &str,
) -> Result<ImportView, AppError> {
    if !may_import(grant) {
        return Err(AppError::Forbidden);
    }
    let field = |m: &str| AppError::Validation(vec![FieldError::new("file", m)]);
    if bytes.is_empty() {
        return Err(field("Choose a CSV file."));
    }
    if bytes.len() > MAX_BYTES {
        return Err(field("A file has at most 50 MB; split it in two."));
    }
    if country(default_country).is_none() || default_country.trim().len() != 2 {
        return Err(AppError::Validation(vec![FieldError::new(
            "country",
            "Choose the country whose numbers are written without a country code.",
        )]));
    }
    let body = without_bom(bytes);
    if std::str::from_utf8(body).is_err() {
        return Err(field(
            "This file is not UTF-8 text: save it as “CSV UTF-8” and upload it again.",
        ));
    }
    let mut r = reader(body);
    let mut records = r.records();
    let headers: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(|s| s.trim().to_owned()).collect(),
        Some(Err(e)) => return Err(field(&format!("The first row could not be read: {e}."))),
        None => return Err(field("The file is empty.")),
    };
    if headers.iter().all(String::is_empty) {
        return Err(field("The first row should name the columns."));
    }
    let mut preview = Vec::new();
    let mut total: i64 = 0;
    for rec in records {
        // A row that does not read is counted; the import reports it with its reason.
        if let Ok(rec) = &rec {
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            if preview.len() < PREVIEW_ROWS {
                preview.push(rec.iter().map(str::to_owned).collect::<Vec<_>>());
            }
        }
        total += 1;
    }
    let mapping = guess(&headers);
    let id = Uuid::now_v7();
    let name: String = file_name.trim().chars().take(200).collect();
    let name = if name.is_empty() {
        "leads.csv".to_owned()
    } else {
        name
    };
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    sqlx::query!(
        r#"INSERT INTO lead_imports (id, tenant_id, created_by, file_name, body, country, headers,
                                     preview, mapping, total_rows)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"#,
        id,
        grant.tenant.0,
        me.0,
        name,
        body,
        default_country.trim().to_ascii_uppercase(),
        &headers,
        json!(preview),
        json!(mapping),
        total
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    view(svc, grant, id).await
}

/// An import of `grant`'s team.
pub async fn view(svc: &Services, grant: &TenantGrant, id: Uuid) -> Result<ImportView, AppError> {
    if !may_import(grant) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let r = sqlx::query!(
        r#"SELECT id, file_name, state, headers, preview, mapping, total_rows, processed, created,
                  matched, merged, failed, error
           FROM lead_imports WHERE id = $1"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let count = |n: i32| u64::try_from(n).unwrap_or(0);
    Ok(ImportView {
        id: r.id,
        file_name: r.file_name,
        state: match r.state.as_str() {
            "mapping" => ImportState::Mapping,
            "queued" => ImportState::Queued,
            "running" => ImportState::Running,
            "done" => ImportState::Done,
            _ => ImportState::Failed,
        },
        headers: r.headers,
        preview: serde_json::from_value(r.preview).unwrap_or_default(),
        mapping: serde_json::from_value(r.mapping).unwrap_or_default(),
        total: u64::try_from(r.total_rows).unwrap_or(0),
        processed: count(r.processed),
        created: count(r.created),
        matched: count(r.matched),
        merged: count(r.merged),
        failed: count(r.failed),
        error: r.error,
    })
}

/// Confirms the columns and queues the import for the worker.
pub async fn start(
    svc: &Services,
    grant: &TenantGrant,
    id: Uuid,
    mapping: &Mapping,
) -> Result<ImportView, AppError> {
    if !may_import(grant) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let r = sqlx::query!(
        "SELECT state, cardinality(headers) AS \"columns!\" FROM lead_imports WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let refused = if r.state != "mapping" {
        Some(AppError::Conflict(
            "This import has already started.".into(),
        ))
    } else {
        mapping
            .problem(usize::try_from(r.columns).unwrap_or(0))
            .map(|problem| AppError::Validation(vec![FieldError::new("mapping", problem)]))
    };
    if let Some(e) = refused {
        // Released now, not whenever the pool gets round to it: a worker looking for queued
        // imports (`FOR UPDATE SKIP LOCKED`) would otherwise pass this one by.
        tx.rollback().await?;
        return Err(e);
    }
    sqlx::query!(
        "UPDATE lead_imports SET state = 'queued', mapping = $2 WHERE id = $1",
        id,
        json!(mapping)
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    view(svc, grant, id).await
}

/// The refused rows of an import as a CSV file: row number (the file's line, the header being
/// line 1), the reason, and the row as it was.
pub async fn error_report(
    svc: &Services,
    grant: &TenantGrant,
    id: Uuid,
) -> Result<(String, String), AppError> {
    use crate::leads::import::csv_field;
    if !may_import(grant) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db::tenant_tx(&svc.db, grant.tenant).await?;
    let name = sqlx::query_scalar!("SELECT file_name FROM lead_imports WHERE id = $1", id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = sqlx::query!(
        "SELECT line, error, raw FROM lead_import_errors WHERE import_id = $1 ORDER BY line",
        id
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut out = String::from("line,error,row\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{}\r\n",
            r.line,
            csv_field(&r.error),
            csv_field(&r.raw)
        ));
    }
    let stem = name.strip_suffix(".csv").unwrap_or(&name);
    Ok((format!("{stem}-errors.csv"), out))
}

/// What one row of a chunk came to.
enum Outcome {
    /// A new lead.
    New,
    /// A lead already known, or one this file made earlier.
    Matched,
    /// Brings known leads together: resolved one by one after the bulk writes.
    Merge,
    /// Refused, with the reason.
    Refused(String),
}

/// A lead as the chunk knows it: known before, or new in this import.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    Known(Uuid),
    New(usize),
}

/// One row read.
struct Row {
    /// Its row number in the file (the header is row 1).
    line: i64,
    raw: String,
    name: Option<String>,
    contact: Normalized,
    /// Why the row could not be read at all.
    unreadable: Option<String>,
}

/// A claimed import: what stays the same while it runs.
struct Claimed {
    id: Uuid,
    tenant: TenantId,
    body: Vec<u8>,
    country: String,
    mapping: Mapping,
}

/// Where reading an import stands: the byte offset of the next row and the row number of the
/// last one read.
#[derive(Debug, Clone, Copy)]
struct At {
    offset: i64,
    line: i64,
}

/// One chunk read: its rows, where the next chunk starts, and whether the file ends here.
struct Chunk {
    rows: Vec<Row>,
    next: At,
    done: bool,
}

/// What one run of [`run_pending`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ran {
    /// Imports finished.
    pub imports: usize,
    /// Rows read.
    pub rows: usize,
}

/// Runs the next queued import (or one a crashed worker left) to its end, a chunk per
/// transaction; claimed for a minute at a time so no other worker reads it meanwhile.
pub async fn run_pending(svc: &Services) -> Result<Ran, AppError> {
    let mut ran = Ran::default();
    let mut tx = db::platform_tx(&svc.db).await?;
    let claimed = sqlx::query!(
        r#"UPDATE lead_imports SET state = 'running', claimed_until = now() + interval '1 minute'
           WHERE id = (SELECT id FROM lead_imports
                       WHERE state IN ('queued','running') AND (claimed_until IS NULL OR claimed_until < now())
                       ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING id, tenant_id, body, byte_offset, next_line, country, mapping"#
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let Some(c) = claimed else {
        return Ok(ran);
    };
    let job = Arc::new(Claimed {
        id: c.id,
        tenant: TenantId(c.tenant_id),
        body: c.body,
        country: c.country,
        mapping: serde_json::from_value(c.mapping).unwrap_or_default(),
    });
    let mut at = At {
        offset: c.byte_offset,
        line: c.next_line,
    };
    let mut chunk = read_apart(&job, at).await?;
    loop {
        ran.rows += chunk.rows.len();
        // The next chunk is read (parsing and normalising numbers: this process's work) while
        // this one is written (Postgres's work).
        let next = chunk.next;
        let ahead = (!chunk.done).then(|| read_apart(&job, next));
        // A chunk is written within its claim, or not at all: one that stalls (a connection
        // that never answers) is rolled back and the import left for the next claim, where
        // it resumes at this chunk, instead of holding the worker forever.
        tokio::time::timeout(CLAIM_LIMIT, write_claimed(svc, &job, chunk))
            .await
            .map_err(|_| {
                tracing::error!(import = %job.id, line = at.line, "a chunk of a lead import did not finish within its claim");
                AppError::Internal
            })??;
        at = next;
        match ahead {
            Some(read) => chunk = read.await?,
            None => {
                ran.imports += 1;
                return Ok(ran);
            }
        }
    }
}

/// Reads the chunk at `at` on a blocking thread, so that the worker's own thread stays free
/// for other tasks (a chunk takes tens of milliseconds to read).
fn read_apart(
    job: &Arc<Claimed>,
    at: At,
) -> impl std::future::Future<Output = Result<Chunk, AppError>> {
    let job = Arc::clone(job);
    let read = tokio::task::spawn_blocking(move || read_chunk(&job, at));
    async move {
        read.await.map_err(|e| {
            tracing::error!(error = %e, "reading a chunk of a lead import failed");
            AppError::Internal
        })
    }
}

/// How long a claim on an import lasts without news (as `interval '1 minute'` in the queries),
/// less a margin: a chunk that has not been written by then is given up.
const CLAIM_LIMIT: std::time::Duration = std::time::Duration::from_secs(50);

/// Writes one chunk of `job`'s rows and moves the import past it, in one transaction.
async fn write_claimed(svc: &Services, job: &Claimed, chunk: Chunk) -> Result<(), AppError> {
    let Chunk { rows, next, done } = chunk;
    let mut tx = db::tenant_tx(&svc.db, job.tenant).await?;
    let counts = write_chunk(&mut tx, job, rows).await?;
    sqlx::query!(
            r#"UPDATE lead_imports
               SET byte_offset = $2, next_line = $3, processed = processed + $4, created = created + $5,
                   matched = matched + $6, merged = merged + $7, failed = failed + $8,
                   state = CASE WHEN $9 THEN 'done' ELSE state END,
                   body = CASE WHEN $9 THEN '\x'::bytea ELSE body END,
                   claimed_until = CASE WHEN $9 THEN NULL ELSE now() + interval '1 minute' END
               WHERE id = $1"#,
            job.id,
            next.offset,
            next.line,
            i32::try_from(counts.rows).unwrap_or(i32::MAX),
            counts.created,
            counts.matched,
            counts.merged,
            counts.failed,
            done
        )
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Up to [`CHUNK`] rows of `job` from `at`.
fn read_chunk(job: &Claimed, at: At) -> Chunk {
    let start = usize::try_from(at.offset).unwrap_or(0).min(job.body.len());
    let body = &job.body[start..];
    let mut r = reader(body);
    let mut rows = Vec::new();
    let default_country = country(&job.country).unwrap_or(phonenumber::country::Id::US);
    // The header is line 1; the first data row is line 2.
    let mut line = at.line;
    let mut skip_header = at.offset == 0;
    let mut record = csv::StringRecord::new();
    let mut next = body.len();
    let mut done = true;
    loop {
        let at = r.position().byte();
        if rows.len() == CHUNK {
            next = usize::try_from(at).unwrap_or(body.len());
            done = false;
            break;
        }
        match r.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) if skip_header => skip_header = false,
            Ok(true) => {
                // Row numbers are the spreadsheet's: an empty row is skipped but counted.
                line += 1;
                if record.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                rows.push(row(line, &record, &job.mapping, default_country));
            }
            Err(e) => {
                line += 1;
                rows.push(Row {
                    line,
                    raw: String::new(),
                    name: None,
                    contact: Normalized::default(),
                    unreadable: Some(format!("This row could not be read: {e}.")),
                });
            }
        }
    }
    Chunk {
        rows,
        next: At {
            offset: at.offset + i64::try_from(next).unwrap_or(0),
            line,
        },
        done,
    }
}

fn row(
    line: i64,
    record: &csv::StringRecord,
    mapping: &Mapping,
    default_country: phonenumber::country::Id,
) -> Row {
    let cell = |i: usize| record.get(i).unwrap_or_default().trim().to_owned();
    let raw_contact = RawContact {
        phones: mapping.phones.iter().map(|&i| cell(i)).collect(),
        emails: mapping.emails.iter().map(|&i| cell(i)).collect(),
        ..RawContact::default()
    };
    let raw = record
        .iter()
        .map(crate::leads::import::csv_field)
        .collect::<Vec<_>>()
        .join(",");
    Row {
        line,
        raw,
        name: mapping
            .name
            .map(cell)
            .filter(|n| !n.is_empty())
            .map(|n| n.chars().take(200).collect()),
        contact: normalize(&raw_contact, default_country),
        unreadable: None,
    }
}

#[derive(Default)]
struct Counts {
    rows: usize,
    created: i32,
    matched: i32,
    merged: i32,
    failed: i32,
}

async fn write_chunk(
    tx: &mut PgConnection,
    job: &Claimed,
    rows: Vec<Row>,
) -> Result<Counts, AppError> {
    let tenant = job.tenant;
    let mut counts = Counts {
        rows: rows.len(),
        ..Counts::default()
    };
    if rows.is_empty() {
        return Ok(counts);
    }
    let mut keys: Vec<String> = rows
        .iter()
        .flat_map(|r| r.contact.identities.iter().map(|i| i.key()))
        .collect();
    keys.sort();
    keys.dedup();
    let locks = keys
        .iter()
        .map(|k| super::identity_lock(tenant, k))
        .collect();
    super::lock_identities(tx, locks).await?;
    let known = super::owners_of(tx, tenant, &keys).await?;

    let mut owner_of: HashMap<String, Owner> = known
        .into_iter()
        .map(|(k, l)| (k, Owner::Known(l)))
        .collect();
    let mut new = super::NewLeads::default();
    // Identities to add: key and lead.
    let mut add_keys: Vec<String> = Vec::new();
    let mut add_leads: Vec<Uuid> = Vec::new();
    // Known leads that gained something: name to fill, identities added.
    let mut touched: HashMap<Uuid, (Option<String>, Vec<String>)> = HashMap::new();
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(rows.len());
    let sep = '\u{1f}';

    for r in &rows {
        if let Some(why) = &r.unreadable {
            outcomes.push(Outcome::Refused(why.clone()));
            continue;
        }
        if r.contact.identities.is_empty() {
            let why = match (
                r.contact.invalid_phones.first(),
                r.contact.invalid_emails.first(),
            ) {
                (Some(p), _) => format!("“{}”: {}", p.given, p.why),
                (None, Some(e)) => format!("“{e}” is not an email address."),
                (None, None) => "No phone number or email in this row.".to_owned(),
            };
            outcomes.push(Outcome::Refused(why));
            continue;
        }
        let row_keys: Vec<String> = r.contact.identities.iter().map(|i| i.key()).collect();
        let mut owners: Vec<Owner> = row_keys
            .iter()
            .filter_map(|k| owner_of.get(k).copied())
            .collect();
        owners.dedup();
        owners.sort_by_key(|o| match o {
            Owner::Known(u) => (0, *u, 0),
            Owner::New(i) => (1, Uuid::nil(), *i),
        });
        owners.dedup();
        match owners.as_slice() {
            [] => {
                let i = new.ids.len();
                let phones: Vec<&str> = r
                    .contact
                    .invalid_phones
                    .iter()
                    .map(|b| b.given.as_str())
                    .collect();
                let id = new.push_flagged(
                    r.name.as_deref(),
                    "csv",
                    phones.join(&sep.to_string()),
                    r.contact.invalid_emails.join(&sep.to_string()),
                );
                for k in row_keys {
                    owner_of.insert(k.clone(), Owner::New(i));
                    add_keys.push(k);
                    add_leads.push(id);
                }
                outcomes.push(Outcome::New);
            }
            [one] => {
                let lead = match *one {
                    Owner::Known(u) => u,
                    Owner::New(i) => new.ids[i],
                };
                for k in row_keys {
                    if let std::collections::hash_map::Entry::Vacant(e) = owner_of.entry(k.clone())
                    {
                        e.insert(*one);
                        add_keys.push(k.clone());
                        add_leads.push(lead);
                        if let Owner::Known(u) = one {
                            touched.entry(*u).or_default().1.push(k);
                        }
                    }
                }
                if let (Owner::Known(u), Some(name)) = (one, &r.name) {
                    touched.entry(*u).or_default().0.get_or_insert(name.clone());
                }
                if let (Owner::New(i), Some(name)) = (one, &r.name) {
                    if new.names[*i].is_empty() {
                        new.names[*i].clone_from(name);
                    }
                }
                outcomes.push(Outcome::Matched);
            }
            _ => outcomes.push(Outcome::Merge),
        }
    }

    let identities = super::NewIdentities {
        tenants: vec![tenant.0; add_keys.len()],
        keys: add_keys,
        leads: add_leads,
    };
    super::create_leads(tx, tenant, &new, json!({ "import": job.id }), &identities).await?;
    if !touched.is_empty() {
        let mut ids = Vec::with_capacity(touched.len());
        let mut names: Vec<String> = Vec::with_capacity(touched.len());
        let mut details = Vec::with_capacity(touched.len());
        for (id, (name, added)) in touched {
            ids.push(id);
            names.push(name.unwrap_or_default());
            details.push(json!({ "identities": added, "import": job.id }));
        }
        sqlx::query!(
            r#"UPDATE leads l SET name = COALESCE(l.name, n.name)
               FROM unnest($1::uuid[], $2::text[]) AS n(id, name)
               WHERE l.id = n.id AND n.name <> '' AND l.name IS NULL"#,
            &ids,
            &names
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            r#"INSERT INTO lead_events (tenant_id, lead_id, kind, detail)
               SELECT $1, n.id, 'identity_added', n.detail
               FROM unnest($2::uuid[], $3::jsonb[]) AS n(id, detail)
               WHERE jsonb_array_length(n.detail -> 'identities') > 0"#,
            tenant.0,
            &ids,
            &details
        )
        .execute(&mut *tx)
        .await?;
    }

    let mut lines: Vec<i64> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    let mut raws: Vec<String> = Vec::new();
    for (r, outcome) in rows.iter().zip(&outcomes) {
        match outcome {
            Outcome::New => counts.created += 1,
            Outcome::Matched => counts.matched += 1,
            Outcome::Merge => {
                super::resolve(tx, tenant, &r.contact, r.name.as_deref(), "csv").await?;
                counts.merged += 1;
            }
            Outcome::Refused(why) => {
                counts.failed += 1;
                lines.push(r.line);
                errors.push(why.clone());
                raws.push(r.raw.clone());
            }
        }
    }
    if !lines.is_empty() {
        sqlx::query!(
            r#"INSERT INTO lead_import_errors (import_id, tenant_id, line, error, raw)
               SELECT $1, $2, n.line, n.error, n.raw
               FROM unnest($3::bigint[], $4::text[], $5::text[]) AS n(line, error, raw)
               ON CONFLICT (import_id, line) DO NOTHING"#,
            job.id,
            tenant.0,
            &lines,
            &errors,
            &raws
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(counts)
}
