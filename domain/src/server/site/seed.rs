//! The demo content of the marketing site (`domain/seed/site/`), seeded at start when missing:
//! reusable blocks by id, pages by kind and slug, each published as revision 1. Pages and blocks
//! that exist are left alone, so editors' changes survive restarts.

use serde::Deserialize;
use uuid::Uuid;

use super::editor::read_content;
use super::sanitize;
use crate::server::db;
use crate::server::Services;
use crate::site::validate::{block_errors, page_errors, Place};
use crate::site::{Block, PageContent, PageKind};
use crate::AppError;

mod files {
    include!(concat!(env!("OUT_DIR"), "/site_seed.rs"));
}

#[derive(Deserialize)]
struct SeedPage {
    kind: PageKind,
    slug: String,
    content: serde_json::Value,
}

#[derive(Deserialize)]
struct SeedGlobal {
    id: Uuid,
    name: String,
    blocks: Vec<Block>,
}

fn bad_seed(what: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!(what, error = %e, "the demo site content does not read");
    AppError::Internal
}

/// Seeds whatever demo content is missing; answers how many pages it added.
pub async fn seed_site(svc: &Services) -> Result<usize, AppError> {
    let globals: Vec<SeedGlobal> =
        serde_json::from_str(files::GLOBALS).map_err(|e| bad_seed("globals.json", e))?;
    for g in globals {
        let mut blocks = g.blocks;
        let errs = block_errors(&blocks, Place::Global);
        if !errs.is_empty() {
            return Err(bad_seed(&g.name, format!("{errs:?}")));
        }
        sanitize::clean_blocks(&mut blocks);
        let json = serde_json::to_value(&blocks).map_err(|e| bad_seed(&g.name, e))?;
        sqlx::query!(
            "INSERT INTO site_globals (id, name, blocks) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            g.id,
            g.name,
            json
        )
        .execute(&svc.db)
        .await?;
    }
    let mut added = 0;
    for (file, json) in files::PAGES {
        let page: SeedPage = serde_json::from_str(json).map_err(|e| bad_seed(file, e))?;
        let mut content: PageContent = read_content(page.content)?;
        let errs = page_errors(&content, page.kind);
        if !errs.is_empty() {
            return Err(bad_seed(file, format!("{errs:?}")));
        }
        sanitize::clean_content(&mut content);
        let json = serde_json::to_value(&content).map_err(|e| bad_seed(file, e))?;
        let (id, rev) = (Uuid::now_v7(), Uuid::now_v7());
        let mut tx = db::begin(&svc.db).await?;
        let inserted = sqlx::query!(
            "INSERT INTO site_pages (id, kind, slug, draft) VALUES ($1, $2, $3, $4)
             ON CONFLICT ON CONSTRAINT site_pages_kind_slug_key DO NOTHING",
            id,
            page.kind.as_str(),
            page.slug,
            json
        )
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            sqlx::query!(
                "INSERT INTO site_revisions (id, page_id, number, content, reason, published_at) VALUES ($1, $2, 1, $3, 'publish', now())",
                rev,
                id,
                json
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "UPDATE site_pages SET published_revision = $1, first_published_at = now() WHERE id = $2",
                rev,
                id
            )
            .execute(&mut *tx)
            .await?;
            added += 1;
        }
        tx.commit().await?;
    }
    if added > 0 {
        super::changed(svc).await;
    }
    Ok(added)
}

/// The paths of every demo page.
pub fn seeded_paths() -> Vec<String> {
    files::PAGES
        .iter()
        .filter_map(|(_, json)| serde_json::from_str::<SeedPage>(json).ok())
        .map(|p| p.kind.path(&p.slug))
        .collect()
}
