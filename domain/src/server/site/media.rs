//! The media library on the server: images are checked by their bytes (not their name or the
//! browser's word), stored through `object_store` (a local folder by default, any S3-compatible
//! bucket when configured) under a content-addressed key, and described in `site_media`.
//! Uploads, new descriptions and deletions go to the audit trail in the same transaction.

use bytes::Bytes;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

use crate::server::audit::{self, AuditEvent};
use crate::server::db;
use crate::server::{rfc3339, RequestMeta, Services};
use crate::site::media::{
    alt_error, clean_filename, dimensions_error, key_for, parse_key, size_error, url_of,
    ImageFormat, MediaItem, Uploaded, ACCEPTED, URL_PREFIX,
};
use crate::user::SessionUser;
use crate::{AppError, FieldError};

/// Where the library's bytes are kept.
pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
    describe: String,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStore")
            .field("store", &self.describe)
            .finish()
    }
}

fn store_error(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "the media store failed");
    AppError::Internal
}

impl MediaStore {
    /// A folder on this machine (created when missing).
    pub fn local(dir: impl AsRef<std::path::Path>) -> Result<Self, AppError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(store_error)?;
        let store =
            object_store::local::LocalFileSystem::new_with_prefix(dir).map_err(store_error)?;
        Ok(Self {
            store: Arc::new(store),
            describe: format!("folder {}", dir.display()),
        })
    }

    /// An S3-compatible bucket; credentials, region and endpoint come from the usual `AWS_*`
    /// variables (`AWS_ENDPOINT` for MinIO, R2 and the like).
    pub fn s3(bucket: &str) -> Result<Self, AppError> {
        // object_store's client takes the process's TLS provider: ring, as everywhere here.
        // (An error only says one is installed already.)
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(store_error)?;
        Ok(Self {
            store: Arc::new(store),
            describe: format!("bucket {bucket}"),
        })
    }

    /// Any store (tests use the in-memory one).
    pub fn new(store: Arc<dyn ObjectStore>, describe: impl Into<String>) -> Self {
        Self {
            store,
            describe: describe.into(),
        }
    }

    /// What it is, for logs.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    pub(crate) async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), AppError> {
        self.store
            .put(&StorePath::from(key), PutPayload::from(bytes))
            .await
            .map_err(store_error)?;
        Ok(())
    }

    pub(crate) async fn get(&self, key: &str) -> Result<Option<Bytes>, AppError> {
        match self.store.get(&StorePath::from(key)).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(store_error)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(store_error(e)),
        }
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<(), AppError> {
        match self.store.delete(&StorePath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }
}

/// An image's format and size, read from its bytes.
pub fn inspect(bytes: &[u8]) -> Result<(ImageFormat, u32, u32), String> {
    if let Some(m) = size_error(bytes.len()) {
        return Err(m);
    }
    let not_image = || format!("This file is not a {ACCEPTED} image.");
    let format = match imagesize::image_type(bytes).map_err(|_| not_image())? {
        imagesize::ImageType::Png => ImageFormat::Png,
        imagesize::ImageType::Jpeg => ImageFormat::Jpeg,
        imagesize::ImageType::Webp => ImageFormat::Webp,
        imagesize::ImageType::Gif => ImageFormat::Gif,
        imagesize::ImageType::Heif(imagesize::Compression::Av1) => ImageFormat::Avif,
        _ => return Err(not_image()),
    };
    let size = imagesize::blob_size(bytes).map_err(|_| {
        format!(
            "This {} file is damaged or incomplete: its size cannot be read.",
            format.label()
        )
    })?;
    let (w, h) = (
        u32::try_from(size.width).unwrap_or(u32::MAX),
        u32::try_from(size.height).unwrap_or(u32::MAX),
    );
    if let Some(m) = dimensions_error(w, h) {
        return Err(m);
    }
    Ok((format, w, h))
}

fn sha256_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn media_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

/// Adds an image; the same bytes already in the library answer the existing item.
pub async fn upload(
    svc: &Services,
    user: &SessionUser,
    filename: &str,
    bytes: Vec<u8>,
    alt: &str,
    meta: &RequestMeta,
) -> Result<Uploaded, AppError> {
    let mut errs = Vec::new();
    if let Some(m) = alt_error(alt) {
        errs.push(FieldError::new("alt", m));
    }
    let inspected = inspect(&bytes).map_err(|m| errs.push(FieldError::new("file", m)));
    let Ok((format, width, height)) = inspected else {
        return Err(AppError::Validation(errs));
    };
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let sha = sha256_bytes(&bytes);
    if let Some(existing) = find_by_sha(&svc.db, &sha).await? {
        return Ok(Uploaded {
            item: existing,
            new: false,
        });
    }
    let key = key_for(&sha, format);
    let size = i32::try_from(bytes.len()).map_err(|_| AppError::Internal)?;
    // The bytes first: a row never names a missing file. A crash in between leaves an unnamed
    // file that the next upload of the same image reuses.
    svc.media.put(&key, bytes).await?;
    let id = Uuid::now_v7();
    let filename = clean_filename(filename);
    let alt = alt.trim();
    let mut tx = db::begin(&svc.db).await?;
    let inserted = sqlx::query!(
        "INSERT INTO site_media (id, key, sha256, filename, content_type, bytes, width, height, alt, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (sha256) DO NOTHING",
        id,
        key,
        sha,
        filename,
        format.content_type(),
        size,
        width as i32,
        height as i32,
        alt,
        user.id.0
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        // Someone uploaded the same image a moment ago.
        tx.rollback().await?;
        let item = find_by_sha(&svc.db, &sha)
            .await?
            .ok_or(AppError::Internal)?;
        return Ok(Uploaded { item, new: false });
    }
    audit::append(
        &mut tx,
        AuditEvent::by("site.media_uploaded", user)
            .target(id.to_string())
            .details(json!({
                "key": key, "filename": filename, "bytes": size,
                "width": width, "height": height, "alt": alt,
            })),
        meta,
    )
    .await?;
    tx.commit().await?;
    let item = item(&svc.db, id).await?;
    Ok(Uploaded { item, new: true })
}

/// Changes an image's description.
pub async fn describe(
    svc: &Services,
    user: &SessionUser,
    id: &str,
    alt: &str,
    meta: &RequestMeta,
) -> Result<MediaItem, AppError> {
    let id = media_id(id)?;
    if let Some(m) = alt_error(alt) {
        return Err(AppError::field("alt", m));
    }
    let alt = alt.trim();
    let mut tx = db::begin(&svc.db).await?;
    let old = sqlx::query_scalar!("SELECT alt FROM site_media WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    if old != alt {
        sqlx::query!("UPDATE site_media SET alt = $1 WHERE id = $2", alt, id)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            AuditEvent::by("site.media_described", user)
                .target(id.to_string())
                .details(json!({"from": old, "to": alt})),
            meta,
        )
        .await?;
    }
    tx.commit().await?;
    item(&svc.db, id).await
}

/// Removes an image no page, scheduled page, revision in use or reusable block shows.
pub async fn delete(
    svc: &Services,
    user: &SessionUser,
    id: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let id = media_id(id)?;
    let mut tx = db::begin(&svc.db).await?;
    let row = sqlx::query!(
        "SELECT key, filename FROM site_media WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let used = used_on(&mut tx, &[&row.key])
        .await?
        .remove(&row.key)
        .unwrap_or_default();
    if !used.is_empty() {
        return Err(AppError::Conflict(format!(
            "This image is shown on {}. Take it off there first, then delete it.",
            used.join(", ")
        )));
    }
    sqlx::query!("DELETE FROM site_media WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        AuditEvent::by("site.media_deleted", user)
            .target(id.to_string())
            .details(json!({"key": row.key, "filename": row.filename})),
        meta,
    )
    .await?;
    tx.commit().await?;
    // The row is gone, so nothing links here any more; a failure leaves an unnamed file.
    if let Err(e) = svc.media.delete(&row.key).await {
        tracing::warn!(key = row.key, error = ?e, "a deleted image's file stays in the store");
    }
    Ok(())
}

/// A stored image's bytes and format, for `/media/{key}`; `None` for a key that is not
/// well-formed or not stored.
pub async fn fetch(svc: &Services, key: &str) -> Result<Option<(ImageFormat, Bytes)>, AppError> {
    let Some(format) = parse_key(key) else {
        return Ok(None);
    };
    Ok(svc.media.get(key).await?.map(|b| (format, b)))
}

/// For each image key: the pages (drafts, live and scheduled revisions) and reusable blocks that
/// show it, by name; one query for any number of images.
async fn used_on(
    conn: &mut sqlx::PgConnection,
    keys: &[&str],
) -> Result<HashMap<String, Vec<String>>, AppError> {
    let urls: Vec<String> = keys.iter().map(|k| url_of(k)).collect();
    let rows = sqlx::query!(
        r#"SELECT k.url AS "url!", u.name AS "name!"
           FROM UNNEST($1::text[]) AS k(url)
           CROSS JOIN LATERAL (
             SELECT p.draft->>'title' AS name FROM site_pages p
              WHERE strpos(p.draft::text, k.url) > 0
                 OR EXISTS (SELECT 1 FROM site_revisions r
                             WHERE r.id IN (p.published_revision, p.scheduled_revision)
                               AND strpos(r.content::text, k.url) > 0)
             UNION
             SELECT g.name FROM site_globals g WHERE strpos(g.blocks::text, k.url) > 0
           ) u WHERE u.name IS NOT NULL ORDER BY 1, 2"#,
        &urls
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for r in rows {
        let key = r.url.trim_start_matches(URL_PREFIX).to_owned();
        out.entry(key).or_default().push(r.name);
    }
    Ok(out)
}

struct Row {
    id: Uuid,
    key: String,
    filename: String,
    content_type: String,
    bytes: i32,
    width: i32,
    height: i32,
    alt: String,
    uploader: Option<String>,
    created_at: time::OffsetDateTime,
}

/// Library rows as the editor shows them, with where each is shown.
async fn to_items(
    conn: &mut sqlx::PgConnection,
    rows: Vec<Row>,
) -> Result<Vec<MediaItem>, AppError> {
    let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    let mut used = used_on(conn, &keys).await?;
    rows.into_iter()
        .map(|r| {
            let used_on = used.remove(&r.key).unwrap_or_default();
            to_item(r, used_on)
        })
        .collect()
}

fn to_item(r: Row, used_on: Vec<String>) -> Result<MediaItem, AppError> {
    let format = ImageFormat::ALL
        .into_iter()
        .find(|f| f.content_type() == r.content_type)
        .ok_or(AppError::Internal)?;
    Ok(MediaItem {
        id: r.id.to_string(),
        url: url_of(&r.key),
        filename: r.filename,
        format,
        bytes: i64::from(r.bytes),
        width: r.width,
        height: r.height,
        alt: r.alt,
        uploaded_by: r.uploader.unwrap_or_else(|| "A former user".into()),
        uploaded_at: rfc3339(r.created_at),
        used_on,
    })
}

async fn item(db: &PgPool, id: Uuid) -> Result<MediaItem, AppError> {
    let mut conn = db.acquire().await?;
    let r = sqlx::query_as!(
        Row,
        r#"SELECT m.id, m.key, m.filename, m.content_type, m.bytes, m.width, m.height, m.alt,
                  u.display_name AS "uploader?", m.created_at
           FROM site_media m LEFT JOIN users u ON u.id = m.uploaded_by WHERE m.id = $1"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    to_items(&mut conn, vec![r])
        .await?
        .pop()
        .ok_or(AppError::Internal)
}

async fn find_by_sha(db: &PgPool, sha: &str) -> Result<Option<MediaItem>, AppError> {
    let id = sqlx::query_scalar!("SELECT id FROM site_media WHERE sha256 = $1", sha)
        .fetch_optional(db)
        .await?;
    match id {
        Some(id) => Ok(Some(item(db, id).await?)),
        None => Ok(None),
    }
}

/// The library, newest first.
pub async fn list(db: &PgPool) -> Result<Vec<MediaItem>, AppError> {
    let mut conn = db.acquire().await?;
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT m.id, m.key, m.filename, m.content_type, m.bytes, m.width, m.height, m.alt,
                  u.display_name AS "uploader?", m.created_at
           FROM site_media m LEFT JOIN users u ON u.id = m.uploaded_by
           ORDER BY m.created_at DESC, m.id DESC"#
    )
    .fetch_all(&mut *conn)
    .await?;
    to_items(&mut conn, rows).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest valid PNG: 1×1, one transparent pixel.
    const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];

    #[test]
    fn images_are_known_by_their_bytes() {
        assert_eq!(inspect(PNG_1X1), Ok((ImageFormat::Png, 1, 1)));
        // A GIF header with its logical screen size.
        let gif = b"GIF89a\x40\x01\xf0\x00\x80\x00\x00";
        assert_eq!(inspect(gif), Ok((ImageFormat::Gif, 320, 240)));
    }

    #[test]
    fn other_files_are_refused_with_a_reason() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert!(inspect(svg).unwrap_err().contains("not a PNG, JPEG"));
        assert!(inspect(b"%PDF-1.7 hello")
            .unwrap_err()
            .contains("not a PNG"));
        assert!(inspect(&[]).unwrap_err().contains("Choose an image"));
        let big = vec![0u8; crate::site::media::MAX_BYTES + 1];
        assert!(inspect(&big).unwrap_err().contains("up to 5 MB"));
        // A PNG signature with a cut-off header.
        assert!(inspect(&PNG_1X1[..12]).is_err());
        // A PNG that claims to be 20,000 pixels wide.
        let mut wide = PNG_1X1.to_vec();
        wide[16..20].copy_from_slice(&20_000u32.to_be_bytes());
        assert!(inspect(&wide).unwrap_err().contains("20000 × 1"));
    }
}
