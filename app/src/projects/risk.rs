//! The workspace's AI risk panel (staff): the latest risk check of the project, a button to
//! run it again, and accept (its suggested actions go on the task board) or dismiss. Advisory:
//! nothing happens until a person decides.

use domain::ai::RiskLevel;
use domain::project::RiskPanel;
use leptos::prelude::*;

use super::api::{assess_risk, decide_risk, project_risk};
use crate::components::{short_time, CARD, H2, SMALL_BTN};

fn level_badge(l: RiskLevel) -> &'static str {
    match l {
        RiskLevel::High => "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100",
        RiskLevel::Medium => "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
        RiskLevel::Low => {
            "bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100"
        }
    }
}

/// The panel.
#[component]
pub fn Risk(project: String, reload: Callback<()>) -> impl IntoView {
    let p = project.clone();
    let assess = Action::new(move |_: &()| {
        let p = p.clone();
        async move { assess_risk(p).await }
    });
    let p = project.clone();
    let decide = Action::new(move |(run, accept): &(String, bool)| {
        let (p, run, accept) = (p.clone(), run.clone(), *accept);
        async move { decide_risk(p, run, accept).await }
    });
    let p = project.clone();
    let data = Resource::new(
        move || (assess.version().get(), decide.version().get()),
        move |_| project_risk(p.clone()),
    );
    Effect::new(move |_| {
        if let Some(Ok(n)) = decide.value().get() {
            if n > 0 {
                reload.run(());
            }
        }
    });
    let error = move || {
        assess
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| decide.value().get().and_then(|r| r.err()))
            .map(|e| e.to_string())
    };
    let busy = move || assess.pending().get() || decide.pending().get();
    view! {
        <section class=format!("{CARD} mt-6") aria-labelledby="risk-h" data-testid="risk">
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h2 id="risk-h" class=H2>"Risk check (AI, advisory)"</h2>
                <button type="button" class=SMALL_BTN disabled=busy on:click=move |_| { assess.dispatch(()); }>"Check risk now"</button>
            </div>
            <Transition fallback=|| view! { <p class="mt-2 text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <p class="mt-2 text-sm text-red-700 dark:text-red-400">{e.to_string()}</p> }.into_any(),
                        Ok(None) => view! { <p class="mt-2 text-sm">"Not checked yet."</p> }.into_any(),
                        Ok(Some(r)) => view! { <Report r decide /> }.into_any(),
                    }
                })}
            </Transition>
            <p role="alert" class="mt-2 text-sm text-red-700 dark:text-red-400">{error}</p>
        </section>
    }
}

#[component]
fn Report(
    r: RiskPanel,
    decide: Action<(String, bool), Result<usize, domain::AppError>>,
) -> impl IntoView {
    let run = r.run.to_string();
    let open = r.decision.is_none();
    let decided = r.decision.clone().map(|d| match d.as_str() {
        "accepted" => "Accepted: its actions are on the task board.",
        _ => "Dismissed.",
    });
    let has_actions = !r.actions.is_empty();
    view! {
        <div class="mt-2 text-sm" data-testid="risk-report" data-level=r.level.as_str()>
            <p>
                <span class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {}", level_badge(r.level)) data-testid="risk-level">{format!("{} risk", r.level.as_str())}</span>
                {format!(" · checked {} · confidence {:.0}%", short_time(&r.at), r.confidence * 100.0)}
            </p>
            <p class="mt-1">{r.reason.clone()}</p>
            {(!r.signals.is_empty()).then(|| view! {
                <p class="mt-2 font-medium">"Seen"</p>
                <ul class="ml-5 list-disc">{r.signals.iter().map(|s| view! { <li>{s.detail.clone()}</li> }).collect_view()}</ul>
            })}
            {has_actions.then(|| view! {
                <p class="mt-2 font-medium">"Suggested actions"</p>
                <ul class="ml-5 list-disc" data-testid="risk-actions">{r.actions.iter().map(|a| view! { <li>{a.clone()}</li> }).collect_view()}</ul>
            })}
            {decided.map(|d| view! { <p class="mt-2 italic" data-testid="risk-decision">{d}</p> })}
            {open.then(|| {
                let run2 = run.clone();
                view! {
                    <div class="mt-2 flex flex-wrap gap-2">
                        {has_actions.then(|| view! {
                            <button type="button" class=SMALL_BTN disabled=move || decide.pending().get()
                                on:click=move |_| { decide.dispatch((run.clone(), true)); }>"Accept: add the actions as tasks"</button>
                        })}
                        <button type="button" class=SMALL_BTN disabled=move || decide.pending().get()
                            on:click=move |_| { decide.dispatch((run2.clone(), false)); }>"Dismiss"</button>
                    </div>
                }
            })}
        </div>
    }
}
