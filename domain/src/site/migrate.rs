//! Prop changes between block versions. Each migration lifts one block type from one version to
//! the next; they run on read (so an old document renders and opens in the editor as the current
//! version) and in a batch command that rewrites stored documents
//! (`fluxorae migrate-blocks`). A migration never drops what a person wrote: a prop that has
//! no place in the new version is folded into one that does.

use serde_json::{json, Map, Value};

use super::registry::block_type;
use super::{Block, PageContent};

/// Lifts the props of a `kind` block from version `from` to `from + 1`.
pub struct Migration {
    /// The block type.
    pub kind: &'static str,
    /// The version it reads.
    pub from: u32,
    /// What changes.
    pub run: fn(&mut Map<String, Value>),
}

/// Every migration, oldest first.
pub static MIGRATIONS: &[Migration] = &[
    // Hero v1 had `headline`, `tagline` and a single `cta_text`/`cta_url` pair; v2 has a title,
    // a subtitle, two calls to action and an eyebrow.
    Migration {
        kind: "hero",
        from: 1,
        run: |p| {
            let take = |p: &mut Map<String, Value>, k: &str| {
                p.remove(k)
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            };
            let title = take(p, "headline");
            let subtitle = take(p, "tagline");
            let label = take(p, "cta_text");
            let href = take(p, "cta_url");
            let image = take(p, "image");
            p.insert("eyebrow".into(), json!(""));
            p.insert("title".into(), json!(title));
            p.insert("subtitle".into(), json!(subtitle));
            p.insert("primary".into(), json!({"label": label, "href": href}));
            p.insert("secondary".into(), json!({"label": "", "href": ""}));
            p.insert("image".into(), json!(image));
            p.insert("image_alt".into(), json!(""));
        },
    },
    // Testimonial v1 kept "Name, Role at Company" in one `author` string and the photo as
    // `photo`; v2 splits the name from the role and calls the photo `avatar`.
    Migration {
        kind: "testimonial",
        from: 1,
        run: |p| {
            let author = p
                .remove("author")
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let (name, role) = match author.split_once(',') {
                Some((n, r)) => (n.trim().to_owned(), r.trim().to_owned()),
                None => (author.trim().to_owned(), String::new()),
            };
            let photo = p.remove("photo").unwrap_or_else(|| json!(""));
            p.insert("author".into(), json!(name));
            p.insert("role".into(), json!(role));
            p.insert("avatar".into(), photo);
            p.entry("quote").or_insert_with(|| json!(""));
        },
    },
];

/// Brings every block (and its children) to its type's current version. Answers whether
/// anything changed. Blocks of unknown types, or newer than this server, are left as they are
/// (validation reports them).
pub fn migrate_blocks(blocks: &mut [Block]) -> bool {
    let mut changed = false;
    for b in blocks.iter_mut() {
        if let Some(t) = block_type(&b.kind) {
            while b.v < t.version {
                let Some(m) = MIGRATIONS
                    .iter()
                    .find(|m| m.kind == b.kind && m.from == b.v)
                else {
                    break;
                };
                (m.run)(&mut b.props);
                b.v += 1;
                changed = true;
            }
        }
        changed |= migrate_blocks(&mut b.children);
    }
    changed
}

/// Brings a page's content to the current versions; answers whether anything changed.
pub fn migrate_content(content: &mut PageContent) -> bool {
    migrate_blocks(&mut content.blocks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::registry::REGISTRY;
    use crate::site::validate::page_errors;
    use crate::site::PageKind;

    #[test]
    fn every_version_has_a_path_from_v1() {
        for t in REGISTRY {
            for v in 1..t.version {
                assert!(
                    MIGRATIONS.iter().any(|m| m.kind == t.kind && m.from == v),
                    "{} has no migration from v{v}",
                    t.kind
                );
            }
        }
    }

    #[test]
    fn an_old_document_becomes_a_valid_current_one() {
        let mut page: PageContent = serde_json::from_value(json!({
            "schema": 1, "title": "Home", "description": "An old home page.",
            "blocks": [
                {"id": "h", "type": "hero", "v": 1, "props": {"headline": "We ship", "tagline": "Fast.", "cta_text": "Book a Call", "cta_url": "/book-a-call"}},
                {"id": "s", "type": "section", "v": 1, "props": {"width": "wide", "tone": "plain"}, "children": [
                    {"id": "q", "type": "testimonial", "v": 1, "props": {"quote": "Great work.", "author": "Priya Nair, CTO at Kestrel"}}
                ]}
            ]
        }))
        .unwrap();
        assert!(migrate_content(&mut page));
        assert_eq!(page_errors(&page, PageKind::Page), vec![]);
        let hero = page.blocks[0].p();
        assert_eq!(page.blocks[0].v, 2);
        assert_eq!(hero.text("title"), Some("We ship"));
        assert_eq!(hero.text("subtitle"), Some("Fast."));
        assert_eq!(
            hero.link("primary").map(|l| l.href),
            Some("/book-a-call".into())
        );
        let q = page.blocks[1].children[0].p();
        assert_eq!(q.text("author"), Some("Priya Nair"));
        assert_eq!(q.text("role"), Some("CTO at Kestrel"));
        assert!(
            !migrate_content(&mut page),
            "migrating twice changes nothing"
        );
    }

    #[test]
    fn unknown_and_newer_blocks_are_left_alone() {
        let mut blocks: Vec<Block> = serde_json::from_value(json!([
            {"id": "a", "type": "carousel", "v": 1, "props": {"x": 1}},
            {"id": "b", "type": "hero", "v": 7, "props": {"title": "Later"}}
        ]))
        .unwrap();
        let before = blocks.clone();
        assert!(!migrate_blocks(&mut blocks));
        assert_eq!(blocks, before);
    }
}
