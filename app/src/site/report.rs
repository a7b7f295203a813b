//! `/admin/site`: which pages and calls to action convert, and the newest leads (ADMIN).

use domain::site::views::ConversionRow;
use leptos::prelude::*;
use leptos_meta::Title;

use super::edit_api::{recent_site_leads, site_conversion_report};
use crate::components::{short_time, ErrorView, TABLE};

fn rows(
    key_label: &'static str,
    rows: Vec<ConversionRow>,
    clicks_label: &'static str,
    test: &'static str,
) -> impl IntoView {
    view! {
        <table class=TABLE data-test=test>
            <thead><tr>
                <th scope="col" class="py-2 pr-4">{key_label}</th>
                <th scope="col" class="py-2 pr-4 text-right">"Views"</th>
                <th scope="col" class="py-2 pr-4 text-right">{clicks_label}</th>
                <th scope="col" class="py-2 pr-4 text-right">"Leads"</th>
                <th scope="col" class="py-2 pr-4 text-right">"Conversion"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr>
                        <td class="py-1 pr-4"><code>{r.key}</code></td>
                        <td class="py-1 pr-4 text-right">{r.views}</td>
                        <td class="py-1 pr-4 text-right">{r.clicks}</td>
                        <td class="py-1 pr-4 text-right">{r.leads}</td>
                        <td class="py-1 pr-4 text-right">{format!("{:.1}%", r.rate)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The conversion report and the lead list.
#[component]
pub fn SiteReportPage() -> impl IntoView {
    let data = Resource::new(
        || (),
        |_| async move {
            let report = site_conversion_report(30).await?;
            let leads = recent_site_leads().await?;
            Ok::<_, domain::AppError>((report, leads))
        },
    );
    view! {
        <Title text="Site conversions" />
        <h1 class="text-3xl font-bold tracking-tight">"Site conversions"</h1>
        <Suspense fallback=|| view! { <p class="mt-6">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok((report, leads)) => view! {
                        <p class="mt-2 text-sm">{format!("The last {} days: {} leads. Views and clicks are counted by the site's own script; no third party sees them.", report.days, report.total_leads)}</p>
                        <section aria-labelledby="per-page" class="mt-8 overflow-x-auto">
                            <h2 id="per-page" class="text-xl font-semibold">"Per page"</h2>
                            {rows("Page", report.pages, "CTA clicks", "per-page")}
                        </section>
                        <section aria-labelledby="per-cta" class="mt-8 overflow-x-auto">
                            <h2 id="per-cta" class="text-xl font-semibold">"Per call to action"</h2>
                            <p class="text-sm">"Leads here are those whose visitor clicked the call to action before sending a form; conversion is leads per click."</p>
                            {rows("Call to action", report.ctas, "Clicks", "per-cta")}
                        </section>
                        <section aria-labelledby="leads-h" class="mt-8 overflow-x-auto">
                            <h2 id="leads-h" class="text-xl font-semibold">"Newest leads"</h2>
                            <table class=TABLE data-test="leads">
                                <thead><tr>
                                    <th scope="col" class="py-2 pr-4">"When"</th><th scope="col" class="py-2 pr-4">"Form"</th>
                                    <th scope="col" class="py-2 pr-4">"Name"</th><th scope="col" class="py-2 pr-4">"Email"</th>
                                    <th scope="col" class="py-2 pr-4">"Company"</th><th scope="col" class="py-2 pr-4">"From page"</th>
                                    <th scope="col" class="py-2 pr-4">"CTA"</th><th scope="col" class="py-2 pr-4">"Source"</th>
                                </tr></thead>
                                <tbody>
                                    {leads.into_iter().map(|l| view! {
                                        <tr>
                                            <td class="py-1 pr-4">{short_time(&l.created_at)}</td>
                                            <td class="py-1 pr-4">{l.form}</td>
                                            <td class="py-1 pr-4">{l.name}</td>
                                            <td class="py-1 pr-4">{l.email}</td>
                                            <td class="py-1 pr-4">{l.company.unwrap_or_default()}</td>
                                            <td class="py-1 pr-4"><code>{l.source_page}</code></td>
                                            <td class="py-1 pr-4">{l.cta.unwrap_or_default()}</td>
                                            <td class="py-1 pr-4">{l.utm_source.unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
