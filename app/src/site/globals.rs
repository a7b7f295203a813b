//! Reusable blocks in the editor: `/editor/blocks` lists them and starts new ones;
//! `/editor/blocks/:id` edits one with the page editor's outline, palette and forms. Pages hold a
//! reference, so a saved change shows on every page at once.

use domain::site::registry::REGISTRY;
use domain::site::Block;
use domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::edit_api::*;
use super::editor::GlobalEditor;
use crate::components::{ErrorView, FieldMessage, FormAlert, BUTTON, H1, INPUT, LINK};

/// `/editor/blocks`.
#[component]
pub fn GlobalBlocksPage() -> impl IntoView {
    let globals = Resource::new(|| (), |_| list_global_blocks());
    let name = RwSignal::new(String::new());
    let first = RwSignal::new("cta_band".to_owned());
    let error = RwSignal::new(None::<AppError>);
    let navigate = use_navigate();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(block) = Block::new(&first.get_untracked(), "b1") else {
            error.set(Some(AppError::field("kind", "Choose a kind of block.")));
            return;
        };
        let blocks = serde_json::to_string(&[block]).unwrap_or_default();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match create_global_block(name.get_untracked(), blocks).await {
                Ok(id) => navigate(&format!("/editor/blocks/{id}"), Default::default()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let name_error = Signal::derive(move || {
        error
            .get()
            .and_then(|e| e.message_for("name").map(str::to_owned))
    });
    let other_error =
        Signal::derive(move || error.get().filter(|e| e.message_for("name").is_none()));
    view! {
        <Title text="Reusable blocks" />
        <p class="text-sm"><A href="/editor" attr:class="underline">"Site editor"</A></p>
        <h1 class=H1>"Reusable blocks"</h1>
        <p class="mt-2 max-w-2xl text-sm text-slate-700 dark:text-slate-300">
            "A reusable block is written once and shown on many pages: change it here and every page that shows it changes."
        </p>
        <Suspense fallback=|| view! { <p class="mt-6">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match globals.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(list) => view! {
                        <ul class="mt-6 divide-y divide-slate-200 dark:divide-slate-800" aria-label="Reusable blocks">
                            {list.into_iter().map(|g| {
                                let used = match g.used_by {
                                    0 => "Not on any page yet".to_owned(),
                                    1 => "On 1 page".to_owned(),
                                    n => format!("On {n} pages"),
                                };
                                view! {
                                    <li class="flex flex-wrap items-baseline gap-3 py-3" data-test="global-row">
                                        <A href=format!("/editor/blocks/{}", g.id) attr:class=LINK>{g.name}</A>
                                        <span class="text-sm text-slate-600 dark:text-slate-400">{used}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Suspense>
        <section aria-labelledby="new-global" class="mt-10 max-w-xl">
            <h2 id="new-global" class="text-lg font-semibold">"New reusable block"</h2>
            <form class="mt-4" on:submit=create novalidate>
                <FormAlert error=other_error />
                <div class="mb-4">
                    <label for="global-new-name" class="block text-sm font-medium">"Name *"</label>
                    <input id="global-new-name" type="text" class=INPUT prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                        aria-invalid=move || name_error.get().map(|_| "true")
                        aria-describedby=move || name_error.get().map(|_| "global-new-name-error") />
                    <FieldMessage id="global-new-name-error" message=name_error />
                </div>
                <div class="mb-4">
                    <label for="global-new-kind" class="block text-sm font-medium">"Starts with"</label>
                    <select id="global-new-kind" class=INPUT prop:value=move || first.get() on:change=move |ev| first.set(event_target_value(&ev))>
                        {REGISTRY.iter().filter(|t| t.kind != "global" && !t.top_level_only)
                            .map(|t| view! { <option value=t.kind selected={t.kind == "cta_band"}>{t.label}</option> }).collect_view()}
                    </select>
                </div>
                <button type="submit" class=BUTTON>"Create reusable block"</button>
            </form>
        </section>
    }
}

/// `/editor/blocks/:id`.
#[component]
pub fn GlobalEditorPage() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        |id| async move {
            let all = list_global_blocks().await?;
            let this = all
                .iter()
                .find(|g| g.id == id)
                .cloned()
                .ok_or(AppError::NotFound)?;
            Ok::<_, AppError>((this, all))
        },
    );
    view! {
        <Title text="Edit reusable block" />
        <p class="text-sm"><A href="/editor/blocks" attr:class="underline">"Reusable blocks"</A></p>
        <Suspense fallback=|| view! { <p>"Loading the editor…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((global, globals)) => view! { <GlobalEditor global globals /> }.into_any(),
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
