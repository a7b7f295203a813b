//! `/teams/:slug/inbox`: the unified inbox. On the left, one conversation per lead across
//! WhatsApp, Messenger, Instagram and email, with filters and search; on the right, the open
//! conversation with the lead's score and why, routing and SLA, tags, private notes, assignment,
//! resolve and reopen. A WebSocket tells the page when anything in the team's inbox changed, on
//! any server instance; the page then loads what it shows again. After a lost connection it
//! reconnects and loads everything again, so nothing that happened meanwhile is missed.

pub mod analytics;
pub mod api;
pub mod booking;
pub mod channels;
mod compose;
pub mod facts;
pub mod import;
pub mod tokens;

use tokens::TokenBanner;

use domain::ai::LeadBand;
use domain::leads::inbox::{
    AssigneeFilter, Conversation, ConversationRow, ConversationStatus, InboxFilter, InboxHome,
};
use domain::leads::{ChannelKind, Lifecycle};
use domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::{
    action_error, field_error, general_error, short_time, ErrorView, FieldMessage, FormAlert,
    BUTTON, CARD, H1, H2, INPUT, LINK, SMALL_BTN,
};
use api::*;

/// What the page's live connection and its actions share: bumped to load again.
#[derive(Clone, Copy)]
struct Reload(RwSignal<u32>);

/// The conversation last marked read, and a counter that reloads the list when another one is:
/// opening a conversation clears its unread mark in the list.
#[derive(Clone, Copy)]
struct Marked {
    lead: RwSignal<Option<uuid::Uuid>>,
    list: RwSignal<u32>,
}

/// What is being typed in the open conversation. It lives with the page, not the conversation,
/// so a live update that redraws the conversation keeps it; it is cleared when another
/// conversation is opened or when it was saved.
#[derive(Clone, Copy)]
struct Drafts {
    note: RwSignal<String>,
    tags: RwSignal<Option<String>>,
    /// The reply being written, the channel picked for it, the template chosen and its values.
    reply: RwSignal<String>,
    channel: RwSignal<Option<uuid::Uuid>>,
    template: RwSignal<Option<uuid::Uuid>>,
    values: RwSignal<Vec<String>>,
}

fn band_badge(band: Option<LeadBand>, score: Option<u8>) -> impl IntoView {
    let (label, class) = match band {
        Some(LeadBand::Hot) => (
            "HOT",
            "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200",
        ),
        Some(LeadBand::Warm) => (
            "WARM",
            "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200",
        ),
        Some(LeadBand::Cold) => (
            "COLD",
            "bg-sky-100 text-sky-900 dark:bg-sky-950 dark:text-sky-200",
        ),
        None => (
            "Not scored",
            "bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300",
        ),
    };
    let text = match score {
        Some(s) => format!("{label} {s}"),
        None => label.to_owned(),
    };
    view! { <span data-testid="band" class=format!("rounded px-1.5 py-0.5 text-xs font-semibold {class}")>{text}</span> }
}

fn channel_label(kinds: &[ChannelKind]) -> String {
    kinds
        .iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The inbox page.
#[component]
pub fn InboxPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let selected = move || query.read().get("lead").filter(|l| !l.is_empty());
    let reload = Reload(RwSignal::new(0));
    provide_context(reload);
    let drafts = Drafts {
        note: RwSignal::new(String::new()),
        tags: RwSignal::new(None),
        reply: RwSignal::new(String::new()),
        channel: RwSignal::new(None),
        template: RwSignal::new(None),
        values: RwSignal::new(Vec::new()),
    };
    provide_context(drafts);
    let marked = Marked {
        lead: RwSignal::new(None),
        list: RwSignal::new(0),
    };
    provide_context(marked);
    Effect::new(move |prev: Option<Option<String>>| {
        let now = selected();
        if prev.is_some_and(|p| p != now) {
            drafts.note.set(String::new());
            drafts.tags.set(None);
            drafts.reply.set(String::new());
            drafts.channel.set(None);
            drafts.template.set(None);
            drafts.values.set(Vec::new());
        }
        now
    });

    let status = RwSignal::new("open".to_owned());
    let channel = RwSignal::new(String::new());
    let band = RwSignal::new(String::new());
    let assignee = RwSignal::new("anyone".to_owned());
    let unread = RwSignal::new(false);
    let escalated = RwSignal::new(false);
    let search = RwSignal::new(String::new());
    let filter = move || InboxFilter {
        status: ConversationStatus::parse(&status.get()),
        channel: ChannelKind::parse(&channel.get()),
        band: LeadBand::parse(&band.get()),
        assignee: match assignee.get().as_str() {
            "me" => AssigneeFilter::Me,
            "unassigned" => AssigneeFilter::Unassigned,
            _ => AssigneeFilter::Anyone,
        },
        unread: unread.get(),
        escalated: escalated.get(),
        search: search.get(),
    };

    let home = Resource::new(move || (slug(), reload.0.get()), |(s, _)| inbox_frame(s));
    let list = Resource::new(
        move || {
            (
                slug(),
                serde_json::to_string(&filter()).unwrap_or_default(),
                reload.0.get(),
                marked.list.get(),
            )
        },
        |(s, f, _, _)| inbox_list(s, f),
    );
    let open = Resource::new(
        move || (slug(), selected(), reload.0.get()),
        |(s, lead, _)| async move {
            match lead {
                Some(lead) => inbox_conversation(s, lead).await.map(Some),
                None => Ok(None),
            }
        },
    );
    live(slug, reload);

    let set_online = Action::new(move |online: &bool| {
        let (s, online) = (slug(), *online);
        async move { inbox_set_online(s, online).await }
    });
    Effect::new(move |_| {
        if set_online.value().get().is_some_and(|r| r.is_ok()) {
            reload.0.update(|n| *n += 1);
        }
    });
    let online_error = action_error(set_online);

    view! {
        <Title text="Inbox" />
        <p><a href=move || format!("/teams/{}", slug()) class=LINK>"← Team"</a></p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(h) => view! { <Frame h slug=slug() set_online /> }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
        <FormAlert error=online_error />
        <form class="mt-4 flex flex-wrap items-end gap-3" role="search" on:submit=move |ev| {
            ev.prevent_default();
            search.set(crate::components::field_value("inbox-search"));
        }>
            <label class="text-sm font-medium">"Status"
                <select class=INPUT on:change=move |ev| status.set(event_target_value(&ev)) prop:value=move || status.get()>
                    <option value="open">"Open"</option>
                    <option value="resolved">"Resolved"</option>
                    <option value="">"All"</option>
                </select>
            </label>
            <label class="text-sm font-medium">"Channel"
                <select class=INPUT on:change=move |ev| channel.set(event_target_value(&ev))>
                    <option value="">"All channels"</option>
                    {ChannelKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                </select>
            </label>
            <label class="text-sm font-medium">"Score"
                <select class=INPUT on:change=move |ev| band.set(event_target_value(&ev))>
                    <option value="">"Any band"</option>
                    <option value="hot">"HOT"</option>
                    <option value="warm">"WARM"</option>
                    <option value="cold">"COLD"</option>
                </select>
            </label>
            <label class="text-sm font-medium">"Assigned to"
                <select class=INPUT on:change=move |ev| assignee.set(event_target_value(&ev))>
                    <option value="anyone">"Anyone"</option>
                    <option value="me">"Me"</option>
                    <option value="unassigned">"Nobody yet"</option>
                </select>
            </label>
            <label class="flex items-center gap-2 text-sm font-medium">
                <input type="checkbox" on:change=move |ev| unread.set(event_target_checked(&ev)) />
                "Unread only"
            </label>
            <label class="flex items-center gap-2 text-sm font-medium">
                <input type="checkbox" on:change=move |ev| escalated.set(event_target_checked(&ev)) />
                "Escalated only"
            </label>
            <label class="text-sm font-medium" for="inbox-search">"Search"
                <input id="inbox-search" type="search" class=INPUT placeholder="Name, number, email or words" maxlength="100" />
            </label>
            <button type="submit" class=SMALL_BTN>"Search"</button>
        </form>
        <div class="mt-6 lg:grid lg:grid-cols-5 lg:gap-6">
            <section aria-label="Conversations" class="min-w-0 lg:col-span-2">
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(rows) if rows.is_empty() => view! { <p class="text-slate-600 dark:text-slate-400">"No conversations match."</p> }.into_any(),
                            Ok(rows) => view! {
                                // One column that never grows past the section: long messages are cut
                                // short with an ellipsis instead of pushing under the conversation.
                                <ul class="grid grid-cols-1 gap-2">
                                    {rows.into_iter().map(|r| view! { <Row r slug=slug() selected=selected() /> }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(error) => view! { <ErrorView error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section aria-label="Conversation" class="mt-6 min-w-0 lg:col-span-3 lg:mt-0">
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match open.await {
                            Ok(Some(c)) => view! { <Open c slug=slug() /> }.into_any(),
                            Ok(None) => view! { <p class="text-slate-600 dark:text-slate-400">"Choose a conversation."</p> }.into_any(),
                            Err(error) => view! { <ErrorView error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

#[component]
fn Frame(
    h: InboxHome,
    slug: String,
    set_online: Action<bool, Result<(), AppError>>,
) -> impl IntoView {
    view! {
        <h1 class=format!("{H1} mt-2")>{format!("{} inbox", h.team)}</h1>
        <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
            {if h.only_mine { "The conversations given to you." } else { "Every conversation of the team, on every channel." }}
        </p>
        {(!h.only_mine).then(|| view! {
            <p class="mt-1 flex flex-wrap gap-4 text-sm">
                <a class=LINK href=format!("/teams/{slug}/channels")>"Channels, templates and canned responses"</a>
                <a class=LINK href=format!("/teams/{slug}/leads/import")>"Import leads from a CSV file"</a>
                <a class=LINK href=format!("/teams/{slug}/analytics")>"Leaderboard and analytics"</a>
            </p>
        })}
        <TokenBanner notice=h.tokens.clone() paused=h.tokens_paused />
        {h.busy.clone().map(|b| view! {
            <p data-testid="busy" role="status" class="mt-2 rounded-md border border-amber-300 bg-amber-50 p-2 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-200">{b}</p>
        })}
        {(!h.alerts.is_empty()).then(|| view! {
            <section aria-labelledby="leaks-heading" data-testid="leaks"
                class="mt-3 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
                <h2 id="leaks-heading" class="font-semibold">"Leads left waiting"</h2>
                <ul class="mt-1 list-disc pl-5">
                    {h.alerts.iter().map(|a| view! {
                        <li data-testid="leak">
                            <a class="underline" href=format!("/teams/{slug}/inbox?lead={}", a.lead)>{a.text()}</a>
                            {format!(" Since {} (UTC).", short_time(&a.since))}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        {h.online.map(|online| view! {
            <p class="mt-3 flex items-center gap-3 text-sm">
                <span data-testid="online">{if online { "You are online: HOT leads come to you at once." } else { "You are offline: HOT leads go to others." }}</span>
                <button type="button" class=SMALL_BTN disabled=move || set_online.pending().get()
                    on:click=move |_| { set_online.dispatch(!online); }>
                    {if online { "Go offline" } else { "Go online" }}
                </button>
            </p>
        })}
    }
}

#[component]
fn Row(r: ConversationRow, slug: String, selected: Option<String>) -> impl IntoView {
    let id = r.lead.to_string();
    let current = selected.as_deref() == Some(id.as_str());
    let href = format!("/teams/{slug}/inbox?lead={id}");
    let class = if current {
        format!("{CARD} block border-indigo-500 dark:border-indigo-400")
    } else {
        format!("{CARD} block hover:bg-slate-50 dark:hover:bg-slate-900")
    };
    view! {
        <li class="min-w-0" data-testid="conversation" data-unread=r.unread.to_string()>
            <a href=href class=class aria-current=current.then_some("page")>
                <span class="flex items-center justify-between gap-2">
                    <span class="font-medium">
                        {r.unread.then(|| view! { <span class="mr-1 inline-block h-2 w-2 rounded-full bg-indigo-600" aria-hidden="true"></span><span class="sr-only">"Unread: "</span> })}
                        {r.name.clone()}
                    </span>
                    {band_badge(r.band, r.score)}
                </span>
                <span class="mt-1 block truncate text-sm text-slate-600 dark:text-slate-400">
                    {(!r.last_inbound && r.last_text.is_some()).then_some("You: ")}
                    {r.last_text.clone().unwrap_or_else(|| "No messages yet".into())}
                </span>
                <span class="mt-1 block text-xs text-slate-500 dark:text-slate-400">
                    {channel_label(&r.channels)}
                    {r.last_at.as_deref().map(|t| format!(" · {}", short_time(t)))}
                    {format!(" · {}", r.assignee.clone().unwrap_or_else(|| "Unassigned".into()))}
                    {(r.status == ConversationStatus::Resolved).then_some(" · Resolved")}
                    {r.late.then(|| view! { <span class="font-semibold text-red-700 dark:text-red-300">" · First answer late"</span> })}
                    {r.leaking.then(|| view! { <span data-testid="leaking" class="font-semibold text-red-700 dark:text-red-300">" · Left waiting"</span> })}
                </span>
                {(!r.escalation.is_empty()).then(|| view! {
                    <span data-testid="escalated" class="mt-1 block truncate text-xs font-semibold text-amber-800 dark:text-amber-300" title=r.escalation.join("; ")>
                        {format!("Escalated: {}", r.escalation.join("; "))}
                    </span>
                })}
            </a>
        </li>
    }
}

#[component]
fn Open(c: Conversation, slug: String) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let lead = c.lead.id.to_string();
    let done = move || reload.0.update(|n| *n += 1);

    let (s1, l1) = (slug.clone(), lead.clone());
    let status = Action::new(move |to: &String| {
        let (s, l, to) = (s1.clone(), l1.clone(), to.clone());
        async move { inbox_set_status(s, l, to).await }
    });
    let (s2, l2) = (slug.clone(), lead.clone());
    let tags = Action::new(move |t: &String| {
        let (s, l, t) = (s2.clone(), l2.clone(), t.clone());
        async move { inbox_set_tags(s, l, t).await.map(|_| ()) }
    });
    let (s3, l3) = (slug.clone(), lead.clone());
    let note = Action::new(move |n: &String| {
        let (s, l, n) = (s3.clone(), l3.clone(), n.clone());
        async move { inbox_add_note(s, l, n).await }
    });
    let (s5, l5) = (slug.clone(), lead.clone());
    let stage = Action::new(move |to: &String| {
        let (s, l, to) = (s5.clone(), l5.clone(), to.clone());
        async move { inbox_set_stage(s, l, to).await }
    });
    let (s4, l4) = (slug.clone(), lead.clone());
    let assign = Action::new(move |to: &String| {
        let (s, l, to) = (s4.clone(), l4.clone(), to.clone());
        async move { inbox_assign(s, l, to).await }
    });
    let drafts = expect_context::<Drafts>();
    let note_text = drafts.note;
    // Opened (and so read): the list drops its unread mark, once per conversation opened.
    let marked = expect_context::<Marked>();
    let opened = c.lead.id;
    Effect::new(move |_| {
        if marked.lead.get_untracked() != Some(opened) {
            marked.lead.set(Some(opened));
            marked.list.update(|n| *n += 1);
        }
    });
    for action in [status, assign, stage] {
        Effect::new(move |_| {
            if action.value().get().is_some_and(|r| r.is_ok()) {
                done();
            }
        });
    }
    Effect::new(move |_| {
        if tags.value().get().is_some_and(|r| r.is_ok()) {
            drafts.tags.set(None);
            done();
        }
    });
    Effect::new(move |_| {
        if note.value().get().is_some_and(|r| r.is_ok()) {
            note_text.set(String::new());
            done();
        }
    });
    let status_error = action_error(status);
    let tags_error = action_error(tags);
    let note_error = action_error(note);
    let assign_error = action_error(assign);
    let stage_error = action_error(stage);

    let p = c.lead.clone();
    let resolved = p.status == ConversationStatus::Resolved;
    let tags_now = p.tags.join(", ");
    let current_assignee = p
        .assignee
        .as_ref()
        .map(|a| a.0.to_string())
        .unwrap_or_default();
    view! {
        <article class=CARD data-testid="open-conversation">
            <header class="flex flex-wrap items-center justify-between gap-2">
                <h2 class=H2>{p.name.clone()}</h2>
                <span class="flex items-center gap-2">
                    {band_badge(p.band, p.score)}
                    <span data-testid="status" class="text-sm">{p.status.label()}</span>
                </span>
            </header>
            <p class="mt-1 text-xs text-slate-500 dark:text-slate-400">
                {p.identities.join(" · ")} {format!(" · came through {} · {}", p.source, p.lifecycle.label())}
            </p>
            {(!p.invalid.is_empty()).then(|| view! {
                <p class="mt-1 text-xs text-red-700 dark:text-red-300">{format!("Did not read as a number or address: {}", p.invalid.join(", "))}</p>
            })}
            {(!p.escalation.is_empty()).then(|| view! {
                <section role="note" aria-labelledby="escalation-heading" data-testid="escalation"
                    class="mt-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-700 dark:bg-amber-950">
                    <h3 id="escalation-heading" class="font-semibold text-amber-900 dark:text-amber-200">
                        {format!("Escalated to a person{}", p.escalated_at.as_deref().map(|t| format!(" at {} (UTC)", short_time(t))).unwrap_or_default())}
                    </h3>
                    <ul class="mt-1 list-disc pl-5">
                        {p.escalation.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view()}
                    </ul>
                    <p class="mt-1 text-xs text-amber-900 dark:text-amber-200">"The AI may draft, but a person answers this one. Resolving the conversation closes the escalation."</p>
                </section>
            })}
            <p class="mt-2 text-sm" data-testid="routing">
                {match &p.assignee {
                    Some((_, name)) => format!("Assigned to {name}."),
                    None => match p.routing.as_str() {
                        "nurture" => "With the AI re-engagement for a day, then the junior pool.".to_owned(),
                        "junior_pool" => format!("Waiting in the junior pool. {}", p.routing_note.clone().unwrap_or_default()),
                        "waiting" => format!("Waiting for an SDR. {}", p.routing_note.clone().unwrap_or_default()),
                        _ => "Not routed yet: it is routed once scored.".to_owned(),
                    },
                }}
                {p.due.as_deref().map(|d| if p.late {
                    view! { <strong class="ml-1 text-red-700 dark:text-red-300">{format!("First answer was due {}.", short_time(d))}</strong> }.into_any()
                } else {
                    view! { <span class="ml-1">{format!("First answer due {} (UTC).", short_time(d))}</span> }.into_any()
                })}
            </p>
            {(!p.factors.is_empty()).then(|| view! {
                <section aria-labelledby="why" class="mt-3">
                    <h3 id="why" class="text-sm font-semibold">"Why this score"</h3>
                    <ul class="mt-1 list-disc pl-5 text-sm" data-testid="factors">
                        {p.factors.iter().map(|f| view! {
                            <li>{format!("{}: {} (+{:.1})", f.kind.label(), f.reason, f64::from(f.contribution) / 100.0)}</li>
                        }).collect_view()}
                    </ul>
                </section>
            })}

            <section aria-labelledby="messages" class="mt-4">
                <h3 id="messages" class="text-sm font-semibold">"Messages"</h3>
                {if c.messages.is_empty() {
                    view! { <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">"No messages yet."</p> }.into_any()
                } else {
                    view! {
                        <ol class="mt-2 grid gap-2">
                            {c.messages.iter().map(|m| {
                                let side = if m.inbound { "mr-8 bg-slate-100 dark:bg-slate-800" } else { "ml-8 bg-indigo-50 dark:bg-indigo-950" };
                                view! {
                                    <li data-testid="message" class=format!("rounded-md p-2 text-sm {side}")>
                                        <p class="text-xs text-slate-500 dark:text-slate-400">
                                            {format!("{} · {} · {}{}", if m.inbound { "Them".to_owned() } else { m.author.clone().unwrap_or_else(|| "Us".into()) },
                                                m.channel_name, short_time(&m.at),
                                                m.status.as_deref().map(|s| format!(" · {s}")).unwrap_or_default())}
                                        </p>
                                        {m.subject.clone().map(|s| view! { <p data-testid="message-subject" class="font-medium">{s}</p> })}
                                        {m.media.clone().map(|media| view! {
                                            <MessageMedia media slug=slug.clone() id=m.id kind=m.kind.clone() channel=m.channel caption=m.body.clone() inbound=m.inbound />
                                        })}
                                        {m.body.clone().or_else(|| m.media.is_none().then(|| format!("[{}]", m.kind)))
                                            .map(|b| view! { <p class="whitespace-pre-wrap">{b}</p> })}
                                        {m.error.clone().map(|e| view! {
                                            <p data-testid="message-error" class="mt-1 text-xs text-amber-800 dark:text-amber-300">{e}</p>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }}
                <p class="mt-2 text-xs text-slate-500 dark:text-slate-400">"Replies sent from the WhatsApp Business app or the page's inbox show here too."</p>
            </section>
            {c.booking.clone().map(|panel| {
                let free_text = c.composer.as_ref().is_some_and(|cp| cp.targets.iter().any(|t| t.window.free_form()));
                view! { <booking::CallPanel panel slug=slug.clone() lead=lead.clone() free_text /> }
            })}
            {c.composer.clone().map(|composer| view! { <compose::Reply composer slug=slug.clone() lead=lead.clone() /> })}

            {c.sdrs.clone().map(|sdrs| {
                let assign_error_s = field_error(assign_error, "assignee");
                view! {
                    <form class="mt-4 flex flex-wrap items-end gap-2" on:submit=move |ev| {
                        ev.prevent_default();
                        assign.dispatch(crate::components::field_value("assignee"));
                    }>
                        <label class="text-sm font-medium" for="assignee">"Assign to"
                            <select id="assignee" class=INPUT aria-describedby="assignee-error">
                                <option value="" selected=current_assignee.is_empty()>"The queue (routing decides)"</option>
                                {sdrs.into_iter().map(|s| {
                                    let v = s.user.to_string();
                                    let sel = v == current_assignee;
                                    view! { <option value=v selected=sel>{format!("{} ({} of {} open{})", s.name, s.open, s.capacity, if s.online { ", online" } else { "" })}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                        <button type="submit" class=SMALL_BTN disabled=move || assign.pending().get()>"Assign"</button>
                        <FieldMessage id="assignee-error" message=assign_error_s />
                    </form>
                    <FormAlert error=general_error(assign_error) />
                }
            })}

            {c.can_work.then(|| {
                let next = if resolved { "open" } else { "resolved" };
                let tags_field = field_error(tags_error, "tags");
                let note_field = field_error(note_error, "note");
                view! {
                    <div class="mt-4">
                        <button type="button" class=BUTTON disabled=move || status.pending().get()
                            on:click=move |_| { status.dispatch(next.to_owned()); }>
                            {if resolved { "Reopen" } else { "Resolve" }}
                        </button>
                        <FormAlert error=status_error />
                    </div>
                    <form class="mt-4 flex flex-wrap items-end gap-2" on:submit=move |ev| {
                        ev.prevent_default();
                        stage.dispatch(crate::components::field_value("stage"));
                    }>
                        <label class="text-sm font-medium" for="stage">"Stage"
                            <select id="stage" class=INPUT aria-describedby="stage-error">
                                {Lifecycle::ALL.iter().filter(|l| **l != Lifecycle::New || p.lifecycle == Lifecycle::New).map(|l| view! {
                                    <option value=l.as_str() selected=*l == p.lifecycle>{l.label()}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <button type="submit" class=SMALL_BTN disabled=move || stage.pending().get()>"Set stage"</button>
                        <FieldMessage id="stage-error" message=field_error(stage_error, "stage") />
                    </form>
                    <FormAlert error=general_error(stage_error) />
                    <form class="mt-4 flex flex-wrap items-end gap-2" on:submit=move |ev| {
                        ev.prevent_default();
                        tags.dispatch(crate::components::field_value("tags"));
                    }>
                        <label class="grow text-sm font-medium" for="tags">"Tags (comma-separated)"
                            <input id="tags" class=INPUT aria-describedby="tags-error"
                                prop:value=move || drafts.tags.get().unwrap_or_else(|| tags_now.clone())
                                on:input=move |ev| drafts.tags.set(Some(event_target_value(&ev))) />
                        </label>
                        <button type="submit" class=SMALL_BTN disabled=move || tags.pending().get()>"Save tags"</button>
                        <FieldMessage id="tags-error" message=tags_field />
                    </form>
                    <FormAlert error=general_error(tags_error) />
                    <form class="mt-4" on:submit=move |ev| {
                        ev.prevent_default();
                        note.dispatch(note_text.get_untracked());
                    }>
                        <label class="block text-sm font-medium" for="note">"Private note (the lead never sees it)"</label>
                        <textarea id="note" rows="3" class=INPUT maxlength="4000" aria-describedby="note-error"
                            prop:value=move || note_text.get()
                            on:input=move |ev| note_text.set(event_target_value(&ev))></textarea>
                        <FieldMessage id="note-error" message=note_field />
                        <FormAlert error=general_error(note_error) />
                        <button type="submit" class=format!("{BUTTON} mt-2") disabled=move || note.pending().get()>"Add note"</button>
                    </form>
                }
            })}

            <section aria-labelledby="notes" class="mt-4">
                <h3 id="notes" class="text-sm font-semibold">"Notes"</h3>
                {if c.notes.is_empty() {
                    view! { <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">"No notes yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="mt-1 grid gap-1 text-sm">
                            {c.notes.iter().map(|n| view! {
                                <li data-testid="note"><span class="font-medium">{n.author.clone()}</span>{format!(" · {}: ", short_time(&n.at))}{n.body.clone()}</li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                {(!p.tags.is_empty()).then(|| view! {
                    <p class="mt-2 flex flex-wrap gap-1" data-testid="tags">
                        {p.tags.iter().map(|t| view! { <span class="rounded bg-slate-100 px-1.5 py-0.5 text-xs dark:bg-slate-800">{t.clone()}</span> }).collect_view()}
                    </p>
                })}
            </section>
        </article>
    }
}

/// The inbox's live connection: every event reloads what the page shows; a lost connection is
/// opened again after a second and the page loads everything again (the catch-up).
#[allow(unused_variables)]
fn live(slug: impl Fn() -> String + Send + Sync + Copy + 'static, reload: Reload) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        type Socket = StoredValue<Option<web_sys::WebSocket>, LocalStorage>;

        fn mark(state: &str) {
            if let Some(root) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
            {
                let _ = root.set_attribute("data-inbox-live", state);
            }
        }

        fn connect(url: String, reload: Reload, socket: Socket, first: bool) {
            let Ok(ws) = web_sys::WebSocket::new(&url) else {
                return;
            };
            let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
                reload.0.update(|n| *n += 1);
            });
            ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            on_message.forget();
            let on_open = Closure::<dyn FnMut()>::new(move || {
                mark("open");
                // Back after a lost connection: load everything again.
                if !first {
                    reload.0.update(|n| *n += 1);
                }
            });
            ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            on_open.forget();
            let this = ws.clone();
            let on_close = Closure::<dyn FnMut()>::new(move || {
                mark("closed");
                // Only the page's current socket comes back; one closed by leaving does not.
                let current = socket
                    .try_with_value(|s| s.as_ref() == Some(&this))
                    .unwrap_or(false);
                if current {
                    let url = url.clone();
                    set_timeout(
                        move || connect(url, reload, socket, false),
                        std::time::Duration::from_secs(1),
                    );
                }
            });
            ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
            on_close.forget();
            socket.set_value(Some(ws));
        }

        let socket: Socket = StoredValue::new_local(None);
        Effect::new(move |started: Option<()>| {
            if started.is_some() {
                return;
            }
            let Some(loc) = web_sys::window().map(|w| w.location()) else {
                return;
            };
            let scheme = if loc.protocol().ok().as_deref() == Some("https:") {
                "wss"
            } else {
                "ws"
            };
            let url = format!(
                "{scheme}://{}/ws/teams/{}/inbox",
                loc.host().unwrap_or_default(),
                untrack(slug)
            );
            connect(url, reload, socket, true);
        });
        on_cleanup(move || {
            socket.try_update_value(|s| {
                if let Some(ws) = s.take() {
                    let _ = ws.close();
                }
            });
        });
    }
}

/// A message's media: in the page when fetched and the browser plays it safely, else a
/// download link, or what stands in its way (waiting for a token, failed, too large).
#[component]
fn MessageMedia(
    media: domain::leads::inbox::InboxMedia,
    slug: String,
    id: uuid::Uuid,
    kind: String,
    channel: domain::leads::ChannelKind,
    caption: Option<String>,
    inbound: bool,
) -> impl IntoView {
    use domain::leads::inbox::{media_shown, MediaShown};
    let src = format!("/teams/{slug}/inbox/media/{id}");
    let download = media
        .name
        .clone()
        .unwrap_or_else(|| format!("Download the {kind}"));
    if let Some(note) = media.note(&kind, channel) {
        return view! { <p data-testid="message-media-note" class="text-xs italic text-slate-600 dark:text-slate-400">{note}</p> }.into_any();
    }
    let alt = caption.unwrap_or_else(|| {
        if inbound {
            format!("The contact's {kind}")
        } else {
            format!("The {kind} sent")
        }
    });
    match media_shown(media.mime.as_deref().unwrap_or_default()) {
        MediaShown::Image => view! {
            <img data-testid="message-image" src=src alt=alt class="mb-1 max-h-64 max-w-full rounded" loading="lazy" />
        }.into_any(),
        MediaShown::Audio => view! {
            <audio data-testid="message-audio" src=src controls=true preload="none" class="mb-1 w-full"></audio>
        }.into_any(),
        MediaShown::Video => view! {
            <video data-testid="message-video" src=src controls=true preload="none" class="mb-1 max-h-64 max-w-full rounded"></video>
        }.into_any(),
        MediaShown::Download => view! {
            <a data-testid="message-download" href=src download="" class="mb-1 inline-block text-indigo-700 underline dark:text-indigo-300">
                {download}
            </a>
        }.into_any(),
    }
}
