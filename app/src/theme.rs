//! The dark/light theme, remembered in the `fx_theme` cookie so the server renders it.

/// The cookie that remembers the theme.
pub const COOKIE: &str = "fx_theme";

/// Whether the page starts dark: from the request's cookie on the server, from the document
/// in the browser (which the server rendered from the same cookie).
pub fn initial_dark() -> bool {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::use_context;
        use_context::<http::request::Parts>()
            .map(|p| {
                cookie_says_dark(
                    p.headers
                        .get_all(http::header::COOKIE)
                        .iter()
                        .filter_map(|v| v.to_str().ok()),
                )
            })
            .unwrap_or(false)
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .map(|e| e.class_list().contains("dark"))
            .unwrap_or(false)
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        false
    }
}

/// Reads `fx_theme=dark` from Cookie header values.
pub fn cookie_says_dark<'a>(headers: impl Iterator<Item = &'a str>) -> bool {
    headers
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(k, v)| k == COOKIE && v == "dark")
}

/// Applies the theme to the page and remembers it for a year.
#[cfg(feature = "hydrate")]
pub fn apply(dark: bool) {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(root) = doc.document_element() {
        let _ = if dark {
            root.class_list().add_1("dark")
        } else {
            root.class_list().remove_1("dark")
        };
    }
    if let Ok(html) = doc.dyn_into::<web_sys::HtmlDocument>() {
        let value = if dark { "dark" } else { "light" };
        let _ = html.set_cookie(&format!(
            "{COOKIE}={value}; Path=/; Max-Age=31536000; SameSite=Lax"
        ));
    }
}
