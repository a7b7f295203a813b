//! The media library in the editor: `/editor/media` (upload, describe, delete) and the picker
//! that an image field opens. The rules (formats, size, descriptions) are `domain::site::media`,
//! checked here before anything is sent and again on the server.

use domain::site::media::{
    alt_error, human_size, size_error, MediaItem, Uploaded, ACCEPTED, ACCEPT_ATTR, ALT_MAX,
    MAX_BYTES, MAX_SIDE,
};
use domain::AppError;
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::edit_api::*;
use crate::components::{ErrorView, FieldMessage, FormAlert, BUTTON, H1, INPUT, SMALL_BTN};

/// `/editor/media`: every image, newest first, with the upload form.
#[component]
pub fn MediaLibraryPage() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let items = Resource::new(move || reload.get(), |_| list_media());
    let notice = RwSignal::new(None::<String>);
    let on_uploaded = Callback::new(move |up: Uploaded| {
        notice.set(Some(if up.new {
            format!("{} is in the library.", up.item.filename)
        } else {
            format!(
                "This image was already in the library as {}; nothing new was stored.",
                up.item.filename
            )
        }));
        reload.update(|n| *n += 1);
    });
    let on_changed = Callback::new(move |()| reload.update(|n| *n += 1));
    view! {
        <Title text="Media library" />
        <p class="text-sm"><A href="/editor" attr:class="underline">"Site editor"</A></p>
        <h1 class=H1>"Media library"</h1>
        <section aria-labelledby="upload-h" class="mt-6 max-w-xl rounded-xl border border-slate-200 p-4 dark:border-slate-800">
            <h2 id="upload-h" class="text-lg font-semibold">"Upload an image"</h2>
            <UploadForm on_done=on_uploaded />
            <p role="status" class="mt-2 text-sm text-emerald-700 dark:text-emerald-400">{move || notice.get()}</p>
        </section>
        <Transition fallback=|| view! { <p class="mt-6">"Loading the library…"</p> }>
            {move || Suspend::new(async move {
                match items.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="mt-6">"No images yet. Upload the first one above."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="mt-6 grid gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-label="Images">
                            {list.into_iter().map(|item| view! { <MediaCard item on_changed /> }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// One image with its facts, its description (editable) and, when nothing shows it, delete.
#[component]
fn MediaCard(item: MediaItem, on_changed: Callback<()>) -> impl IntoView {
    let id = item.id.clone();
    let alt = RwSignal::new(item.alt.clone());
    let saved = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let confirming = RwSignal::new(false);
    let dom = format!("alt-{}", item.id);
    let err_id = format!("{dom}-error");
    let save = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            saved.set(false);
            if let Some(m) = alt_error(&alt.get_untracked()) {
                error.set(Some(AppError::field("alt", m)));
                return;
            }
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match describe_media(id, alt.get_untracked()).await {
                    Ok(item) => {
                        alt.set(item.alt);
                        error.set(None);
                        saved.set(true);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let delete = move |_: leptos::ev::MouseEvent| {
        let id = id.clone();
        leptos::task::spawn_local(async move {
            match delete_media(id).await {
                Ok(()) => on_changed.run(()),
                Err(e) => {
                    confirming.set(false);
                    error.set(Some(e));
                }
            }
        });
    };
    let field_error = Signal::derive(move || {
        error
            .get()
            .and_then(|e| e.message_for("alt").map(str::to_owned))
    });
    let other_error = Signal::derive(move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation(_)))
    });
    let in_use = !item.used_on.is_empty();
    let facts = format!(
        "{} × {} · {} · {}",
        item.width,
        item.height,
        human_size(item.bytes.max(0) as u64),
        item.format.label()
    );
    let uploaded = format!(
        "Uploaded by {} on {}",
        item.uploaded_by,
        item.uploaded_at.get(..10).unwrap_or(&item.uploaded_at)
    );
    let used = if in_use {
        format!("Shown on {}", item.used_on.join(", "))
    } else {
        "Not shown on any page".to_owned()
    };
    view! {
        <li class="rounded-xl border border-slate-200 p-3 dark:border-slate-800" data-test="media-item">
            <img src=item.url.clone() alt=move || alt.get() width=item.width height=item.height loading="lazy"
                class="aspect-video w-full rounded bg-slate-100 object-contain dark:bg-slate-900" />
            <p class="mt-2 break-all text-sm font-medium">{item.filename.clone()}</p>
            <p class="text-xs text-slate-600 dark:text-slate-400">{facts}</p>
            <p class="text-xs text-slate-600 dark:text-slate-400">{uploaded}</p>
            <p class="text-xs text-slate-600 dark:text-slate-400" data-test="media-used">{used}</p>
            <form class="mt-2" on:submit=save novalidate>
                <label for=dom.clone() class="block text-xs font-medium">"Description (alt text)"</label>
                <input id=dom type="text" maxlength=ALT_MAX class=INPUT prop:value=move || alt.get()
                    on:input=move |ev| { alt.set(event_target_value(&ev)); saved.set(false); }
                    aria-invalid=move || field_error.get().map(|_| "true")
                    aria-describedby=move || field_error.get().map(|_| err_id.clone()) />
                <FieldMessage id=format!("alt-{}-error", item.id) message=field_error />
                <div class="mt-2 flex flex-wrap items-center gap-2">
                    <button type="submit" class=SMALL_BTN>"Save description"</button>
                    {move || saved.get().then(|| view! { <span role="status" class="text-xs text-emerald-700 dark:text-emerald-400">"Saved"</span> })}
                    {(!in_use).then(|| view! {
                        <Show when=move || confirming.get() fallback=move || view! {
                            <button type="button" class=SMALL_BTN on:click=move |_| confirming.set(true)>"Delete…"</button>
                        }>
                            <span class="text-xs">"Delete this image for good?"</span>
                            <button type="button" class="inline-flex items-center rounded bg-red-700 px-2 py-1 text-xs font-semibold text-white hover:bg-red-600" on:click=delete.clone()>"Delete"</button>
                            <button type="button" class=SMALL_BTN on:click=move |_| confirming.set(false)>"Keep"</button>
                        </Show>
                    })}
                </div>
                <FormAlert error=other_error />
            </form>
        </li>
    }
}

/// The upload form: a file and its description, checked here, then on the server.
#[component]
pub fn UploadForm(
    /// Called with what the server stored.
    on_done: Callback<Uploaded>,
    /// Makes the ids unique when the form appears more than once.
    #[prop(optional)]
    id_prefix: &'static str,
) -> impl IntoView {
    let form_ref = NodeRef::<html::Form>::new();
    let file_ref = NodeRef::<html::Input>::new();
    let alt_ref = NodeRef::<html::Input>::new();
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let file_id = format!("{id_prefix}upload-file");
    let alt_id = format!("{id_prefix}upload-alt");
    let hint_id = format!("{id_prefix}upload-hint");
    let message_for = move |field: &'static str| {
        Signal::derive(move || {
            error
                .get()
                .and_then(|e| e.message_for(field).map(str::to_owned))
        })
    };
    let (file_error, alt_err) = (message_for("file"), message_for("alt"));
    let other_error = Signal::derive(move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation(_)))
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(form), Some(input)) = (form_ref.get(), file_ref.get()) else {
            return;
        };
        let mut errs = domain::Validator::new();
        match input.files().and_then(|l| l.get(0)) {
            None => errs.add("file", "Choose an image to upload."),
            Some(f) => {
                if let Some(m) = size_error(f.size() as usize) {
                    errs.add("file", m);
                }
            }
        }
        let alt = alt_ref.get().map(|i| i.value()).unwrap_or_default();
        if let Some(m) = alt_error(&alt) {
            errs.add("alt", m);
        }
        if let Err(e) = errs.finish() {
            error.set(Some(e));
            return;
        }
        let Ok(data) = web_sys::FormData::new_with_form(&form) else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = upload_media(data.into()).await;
            busy.set(false);
            match answer {
                Ok(up) => {
                    error.set(None);
                    form.reset();
                    on_done.run(up);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let file_described = {
        let hint_id = hint_id.clone();
        move || {
            if file_error.get().is_some() {
                format!("{hint_id} {id_prefix}upload-file-error")
            } else {
                hint_id.clone()
            }
        }
    };
    let hint = format!(
        "{ACCEPTED}; up to {} and {MAX_SIDE} pixels a side.",
        human_size(MAX_BYTES as u64)
    );
    view! {
        <form node_ref=form_ref class="mt-3" on:submit=submit novalidate>
            <FormAlert error=other_error />
            <div class="mb-3">
                <label for=file_id.clone() class="block text-sm font-medium">"Image"</label>
                <p id=hint_id.clone() class="text-xs text-slate-600 dark:text-slate-400">{hint}</p>
                <input node_ref=file_ref id=file_id name="file" type="file" accept=ACCEPT_ATTR class="mt-1 block w-full text-sm"
                    aria-invalid=move || file_error.get().map(|_| "true")
                    aria-describedby=file_described />
                <FieldMessage id=format!("{id_prefix}upload-file-error") message=file_error />
            </div>
            <div class="mb-3">
                <label for=alt_id.clone() class="block text-sm font-medium">"Description (alt text) *"</label>
                <input node_ref=alt_ref id=alt_id name="alt" type="text" maxlength=ALT_MAX class=INPUT
                    aria-invalid=move || alt_err.get().map(|_| "true")
                    aria-describedby=move || alt_err.get().map(|_| format!("{id_prefix}upload-alt-error")) />
                <FieldMessage id=format!("{id_prefix}upload-alt-error") message=alt_err />
            </div>
            <button type="submit" class=BUTTON disabled=move || busy.get()>
                {move || if busy.get() { "Uploading…" } else { "Upload" }}
            </button>
        </form>
    }
}

/// The library as a list of images to choose from, and the upload form; choosing (or
/// uploading) calls `on_pick`.
#[component]
pub fn MediaPicker(on_pick: Callback<MediaItem>, on_close: Callback<()>) -> impl IntoView {
    let items = LocalResource::new(list_media);
    let uploaded = Callback::new(move |up: Uploaded| on_pick.run(up.item));
    view! {
        <div class="mt-2 rounded-lg border border-indigo-300 p-3 dark:border-indigo-800" role="group" aria-label="Media library" data-test="media-picker">
            <div class="flex items-center justify-between">
                <p class="text-sm font-medium">"Choose an image"</p>
                <button type="button" class=SMALL_BTN on:click=move |_| on_close.run(())>"Close"</button>
            </div>
            <Suspense fallback=|| view! { <p class="text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match items.await {
                        Err(e) => view! { <ErrorView error=e /> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="mt-2 text-sm">"The library is empty; upload an image below."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="mt-2 grid max-h-64 grid-cols-3 gap-2 overflow-y-auto">
                                {list.into_iter().map(|item| {
                                    let label = format!("Use {}: {}", item.filename, item.alt);
                                    let (src, alt) = (item.url.clone(), item.alt.clone());
                                    view! {
                                        <li>
                                            <button type="button" aria-label=label class="block w-full rounded border border-slate-200 p-1 hover:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500 dark:border-slate-800"
                                                on:click=move |_| on_pick.run(item.clone())>
                                                <img src=src alt=alt loading="lazy" class="aspect-square w-full object-cover" />
                                            </button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <details class="mt-3">
                <summary class="cursor-pointer text-sm font-medium">"Upload a new image"</summary>
                <UploadForm on_done=uploaded id_prefix="picker-" />
            </details>
        </div>
    }
}
