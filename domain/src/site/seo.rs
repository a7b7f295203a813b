//! Structured data (JSON-LD) for search engines: the organisation, articles, and FAQ pages.

use serde_json::{json, Value};

use super::validate::visible_text;
use super::views::PublicPage;
use super::PageKind;

/// The organisation behind the site.
pub fn organization(base_url: &str) -> Value {
    json!({
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": "Fluxorae",
        "url": format!("{}/", base_url.trim_end_matches('/')),
        "description": "AI-plus-human services: briefs become scoped projects, delivered by vetted specialists with milestone held funds.",
        "contactPoint": [{"@type": "ContactPoint", "contactType": "sales", "url": format!("{}/contact", base_url.trim_end_matches('/'))}]
    })
}

/// Every JSON-LD document for `page`: the organisation on the home page, an `Article` for
/// articles, a `FAQPage` where the page has questions and answers.
pub fn structured_data(page: &PublicPage, base_url: &str) -> Vec<Value> {
    let base = base_url.trim_end_matches('/');
    let url = format!("{base}{}", page.path);
    let mut out = Vec::new();
    if page.path == "/" {
        out.push(organization(base_url));
    }
    if page.kind == PageKind::Article {
        let mut article = json!({
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": page.content.title,
            "description": page.content.description,
            "author": {"@type": "Person", "name": page.content.author},
            "publisher": {"@type": "Organization", "name": "Fluxorae", "url": format!("{base}/")},
            "mainEntityOfPage": url,
            "dateModified": page.modified_at,
        });
        if !page.published_at.is_empty() {
            article["datePublished"] = json!(page.published_at);
        }
        if !page.content.image.is_empty() {
            article["image"] = json!(absolute(base, &page.content.image));
        }
        out.push(article);
    }
    let questions: Vec<Value> = page
        .content
        .walk()
        .into_iter()
        .filter(|(_, b)| b.kind == "faq")
        .flat_map(|(_, b)| b.p().items("items"))
        .map(|item| {
            json!({
                "@type": "Question",
                "name": item.str("question"),
                "acceptedAnswer": {"@type": "Answer", "text": visible_text(item.str("answer")).split_whitespace().collect::<Vec<_>>().join(" ")}
            })
        })
        .collect();
    if !questions.is_empty() {
        out.push(
            json!({"@context": "https://schema.org", "@type": "FAQPage", "mainEntity": questions}),
        );
    }
    out
}

/// A URL for `src` on this site (or as it is when already absolute).
pub fn absolute(base: &str, src: &str) -> String {
    if src.starts_with("https://") || src.starts_with("http://") {
        src.to_owned()
    } else {
        format!("{}{src}", base.trim_end_matches('/'))
    }
}

/// JSON that is safe inside a `<script>` element: no `<` that could close it.
pub fn script_json(v: &Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::PageContent;

    fn page(kind: PageKind, path: &str, blocks: Value) -> PublicPage {
        let mut content = PageContent::titled("How to brief");
        content.description = "d".into();
        content.author = "Ana".into();
        content.blocks = serde_json::from_value(blocks).unwrap();
        PublicPage {
            kind,
            path: path.into(),
            content,
            globals: Default::default(),
            listings: Default::default(),
            published_at: "2026-11-01T00:00:00Z".into(),
            modified_at: "2026-11-02T00:00:00Z".into(),
            preview: false,
        }
    }

    #[test]
    fn articles_faqs_and_the_organisation() {
        let p = page(
            PageKind::Article,
            "/insights/how-to-brief",
            json!([
                {"id": "f", "type": "faq", "v": 1, "props": {"items": [{"question": "Why?", "answer": "<p>Because <b>it</b> works.</p>"}]}}
            ]),
        );
        let docs = structured_data(&p, "https://fluxorae.example/");
        let types: Vec<&str> = docs.iter().map(|d| d["@type"].as_str().unwrap()).collect();
        assert_eq!(types, vec!["Article", "FAQPage"]);
        assert_eq!(
            docs[0]["mainEntityOfPage"],
            "https://fluxorae.example/insights/how-to-brief"
        );
        assert_eq!(docs[0]["author"]["name"], "Ana");
        assert_eq!(
            docs[1]["mainEntity"][0]["acceptedAnswer"]["text"],
            "Because it works."
        );
        let home = page(PageKind::Page, "/", json!([]));
        assert_eq!(
            structured_data(&home, "https://x.example")[0]["@type"],
            "Organization"
        );
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let s = script_json(&json!({"a": "</script><script>alert(1)</script>"}));
        assert!(!s.contains("</script>"));
        assert!(!s.contains('<'));
    }
}
