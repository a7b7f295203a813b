//! `/projects/:id`: the project's workspace — its milestones with the steps the asker may take,
//! deliveries, QA with the analyzer's suggestion, disputes, history; who is on it; and, for
//! staff, the suggested freelancers to assign; its tasks ([`super::tasks`]), files and activity
//! ([`super::files`]). It reloads when the project changes on any server instance (the
//! `/ws/projects/{id}` socket). What is typed into a milestone's form is kept in [`Drafts`] across
//! those reloads.

use domain::money::Money;
use domain::project::{
    CheckItem, MilestoneAction as A, MilestoneStatus as S, MilestoneView, Party, Resolution,
    StepInput, WorkspaceView,
};
use domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::*;
use super::chat::Live;
use crate::components::{
    element_value, field_checked, field_value, set_element_value, short_time, ErrorView,
    FieldMessage, BUTTON, CARD, H1, H2, INPUT, LINK, SMALL_BTN,
};

/// One field's draft: its text, or whether it is ticked.
#[derive(Clone, Debug, PartialEq)]
enum Draft {
    Text(String),
    Ticked(bool),
}

/// What is typed into the milestones' forms, by field id (each id ends with its milestone's id),
/// above the workspace, so that a live reload (someone else moved a task) puts it back into the
/// redrawn fields. The forms read their fields by id when sent, so the fields stay the truth;
/// this only remembers them.
#[derive(Clone, Copy)]
pub struct Drafts(StoredValue<std::collections::HashMap<String, Draft>>);

impl Drafts {
    /// Nothing typed yet.
    pub fn new() -> Self {
        Self(StoredValue::new(Default::default()))
    }

    /// Remembers the field an `input` event came from (a file field is the browser's to keep).
    fn keep(self, ev: &leptos::ev::Event) {
        use wasm_bindgen::JsCast;
        let Some(el) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let draft = match el.dyn_ref::<web_sys::HtmlInputElement>() {
            Some(i) if i.type_() == "file" => return,
            Some(i) if matches!(i.type_().as_str(), "checkbox" | "radio") => {
                Draft::Ticked(i.checked())
            }
            _ => match element_value(&el) {
                Some(v) => Draft::Text(v),
                None => return,
            },
        };
        let id = el.id();
        if !id.is_empty() {
            self.0.update_value(|d| {
                d.insert(id, draft);
            });
        }
    }

    /// Puts the drafts back into the fields under `root` that carry their ids.
    fn restore(self, root: &web_sys::Element) {
        self.0.with_value(|drafts| {
            for (id, draft) in drafts {
                if let Ok(Some(el)) = root.query_selector(&format!("[id='{id}']")) {
                    put(&el, draft);
                }
            }
        });
    }

    /// Ticks a box for the person (a suggestion they took) and remembers it.
    fn tick(self, id: String, on: bool) {
        let draft = Draft::Ticked(on);
        if let Some(el) = document().get_element_by_id(&id) {
            put(&el, &draft);
        }
        self.0.update_value(|d| {
            d.insert(id, draft);
        });
    }

    /// Forgets a milestone's drafts (its step went through).
    fn forget(self, milestone: &str) {
        self.0
            .update_value(|d| d.retain(|id, _| !id.ends_with(milestone)));
    }
}

/// Puts a draft into its field.
fn put(el: &web_sys::Element, draft: &Draft) {
    use wasm_bindgen::JsCast;
    match draft {
        Draft::Ticked(on) => {
            if let Some(i) = el.dyn_ref::<web_sys::HtmlInputElement>() {
                i.set_checked(*on);
            }
        }
        Draft::Text(v) => set_element_value(el, v),
    }
}

impl Default for Drafts {
    fn default() -> Self {
        Self::new()
    }
}

fn badge(s: S) -> &'static str {
    match s {
        S::Released => "bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100",
        S::Refunded | S::Disputed => {
            "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100"
        }
        S::Unfunded => "bg-slate-100 text-slate-800 dark:bg-slate-800 dark:text-slate-100",
        _ => "bg-indigo-100 text-indigo-900 dark:bg-indigo-900 dark:text-indigo-100",
    }
}

/// The workspace page.
#[component]
pub fn WorkspacePage() -> impl IntoView {
    let params = use_params_map();
    let project = move || params.read().get("id").unwrap_or_default();
    let changed = RwSignal::new(0u32);
    let data = Resource::new(
        move || (project(), changed.get()),
        |(p, _)| get_workspace(p),
    );
    let live = Live::new();
    provide_context(live);
    provide_context(super::tasks::TaskForms::new());
    provide_context(super::files::FileForm::new());
    provide_context(Drafts::new());
    // Live: one WebSocket per open workspace carries every change made on any instance.
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        type OnMessage = Closure<dyn FnMut(web_sys::MessageEvent)>;
        let socket = live.socket;
        let handler = StoredValue::new_local(None::<OnMessage>);
        Effect::new(move |_| {
            let id = project();
            socket.update_value(|s| {
                if let Some(ws) = s.take() {
                    let _ = ws.close();
                }
            });
            let Some(loc) = web_sys::window().map(|w| w.location()) else {
                return;
            };
            let scheme = if loc.protocol().ok().as_deref() == Some("https:") {
                "wss"
            } else {
                "ws"
            };
            let url = format!(
                "{scheme}://{}/ws/projects/{id}",
                loc.host().unwrap_or_default()
            );
            let Ok(ws) = web_sys::WebSocket::new(&url) else {
                return;
            };
            let on = OnMessage::new(move |ev: web_sys::MessageEvent| {
                let Some(text) = ev.data().as_string() else {
                    return;
                };
                let Ok(ev) = serde_json::from_str::<super::chat::LiveEvent>(&text) else {
                    return;
                };
                match ev.kind.as_str() {
                    "milestone" | "members" | "tasks" | "files" => changed.update(|n| *n += 1),
                    "lagged" => {
                        changed.update(|n| *n += 1);
                        live.reload_chat.update(|n| *n += 1);
                    }
                    other => live.apply(other, ev.data),
                }
            });
            ws.set_onmessage(Some(on.as_ref().unchecked_ref()));
            let root = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element());
            let onopen = Closure::<dyn FnMut()>::new(move || {
                if let Some(r) = &root {
                    let _ = r.set_attribute("data-live", "open");
                }
            });
            ws.set_onopen(Some(onopen.as_ref().unchecked_ref()));
            onopen.forget();
            handler.set_value(Some(on));
            socket.set_value(Some(ws));
        });
        on_cleanup(move || {
            socket.update_value(|s| {
                if let Some(ws) = s.take() {
                    let _ = ws.close();
                }
            })
        });
    }
    let reload = Callback::new(move |()| changed.update(|n| *n += 1));
    view! {
        <p><a href="/projects" class=LINK>"← Projects"</a></p>
        <div class="lg:grid lg:grid-cols-3 lg:gap-8">
            <div class="lg:col-span-2">
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match data.await {
                            Ok(ws) => view! { <Workspace ws reload /> }.into_any(),
                            Err(error) => view! { <ErrorView error /> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
            <super::chat::Chat project=Signal::derive(project) />
        </div>
    }
}

#[component]
fn Workspace(ws: WorkspaceView, reload: Callback<()>) -> impl IntoView {
    let party = ws.party;
    let project = ws.id.to_string();
    let has_freelancer = ws.members.iter().any(|m| m.role == "freelancer");
    let drafts = expect_context::<Drafts>();
    let milestones_ref = NodeRef::<leptos::html::Ol>::new();
    Effect::new(move |_| {
        if let Some(list) = milestones_ref.get() {
            drafts.restore(&list);
        }
    });
    view! {
        <Title text=ws.title.clone() />
        <h1 class=format!("{H1} mt-2")>{ws.title.clone()}</h1>
        <p class="mt-2 max-w-3xl text-slate-600 dark:text-slate-400">{ws.summary.clone()}</p>
        <p class="mt-2 text-sm" data-testid="members">
            {ws.members.iter().map(|m| format!("{} ({})", m.name, m.role)).collect::<Vec<_>>().join(" · ")}
        </p>
        {ws.pending_payment.map(|p| view! { <ConfirmPayment payment=p.to_string() reload /> })}
        {(party == Party::Staff).then(|| view! { <Assign project=project.clone() has_freelancer reload /> })}
        {(party == Party::Staff).then(|| view! { <crate::talent::Applications project=project.clone() reload /> })}
        {(party == Party::Staff).then(|| view! { <super::risk::Risk project=project.clone() reload /> })}
        <h2 class=format!("{H2} mt-8")>"Milestones"</h2>
        <ol node_ref=milestones_ref class="mt-3 grid gap-4" on:input=move |ev| drafts.keep(&ev)>
            {ws.milestones.clone().into_iter().map(|m| view! { <Milestone m party project=project.clone() reload /> }).collect_view()}
        </ol>
        <super::tasks::Tasks tasks=ws.tasks members=ws.members project=project.clone() reload />
        <super::files::Files files=ws.files milestones=ws.milestones project=project.clone() reload />
        <super::documents::Documents project=project.clone() />
        <super::files::Activity items=ws.activity />
    }
}

#[component]
fn ConfirmPayment(payment: String, reload: Callback<()>) -> impl IntoView {
    let act = Action::new(move |p: &String| {
        let p = p.clone();
        async move { confirm_payment(p).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = act.value().get() {
            reload.run(());
        }
    });
    let error = Signal::derive(move || {
        act.value().get().and_then(|r| r.err()).map(|e| {
            e.message_for("card")
                .map(str::to_owned)
                .unwrap_or_else(|| e.to_string())
        })
    });
    view! {
        <div role="alert" class="mt-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
            <p>"Your bank asks you to confirm this payment before the funds are held."</p>
            <button type="button" class=format!("{BUTTON} mt-2") on:click=move |_| { act.dispatch(payment.clone()); }>"Confirm with my bank"</button>
            <FieldMessage message=error />
        </div>
    }
}

#[component]
fn Assign(project: String, has_freelancer: bool, reload: Callback<()>) -> impl IntoView {
    let p = project.clone();
    let load = Action::new(move |_: &()| {
        let p = p.clone();
        async move { suggest_freelancers(p).await }
    });
    let assign = Action::new(move |(p, f): &(String, String)| {
        let (p, f) = (p.clone(), f.clone());
        async move { assign_freelancer(p, f).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = assign.value().get() {
            reload.run(());
        }
    });
    view! {
        <section class=format!("{CARD} mt-6") aria-labelledby="assign-h">
            <h2 id="assign-h" class=H2>{if has_freelancer { "Freelancers" } else { "No freelancer assigned yet" }}</h2>
            <button type="button" class=format!("{SMALL_BTN} mt-2") on:click=move |_| { load.dispatch(()); }>"Suggest freelancers"</button>
            {move || load.value().get().map(|r| match r {
                Err(e) => view! { <p class="mt-2 text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                Ok(list) => view! {
                    <ul class="mt-3 grid gap-2" aria-label="Suggested freelancers (AI, advisory)">
                        {list.into_iter().map(|s| {
                            let (p, id) = (project.clone(), s.user_id.to_string());
                            view! {
                                <li class="flex flex-wrap items-center justify-between gap-2 rounded-md bg-slate-50 p-2 text-sm dark:bg-slate-900">
                                    <span><span class="font-medium">{s.name.clone()}</span>{format!(" — match {:.0}%: ", s.score * 100.0)}{s.reasons.join("; ")}</span>
                                    <button type="button" class=SMALL_BTN on:click=move |_| { assign.dispatch((p.clone(), id.clone())); }>{format!("Assign {}", s.name)}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </section>
    }
}

#[component]
fn Milestone(
    m: MilestoneView,
    party: Party,
    project: String,
    reload: Callback<()>,
) -> impl IntoView {
    let mid = m.id.to_string();
    let step = Action::new(move |(id, a, input): &(String, A, StepInput)| {
        let (id, a, json) = (
            id.clone(),
            *a,
            serde_json::to_string(input).unwrap_or_default(),
        );
        async move { milestone_step(id, a.as_str().to_owned(), json).await }
    });
    let fund = Action::new(move |(p, id, card): &(String, String, String)| {
        let (p, id, card) = (p.clone(), id.clone(), card.clone());
        async move { fund_milestone(p, id, card).await }
    });
    let drafts = expect_context::<Drafts>();
    let done = mid.clone();
    Effect::new(move |_| {
        if matches!(step.value().get(), Some(Ok(_))) || matches!(fund.value().get(), Some(Ok(_))) {
            drafts.forget(&done);
            reload.run(());
        }
    });
    let error = Signal::derive(move || {
        step.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| fund.value().get().and_then(|r| r.err()))
    });
    let msg = move |field: &'static str| {
        Signal::derive(move || {
            error
                .get()
                .and_then(|e| e.message_for(field).map(str::to_owned))
        })
    };
    let general = Signal::derive(move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation(_)))
            .map(|e| e.to_string())
    });
    let p = |id: &str| format!("{id}-{}", m.id);
    let criteria = m.acceptance_criteria.clone();
    let actions = m.actions.clone();
    let fee_note = m.fee_bps.map(|f| {
        let fee = m.amount.share(f);
        format!(
            "Platform fee {}%: {}; the freelancer receives {}.",
            f as f64 / 100.0,
            fee,
            Money::new(m.amount.minor - fee.minor, m.amount.currency)
        )
    });
    let suggestion = m.qa_suggestion.clone();
    let dismissed = RwSignal::new(false);

    let send = {
        let mid = mid.clone();
        let criteria = criteria.clone();
        let m_id = m.id;
        move |a: A| {
            let pid = |id: &str| format!("{id}-{m_id}");
            let mut input = StepInput {
                note: field_value(&pid("note")),
                notes: field_value(&pid("notes")),
                links: field_value(&pid("links"))
                    .lines()
                    .map(str::to_owned)
                    .collect(),
                ..Default::default()
            };
            if matches!(a, A::QaPass | A::QaFail) {
                input.checklist = criteria
                    .iter()
                    .enumerate()
                    .map(|(i, c)| CheckItem {
                        criterion: c.clone(),
                        met: field_checked(&pid(&format!("check{i}"))),
                    })
                    .collect();
            }
            if a == A::Resolve {
                input.resolution = match field_value(&pid("outcome")).as_str() {
                    "release" => Some(Resolution::Release),
                    "refund" => Some(Resolution::Refund),
                    "partial" => {
                        Money::parse(&field_value(&pid("release")), domain::money::Currency::USD)
                            .ok()
                            .map(|m| Resolution::Partial(m.minor))
                            .or(Some(Resolution::Partial(0)))
                    }
                    _ => None,
                };
            }
            step.dispatch((mid.clone(), a, input));
        }
    };
    let has = |a: A| actions.contains(&a);
    let needs_note = has(A::RequestChanges)
        || has(A::Dispute)
        || has(A::QaFail)
        || has(A::Resolve)
        || has(A::Reverse);

    view! {
        <li class=CARD data-testid="milestone" data-status=m.status.as_str()>
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h3 class="text-lg font-semibold">{format!("{}. {}", m.position, m.title)}</h3>
                <span class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {}", badge(m.status)) data-testid="milestone-status">{m.status.label()}</span>
            </div>
            <p class="mt-1 text-sm">{format!("{} · {} weeks", m.amount, m.weeks)}
                {m.due_at.clone().map(|d| format!(" · due {}", short_time(&d)))}
                {m.approve_by.clone().map(|d| format!(" · approved automatically at {}", short_time(&d)))}</p>
            {(m.released.minor > 0 || m.refunded.minor > 0).then(|| view! {
                <p class="mt-1 text-sm">{format!("Released {} · refunded {}", m.released, m.refunded)}</p>
            })}
            {m.refunds.iter().map(|r| view! { <p class="mt-1 text-sm" data-testid="refund">{r.clone()}</p> }).collect_view()}
            <p class="mt-2 text-sm font-medium">"Acceptance criteria"</p>
            <ul class="ml-5 list-disc text-sm">{criteria.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view()}</ul>
            {m.submission.clone().map(|s| view! {
                <div class="mt-3 rounded-md bg-slate-50 p-2 text-sm dark:bg-slate-900" data-testid="submission">
                    <p class="font-medium">{format!("Delivered by {} at {}", s.author, short_time(&s.at))}</p>
                    <p class="mt-1 whitespace-pre-line">{s.notes}</p>
                    <ul>{s.links.into_iter().map(|l| view! { <li><a class=LINK href=l.clone() rel="noopener noreferrer nofollow">{l.clone()}</a></li> }).collect_view()}</ul>
                </div>
            })}
            {m.qa.clone().map(|q| view! {
                <p class="mt-2 text-sm">{format!("QA by {}: {}", q.reviewer, if q.passed { "passed" } else { "sent back" })}{(!q.note.is_empty()).then(|| format!(" — {}", q.note))}</p>
            })}
            {m.dispute.clone().map(|d| view! {
                <p class="mt-2 text-sm">{format!("Dispute opened by {}: {}", d.opened_by, d.reason)}{d.outcome.map(|o| format!(" — resolved: {o}"))}</p>
            })}

            {(party == Party::Customer && m.status == S::Unfunded).then(|| {
                let (pid, mid) = (project.clone(), mid.clone());
                let card_id = p("card");
                view! {
                    <form class="mt-3" on:submit=move |ev| { ev.prevent_default(); fund.dispatch((pid.clone(), mid.clone(), field_value(&card_id))); }>
                        <label for=p("card") class="block text-sm font-medium">"Card number"</label>
                        <p class="text-xs text-slate-600 dark:text-slate-400">{domain::project::TEST_CARD_HINT}</p>
                        <input id=p("card") inputmode="numeric" class=INPUT aria-describedby=p("card-error") />
                        <FieldMessage id=p("card-error") message=msg("card") />
                        <button type="submit" class=format!("{BUTTON} mt-2")>{format!("Fund {}", m.amount)}</button>
                    </form>
                }
            })}

            {(!actions.is_empty()).then(|| view! {
                <div class="mt-4 border-t border-slate-200 pt-3 dark:border-slate-800">
                    {has(A::Submit).then(|| view! {
                        <label for=p("notes") class="block text-sm font-medium">"What you delivered"</label>
                        <textarea id=p("notes") rows="3" class=INPUT aria-describedby=p("notes-error")></textarea>
                        <FieldMessage id=p("notes-error") message=msg("notes") />
                        <label for=p("links") class="mt-2 block text-sm font-medium">"Links (one per line)"</label>
                        <textarea id=p("links") rows="2" class=INPUT></textarea>
                    })}
                    {(has(A::QaPass)).then(|| view! {
                        {suggestion.clone().map(|s| view! {
                            <Show when=move || !dismissed.get()>
                                <aside class="mb-3 rounded-md bg-indigo-50 p-2 text-sm dark:bg-indigo-950" aria-label="QA suggestion (AI, advisory)">
                                    <p class="font-medium">{format!("AI suggests: {}", s.recommendation.as_str().replace('_', " "))}</p>
                                    <ul class="ml-5 list-disc">{s.criteria.iter().map(|c| view! { <li>{format!("{}: {}", c.criterion, c.status.as_str())}</li> }).collect_view()}</ul>
                                    {
                                        let met: Vec<bool> = s.criteria.iter().map(|c| c.status == domain::ai::CriterionStatus::Met).collect();
                                        let m_id = m.id;
                                        let take = move |_| {
                                            for (i, on) in met.iter().enumerate() {
                                                drafts.tick(format!("check{i}-{m_id}"), *on);
                                            }
                                        };
                                        view! {
                                            <button type="button" class=format!("{SMALL_BTN} mt-2 mr-2") on:click=take>"Use this suggestion"</button>
                                        }
                                    }
                                    <button type="button" class=format!("{SMALL_BTN} mt-2") on:click=move |_| dismissed.set(true)>"Dismiss"</button>
                                </aside>
                            </Show>
                        })}
                        <fieldset>
                            <legend class="text-sm font-medium">"QA checklist"</legend>
                            {criteria.iter().enumerate().map(|(i, c)| view! {
                                <label class="mt-1 flex items-center gap-2 text-sm">
                                    <input type="checkbox" id=p(&format!("check{i}")) />
                                    <span>{c.clone()}</span>
                                </label>
                            }).collect_view()}
                            <FieldMessage message=msg("checklist") />
                        </fieldset>
                    })}
                    {has(A::Resolve).then(|| view! {
                        <label for=p("outcome") class="block text-sm font-medium">"Outcome"</label>
                        <select id=p("outcome") class=INPUT>
                            <option value="">"Choose…"</option>
                            <option value="release">"Release everything to the freelancer"</option>
                            <option value="partial">"Release part, refund the rest"</option>
                            <option value="refund">"Refund everything to the customer"</option>
                        </select>
                        <FieldMessage message=msg("resolution") />
                        <label for=p("release") class="mt-2 block text-sm font-medium">"Amount released (partial)"</label>
                        <input id=p("release") inputmode="decimal" class=INPUT />
                        <FieldMessage message=msg("release") />
                    })}
                    {needs_note.then(|| view! {
                        <label for=p("note") class="mt-2 block text-sm font-medium">"Note"</label>
                        <textarea id=p("note") rows="2" class=INPUT aria-describedby=p("note-error")></textarea>
                        <FieldMessage id=p("note-error") message=msg("note") />
                    })}
                    {(has(A::Approve) && party == Party::Customer).then(|| fee_note.clone().map(|f| view! { <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{f}</p> }))}
                    <div class="mt-3 flex flex-wrap gap-2">
                        {actions.iter().map(|a| {
                            let a = *a;
                            let send = send.clone();
                            let primary = matches!(a, A::Approve | A::QaPass | A::Submit | A::Start | A::Resolve);
                            view! {
                                <button type="button" class=if primary { BUTTON } else { SMALL_BTN } disabled=move || step.pending().get()
                                    on:click=move |_| send(a)>{a.label()}</button>
                            }
                        }).collect_view()}
                    </div>
                    <p role="alert" class="mt-2 text-sm text-red-700 dark:text-red-400">{general}</p>
                </div>
            })}
            <details class="mt-3 text-sm">
                <summary class="cursor-pointer">"History"</summary>
                <ol class="mt-1 grid gap-1">
                    {m.history.into_iter().map(|h| view! {
                        <li>{format!("{} — {} by {} → {}", short_time(&h.at), h.action, if h.actor.is_empty() { "the scheduler".to_owned() } else { h.actor }, h.to.label())}{(!h.note.is_empty()).then(|| format!(": {}", h.note))}</li>
                    }).collect_view()}
                </ol>
            </details>
        </li>
    }
}
