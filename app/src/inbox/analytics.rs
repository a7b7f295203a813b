//! `/teams/{slug}/analytics`: the SDR leaderboard, where the period's leads stand, new leads a
//! day by band, and the leads as a CSV file. It follows the inbox live: any change in the team's
//! inbox reloads it.

use domain::leads::analytics::{DayCount, Report, PERIODS};
use domain::leads::Lifecycle;
use domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::{ErrorView, CARD, H1, H2, INPUT, LINK, TABLE};

#[cfg(feature = "ssr")]
use super::api::member;
#[cfg(feature = "ssr")]
use crate::ssr::fail;
#[cfg(feature = "ssr")]
use domain::server::leads::analytics;

/// The team's report over the last `days` days.
#[server(endpoint = "teams/report")]
pub async fn team_report(slug: String, days: u32) -> Result<Report, AppError> {
    let (svc, _, grant) = member(&slug).await?;
    analytics::report(&svc, &grant, days).await.map_err(fail)
}

fn pct(p: Option<u32>) -> String {
    p.map_or_else(|| "–".to_owned(), |p| format!("{p} %"))
}

/// New leads a day as stacked bars (HOT, WARM, COLD, not scored), with the figures in a table
/// for those who do not see the chart.
#[component]
fn DayChart(days: Vec<DayCount>) -> impl IntoView {
    let max = days.iter().map(DayCount::total).max().unwrap_or(0).max(1);
    let n = days.len().max(1);
    let width = 600.0_f64;
    let height = 120.0_f64;
    let bar = width / n as f64;
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let x = i as f64 * bar;
            let mut y = height;
            let parts = [
                (d.hot, "fill-red-500"),
                (d.warm, "fill-amber-400"),
                (d.cold, "fill-sky-400"),
                (d.unscored, "fill-slate-300"),
            ];
            let rects = parts
                .into_iter()
                .filter(|(v, _)| *v > 0)
                .map(|(v, class)| {
                    let h = f64::from(v) / f64::from(max) * height;
                    y -= h;
                    view! { <rect x=format!("{:.1}", x + 1.0) y=format!("{y:.1}") width=format!("{:.1}", (bar - 2.0).max(1.0)) height=format!("{h:.1}") class=class /> }
                })
                .collect_view();
            view! { <g><title>{format!("{}: {} new ({} HOT, {} WARM, {} COLD, {} not scored)", d.day, d.total(), d.hot, d.warm, d.cold, d.unscored)}</title>{rects}</g> }
        })
        .collect_view();
    view! {
        <svg viewBox=format!("0 0 {width} {height}") class="mt-2 h-32 w-full" role="img" aria-label="New leads a day by band" preserveAspectRatio="none">
            {bars}
        </svg>
        <p class="mt-1 flex flex-wrap gap-3 text-xs">
            <span><span class="mr-1 inline-block h-2 w-2 bg-red-500"></span>"HOT"</span>
            <span><span class="mr-1 inline-block h-2 w-2 bg-amber-400"></span>"WARM"</span>
            <span><span class="mr-1 inline-block h-2 w-2 bg-sky-400"></span>"COLD"</span>
            <span><span class="mr-1 inline-block h-2 w-2 bg-slate-300"></span>"Not scored"</span>
        </p>
    }
}

/// `/teams/{slug}/analytics`.
#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let days = RwSignal::new(30_u32);
    let reload = super::Reload(RwSignal::new(0));
    let report = leptos::prelude::Resource::new(
        move || (slug(), days.get(), reload.0.get()),
        |(s, d, _)| team_report(s, d),
    );
    super::live(slug, reload);
    view! {
        <Title text="Analytics" />
        <p><a href=move || format!("/teams/{}/inbox", slug()) class=LINK>"← Inbox"</a></p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let r = match report.await {
                    Ok(r) => r,
                    Err(error) => return view! { <ErrorView error /> }.into_any(),
                };
                let csv = format!("/teams/{}/leads.csv", slug());
                view! {
                    <div class="mt-2 flex flex-wrap items-end justify-between gap-3">
                        <h1 class=H1>{format!("{} analytics", r.team)}</h1>
                        <label class="text-sm font-medium">"Period"
                            <select class=INPUT on:change=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(30))>
                                {PERIODS.iter().map(|d| view! { <option value=d.to_string() selected=*d == r.days>{format!("Last {d} days")}</option> }).collect_view()}
                            </select>
                        </label>
                    </div>
                    <p class="mt-2 text-sm">
                        <a class=LINK href=csv download="">"Download every lead (CSV)"</a>
                    </p>

                    <section class=format!("{CARD} mt-4") aria-labelledby="board">
                        <h2 id="board" class=H2>"SDR leaderboard"</h2>
                        <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">"Most won first, then first answers in time, then the quickest. Live."</p>
                        <div class="mt-3 overflow-x-auto">
                            <table class=TABLE data-testid="leaderboard">
                                <thead><tr>
                                    <th scope="col" class="py-2 pr-4">"#"</th>
                                    <th scope="col" class="py-2 pr-4">"SDR"</th>
                                    <th scope="col" class="py-2 pr-4 text-right">"Open"</th>
                                    <th scope="col" class="py-2 pr-4 text-right">"Given"</th>
                                    <th scope="col" class="py-2 pr-4 text-right">"First answers"</th>
                                    <th scope="col" class="py-2 pr-4 text-right">"Median to answer"</th>
                                    <th scope="col" class="py-2 pr-4 text-right">"In time"</th>
                                    <th scope="col" class="py-2 pr-4 text-right">"Won"</th>
                                    <th scope="col" class="py-2 pr-4 text-right">"Lost"</th>
                                </tr></thead>
                                <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                                    {r.leaderboard.iter().enumerate().map(|(i, s)| view! {
                                        <tr data-testid="sdr-row">
                                            <td class="py-1 pr-4">{(i + 1).to_string()}</td>
                                            <th scope="row" class="py-1 pr-4 text-left font-medium">{s.name.clone()}{s.online.then_some(" (online)")}</th>
                                            <td class="py-1 pr-4 text-right">{format!("{} of {}", s.open, s.capacity)}</td>
                                            <td class="py-1 pr-4 text-right">{s.assigned.to_string()}</td>
                                            <td class="py-1 pr-4 text-right">{s.answered.to_string()}</td>
                                            <td class="py-1 pr-4 text-right">{s.median_first_answer_minutes.map_or_else(|| "–".to_owned(), |m| format!("{m} min"))}</td>
                                            <td class="py-1 pr-4 text-right">{pct(s.sla_percent())}</td>
                                            <td class="py-1 pr-4 text-right">{s.won.to_string()}</td>
                                            <td class="py-1 pr-4 text-right">{s.lost.to_string()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    </section>

                    <section class=format!("{CARD} mt-4") aria-labelledby="funnel">
                        <h2 id="funnel" class=H2>"Where the period's leads stand"</h2>
                        <p class="mt-1 text-sm" data-testid="conversion">
                            {format!("{} new leads; {} won ({}).", r.leads(), r.reached(Lifecycle::Won), pct(r.conversion_percent()))}
                        </p>
                        <ul class="mt-2 grid gap-1 text-sm" data-testid="funnel">
                            {Lifecycle::ALL.iter().filter(|l| **l != Lifecycle::Lost).map(|l| {
                                let n = r.reached(*l);
                                let label = format!("{} or further", l.label());
                                view! {
                                    <li class="grid grid-cols-[9rem_1fr_3rem] items-center gap-2">
                                        <span>{label.clone()}</span>
                                        <progress class="w-full" max=r.leads().max(1).to_string() value=n.to_string() aria-label=label>{n.to_string()}</progress>
                                        <span class="text-right">{n.to_string()}</span>
                                    </li>
                                }
                            }).collect_view()}
                            <li class="grid grid-cols-[9rem_1fr_3rem] items-center gap-2">
                                <span>"Lost"</span><span></span>
                                <span class="text-right">{r.funnel.iter().find(|(l, _)| *l == Lifecycle::Lost).map_or(0, |(_, n)| *n).to_string()}</span>
                            </li>
                        </ul>
                    </section>

                    <section class=format!("{CARD} mt-4") aria-labelledby="per-day">
                        <h2 id="per-day" class=H2>"New leads a day"</h2>
                        <DayChart days=r.by_day.clone() />
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
