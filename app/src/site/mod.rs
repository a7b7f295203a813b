//! The public marketing site: pages rendered from their blocks, with their SEO tags and
//! structured data, and the lead forms. These pages are complete HTML without JavaScript and
//! load no wasm (the shell leaves the hydration scripts out for them); a small first-party
//! script (`/site.js`) reports views and CTA clicks and adds conveniences.

pub mod blocks;
pub mod edit_api;
pub mod editor;
pub mod globals;
pub mod media;
pub mod report;

use domain::site::lead::{FormEcho, LeadForm};
use domain::site::seo;
use domain::site::views::PublicPage;
use domain::site::PageKind;
use domain::AppError;
use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};
use leptos_router::hooks::{use_location, use_params_map};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::components::ErrorView;

/// Everything a site page needs to render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteView {
    /// The page.
    pub page: PublicPage,
    /// The public base URL, for canonical links.
    pub base_url: String,
    /// A fresh token for the page's lead forms (minimum fill time).
    pub form_token: String,
    /// A refused submission to show again.
    pub echo: Option<FormEcho>,
    /// The form that was just sent, for its thank-you message.
    pub sent: Option<LeadForm>,
    /// UTM parameters of the visit, carried into the forms.
    pub utm: Vec<(String, String)>,
}

/// The query parameters of a site page's URL.
#[cfg(feature = "ssr")]
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A published page with what its forms need. `query` is the page URL's query string.
#[server(endpoint = "site/page")]
pub async fn get_site_page(path: String, query: String) -> Result<SiteView, AppError> {
    use crate::ssr::{fail, services};
    use domain::server::site::public;
    let svc = services()?;
    let page = public::published(&svc, &path)
        .await
        .map_err(fail)?
        .ok_or_else(|| fail(AppError::NotFound))?;
    view_of((*page).clone(), &svc, &query).await
}

/// A draft seen through a preview link.
#[server(endpoint = "site/preview")]
pub async fn get_preview_page(token: String, query: String) -> Result<SiteView, AppError> {
    use crate::ssr::{fail, services};
    use domain::server::site::public;
    let svc = services()?;
    let page = public::preview(&svc, &token).await.map_err(fail)?;
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        // The editor shows previews in a frame; nobody else may, and nobody caches them.
        res.insert_header(
            http::header::X_FRAME_OPTIONS,
            http::HeaderValue::from_static("SAMEORIGIN"),
        );
        res.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
        res.insert_header(
            http::HeaderName::from_static("x-robots-tag"),
            http::HeaderValue::from_static("noindex"),
        );
    }
    view_of(page, &svc, &query).await
}

#[cfg(feature = "ssr")]
async fn view_of(
    page: PublicPage,
    svc: &domain::server::Services,
    query: &str,
) -> Result<SiteView, AppError> {
    use domain::server::site::leads;
    let pairs = query_pairs(query);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let echo = match get("form") {
        Some(id) => leads::echo(svc, &id).await?,
        None => None,
    };
    let utm = pairs
        .iter()
        .filter(|(k, _)| {
            k.starts_with("utm_")
                && [
                    "utm_source",
                    "utm_medium",
                    "utm_campaign",
                    "utm_term",
                    "utm_content",
                ]
                .contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.chars().take(200).collect()))
        .collect();
    Ok(SiteView {
        page,
        base_url: svc.settings.base_url.clone(),
        form_token: leads::form_token(svc, time::OffsetDateTime::now_utc()),
        echo,
        sent: get("sent").and_then(|s| LeadForm::parse(&s)),
        utm,
    })
}

/// Whether `path` is served by the site (no wasm, the site script instead).
pub fn is_site_path(path: &str) -> bool {
    path.starts_with("/preview/") || PageKind::from_path(path).is_some()
}

/// A page of the site (`/`, `/{slug}`, `/case-studies/{slug}`, `/insights/{slug}`).
#[component]
pub fn SitePage() -> impl IntoView {
    let location = use_location();
    view! {
        <Suspense fallback=|| view! { <p class="py-12">"Loading…"</p> }>
            {move || {
                let path = location.pathname.get();
                let query = location.search.get();
                Suspend::new(async move {
                    match get_site_page(path, query).await {
                        Ok(view) => view! { <SiteContent view /> }.into_any(),
                        Err(error) => view! { <ErrorView error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// A draft through its preview link (`/preview/{token}`).
#[component]
pub fn PreviewPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    view! {
        <Suspense fallback=|| view! { <p class="py-12">"Loading…"</p> }>
            {move || {
                let token = params.read().get("token").unwrap_or_default();
                let query = location.search.get();
                Suspend::new(async move {
                    match get_preview_page(token, query).await {
                        Ok(view) => view! {
                            <p role="status" class="mb-6 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
                                "Preview of an unpublished draft. Visitors do not see this version yet."
                            </p>
                            <SiteContent view />
                        }.into_any(),
                        Err(error) => view! { <ErrorView error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The page's head tags and its blocks.
#[component]
fn SiteContent(view: SiteView) -> impl IntoView {
    let view = Arc::new(view);
    let page = &view.page;
    let c = &page.content;
    let base = view.base_url.trim_end_matches('/').to_owned();
    let canonical = format!("{base}{}", page.path);
    let image = (!c.image.is_empty()).then(|| seo::absolute(&base, &c.image));
    let noindex = c.noindex || page.preview;
    let og_type = if page.kind == PageKind::Article {
        "article"
    } else {
        "website"
    };
    let ld: Vec<String> = seo::structured_data(page, &base)
        .iter()
        .map(seo::script_json)
        .collect();
    let title = c.title.clone();
    let description = c.description.clone();
    let card = if image.is_some() {
        "summary_large_image"
    } else {
        "summary"
    };
    let body = blocks::render_page(view.clone());
    view! {
        <Title text=title.clone() formatter=|t: String| t />
        <Meta name="description" content=description.clone() />
        <Link rel="canonical" href=canonical.clone() />
        <Meta property="og:site_name" content="Fluxorae" />
        <Meta property="og:type" content=og_type />
        <Meta property="og:title" content=title.clone() />
        <Meta property="og:description" content=description.clone() />
        <Meta property="og:url" content=canonical />
        {image.clone().map(|src| view! { <Meta property="og:image" content=src /> })}
        <Meta name="twitter:card" content=card />
        <Meta name="twitter:title" content=title />
        <Meta name="twitter:description" content=description />
        {image.map(|src| view! { <Meta name="twitter:image" content=src /> })}
        {noindex.then(|| view! { <Meta name="robots" content="noindex" /> })}
        {ld.into_iter().map(|json| view! { <script type="application/ld+json" inner_html=json></script> }).collect_view()}
        {body}
    }
}
