//! What changed between two versions of a page: page fields, blocks added, removed, moved, and
//! each edited field with its old and new value, in words an editor reads.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

use super::registry::{block_type, FieldKind};
use super::validate::visible_text;
use super::{Block, PageContent};

/// How a change touches the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A page field (title, description…).
    Page,
    /// A block that is new.
    Added,
    /// A block that is gone.
    Removed,
    /// A block in another place.
    Moved,
    /// A block's field.
    Edited,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// What kind.
    pub kind: ChangeKind,
    /// The block's id, for block changes.
    pub block: Option<String>,
    /// What changed, for people: `Hero “Fair prices” › Title`.
    pub what: String,
    /// The value before (empty for additions).
    pub before: String,
    /// The value after (empty for removals).
    pub after: String,
}

const MAX_SHOWN: usize = 240;

/// The changes that turn `old` into `new`, page fields first, then blocks in `new`'s order,
/// then removed blocks in `old`'s order.
pub fn diff(old: &PageContent, new: &PageContent) -> Vec<Change> {
    let mut out = Vec::new();
    let page_fields: [(&str, &str, &str); 10] = [
        ("Title", &old.title, &new.title),
        ("Description", &old.description, &new.description),
        ("Summary", &old.summary, &new.summary),
        ("Sharing image", &old.image, &new.image),
        ("Client", &old.client, &new.client),
        ("Industry", &old.industry, &new.industry),
        ("Headline figure", &old.headline_value, &new.headline_value),
        (
            "Headline figure label",
            &old.headline_label,
            &new.headline_label,
        ),
        ("Author", &old.author, &new.author),
        (
            "Hidden from search engines",
            if old.noindex { "Yes" } else { "No" },
            if new.noindex { "Yes" } else { "No" },
        ),
    ];
    for (what, before, after) in page_fields {
        if before != after {
            out.push(Change {
                kind: ChangeKind::Page,
                block: None,
                what: what.to_owned(),
                before: shorten(before),
                after: shorten(after),
            });
        }
    }

    let old_places = places(&old.blocks);
    let new_places = places(&new.blocks);
    for (_, place) in ordered(&new.blocks) {
        let b = place.block;
        match old_places.get(b.id.as_str()) {
            None => out.push(Change {
                kind: ChangeKind::Added,
                block: Some(b.id.clone()),
                what: name(b),
                before: String::new(),
                after: summary(b),
            }),
            Some(was) => {
                if parent_id(was) != parent_id(&place)
                    || relative_index(was, &old_places, &new_places)
                        != relative_index(&place, &new_places, &old_places)
                {
                    out.push(Change {
                        kind: ChangeKind::Moved,
                        block: Some(b.id.clone()),
                        what: name(b),
                        before: position(was),
                        after: position(&place),
                    });
                }
                edited(&mut out, was.block, b);
            }
        }
    }
    for (_, place) in ordered(&old.blocks) {
        if !new_places.contains_key(place.block.id.as_str()) {
            out.push(Change {
                kind: ChangeKind::Removed,
                block: Some(place.block.id.clone()),
                what: name(place.block),
                before: summary(place.block),
                after: String::new(),
            });
        }
    }
    out
}

#[derive(Clone, Copy)]
struct Place<'a> {
    block: &'a Block,
    parent: Option<&'a Block>,
    index: usize,
}

fn ordered(blocks: &[Block]) -> Vec<(usize, Place<'_>)> {
    fn go<'a>(blocks: &'a [Block], parent: Option<&'a Block>, out: &mut Vec<(usize, Place<'a>)>) {
        for (index, b) in blocks.iter().enumerate() {
            out.push((
                out.len(),
                Place {
                    block: b,
                    parent,
                    index,
                },
            ));
            go(&b.children, Some(b), out);
        }
    }
    let mut out = Vec::new();
    go(blocks, None, &mut out);
    out
}

fn places(blocks: &[Block]) -> HashMap<&str, Place<'_>> {
    ordered(blocks)
        .into_iter()
        .map(|(_, p)| (p.block.id.as_str(), p))
        .collect()
}

/// A block's index among those siblings that exist in both versions, so that an insertion
/// before it does not count as moving it.
fn relative_index(
    place: &Place<'_>,
    mine: &HashMap<&str, Place<'_>>,
    theirs: &HashMap<&str, Place<'_>>,
) -> usize {
    mine.values()
        .filter(|p| parent_id(p) == parent_id(place))
        .filter(|p| p.index < place.index && theirs.contains_key(p.block.id.as_str()))
        .count()
}

fn parent_id<'a>(place: &Place<'a>) -> Option<&'a str> {
    place.parent.map(|b| b.id.as_str())
}

fn position(place: &Place<'_>) -> String {
    match place.parent {
        None => format!("position {} on the page", place.index + 1),
        Some(p) => format!("position {} in {}", place.index + 1, name(p)),
    }
}

fn name(b: &Block) -> String {
    let label = block_type(&b.kind)
        .map(|t| t.label)
        .unwrap_or(b.kind.as_str());
    let p = b.p();
    match ["title", "heading", "question", "author", "alt"]
        .iter()
        .find_map(|k| p.text(k))
    {
        Some(t) => format!("{label} “{}”", shorten_to(t, 40)),
        None => label.to_owned(),
    }
}

fn summary(b: &Block) -> String {
    let t = block_type(&b.kind);
    let parts: Vec<String> = b
        .props
        .iter()
        .filter_map(|(k, v)| {
            let label = t.and_then(|t| t.field(k)).map(|f| f.label).unwrap_or(k);
            let shown = show(v);
            (!shown.is_empty()).then(|| format!("{label}: {shown}"))
        })
        .collect();
    shorten(&parts.join("; "))
}

fn edited(out: &mut Vec<Change>, old: &Block, new: &Block) {
    let t = block_type(&new.kind);
    let mut keys: Vec<&String> = new.props.keys().collect();
    for k in old.props.keys() {
        if !new.props.contains_key(k) {
            keys.push(k);
        }
    }
    // The registry's field order, then anything else.
    let order = |k: &str| {
        t.and_then(|t| t.fields.iter().position(|f| f.name == k))
            .unwrap_or(usize::MAX)
    };
    keys.sort_by_key(|k| order(k));
    for k in keys {
        let (a, b) = (old.props.get(k.as_str()), new.props.get(k.as_str()));
        if a == b {
            continue;
        }
        let field = t.and_then(|t| t.field(k));
        let label = field.map(|f| f.label).unwrap_or(k.as_str());
        let rich = matches!(field.map(|f| f.kind), Some(FieldKind::RichText { .. }));
        let render = |v: Option<&Value>| match v {
            Some(Value::String(s)) if rich => shorten(&squash(&visible_text(s))),
            Some(v) => show(v),
            None => String::new(),
        };
        out.push(Change {
            kind: ChangeKind::Edited,
            block: Some(new.id.clone()),
            what: format!("{} › {label}", name(new)),
            before: render(a),
            after: render(b),
        });
    }
}

fn show(v: &Value) -> String {
    let s = match v {
        Value::Null => String::new(),
        Value::Bool(true) => "Yes".into(),
        Value::Bool(false) => "No".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.contains('<') => squash(&visible_text(s)),
        Value::String(s) => s.trim().to_owned(),
        Value::Array(items) => items
            .iter()
            .map(show)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" | "),
        Value::Object(o) => {
            if let (Some(l), Some(h)) = (
                o.get("label").and_then(Value::as_str),
                o.get("href").and_then(Value::as_str),
            ) {
                if l.is_empty() && h.is_empty() {
                    String::new()
                } else {
                    format!("{l} → {h}")
                }
            } else {
                o.values()
                    .map(show)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · ")
            }
        }
    };
    shorten(&s)
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn shorten(s: &str) -> String {
    shorten_to(s, MAX_SHOWN)
}

fn shorten_to(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn content(blocks: Value) -> PageContent {
        serde_json::from_value(json!({"title": "Home", "description": "d", "blocks": blocks}))
            .unwrap()
    }

    fn hero(title: &str) -> Value {
        json!({"id": "h", "type": "hero", "v": 2, "props": {"title": title}})
    }

    fn text(id: &str, body: &str) -> Value {
        json!({"id": id, "type": "rich_text", "v": 1, "props": {"body": body}})
    }

    #[test]
    fn nothing_changed() {
        let a = content(json!([hero("A"), text("t", "<p>x</p>")]));
        assert_eq!(diff(&a, &a.clone()), vec![]);
    }

    #[test]
    fn edits_additions_removals_and_page_fields() {
        let a = content(json!([hero("Old title"), text("t", "<p>Gone soon</p>")]));
        let mut b = content(json!([
            hero("New title"),
            text("n", "<p>Fresh <b>text</b></p>")
        ]));
        b.title = "Welcome".into();
        let changes = diff(&a, &b);
        let kinds: Vec<ChangeKind> = changes.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            vec![
                ChangeKind::Page,
                ChangeKind::Edited,
                ChangeKind::Added,
                ChangeKind::Removed
            ]
        );
        assert_eq!(
            (changes[0].before.as_str(), changes[0].after.as_str()),
            ("Home", "Welcome")
        );
        assert_eq!(changes[1].what, "Hero “New title” › Title");
        assert_eq!(
            (changes[1].before.as_str(), changes[1].after.as_str()),
            ("Old title", "New title")
        );
        assert_eq!(changes[2].after, "Text: Fresh text");
        assert_eq!(changes[3].before, "Text: Gone soon");
    }

    #[test]
    fn a_real_move_is_reported_and_an_insertion_is_not_a_move() {
        let a = content(json!([
            hero("A"),
            text("x", "<p>x</p>"),
            text("y", "<p>y</p>")
        ]));
        let swapped = content(json!([
            hero("A"),
            text("y", "<p>y</p>"),
            text("x", "<p>x</p>")
        ]));
        let moved: Vec<String> = diff(&a, &swapped)
            .into_iter()
            .filter(|c| c.kind == ChangeKind::Moved)
            .filter_map(|c| c.block)
            .collect();
        assert!(!moved.is_empty());
        let inserted = content(json!([
            hero("A"),
            text("n", "<p>new</p>"),
            text("x", "<p>x</p>"),
            text("y", "<p>y</p>")
        ]));
        let kinds: Vec<ChangeKind> = diff(&a, &inserted).into_iter().map(|c| c.kind).collect();
        assert_eq!(kinds, vec![ChangeKind::Added]);
    }

    #[test]
    fn moving_into_a_section_is_a_move() {
        let a = content(
            json!([hero("A"), {"id": "s", "type": "section", "v": 1, "props": {"heading": "Why"}}, text("x", "<p>x</p>")]),
        );
        let b = content(
            json!([hero("A"), {"id": "s", "type": "section", "v": 1, "props": {"heading": "Why"}, "children": [text("x", "<p>x</p>")]}]),
        );
        let changes = diff(&a, &b);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].kind, ChangeKind::Moved);
        assert_eq!(changes[0].before, "position 3 on the page");
        assert_eq!(changes[0].after, "position 1 in Section “Why”");
    }
}
