//! `/teams/:slug/channels`: the team's channels and what replies need. Owners, admins and devops
//! give a channel its access token (it is stored sealed and never shown again) and turn on the
//! human-agent tag; owners, admins and product keep the WhatsApp templates and the canned
//! responses the composer offers.

use domain::leads::reply::{ChannelSettings, ChannelsPage};
use domain::leads::ChannelKind;
use domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::*;
use crate::components::{
    action_error, field_error, field_value, general_error, ErrorView, FieldMessage, FormAlert,
    BUTTON, CARD, H1, H2, INPUT, LINK, SMALL_BTN,
};

/// Bumped to load the page again after a change.
#[derive(Clone, Copy)]
struct Changed(RwSignal<u32>);

/// Reloads the page once `action` succeeded.
fn reload_on_success<I: 'static, O: Clone + Send + Sync + 'static>(
    action: Action<I, Result<O, AppError>>,
    changed: Changed,
) {
    Effect::new(move |_| {
        if action.value().get().is_some_and(|r| r.is_ok()) {
            changed.0.update(|n| *n += 1);
        }
    });
}

/// The channels page.
#[component]
pub fn ChannelsSettingsPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let changed = Changed(RwSignal::new(0));
    provide_context(changed);
    let page = Resource::new(move || (slug(), changed.0.get()), |(s, _)| team_channels(s));
    view! {
        <Title text="Channels" />
        <p><a href=move || format!("/teams/{}/inbox", slug()) class=LINK>"← Inbox"</a></p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <Page p slug=slug() /> }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Page(p: ChannelsPage, slug: String) -> impl IntoView {
    let changed = expect_context::<Changed>();
    let s = slug.clone();
    let add_canned = Action::new(move |(title, body): &(String, String)| {
        let (s, t, b) = (s.clone(), title.clone(), body.clone());
        async move { canned_add(s, t, b).await }
    });
    reload_on_success(add_canned, changed);
    let s = slug.clone();
    let remove_canned = Action::new(move |id: &String| {
        let (s, id) = (s.clone(), id.clone());
        async move { canned_remove(s, id).await }
    });
    reload_on_success(remove_canned, changed);
    let canned_error = action_error(add_canned);
    let can_edit = p.can_edit;
    let facts_slug = slug.clone();
    let s = slug.clone();
    let connect = Action::new(move |f: &[String; 3]| {
        let (s, [kind, external_id, name]) = (s.clone(), f.clone());
        async move { channel_connect(s, kind, external_id, name).await }
    });
    reload_on_success(connect, changed);
    let connect_error = action_error(connect);
    view! {
        <h1 class=format!("{H1} mt-2")>{format!("{} channels", p.team)}</h1>
        <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
            "Replies go out through Meta's Graph API with each channel's access token, and by email through each address's SMTP server. Without one, replies wait in the queue and say so."
        </p>
        {p.can_connect.then(|| view! {
            <details class=format!("{CARD} mt-4")>
                <summary class="cursor-pointer font-semibold">"Connect a channel"</summary>
                <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                    "Meta's webhooks reach the team by the WhatsApp phone number id, the Facebook page id or the Instagram account id. Email reaches it by the address it was sent to: have your mail server post each message to /webhooks/email."
                </p>
                <form class="mt-2 grid gap-2 sm:grid-cols-3" on:submit=move |ev| {
                    ev.prevent_default();
                    connect.dispatch(["connect-kind", "connect-id", "connect-name"].map(field_value));
                }>
                    <label class="text-sm font-medium" for="connect-kind">"Kind"
                        <select id="connect-kind" class=INPUT>
                            <option value="email">"Email"</option>
                            <option value="whatsapp">"WhatsApp"</option>
                            <option value="messenger">"Messenger"</option>
                            <option value="instagram">"Instagram"</option>
                        </select>
                    </label>
                    <label class="text-sm font-medium" for="connect-id">"Address or id"
                        <input id="connect-id" class=INPUT placeholder="sales@example.com" aria-describedby="connect-id-error" />
                        <FieldMessage id="connect-id-error" message=field_error(connect_error, "external_id") />
                    </label>
                    <label class="text-sm font-medium" for="connect-name">"Name"
                        <input id="connect-name" class=INPUT maxlength="120" placeholder="Sales email" aria-describedby="connect-name-error" />
                        <FieldMessage id="connect-name-error" message=field_error(connect_error, "name") />
                    </label>
                    <FieldMessage id="connect-kind-error" message=field_error(connect_error, "kind") />
                    <FormAlert error=general_error(connect_error) />
                    <button type="submit" class=format!("{SMALL_BTN} sm:col-span-3 justify-self-start") disabled=move || connect.pending().get()>"Connect"</button>
                </form>
            </details>
        })}
        {if p.channels.is_empty() {
            view! { <p class="mt-4">"No channels are connected yet."</p> }.into_any()
        } else {
            p.channels.into_iter().map(|c| view! {
                <Channel c slug=slug.clone() can_connect=p.can_connect can_edit />
            }).collect_view().into_any()
        }}
        <section class=format!("{CARD} mt-6") aria-labelledby="canned-heading">
            <h2 id="canned-heading" class=H2>"Canned responses"</h2>
            {if p.canned.is_empty() {
                view! { <p class="mt-2 text-sm">"None yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 grid gap-2 text-sm">
                        {p.canned.into_iter().map(|c| {
                            let id = c.id.to_string();
                            view! {
                                <li data-testid="canned" class="flex items-start justify-between gap-2">
                                    <span><strong>{c.title}</strong>": "{c.body}</span>
                                    {can_edit.then(|| view! {
                                        <button type="button" class=SMALL_BTN on:click=move |_| { remove_canned.dispatch(id.clone()); }>"Remove"</button>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <FormAlert error=action_error(remove_canned) />
            {can_edit.then(|| view! {
                <form class="mt-3 grid gap-2" on:submit=move |ev| {
                    ev.prevent_default();
                    add_canned.dispatch((field_value("canned-title"), field_value("canned-body")));
                }>
                    <label class="text-sm font-medium" for="canned-title">"Title"
                        <input id="canned-title" class=INPUT maxlength="80" aria-describedby="canned-title-error" />
                    </label>
                    <FieldMessage id="canned-title-error" message=field_error(canned_error, "title") />
                    <label class="text-sm font-medium" for="canned-body">"Answer"
                        <textarea id="canned-body" rows="2" class=INPUT maxlength="4096" aria-describedby="canned-body-error"></textarea>
                    </label>
                    <FieldMessage id="canned-body-error" message=field_error(canned_error, "body") />
                    <FormAlert error=general_error(canned_error) />
                    <button type="submit" class=BUTTON disabled=move || add_canned.pending().get()>"Add canned response"</button>
                </form>
            })}
        </section>
        <super::facts::FactsSection slug=facts_slug.clone() can_edit />
        <super::booking::BookingSection slug=facts_slug can_edit />
    }
}

#[component]
fn Channel(c: ChannelSettings, slug: String, can_connect: bool, can_edit: bool) -> impl IntoView {
    let changed = expect_context::<Changed>();
    let channel = c.id.to_string();
    let (s, ch) = (slug.clone(), channel.clone());
    let token = Action::new(move |t: &String| {
        let (s, ch, t) = (s.clone(), ch.clone(), t.clone());
        async move { channel_set_token(s, ch, t).await }
    });
    reload_on_success(token, changed);
    let (s, ch) = (slug.clone(), channel.clone());
    let agent = Action::new(move |on: &bool| {
        let (s, ch, on) = (s.clone(), ch.clone(), *on);
        async move { channel_set_human_agent(s, ch, on).await }
    });
    reload_on_success(agent, changed);
    let (s, ch) = (slug.clone(), channel.clone());
    let add = Action::new(move |f: &[String; 4]| {
        let (s, ch, f) = (s.clone(), ch.clone(), f.clone());
        let [name, language, category, body] = f;
        async move { channel_add_template(s, ch, name, language, category, body).await }
    });
    reload_on_success(add, changed);
    let s = slug.clone();
    let remove = Action::new(move |id: &String| {
        let (s, id) = (s.clone(), id.clone());
        async move { channel_remove_template(s, id).await }
    });
    reload_on_success(remove, changed);
    let token_error = action_error(token);
    let add_error = action_error(add);
    let p = |suffix: &str| format!("{}-{suffix}", c.id);
    let (token_id, name_id, lang_id, cat_id, body_id) = (
        p("token"),
        p("name"),
        p("language"),
        p("category"),
        p("body"),
    );
    let social = matches!(c.kind, ChannelKind::Messenger | ChannelKind::Instagram);
    let email = c.kind == ChannelKind::Email;
    let human_agent = c.human_agent;
    view! {
        <section class=format!("{CARD} mt-4") data-testid="channel" aria-label=c.name.clone()>
            <h2 class=H2>{c.name.clone()}</h2>
            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">{format!("{} · {}", c.kind.label(), c.external_id)}</p>
            <p class="mt-2 text-sm" data-testid="token-state">
                {match (c.kind == ChannelKind::Email, c.has_token) {
                    (true, true) => "Replies go out: an SMTP server is stored.",
                    (true, false) => "No SMTP server: replies wait in the queue.",
                    (false, true) => "Replies go out: an access token is stored.",
                    (false, false) => "No access token: replies wait in the queue.",
                }}
                {(c.queued > 0).then(|| format!(" {} waiting to be sent.", c.queued))}
            </p>
            {can_connect.then(|| {
                let tid = token_id.clone();
                view! {
                    <form class="mt-2 flex flex-wrap items-end gap-2" on:submit=move |ev| {
                        ev.prevent_default();
                        token.dispatch(field_value(&tid));
                    }>
                        <label class="grow text-sm font-medium" for=token_id.clone()>{match (email, c.has_token) {
                            (true, true) => "Replace the SMTP server URL (empty: remove it)",
                            (true, false) => "SMTP server URL (smtps://user:password@host:465)",
                            (false, true) => "Replace the access token (empty: remove it)",
                            (false, false) => "Access token",
                        }}
                            <input id=token_id.clone() type="password" autocomplete="off" class=INPUT aria-describedby=format!("{token_id}-error") />
                        </label>
                        <button type="submit" class=SMALL_BTN disabled=move || token.pending().get()>{if email { "Save SMTP server" } else { "Save token" }}</button>
                        <FieldMessage id=format!("{token_id}-error") message=field_error(token_error, "token") />
                    </form>
                    <FormAlert error=general_error(token_error) />
                    {social.then(|| view! {
                        <label class="mt-2 flex items-center gap-2 text-sm">
                            <input type="checkbox" prop:checked=human_agent disabled=move || agent.pending().get()
                                on:change=move |ev| { agent.dispatch(event_target_checked(&ev)); } />
                            "Human agent: answer up to 7 days after their last message"
                        </label>
                        <FormAlert error=action_error(agent) />
                    })}
                }
            })}
            {(c.kind == ChannelKind::Whatsapp).then(|| view! {
                <h3 class="mt-4 text-sm font-semibold">"Templates (for outside the 24 hours)"</h3>
                {if c.templates.is_empty() {
                    view! { <p class="mt-1 text-sm">"None yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="mt-1 grid gap-1 text-sm">
                            {c.templates.iter().map(|t| {
                                let id = t.id.to_string();
                                view! {
                                    <li data-testid="template" class="flex items-start justify-between gap-2">
                                        <span><strong>{format!("{} ({}, {})", t.name, t.language, t.category.label())}</strong>": "{t.body.clone()}</span>
                                        {can_edit.then(|| view! {
                                            <button type="button" class=SMALL_BTN on:click=move |_| { remove.dispatch(id.clone()); }>"Remove"</button>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                <FormAlert error=action_error(remove) />
                {can_edit.then(|| {
                    let ids = [name_id.clone(), lang_id.clone(), cat_id.clone(), body_id.clone()];
                    view! {
                        <form class="mt-2 grid gap-2 sm:grid-cols-3" on:submit=move |ev| {
                            ev.prevent_default();
                            add.dispatch(ids.clone().map(|i| field_value(&i)));
                        }>
                            <label class="text-sm font-medium" for=name_id.clone()>"Name in WhatsApp Manager"
                                <input id=name_id.clone() class=INPUT placeholder="follow_up" aria-describedby=format!("{name_id}-error") />
                                <FieldMessage id=format!("{name_id}-error") message=field_error(add_error, "name") />
                            </label>
                            <label class="text-sm font-medium" for=lang_id.clone()>"Language"
                                <input id=lang_id.clone() class=INPUT placeholder="en_US" aria-describedby=format!("{lang_id}-error") />
                                <FieldMessage id=format!("{lang_id}-error") message=field_error(add_error, "language") />
                            </label>
                            <label class="text-sm font-medium" for=cat_id.clone()>"Category"
                                <select id=cat_id.clone() class=INPUT>
                                    <option value="utility">"Utility"</option>
                                    <option value="marketing">"Marketing"</option>
                                    <option value="authentication">"Authentication"</option>
                                </select>
                            </label>
                            <label class="text-sm font-medium sm:col-span-3" for=body_id.clone()>"Text, with {{1}}, {{2}}, … where the values go"
                                <textarea id=body_id.clone() rows="2" class=INPUT maxlength="1024" aria-describedby=format!("{body_id}-error")></textarea>
                                <FieldMessage id=format!("{body_id}-error") message=field_error(add_error, "body") />
                            </label>
                            <FormAlert error=general_error(add_error) />
                            <button type="submit" class=format!("{SMALL_BTN} sm:col-span-3 justify-self-start") disabled=move || add.pending().get()>"Add template"</button>
                        </form>
                    }
                })}
            })}
        </section>
    }
}
