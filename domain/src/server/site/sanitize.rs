//! Rich text is a small HTML subset, cleaned by `ammonia` (html5ever's parser, an allow-list of
//! tags, attributes and URL schemes) when a draft is saved and again when a page is rendered, so
//! no script can be stored or shown.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use crate::site::registry::{block_type, Field, FieldKind};
use crate::site::{Block, PageContent};

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.tags(HashSet::from([
        "p",
        "h2",
        "h3",
        "h4",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "b",
        "i",
        "a",
        "blockquote",
        "br",
        "code",
    ]))
    .clean_content_tags(HashSet::from(["script", "style"]))
    .generic_attributes(HashSet::new())
    .tag_attributes(HashMap::from([("a", HashSet::from(["href", "title"]))]))
    .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
    .url_relative(ammonia::UrlRelative::PassThrough)
    .link_rel(Some("noopener noreferrer"))
    .strip_comments(true);
    b
});

/// The HTML with everything outside the allow-list removed.
pub fn clean(html: &str) -> String {
    CLEANER.clean(html).to_string()
}

/// Cleans every rich-text field of every block (list items included).
pub fn clean_blocks(blocks: &mut [Block]) {
    for b in blocks {
        if let Some(t) = block_type(&b.kind) {
            clean_props(t.fields, &mut b.props);
        }
        clean_blocks(&mut b.children);
    }
}

/// Cleans every rich-text field of a page.
pub fn clean_content(content: &mut PageContent) {
    clean_blocks(&mut content.blocks);
}

fn clean_props(fields: &[Field], props: &mut serde_json::Map<String, serde_json::Value>) {
    for field in fields {
        match (field.kind, props.get_mut(field.name)) {
            (FieldKind::RichText { .. }, Some(serde_json::Value::String(s))) => *s = clean(s),
            (FieldKind::List { fields, .. }, Some(serde_json::Value::Array(items))) => {
                for item in items.iter_mut() {
                    if let Some(obj) = item.as_object_mut() {
                        clean_props(fields, obj);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scripts_and_handlers_are_removed() {
        assert_eq!(clean("<p>Hi<script>alert(1)</script></p>"), "<p>Hi</p>");
        assert_eq!(clean(r#"<p onclick="x()">Hi</p>"#), "<p>Hi</p>");
        assert_eq!(
            clean(r#"<a href="javascript:alert(1)">x</a>"#),
            r#"<a rel="noopener noreferrer">x</a>"#
        );
        assert_eq!(clean(r#"<img src=x onerror=alert(1)>"#), "");
        assert_eq!(
            clean(r#"<iframe src="https://evil.example"></iframe><p>ok</p>"#),
            "<p>ok</p>"
        );
        assert_eq!(clean("<h1>Big</h1><h2>Sub</h2>"), "Big<h2>Sub</h2>");
        assert_eq!(clean(r#"<p style="color:red">x</p>"#), "<p>x</p>");
        assert_eq!(clean("<svg><script>alert(1)</script></svg>"), "");
    }

    #[test]
    fn allowed_markup_stays() {
        let html = r#"<h2>Why</h2><p>Read <a href="/pricing">pricing</a> or <a href="https://example.com">this</a>, <strong>now</strong>.</p><ul><li>One</li></ul>"#;
        let out = clean(html);
        assert!(
            out.contains(r#"<a href="/pricing" rel="noopener noreferrer">pricing</a>"#),
            "{out}"
        );
        assert!(out.contains("<ul><li>One</li></ul>"));
        assert!(out.contains("<h2>Why</h2>"));
    }

    #[test]
    fn every_rich_text_field_of_a_page_is_cleaned_list_items_too() {
        let mut c: PageContent = serde_json::from_value(json!({
            "title": "T", "description": "D",
            "blocks": [
                {"id": "t", "type": "rich_text", "v": 1, "props": {"body": "<p>a</p><script>x</script>"}},
                {"id": "s", "type": "section", "v": 1, "props": {}, "children": [
                    {"id": "f", "type": "faq", "v": 1, "props": {"items": [{"question": "<b>q</b>", "answer": "<p onmouseover=x>y</p>"}]}}
                ]}
            ]
        }))
        .unwrap();
        clean_content(&mut c);
        assert_eq!(c.blocks[0].p().str("body"), "<p>a</p>");
        let faq = &c.blocks[1].children[0];
        let item = &faq.p().items("items")[0];
        assert_eq!(item.str("answer"), "<p>y</p>");
        assert_eq!(
            item.str("question"),
            "<b>q</b>",
            "plain-text fields are escaped when rendered, not here"
        );
    }
}
