//! Edits of a page's block tree, as the editor makes them: insert, remove, duplicate, and move
//! (up, down, into a container, out of it, or to any place by drag and drop). Each answers
//! whether it changed anything; a move that the nesting rules forbid is refused, so the tree the
//! editor holds always validates structurally.

use super::registry::block_type;
use super::Block;

/// A place in the tree: inside `parent` (none: the page itself) before child `index`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// The container's id, or `None` for the page.
    pub parent: Option<String>,
    /// The position among its children.
    pub index: usize,
}

impl Slot {
    /// The page, at `index`.
    pub fn page(index: usize) -> Self {
        Self {
            parent: None,
            index,
        }
    }

    /// Inside `parent`, at `index`.
    pub fn inside(parent: &str, index: usize) -> Self {
        Self {
            parent: Some(parent.to_owned()),
            index,
        }
    }
}

/// The children list a slot's parent holds.
fn children_mut<'a>(
    blocks: &'a mut Vec<Block>,
    parent: Option<&str>,
) -> Option<&'a mut Vec<Block>> {
    match parent {
        None => Some(blocks),
        Some(id) => find_mut(blocks, id).map(|b| &mut b.children),
    }
}

/// The block with `id`.
pub fn find<'a>(blocks: &'a [Block], id: &str) -> Option<&'a Block> {
    for b in blocks {
        if b.id == id {
            return Some(b);
        }
        if let Some(found) = find(&b.children, id) {
            return Some(found);
        }
    }
    None
}

/// The block with `id`, to change.
pub fn find_mut<'a>(blocks: &'a mut [Block], id: &str) -> Option<&'a mut Block> {
    for b in blocks.iter_mut() {
        if b.id == id {
            return Some(b);
        }
        if let Some(found) = find_mut(&mut b.children, id) {
            return Some(found);
        }
    }
    None
}

/// Where the block with `id` is now.
pub fn slot_of(blocks: &[Block], id: &str) -> Option<Slot> {
    fn go(blocks: &[Block], parent: Option<&str>, id: &str) -> Option<Slot> {
        for (i, b) in blocks.iter().enumerate() {
            if b.id == id {
                return Some(Slot {
                    parent: parent.map(str::to_owned),
                    index: i,
                });
            }
            if let Some(s) = go(&b.children, Some(&b.id), id) {
                return Some(s);
            }
        }
        None
    }
    go(blocks, None, id)
}

/// Whether a block of `kind` may sit in `parent` (none: the page).
pub fn may_hold(blocks: &[Block], parent: Option<&str>, kind: &str) -> bool {
    let Some(t) = block_type(kind) else {
        return false;
    };
    match parent {
        None => kind != "columns",
        Some(pid) => {
            let Some(p) = find(blocks, pid) else {
                return false;
            };
            let Some(pt) = block_type(&p.kind) else {
                return false;
            };
            if !pt.is_container() || t.top_level_only {
                return false;
            }
            match kind {
                "columns" => p.kind == "section",
                _ => true,
            }
        }
    }
}

fn contains(block: &Block, id: &str) -> bool {
    block.children.iter().any(|c| c.id == id || contains(c, id))
}

/// Takes the block with `id` out of the tree.
pub fn remove(blocks: &mut Vec<Block>, id: &str) -> Option<Block> {
    if let Some(i) = blocks.iter().position(|b| b.id == id) {
        return Some(blocks.remove(i));
    }
    for b in blocks.iter_mut() {
        if let Some(found) = remove(&mut b.children, id) {
            return Some(found);
        }
    }
    None
}

/// Puts `block` at `slot`; false (and nothing changes) when the nesting rules forbid it.
pub fn insert(blocks: &mut Vec<Block>, block: Block, slot: &Slot) -> bool {
    if !may_hold(blocks, slot.parent.as_deref(), &block.kind) {
        return false;
    }
    match children_mut(blocks, slot.parent.as_deref()) {
        Some(list) => {
            let at = slot.index.min(list.len());
            list.insert(at, block);
            true
        }
        None => false,
    }
}

/// Moves the block with `id` to `slot` (the index as it is before the move).
pub fn move_to(blocks: &mut Vec<Block>, id: &str, slot: &Slot) -> bool {
    let (Some(from), Some(block)) = (slot_of(blocks, id), find(blocks, id)) else {
        return false;
    };
    if slot.parent.as_deref() == Some(id)
        || slot.parent.as_deref().is_some_and(|p| contains(block, p))
    {
        return false;
    }
    if !may_hold(blocks, slot.parent.as_deref(), &block.kind) {
        return false;
    }
    let mut index = slot.index;
    if from.parent == slot.parent && from.index < slot.index {
        index -= 1;
    }
    if from.parent == slot.parent && from.index == index {
        return false;
    }
    let Some(taken) = remove(blocks, id) else {
        return false;
    };
    let target = Slot {
        parent: slot.parent.clone(),
        index,
    };
    if insert(blocks, taken.clone(), &target) {
        true
    } else {
        // Cannot happen after the checks above; put it back rather than lose it.
        let _ = insert(blocks, taken, &from);
        false
    }
}

/// Moves a block one place up (`-1`) or down (`1`) among its siblings.
pub fn shift(blocks: &mut Vec<Block>, id: &str, by: isize) -> bool {
    let Some(from) = slot_of(blocks, id) else {
        return false;
    };
    let Some(list) = children_mut(blocks, from.parent.as_deref()) else {
        return false;
    };
    let to = from.index as isize + by;
    if to < 0 || to as usize >= list.len() {
        return false;
    }
    list.swap(from.index, to as usize);
    true
}

/// Moves a block into the container just above it (at its end).
pub fn indent(blocks: &mut Vec<Block>, id: &str) -> bool {
    let Some(from) = slot_of(blocks, id) else {
        return false;
    };
    if from.index == 0 {
        return false;
    }
    let above = match children_mut(blocks, from.parent.as_deref()) {
        Some(list) => list[from.index - 1].clone(),
        None => return false,
    };
    if !block_type(&above.kind).is_some_and(|t| t.is_container()) {
        return false;
    }
    move_to(blocks, id, &Slot::inside(&above.id, above.children.len()))
}

/// Moves a block out of its container, to just after it.
pub fn outdent(blocks: &mut Vec<Block>, id: &str) -> bool {
    let Some(from) = slot_of(blocks, id) else {
        return false;
    };
    let Some(parent) = from.parent else {
        return false;
    };
    let Some(parent_slot) = slot_of(blocks, &parent) else {
        return false;
    };
    move_to(
        blocks,
        id,
        &Slot {
            parent: parent_slot.parent,
            index: parent_slot.index + 1,
        },
    )
}

/// Every id in the tree.
pub fn ids(blocks: &[Block]) -> Vec<String> {
    let mut out = Vec::new();
    fn go(blocks: &[Block], out: &mut Vec<String>) {
        for b in blocks {
            out.push(b.id.clone());
            go(&b.children, out);
        }
    }
    go(blocks, &mut out);
    out
}

/// A copy of `block` with fresh ids from `next_id` (for it and its children).
pub fn with_fresh_ids(block: &Block, next_id: &mut impl FnMut(&str) -> String) -> Block {
    let mut copy = block.clone();
    copy.id = next_id(&block.kind);
    copy.children = block
        .children
        .iter()
        .map(|c| with_fresh_ids(c, next_id))
        .collect();
    copy
}

/// Puts a copy of the block with `id` right after it; answers the copy's id.
pub fn duplicate(
    blocks: &mut Vec<Block>,
    id: &str,
    next_id: &mut impl FnMut(&str) -> String,
) -> Option<String> {
    let slot = slot_of(blocks, id)?;
    let copy = with_fresh_ids(find(blocks, id)?, next_id);
    let new_id = copy.id.clone();
    insert(
        blocks,
        copy,
        &Slot {
            parent: slot.parent,
            index: slot.index + 1,
        },
    )
    .then_some(new_id)
}

/// A fresh block id for `kind` that `taken` does not hold: the kind and a number.
pub fn fresh_id(kind: &str, taken: &[String]) -> String {
    let stem = kind.replace('_', "-");
    (1..)
        .map(|n| format!("{stem}-{n}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or(stem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tree() -> Vec<Block> {
        serde_json::from_value(json!([
            {"id": "hero", "type": "hero", "v": 2, "props": {"title": "T"}},
            {"id": "s", "type": "section", "v": 1, "props": {}, "children": [
                {"id": "a", "type": "rich_text", "v": 1, "props": {"body": "<p>a</p>"}},
                {"id": "b", "type": "rich_text", "v": 1, "props": {"body": "<p>b</p>"}}
            ]},
            {"id": "c", "type": "cta_band", "v": 1, "props": {}}
        ]))
        .unwrap()
    }

    fn order(blocks: &[Block]) -> Vec<String> {
        ids(blocks)
    }

    #[test]
    fn drag_to_any_place() {
        let mut t = tree();
        assert!(move_to(&mut t, "c", &Slot::page(1)));
        assert_eq!(order(&t), vec!["hero", "c", "s", "a", "b"]);
        assert!(move_to(&mut t, "c", &Slot::inside("s", 1)));
        assert_eq!(order(&t), vec!["hero", "s", "a", "c", "b"]);
        assert!(
            move_to(&mut t, "a", &Slot::inside("s", 3)),
            "to the end of its own list"
        );
        assert_eq!(order(&t), vec!["hero", "s", "c", "b", "a"]);
        assert!(
            !move_to(&mut t, "a", &Slot::inside("s", 3)),
            "already there"
        );
    }

    #[test]
    fn moves_the_rules_forbid_are_refused() {
        let mut t = tree();
        assert!(
            !move_to(&mut t, "s", &Slot::inside("s", 0)),
            "not into itself"
        );
        assert!(
            !move_to(&mut t, "hero", &Slot::inside("s", 0)),
            "a hero stays on the page"
        );
        assert!(
            !move_to(&mut t, "a", &Slot::inside("a", 0)),
            "a text block holds nothing"
        );
        assert!(!move_to(&mut t, "nope", &Slot::page(0)));
        assert_eq!(order(&t), order(&tree()));
    }

    #[test]
    fn keyboard_moves() {
        let mut t = tree();
        assert!(shift(&mut t, "b", -1));
        assert_eq!(order(&t), vec!["hero", "s", "b", "a", "c"]);
        assert!(!shift(&mut t, "b", -1), "first in its section");
        assert!(indent(&mut t, "c"), "into the section above");
        assert_eq!(order(&t), vec!["hero", "s", "b", "a", "c"]);
        assert_eq!(slot_of(&t, "c"), Some(Slot::inside("s", 2)));
        assert!(outdent(&mut t, "c"));
        assert_eq!(slot_of(&t, "c"), Some(Slot::page(2)));
        assert!(!indent(&mut t, "s"), "the hero above holds nothing");
    }

    #[test]
    fn insert_remove_duplicate() {
        let mut t = tree();
        let taken = ids(&t);
        let id = fresh_id("rich_text", &taken);
        assert_eq!(id, "rich-text-1");
        let block = Block::new("rich_text", id.clone()).unwrap();
        assert!(insert(&mut t, block, &Slot::inside("s", 0)));
        assert_eq!(slot_of(&t, &id), Some(Slot::inside("s", 0)));
        let mut n = 0;
        let copy = duplicate(&mut t, "s", &mut |k: &str| {
            n += 1;
            format!("{k}-copy-{n}")
        })
        .unwrap();
        assert_eq!(slot_of(&t, &copy), Some(Slot::page(2)));
        assert_eq!(find(&t, &copy).unwrap().children.len(), 3);
        assert!(remove(&mut t, &copy).is_some());
        assert!(
            !insert(
                &mut t,
                Block::new("columns", "col").unwrap(),
                &Slot::page(0)
            ),
            "columns go in a section"
        );
        assert!(insert(
            &mut t,
            Block::new("columns", "col").unwrap(),
            &Slot::inside("s", 0)
        ));
        assert!(!insert(
            &mut t,
            Block::new("section", "s2").unwrap(),
            &Slot::inside("col", 0)
        ));
    }
}
