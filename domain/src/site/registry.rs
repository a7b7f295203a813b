//! The block registry: every block type a page can hold, with its fields, limits, default props,
//! nesting rules and version. The public renderer, the editor's palette and field forms, and the
//! server's validation all read this one table.

use serde_json::{json, Value};

/// The calls to action the site uses; a link's label is free text, its tracking name is one of
/// these (or derived from the label).
pub const CTAS: &[&str] = &[
    "Book a Call",
    "Request Proposal",
    "Explore Solutions",
    "View Case Studies",
    "Download Pricing Guide",
    "Schedule a Consultation",
    "Download Research",
    "Join the Team",
];

/// What kind of value a field holds, with its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of plain text, at most `max` characters.
    Text {
        /// Longest allowed, in characters.
        max: usize,
    },
    /// Several lines of plain text (one item per line where the block says so).
    LongText {
        /// Longest allowed, in characters.
        max: usize,
    },
    /// A limited HTML subset (paragraphs, h2–h4, lists, links, emphasis, quotes), sanitised on
    /// the server when saved and when rendered.
    RichText {
        /// Longest allowed, in characters of HTML.
        max: usize,
    },
    /// A call to action: `{ "label": …, "href": … }`.
    Link,
    /// A link target: a site path (`/contact`), `#anchor`, `mailto:` or an `https://` URL.
    Url,
    /// An image from the media library (`/media/…`) or an `https://` URL.
    Media,
    /// A whole number in `min..=max`.
    Int {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// One of fixed options: `(stored value, label)`.
    Choice(&'static [(&'static str, &'static str)]),
    /// Yes or no.
    Bool,
    /// A list of items, each an object with `fields`.
    List {
        /// Each item's fields.
        fields: &'static [Field],
        /// Fewest items.
        min: usize,
        /// Most items.
        max: usize,
    },
    /// The id of a reusable global block.
    GlobalRef,
}

/// One field of a block type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The prop's key.
    pub name: &'static str,
    /// The label the editor shows.
    pub label: &'static str,
    /// The value's kind and limits.
    pub kind: FieldKind,
    /// Whether it must be filled in.
    pub required: bool,
    /// A hint for the editor, may be empty.
    pub help: &'static str,
}

const fn f(name: &'static str, label: &'static str, kind: FieldKind) -> Field {
    Field {
        name,
        label,
        kind,
        required: false,
        help: "",
    }
}

const fn req(name: &'static str, label: &'static str, kind: FieldKind) -> Field {
    Field {
        name,
        label,
        kind,
        required: true,
        help: "",
    }
}

const fn help(mut field: Field, help: &'static str) -> Field {
    field.help = help;
    field
}

/// Where a block type sits in the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Sections and columns.
    Layout,
    /// Heroes and calls to action.
    Intro,
    /// Metrics, testimonials, logos, case studies.
    Proof,
    /// Text, images, questions.
    Content,
    /// Services and pricing.
    Offer,
    /// Lead forms.
    Forms,
    /// Reusable blocks.
    Global,
}

impl Category {
    /// The palette's order.
    pub const ALL: &'static [Self] = &[
        Self::Layout,
        Self::Intro,
        Self::Proof,
        Self::Offer,
        Self::Content,
        Self::Forms,
        Self::Global,
    ];

    /// The palette heading.
    pub fn label(self) -> &'static str {
        match self {
            Self::Layout => "Layout",
            Self::Intro => "Heroes and calls to action",
            Self::Proof => "Proof",
            Self::Content => "Content",
            Self::Offer => "Services and pricing",
            Self::Forms => "Forms",
            Self::Global => "Reusable",
        }
    }
}

/// What a block may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// No children.
    Leaf,
    /// Children of any non-layout type except `section` (and `columns` only inside a section).
    Container {
        /// Most children.
        max: usize,
    },
}

/// A block type.
#[derive(Debug, Clone, Copy)]
pub struct BlockType {
    /// The stored type name.
    pub kind: &'static str,
    /// The palette name.
    pub label: &'static str,
    /// One line on what it is for.
    pub description: &'static str,
    /// The palette group.
    pub category: Category,
    /// The current version of its props; older documents are migrated on read.
    pub version: u32,
    /// Its fields.
    pub fields: &'static [Field],
    /// What it may hold.
    pub nesting: Nesting,
    /// Only directly on the page, never inside another block.
    pub top_level_only: bool,
    /// Props of a new block of this type.
    pub defaults: fn() -> Value,
}

impl BlockType {
    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Whether it can hold children.
    pub fn is_container(&self) -> bool {
        matches!(self.nesting, Nesting::Container { .. })
    }
}

const WIDTHS: &[(&str, &str)] = &[
    ("narrow", "Narrow"),
    ("wide", "Wide"),
    ("full", "Full width"),
];
const TONES: &[(&str, &str)] = &[("plain", "Plain"), ("muted", "Muted"), ("brand", "Brand")];
const COLUMN_COUNTS: &[(&str, &str)] = &[("2", "Two"), ("3", "Three"), ("4", "Four")];
const CURRENCIES: &[(&str, &str)] = &[
    ("USD", "US dollar"),
    ("EUR", "Euro"),
    ("GBP", "Pound sterling"),
    ("INR", "Indian rupee"),
    ("AED", "UAE dirham"),
];
const PERIODS: &[(&str, &str)] = &[
    ("one-off", "One-off"),
    ("month", "Per month"),
    ("project", "Per project"),
    ("hour", "Per hour"),
];
const BADGE_KINDS: &[(&str, &str)] =
    &[("trust", "Trust badge"), ("certification", "Certification")];
const FORM_KINDS: &[(&str, &str)] = &[
    ("contact", "Contact"),
    ("book_call", "Book a call"),
    ("proposal", "Request a proposal"),
];

const METRIC_ITEM: &[Field] = &[
    req("value", "Figure", FieldKind::Text { max: 16 }),
    req("label", "What it measures", FieldKind::Text { max: 80 }),
];
const SERVICE_ITEM: &[Field] = &[
    req("title", "Service", FieldKind::Text { max: 60 }),
    req("body", "Description", FieldKind::LongText { max: 280 }),
    f("href", "Link", FieldKind::Url),
    f("price_from", "Price from", FieldKind::Text { max: 24 }),
];
const LOGO_ITEM: &[Field] = &[
    req("name", "Company", FieldKind::Text { max: 60 }),
    f("image", "Logo", FieldKind::Media),
];
const BADGE_ITEM: &[Field] = &[
    req("label", "Badge", FieldKind::Text { max: 60 }),
    req("kind", "Kind", FieldKind::Choice(BADGE_KINDS)),
];
const PLAN_ITEM: &[Field] = &[
    req("name", "Plan", FieldKind::Text { max: 40 }),
    req(
        "price",
        "Price",
        FieldKind::Int {
            min: 0,
            max: 10_000_000,
        },
    ),
    req("period", "Billed", FieldKind::Choice(PERIODS)),
    f("description", "Who it is for", FieldKind::Text { max: 160 }),
    help(
        req(
            "features",
            "What is included",
            FieldKind::LongText { max: 1200 },
        ),
        "One item per line.",
    ),
    f("cta", "Call to action", FieldKind::Link),
    f("highlighted", "Highlight this plan", FieldKind::Bool),
];
const FAQ_ITEM: &[Field] = &[
    req("question", "Question", FieldKind::Text { max: 200 }),
    req("answer", "Answer", FieldKind::RichText { max: 4000 }),
];

/// Every block type, in palette order.
pub static REGISTRY: &[BlockType] = &[
    BlockType {
        kind: "section",
        label: "Section",
        description: "A band of the page with an optional heading that holds other blocks.",
        category: Category::Layout,
        version: 1,
        fields: &[
            f("heading", "Heading", FieldKind::Text { max: 90 }),
            f("intro", "Introduction", FieldKind::LongText { max: 400 }),
            f("anchor", "Anchor name", FieldKind::Text { max: 40 }),
            req("width", "Width", FieldKind::Choice(WIDTHS)),
            req("tone", "Background", FieldKind::Choice(TONES)),
        ],
        nesting: Nesting::Container { max: 24 },
        top_level_only: true,
        defaults: || json!({"heading": "", "intro": "", "anchor": "", "width": "wide", "tone": "plain"}),
    },
    BlockType {
        kind: "columns",
        label: "Columns",
        description: "Places its blocks side by side (stacked on phones).",
        category: Category::Layout,
        version: 1,
        fields: &[req("count", "Columns", FieldKind::Choice(COLUMN_COUNTS))],
        nesting: Nesting::Container { max: 12 },
        top_level_only: false,
        defaults: || json!({"count": "2"}),
    },
    BlockType {
        kind: "hero",
        label: "Hero",
        description:
            "The page's opening: its one main heading, a promise and the first call to action.",
        category: Category::Intro,
        version: 2,
        fields: &[
            f("eyebrow", "Eyebrow", FieldKind::Text { max: 60 }),
            help(
                req("title", "Title", FieldKind::Text { max: 90 }),
                "The page's main heading (h1).",
            ),
            f("subtitle", "Subtitle", FieldKind::LongText { max: 280 }),
            f("primary", "Main call to action", FieldKind::Link),
            f("secondary", "Second call to action", FieldKind::Link),
            f("image", "Image", FieldKind::Media),
            f(
                "image_alt",
                "Image description",
                FieldKind::Text { max: 160 },
            ),
        ],
        nesting: Nesting::Leaf,
        top_level_only: true,
        defaults: || {
            json!({"eyebrow": "", "title": "A clear promise in a few words", "subtitle": "",
                   "primary": {"label": "Book a Call", "href": "/book-a-call"}, "secondary": {"label": "", "href": ""},
                   "image": "", "image_alt": ""})
        },
    },
    BlockType {
        kind: "cta_band",
        label: "Call-to-action band",
        description: "A closing band with a heading and one or two calls to action.",
        category: Category::Intro,
        version: 1,
        fields: &[
            req("title", "Heading", FieldKind::Text { max: 90 }),
            f("body", "Text", FieldKind::LongText { max: 280 }),
            req("primary", "Main call to action", FieldKind::Link),
            f("secondary", "Second call to action", FieldKind::Link),
        ],
        nesting: Nesting::Leaf,
        top_level_only: false,
        defaults: || {
            json!({"title": "Ready to start?", "body": "",
                   "primary": {"label": "Book a Call", "href": "/book-a-call"}, "secondary": {"label": "", "href": ""}})
        },
    },
    BlockType {
        kind: "metrics",
        label: "Metrics strip",
        description: "Two to six figures that prove the point.",
        category: Category::Proof,
        version: 1,
        fields: &[
            f("heading", "Heading", FieldKind::Text { max: 90 }),
            req(
                "items",
                "Figures",
                FieldKind::List {
                    fields: METRIC_ITEM,
                    min: 2,
                    max: 6,
                },
            ),
        ],
        nesting: Nesting::Leaf,
        top_level_only: false,
        defaults: || json!({"heading": "", "items": [{"value": "98%", "label": "on-time milestones"}, {"value": "4.9/5", "label": "average rating"}]}),
    },
    BlockType {
        kind: "testimonial",
        label: "Testimonial",
        description: "A customer's words, with who said them.",
        category: Category::Proof,
        version: 2,
        fields: &[
            req("quote", "Quote", FieldKind::LongText { max: 600 }),
            req("author", "Name", FieldKind::Text { max: 80 }),
            f("role", "Role and company", FieldKind::Text { max: 120 }),
            f("avatar", "Photo", FieldKind::Media),
        ],
        nesting: Nesting::Leaf,
        top_level_only: false,
        defaults: || json!({"quote": "What the customer said about working with us.", "author": "Customer name", "role": "", "avatar": ""}),
    },
    BlockType {
        kind: "logo_wall",
        label: "Logos and badges",
        description: "Customers' logos, trust badges and certifications.",
        category: Category::Proof,
        version: 1,
        fields: &[
            f("heading", "Heading", FieldKind::Text { max: 90 }),
            req(
                "logos",
                "Logos",
                FieldKind::List {
                    fields: LOGO_ITEM,
                    min: 1,
                    max: 24,
                },
            ),
            f(
                "badges",
                "Badges",
                FieldKind::List {
                    fields: BADGE_ITEM,
                    min: 0,
                    max: 12,
                },
            ),
        ],
        nesting: Nesting::Leaf,
        top_level_only: false,
        defaults: || json!({"heading": "Trusted by teams at", "logos": [{"name": "Company", "image": ""}], "badges": []}),
    },
    BlockType {
        kind: "case_study_cards",
        label: "Case-study cards",
        description: "The latest published case studies, as cards.",
        category: Category::Proof,
        version: 1,
        fields: &[
            f("heading", "Heading", FieldKind::Text { max: 90 }),
            req("limit", "How many", FieldKind::Int { min: 1, max: 24 }),
            f(
                "industry",
                "Only this industry",
                FieldKind::Text { max: 60 },
            ),
        ],
        nesting: Nesting::Leaf,
        top_level_only: false,
        defaults: || json!({"heading": "Recent work", "limit": 3, "industry": ""}),
    },
    BlockType {
        kind: "case_study_story",
        label: "Case-study story",
        description: "Problem, solution and impact, with the return on investment in figures.",
        category: Category::Proof,
        version: 1,
        fields: &[
            req("problem", "The problem", FieldKind::RichText { max: 6000 }),
            req("solution", "What we did", FieldKind::RichText { max: 6000 }),
            req("impact", "The impact", FieldKind::RichText { max: 6000 }),
            req(
                "roi",
                "Return on investment",
                FieldKind::List {
                    fields: METRIC_ITEM,
                    min: 1,
                    max: 6,
                },
            ),
        ],
        nesting: Nesting::Leaf,
        top_level_only: false,
        defaults: || {
            json!({"problem": "<p>What was in the way.</p>", "solution": "<p>What we built and how.</p>",
                   "impact": "<p>What changed for the business.</p>", "roi": [{"value": "3×", "label": "return in the first year"}]})
        },
    },
    BlockType {
        kind: "article_list",
        label: "Article list",
        description: "The latest published insights, newest first.",
        category: Category::Content,
        version: 1,
        fields: &[
            f("heading", "Heading", FieldKind::Text { max: 90 }),
            req("limit", "How many", FieldKind::Int { min: 1, max: 50 }),
        ],
        nesting: Nesting::Leaf,
        top_level_only: false,
        defaults: || json!({"heading": "Insights", "limit": 6}),
    },
    BlockType {
        kind: "service_cards",
        label: "Service cards",
        description: "What we offer, one card per service.",
        category: Category::Offer,
        version: 1,
        fields: &[
            f("heading", "Heading", FieldKind::Text { max: 90 }),
            req(
                "items",
                "Services",
                FieldKind::List {
                    fields: SERVICE_ITEM,
                    min: 1,
                    max: 12,
                },
            ),
        ],
        nesting: Nesting::Leaf,
        top_level_only: false,
        defaults: || json!({"heading": "", "items": [{"title": "Service", "body": "What the customer gets.", "href": "", "price_from": ""}]}),
    },
    BlockType {
        kind: "pricing",
        label: "Pricing table",
        description: "Plans side by side, with an optional cost calculator preview.",
        category: Category::Offer,
        version: 1,
        fields: &[
            f("heading", "Heading", FieldKind::Text { max: 90 }),
            req("currency", "Currency", FieldKind::Choice(CURRENCIES)),
            req(
                "plans",
                "Plans",
                FieldKind::List {
                    fields: PLAN_ITEM,
                    min: 1,
                    max: 4,
                },
            ),
            f("calculator", "Show the cost calculator", FieldKind::Bool),
            help(
                f("calc_unit", "Calculator unit", FieldKind::Text { max: 40 }),
                "What is counted, e.g. \"hours of expert time\".",
            ),
            f(
                "calc_rate",
                "Price per unit",
                FieldKind::Int {
                    min: 0,
                    max: 1_000_000,
                },
            ),
            f(
                "calc_base",
                "Fixed fee",
                FieldKind::Int {
                    min: 0,
                    max: 10_000_000,
                },
            ),
        ],
        nesting: Nesting::Leaf,
        top_level_only: false,
        defaults: || {
            json!({"heading": "Pricing", "currency": "USD",
                   "plans": [{"name": "Starter", "price": 2500, "period": "project", "description": "",
                              "features": "Scoped brief\nOne milestone", "cta": {"label": "Book a Call", "href": "/book-a-call"}, "highlighted": false}],
                   "calculator": false, "calc_unit": "", "calc_rate": 0, "calc_base": 0})
        },
    },
    BlockType {
        kind: "faq",
        label: "Questions and answers",
        description: "Frequently asked questions (also published as FAQPage structured data).",
        category: Category::Content,
        version: 1,
        fields: &[
            f("heading", "Heading", FieldKind::Text { max: 90 }),
            req(
                "items",
                "Questions",
                FieldKind::List {
                    fields: FAQ_ITEM,
                    min: 1,
                    max: 30,
                },
            ),
        ],
        nesting: Nesting::Leaf,
        top_level_only: false,
        defaults: || json!({"heading": "Questions", "items": [{"question": "A question customers ask?", "answer": "<p>The answer.</p>"}]}),
    },
    BlockType {
        kind: "rich_text",
        label: "Text",
        description: "Paragraphs, subheadings, lists and links.",
        category: Category::Content,
        version: 1,
        fields: &[req("body", "Text", FieldKind::RichText { max: 40_000 })],
        nesting: Nesting::Leaf,
        top_level_only: false,
        defaults: || json!({"body": "<p>Write here.</p>"}),
    },
    BlockType {
        kind: "image",
        label: "Image",
        description: "One image from the media library, with its description and caption.",
        category: Category::Content,
        version: 1,
        fields: &[
            req("src", "Image", FieldKind::Media),
            help(
                req(
                    "alt",
                    "Description (alt text)",
                    FieldKind::Text { max: 160 },
                ),
                "What the image shows, for people who cannot see it.",
            ),
            f("caption", "Caption", FieldKind::Text { max: 200 }),
        ],
        nesting: Nesting::Leaf,
        top_level_only: false,
        defaults: || json!({"src": "", "alt": "", "caption": ""}),
    },
    BlockType {
        kind: "lead_form",
        label: "Lead form",
        description:
            "Contact, book-a-call or request-a-proposal form; leads go to the sales inbox.",
        category: Category::Forms,
        version: 1,
        fields: &[
            req("form", "Form", FieldKind::Choice(FORM_KINDS)),
            f("heading", "Heading", FieldKind::Text { max: 90 }),
            f("intro", "Introduction", FieldKind::LongText { max: 400 }),
            req("submit_label", "Button text", FieldKind::Text { max: 40 }),
        ],
        nesting: Nesting::Leaf,
        top_level_only: false,
        defaults: || json!({"form": "contact", "heading": "Tell us what you need", "intro": "", "submit_label": "Send"}),
    },
    BlockType {
        kind: "global",
        label: "Reusable block",
        description: "Shows a reusable block; editing it once changes every page that uses it.",
        category: Category::Global,
        version: 1,
        fields: &[req("ref", "Reusable block", FieldKind::GlobalRef)],
        nesting: Nesting::Leaf,
        top_level_only: false,
        defaults: || json!({"ref": ""}),
    },
];

/// The block type named `kind`.
pub fn block_type(kind: &str) -> Option<&'static BlockType> {
    REGISTRY.iter().find(|t| t.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_unique_and_defaults_cover_the_fields() {
        let mut seen = std::collections::HashSet::new();
        for t in REGISTRY {
            assert!(seen.insert(t.kind), "duplicate block type {}", t.kind);
            let defaults = (t.defaults)();
            let obj = defaults.as_object().expect("defaults are an object");
            for field in t.fields {
                assert!(
                    obj.contains_key(field.name),
                    "{}.{} has no default",
                    t.kind,
                    field.name
                );
            }
            for key in obj.keys() {
                assert!(
                    t.field(key).is_some(),
                    "{} default {key} is not a field",
                    t.kind
                );
            }
        }
    }

    #[test]
    fn every_category_has_a_block() {
        for c in Category::ALL {
            assert!(REGISTRY.iter().any(|t| t.category == *c), "{c:?}");
        }
    }
}
