//! Checks a page (or a reusable block) against the registry: unknown types, missing required
//! fields, limits, options, link targets and nesting. Every problem is reported at once, each
//! under the field it belongs to:
//!
//! - `title`, `description`, … for the page's own fields;
//! - `blocks` for the page's list of blocks as a whole;
//! - `block.{id}` for a block as a whole (its type, its place);
//! - `block.{id}.{field}` and `block.{id}.{field}.{n}.{subfield}` for its props (`n` from 1).

use serde_json::{Map, Value};
use std::collections::HashSet;

use super::registry::{block_type, Field, FieldKind, Nesting};
use super::{is_safe_href, is_safe_media, Block, PageContent, PageKind, SCHEMA_VERSION};
use crate::FieldError;

/// Most blocks on one page, counting nested ones.
pub const MAX_BLOCKS: usize = 200;
/// Deepest nesting: page → section → columns → block.
pub const MAX_DEPTH: usize = 3;
/// Longest block id.
pub const MAX_ID: usize = 40;
/// Longest call-to-action label.
pub const MAX_LINK_LABEL: usize = 40;

/// Where a list of blocks lives, which decides what it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A page's own blocks.
    Page,
    /// The content of a reusable block (shown wherever it is referenced).
    Global,
}

/// The longest name of a reusable block.
pub const GLOBAL_NAME_MAX: usize = 80;

/// Every problem with a reusable block (`name` and `blocks` fields, then each block's).
pub fn global_errors(name: &str, blocks: &[Block]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > GLOBAL_NAME_MAX {
        errs.push(FieldError::new(
            "name",
            format!("Give the reusable block a name of up to {GLOBAL_NAME_MAX} characters."),
        ));
    }
    if blocks.is_empty() {
        errs.push(FieldError::new(
            "blocks",
            "A reusable block holds at least one block.",
        ));
    }
    errs.extend(block_errors(blocks, Place::Global));
    errs
}

/// Every problem with `content` as a page of `kind`; empty when it may be saved.
pub fn page_errors(content: &PageContent, kind: PageKind) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if content.schema != SCHEMA_VERSION {
        errs.push(FieldError::new(
            "schema",
            format!(
                "This document has schema version {}; this server reads version {SCHEMA_VERSION}.",
                content.schema
            ),
        ));
    }
    text_field(&mut errs, "title", "Title", &content.title, true, 70);
    text_field(
        &mut errs,
        "description",
        "Description",
        &content.description,
        true,
        160,
    );
    let summary_required = kind != PageKind::Page;
    text_field(
        &mut errs,
        "summary",
        "Summary",
        &content.summary,
        summary_required,
        300,
    );
    if !content.image.trim().is_empty() && !is_safe_media(&content.image) {
        errs.push(FieldError::new(
            "image",
            "Choose an image from the media library or an https:// address.",
        ));
    }
    let case_study = kind == PageKind::CaseStudy;
    text_field(
        &mut errs,
        "client",
        "Client",
        &content.client,
        case_study,
        80,
    );
    text_field(
        &mut errs,
        "industry",
        "Industry",
        &content.industry,
        case_study,
        60,
    );
    text_field(
        &mut errs,
        "headline_value",
        "Headline figure",
        &content.headline_value,
        false,
        16,
    );
    text_field(
        &mut errs,
        "headline_label",
        "What the headline figure measures",
        &content.headline_label,
        false,
        80,
    );
    text_field(
        &mut errs,
        "author",
        "Author",
        &content.author,
        kind == PageKind::Article,
        80,
    );

    errs.extend(block_errors(&content.blocks, Place::Page));
    let heroes = content.blocks.iter().filter(|b| b.kind == "hero").count();
    match content.blocks.first() {
        None => errs.push(FieldError::new(
            "blocks",
            "Add at least one block: start with a hero.",
        )),
        Some(first) if first.kind != "hero" => errs.push(FieldError::new(
            "blocks",
            "Start the page with a hero: it holds the page's one main heading.",
        )),
        _ => {}
    }
    if heroes > 1 {
        errs.push(FieldError::new(
            "blocks",
            format!("A page has one hero (its main heading); this one has {heroes}. Use a section heading for the others."),
        ));
    }
    errs
}

/// Every problem with a list of blocks in `place`.
pub fn block_errors(blocks: &[Block], place: Place) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut ids = HashSet::new();
    let mut count = 0usize;
    walk(blocks, None, 0, place, &mut ids, &mut count, &mut errs);
    if count > MAX_BLOCKS {
        errs.push(FieldError::new(
            "blocks",
            format!("A page holds at most {MAX_BLOCKS} blocks; this one has {count}."),
        ));
    }
    errs
}

fn walk(
    blocks: &[Block],
    parent: Option<&str>,
    depth: usize,
    place: Place,
    ids: &mut HashSet<String>,
    count: &mut usize,
    errs: &mut Vec<FieldError>,
) {
    for b in blocks {
        *count += 1;
        let at = format!("block.{}", b.id);
        if b.id.is_empty()
            || b.id.len() > MAX_ID
            || !b
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            errs.push(FieldError::new(
                "blocks",
                format!(
                    "Block id \"{}\" must be 1–{MAX_ID} letters, digits, - or _.",
                    b.id.chars().take(60).collect::<String>()
                ),
            ));
        } else if !ids.insert(b.id.clone()) {
            errs.push(FieldError::new(
                &at,
                format!("Two blocks share the id \"{}\".", b.id),
            ));
        }
        let Some(t) = block_type(&b.kind) else {
            errs.push(FieldError::new(
                &at,
                format!("Unknown block type \"{}\".", b.kind),
            ));
            continue;
        };
        if b.v > t.version {
            errs.push(FieldError::new(
                &at,
                format!(
                    "This {} was made by a newer version (v{}; this server knows v{}).",
                    t.label, b.v, t.version
                ),
            ));
            continue;
        }
        if b.v < t.version {
            errs.push(FieldError::new(
                &at,
                format!(
                    "This {} is at v{}; it must be migrated to v{} before saving.",
                    t.label, b.v, t.version
                ),
            ));
            continue;
        }
        if depth >= MAX_DEPTH {
            errs.push(FieldError::new(
                &at,
                "Blocks nest at most three deep (section, columns, block).",
            ));
        }
        if t.top_level_only && (parent.is_some() || place == Place::Global) {
            let msg = if place == Place::Global {
                format!("A {} cannot be part of a reusable block.", t.label)
            } else {
                format!(
                    "A {} goes directly on the page, not inside another block.",
                    t.label
                )
            };
            errs.push(FieldError::new(&at, msg));
        }
        if b.kind == "columns" && parent != Some("section") && place == Place::Page {
            errs.push(FieldError::new(&at, "Put columns inside a section."));
        }
        if b.kind == "global" && place == Place::Global {
            errs.push(FieldError::new(
                &at,
                "A reusable block cannot contain another reusable block.",
            ));
        }
        match t.nesting {
            Nesting::Leaf if !b.children.is_empty() => {
                errs.push(FieldError::new(
                    &at,
                    format!("A {} cannot hold other blocks.", t.label),
                ));
            }
            Nesting::Container { max } if b.children.len() > max => {
                errs.push(FieldError::new(
                    &at,
                    format!("A {} holds at most {max} blocks.", t.label),
                ));
            }
            _ => {}
        }
        props_errors(&mut *errs, &at, t.fields, &b.props);
        cross_field_rules(errs, &at, b);
        walk(
            &b.children,
            Some(&b.kind),
            depth + 1,
            place,
            ids,
            count,
            errs,
        );
    }
}

fn cross_field_rules(errs: &mut Vec<FieldError>, at: &str, b: &Block) {
    let p = b.p();
    match b.kind.as_str() {
        "hero" if p.text("image").is_some() && p.text("image_alt").is_none() => {
            errs.push(FieldError::new(
                format!("{at}.image_alt"),
                "Describe the image for people who cannot see it.",
            ));
        }
        "pricing" if p.flag("calculator") => {
            if p.text("calc_unit").is_none() {
                errs.push(FieldError::new(
                    format!("{at}.calc_unit"),
                    "Say what the calculator counts.",
                ));
            }
            if p.int("calc_rate").unwrap_or(0) <= 0 {
                errs.push(FieldError::new(
                    format!("{at}.calc_rate"),
                    "Give the price per unit.",
                ));
            }
        }
        _ => {}
    }
}

fn props_errors(
    errs: &mut Vec<FieldError>,
    at: &str,
    fields: &[Field],
    props: &Map<String, Value>,
) {
    for key in props.keys() {
        if !fields.iter().any(|f| f.name == key) {
            errs.push(FieldError::new(
                format!("{at}.{key}"),
                format!("There is no field \"{key}\" here."),
            ));
        }
    }
    for field in fields {
        let path = format!("{at}.{}", field.name);
        field_errors(errs, &path, field, props.get(field.name));
    }
}

fn is_blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.values().all(|v| is_blank(Some(v))),
        _ => false,
    }
}

fn field_errors(errs: &mut Vec<FieldError>, path: &str, field: &Field, value: Option<&Value>) {
    let label = field.label;
    if is_blank(value) {
        if field.required && !matches!(field.kind, FieldKind::Bool) {
            errs.push(FieldError::new(path, format!("{label} is required.")));
        }
        return;
    }
    let Some(value) = value else { return };
    match field.kind {
        FieldKind::Text { max } | FieldKind::LongText { max } | FieldKind::RichText { max } => {
            let Some(s) = value.as_str() else {
                errs.push(FieldError::new(path, format!("{label} must be text.")));
                return;
            };
            let len = s.chars().count();
            if len > max {
                errs.push(FieldError::new(
                    path,
                    format!("{label} is at most {max} characters (now {len})."),
                ));
            }
            if matches!(field.kind, FieldKind::Text { .. }) && s.contains(['\n', '\r']) {
                errs.push(FieldError::new(path, format!("Keep {label} to one line.")));
            }
            if matches!(field.kind, FieldKind::RichText { .. })
                && field.required
                && visible_text(s).trim().is_empty()
            {
                errs.push(FieldError::new(path, format!("{label} is required.")));
            }
        }
        FieldKind::Link => {
            let Some(obj) = value.as_object() else {
                errs.push(FieldError::new(
                    path,
                    format!("{label} needs a label and a target."),
                ));
                return;
            };
            let text = |k: &str| {
                obj.get(k)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .unwrap_or("")
            };
            let (l, h) = (text("label"), text("href"));
            if l.is_empty() {
                errs.push(FieldError::new(
                    format!("{path}.label"),
                    format!("Give \"{label}\" the words on its button."),
                ));
            } else if l.chars().count() > MAX_LINK_LABEL {
                errs.push(FieldError::new(
                    format!("{path}.label"),
                    format!("Button words are at most {MAX_LINK_LABEL} characters."),
                ));
            }
            if h.is_empty() {
                errs.push(FieldError::new(
                    format!("{path}.href"),
                    format!("Say where \"{label}\" leads."),
                ));
            } else if !is_safe_href(h) {
                errs.push(FieldError::new(format!("{path}.href"), HREF_HELP));
            }
            for key in obj.keys() {
                if key != "label" && key != "href" {
                    errs.push(FieldError::new(
                        format!("{path}.{key}"),
                        format!("A link has no \"{key}\"."),
                    ));
                }
            }
        }
        FieldKind::Url => match value.as_str() {
            Some(s) if is_safe_href(s) => {}
            _ => errs.push(FieldError::new(path, HREF_HELP)),
        },
        FieldKind::Media => match value.as_str() {
            Some(s) if is_safe_media(s) => {}
            _ => errs.push(FieldError::new(
                path,
                "Choose an image from the media library or an https:// address.",
            )),
        },
        FieldKind::Int { min, max } => match value.as_i64() {
            Some(n) if (min..=max).contains(&n) => {}
            Some(_) => errs.push(FieldError::new(
                path,
                format!("{label} must be between {min} and {max}."),
            )),
            None => errs.push(FieldError::new(
                path,
                format!("{label} must be a whole number."),
            )),
        },
        FieldKind::Choice(options) => match value.as_str() {
            Some(s) if options.iter().any(|(v, _)| *v == s) => {}
            _ => {
                let names: Vec<&str> = options.iter().map(|(_, l)| *l).collect();
                errs.push(FieldError::new(
                    path,
                    format!("Choose one of: {}.", names.join(", ")),
                ));
            }
        },
        FieldKind::Bool => {
            if !value.is_boolean() {
                errs.push(FieldError::new(path, format!("{label} is yes or no.")));
            }
        }
        FieldKind::List { fields, min, max } => {
            let Some(items) = value.as_array() else {
                errs.push(FieldError::new(path, format!("{label} must be a list.")));
                return;
            };
            if items.len() < min {
                errs.push(FieldError::new(
                    path,
                    format!("{label} needs at least {min}."),
                ));
            }
            if items.len() > max {
                errs.push(FieldError::new(
                    path,
                    format!("{label} holds at most {max} (now {}).", items.len()),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                let item_path = format!("{path}.{}", i + 1);
                match item.as_object() {
                    Some(obj) => props_errors(errs, &item_path, fields, obj),
                    None => errs.push(FieldError::new(item_path, "Each item needs its fields.")),
                }
            }
        }
        FieldKind::GlobalRef => {
            if value
                .as_str()
                .and_then(|s| uuid::Uuid::parse_str(s).ok())
                .is_none()
            {
                errs.push(FieldError::new(path, "Choose a reusable block."));
            }
        }
    }
}

const HREF_HELP: &str =
    "Use a site path like /contact, an #anchor, mailto:, tel: or an https:// address.";

fn text_field(
    errs: &mut Vec<FieldError>,
    path: &str,
    label: &str,
    value: &str,
    required: bool,
    max: usize,
) {
    let len = value.trim().chars().count();
    if required && len == 0 {
        errs.push(FieldError::new(path, format!("{label} is required.")));
    } else if len > max {
        errs.push(FieldError::new(
            path,
            format!("{label} is at most {max} characters (now {len})."),
        ));
    } else if value.contains(['\n', '\r']) {
        errs.push(FieldError::new(path, format!("Keep {label} to one line.")));
    }
}

/// The text of an HTML fragment without its tags (for length and emptiness checks).
pub fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(blocks: Value) -> PageContent {
        serde_json::from_value(json!({
            "schema": 1, "title": "Pricing", "description": "What it costs.", "blocks": blocks
        }))
        .unwrap()
    }

    fn hero() -> Value {
        json!({"id": "h", "type": "hero", "v": 2, "props": {"title": "Fair prices", "primary": {"label": "Book a Call", "href": "/book-a-call"}}})
    }

    fn fields(errs: &[FieldError]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_good_page_passes() {
        let p = page(
            json!([hero(), {"id": "s", "type": "section", "v": 1, "props": {"width": "wide", "tone": "plain", "heading": "Plans"},
            "children": [{"id": "c", "type": "columns", "v": 1, "props": {"count": "2"}, "children": [
                {"id": "t", "type": "rich_text", "v": 1, "props": {"body": "<p>Hi</p>"}}]}]}]),
        );
        assert_eq!(page_errors(&p, PageKind::Page), vec![]);
    }

    #[test]
    fn unknown_types_and_missing_required_fields_are_named() {
        let p = page(json!([hero(), {"id": "x", "type": "carousel", "props": {}},
            {"id": "i", "type": "image", "v": 1, "props": {"src": "/media/0123456789abcdef0123456789abcdef.png"}}]));
        let errs = page_errors(&p, PageKind::Page);
        assert_eq!(fields(&errs), vec!["block.x", "block.i.alt"]);
        assert_eq!(errs[0].message, "Unknown block type \"carousel\".");
        assert_eq!(errs[1].message, "Description (alt text) is required.");
    }

    #[test]
    fn limits_options_and_links() {
        let long = "x".repeat(91);
        let p = page(json!([{"id": "h", "type": "hero", "v": 2, "props": {
            "title": long, "primary": {"label": "Go", "href": "javascript:alert(1)"}, "secondary": {"label": "", "href": "/x"}}},
            {"id": "m", "type": "metrics", "v": 1, "props": {"items": [{"value": "1", "label": "one"}]}},
            {"id": "s", "type": "section", "v": 1, "props": {"width": "huge", "tone": "plain"}}]));
        let errs = page_errors(&p, PageKind::Page);
        assert_eq!(
            fields(&errs),
            vec![
                "block.h.title",
                "block.h.primary.href",
                "block.h.secondary.label",
                "block.m.items",
                "block.s.width"
            ]
        );
        assert_eq!(errs[0].message, "Title is at most 90 characters (now 91).");
        assert_eq!(errs[3].message, "Figures needs at least 2.");
        assert_eq!(errs[4].message, "Choose one of: Narrow, Wide, Full width.");
    }

    #[test]
    fn list_items_are_checked_field_by_field() {
        let p = page(
            json!([hero(), {"id": "f", "type": "faq", "v": 1, "props": {"items": [
            {"question": "Why?", "answer": "<p>Because.</p>"}, {"question": "", "answer": "<p></p>"}]}}]),
        );
        let errs = page_errors(&p, PageKind::Page);
        assert_eq!(
            fields(&errs),
            vec!["block.f.items.2.question", "block.f.items.2.answer"]
        );
    }

    #[test]
    fn nesting_rules() {
        let p = page(json!([hero(),
            {"id": "s", "type": "section", "v": 1, "props": {"width": "wide", "tone": "plain"}, "children": [
                {"id": "s2", "type": "section", "v": 1, "props": {"width": "wide", "tone": "plain"}},
                {"id": "t", "type": "rich_text", "v": 1, "props": {"body": "<p>x</p>"}, "children": [
                    {"id": "t2", "type": "rich_text", "v": 1, "props": {"body": "<p>y</p>"}}]}]},
            {"id": "c", "type": "columns", "v": 1, "props": {"count": "2"}}]));
        let errs = page_errors(&p, PageKind::Page);
        assert_eq!(fields(&errs), vec!["block.s2", "block.t", "block.c"]);
        assert!(errs[0].message.contains("directly on the page"));
        assert!(errs[1].message.contains("cannot hold other blocks"));
        assert!(errs[2].message.contains("inside a section"));
    }

    #[test]
    fn the_page_opens_with_one_hero() {
        let p =
            page(json!([{"id": "t", "type": "rich_text", "v": 1, "props": {"body": "<p>x</p>"}}]));
        assert_eq!(fields(&page_errors(&p, PageKind::Page)), vec!["blocks"]);
        let mut second = hero();
        second["id"] = json!("h2");
        let p = page(json!([hero(), second]));
        let errs = page_errors(&p, PageKind::Page);
        assert!(errs[0].message.contains("one hero"), "{errs:?}");
    }

    #[test]
    fn ids_must_be_unique_and_tidy() {
        let mut dup = hero();
        dup["id"] = json!("h");
        dup["type"] = json!("cta_band");
        dup["v"] = json!(1);
        let p = page(
            json!([hero(), dup, {"id": "bad id!", "type": "rich_text", "v": 1, "props": {"body": "<p>x</p>"}}]),
        );
        let errs = page_errors(&p, PageKind::Page);
        assert!(
            errs.iter()
                .any(|e| e.field == "block.h" && e.message.contains("share the id")),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.field == "blocks" && e.message.contains("bad id!")),
            "{errs:?}"
        );
    }

    #[test]
    fn unknown_props_newer_and_older_versions_are_refused() {
        let p = page(
            json!([{"id": "h", "type": "hero", "v": 2, "props": {"title": "T", "colour": "red"}},
            {"id": "n", "type": "faq", "v": 9, "props": {}},
            {"id": "o", "type": "testimonial", "v": 1, "props": {}}]),
        );
        let errs = page_errors(&p, PageKind::Page);
        assert_eq!(fields(&errs), vec!["block.h.colour", "block.n", "block.o"]);
        assert!(errs[1].message.contains("newer version"));
        assert!(errs[2].message.contains("migrated"));
    }

    #[test]
    fn case_studies_and_articles_need_their_card_fields() {
        let p = page(json!([hero()]));
        assert_eq!(
            fields(&page_errors(&p, PageKind::CaseStudy)),
            vec!["summary", "client", "industry"]
        );
        assert_eq!(
            fields(&page_errors(&p, PageKind::Article)),
            vec!["summary", "author"]
        );
    }

    #[test]
    fn reusable_blocks_hold_no_page_level_blocks() {
        let blocks: Vec<Block> = serde_json::from_value(json!([hero(),
            {"id": "g", "type": "global", "v": 1, "props": {"ref": "0191a4b8-0000-7000-8000-000000000000"}},
            {"id": "c", "type": "cta_band", "v": 1, "props": {"title": "Talk to us", "primary": {"label": "Book a Call", "href": "/book-a-call"}}}]))
        .unwrap();
        let errs = block_errors(&blocks, Place::Global);
        assert_eq!(fields(&errs), vec!["block.h", "block.g"]);
    }

    #[test]
    fn hero_images_need_a_description() {
        let p = page(
            json!([{"id": "h", "type": "hero", "v": 2, "props": {"title": "T", "image": "/media/0123456789abcdef0123456789abcdef.png"}}]),
        );
        assert_eq!(
            fields(&page_errors(&p, PageKind::Page)),
            vec!["block.h.image_alt"]
        );
    }

    #[test]
    fn visible_text_strips_tags() {
        assert_eq!(
            visible_text("<p>a<b>b</b></p>")
                .split_whitespace()
                .collect::<Vec<_>>(),
            vec!["a", "b"]
        );
        assert!(visible_text("<p></p><br>").trim().is_empty());
    }
}
