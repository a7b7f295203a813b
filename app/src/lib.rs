//! Fluxorae's Leptos application: the HTML shell, the router, pages and server functions.
//!
//! Pages are rendered on the server complete (every route uses `SsrMode::Async`, so the HTML
//! holds the content before any script runs) and then hydrated by the `frontend` wasm.

#![recursion_limit = "256"]

pub mod ai;
pub mod api;
pub mod components;
pub mod inbox;
pub mod pages;
pub mod projects;
pub mod site;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod talent;
pub mod theme;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::components::{Footer, Header};
use crate::pages::*;

/// The HTML document around the app. The theme class comes from the `fx_theme` cookie, so the
/// server renders the right theme and nothing flashes.
///
/// The marketing site's pages are complete HTML and load no wasm: instead of the hydration
/// scripts they get the small first-party `/site.js`. Every other page hydrates.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let dark = theme::initial_dark();
    let site_page = request_path().is_some_and(|p| site::is_site_path(&p));
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en" class:dark=dark>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="stylesheet" href="/pkg/fluxorae.css" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                {if site_page { view! { <script src="/site.js" defer></script> }.into_any() } else { view! { <HydrationScripts options /> }.into_any() }}
                <MetaTags />
            </head>
            <body class="min-h-screen bg-white text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
                <App />
            </body>
        </html>
    }
}

/// The path of the request being rendered (on the server), or of the page (in the browser).
fn request_path() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().map(|p| p.uri.path().to_owned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// Scripts only from this origin (plus, on hydrated pages, the per-response nonce Leptos puts on
/// its own inline hydration script, and wasm), no framing.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    if let (Some(res), Some(nonce)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        leptos::nonce::use_nonce(),
    ) {
        // Site pages run no inline script (only `/site.js`) and no wasm, so they need neither a
        // nonce nor wasm: their HTML is the same for every visitor, and the visitor cache serves
        // it without rewriting a byte.
        let site_page = request_path().is_some_and(|p| site::is_site_path(&p));
        let scripts = if site_page {
            "'self'".to_owned()
        } else {
            format!("'self' 'nonce-{}' 'wasm-unsafe-eval'", &*nonce)
        };
        let csp = format!(
            "default-src 'self'; script-src {scripts}; style-src 'self'; \
             img-src 'self' data: https:; connect-src 'self'; font-src 'self'; object-src 'none'; \
             base-uri 'self'; form-action 'self'; frame-ancestors {}",
            // Draft previews are shown in the editor's frame.
            if request_path().is_some_and(|p| p.starts_with("/preview/")) {
                "'self'"
            } else {
                "'none'"
            }
        );
        if let Ok(v) = http::HeaderValue::from_str(&csp) {
            res.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
}

/// The application: header, routes, footer.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::provide_session();
    view! {
        <Router>
            <Shell />
        </Router>
    }
}

/// Site pages lay out their own full-width bands; the application's pages sit in a column.
fn main_class(path: &str) -> &'static str {
    if site::is_site_path(path) {
        "pb-8"
    } else {
        "mx-auto w-full max-w-6xl px-4 py-8 sm:px-6"
    }
}

/// Everything inside the router.
#[component]
fn Shell() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    view! {
        <Title formatter=|t: String| if t.is_empty() { "Fluxorae".to_owned() } else { format!("{t} · Fluxorae") } />
            <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-indigo-600 focus:px-3 focus:py-2 focus:text-white">
                "Skip to content"
            </a>
            <Header />
            <main id="main" class=move || main_class(&location.pathname.get())>
                <Routes fallback=not_found_page>
                    <Route path=path!("") view=crate::site::SitePage ssr=SsrMode::Async />
                    <Route path=path!("/signin") view=SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/signin/two-factor") view=TwoFactorSignInPage ssr=SsrMode::Async />
                    <Route path=path!("/signup") view=SignUpPage ssr=SsrMode::Async />
                    <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/account/two-factor") view=TwoFactorPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/ai") view=crate::ai::AiConsolePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/site") view=crate::site::report::SiteReportPage ssr=SsrMode::Async />
                    <Route path=path!("/editor") view=crate::site::editor::EditorListPage ssr=SsrMode::Async />
                    <Route path=path!("/editor/pages/:id") view=crate::site::editor::PageEditorPage ssr=SsrMode::Async />
                    <Route path=path!("/editor/media") view=crate::site::media::MediaLibraryPage ssr=SsrMode::Async />
                    <Route path=path!("/editor/blocks") view=crate::site::globals::GlobalBlocksPage ssr=SsrMode::Async />
                    <Route path=path!("/editor/blocks/:id") view=crate::site::globals::GlobalEditorPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/ai/runs/:id") view=crate::ai::AiRunPage ssr=SsrMode::Async />
                    <Route path=path!("/teams/:slug") view=TeamPage ssr=SsrMode::Async />
                    <Route path=path!("/teams/:slug/inbox") view=crate::inbox::InboxPage ssr=SsrMode::Async />
                    <Route path=path!("/teams/:slug/channels") view=crate::inbox::channels::ChannelsSettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/teams/:slug/leads/import") view=crate::inbox::import::ImportPage ssr=SsrMode::Async />
                    <Route path=path!("/teams/:slug/tokens") view=crate::inbox::tokens::TokensPage ssr=SsrMode::Async />
                    <Route path=path!("/teams/:slug/analytics") view=crate::inbox::analytics::AnalyticsPage ssr=SsrMode::Async />
                    <Route path=path!("/projects") view=crate::projects::ProjectsPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/new") view=crate::projects::wizard::NewProjectPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:id") view=crate::projects::workspace::WorkspacePage ssr=SsrMode::Async />
                    <Route path=path!("/earnings") view=crate::projects::EarningsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/pricing") view=crate::projects::PricingPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/tokens") view=crate::inbox::tokens::AdminTokensPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/alerts") view=crate::projects::alerts::AlertsPage ssr=SsrMode::Async />
                    <Route path=path!("/documents/:kind/:id") view=crate::projects::documents::DocumentPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/talent") view=crate::talent::TalentReviewPage ssr=SsrMode::Async />
                    <Route path=path!("/talent") view=crate::talent::TalentPage ssr=SsrMode::Async />
                    <Route path=path!("/talent/projects") view=crate::talent::OpenProjectsPage ssr=SsrMode::Async />
                    // The site's own addresses come last: a fixed route above always wins.
                    <Route path=path!("/:slug") view=crate::site::SitePage ssr=SsrMode::Async />
                    <Route path=path!("/case-studies/:slug") view=crate::site::SitePage ssr=SsrMode::Async />
                    <Route path=path!("/insights/:slug") view=crate::site::SitePage ssr=SsrMode::Async />
                    <Route path=path!("/book/:token") view=crate::inbox::booking::BookPage ssr=SsrMode::Async />
                    <Route path=path!("/preview/:token") view=crate::site::PreviewPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <Footer />
    }
}
