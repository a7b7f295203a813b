//! The marketing site's content model: pages are trees of typed blocks from one registry.
//!
//! A page's content ([`PageContent`]) is stored as JSON with a schema version. Each block names
//! its type and the version of its props; documents written by older versions are migrated on
//! read ([`migrate`]). Every save is checked against the registry ([`validate`]), which answers
//! with one message per field. This module has no server dependencies, so the editor in the
//! browser validates with exactly the rules the server enforces.

pub mod diff;
pub mod lead;
pub mod media;
pub mod migrate;
pub mod registry;
pub mod seo;
pub mod templates;
pub mod tree;
pub mod validate;
pub mod views;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

use crate::types::{ParseError, Slug};

pub use registry::{block_type, BlockType, Category, Field, FieldKind, Nesting, REGISTRY};

/// The version of the page document envelope ([`PageContent`]).
pub const SCHEMA_VERSION: u32 = 1;

/// What a page is, which decides its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageKind {
    /// A top-level page: `/` for the slug `home`, else `/{slug}`.
    Page,
    /// A case study: `/case-studies/{slug}`.
    CaseStudy,
    /// An insight article: `/insights/{slug}`.
    Article,
}

impl PageKind {
    /// Every kind.
    pub const ALL: &'static [Self] = &[Self::Page, Self::CaseStudy, Self::Article];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::CaseStudy => "case_study",
            Self::Article => "article",
        }
    }

    /// A name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Page => "Page",
            Self::CaseStudy => "Case study",
            Self::Article => "Article",
        }
    }

    /// The public path of a page of this kind with `slug`.
    pub fn path(self, slug: &str) -> String {
        match self {
            Self::Page if slug == HOME_SLUG => "/".to_owned(),
            Self::Page => format!("/{slug}"),
            Self::CaseStudy => format!("/case-studies/{slug}"),
            Self::Article => format!("/insights/{slug}"),
        }
    }

    /// The kind and slug a public path names, if it can name a page at all.
    pub fn from_path(path: &str) -> Option<(Self, String)> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let trimmed = path.trim_end_matches('/');
        if trimmed.is_empty() {
            return Some((Self::Page, HOME_SLUG.to_owned()));
        }
        let parts: Vec<&str> = trimmed.trim_start_matches('/').split('/').collect();
        let (kind, slug) = match parts.as_slice() {
            [slug] => (Self::Page, *slug),
            ["case-studies", slug] => (Self::CaseStudy, *slug),
            ["insights", slug] => (Self::Article, *slug),
            _ => return None,
        };
        let slug = Slug::parse(slug).ok()?;
        if kind == Self::Page
            && (RESERVED_SLUGS.contains(&slug.as_str()) || slug.as_str() == HOME_SLUG)
        {
            return None;
        }
        Some((kind, slug.as_str().to_owned()))
    }
}

impl FromStr for PageKind {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "page" => Ok(Self::Page),
            "case_study" => Ok(Self::CaseStudy),
            "article" => Ok(Self::Article),
            _ => Err(ParseError("Choose a page, a case study or an article.")),
        }
    }
}

impl fmt::Display for PageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The slug of the home page (served at `/`).
pub const HOME_SLUG: &str = "home";

/// First path segments the application itself uses, which no top-level page may take.
pub const RESERVED_SLUGS: &[&str] = &[
    "account",
    "admin",
    "api",
    "documents",
    "earnings",
    "editor",
    "events",
    "files",
    "forgot-password",
    "forms",
    "healthz",
    "media",
    "metrics",
    "pkg",
    "preview",
    "projects",
    "readyz",
    "reset-password",
    "robots-txt",
    "signin",
    "signup",
    "site",
    "talent",
    "teams",
    "webhooks",
    "ws",
];

/// Parses the slug of a new or renamed page of `kind`.
pub fn parse_page_slug(kind: PageKind, input: &str) -> Result<Slug, ParseError> {
    let slug = Slug::parse(input)?;
    if kind == PageKind::Page && RESERVED_SLUGS.contains(&slug.as_str()) {
        return Err(ParseError(
            "That address is used by the application; choose another.",
        ));
    }
    Ok(slug)
}

/// One block: its type, the version of its props, the props, and (for containers) children.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    /// Unique within the page; the editor's handle and the diff's key.
    pub id: String,
    /// The block type (a [`REGISTRY`] kind).
    #[serde(rename = "type")]
    pub kind: String,
    /// The props' version.
    #[serde(default = "first_version")]
    pub v: u32,
    /// The props.
    #[serde(default)]
    pub props: Map<String, Value>,
    /// Children, for containers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Block>,
}

fn first_version() -> u32 {
    1
}

impl Block {
    /// A new block of `kind` with its default props, or `None` for an unknown type.
    pub fn new(kind: &str, id: impl Into<String>) -> Option<Self> {
        let t = block_type(kind)?;
        Some(Self {
            id: id.into(),
            kind: kind.to_owned(),
            v: t.version,
            props: (t.defaults)().as_object().cloned().unwrap_or_default(),
            children: Vec::new(),
        })
    }

    /// Typed access to the props.
    pub fn p(&self) -> Props<'_> {
        Props(&self.props)
    }
}

/// A page's content: what each draft and each revision holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageContent {
    /// The envelope's version ([`SCHEMA_VERSION`]).
    #[serde(default = "first_version")]
    pub schema: u32,
    /// The page title (`<title>`, OpenGraph, cards), at most 70 characters.
    pub title: String,
    /// The meta description, at most 160 characters.
    #[serde(default)]
    pub description: String,
    /// A short summary for cards and listings.
    #[serde(default)]
    pub summary: String,
    /// The sharing image (OpenGraph, Twitter, cards).
    #[serde(default)]
    pub image: String,
    /// For case studies: the client.
    #[serde(default)]
    pub client: String,
    /// For case studies: the industry.
    #[serde(default)]
    pub industry: String,
    /// For case studies: the headline figure on cards (`"42%"`) and what it measures.
    #[serde(default)]
    pub headline_value: String,
    /// What the headline figure measures.
    #[serde(default)]
    pub headline_label: String,
    /// For articles: the author shown in the byline.
    #[serde(default)]
    pub author: String,
    /// Keep search engines away (`noindex`).
    #[serde(default)]
    pub noindex: bool,
    /// The blocks, top to bottom.
    #[serde(default)]
    pub blocks: Vec<Block>,
}

impl PageContent {
    /// Empty content with a title.
    pub fn titled(title: impl Into<String>) -> Self {
        Self {
            schema: SCHEMA_VERSION,
            title: title.into(),
            description: String::new(),
            summary: String::new(),
            image: String::new(),
            client: String::new(),
            industry: String::new(),
            headline_value: String::new(),
            headline_label: String::new(),
            author: String::new(),
            noindex: false,
            blocks: Vec::new(),
        }
    }

    /// Every block, depth first, with its depth (0 for the page's own blocks).
    pub fn walk(&self) -> Vec<(usize, &Block)> {
        fn go<'a>(blocks: &'a [Block], depth: usize, out: &mut Vec<(usize, &'a Block)>) {
            for b in blocks {
                out.push((depth, b));
                go(&b.children, depth + 1, out);
            }
        }
        let mut out = Vec::new();
        go(&self.blocks, 0, &mut out);
        out
    }

    /// The ids of the global blocks this page uses.
    pub fn global_refs(&self) -> Vec<String> {
        self.walk()
            .into_iter()
            .filter(|(_, b)| b.kind == "global")
            .filter_map(|(_, b)| b.p().text("ref").map(str::to_owned))
            .collect()
    }
}

/// Typed reads of a block's props, tolerant of missing or mistyped values (the renderer never
/// panics on a document; validation is where mistakes are reported).
#[derive(Debug, Clone, Copy)]
pub struct Props<'a>(pub &'a Map<String, Value>);

impl<'a> Props<'a> {
    /// A non-empty string prop.
    pub fn text(&self, key: &str) -> Option<&'a str> {
        self.0
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// A string prop, empty when absent.
    pub fn str(&self, key: &str) -> &'a str {
        self.text(key).unwrap_or_default()
    }

    /// An integer prop.
    pub fn int(&self, key: &str) -> Option<i64> {
        self.0.get(key).and_then(|v| match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
    }

    /// A boolean prop (false when absent).
    pub fn flag(&self, key: &str) -> bool {
        self.0.get(key).and_then(Value::as_bool).unwrap_or(false)
    }

    /// A list prop's items (objects only).
    pub fn items(&self, key: &str) -> Vec<Props<'a>> {
        self.0
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_object).map(Props).collect())
            .unwrap_or_default()
    }

    /// A link prop with both a label and a target.
    pub fn link(&self, key: &str) -> Option<Link> {
        let obj = self.0.get(key)?.as_object()?;
        let p = Props(obj);
        Some(Link {
            label: p.text("label")?.to_owned(),
            href: p.text("href")?.to_owned(),
        })
    }
}

/// A call to action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// What the button says.
    pub label: String,
    /// Where it goes.
    pub href: String,
}

impl Link {
    /// The name conversions are counted under: the label in kebab case (`book-a-call`).
    pub fn cta_id(&self) -> String {
        cta_id(&self.label)
    }
}

/// A call to action's tracking name: its label in lower-case kebab case, at most 48 characters.
pub fn cta_id(label: &str) -> String {
    let mut out = String::new();
    for c in label.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    out.chars().take(48).collect()
}

/// Whether `href` is a link target the site accepts: a site path (not `//host`), an anchor,
/// `mailto:`, `tel:`, or an `http(s)://` URL.
pub fn is_safe_href(href: &str) -> bool {
    let h = href.trim();
    if h.is_empty() || h.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    if let Some(rest) = h.strip_prefix('/') {
        return !rest.starts_with('/') && !rest.starts_with('\\');
    }
    if h.starts_with('#') {
        return h.len() > 1;
    }
    let lower = h.to_ascii_lowercase();
    ["https://", "http://", "mailto:", "tel:"]
        .iter()
        .any(|p| lower.starts_with(p) && lower.len() > p.len())
}

/// Whether `src` is an image source the site accepts: an image in the media library
/// (`/media/{key}`) or an `https://` URL.
pub fn is_safe_media(src: &str) -> bool {
    let s = src.trim();
    media::key_of_url(s).is_some()
        || (s.starts_with("https://") && !s.chars().any(char::is_whitespace))
}

/// A published page in a listing (hubs, case-study cards, the sitemap).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageCard {
    /// The kind.
    pub kind: PageKind,
    /// Its public path.
    pub path: String,
    /// The title.
    pub title: String,
    /// The summary (or description).
    pub summary: String,
    /// The image, if any.
    pub image: String,
    /// Case studies: client and industry.
    pub client: String,
    /// Case studies: industry.
    pub industry: String,
    /// Case studies: the headline figure.
    pub headline_value: String,
    /// Case studies: what it measures.
    pub headline_label: String,
    /// Articles: the author.
    pub author: String,
    /// When it was first published (RFC 3339).
    pub published_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        for (kind, slug) in [
            (PageKind::Page, "home"),
            (PageKind::Page, "pricing"),
            (PageKind::CaseStudy, "acme-logistics"),
            (PageKind::Article, "ai-scoping"),
        ] {
            let path = kind.path(slug);
            assert_eq!(
                PageKind::from_path(&path),
                Some((kind, slug.to_owned())),
                "{path}"
            );
        }
        assert_eq!(PageKind::Page.path("home"), "/");
        assert_eq!(
            PageKind::from_path("/pricing/"),
            Some((PageKind::Page, "pricing".into()))
        );
        assert_eq!(
            PageKind::from_path("/pricing?utm_source=x"),
            Some((PageKind::Page, "pricing".into()))
        );
        assert_eq!(PageKind::from_path("/admin"), None);
        assert_eq!(
            PageKind::from_path("/home"),
            None,
            "the home page lives at /"
        );
        assert_eq!(PageKind::from_path("/a/b/c"), None);
        assert_eq!(PageKind::from_path("/Bad_Slug"), None);
    }

    #[test]
    fn reserved_slugs_are_refused_for_top_level_pages_only() {
        assert!(parse_page_slug(PageKind::Page, "admin").is_err());
        assert!(parse_page_slug(PageKind::Article, "admin").is_ok());
        assert!(parse_page_slug(PageKind::Page, "about").is_ok());
    }

    #[test]
    fn cta_ids_are_kebab_case() {
        assert_eq!(cta_id("Book a Call"), "book-a-call");
        assert_eq!(
            cta_id("  Download Pricing Guide → "),
            "download-pricing-guide"
        );
        assert_eq!(cta_id("Réservez un appel"), "réservez-un-appel");
    }

    #[test]
    fn hrefs() {
        for ok in [
            "/contact",
            "#faq",
            "https://example.com/x",
            "mailto:hi@example.com",
            "tel:+15551234567",
        ] {
            assert!(is_safe_href(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "//evil.example",
            "/\\evil",
            "",
            "data:text/html,x",
            "https://",
            "/a b",
            "JAVASCRIPT:alert(1)",
        ] {
            assert!(!is_safe_href(bad), "{bad}");
        }
        assert!(is_safe_media("/media/0123456789abcdef0123456789abcdef.png"));
        assert!(!is_safe_media("/media/2026/ab.png"));
        assert!(!is_safe_media("/media/../secret"));
        assert!(!is_safe_media("javascript:x"));
    }

    #[test]
    fn props_read_tolerantly() {
        let b = Block::new("hero", "h1").unwrap();
        assert_eq!(b.p().text("title"), Some("A clear promise in a few words"));
        assert_eq!(b.p().link("primary").unwrap().cta_id(), "book-a-call");
        assert_eq!(b.p().link("secondary"), None, "an empty link is no link");
        assert_eq!(b.p().int("missing"), None);
        assert!(Block::new("nope", "x").is_none());
    }
}

/// The demo content the server seeds: `domain/seed/site/*.json`, one page per file
/// ([`SeedPage`]), and `globals.json` ([`SeedGlobal`]s).
#[cfg(test)]
mod seed_tests {
    use super::validate::{block_errors, page_errors, Place};
    use super::*;

    #[derive(Deserialize)]
    struct SeedPage {
        kind: PageKind,
        slug: String,
        content: PageContent,
    }

    #[derive(Deserialize)]
    struct SeedGlobal {
        id: uuid::Uuid,
        name: String,
        blocks: Vec<Block>,
    }

    fn dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seed/site")
    }

    #[test]
    fn seed_documents_are_valid_and_complete() {
        let globals: Vec<SeedGlobal> =
            serde_json::from_str(&std::fs::read_to_string(dir().join("globals.json")).unwrap())
                .expect("globals.json reads");
        for g in &globals {
            assert!(!g.name.trim().is_empty());
            assert_eq!(
                block_errors(&g.blocks, Place::Global),
                vec![],
                "global {}",
                g.name
            );
        }
        let mut paths = Vec::new();
        let mut links = Vec::new();
        let mut files: Vec<_> = std::fs::read_dir(dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            if file.file_name().unwrap() == "globals.json"
                || file.extension().unwrap_or_default() != "json"
            {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let page: SeedPage =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            parse_page_slug(page.kind, &page.slug).unwrap();
            assert_eq!(
                page_errors(&page.content, page.kind),
                vec![],
                "{}",
                file.display()
            );
            for r in page.content.global_refs() {
                assert!(
                    globals.iter().any(|g| g.id.to_string() == r),
                    "{}: unknown global {r}",
                    file.display()
                );
            }
            for (_, b) in page.content.walk() {
                for (_, v) in b.props.iter() {
                    check_links(v, &file, &mut links);
                }
            }
            paths.push(page.kind.path(&page.slug));
        }
        for must in [
            "/",
            "/services",
            "/solutions",
            "/case-studies",
            "/insights",
            "/pricing",
            "/contact",
            "/book-a-call",
            "/request-proposal",
            "/about",
        ] {
            assert!(paths.iter().any(|p| p == must), "no seed page for {must}");
        }
        for (file, href) in links {
            let path = href.split(['?', '#']).next().unwrap_or_default();
            let known = path.is_empty()
                || paths.iter().any(|p| p == path)
                || ["/signup", "/signin"].contains(&path);
            assert!(known, "{file}: the link {href} leads to no seeded page");
        }
        assert!(
            paths
                .iter()
                .filter(|p| p.starts_with("/case-studies/"))
                .count()
                >= 3
        );
        assert!(paths.iter().filter(|p| p.starts_with("/insights/")).count() >= 3);
    }

    /// Site links in the seed lead to seeded pages or files.
    fn check_links(
        v: &serde_json::Value,
        file: &std::path::Path,
        links: &mut Vec<(String, String)>,
    ) {
        match v {
            serde_json::Value::Object(o) => o.values().for_each(|v| check_links(v, file, links)),
            serde_json::Value::Array(a) => a.iter().for_each(|v| check_links(v, file, links)),
            serde_json::Value::String(s) if s.starts_with("/downloads/") => {
                let public = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../public")
                    .join(s.trim_start_matches('/'));
                assert!(public.exists(), "{}: {s} is not in public/", file.display());
            }
            serde_json::Value::String(s) if s.starts_with('/') && !s.starts_with("/media/") => {
                links.push((file.display().to_string(), s.clone()));
            }
            _ => {}
        }
    }
}
