//! What visitors get: published pages (from the process cache when it can), draft previews
//! through a link, listings, and the sitemap.

use std::collections::BTreeMap;
use std::sync::Arc;

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::editor::{read_blocks, read_content};
use super::sanitize;
use crate::server::{rfc3339, sha256_hex, Services};
use crate::site::views::PublicPage;
use crate::site::{PageCard, PageContent, PageKind};
use crate::AppError;

/// The published page at `path`, or `None`. Served from the process cache while nothing was
/// published since it was loaded.
pub async fn published(svc: &Services, path: &str) -> Result<Option<Arc<PublicPage>>, AppError> {
    let Some((kind, slug)) = PageKind::from_path(path) else {
        return Ok(None);
    };
    let key = kind.path(&slug);
    if let Some(hit) = svc.site.get(&key) {
        return Ok(hit);
    }
    let generation = svc.site.generation();
    let row = sqlx::query!(
        r#"SELECT r.content, p.first_published_at AS "first!", r.published_at AS "modified!"
           FROM site_pages p JOIN site_revisions r ON r.id = p.published_revision
           WHERE p.kind = $1 AND p.slug = $2"#,
        kind.as_str(),
        slug
    )
    .fetch_optional(&svc.db)
    .await?;
    let page = match row {
        None => None,
        Some(r) => {
            let content = read_content(r.content)?;
            Some(Arc::new(
                resolve(
                    &svc.db,
                    kind,
                    key.clone(),
                    content,
                    Some(r.first),
                    r.modified,
                    false,
                )
                .await?,
            ))
        }
    };
    svc.site.put(&key, generation, page.clone());
    Ok(page)
}

/// The draft a preview link shows, while the link works.
pub async fn preview(svc: &Services, token: &str) -> Result<PublicPage, AppError> {
    let r = sqlx::query!(
        r#"SELECT p.kind, p.slug, p.draft, p.first_published_at, p.draft_saved_at
           FROM site_preview_links l JOIN site_pages p ON p.id = l.page_id
           WHERE l.token_hash = $1 AND l.expires_at > now()"#,
        sha256_hex(token)
    )
    .fetch_optional(&svc.db)
    .await?
    .ok_or(AppError::NotFound)?;
    let kind: PageKind = r.kind.parse().map_err(|_| AppError::Internal)?;
    let content = read_content(r.draft)?;
    resolve(
        &svc.db,
        kind,
        kind.path(&r.slug),
        content,
        r.first_published_at,
        r.draft_saved_at,
        true,
    )
    .await
}

/// Fills in what a page shows besides its own blocks, and sanitises its rich text.
async fn resolve(
    db: &PgPool,
    kind: PageKind,
    path: String,
    mut content: PageContent,
    first: Option<OffsetDateTime>,
    modified: OffsetDateTime,
    preview: bool,
) -> Result<PublicPage, AppError> {
    sanitize::clean_content(&mut content);
    let mut globals = BTreeMap::new();
    let refs: Vec<Uuid> = content
        .global_refs()
        .iter()
        .filter_map(|r| Uuid::parse_str(r).ok())
        .collect();
    if !refs.is_empty() {
        for g in sqlx::query!(
            "SELECT id, blocks FROM site_globals WHERE id = ANY($1)",
            &refs
        )
        .fetch_all(db)
        .await?
        {
            let mut blocks = read_blocks(g.blocks)?;
            sanitize::clean_blocks(&mut blocks);
            globals.insert(g.id.to_string(), blocks);
        }
    }
    let mut listings = BTreeMap::new();
    for (_, b) in content.walk() {
        let p = b.p();
        let cards = match b.kind.as_str() {
            "case_study_cards" => {
                listing(
                    db,
                    PageKind::CaseStudy,
                    p.int("limit").unwrap_or(3),
                    p.text("industry"),
                )
                .await?
            }
            "article_list" => {
                listing(db, PageKind::Article, p.int("limit").unwrap_or(6), None).await?
            }
            _ => continue,
        };
        listings.insert(b.id.clone(), cards);
    }
    Ok(PublicPage {
        kind,
        path,
        content,
        globals,
        listings,
        published_at: first.map(rfc3339).unwrap_or_default(),
        modified_at: rfc3339(modified),
        preview,
    })
}

/// Published pages of `kind`, newest first (optionally of one industry).
pub async fn listing(
    db: &PgPool,
    kind: PageKind,
    limit: i64,
    industry: Option<&str>,
) -> Result<Vec<PageCard>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT p.slug, r.content, p.first_published_at AS "first!"
           FROM site_pages p JOIN site_revisions r ON r.id = p.published_revision
           WHERE p.kind = $1 AND NOT coalesce((r.content->>'noindex')::boolean, false)
             AND ($2::text IS NULL OR lower(r.content->>'industry') = lower($2))
           ORDER BY p.first_published_at DESC, p.slug
           LIMIT $3"#,
        kind.as_str(),
        industry,
        limit.clamp(1, 100)
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            let c = read_content(r.content)?;
            Ok(PageCard {
                kind,
                path: kind.path(&r.slug),
                summary: if c.summary.is_empty() {
                    c.description
                } else {
                    c.summary
                },
                title: c.title,
                image: c.image,
                client: c.client,
                industry: c.industry,
                headline_value: c.headline_value,
                headline_label: c.headline_label,
                author: c.author,
                published_at: rfc3339(r.first),
            })
        })
        .collect()
}

/// `sitemap.xml`: every published page that is not hidden from search engines.
pub async fn sitemap(svc: &Services) -> Result<String, AppError> {
    let rows = sqlx::query!(
        r#"SELECT p.kind, p.slug, r.published_at AS "modified!"
           FROM site_pages p JOIN site_revisions r ON r.id = p.published_revision
           WHERE NOT coalesce((r.content->>'noindex')::boolean, false)
           ORDER BY p.kind, p.slug"#
    )
    .fetch_all(&svc.db)
    .await?;
    let base = svc.settings.base_url.trim_end_matches('/');
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for r in rows {
        let Ok(kind) = r.kind.parse::<PageKind>() else {
            continue;
        };
        let date = r
            .modified
            .format(time::macros::format_description!("[year]-[month]-[day]"))
            .unwrap_or_default();
        xml.push_str(&format!(
            "  <url><loc>{}</loc><lastmod>{date}</lastmod></url>\n",
            xml_escape(&format!("{base}{}", kind.path(&r.slug)))
        ));
    }
    xml.push_str("</urlset>\n");
    Ok(xml)
}

/// `robots.txt`: everything but the application's private areas, and where the sitemap is.
pub fn robots(base_url: &str) -> String {
    format!(
        "User-agent: *\nDisallow: /account\nDisallow: /admin\nDisallow: /editor\nDisallow: /preview/\nDisallow: /api/\nAllow: /\n\nSitemap: {}/sitemap.xml\n",
        base_url.trim_end_matches('/')
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_points_at_the_sitemap_and_keeps_private_areas_out() {
        let r = robots("https://fluxorae.example/");
        assert!(r.contains("Sitemap: https://fluxorae.example/sitemap.xml"));
        assert!(r.contains("Disallow: /admin"));
        assert!(r.contains("Disallow: /preview/"));
    }

    #[test]
    fn xml_is_escaped() {
        assert_eq!(xml_escape("/a?b=1&c=<2>"), "/a?b=1&amp;c=&lt;2&gt;");
    }
}
