//! The app's small pure helpers: escaping, redirects after sign-in, site paths, money and the
//! theme cookie. (One integration test rather than unit tests inside the crate: `cargo test`
//! then reuses the library the server is built with instead of compiling the app a second time
//! with `cfg(test)`.)

use app::site::{blocks::money, is_site_path, query_pairs};
use app::ssr::{query_escape, safe_next};
use app::theme::cookie_says_dark;

#[test]
fn query_values_are_escaped() {
    assert_eq!(query_escape("/admin"), "%2Fadmin");
    assert_eq!(query_escape("/a?b=c&d"), "%2Fa%3Fb%3Dc%26d");
}

#[test]
fn next_is_kept_on_site() {
    assert_eq!(safe_next(Some("/admin".into())), "/admin");
    assert_eq!(safe_next(Some("//evil.example".into())), "/account");
    assert_eq!(safe_next(Some("https://evil.example".into())), "/account");
    assert_eq!(safe_next(Some("/\\evil.example".into())), "/account");
    assert_eq!(safe_next(None), "/account");
}

#[test]
fn query_strings_are_decoded() {
    assert_eq!(
        query_pairs("?utm_source=news%20letter&sent=contact&x=a+b"),
        vec![
            ("utm_source".into(), "news letter".into()),
            ("sent".into(), "contact".into()),
            ("x".into(), "a b".into())
        ]
    );
    assert!(query_pairs("").is_empty());
}

#[test]
fn site_paths() {
    assert!(is_site_path("/"));
    assert!(is_site_path("/pricing"));
    assert!(is_site_path("/case-studies/acme"));
    assert!(is_site_path("/preview/abc"));
    assert!(!is_site_path("/signin"));
    assert!(!is_site_path("/admin/ai"));
    assert!(!is_site_path("/editor"));
}

#[test]
fn money_is_grouped() {
    assert_eq!(money(2500, "USD"), "$2,500");
    assert_eq!(money(1_234_567, "INR"), "₹1,234,567");
    assert_eq!(money(95, "AED"), "AED 95");
    assert_eq!(money(0, "EUR"), "€0");
}

#[test]
fn reads_the_theme_cookie() {
    assert!(cookie_says_dark(["a=1; fx_theme=dark"].into_iter()));
    assert!(!cookie_says_dark(["fx_theme=light"].into_iter()));
    assert!(!cookie_says_dark(["xfx_theme=dark"].into_iter()));
    assert!(!cookie_says_dark(std::iter::empty()));
}
