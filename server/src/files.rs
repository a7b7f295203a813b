//! Files people uploaded, each for those who may see it (anyone else gets 404, so a file's
//! existence does not leak): `GET /files/{id}` (a workspace's shared files),
//! `GET /talent/portfolio/{id}` (portfolio pieces) and `GET /talent/documents/{id}` (identity
//! documents, decrypted for their owner and staff), `GET /documents/{kind}/{id}/pdf` (receipts
//! and fee invoices). Always sent as an attachment with its
//! sniffed type and `nosniff`, so an upload never runs as a page of this site.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use domain::server::projects::workspace::{self, Download};
use domain::server::{talent, RequestMeta, Services};
use domain::user::SessionUser;
use domain::AppError;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tower_sessions::Session;

use crate::api_v1::ApiError;

/// What RFC 5987 lets through unencoded in `filename*`.
const ATTR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment; filename="…"; filename*=UTF-8''…` for any name.
pub fn disposition(name: &str) -> String {
    let plain: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{plain}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, ATTR)
    )
}

async fn asker(session: &Session, svc: &Services) -> Result<SessionUser, ApiError> {
    Ok(app::ssr::user_of(session, svc)
        .await?
        .ok_or(AppError::Unauthorized)?)
}

/// The signed-in person and their grant on the team `slug`'s leads, for `access`.
async fn leads_member(
    session: &Session,
    svc: &Services,
    slug: &str,
    access: domain::permissions::Access,
) -> Result<(SessionUser, domain::server::guard::TenantGrant), ApiError> {
    use domain::permissions::Resource;
    let user = asker(session, svc).await?;
    let grant =
        domain::server::guard::tenant(&svc.db, Some(&user), slug, Resource::Leads, access).await?;
    Ok((user, grant))
}

/// Sends a shared file to someone who may see its project.
pub async fn download(
    State(svc): State<Services>,
    Path(file): Path<uuid::Uuid>,
    session: Session,
) -> Result<Response, ApiError> {
    let user = asker(&session, &svc).await?;
    Ok(send(workspace::download(&svc, &user, file).await?))
}

/// Sends a portfolio piece's file.
pub async fn portfolio(
    State(svc): State<Services>,
    Path(piece): Path<uuid::Uuid>,
    session: Session,
) -> Result<Response, ApiError> {
    let user = asker(&session, &svc).await?;
    Ok(send(talent::piece_file(&svc, &user, piece).await?))
}

/// Sends an identity document, decrypted, to its owner or to staff (audited).
pub async fn document(
    State(svc): State<Services>,
    Path(doc): Path<uuid::Uuid>,
    session: Session,
    meta: axum::Extension<RequestMeta>,
) -> Result<Response, ApiError> {
    let user = asker(&session, &svc).await?;
    Ok(send(talent::document(&svc, &user, doc, &meta).await?))
}

/// Sends a receipt or fee invoice as a PDF to those who may open it.
pub async fn document_pdf(
    State(svc): State<Services>,
    Path((kind, subject)): Path<(String, uuid::Uuid)>,
    session: Session,
) -> Result<Response, ApiError> {
    let user = asker(&session, &svc).await?;
    let kind = domain::invoice::DocKind::parse(&kind).ok_or(AppError::NotFound)?;
    let doc = domain::server::invoices::get(&svc, &user, kind, subject).await?;
    Ok(send(Download {
        name: format!("{}.pdf", doc.number),
        content_type: "application/pdf".into(),
        bytes: domain::server::invoices::pdf(&doc).into(),
    }))
}

/// The refused rows of a lead import, as CSV, for whoever may import the team's leads.
pub async fn import_errors(
    State(svc): State<Services>,
    Path((slug, id)): Path<(String, uuid::Uuid)>,
    session: Session,
) -> Result<Response, ApiError> {
    let (_, grant) =
        leads_member(&session, &svc, &slug, domain::permissions::Access::Write).await?;
    let (name, csv) = domain::server::leads::import::error_report(&svc, &grant, id).await?;
    Ok(send(Download {
        name,
        content_type: "text/csv; charset=utf-8".into(),
        bytes: csv.into_bytes().into(),
    }))
}

/// Media a contact sent, for those who may see their conversation: images, audio and video
/// the browser plays safely with their own type (the inbox shows them in the page), anything
/// else as a download of unknown type.
pub async fn inbox_media(
    State(svc): State<Services>,
    Path((slug, id)): Path<(String, uuid::Uuid)>,
    session: Session,
) -> Result<Response, ApiError> {
    use domain::leads::inbox::{media_essence, media_shown, MediaShown};
    use domain::permissions::Access;
    let (user, grant) = leads_member(&session, &svc, &slug, Access::Read).await?;
    let f = domain::server::leads::inbox::media(&svc, &grant, user.id, id).await?;
    let (content_type, ext) = match media_shown(&f.mime) {
        MediaShown::Download => ("application/octet-stream".to_owned(), "bin".to_owned()),
        _ => {
            let essence = media_essence(&f.mime);
            let ext = essence.rsplit('/').next().unwrap_or("bin").to_owned();
            (essence, ext)
        }
    };
    Ok(send(Download {
        // A file the team sent keeps the name it went out with.
        name: f.name.unwrap_or_else(|| format!("{}-{id}.{ext}", f.kind)),
        content_type,
        bytes: f.bytes.into(),
    }))
}

/// Every lead of the team as a CSV file, for those who see every lead.
pub async fn leads_export(
    State(svc): State<Services>,
    Path(slug): Path<String>,
    session: Session,
) -> Result<Response, ApiError> {
    let (_, grant) = leads_member(&session, &svc, &slug, domain::permissions::Access::Read).await?;
    let (name, csv) = domain::server::leads::analytics::export(&svc, &grant).await?;
    Ok(send(Download {
        name,
        content_type: "text/csv; charset=utf-8".into(),
        bytes: csv.into_bytes().into(),
    }))
}

fn send(f: Download) -> Response {
    (
        [
            (header::CONTENT_TYPE, f.content_type),
            (header::CONTENT_DISPOSITION, disposition(&f.name)),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (header::CONTENT_SECURITY_POLICY, "sandbox".to_owned()),
        ],
        f.bytes,
    )
        .into_response()
}

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
enum Ranged {
    /// The whole file: no range, one that does not parse, or several (RFC 9110 lets a server
    /// answer those with the whole).
    Whole,
    /// Bytes `start..=end`.
    Part(u64, u64),
    /// Nothing of the file: 416.
    Unsatisfiable,
}

fn ranged(header: &str, size: u64) -> Ranged {
    use http_range_header::{EndPosition, RangeUnsatisfiableError, StartPosition};
    let ranges = match http_range_header::parse_range_header(header) {
        Ok(r) => r.ranges,
        Err(RangeUnsatisfiableError::ZeroSuffix) => return Ranged::Unsatisfiable,
        Err(_) => return Ranged::Whole,
    };
    let [one] = ranges.as_slice() else {
        return Ranged::Whole;
    };
    let last = match size.checked_sub(1) {
        Some(last) => last,
        None => return Ranged::Unsatisfiable,
    };
    let (start, end) = match (one.start, one.end) {
        (StartPosition::FromLast(n), _) => (size.saturating_sub(n), last),
        (StartPosition::Index(s), EndPosition::LastByte) => (s, last),
        (StartPosition::Index(s), EndPosition::Index(e)) if e < s => return Ranged::Whole,
        (StartPosition::Index(s), EndPosition::Index(e)) => (s, e.min(last)),
    };
    if start > last {
        return Ranged::Unsatisfiable;
    }
    Ranged::Part(start, end)
}

/// Serves byte ranges of the downloads, so a video or a voice note in the inbox can be sought
/// and a broken download resumed: every whole download says `Accept-Ranges: bytes`; a
/// `Range` of one range gets 206 with `Content-Range`, one past the end 416 with the size; a
/// header that does not parse, several ranges, or an `If-Range` (nothing here has a validator
/// to compare it with) get the whole file.
pub async fn byte_ranges(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::{HeaderValue, StatusCode};
    let range = req
        .headers()
        .get(header::RANGE)
        .filter(|_| !req.headers().contains_key(header::IF_RANGE))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut res = next.run(req).await;
    if res.status() != StatusCode::OK {
        return res;
    }
    res.headers_mut()
        .insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let Some(range) = range else {
        return res;
    };
    let (mut parts, body) = res.into_parts();
    // The downloads are whole in memory already: this takes them as they are.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let size = bytes.len() as u64;
    let content_range = |v: String| HeaderValue::from_str(&v).ok();
    match ranged(&range, size) {
        Ranged::Whole => Response::from_parts(parts, axum::body::Body::from(bytes)),
        Ranged::Part(start, end) => {
            parts.status = StatusCode::PARTIAL_CONTENT;
            parts.headers.remove(header::CONTENT_LENGTH);
            if let Some(v) = content_range(format!("bytes {start}-{end}/{size}")) {
                parts.headers.insert(header::CONTENT_RANGE, v);
            }
            let part = bytes.slice(start as usize..=end as usize);
            Response::from_parts(parts, axum::body::Body::from(part))
        }
        Ranged::Unsatisfiable => {
            let mut res = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Some(v) = content_range(format!("bytes */{size}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            res
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{disposition, ranged, Ranged};

    #[test]
    fn a_range_is_one_part_of_the_file_or_the_whole_or_nothing() {
        let cases = [
            ("bytes=0-99", 1000, Ranged::Part(0, 99)),
            ("bytes=900-", 1000, Ranged::Part(900, 999)),
            ("bytes=990-2000", 1000, Ranged::Part(990, 999)),
            ("bytes=-100", 1000, Ranged::Part(900, 999)),
            ("bytes=-5000", 1000, Ranged::Part(0, 999)),
            ("bytes=1000-", 1000, Ranged::Unsatisfiable),
            ("bytes=-0", 1000, Ranged::Unsatisfiable),
            ("bytes=0-", 0, Ranged::Unsatisfiable),
            ("bytes=50-10", 1000, Ranged::Whole),
            ("bytes=0-9, 20-29", 1000, Ranged::Whole),
            ("items=0-9", 1000, Ranged::Whole),
            ("bytes=abc", 1000, Ranged::Whole),
        ];
        for (header, size, want) in cases {
            assert_eq!(ranged(header, size), want, "{header} of {size}");
        }
    }

    #[test]
    fn any_name_makes_a_safe_header() {
        assert_eq!(
            disposition("brief v2.pdf"),
            "attachment; filename=\"brief v2.pdf\"; filename*=UTF-8''brief%20v2.pdf"
        );
        let d = disposition("Résumé \"final\".docx");
        assert!(
            d.starts_with("attachment; filename=\"R_sum_ _final_.docx\""),
            "{d}"
        );
        assert!(d.ends_with("R%C3%A9sum%C3%A9%20%22final%22.docx"), "{d}");
        assert!(!disposition("a\r\nSet-Cookie: x").contains('\n'));
    }
}
