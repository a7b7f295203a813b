//! Token billing on screen: a team's tokens page (`/teams/{slug}/tokens`: the plan, the month
//! and today against it, the rate card and where the tokens went) and the platform admins' page
//! (`/admin/tokens`: every sales team, plans and top-ups).

use domain::leads::billing::{tokens, Operation, Plan, TokenStatus, Usage, PACKS};
use domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::{
    action_error, successes, ErrorView, Field, FieldMessage, FormAlert, BUTTON, CARD, H1, H2,
    INPUT, LINK, TABLE,
};

#[cfg(feature = "ssr")]
use super::api::member_for;
#[cfg(feature = "ssr")]
use crate::ssr::{current_user, fail, request_meta, services};
#[cfg(feature = "ssr")]
use domain::permissions::{Access, Resource};
#[cfg(feature = "ssr")]
use domain::server::leads::billing;

/// The team's tokens (owners, admins and managers).
#[server(endpoint = "teams/tokens")]
pub async fn team_tokens(slug: String) -> Result<TokenStatus, AppError> {
    let (svc, _, grant) = member_for(&slug, Resource::Billing, Access::Read).await?;
    billing::status(&svc, &grant).await.map_err(fail)
}

/// Buys a pack of tokens by card for the team (owners and admins).
#[server(endpoint = "teams/tokens/buy")]
pub async fn team_buy_tokens(
    slug: String,
    pack: String,
    card: String,
    attempt: String,
) -> Result<(), AppError> {
    let (svc, user, grant) = member_for(&slug, Resource::Billing, Access::Read).await?;
    billing::buy(&svc, &grant, &user, &pack, &card, &attempt, &request_meta())
        .await
        .map(|_| ())
        .map_err(fail)
}

/// Confirms a purchase the buyer's bank asked them to confirm (owners and admins).
#[server(endpoint = "teams/tokens/confirm")]
pub async fn team_confirm_tokens(slug: String, purchase: String) -> Result<(), AppError> {
    let (svc, user, grant) = member_for(&slug, Resource::Billing, Access::Read).await?;
    let purchase = uuid::Uuid::parse_str(purchase.trim()).map_err(|_| AppError::NotFound)?;
    billing::confirm_purchase(&svc, &grant, &user, purchase, &request_meta())
        .await
        .map(|_| ())
        .map_err(fail)
}

#[cfg(feature = "ssr")]
async fn staff() -> Result<(domain::server::Services, domain::user::SessionUser), AppError> {
    let svc = services()?;
    let user = current_user().await?;
    let user =
        domain::server::guard::platform(user.as_ref(), &[domain::roles::PlatformRole::Admin])
            .map_err(fail)?
            .clone();
    Ok((svc, user))
}

/// Every sales team's tokens (platform admins).
#[server(endpoint = "admin/tokens")]
pub async fn admin_tokens() -> Result<Vec<(String, TokenStatus)>, AppError> {
    let (svc, user) = staff().await?;
    billing::all_teams(&svc, &user).await.map_err(fail)
}

/// Adds tokens to a team's month (platform admins).
#[server(endpoint = "admin/tokens/top-up")]
pub async fn admin_top_up(team: String, tokens: String, note: String) -> Result<(), AppError> {
    let (svc, user) = staff().await?;
    billing::top_up(&svc, &user, &team, &tokens, &note, &request_meta())
        .await
        .map(|_| ())
        .map_err(fail)
}

/// Moves a team to another plan (platform admins).
#[server(endpoint = "admin/tokens/plan")]
pub async fn admin_set_plan(team: String, plan: String) -> Result<(), AppError> {
    let (svc, user) = staff().await?;
    billing::set_plan(&svc, &user, &team, &plan, &request_meta())
        .await
        .map(|_| ())
        .map_err(fail)
}

/// How full a bar is, in whole percents (0–100).
fn percent(used: i64, of: i64) -> i64 {
    if of <= 0 {
        100
    } else {
        (used.saturating_mul(100) / of).clamp(0, 100)
    }
}

/// The banner for a usage, coloured by how near the end it is.
#[component]
pub(crate) fn TokenBanner(notice: Option<String>, paused: bool) -> impl IntoView {
    notice.map(|text| {
        let class = if paused {
            "mt-3 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-200"
        } else {
            "mt-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-200"
        };
        view! { <p role="status" data-testid="tokens-banner" class=class>{text}</p> }
    })
}

/// A team's month and day against its plan, and where the tokens went.
#[component]
fn Summary(s: TokenStatus) -> impl IntoView {
    let a = s.allowance;
    let month = percent(a.used_month, a.monthly);
    let day = percent(a.used_today, a.daily_limit);
    view! {
        <p class="mt-2 text-sm" data-testid="plan">
            {format!("{} plan: {} tokens a month, at most {} a day.", s.plan.label(), tokens(s.plan.monthly()), tokens(s.plan.daily_limit()))}
        </p>
        <TokenBanner notice=s.notice.clone() paused=s.usage == Usage::Paused />
        <dl class="mt-4 grid gap-4 sm:grid-cols-2">
            <div>
                <dt class="text-sm font-medium">"This month"</dt>
                <dd class="mt-1 text-sm" data-testid="month">{format!("{} of {} tokens", tokens(a.used_month), tokens(a.monthly))}</dd>
                <dd class="mt-1">
                    <progress class="w-full" max="100" value=month.to_string() aria-label="This month's tokens used">{format!("{month} %")}</progress>
                </dd>
            </div>
            <div>
                <dt class="text-sm font-medium">"Today (UTC)"</dt>
                <dd class="mt-1 text-sm" data-testid="today">{format!("{} of {} tokens", tokens(a.used_today), tokens(a.daily_limit))}</dd>
                <dd class="mt-1">
                    <progress class="w-full" max="100" value=day.to_string() aria-label="Today's tokens used">{format!("{day} %")}</progress>
                </dd>
            </div>
        </dl>
        <div class="mt-4 overflow-x-auto">
            <table class=TABLE data-testid="by-operation">
                <caption class="text-left text-sm font-semibold">"This month, by operation"</caption>
                <thead><tr>
                    <th scope="col" class="py-2 pr-4">"Operation"</th>
                    <th scope="col" class="py-2 pr-4 text-right">"Rate"</th>
                    <th scope="col" class="py-2 pr-4 text-right">"Times"</th>
                    <th scope="col" class="py-2 pr-4 text-right">"Tokens"</th>
                </tr></thead>
                <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                    {Operation::ALL.iter().map(|op| {
                        let used = s.by_operation.iter().find(|u| u.operation == *op);
                        view! {
                            <tr>
                                <td class="py-1 pr-4">{label(*op)}</td>
                                <td class="py-1 pr-4 text-right">{tokens(op.tenths())}</td>
                                <td class="py-1 pr-4 text-right">{used.map_or(0, |u| u.count).to_string()}</td>
                                <td class="py-1 pr-4 text-right">{tokens(used.map_or(0, |u| u.tenths))}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {(!s.topups.is_empty()).then(|| view! {
            <h3 class="mt-4 text-sm font-semibold">"Top-ups this month"</h3>
            <ul class="mt-1 list-disc pl-5 text-sm" data-testid="topups">
                {s.topups.iter().map(|t| view! {
                    <li>{format!("{} tokens: {} ({})", tokens(t.tenths), t.note, crate::components::short_time(&t.at))}</li>
                }).collect_view()}
            </ul>
        })}
    }
}

/// The rate card's names for people.
fn label(op: Operation) -> &'static str {
    match op {
        Operation::Verification => "Contact verified",
        Operation::Scoring => "Lead scored",
        Operation::InboundWhatsapp => "WhatsApp message received",
        Operation::Intent => "Intent read",
        Operation::QualificationMessage => "Qualifying reply drafted",
        Operation::PersuasionMessage => "Closing reply drafted",
        Operation::ColdRecovery => "Cold lead re-engaged",
        Operation::Escalation => "Escalated to a person",
        Operation::Appointment => "Appointment booked",
        Operation::Routing => "Lead routed",
        Operation::InboundSocialDm => "Instagram or Messenger message received",
        Operation::HumanReview => "Human review",
    }
}

/// `/teams/{slug}/tokens`: the team's plan and usage.
#[component]
pub fn TokensPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let buy = ServerAction::<TeamBuyTokens>::new();
    let bought = successes(buy.into());
    let confirm = ServerAction::<TeamConfirmTokens>::new();
    let confirmed = successes(confirm.into());
    let status = leptos::prelude::Resource::new(
        move || (slug(), bought.get(), confirmed.get()),
        |(s, _, _)| team_tokens(s),
    );
    let buy_error = action_error(buy.into());
    let confirm_error = action_error(confirm.into());
    view! {
        <Title text="Tokens" />
        <p><a href=move || format!("/teams/{}", slug()) class=LINK>"← Team"</a></p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(s) => view! {
                        <h1 class=format!("{H1} mt-2")>{format!("{} tokens", s.team)}</h1>
                        <p class="mt-2 max-w-2xl text-sm text-slate-600 dark:text-slate-400">
                            "Paid operations (scoring, routing, escalation, AI drafts) use tokens; messages received are counted too. When the month's tokens or today's limit run out, paid operations pause until a top-up, the next day or the next month. Messages still arrive and nothing is lost."
                        </p>
                        {s.awaiting_bank.clone().filter(|_| s.can_buy).map(|w| view! {
                            <section role="alert" data-testid="awaiting-bank" class="mt-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
                                <p>{format!("Your bank asks you to confirm the payment for {} before the tokens are added.", w.pack)}</p>
                                <ActionForm action=confirm attr:class="mt-2">
                                    <input type="hidden" name="slug" value=slug() />
                                    <input type="hidden" name="purchase" value=w.id.to_string() />
                                    <button type="submit" class=BUTTON disabled=move || confirm.pending().get()>"Confirm with my bank"</button>
                                </ActionForm>
                                <FieldMessage message=Signal::derive(move || confirm_error.get().map(|e| e.message_for("confirm").map(str::to_owned).unwrap_or_else(|| e.to_string()))) />
                            </section>
                        })}
                        {let key = s.purchase_key.clone(); let paid = s.awaiting_bank.is_none(); s.can_buy.then(move || view! {
                            <section class=format!("{CARD} mt-4") aria-labelledby="buy-heading" data-testid="buy-tokens">
                                <h2 id="buy-heading" class=H2>"Buy tokens"</h2>
                                <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">"Added to this month at once; paused operations resume. The card is charged now."</p>
                                <ActionForm action=buy attr:class="mt-3 grid gap-3" attr:novalidate=true>
                                    <input type="hidden" name="slug" value=slug() />
                                    <input type="hidden" name="attempt" value=key />
                                    <fieldset>
                                        <legend class="text-sm font-medium">"Pack"</legend>
                                        {PACKS.iter().enumerate().map(|(i, p)| view! {
                                            <label class="mt-1 flex items-center gap-2 text-sm">
                                                <input type="radio" name="pack" value=p.id checked=i == 0 />
                                                {p.label()}
                                            </label>
                                        }).collect_view()}
                                    </fieldset>
                                    <Field name="card" label="Card number" autocomplete="cc-number" hint="On this demo, a test card: 4242 4242 4242 4242 is paid, 4000 0025 0000 3155 asks you to confirm with your bank, 4000 0000 0000 0002 is declined." error=buy_error />
                                    <FormAlert error=buy_error />
                                    {(paid && bought.get_untracked() + confirmed.get_untracked() > 0).then(|| view! {
                                        <p role="status" class="text-sm text-emerald-700 dark:text-emerald-400">"Paid. The tokens are added to this month."</p>
                                    })}
                                    <button type="submit" class=format!("{BUTTON} justify-self-start") disabled=move || buy.pending().get()>"Buy tokens"</button>
                                </ActionForm>
                            </section>
                        })}
                        <section class=format!("{CARD} mt-4")><Summary s /></section>
                    }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `/admin/tokens`: every sales team's plan and usage; top-ups and plan changes.
#[component]
pub fn AdminTokensPage() -> impl IntoView {
    let top_up = ServerAction::<AdminTopUp>::new();
    let plan = ServerAction::<AdminSetPlan>::new();
    let topped = successes(top_up.into());
    let planned = successes(plan.into());
    let teams =
        leptos::prelude::Resource::new(move || (topped.get(), planned.get()), |_| admin_tokens());
    let top_up_error = action_error(top_up.into());
    let plan_error = action_error(plan.into());
    view! {
        <Title text="Tokens" />
        <p><a href="/admin" class=LINK>"← Admin"</a></p>
        <h1 class=format!("{H1} mt-2")>"Teams' tokens"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let list = match teams.await {
                    Ok(l) => l,
                    Err(error) => return view! { <ErrorView error /> }.into_any(),
                };
                let options = list.iter().map(|(slug, s)| (slug.clone(), s.team.clone())).collect::<Vec<_>>();
                let options2 = options.clone();
                view! {
                    <div class="mt-6 grid gap-6 lg:grid-cols-2">
                        <ActionForm action=top_up attr:class=format!("{CARD} grid gap-2")>
                            <h2 class=H2>"Add tokens"</h2>
                            <label class="text-sm font-medium" for="top-up-team">"Team"
                                <select id="top-up-team" name="team" class=INPUT>
                                    {options.into_iter().map(|(slug, name)| view! { <option value=slug>{name}</option> }).collect_view()}
                                </select>
                            </label>
                            <Field name="tokens" label="Tokens" error=top_up_error />
                            <Field name="note" label="Why (the team sees it)" error=top_up_error />
                            <FormAlert error=Signal::derive(move || top_up_error.get().filter(|e| !matches!(e, AppError::Validation(_)))) />
                            <button type="submit" class=format!("{BUTTON} justify-self-start")>"Add tokens"</button>
                            {move || topped.get().gt(&0).then(|| view! { <p role="status" class="text-sm">"Added. Paused work resumes within two minutes."</p> })}
                        </ActionForm>
                        <ActionForm action=plan attr:class=format!("{CARD} grid gap-2")>
                            <h2 class=H2>"Change a plan"</h2>
                            <label class="text-sm font-medium" for="plan-team">"Team"
                                <select id="plan-team" name="team" class=INPUT>
                                    {options2.into_iter().map(|(slug, name)| view! { <option value=slug>{name}</option> }).collect_view()}
                                </select>
                            </label>
                            <label class="text-sm font-medium" for="plan-plan">"Plan"
                                <select id="plan-plan" name="plan" class=INPUT>
                                    {Plan::ALL.iter().map(|p| view! { <option value=p.as_str()>{format!("{}: {} tokens a month, {} a day", p.label(), tokens(p.monthly()), tokens(p.daily_limit()))}</option> }).collect_view()}
                                </select>
                            </label>
                            <FormAlert error=plan_error />
                            <button type="submit" class=format!("{BUTTON} justify-self-start")>"Change plan"</button>
                        </ActionForm>
                    </div>
                    <ul class="mt-6 grid gap-4">
                        {list.into_iter().map(|(slug, s)| view! {
                            <li class=CARD data-testid="team-tokens" data-team=slug>
                                <h2 class=H2>{s.team.clone()}</h2>
                                <Summary s />
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </Suspense>
    }
}
