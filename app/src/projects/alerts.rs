//! `/admin/alerts`: what the automation rules found, for ops, admins and support — suggested
//! PMs to accept, milestones past due, funds held too long, follow-ups to send.

use domain::automation::{AlertRule, OpsAlert};
use leptos::prelude::*;
use leptos_meta::Title;

use super::api::*;
use crate::components::{short_time, ErrorView, FormAlert, CARD, H1, LINK, SMALL_BTN};

/// The alerts page.
#[component]
pub fn AlertsPage() -> impl IntoView {
    let handle = Action::new(move |(a, how): &(String, String)| {
        let (a, how) = (a.clone(), how.clone());
        async move { handle_alert(a, how).await }
    });
    let done = crate::components::successes(handle);
    let alerts = Resource::new(move || done.get(), |_| list_alerts());
    let error = crate::components::action_error(handle);
    view! {
        <Title text="Ops alerts" />
        <p><a href="/projects" class=LINK>"← Projects"</a></p>
        <h1 class=format!("{H1} mt-2")>"Ops alerts"</h1>
        <p class="mt-2 max-w-2xl text-slate-600 dark:text-slate-400">"Raised every minute by the automation rules. They suggest; you decide."</p>
        <FormAlert error />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match alerts.await {
                    Ok(list) if list.is_empty() => view! { <p class="mt-6">"Nothing needs attention."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="mt-6 grid gap-3">
                            {list.into_iter().map(|a| view! { <Alert a handle /> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Alert(
    a: OpsAlert,
    handle: Action<(String, String), Result<(), domain::AppError>>,
) -> impl IntoView {
    let id = a.id.to_string();
    let open = a.status == "open";
    let button = move |how: &'static str, label: String| {
        let id = id.clone();
        view! { <button type="button" class=SMALL_BTN disabled=move || handle.pending().get() on:click=move |_| { handle.dispatch((id.clone(), how.to_owned())); }>{label}</button> }
    };
    view! {
        <li class=CARD data-testid="alert" data-rule=a.rule.as_str() data-status=a.status.clone()>
            <p class="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">
                {format!("{} · for {} · {}", a.rule.label(), a.rule.audience(), short_time(&a.at))}
                {(!open).then(|| format!(" · {}", a.status))}
            </p>
            <p class="mt-1 font-medium">{match a.project_id {
                Some(p) => view! { <a class=LINK href=format!("/projects/{p}")>{a.title.clone()}</a> }.into_any(),
                None => view! { <span>{a.title.clone()}</span> }.into_any(),
            }}</p>
            {if a.rule == AlertRule::CustomerIdle {
                view! {
                    <label class="mt-2 block text-sm font-medium" for=format!("draft-{}", a.id)>"Follow-up draft (edit before sending)"</label>
                    <textarea id=format!("draft-{}", a.id) rows="6" class=crate::components::INPUT>{a.body.clone()}</textarea>
                }.into_any()
            } else {
                view! { <p class="mt-1 text-sm">{a.body.clone()}</p> }.into_any()
            }}
            {open.then(|| view! {
                <div class="mt-2 flex flex-wrap gap-2">
                    {a.suggested.clone().map(|name| button("accept", format!("Make {name} the PM")))}
                    {a.retry.then(|| button("accept", "Try the refund again".into()))}
                    {button("done", "Done".into())}
                    {button("dismiss", "Dismiss".into())}
                </div>
            })}
        </li>
    }
}
