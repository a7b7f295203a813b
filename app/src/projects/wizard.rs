//! The project wizard: brief → proposed scope the customer edits (autosaved) → confirm and
//! fund, or ask for a custom quote.

use domain::money::Money;
use domain::project::{DraftAnalysis, DraftView, MilestoneDraft, ScopeDraft};
use domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::api::*;
use crate::components::{
    field_checked, field_value, ErrorView, FieldMessage, FormAlert, BUTTON, CARD, H1, H2, INPUT,
    LINK, SMALL_BTN,
};

/// `/projects/new`: a new brief, or (`?draft=…`) a draft being edited.
#[component]
pub fn NewProjectPage() -> impl IntoView {
    let query = use_query_map();
    let draft = Resource::new(
        move || query.read().get("draft").unwrap_or_default(),
        |id| async move {
            if id.is_empty() {
                Ok(None)
            } else {
                get_draft(id).await.map(Some)
            }
        },
    );
    view! {
        <Title text="Start a project" />
        <p><a href="/projects" class=LINK>"← Projects"</a></p>
        <h1 class=format!("{H1} mt-2")>"Start a project"</h1>
        <p class="mt-2 max-w-2xl text-slate-600 dark:text-slate-400">
            "Describe what you need. We draft a scope, milestones and a budget from it; you change anything, then confirm and fund the first milestone. Your money is held until you approve each milestone."
        </p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match draft.await {
                    Ok(d) => view! { <Wizard initial=d /> }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Wizard(initial: Option<DraftView>) -> impl IntoView {
    let draft = RwSignal::new(initial.clone());
    let brief = RwSignal::new(
        initial
            .as_ref()
            .map(|d| d.brief.clone())
            .unwrap_or_default(),
    );
    let analyze = Action::new(move |(brief, category): &(String, String)| {
        let (brief, category) = (brief.clone(), category.clone());
        let id = draft
            .get_untracked()
            .map(|d| d.id.to_string())
            .unwrap_or_default();
        async move { analyze_brief(id, brief, category).await }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(d)) = analyze.value().get() {
            let url = format!("/projects/new?draft={}", d.id);
            draft.set(Some(d));
            navigate(
                &url,
                leptos_router::NavigateOptions {
                    replace: true,
                    scroll: false,
                    ..Default::default()
                },
            );
        }
    });
    let error = Signal::derive(move || analyze.value().get().and_then(|r| r.err()));
    let brief_error = Signal::derive(move || {
        error
            .get()
            .and_then(|e| e.message_for("brief").map(str::to_owned))
    });
    view! {
        <section class=format!("{CARD} mt-6") aria-labelledby="brief-h">
            <h2 id="brief-h" class=H2>"1. Your brief"</h2>
            <form class="mt-3" on:submit=move |ev| {
                ev.prevent_default();
                let category = field_value("field-category");
                analyze.dispatch((brief.get_untracked(), category));
            }>
                <label for="field-brief" class="block text-sm font-medium">"What do you need?"</label>
                <p id="field-brief-hint" class="text-xs text-slate-600 dark:text-slate-400">"Who it is for, what it must do, and by when. Any language."</p>
                <textarea id="field-brief" name="brief" rows="6" class=INPUT
                    aria-describedby="field-brief-hint field-brief-error"
                    aria-invalid=move || brief_error.get().map(|_| "true")
                    prop:value=move || brief.get()
                    on:input=move |ev| brief.set(event_target_value(&ev))>{brief.get_untracked()}</textarea>
                <FieldMessage id="field-brief-error" message=brief_error />
                <label for="field-category" class="mt-3 block text-sm font-medium">"Category (optional)"</label>
                <select id="field-category" name="category" class=INPUT>
                    <option value="">"Let us work it out"</option>
                    {domain::ai::Category::ALL.iter().map(|c| view! { <option value=c.as_str()>{category_label(*c)}</option> }).collect_view()}
                </select>
                <button type="submit" class=format!("{BUTTON} mt-4") disabled=move || analyze.pending().get()>
                    {move || if analyze.pending().get() { "Drafting…" } else if draft.get().is_some() { "Draft again from the brief" } else { "Draft the scope" }}
                </button>
                {move || error.get().filter(|e| e.message_for("brief").is_none()).map(|e| view! { <FormAlert error=Signal::derive(move || Some(e.clone())) /> })}
            </form>
        </section>
        {move || draft.get().and_then(|d| {
            let scope = d.scope.clone()?;
            Some(view! { <ScopeEditor draft=d.clone() scope /> })
        })}
    }
}

fn category_label(c: domain::ai::Category) -> &'static str {
    use domain::ai::Category as C;
    match c {
        C::Web => "Web",
        C::Mobile => "Mobile",
        C::Design => "Design",
        C::Marketing => "Marketing",
        C::Content => "Content",
        C::DataAi => "Data and AI",
        C::Video => "Video",
    }
}

#[derive(Clone, Copy, PartialEq)]
enum SaveState {
    Saved,
    Saving,
    Dirty,
    Stale,
    Failed,
}

/// The amounts as typed, so "1,2" stays on screen with its message instead of becoming 0.
fn amount_text(m: &MilestoneDraft, scope: &ScopeDraft) -> String {
    let s = Money::new(m.amount_minor, scope.currency).to_string();
    s.trim_start_matches(|c: char| !c.is_ascii_digit())
        .to_owned()
}

#[component]
fn ScopeEditor(draft: DraftView, scope: ScopeDraft) -> impl IntoView {
    let id = draft.id.to_string();
    let scope_sig = RwSignal::new(scope.clone());
    let amounts = RwSignal::new(
        scope
            .milestones
            .iter()
            .map(|m| amount_text(m, &scope))
            .collect::<Vec<_>>(),
    );
    let version = RwSignal::new(draft.version);
    let state = RwSignal::new(SaveState::Saved);
    let server_error = RwSignal::new(None::<AppError>);
    let local_errors = Memo::new(move |_| {
        let s = scope_sig.get();
        let mut out = vec![];
        for (i, t) in amounts.get().iter().enumerate() {
            if let Err(e) = Money::parse(t, s.currency) {
                out.push((format!("milestones.{i}.amount"), e));
            }
        }
        out
    });
    let message = move |field: String| {
        Signal::derive(move || {
            local_errors
                .get()
                .into_iter()
                .find(|(f, _)| *f == field)
                .map(|(_, m)| m)
                .or_else(|| {
                    server_error
                        .get()
                        .and_then(|e| e.message_for(&field).map(str::to_owned))
                })
        })
    };

    // Autosave: a moment after the last change, when nobody else saved in between.
    let pending = StoredValue::new(0u32);
    let save_id = StoredValue::new(id.clone());
    let schedule = move || {
        state.set(SaveState::Dirty);
        pending.update_value(|n| *n += 1);
        let ticket = pending.get_value();
        let id = save_id.get_value();
        set_timeout(
            move || {
                if pending.get_value() != ticket || state.get_untracked() == SaveState::Stale {
                    return;
                }
                state.set(SaveState::Saving);
                let json = serde_json::to_string(&scope_sig.get_untracked()).unwrap_or_default();
                let v = version.get_untracked();
                leptos::task::spawn_local(async move {
                    match save_draft(id, v, json).await {
                        Ok(nv) => {
                            version.set(nv);
                            if pending.get_value() == ticket {
                                state.set(SaveState::Saved);
                            }
                        }
                        Err(AppError::Conflict(m)) => {
                            state.set(SaveState::Stale);
                            server_error.set(Some(AppError::Conflict(m)));
                        }
                        Err(e) => {
                            state.set(SaveState::Failed);
                            server_error.set(Some(e));
                        }
                    }
                });
            },
            std::time::Duration::from_millis(700),
        );
    };
    let edit = move |f: Box<dyn FnOnce(&mut ScopeDraft)>| {
        scope_sig.update(|s| f(s));
        schedule();
    };

    // Confirming right after an edit saves it first (instead of the autosave), so what is
    // confirmed and charged is what the customer sees.
    let confirm = Action::new(move |(fund, card): &(String, String)| {
        let (fund, card) = (fund.clone(), card.clone());
        let id = draft.id.to_string();
        let unsaved =
            matches!(state.get_untracked(), SaveState::Dirty | SaveState::Failed).then(|| {
                pending.update_value(|n| *n += 1);
                serde_json::to_string(&scope_sig.get_untracked()).unwrap_or_default()
            });
        async move {
            let mut v = version.get_untracked();
            if let Some(json) = unsaved {
                state.set(SaveState::Saving);
                match save_draft(id.clone(), v, json).await {
                    Ok(nv) => {
                        v = nv;
                        version.set(nv);
                        state.set(SaveState::Saved);
                    }
                    Err(e) => {
                        state.set(if matches!(e, AppError::Conflict(_)) {
                            SaveState::Stale
                        } else {
                            SaveState::Failed
                        });
                        return Err(e);
                    }
                }
            }
            confirm_draft(id, v, fund, card).await
        }
    });
    let navigate = use_navigate();
    Effect::new(move |_| match confirm.value().get() {
        Some(Ok(out)) => navigate(&format!("/projects/{}", out.project_id), Default::default()),
        Some(Err(e)) => server_error.set(Some(e)),
        None => {}
    });
    let card_error = message("card".into());
    let total = move || {
        let s = scope_sig.get();
        s.total().to_string()
    };
    let first = move || {
        let s = scope_sig.get();
        s.milestones
            .first()
            .map(|m| Money::new(m.amount_minor, s.currency).to_string())
            .unwrap_or_default()
    };
    let analysis = draft.analysis.clone();
    let status_text = move || match state.get() {
        SaveState::Saved => "All changes saved",
        SaveState::Saving => "Saving…",
        SaveState::Dirty => "Unsaved changes",
        SaveState::Stale => "Changed elsewhere — reload",
        SaveState::Failed => "Not saved — check the highlighted fields",
    };

    view! {
        <section class=format!("{CARD} mt-6") aria-labelledby="scope-h">
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h2 id="scope-h" class=H2>"2. The scope"</h2>
                <p class="text-sm text-slate-600 dark:text-slate-400" role="status" aria-live="polite" data-testid="save-state">{status_text}</p>
            </div>
            {analysis.map(|a| view! { <AnalysisPanel a /> })}
            {move || server_error.get().filter(|e| matches!(e, AppError::Conflict(_))).map(|e| view! {
                <p role="alert" class="mt-3 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
                    {e.to_string()} " " <a class=LINK href=format!("/projects/new?draft={}", draft.id) rel="external">"Reload"</a>
                </p>
            })}
            <div class="mt-4 grid gap-4">
                <div>
                    <label for="field-title" class="block text-sm font-medium">"Project name"</label>
                    <input id="field-title" class=INPUT prop:value=move || scope_sig.get().title
                        aria-invalid=move || message("title".into()).get().map(|_| "true")
                        aria-describedby="field-title-error"
                        on:input=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |s| s.title = v)) } />
                    <FieldMessage id="field-title-error" message=message("title".into()) />
                </div>
                <div>
                    <label for="field-summary" class="block text-sm font-medium">"Summary"</label>
                    <textarea id="field-summary" rows="3" class=INPUT prop:value=move || scope_sig.get().summary
                        aria-invalid=move || message("summary".into()).get().map(|_| "true")
                        aria-describedby="field-summary-error"
                        on:input=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |s| s.summary = v)) }>{scope.summary.clone()}</textarea>
                    <FieldMessage id="field-summary-error" message=message("summary".into()) />
                </div>
                <div>
                    <label for="field-deliverables" class="block text-sm font-medium">"Deliverables (one per line)"</label>
                    <textarea id="field-deliverables" rows="4" class=INPUT prop:value=move || scope_sig.get().deliverables.join("\n")
                        aria-describedby="field-deliverables-error"
                        on:input=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |s| s.deliverables = v.lines().map(str::to_owned).collect())) }>{scope.deliverables.join("\n")}</textarea>
                    <FieldMessage id="field-deliverables-error" message=message("deliverables".into()) />
                </div>
            </div>
            <h3 class="mt-6 font-semibold">"Milestones"</h3>
            <FieldMessage message=message("milestones".into()) />
            <ol class="mt-2 grid gap-4">
                {move || (0..scope_sig.with(|s| s.milestones.len())).map(|i| {
                    let f = move |name: &str| format!("milestones.{i}.{name}");
                    let mid = move |name: &str| format!("field-m{i}-{name}");
                    view! {
                        <li class="rounded-md border border-slate-200 p-3 dark:border-slate-800" data-testid="milestone-draft">
                            <div class="flex items-center justify-between gap-2">
                                <span class="text-sm font-medium text-slate-500">{format!("Milestone {}", i + 1)}</span>
                                <button type="button" class=SMALL_BTN disabled=move || scope_sig.with(|s| s.milestones.len() <= 1)
                                    on:click=move |_| { amounts.update(|a| { if i < a.len() { a.remove(i); } }); edit(Box::new(move |s| { if i < s.milestones.len() { s.milestones.remove(i); } })) }>
                                    {format!("Remove milestone {}", i + 1)}
                                </button>
                            </div>
                            <label for=mid("title") class="mt-2 block text-sm font-medium">"Title"</label>
                            <input id=mid("title") class=INPUT prop:value=move || scope_sig.with(|s| s.milestones.get(i).map(|m| m.title.clone()).unwrap_or_default())
                                aria-describedby=mid("title-error")
                                aria-invalid=move || message(f("title")).get().map(|_| "true")
                                on:input=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |s| if let Some(m) = s.milestones.get_mut(i) { m.title = v })) } />
                            <FieldMessage id=mid("title-error") message=message(f("title")) />
                            <label for=mid("criteria") class="mt-2 block text-sm font-medium">"Acceptance criteria (one per line)"</label>
                            <textarea id=mid("criteria") rows="3" class=INPUT prop:value=move || scope_sig.with(|s| s.milestones.get(i).map(|m| m.acceptance_criteria.join("\n")).unwrap_or_default())
                                aria-describedby=mid("criteria-error")
                                aria-invalid=move || message(f("criteria")).get().map(|_| "true")
                                on:input=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |s| if let Some(m) = s.milestones.get_mut(i) { m.acceptance_criteria = v.lines().map(str::to_owned).collect() })) }>{scope_sig.with_untracked(|s| s.milestones.get(i).map(|m| m.acceptance_criteria.join("\n")).unwrap_or_default())}</textarea>
                            <FieldMessage id=mid("criteria-error") message=message(f("criteria")) />
                            <div class="mt-2 grid grid-cols-2 gap-3">
                                <div>
                                    <label for=mid("weeks") class="block text-sm font-medium">"Weeks"</label>
                                    <input id=mid("weeks") type="number" min="1" max="52" class=INPUT
                                        prop:value=move || scope_sig.with(|s| s.milestones.get(i).map(|m| m.weeks.to_string()).unwrap_or_default())
                                        aria-describedby=mid("weeks-error")
                                        aria-invalid=move || message(f("weeks")).get().map(|_| "true")
                                        on:input=move |ev| { let v = event_target_value(&ev).trim().parse().unwrap_or(0); edit(Box::new(move |s| if let Some(m) = s.milestones.get_mut(i) { m.weeks = v })) } />
                                    <FieldMessage id=mid("weeks-error") message=message(f("weeks")) />
                                </div>
                                <div>
                                    <label for=mid("amount") class="block text-sm font-medium">"Price (USD)"</label>
                                    <input id=mid("amount") inputmode="decimal" class=INPUT
                                        prop:value=move || amounts.with(|a| a.get(i).cloned().unwrap_or_default())
                                        aria-describedby=mid("amount-error")
                                        aria-invalid=move || message(f("amount")).get().map(|_| "true")
                                        on:input=move |ev| {
                                            let v = event_target_value(&ev);
                                            amounts.update(|a| if let Some(x) = a.get_mut(i) { x.clone_from(&v) });
                                            let currency = scope_sig.with_untracked(|s| s.currency);
                                            if let Ok(m) = Money::parse(&v, currency) {
                                                edit(Box::new(move |s| if let Some(ms) = s.milestones.get_mut(i) { ms.amount_minor = m.minor }));
                                            }
                                        } />
                                    <FieldMessage id=mid("amount-error") message=message(f("amount")) />
                                </div>
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ol>
            <button type="button" class=format!("{SMALL_BTN} mt-3") on:click=move |_| {
                amounts.update(|a| a.push("500".into()));
                edit(Box::new(|s| s.milestones.push(MilestoneDraft { title: String::new(), acceptance_criteria: vec![], weeks: 1, amount_minor: 50_000 })));
            }>"Add a milestone"</button>
            <p class="mt-4 text-lg font-semibold">"Total: " <span data-testid="scope-total">{total}</span></p>
        </section>

        <section class=format!("{CARD} mt-6") aria-labelledby="confirm-h">
            <h2 id="confirm-h" class=H2>"3. Confirm and fund"</h2>
            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">"Funds are held by Fluxorae and released to the freelancer only when you approve a milestone (or after 7 days without an answer). You can ask for changes or open a dispute."</p>
            <form class="mt-3" on:submit=move |ev| {
                ev.prevent_default();
                let card = field_value("field-card");
                let all = field_checked("fund-all");
                server_error.set(None);
                confirm.dispatch((if all { "all" } else { "first" }.to_owned(), card));
            }>
                <fieldset>
                    <legend class="text-sm font-medium">"How much to fund now"</legend>
                    <label class="mt-1 flex items-center gap-2 text-sm"><input type="radio" name="fund" id="fund-first" value="first" checked />
                        <span>"The first milestone: " {first}</span></label>
                    <label class="mt-1 flex items-center gap-2 text-sm"><input type="radio" name="fund" id="fund-all" value="all" />
                        <span>"Every milestone: " {total}</span></label>
                </fieldset>
                <label for="field-card" class="mt-3 block text-sm font-medium">"Card number"</label>
                <p id="field-card-hint" class="text-xs text-slate-600 dark:text-slate-400">
                    {domain::project::TEST_CARD_HINT}
                </p>
                <input id="field-card" name="card" inputmode="numeric" autocomplete="cc-number" class=INPUT
                    aria-describedby="field-card-hint field-card-error"
                    aria-invalid=move || card_error.get().map(|_| "true") />
                <FieldMessage id="field-card-error" message=card_error />
                {move || server_error.get().filter(|e| matches!(e, AppError::Validation(_))).map(|_| view! {
                    <p role="alert" class="mt-3 text-sm text-red-700 dark:text-red-400">"Please correct the highlighted fields; nothing was charged."</p>
                })}
                <button type="submit" class=format!("{BUTTON} mt-4") disabled=move || confirm.pending().get() || state.get() == SaveState::Saving || !local_errors.get().is_empty()>
                    {move || if confirm.pending().get() { "Confirming…" } else { "Confirm and fund" }}
                </button>
            </form>
        </section>
        <QuoteThread draft=draft.clone() />
    }
}

#[component]
fn AnalysisPanel(a: DraftAnalysis) -> impl IntoView {
    let list = |title: &'static str, items: Vec<String>| {
        (!items.is_empty()).then(|| view! {
            <div class="mt-2"><p class="font-medium">{title}</p>
                <ul class="ml-5 list-disc">{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul></div>
        })
    };
    view! {
        <aside class="mt-3 rounded-md bg-indigo-50 p-3 text-sm dark:bg-indigo-950" aria-label="AI suggestion" data-testid="analysis">
            <p class="font-semibold">"Suggested by AI — you decide"</p>
            <p class="mt-1">{format!("Budget ${}–${}, {}–{} weeks. ", a.budget_usd.0, a.budget_usd.1, a.weeks.0, a.weeks.1)}
                {format!("Confidence {:.0}%: {}", a.confidence * 100.0, a.reason)}</p>
            {(!a.comparables.is_empty()).then(|| view! {
                <p class="mt-1">"Comparable delivered projects: "
                    {a.comparables.iter().map(|c| format!("{} (${}, {} weeks)", c.title, c.budget_usd, c.weeks)).collect::<Vec<_>>().join("; ")}</p>
            })}
            {list("Assumptions", a.assumptions)}
            {list("Risks", a.risks)}
            {list("Questions to settle", a.questions)}
        </aside>
    }
}

#[component]
fn QuoteThread(draft: DraftView) -> impl IntoView {
    let thread = RwSignal::new(draft.quote.clone());
    let send = ServerAction::<QuoteMessage>::new();
    Effect::new(move |_| {
        if let Some(Ok(d)) = send.value().get() {
            thread.set(d.quote);
        }
    });
    let error = Signal::derive(move || send.value().get().and_then(|r| r.err()));
    let msg_error = Signal::derive(move || {
        error
            .get()
            .and_then(|e| e.message_for("message").map(str::to_owned))
    });
    view! {
        <section class=format!("{CARD} mt-6") aria-labelledby="quote-h">
            <h2 id="quote-h" class=H2>"Need something custom?"</h2>
            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">"Ask our team for a custom quote; they answer here."</p>
            <ul class="mt-3 grid gap-2">
                {move || thread.get().into_iter().map(|q| view! {
                    <li class="rounded-md bg-slate-50 p-2 text-sm dark:bg-slate-900"><span class="font-medium">{q.author}{q.staff.then_some(" (Fluxorae)")}</span>": "{q.body}</li>
                }).collect_view()}
            </ul>
            <ActionForm action=send attr:class="mt-3">
                <input type="hidden" name="draft" value=draft.id.to_string() />
                <label for="field-message" class="block text-sm font-medium">"Message"</label>
                <textarea id="field-message" name="message" rows="3" class=INPUT aria-describedby="field-message-error"
                    aria-invalid=move || msg_error.get().map(|_| "true")></textarea>
                <FieldMessage id="field-message-error" message=msg_error />
                <button type="submit" class=format!("{SMALL_BTN} mt-2")>"Ask for a custom quote"</button>
            </ActionForm>
        </section>
    }
}
