//! Starting points for a new page: a set of blocks with their default props.

use super::{Block, PageContent, PageKind};

/// A template a new page can start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    /// Its name in forms.
    pub name: &'static str,
    /// Its label.
    pub label: &'static str,
    /// What it holds.
    pub description: &'static str,
    /// The kind of page it suits.
    pub kind: PageKind,
    /// Block types, top to bottom; a `section` takes the blocks listed after it up to the next
    /// `/`.
    blocks: &'static [&'static str],
}

/// Every template.
pub const TEMPLATES: &[Template] = &[
    Template {
        name: "blank",
        label: "Blank page",
        description: "A hero and nothing else.",
        kind: PageKind::Page,
        blocks: &["hero"],
    },
    Template {
        name: "landing",
        label: "Landing page",
        description: "Hero, services, figures, a testimonial and a closing call to action.",
        kind: PageKind::Page,
        blocks: &[
            "hero",
            "section",
            "service_cards",
            "/",
            "metrics",
            "testimonial",
            "cta_band",
        ],
    },
    Template {
        name: "case_study",
        label: "Case study",
        description:
            "Hero, the story with its ROI, figures, the client's words and a call to action.",
        kind: PageKind::CaseStudy,
        blocks: &[
            "hero",
            "case_study_story",
            "metrics",
            "testimonial",
            "cta_band",
        ],
    },
    Template {
        name: "article",
        label: "Article",
        description: "Hero, the text and a closing call to action.",
        kind: PageKind::Article,
        blocks: &["hero", "rich_text", "cta_band"],
    },
];

/// The template named `name`.
pub fn template(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}

impl Template {
    /// New content from this template, titled `title`.
    pub fn content(&self, title: &str) -> PageContent {
        let mut content = PageContent::titled(title);
        content.description = format!("{title} — Fluxorae.").chars().take(160).collect();
        let mut n = 0;
        let mut id = |kind: &str| {
            n += 1;
            format!("{}-{n}", kind.replace('_', "-"))
        };
        let mut open: Option<Block> = None;
        for kind in self.blocks {
            if *kind == "/" {
                if let Some(s) = open.take() {
                    content.blocks.push(s);
                }
                continue;
            }
            let Some(mut block) = Block::new(kind, id(kind)) else {
                continue;
            };
            if *kind == "hero" {
                block.props.insert(
                    "title".into(),
                    serde_json::json!(title.chars().take(90).collect::<String>()),
                );
            }
            match (&mut open, *kind) {
                (_, "section") => open = Some(block),
                (Some(s), _) => s.children.push(block),
                (None, _) => content.blocks.push(block),
            }
        }
        if let Some(s) = open.take() {
            content.blocks.push(s);
        }
        match self.kind {
            PageKind::CaseStudy => {
                content.summary = "What the client needed, what we built, and what changed.".into();
                content.client = "Client name".into();
                content.industry = "Industry".into();
            }
            PageKind::Article => {
                content.summary = "What this article is about, in a sentence or two.".into();
                content.author = "Fluxorae team".into();
            }
            PageKind::Page => {}
        }
        content
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::validate::page_errors;

    #[test]
    fn every_template_makes_a_page_that_saves_as_it_is() {
        for t in TEMPLATES {
            let c = t.content("Our new page");
            assert_eq!(page_errors(&c, t.kind), vec![], "{}", t.name);
            assert_eq!(c.blocks[0].kind, "hero");
            assert_eq!(c.blocks[0].p().text("title"), Some("Our new page"));
        }
        let landing = template("landing").unwrap().content("L");
        assert_eq!(landing.blocks[1].kind, "section");
        assert_eq!(landing.blocks[1].children[0].kind, "service_cards");
        assert_eq!(landing.blocks.len(), 5);
    }
}
