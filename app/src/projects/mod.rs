//! Projects: the list, the wizard ([`wizard`]), the workspace ([`workspace`]), freelancers'
//! earnings and the admins' pricing rule.

pub mod alerts;
pub mod api;
pub mod chat;
pub mod documents;
pub mod files;
mod risk;
pub mod tasks;
pub mod wizard;
pub mod workspace;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{
    action_error, short_time, successes, use_session, ErrorView, Field, FormAlert, BUTTON, H1, H2,
    LINK, SMALL_BTN, TABLE,
};
use api::*;

/// `/projects`: the projects the asker may see, and a customer's open drafts.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let projects = Resource::new(|| (), |_| list_projects());
    let drafts = Resource::new(|| (), |_| list_drafts());
    let session = use_session();
    view! {
        <Title text="Projects" />
        <div class="flex flex-wrap items-center justify-between gap-3">
            <h1 class=H1>"Projects"</h1>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    use domain::roles::PlatformRole;
                    let role = session.user.await.ok().flatten().map(|u| u.role);
                    match role {
                        Some(PlatformRole::Customer) => Some(view! { <a href="/projects/new" class=BUTTON>"Start a project"</a> }.into_any()),
                        Some(PlatformRole::Employee | PlatformRole::Admin) => Some(view! { <a href="/admin/alerts" class=LINK>"Ops alerts"</a> }.into_any()),
                        _ => None,
                    }
                })}
            </Transition>
        </div>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let list = match projects.await {
                    Ok(l) => l,
                    Err(error) => return view! { <ErrorView error /> }.into_any(),
                };
                let drafts = drafts.await.unwrap_or_default();
                view! {
                    {(!drafts.is_empty()).then(|| view! {
                        <h2 class=format!("{H2} mt-6")>"Drafts"</h2>
                        <ul class="mt-2 grid gap-1">
                            {drafts.into_iter().map(|d| {
                                let name = d.scope.as_ref().map(|s| s.title.clone()).filter(|t| !t.is_empty())
                                    .unwrap_or_else(|| d.brief.chars().take(60).collect());
                                view! {
                                    <li><a class=LINK href=format!("/projects/new?draft={}", d.id)>{name}</a>
                                        <span class="text-sm text-slate-600 dark:text-slate-400">{format!(" — {}, saved {}", d.status.replace('_', " "), short_time(&d.updated_at))}</span></li>
                                }
                            }).collect_view()}
                        </ul>
                    })}
                    {if list.is_empty() {
                        view! { <p class="mt-6 text-slate-600 dark:text-slate-400">"No projects yet."</p> }.into_any()
                    } else {
                        view! {
                            <table class=format!("{TABLE} mt-6")>
                                <thead><tr><th class="py-2 pr-4">"Project"</th><th class="pr-4">"Customer"</th><th class="pr-4">"Milestones released"</th><th class="pr-4">"Held now"</th><th>"Total"</th></tr></thead>
                                <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                                    {list.into_iter().map(|p| view! {
                                        <tr>
                                            <td class="py-2 pr-4"><a class=LINK href=format!("/projects/{}", p.id)>{p.title}</a></td>
                                            <td class="pr-4">{p.customer}</td>
                                            <td class="pr-4">{format!("{} of {}", p.released, p.milestones)}</td>
                                            <td class="pr-4">{p.held.to_string()}</td>
                                            <td>{p.total.to_string()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                }.into_any()
            })}
        </Suspense>
    }
}

/// `/earnings`: a freelancer's earnings, fees, balance and payouts.
#[component]
pub fn EarningsPage() -> impl IntoView {
    let payout = ServerAction::<RequestPayout>::new();
    let setup = ServerAction::<SetUpPayouts>::new();
    let done = successes(payout.into());
    let set_up = successes(setup.into());
    let data = Resource::new(move || (done.get(), set_up.get()), |_| get_earnings());
    let setup_error = Signal::derive(move || setup.value().get().and_then(|r| r.err()));
    let error = action_error(payout.into());
    view! {
        <Title text="Earnings" />
        <h1 class=H1>"Earnings"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let e = match data.await {
                    Ok(e) => e,
                    Err(error) => return view! { <ErrorView error /> }.into_any(),
                };
                let stat = |label: &'static str, v: String, id: &'static str| view! {
                    <div class="rounded-lg border border-slate-200 p-3 dark:border-slate-800">
                        <dt class="text-sm text-slate-600 dark:text-slate-400">{label}</dt>
                        <dd class="text-xl font-semibold" data-testid=id>{v}</dd>
                    </div>
                };
                view! {
                    <dl class="mt-6 grid grid-cols-2 gap-3 sm:grid-cols-3">
                        {stat("Released to you", e.gross.to_string(), "gross")}
                        {stat("Platform fees", e.fees.to_string(), "fees")}
                        {stat("Earned", e.net.to_string(), "net")}
                        {stat("Available to pay out", e.available.to_string(), "available")}
                        {stat("Paid out", e.paid_out.to_string(), "paid-out")}
                        {stat("Held for work in progress", e.in_progress.to_string(), "in-progress")}
                    </dl>
                    <h2 class=format!("{H2} mt-8")>"Released milestones"</h2>
                    {if e.lines.is_empty() {
                        view! { <p class="mt-2 text-sm">"Nothing released yet."</p> }.into_any()
                    } else {
                        view! {
                            <table class=format!("{TABLE} mt-2")>
                                <thead><tr><th class="py-2 pr-4">"Project"</th><th class="pr-4">"Milestone"</th><th class="pr-4">"Released"</th><th class="pr-4">"Fee"</th><th class="pr-4">"Earned"</th><th>"Note"</th></tr></thead>
                                <tbody>
                                    {e.lines.into_iter().map(|l| view! {
                                        <tr><td class="py-2 pr-4">{l.project}</td><td class="pr-4">{l.milestone}</td><td class="pr-4">{l.gross.to_string()}</td><td class="pr-4">{l.fee.to_string()}</td><td class="pr-4">{l.net.to_string()}</td><td data-testid="earning-note">{l.reversed.map(|r| format!("{r} refunded to the customer"))}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                    <h2 class=format!("{H2} mt-8")>"Payouts"</h2>
                    <p class="mt-2 text-sm" data-testid="payout-account">{match e.payout_account.as_str() {
                        "ready" => "Payouts go to your connected account at the payment provider, then to your bank.",
                        "onboarding" => "Finish setting up your payout account at the payment provider to be paid.",
                        _ => "Set up where you are paid before your first payout.",
                    }}</p>
                    {(e.payout_account != "ready").then(|| view! {
                        <ActionForm action=setup attr:class="mt-2">
                            <button type="submit" class=SMALL_BTN>{if e.payout_account == "onboarding" { "Continue setting up payouts" } else { "Set up payouts" }}</button>
                        </ActionForm>
                    })}
                    <ul class="mt-2 text-sm">
                        {e.payouts.into_iter().map(|p| view! { <li>{format!("{} — {} — {}", short_time(&p.at), p.amount, p.status)}</li> }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </Suspense>
        <FormAlert error=setup_error />
        <ActionForm action=payout attr:class="mt-6 max-w-sm">
            <FormAlert error=Signal::derive(move || error.get().filter(|e| e.message_for("amount").is_none())) />
            <Field name="amount" label="Amount to pay out (USD)" error=error />
            <button type="submit" class=BUTTON>"Request payout"</button>
        </ActionForm>
    }
}

/// `/admin/pricing`: the platform fee and the approval window.
#[component]
pub fn PricingPage() -> impl IntoView {
    let save = ServerAction::<SetPricing>::new();
    let done = successes(save.into());
    let rule = Resource::new(move || done.get(), |_| get_pricing());
    let error = action_error(save.into());
    view! {
        <Title text="Pricing" />
        <p><a href="/admin" class=LINK>"← Admin"</a></p>
        <h1 class=format!("{H1} mt-2")>"Pricing"</h1>
        <p class="mt-2 max-w-2xl text-slate-600 dark:text-slate-400">"The fee applies to milestones funded from now on; funded milestones keep the fee the customer agreed to."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rule.await {
                    Ok(r) => view! {
                        <ActionForm action=save attr:class="mt-6 max-w-sm">
                            <FormAlert error=Signal::derive(move || error.get().filter(|e| !matches!(e, domain::AppError::Validation(_)))) />
                            <Field name="fee_percent" label="Platform fee (%)" value=format!("{}", r.fee_bps as f64 / 100.0) error=error />
                            <Field name="auto_approve_days" label="Days before a milestone is approved automatically" value=r.auto_approve_days.to_string() error=error />
                            <button type="submit" class=BUTTON>"Save"</button>
                            {move || done.get().gt(&0).then(|| view! { <p role="status" class="mt-2 text-sm">"Saved."</p> })}
                        </ActionForm>
                    }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
