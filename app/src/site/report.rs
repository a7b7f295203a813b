//! `/admin/site`: which pages and calls to action convert, and the newest leads (ADMIN).

use domain::site::views::ConversionRow;
use leptos::prelude::*;
use leptos_meta::Title;

use super::edit_api::{lead_intake, recent_site_leads, set_site_intake, site_conversion_report};
use crate::components::{
    action_error, field_error, field_value, general_error, short_time, ErrorView, FieldMessage,
    FormAlert, BUTTON, CARD, INPUT, TABLE,
};

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
                        <IntakeSection />
                        <section aria-labelledby="leads-h" class="mt-8 overflow-x-auto">
                            <h2 id="leads-h" class="text-xl font-semibold">"Newest leads"</h2>
                            <table class=TABLE data-test="leads">
                                <thead><tr>
                                    <th scope="col" class="py-2 pr-4">"When"</th><th scope="col" class="py-2 pr-4">"Form"</th>
                                    <th scope="col" class="py-2 pr-4">"Name"</th><th scope="col" class="py-2 pr-4">"Email"</th>
                                    <th scope="col" class="py-2 pr-4">"Company"</th><th scope="col" class="py-2 pr-4">"From page"</th>
                                    <th scope="col" class="py-2 pr-4">"CTA"</th><th scope="col" class="py-2 pr-4">"Source"</th>
                                    <th scope="col" class="py-2 pr-4">"Sent to"</th>
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
                                            <td class="py-1 pr-4">{l.team.unwrap_or_default()}</td>
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

/// Where the site's leads go: a team's email channel, chosen here.
#[component]
fn IntakeSection() -> impl IntoView {
    let save = Action::new(|channel: &String| set_site_intake(channel.clone()));
    let intake = Resource::new(move || save.version().get(), |_| lead_intake());
    let error = action_error(save);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let now = match intake.await {
                    Ok(n) => n,
                    Err(e) => return view! { <ErrorView error=e /> }.into_any(),
                };
                let current = now.current.as_ref().map(|c| c.channel);
                let said = match (&now.current, &now.since) {
                    (Some(c), Some(since)) => format!(
                        "Leads sent since {} go to {}'s inbox, as emails to {}. The team scores, routes and answers them there.",
                        short_time(since), c.team, c.address
                    ),
                    _ => "Leads stay on this list only: no team's inbox gets them.".to_owned(),
                };
                view! {
                    <section class=format!("{CARD} mt-8") aria-labelledby="intake-h" data-testid="site-intake">
                        <h2 id="intake-h" class="text-xl font-semibold">"Where leads go"</h2>
                        <p class="mt-1 text-sm" data-testid="site-intake-now">{said}</p>
                        <form class="mt-3 grid gap-2 sm:max-w-xl" on:submit=move |ev| {
                            ev.prevent_default();
                            save.dispatch(field_value("site-intake-channel"));
                        }>
                            <label class="text-sm font-medium" for="site-intake-channel">"A sales team's email channel"
                                <select id="site-intake-channel" class=INPUT aria-describedby="site-intake-channel-error">
                                    <option value="" selected=current.is_none()>"No team: keep them here only"</option>
                                    {now.choices.iter().map(|c| {
                                        let sel = current == Some(c.channel);
                                        view! { <option value=c.channel.to_string() selected=sel>{format!("{} — {}", c.team, c.address)}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            <FieldMessage id="site-intake-channel-error" message=field_error(error, "channel") />
                            {now.choices.is_empty().then(|| view! {
                                <p class="text-sm">"No team has an email channel yet: a team connects one on its channels page."</p>
                            })}
                            <FormAlert error=general_error(error) />
                            {move || save.value().get().is_some_and(|r| r.is_ok()).then(|| view! {
                                <p role="status" class="text-sm text-emerald-700 dark:text-emerald-400">"Saved."</p>
                            })}
                            <button type="submit" class=format!("{BUTTON} justify-self-start") disabled=move || save.pending().get()>"Save"</button>
                        </form>
                    </section>
                }.into_any()
            })}
        </Transition>
    }
}
