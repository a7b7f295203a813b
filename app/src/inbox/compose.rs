//! The inbox's composer: answer on a channel the lead wrote on. Inside the messaging window it
//! takes free text (with the team's canned responses to start from) or a template; outside it,
//! only the channel's approved templates, and it says why. A reply shows at once in the
//! conversation as queued, with the reason when it waits (a channel without an access token).

use domain::leads::attachment::{accept_list, accepted_hint, ATTACHMENT_MAX};
use domain::leads::reply::{Compose, Composer, ReplyTarget};
use domain::leads::{ChannelKind, Window};
use domain::AppError;
use leptos::prelude::*;

use super::api::{inbox_file, inbox_reply};
use super::facts::inbox_draft;
use super::{Drafts, Reload};
use crate::components::{
    action_error, chosen_file_problem, field_error, general_error, FieldMessage, FormAlert, BUTTON,
    INPUT, SMALL_BTN,
};

fn until(at: time::OffsetDateTime) -> String {
    format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

fn window_line(t: &ReplyTarget) -> String {
    match (t.window, &t.closed_reason) {
        (Window::Open { closes: Some(at) }, _) => format!(
            "On {}: free-form replies until {} (UTC).",
            t.channel_name,
            until(at)
        ),
        (Window::Open { closes: None }, _) => {
            format!(
                "On {}: no reply window, answer at any time.",
                t.channel_name
            )
        }
        (Window::TemplatesOnly, Some(reason)) => format!("On {}: {reason}", t.channel_name),
        (Window::TemplatesOnly, None) => format!("On {}: templates only.", t.channel_name),
    }
}

/// The composer of the open conversation.
#[component]
pub(super) fn Reply(composer: Composer, slug: String, lead: String) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let drafts = expect_context::<Drafts>();
    if composer.targets.is_empty() {
        return view! {
            <p class="mt-4 text-sm text-slate-600 dark:text-slate-400">"They have not written on any channel yet, so there is nowhere to answer."</p>
        }
        .into_any();
    }
    let several = composer.targets.len() > 1;
    let targets = StoredValue::new(composer.targets);
    let canned = StoredValue::new(composer.canned);
    // The channel picked, else the one they wrote on last.
    let current = move || {
        let pick = drafts.channel.get();
        targets.with_value(|ts| {
            ts.iter()
                .find(|t| Some(t.channel) == pick)
                .or_else(|| ts.first())
                .cloned()
        })
    };
    let sent_text = StoredValue::new(false);
    let (draft_slug, draft_lead) = (slug.clone(), lead.clone());
    let draft = Action::new(move |_: &()| {
        let (s, l) = (draft_slug.clone(), draft_lead.clone());
        async move { inbox_draft(s, l).await }
    });
    // A draft goes into the reply box, to be checked and edited; nothing is sent with it.
    Effect::new(move |_| {
        if let Some(Ok(d)) = draft.value().get() {
            drafts.reply.set(d.text);
        }
    });
    let drafted = move || draft.value().get().and_then(|r| r.ok());
    let (file_slug, file_lead) = (
        StoredValue::new(slug.clone()),
        StoredValue::new(lead.clone()),
    );
    let send = Action::new(move |(channel, compose): &(String, Compose)| {
        let (s, l, c) = (slug.clone(), lead.clone(), channel.clone());
        let compose = serde_json::to_string(compose).unwrap_or_default();
        async move { inbox_reply(s, l, c, compose).await }
    });
    Effect::new(move |_| {
        if send.value().get().is_some_and(|r| r.is_ok()) {
            if sent_text.get_value() {
                drafts.reply.set(String::new());
                draft.value().set(None);
            } else {
                drafts.template.set(None);
                drafts.values.set(Vec::new());
            }
            reload.0.update(|n| *n += 1);
        }
    });
    let error = action_error(send);
    let reply_error = field_error(error, "reply");
    let variables_error = field_error(error, "variables");
    let template_error = field_error(error, "template");
    let channel_error = field_error(error, "channel");

    view! {
        <section aria-labelledby="reply-heading" class="mt-4" data-testid="composer">
            <h3 id="reply-heading" class="text-sm font-semibold">"Reply"</h3>
            {several.then(|| view! {
                <label class="mt-1 block text-sm font-medium" for="reply-channel">"Answer on"
                    <select id="reply-channel" class=INPUT aria-describedby="channel-error"
                        on:change=move |ev| drafts.channel.set(event_target_value(&ev).parse().ok())>
                        {targets.with_value(|ts| ts.iter().map(|t| {
                            let id = t.channel;
                            view! { <option value=id.to_string() selected=move || current().is_some_and(|c| c.channel == id)>
                                {format!("{} ({})", t.channel_name, t.kind.label())}
                            </option> }
                        }).collect_view())}
                    </select>
                </label>
            })}
            <FieldMessage id="channel-error" message=channel_error />
            {move || current().map(|t| {
                let channel = t.channel.to_string();
                let free = t.window.free_form();
                let limit = domain::leads::reply::text_limit(t.kind);
                let text_channel = channel.clone();
                let templates = StoredValue::new(t.templates.clone());
                let chosen = move || {
                    let pick = drafts.template.get();
                    templates.with_value(|ts| ts.iter().find(|x| Some(x.id) == pick).cloned())
                };
                view! {
                    <p data-testid="window" class=if free { "mt-1 text-xs text-slate-600 dark:text-slate-400" } else { "mt-1 text-sm text-amber-800 dark:text-amber-300" }>
                        {window_line(&t)}
                    </p>
                    {t.held.clone().map(|h| view! {
                        <p data-testid="held" class="mt-1 text-xs text-amber-800 dark:text-amber-300">{h}</p>
                    })}
                    {free.then(|| view! {
                        <form class="mt-2" data-testid="text-form" on:submit=move |ev| {
                            ev.prevent_default();
                            sent_text.set_value(true);
                            send.dispatch((text_channel.clone(), Compose::Text { body: drafts.reply.get_untracked() }));
                        }>
                            {canned.with_value(|c| !c.is_empty()).then(|| view! {
                                <label class="block text-sm font-medium" for="canned">"Start from a canned response"
                                    <select id="canned" class=INPUT on:change=move |ev| {
                                        let pick = event_target_value(&ev);
                                        if let Some(body) = canned.with_value(|c| c.iter().find(|x| x.id.to_string() == pick).map(|x| x.body.clone())) {
                                            drafts.reply.set(body);
                                        }
                                    }>
                                        <option value="">"Choose one to edit…"</option>
                                        {canned.with_value(|c| c.iter().map(|x| view! { <option value=x.id.to_string()>{x.title.clone()}</option> }).collect_view())}
                                    </select>
                                </label>
                            })}
                            <div class="mt-2 flex flex-wrap items-center gap-2">
                                <label class="text-sm font-medium" for="reply">"Your reply"</label>
                                <button type="button" class=SMALL_BTN data-testid="draft-ai" disabled=move || draft.pending().get()
                                    on:click=move |_| { draft.dispatch(()); }>
                                    {move || if draft.pending().get() { "Drafting…" } else { "Draft with AI" }}
                                </button>
                            </div>
                            {move || drafted().map(|d| view! {
                                <p data-testid="draft-note" role="status" class="mt-1 text-xs text-slate-600 dark:text-slate-400">
                                    {format!("Drafted by AI from your team's facts ({}), in the language they wrote in. Check it before you send.", if d.facts_used.is_empty() { "none used".to_owned() } else { d.facts_used.join("; ") })}
                                    {d.note.map(|n| format!(" {n}"))}
                                </p>
                            })}
                            <FormAlert error=general_error(action_error(draft)) />
                            <textarea id="reply" rows="3" class=INPUT maxlength=limit aria-describedby="reply-error"
                                prop:value=move || drafts.reply.get()
                                on:input=move |ev| drafts.reply.set(event_target_value(&ev))></textarea>
                            <FieldMessage id="reply-error" message=reply_error />
                            <button type="submit" class=format!("{BUTTON} mt-2") disabled=move || send.pending().get()>"Send"</button>
                        </form>
                        <FileReply slug=file_slug.get_value() lead=file_lead.get_value() channel=t.channel kind=t.kind />
                    })}
                    {templates.with_value(|ts| !ts.is_empty()).then(|| {
                        let template_channel = channel.clone();
                        view! {
                            <form class="mt-3" data-testid="template-form" on:submit=move |ev| {
                                ev.prevent_default();
                                let Some(x) = chosen() else { return };
                                let n = usize::from(x.variables);
                                let mut variables = drafts.values.get_untracked();
                                variables.resize(n, String::new());
                                sent_text.set_value(false);
                                send.dispatch((template_channel.clone(), Compose::Template { template: x.id, variables }));
                            }>
                                <label class="block text-sm font-medium" for="template">{if free { "Or send a template" } else { "Template" }}
                                    <select id="template" class=INPUT aria-describedby="template-error"
                                        on:change=move |ev| {
                                            drafts.template.set(event_target_value(&ev).parse().ok());
                                            drafts.values.set(Vec::new());
                                        }>
                                        <option value="">"Choose a template…"</option>
                                        {templates.with_value(|ts| ts.iter().map(|x| {
                                            let id = x.id;
                                            view! { <option value=id.to_string() selected=move || drafts.template.get() == Some(id)>
                                                {format!("{} ({}, {})", x.name, x.language, x.category.label())}
                                            </option> }
                                        }).collect_view())}
                                    </select>
                                </label>
                                <FieldMessage id="template-error" message=template_error />
                                {move || chosen().map(|x| view! {
                                    <p class="mt-2 whitespace-pre-wrap rounded bg-slate-50 p-2 text-sm dark:bg-slate-900" data-testid="template-preview">{x.body.clone()}</p>
                                    <div class="mt-1 grid gap-1 sm:grid-cols-2">
                                        {(1..=usize::from(x.variables)).map(|i| view! {
                                            <label class="text-sm font-medium" for=format!("var-{i}")>{format!("Value of {{{{{i}}}}}")}
                                                <input id=format!("var-{i}") class=INPUT maxlength="1024" aria-describedby="variables-error"
                                                    prop:value=move || drafts.values.with(|v| v.get(i - 1).cloned().unwrap_or_default())
                                                    on:input=move |ev| {
                                                        let value = event_target_value(&ev);
                                                        drafts.values.update(|v| {
                                                            if v.len() < i { v.resize(i, String::new()); }
                                                            v[i - 1] = value;
                                                        });
                                                    } />
                                            </label>
                                        }).collect_view()}
                                    </div>
                                    <FieldMessage id="variables-error" message=variables_error />
                                    <button type="submit" class=format!("{SMALL_BTN} mt-2") disabled=move || send.pending().get()>"Send template"</button>
                                })}
                            </form>
                        }
                    })}
                    {(!free && templates.with_value(|ts| ts.is_empty())).then(|| view! {
                        <p class="mt-2 text-sm">"This channel has no approved templates yet; an admin adds them on the team's channels page."</p>
                    })}
                }
            })}
            <FormAlert error=general_error(error) />
        </section>
    }
    .into_any()
}

/// Sends a file on the chosen channel, with words to go with it: what the channel takes is said
/// beside the picker; the server reads the file's type from its bytes and refuses what the
/// channel does not take, at the field. A caption the channel cannot carry with the file follows
/// it as a text.
#[component]
fn FileReply(slug: String, lead: String, channel: uuid::Uuid, kind: ChannelKind) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let file_ref = NodeRef::<leptos::html::Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(form), Some(input)) = (form_ref.get(), file_ref.get()) else {
            return;
        };
        let over = "the most the inbox sends; send a link to it instead.";
        let problem = chosen_file_problem(&input, ATTACHMENT_MAX, "Choose the file to send.", over);
        if problem.is_some() {
            error.set(problem);
            return;
        }
        let done = Callback::new(move |_| reload.0.update(|n| *n += 1));
        crate::components::send_upload(form, busy, error, done, |d| inbox_file(d.into()));
    };
    let error = Signal::from(error);
    let file_error = field_error(error, "file");
    let caption_error = field_error(error, "caption");
    let caption_hint = match kind {
        ChannelKind::Whatsapp => {
            "Goes with an image, a video or a document; after audio, as a message of its own."
        }
        ChannelKind::Email => "The email's text, with the file attached.",
        ChannelKind::Messenger | ChannelKind::Instagram => "Sent as a message just after the file.",
    };
    let accept = accept_list(kind);
    view! {
        <form node_ref=form_ref class="mt-3" data-testid="file-form" on:submit=submit novalidate>
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="lead" value=lead />
            <input type="hidden" name="channel" value=channel.to_string() />
            <label for="reply-file" class="block text-sm font-medium">"Or send a file"</label>
            <p id="reply-file-hint" class="text-xs text-slate-600 dark:text-slate-400">{format!("{} takes {}.", kind.label(), accepted_hint(kind))}</p>
            <input node_ref=file_ref id="reply-file" name="file" type="file" class="mt-1 block w-full text-sm"
                accept=(!accept.is_empty()).then_some(accept)
                aria-invalid=move || file_error.get().map(|_| "true")
                aria-describedby="reply-file-hint reply-file-error" />
            <FieldMessage id="reply-file-error" message=file_error />
            <label for="reply-caption" class="mt-2 block text-sm font-medium">"Caption (optional)"</label>
            <input id="reply-caption" name="caption" class=INPUT maxlength="4096"
                aria-invalid=move || caption_error.get().map(|_| "true")
                aria-describedby="reply-caption-hint reply-caption-error" />
            <p id="reply-caption-hint" class="text-xs text-slate-600 dark:text-slate-400">{caption_hint}</p>
            <FieldMessage id="reply-caption-error" message=caption_error />
            <FormAlert error=general_error(error) />
            <button type="submit" class=format!("{SMALL_BTN} mt-2") disabled=move || busy.get()>
                {move || if busy.get() { "Sending…" } else { "Send file" }}
            </button>
        </form>
    }
}
