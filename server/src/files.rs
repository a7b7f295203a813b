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

#[cfg(test)]
mod tests {
    use super::disposition;

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
