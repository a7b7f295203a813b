//! The workspace chat: messages that arrive live, edit and delete with history, read receipts,
//! typing and who is online. The workspace's socket feeds [`Live`]; messages are sent through
//! server functions (so a refused one gets its message under the field and stays typed).

use domain::project::{ChatMessage, ReadMark};
use domain::AppError;
use leptos::prelude::*;
use serde::Deserialize;

use super::api::*;
use crate::components::{short_time, FieldMessage, BUTTON, H2, LINK, SMALL_BTN};

/// What the socket says.
#[derive(Debug, Clone, Deserialize)]
pub struct LiveEvent {
    /// `milestone`, `members`, `message`, `read`, `typing`, `presence`, `lagged`.
    pub kind: String,
    /// What it carries.
    #[serde(default)]
    pub data: serde_json::Value,
}

/// The workspace's live state, shared by the page and the chat.
#[derive(Clone, Copy)]
pub struct Live {
    /// The messages shown, oldest first.
    pub messages: RwSignal<Vec<ChatMessage>>,
    /// Read marks.
    pub reads: RwSignal<Vec<ReadMark>>,
    /// Who is typing, and a ticket that clears it.
    pub typing: RwSignal<Option<(String, u32)>>,
    /// Who has the workspace open.
    pub present: RwSignal<Vec<String>>,
    /// Bumped to load the chat again (after a lag).
    pub reload_chat: RwSignal<u32>,
    /// The socket (browser only).
    #[cfg(feature = "hydrate")]
    pub socket: StoredValue<Option<web_sys::WebSocket>, LocalStorage>,
}

impl Live {
    /// Empty state.
    pub fn new() -> Self {
        Self {
            messages: RwSignal::new(vec![]),
            reads: RwSignal::new(vec![]),
            typing: RwSignal::new(None),
            present: RwSignal::new(vec![]),
            reload_chat: RwSignal::new(0),
            #[cfg(feature = "hydrate")]
            socket: StoredValue::new_local(None),
        }
    }

    /// Applies a chat event.
    pub fn apply(&self, kind: &str, data: serde_json::Value) {
        match kind {
            "message" => {
                if let Ok(m) = serde_json::from_value::<ChatMessage>(data) {
                    self.typing.update(|t| {
                        if t.as_ref().is_some_and(|(n, _)| *n == m.author) {
                            *t = None;
                        }
                    });
                    self.upsert(m);
                }
            }
            "read" => {
                if let Ok(r) = serde_json::from_value::<ReadMark>(serde_json::json!({
                    "user_id": data.get("user"), "name": data.get("name"), "last_read": data.get("last_read"),
                })) {
                    self.reads.update(|rs| {
                        rs.retain(|x| x.user_id != r.user_id);
                        rs.push(r);
                    });
                }
            }
            "typing" => {
                if let Some(name) = data.get("name").and_then(|n| n.as_str()) {
                    let ticket = self.typing.get_untracked().map_or(1, |(_, t)| t + 1);
                    self.typing.set(Some((name.to_owned(), ticket)));
                    let typing = self.typing;
                    set_timeout(
                        move || {
                            if typing.get_untracked().is_some_and(|(_, t)| t == ticket) {
                                typing.set(None);
                            }
                        },
                        std::time::Duration::from_secs(4),
                    );
                }
            }
            "presence" => {
                if let Some(list) = data.get("present").and_then(|p| p.as_array()) {
                    self.present.set(
                        list.iter()
                            .filter_map(|n| n.as_str().map(str::to_owned))
                            .collect(),
                    );
                }
            }
            _ => {}
        }
    }

    /// Adds a message, or replaces it when it is already shown (an edit, or our own echo).
    pub fn upsert(&self, m: ChatMessage) {
        self.messages
            .update(|ms| match ms.iter_mut().find(|x| x.id == m.id) {
                Some(x) => *x = m,
                None => {
                    ms.push(m);
                    ms.sort_by_key(|x| x.id);
                }
            });
    }

    /// Tells the others we are typing (at most every two seconds).
    pub fn send_typing(&self) {
        #[cfg(feature = "hydrate")]
        self.socket.with_value(|s| {
            if let Some(ws) = s {
                let _ = ws.send_with_str("typing");
            }
        });
    }
}

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}

/// The chat panel.
#[component]
pub fn Chat(project: Signal<String>) -> impl IntoView {
    let live = expect_context::<Live>();
    let loaded = Resource::new(
        move || (project.get(), live.reload_chat.get()),
        |(p, _)| get_chat(p),
    );
    Effect::new(move |_| {
        if let Some(Ok(c)) = loaded.get() {
            live.messages.set(c.messages);
            live.reads.set(c.reads);
        }
    });
    let session = crate::components::use_session();
    let me = Memo::new(move |_| {
        session
            .user
            .get()
            .and_then(|u| u.ok().flatten())
            .map(|u| u.id.0)
    });
    // Read receipts: what the last message shown is, marked read once per message.
    let last_marked = StoredValue::new(None::<uuid::Uuid>);
    Effect::new(move |_| {
        let last = live.messages.with(|ms| ms.last().map(|m| m.id));
        if let Some(id) = last {
            if last_marked.get_value() != Some(id) {
                last_marked.set_value(Some(id));
                let p = project.get_untracked();
                leptos::task::spawn_local(async move {
                    let _ = mark_read(p, id.to_string()).await;
                });
            }
        }
    });

    let body = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let last_typing = StoredValue::new(0f64);
    let send = Action::new(move |(p, b, files): &(String, String, String)| {
        let (p, b, files) = (p.clone(), b.clone(), files.clone());
        async move { post_message(p, b, Some(files)).await }
    });
    let attach_ref = NodeRef::<leptos::html::Input>::new();
    let uploading = RwSignal::new(false);
    Effect::new(move |_| match send.value().get() {
        Some(Ok(m)) => {
            body.set(String::new());
            error.set(None);
            if let Some(i) = attach_ref.get_untracked() {
                i.set_value("");
            }
            live.upsert(m);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let body_error = Signal::derive(move || {
        error.get().and_then(|e| {
            e.message_for("body").map(str::to_owned).or_else(|| {
                (e.message_for("file").is_none() && e.message_for("attachments").is_none())
                    .then(|| e.to_string())
            })
        })
    });
    let attach_error = Signal::derive(move || {
        error.get().and_then(|e| {
            e.message_for("file")
                .or_else(|| e.message_for("attachments"))
                .map(str::to_owned)
        })
    });
    // A chosen file is shared in the workspace first (the same checks as the Files panel),
    // then sent with the message; a refused file keeps the text and the choice.
    let submit = move || {
        let (p, b) = (project.get_untracked(), body.get_untracked());
        let file = attach_ref
            .get_untracked()
            .and_then(|i| i.files())
            .and_then(|l| l.get(0));
        let Some(f) = file else {
            send.dispatch((p, b, String::new()));
            return;
        };
        if f.size() as usize > domain::workspace::MAX_FILE_BYTES {
            error.set(Some(AppError::field(
                "file",
                format!(
                    "{} is over {} MB, the most a workspace takes; share a link to it instead.",
                    f.name(),
                    domain::workspace::MAX_FILE_BYTES / (1024 * 1024)
                ),
            )));
            return;
        }
        let Ok(data) = web_sys::FormData::new() else {
            return;
        };
        if data.append_with_str("project", &p).is_err()
            || data
                .append_with_blob_and_filename("file", &f, &f.name())
                .is_err()
        {
            return;
        }
        uploading.set(true);
        leptos::task::spawn_local(async move {
            let shared = upload_file(data.into()).await;
            uploading.set(false);
            match shared {
                Ok(id) => {
                    send.dispatch((p, b, id));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };

    let seen_by = move |id: uuid::Uuid, author: uuid::Uuid| {
        live.reads.with(|rs| {
            rs.iter()
                .filter(|r| r.last_read >= id && r.user_id != author && Some(r.user_id) != me.get())
                .map(|r| r.name.clone())
                .collect::<Vec<_>>()
        })
    };

    view! {
        <section class="mt-8 flex flex-col rounded-lg border border-slate-200 p-4 lg:mt-0 dark:border-slate-800" aria-labelledby="chat-h">
            <h2 id="chat-h" class=H2>"Chat"</h2>
            <p class="text-xs text-slate-600 dark:text-slate-400" data-testid="presence">
                {move || { let p = live.present.get(); if p.is_empty() { String::new() } else { format!("Online: {}", p.join(", ")) } }}
            </p>
            <ol class="mt-3 grid max-h-[32rem] gap-2 overflow-y-auto" aria-live="polite" aria-label="Messages" data-testid="messages">
                {move || {
                    let ms = live.messages.get();
                    let n = ms.len();
                    ms.into_iter().enumerate().map(|(i, m)| {
                        let mine = Some(m.author_id) == me.get();
                        let seen = if i + 1 == n { seen_by(m.id, m.author_id) } else { vec![] };
                        view! { <MessageItem m mine seen /> }
                    }).collect_view()
                }}
            </ol>
            <p class="mt-2 h-5 text-xs italic text-slate-600 dark:text-slate-400" data-testid="typing">
                {move || live.typing.get().map(|(n, _)| format!("{n} is typing…"))}
            </p>
            <form class="mt-1" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <label for="chat-body" class="sr-only">"Message"</label>
                <textarea id="chat-body" rows="2" placeholder="Write a message" class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm dark:border-slate-700 dark:bg-slate-900"
                    aria-describedby="chat-body-error"
                    aria-invalid=move || body_error.get().map(|_| "true")
                    prop:value=move || body.get()
                    on:input=move |ev| {
                        body.set(event_target_value(&ev));
                        let now = js_now();
                        if now - last_typing.get_value() > 2000.0 {
                            last_typing.set_value(now);
                            live.send_typing();
                        }
                    }
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            submit();
                        }
                    }></textarea>
                <FieldMessage id="chat-body-error" message=body_error />
                <label for="chat-file" class="mt-2 block text-xs font-medium">"Attach a file"</label>
                <input id="chat-file" type="file" node_ref=attach_ref accept=domain::workspace::ACCEPTED_FILES
                    class="block w-full text-xs" aria-describedby="chat-file-error"/>
                <FieldMessage id="chat-file-error" message=attach_error />
                <button type="submit" class=format!("{BUTTON} mt-2") disabled=move || send.pending().get() || uploading.get()>"Send"</button>
            </form>
        </section>
    }
}

fn js_now() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

#[component]
fn MessageItem(m: ChatMessage, mine: bool, seen: Vec<String>) -> impl IntoView {
    let live = expect_context::<Live>();
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(m.body.clone());
    let error = RwSignal::new(None::<String>);
    let history = RwSignal::new(None::<Vec<domain::project::Revision>>);
    let id = m.id.to_string();
    let revise = Action::new(move |(id, body): &(String, Option<String>)| {
        let (id, body) = (id.clone(), body.clone());
        async move { revise_message(id, body).await }
    });
    Effect::new(move |_| match revise.value().get() {
        Some(Ok(m)) => {
            editing.set(false);
            error.set(None);
            live.upsert(m);
        }
        Some(Err(e)) => error.set(Some(
            e.message_for("body")
                .map(str::to_owned)
                .unwrap_or_else(|| e.to_string()),
        )),
        None => {}
    });
    let (id_edit, id_del, id_hist) = (id.clone(), id.clone(), id.clone());
    view! {
        <li class=if mine { "rounded-md bg-indigo-50 p-2 text-sm dark:bg-indigo-950" } else { "rounded-md bg-slate-50 p-2 text-sm dark:bg-slate-900" } data-testid="message">
            <p class="text-xs text-slate-600 dark:text-slate-400">
                <span class="font-medium text-slate-800 dark:text-slate-200">{m.author.clone()}</span>" · "{short_time(&m.at)}
                {m.edited_at.is_some().then_some(" · edited")}
            </p>
            {if m.deleted {
                view! { <p class="italic text-slate-500">"Message deleted"</p> }.into_any()
            } else {
                view! {
                    <Show when=move || editing.get() fallback={
                        let body = m.body.clone();
                        move || view! { <p class="whitespace-pre-line" data-testid="message-body">{body.clone()}</p> }
                    }>
                        <label class="sr-only" for=format!("edit-{}", id)>"Edit message"</label>
                        <textarea id=format!("edit-{}", id) rows="2" class="block w-full rounded-md border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900"
                            prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev))></textarea>
                        <button type="button" class=format!("{SMALL_BTN} mt-1 mr-1") on:click={ let id = id_edit.clone(); move |_| { revise.dispatch((id.clone(), Some(draft.get_untracked()))); } }>"Save"</button>
                        <button type="button" class=format!("{SMALL_BTN} mt-1") on:click=move |_| editing.set(false)>"Cancel"</button>
                    </Show>
                }.into_any()
            }}
            {(!m.attachments.is_empty()).then(|| view! {
                <ul class="mt-1 grid gap-1" aria-label="Attached files">
                    {m.attachments.iter().map(|a| view! {
                        <li data-testid="attachment">
                            <a class=LINK href=a.href() download=a.name.clone()>{a.name.clone()}</a>
                            <span class="text-xs text-slate-500">{format!(" · {}", domain::site::media::human_size(a.bytes.max(0) as u64))}</span>
                        </li>
                    }).collect_view()}
                </ul>
            })}
            <FieldMessage message=Signal::derive(move || error.get()) />
            <div class="mt-1 flex flex-wrap gap-2 text-xs">
                {(mine && !m.deleted).then(|| view! {
                    <button type="button" class=LINK on:click=move |_| editing.set(true)>"Edit"</button>
                    <button type="button" class=LINK on:click={ let id = id_del.clone(); move |_| { revise.dispatch((id.clone(), None)); } }>"Delete"</button>
                })}
                {(m.edited_at.is_some() || m.deleted).then(|| view! {
                    <button type="button" class=LINK on:click={ let id = id_hist.clone(); move |_| {
                        let id = id.clone();
                        leptos::task::spawn_local(async move { history.set(message_history(id).await.ok()); });
                    } }>"History"</button>
                })}
            </div>
            {move || history.get().map(|h| view! {
                <ul class="mt-1 border-l-2 border-slate-300 pl-2 text-xs">
                    {h.into_iter().map(|r| view! { <li>{format!("{}: {}", short_time(&r.at), r.body)}</li> }).collect_view()}
                </ul>
            })}
            {(!seen.is_empty()).then(|| view! { <p class="mt-1 text-xs text-slate-500" data-testid="seen-by">{format!("Seen by {}", seen.join(", "))}</p> })}
        </li>
    }
}
