//! The block editor (CONTENT_EDITOR and ADMIN): the page list, and one page's outline with drag
//! and drop (mouse) and moves (keyboard), the palette, field forms generated from the registry
//! with the same validation the server runs, autosave with stale-save protection, undo and redo,
//! a live preview at phone, tablet and desktop widths, publishing now or later, and the
//! revision history with diffs and rollback.

use domain::site::diff::ChangeKind;
use domain::site::media::MediaItem;
use domain::site::registry::{block_type, Category, Field, FieldKind, REGISTRY};
use domain::site::templates::TEMPLATES;
use domain::site::tree::{self, Slot};
use domain::site::validate::{global_errors, page_errors, GLOBAL_NAME_MAX};
use domain::site::views::{EditorPage, GlobalBlock, PageStatus, RevisionDiff};
use domain::site::{is_safe_media, Block, PageContent, PageKind};
use domain::{AppError, FieldError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde_json::{json, Value};

use super::edit_api::*;
use super::media::MediaPicker;
use crate::components::{
    action_error, short_time, ErrorView, Field as TextField, FieldMessage, FormAlert, BUTTON, H1,
    INPUT, LINK, SMALL_BTN,
};

const H2: &str = "text-lg font-semibold";

/// `/editor`: every page, and a new one from a template.
#[component]
pub fn EditorListPage() -> impl IntoView {
    let create = ServerAction::<CreateSitePage>::new();
    let error = action_error(create.into());
    let pages = Resource::new(|| (), |_| list_site_pages());
    view! {
        <Title text="Site editor" />
        <h1 class=H1>"Site editor"</h1>
        <nav aria-label="Site content" class="mt-2 flex gap-4 text-sm">
            <A href="/editor/media" attr:class=LINK>"Media library"</A>
            <A href="/editor/blocks" attr:class=LINK>"Reusable blocks"</A>
        </nav>
        <Suspense fallback=|| view! { <p class="mt-6">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match pages.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(list) => view! {
                        <div class="mt-6 overflow-x-auto">
                            <table class="min-w-full divide-y divide-slate-200 text-left text-sm dark:divide-slate-800">
                                <thead><tr>
                                    <th scope="col" class="py-2 pr-4">"Page"</th>
                                    <th scope="col" class="py-2 pr-4">"Address"</th>
                                    <th scope="col" class="py-2 pr-4">"Kind"</th>
                                    <th scope="col" class="py-2 pr-4">"Status"</th>
                                    <th scope="col" class="py-2 pr-4">"Last saved"</th>
                                </tr></thead>
                                <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                                    {list.into_iter().map(|p| view! {
                                        <tr data-test="page-row">
                                            <td class="py-2 pr-4"><A href=format!("/editor/pages/{}", p.id) attr:class=LINK>{p.title}</A></td>
                                            <td class="py-2 pr-4"><code>{p.path}</code></td>
                                            <td class="py-2 pr-4">{p.kind.label()}</td>
                                            <td class="py-2 pr-4">{p.status.label()}</td>
                                            <td class="py-2 pr-4">{format!("{} · {}", p.saved_by, short_time(&p.saved_at))}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
        <section aria-labelledby="new-page" class="mt-10 max-w-xl">
            <h2 id="new-page" class=H2>"New page"</h2>
            <ActionForm action=create attr:class="mt-4" attr:novalidate=true>
                <FormAlert error />
                <TextField name="title" label="Title" error />
                <TextField name="slug" label="Address (slug)" hint="Lower-case letters, digits and hyphens, e.g. spring-offer." error />
                <div class="mb-4">
                    <label for="field-kind" class="block text-sm font-medium">"Kind"</label>
                    <select id="field-kind" name="kind" class=INPUT>
                        {PageKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="mb-4">
                    <label for="field-template" class="block text-sm font-medium">"Template"</label>
                    <select id="field-template" name="template" class=INPUT>
                        {TEMPLATES.iter().map(|t| view! { <option value=t.name>{format!("{} — {}", t.label, t.description)}</option> }).collect_view()}
                    </select>
                    <FieldMessage message=Signal::derive(move || error.get().and_then(|e| e.message_for("template").map(str::to_owned))) />
                </div>
                <button type="submit" class=BUTTON>"Create page"</button>
            </ActionForm>
        </section>
    }
}

/// `/editor/pages/:id`.
#[component]
pub fn PageEditorPage() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        |id| async move {
            let page = load_site_page(id).await?;
            let globals = list_global_blocks().await?;
            Ok::<_, AppError>((page, globals))
        },
    );
    view! {
        <Title text="Edit page" />
        <Suspense fallback=|| view! { <p>"Loading the editor…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((page, globals)) => view! { <Editor initial=page globals /> }.into_any(),
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Where the draft stands.
#[derive(Debug, Clone, PartialEq)]
enum SaveState {
    Saved,
    Dirty,
    Saving,
    Invalid(usize),
    Failed(String),
}

/// One step along a prop's path: a key, or a list item.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(&'static str),
    Item(usize),
}

fn value_at<'a>(props: &'a serde_json::Map<String, Value>, path: &[Seg]) -> Option<&'a Value> {
    let (Seg::Key(first), rest) = path.split_first()? else {
        return None;
    };
    let mut v = props.get(*first)?;
    for seg in rest {
        v = match seg {
            Seg::Key(k) => v.get(*k)?,
            Seg::Item(i) => v.get(*i)?,
        };
    }
    Some(v)
}

fn set_at(props: &mut serde_json::Map<String, Value>, path: &[Seg], new: Value) {
    let Some((Seg::Key(first), rest)) = path.split_first() else {
        return;
    };
    let mut v = props.entry((*first).to_owned()).or_insert(Value::Null);
    for seg in rest {
        v = match seg {
            Seg::Key(k) => {
                if !v.is_object() {
                    *v = json!({});
                }
                match v.as_object_mut() {
                    Some(o) => o.entry((*k).to_owned()).or_insert(Value::Null),
                    None => return,
                }
            }
            Seg::Item(i) => match v.get_mut(*i) {
                Some(item) => item,
                None => return,
            },
        };
    }
    *v = new;
}

/// The field key validation uses for a path (`block.{id}.items.2.label`, items counted from 1).
fn error_key(block: &str, path: &[Seg]) -> String {
    let mut key = format!("block.{block}");
    for seg in path {
        match seg {
            Seg::Key(k) => {
                key.push('.');
                key.push_str(k);
            }
            Seg::Item(i) => key.push_str(&format!(".{}", i + 1)),
        }
    }
    key
}

fn block_name(b: &Block) -> String {
    let label = block_type(&b.kind)
        .map(|t| t.label)
        .unwrap_or("Unknown block");
    let p = b.p();
    match ["title", "heading", "author", "alt", "question"]
        .iter()
        .find_map(|k| p.text(k))
    {
        Some(t) => {
            let short: String = t.chars().take(40).collect();
            format!("{label}: {short}")
        }
        None => label.to_owned(),
    }
}

/// What the editor is editing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A page: autosaved drafts, published when the editor says so.
    Page,
    /// A reusable block: saved when the editor says so, and live at once on every page that
    /// shows it. Its name is kept in the document's title.
    Global,
}

/// The editor's state, shared by its parts.
#[derive(Clone, Copy)]
struct Ed {
    target: Target,
    id: StoredValue<String>,
    kind: PageKind,
    doc: RwSignal<PageContent>,
    saved: RwSignal<PageContent>,
    version: RwSignal<i32>,
    selected: RwSignal<Option<String>>,
    undo: RwSignal<Vec<PageContent>>,
    redo: RwSignal<Vec<PageContent>>,
    last_key: StoredValue<Option<String>>,
    state: RwSignal<SaveState>,
    conflict: RwSignal<Option<String>>,
    server_errors: RwSignal<Vec<FieldError>>,
    errors: Memo<Vec<FieldError>>,
    dragging: RwSignal<Option<String>>,
    preview_rev: RwSignal<u32>,
    notice: RwSignal<Option<String>>,
    history_rev: RwSignal<u32>,
    summary_status: RwSignal<PageStatus>,
    live_path: StoredValue<String>,
}

impl Ed {
    /// Applies an edit. Edits of the same field in a row make one undo step.
    fn edit(self, key: Option<String>, f: impl FnOnce(&mut PageContent)) {
        let before = self.doc.get_untracked();
        let mut after = before.clone();
        f(&mut after);
        if after == before {
            return;
        }
        let coalesce = key.is_some() && self.last_key.get_value() == key;
        if !coalesce {
            self.undo.update(|u| {
                u.push(before);
                if u.len() > 200 {
                    u.remove(0);
                }
            });
            self.redo.set(Vec::new());
        }
        self.last_key.set_value(key);
        self.doc.set(after);
    }

    fn undo(self) {
        let Some(prev) = self.undo.try_update(|u| u.pop()).flatten() else {
            return;
        };
        let now = self.doc.get_untracked();
        self.redo.update(|r| r.push(now));
        self.last_key.set_value(None);
        self.doc.set(prev);
    }

    fn redo(self) {
        let Some(next) = self.redo.try_update(|r| r.pop()).flatten() else {
            return;
        };
        let now = self.doc.get_untracked();
        self.undo.update(|u| u.push(now));
        self.last_key.set_value(None);
        self.doc.set(next);
    }

    fn error(self, key: &str) -> Option<String> {
        self.errors
            .with(|e| e.iter().find(|x| x.field == key).map(|x| x.message.clone()))
            .or_else(|| {
                self.server_errors
                    .with(|e| e.iter().find(|x| x.field == key).map(|x| x.message.clone()))
            })
    }

    /// A refused save: a conflict stops autosave until the editor reloads; field problems are
    /// shown at their fields.
    fn save_refused(self, e: AppError) {
        match e {
            AppError::Conflict(m) => {
                self.conflict.set(Some(m));
                self.state.set(SaveState::Dirty);
            }
            AppError::Validation(errs) => {
                self.state.set(SaveState::Invalid(errs.len()));
                self.server_errors.set(errs);
            }
            e => self.state.set(SaveState::Failed(e.to_string())),
        }
    }

    fn new_id(self, kind: &str) -> String {
        let taken = tree::ids(&self.doc.get_untracked().blocks);
        tree::fresh_id(kind, &taken)
    }

    /// Adds a new block of `kind` after the selected one (or at the end of the page).
    fn add(self, kind: &'static str) {
        let id = self.new_id(kind);
        let Some(block) = Block::new(kind, id.clone()) else {
            return;
        };
        let sel = self.selected.get_untracked();
        self.edit(None, |d| {
            let slot = sel
                .as_deref()
                .and_then(|s| tree::slot_of(&d.blocks, s))
                .filter(|s| tree::may_hold(&d.blocks, s.parent.as_deref(), kind))
                .map(|s| Slot {
                    parent: s.parent,
                    index: s.index + 1,
                });
            let placed = match slot {
                Some(s) => tree::insert(&mut d.blocks, block.clone(), &s),
                None => false,
            };
            if !placed {
                let end = d.blocks.len();
                let _ = tree::insert(&mut d.blocks, block, &Slot::page(end));
            }
        });
        if tree::find(&self.doc.get_untracked().blocks, &id).is_some() {
            self.selected.set(Some(id));
        } else {
            self.notice.set(Some(format!(
                "A {} cannot go there.",
                block_type(kind).map(|t| t.label).unwrap_or(kind)
            )));
        }
    }

    /// Moves a block (or puts a new one from the palette, `new:{kind}`) at `slot`.
    fn drop_at(self, dragged: String, slot: Slot) {
        if let Some(kind) = dragged.strip_prefix("new:") {
            let Some(t) = REGISTRY.iter().find(|t| t.kind == kind) else {
                return;
            };
            let id = self.new_id(t.kind);
            let Some(block) = Block::new(t.kind, id.clone()) else {
                return;
            };
            let mut ok = false;
            self.edit(None, |d| ok = tree::insert(&mut d.blocks, block, &slot));
            if ok {
                self.selected.set(Some(id));
            } else {
                self.notice
                    .set(Some(format!("A {} cannot go there.", t.label)));
            }
            return;
        }
        let mut ok = false;
        self.edit(None, |d| ok = tree::move_to(&mut d.blocks, &dragged, &slot));
        if !ok {
            self.notice.set(Some("That block cannot go there.".into()));
        }
    }

    fn keep_focus(self, id: String) {
        request_animation_frame(move || {
            if let Some(el) = document().get_element_by_id(&format!("outline-{id}")) {
                use web_sys::wasm_bindgen::JsCast;
                if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        });
    }
}

impl Ed {
    fn new(
        target: Target,
        id: String,
        kind: PageKind,
        content: PageContent,
        version: i32,
        status: PageStatus,
        live_path: String,
    ) -> Self {
        let doc = RwSignal::new(content.clone());
        let errors = Memo::new(move |_| {
            doc.with(|d| match target {
                Target::Page => page_errors(d, kind),
                Target::Global => global_errors(&d.title, &d.blocks),
            })
        });
        Ed {
            target,
            id: StoredValue::new(id),
            kind,
            doc,
            saved: RwSignal::new(content.clone()),
            version: RwSignal::new(version),
            selected: RwSignal::new(content.blocks.first().map(|b| b.id.clone())),
            undo: RwSignal::new(Vec::new()),
            redo: RwSignal::new(Vec::new()),
            last_key: StoredValue::new(None),
            state: RwSignal::new(SaveState::Saved),
            conflict: RwSignal::new(None),
            server_errors: RwSignal::new(Vec::new()),
            errors,
            dragging: RwSignal::new(None),
            preview_rev: RwSignal::new(0),
            notice: RwSignal::new(None),
            history_rev: RwSignal::new(0),
            summary_status: RwSignal::new(status),
            live_path: StoredValue::new(live_path),
        }
    }
}

#[component]
fn Editor(initial: EditorPage, globals: Vec<GlobalBlock>) -> impl IntoView {
    let ed = Ed::new(
        Target::Page,
        initial.summary.id.clone(),
        initial.summary.kind,
        initial.content,
        initial.version,
        initial.summary.status,
        initial.summary.path,
    );
    autosave(ed);
    view! { <EditorBody ed globals /> }
}

/// The editor of one reusable block (`/editor/blocks/:id`).
#[component]
pub(super) fn GlobalEditor(global: GlobalBlock, globals: Vec<GlobalBlock>) -> impl IntoView {
    let mut content = PageContent::titled(global.name);
    content.blocks = global.blocks;
    let ed = Ed::new(
        Target::Global,
        global.id,
        PageKind::Page,
        content,
        global.version,
        PageStatus::Published,
        String::new(),
    );
    track_changes(ed);
    let others: Vec<GlobalBlock> = globals
        .into_iter()
        .filter(|g| g.id != ed.id.get_value())
        .collect();
    view! { <EditorBody ed globals=others /> }
}

#[component]
fn EditorBody(ed: Ed, globals: Vec<GlobalBlock>) -> impl IntoView {
    let globals = StoredValue::new(globals);
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        let typing = ev
            .target()
            .and_then(|t| web_sys::wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if typing || !(ev.ctrl_key() || ev.meta_key()) {
            return;
        }
        match (ev.key().as_str(), ev.shift_key()) {
            ("z" | "Z", false) => {
                ev.prevent_default();
                ed.undo();
            }
            ("z" | "Z", true) | ("y", false) => {
                ev.prevent_default();
                ed.redo();
            }
            _ => {}
        }
    };
    let page = ed.target == Target::Page;
    view! {
        <div class="space-y-4" on:keydown=on_keydown data-test="editor">
            {if page { view! { <Toolbar ed /> }.into_any() } else { view! { <GlobalToolbar ed /> }.into_any() }}
            <div class="grid gap-6 xl:grid-cols-[20rem_1fr]">
                <div class="space-y-6">
                    {view! { <Outline ed /> }.into_any()}
                    {view! { <Palette ed /> }.into_any()}
                </div>
                <div class="space-y-6">
                    {view! { <BlockForm ed globals /> }.into_any()}
                    {if page {
                        view! {
                            {view! { <PageSettings ed /> }.into_any()}
                            {view! { <Preview ed /> }.into_any()}
                            {view! { <History ed /> }.into_any()}
                        }.into_any()
                    } else {
                        view! { <GlobalSettings ed /> }.into_any()
                    }}
                </div>
            </div>
        </div>
    }
    .into_any()
}

/// For a reusable block: the document's state against what is stored (it is saved by hand).
fn track_changes(ed: Ed) {
    Effect::new(move |_| {
        let changed = ed.doc.with(|d| ed.saved.with(|s| d != s));
        let problems = ed.errors.with(Vec::len);
        if !matches!(ed.state.get_untracked(), SaveState::Saving) {
            ed.state.set(match (changed, problems) {
                (false, _) => SaveState::Saved,
                (true, 0) => SaveState::Dirty,
                (true, n) => SaveState::Invalid(n),
            });
        }
    });
}

fn state_text(state: SaveState, target: Target) -> String {
    match state {
        SaveState::Saved => "All changes saved".to_owned(),
        SaveState::Dirty if target == Target::Global => "Unsaved changes".to_owned(),
        SaveState::Dirty => "Unsaved changes…".to_owned(),
        SaveState::Saving => "Saving…".to_owned(),
        SaveState::Invalid(n) => format!(
            "Not saved: fix {n} problem{} first",
            if n == 1 { "" } else { "s" }
        ),
        SaveState::Failed(m) => format!("Not saved: {m}"),
    }
}

/// The reusable block's toolbar: save (live at once wherever it is shown), undo and redo.
#[component]
fn GlobalToolbar(ed: Ed) -> impl IntoView {
    let save = Action::new(move |_: &()| {
        let sent = ed.doc.get_untracked();
        let (id, version) = (ed.id.get_value(), ed.version.get_untracked());
        let blocks = serde_json::to_string(&sent.blocks).unwrap_or_default();
        let name = sent.title.clone();
        ed.state.set(SaveState::Saving);
        async move { (sent, save_global_block(id, version, name, blocks).await) }
    });
    Effect::new(move |_| {
        let Some((sent, result)) = save.value().get() else {
            return;
        };
        match result {
            Ok(v) => {
                ed.version.set(v);
                ed.server_errors.set(Vec::new());
                ed.saved.set(sent.clone());
                ed.state.set(if ed.doc.get_untracked() == sent {
                    SaveState::Saved
                } else {
                    SaveState::Dirty
                });
                ed.notice.set(Some(format!(
                    "Saved. Every page that shows “{}” shows it now.",
                    sent.title.trim()
                )));
            }
            Err(e) => ed.save_refused(e),
        }
    });
    let can_save = move || {
        ed.state.get() == SaveState::Dirty && ed.conflict.get().is_none() && !save.pending().get()
    };
    view! {
        <div class="sticky top-0 z-10 flex flex-wrap items-center gap-3 border-b border-slate-200 bg-white/95 py-3 dark:border-slate-800 dark:bg-slate-950/95">
            <h1 class="mr-auto text-xl font-bold">{move || format!("Reusable block: {}", ed.doc.with(|d| d.title.clone()))}</h1>
            <span class="text-sm" role="status" data-test="save-state">{move || state_text(ed.state.get(), Target::Global)}</span>
            <button type="button" class=SMALL_BTN on:click=move |_| ed.undo() disabled=move || ed.undo.with(Vec::is_empty)>"Undo"</button>
            <button type="button" class=SMALL_BTN on:click=move |_| ed.redo() disabled=move || ed.redo.with(Vec::is_empty)>"Redo"</button>
            <button type="button" class=BUTTON disabled=move || !can_save() on:click=move |_| { save.dispatch(()); }>
                {move || if save.pending().get() { "Saving…" } else { "Save for every page" }}
            </button>
        </div>
        <p class="text-sm text-slate-700 dark:text-slate-300">"Saving changes this block on every page that shows it, live pages included."</p>
        <Banners ed />
    }
}

/// The reusable block's name.
#[component]
fn GlobalSettings(ed: Ed) -> impl IntoView {
    let error = Signal::derive(move || ed.error("name"));
    view! {
        <section aria-labelledby="global-settings-h" class="rounded-xl border border-slate-200 p-4 dark:border-slate-800">
            <h2 id="global-settings-h" class=H2>"Reusable block"</h2>
            <label for="global-name" class="mt-3 block text-sm font-medium">"Name (for editors) *"</label>
            <input id="global-name" type="text" maxlength=GLOBAL_NAME_MAX class=INPUT
                prop:value=move || ed.doc.with(|d| d.title.clone())
                on:input=move |ev| { let v = event_target_value(&ev); ed.edit(Some("name".into()), move |d| d.title = v); }
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=move || error.get().map(|_| "global-name-error") />
            <FieldMessage id="global-name-error" message=error />
        </section>
    }
}

/// Saves the draft 1.2 s after the last change when it validates; one save at a time.
fn autosave(ed: Ed) {
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let in_flight = StoredValue::new(false);
    let again = StoredValue::new(false);
    let save = move || {
        if in_flight.get_value() {
            again.set_value(true);
            return;
        }
        let sent = ed.doc.get_untracked();
        if sent == ed.saved.get_untracked() || ed.conflict.get_untracked().is_some() {
            return;
        }
        let count = ed.errors.get_untracked().len();
        if count > 0 {
            ed.state.set(SaveState::Invalid(count));
            return;
        }
        in_flight.set_value(true);
        ed.state.set(SaveState::Saving);
        let json = serde_json::to_string(&sent).unwrap_or_default();
        let id = ed.id.get_value();
        let version = ed.version.get_untracked();
        leptos::task::spawn_local(async move {
            match save_site_page(id, version, json).await {
                Ok(saved) => {
                    ed.version.set(saved.version);
                    ed.server_errors.set(Vec::new());
                    ed.saved.set(saved.content.clone());
                    if ed.doc.get_untracked() == sent && saved.content != sent {
                        // The server cleaned some rich text: show what is stored.
                        ed.doc.set(saved.content);
                    }
                    ed.state
                        .set(if ed.doc.get_untracked() == ed.saved.get_untracked() {
                            SaveState::Saved
                        } else {
                            SaveState::Dirty
                        });
                    ed.summary_status.update(|s| {
                        if *s == PageStatus::Published {
                            *s = PageStatus::Changed;
                        }
                    });
                    ed.preview_rev.update(|r| *r += 1);
                }
                Err(e) => ed.save_refused(e),
            }
            in_flight.set_value(false);
            if again.get_value() {
                again.set_value(false);
                if ed.doc.get_untracked() != ed.saved.get_untracked() {
                    ed.state.set(SaveState::Dirty);
                    let _ = set_timeout_with_handle(
                        move || ed.doc.update(|_| {}),
                        std::time::Duration::from_millis(50),
                    );
                }
            }
        });
    };
    Effect::new(move |_| {
        let changed = ed.doc.with(|d| ed.saved.with_untracked(|s| d != s));
        if !changed {
            // Back to what is stored (an undo, say): nothing to save.
            if matches!(
                ed.state.get_untracked(),
                SaveState::Dirty | SaveState::Invalid(_)
            ) {
                if let Some(t) = timer.get_value() {
                    t.clear();
                }
                ed.state.set(SaveState::Saved);
            }
            return;
        }
        ed.state.set(SaveState::Dirty);
        if let Some(t) = timer.get_value() {
            t.clear();
        }
        timer.set_value(set_timeout_with_handle(save, std::time::Duration::from_millis(1200)).ok());
    });
}

#[component]
fn Toolbar(ed: Ed) -> impl IntoView {
    let publish = Action::new(move |_: &()| {
        let id = ed.id.get_value();
        let version = ed.version.get_untracked();
        async move { publish_site_page(id, version).await }
    });
    let schedule_at = RwSignal::new(String::new());
    let schedule = Action::new(move |at: &String| {
        let id = ed.id.get_value();
        let version = ed.version.get_untracked();
        let at = at.clone();
        async move { schedule_site_page(id, version, at, browser_offset_minutes()).await }
    });
    Effect::new(move |_| {
        if let Some(result) = publish.value().get() {
            match result {
                Ok(n) => {
                    ed.notice
                        .set(Some(format!("Published. Revision {n} is live.")));
                    ed.summary_status.set(PageStatus::Published);
                    ed.history_rev.update(|r| *r += 1);
                }
                Err(AppError::Conflict(m)) => ed.conflict.set(Some(m)),
                Err(e) => ed.notice.set(Some(format!("Not published: {e}"))),
            }
        }
    });
    Effect::new(move |_| {
        if let Some(result) = schedule.value().get() {
            match result {
                Ok(n) => {
                    ed.notice.set(Some(format!(
                        "Scheduled: revision {n} goes live at the time you chose."
                    )));
                    ed.summary_status.set(PageStatus::Scheduled);
                    ed.history_rev.update(|r| *r += 1);
                }
                Err(e) => ed.notice.set(Some(
                    e.message_for("publish_at")
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("Not scheduled: {e}")),
                )),
            }
        }
    });
    let can_publish = move || {
        ed.state.get() == SaveState::Saved
            && ed.conflict.get().is_none()
            && !publish.pending().get()
    };
    let state_text = move || state_text(ed.state.get(), Target::Page);
    view! {
        <div class="sticky top-0 z-10 flex flex-wrap items-center gap-3 border-b border-slate-200 bg-white/95 py-3 dark:border-slate-800 dark:bg-slate-950/95">
            <h1 class="mr-auto text-xl font-bold">{move || ed.doc.with(|d| d.title.clone())}</h1>
            <span class="text-sm" role="status" data-test="save-state">{state_text}</span>
            <span class="rounded-full bg-slate-100 px-2 py-0.5 text-xs dark:bg-slate-800" data-test="page-status">{move || ed.summary_status.get().label()}</span>
            <button type="button" class=SMALL_BTN on:click=move |_| ed.undo() disabled=move || ed.undo.with(Vec::is_empty)>"Undo"</button>
            <button type="button" class=SMALL_BTN on:click=move |_| ed.redo() disabled=move || ed.redo.with(Vec::is_empty)>"Redo"</button>
            <a class=LINK href=ed.live_path.get_value() target="_blank" rel="noopener">"View live page"</a>
            <button type="button" class=BUTTON disabled=move || !can_publish() on:click=move |_| { publish.dispatch(()); }>
                {move || if publish.pending().get() { "Publishing…" } else { "Publish" }}
            </button>
            <details class="relative">
                <summary class="cursor-pointer text-sm font-medium">"Schedule"</summary>
                <div class="absolute right-0 z-20 mt-2 w-72 rounded-md border border-slate-200 bg-white p-3 shadow-lg dark:border-slate-800 dark:bg-slate-900">
                    <label for="publish-at" class="block text-sm font-medium">"Publish at (your time)"</label>
                    <input id="publish-at" type="datetime-local" class=INPUT prop:value=move || schedule_at.get() on:input=move |ev| schedule_at.set(event_target_value(&ev)) />
                    <button type="button" class=format!("{BUTTON} mt-2") disabled=move || !can_publish() on:click=move |_| { schedule.dispatch(schedule_at.get_untracked()); }>"Schedule publish"</button>
                    {move || (ed.summary_status.get() == PageStatus::Scheduled).then(|| view! {
                        <button type="button" class=format!("{SMALL_BTN} mt-2") on:click=move |_| {
                            let id = ed.id.get_value();
                            leptos::task::spawn_local(async move {
                                match cancel_site_schedule(id).await {
                                    Ok(()) => { ed.notice.set(Some("The scheduled publish is cancelled.".into())); ed.summary_status.set(PageStatus::Changed); }
                                    Err(e) => ed.notice.set(Some(e.to_string())),
                                }
                            });
                        }>"Cancel the scheduled publish"</button>
                    })}
                </div>
            </details>
        </div>
        <Banners ed />
    }
}

/// Under the toolbar: a stale-save refusal with a way to reload, and the last notice.
#[component]
fn Banners(ed: Ed) -> impl IntoView {
    view! {
        {move || ed.conflict.get().map(|m| view! {
            <div role="alert" class="rounded-md border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100" data-test="conflict">
                <p>{m}</p>
                <button type="button" class=format!("{SMALL_BTN} mt-2") on:click=move |_| { let _ = window().location().reload(); }>"Reload the page"</button>
            </div>
        })}
        {move || ed.notice.get().map(|m| view! {
            <p role="status" class="rounded-md border border-emerald-300 bg-emerald-50 px-4 py-2 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100" data-test="notice">{m}</p>
        })}
    }
}

/// Minutes east of UTC in the browser, for a local date and time.
fn browser_offset_minutes() -> i32 {
    #[cfg(feature = "hydrate")]
    {
        -(js_sys::Date::new_0().get_timezone_offset() as i32)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0
    }
}

#[component]
fn Outline(ed: Ed) -> impl IntoView {
    view! {
        <section aria-labelledby="outline-h" class="rounded-xl border border-slate-200 p-4 dark:border-slate-800">
            <h2 id="outline-h" class=H2>"Blocks"</h2>
            <p class="mt-1 text-xs text-slate-600 dark:text-slate-400">
                "Drag a block to move it, or focus it and use Alt+↑/↓ to move, Alt+→ to put it into the section above, Alt+← to take it out."
            </p>
            {move || ed.errors.with(|e| e.iter().find(|x| x.field == "blocks").map(|x| x.message.clone())).map(|m| view! {
                <p class="mt-2 text-sm text-red-700 dark:text-red-400">{m}</p>
            })}
            <div class="mt-3" data-test="outline">
                {move || {
                    let blocks = ed.doc.with(|d| d.blocks.clone());
                    outline_list(ed, blocks, None)
                }}
            </div>
        </section>
    }
}

fn drop_zone(ed: Ed, slot: Slot) -> AnyView {
    let over = RwSignal::new(false);
    let label = match &slot.parent {
        None => format!("Drop at position {} on the page", slot.index + 1),
        Some(p) => format!("Drop at position {} in {p}", slot.index + 1),
    };
    let slot_attr = format!("{}:{}", slot.parent.clone().unwrap_or_default(), slot.index);
    view! {
        <div
            class=move || if over.get() { "h-3 rounded bg-indigo-400" } else { "h-2 rounded" }
            data-drop=slot_attr
            aria-hidden="true"
            title=label
            on:dragover=move |ev: web_sys::DragEvent| { ev.prevent_default(); over.set(true); }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                over.set(false);
                let dragged = ed.dragging.get_untracked().or_else(|| ev.data_transfer().and_then(|d| d.get_data("text/plain").ok()));
                ed.dragging.set(None);
                if let Some(d) = dragged.filter(|d| !d.is_empty()) {
                    ed.drop_at(d, slot.clone());
                }
            }
        ></div>
    }
    .into_any()
}

fn outline_list(ed: Ed, blocks: Vec<Block>, parent: Option<String>) -> AnyView {
    let n = blocks.len();
    let items = blocks
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            view! {
                <li class="list-none" role="presentation">{drop_zone(ed, Slot { parent: parent.clone(), index: i })}</li>
                {outline_item(ed, b)}
            }
        })
        .collect_view();
    view! {
        <ul class="space-y-0.5" role="list">
            {items}
            <li class="list-none" role="presentation">{drop_zone(ed, Slot { parent: parent.clone(), index: n })}</li>
        </ul>
    }
    .into_any()
}

fn outline_item(ed: Ed, b: Block) -> AnyView {
    let id = b.id.clone();
    let name = block_name(&b);
    let container = block_type(&b.kind).is_some_and(|t| t.is_container());
    let has_error = {
        let prefix = format!("block.{id}");
        Memo::new(move |_| {
            ed.errors.with(|e| {
                e.iter()
                    .any(|x| x.field == prefix || x.field.starts_with(&format!("{prefix}.")))
            })
        })
    };
    let selected = {
        let id = id.clone();
        Memo::new(move |_| ed.selected.get().as_deref() == Some(id.as_str()))
    };
    let children = container.then(|| outline_list(ed, b.children.clone(), Some(id.clone())));
    let (i1, i2, i3, i4, i5, i6, i7) = (
        id.clone(),
        id.clone(),
        id.clone(),
        id.clone(),
        id.clone(),
        id.clone(),
        id.clone(),
    );
    let keydown = {
        let id = id.clone();
        move |ev: web_sys::KeyboardEvent| {
            if !ev.alt_key() {
                return;
            }
            let moved = match ev.key().as_str() {
                "ArrowUp" => {
                    let mut ok = false;
                    ed.edit(None, |d| ok = tree::shift(&mut d.blocks, &id, -1));
                    ok
                }
                "ArrowDown" => {
                    let mut ok = false;
                    ed.edit(None, |d| ok = tree::shift(&mut d.blocks, &id, 1));
                    ok
                }
                "ArrowRight" => {
                    let mut ok = false;
                    ed.edit(None, |d| ok = tree::indent(&mut d.blocks, &id));
                    ok
                }
                "ArrowLeft" => {
                    let mut ok = false;
                    ed.edit(None, |d| ok = tree::outdent(&mut d.blocks, &id));
                    ok
                }
                _ => return,
            };
            ev.prevent_default();
            if moved {
                ed.keep_focus(id.clone());
            }
        }
    };
    view! {
        <li class="list-none">
            <div
                class=move || format!("flex items-center gap-1 rounded border px-2 py-1 text-sm {} {}",
                    if selected.get() { "border-indigo-500 bg-indigo-50 dark:bg-indigo-950" } else { "border-slate-200 dark:border-slate-800" },
                    if has_error.get() { "border-l-4 border-l-red-600" } else { "" })
                data-block=id.clone()
            >
                <span
                    aria-hidden="true"
                    class="cursor-grab select-none px-1 text-slate-500"
                    title="Drag to move"
                    draggable="true"
                    data-drag=""
                    on:dragstart=move |ev: web_sys::DragEvent| {
                        if let Some(dt) = ev.data_transfer() { let _ = dt.set_data("text/plain", &i1); }
                        ed.dragging.set(Some(i1.clone()));
                    }
                    on:dragend=move |_| ed.dragging.set(None)
                >"⠿"</span>
                <button
                    type="button"
                    id=format!("outline-{i2}")
                    class="min-w-0 flex-1 truncate text-left"
                    aria-pressed=move || if selected.get() { "true" } else { "false" }
                    on:click=move |_| ed.selected.set(Some(i2.clone()))
                    on:keydown=keydown
                >
                    {name.clone()}
                    {move || has_error.get().then(|| view! { <span class="sr-only">" (has problems)"</span> })}
                </button>
                <button type="button" class=SMALL_BTN aria-label=format!("Move {name} up") on:click=move |_| ed.edit(None, |d| { tree::shift(&mut d.blocks, &i3, -1); })>"↑"</button>
                <button type="button" class=SMALL_BTN aria-label=format!("Move {name} down") on:click=move |_| ed.edit(None, |d| { tree::shift(&mut d.blocks, &i4, 1); })>"↓"</button>
                <button type="button" class=SMALL_BTN aria-label=format!("Duplicate {name}") on:click=move |_| {
                    let taken = std::cell::RefCell::new(tree::ids(&ed.doc.get_untracked().blocks));
                    ed.edit(None, |d| {
                        let _ = tree::duplicate(&mut d.blocks, &i5, &mut |kind: &str| {
                            let id = tree::fresh_id(kind, &taken.borrow());
                            taken.borrow_mut().push(id.clone());
                            id
                        });
                    });
                }>"⧉"</button>
                <button type="button" class=SMALL_BTN aria-label=format!("Remove {name}") on:click=move |_| {
                    ed.edit(None, |d| { tree::remove(&mut d.blocks, &i6); });
                    if ed.selected.get_untracked().as_deref() == Some(i7.as_str()) { ed.selected.set(None); }
                }>"✕"</button>
            </div>
            {children.map(|c| view! { <div class="ml-4 border-l border-slate-200 pl-2 dark:border-slate-800">{c}</div> })}
        </li>
    }
    .into_any()
}

#[component]
fn Palette(ed: Ed) -> impl IntoView {
    view! {
        <section aria-labelledby="palette-h" class="rounded-xl border border-slate-200 p-4 dark:border-slate-800">
            <h2 id="palette-h" class=H2>"Add a block"</h2>
            <p class="mt-1 text-xs text-slate-600 dark:text-slate-400">"Adds after the selected block, or drag one into the outline."</p>
            {Category::ALL.iter().map(|c| {
                let types: Vec<_> = REGISTRY.iter().filter(|t| t.category == *c && t.kind != "hero").collect();
                view! {
                    <h3 class="mt-3 text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">{c.label()}</h3>
                    <ul class="mt-1 flex flex-wrap gap-1">
                        {types.into_iter().map(|t| {
                            let kind = t.kind;
                            view! {
                                <li>
                                    <button type="button" class=SMALL_BTN title=t.description draggable="true"
                                        on:dragstart=move |ev: web_sys::DragEvent| {
                                            let key = format!("new:{kind}");
                                            if let Some(dt) = ev.data_transfer() { let _ = dt.set_data("text/plain", &key); }
                                            ed.dragging.set(Some(key));
                                        }
                                        on:click=move |_| ed.add(kind)
                                    >{format!("+ {}", t.label)}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
            }).collect_view()}
        </section>
    }
}

#[component]
fn BlockForm(ed: Ed, globals: StoredValue<Vec<GlobalBlock>>) -> impl IntoView {
    // Redrawn only when the selection (or the selected block's existence) changes, so typing
    // keeps its focus; each input reads and writes the document itself.
    let selected_kind = Memo::new(move |_| {
        let id = ed.selected.get()?;
        ed.doc
            .with(|d| tree::find(&d.blocks, &id).map(|b| (id.clone(), b.kind.clone())))
    });
    view! {
        <section aria-labelledby="form-h" class="rounded-xl border border-slate-200 p-4 dark:border-slate-800" data-test="block-form">
            {move || match selected_kind.get() {
                None => view! {
                    <h2 id="form-h" class=H2>"Block"</h2>
                    <p class="mt-2 text-sm">"Select a block in the outline to edit it."</p>
                }.into_any(),
                Some((id, kind)) => {
                    let t = block_type(&kind);
                    let label = t.map(|t| t.label).unwrap_or("Unknown block");
                    let fields: &'static [Field] = t.map(|t| t.fields).unwrap_or(&[]);
                    let block_error = {
                        let key = format!("block.{id}");
                        move || ed.error(&key)
                    };
                    view! {
                        <h2 id="form-h" class=H2>{label}</h2>
                        <FieldMessage message=Signal::derive(block_error) />
                        <div class="mt-3 grid gap-3">
                            {fields.iter().map(|f| field_input(ed, id.clone(), vec![Seg::Key(f.name)], f, globals)).collect_view()}
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn field_input(
    ed: Ed,
    block: String,
    path: Vec<Seg>,
    field: &'static Field,
    globals: StoredValue<Vec<GlobalBlock>>,
) -> AnyView {
    let key = error_key(&block, &path);
    let dom_id = key.replace('.', "-");
    let err_id = format!("{dom_id}-error");
    let label = if field.required {
        format!("{} *", field.label)
    } else {
        field.label.to_owned()
    };
    let read = {
        let (block, path) = (block.clone(), path.clone());
        move || {
            ed.doc.with(|d| {
                tree::find(&d.blocks, &block).and_then(|b| value_at(&b.props, &path).cloned())
            })
        }
    };
    let write = {
        let (block, path, key) = (block.clone(), path.clone(), key.clone());
        move |v: Value| {
            let (block, path) = (block.clone(), path.clone());
            ed.edit(Some(key.clone()), move |d| {
                if let Some(b) = tree::find_mut(&mut d.blocks, &block) {
                    set_at(&mut b.props, &path, v);
                }
            });
        }
    };
    let error = {
        let key = key.clone();
        move || ed.error(&key)
    };
    let invalid = {
        let error = error.clone();
        move || error().map(|_| "true")
    };
    let described = {
        let (error, err_id) = (error.clone(), err_id.clone());
        move || error().map(|_| err_id.clone())
    };
    let message =
        view! { <FieldMessage id=err_id.clone() message=Signal::derive(error.clone()) /> };
    let help = (!field.help.is_empty())
        .then(|| view! { <p class="text-xs text-slate-600 dark:text-slate-400">{field.help}</p> });
    let control = match field.kind {
        FieldKind::Media => media_input(
            ed,
            &block,
            &path,
            field,
            &dom_id,
            read.clone(),
            write.clone(),
            invalid.clone(),
            described.clone(),
        ),
        FieldKind::Text { .. } | FieldKind::Url => {
            let max = if let FieldKind::Text { max } = field.kind {
                max
            } else {
                500
            };
            let read = read.clone();
            view! {
                <input id=dom_id.clone() type="text" maxlength=max class=INPUT aria-invalid=invalid aria-describedby=described
                    prop:value=move || text_of(read().as_ref()) on:input=move |ev| write(json!(event_target_value(&ev))) />
            }
            .into_any()
        }
        FieldKind::LongText { max } | FieldKind::RichText { max } => {
            let rows = if matches!(field.kind, FieldKind::RichText { .. }) {
                8
            } else {
                3
            };
            let read = read.clone();
            view! {
                <textarea id=dom_id.clone() rows=rows maxlength=max class=INPUT aria-invalid=invalid aria-describedby=described
                    prop:value=move || text_of(read().as_ref()) on:input=move |ev| write(json!(event_target_value(&ev)))></textarea>
            }
            .into_any()
        }
        FieldKind::Int { min, max } => {
            let read = read.clone();
            view! {
                <input id=dom_id.clone() type="number" min=min max=max class=INPUT aria-invalid=invalid aria-describedby=described
                    prop:value=move || text_of(read().as_ref())
                    on:input=move |ev| {
                        let raw = event_target_value(&ev);
                        write(raw.trim().parse::<i64>().map(Value::from).unwrap_or(Value::String(raw)))
                    } />
            }
            .into_any()
        }
        FieldKind::Choice(options) => {
            let read = read.clone();
            view! {
                <select id=dom_id.clone() class=INPUT aria-invalid=invalid aria-describedby=described
                    prop:value=move || text_of(read().as_ref()) on:change=move |ev| write(json!(event_target_value(&ev)))>
                    {options.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                </select>
            }
            .into_any()
        }
        FieldKind::Bool => {
            let read = read.clone();
            return view! {
                <div class="flex items-center gap-2">
                    <input id=dom_id.clone() type="checkbox" class="h-4 w-4" prop:checked=move || read().and_then(|v| v.as_bool()).unwrap_or(false)
                        on:change=move |ev| write(json!(event_target_checked(&ev))) />
                    <label for=dom_id class="text-sm">{label}</label>
                </div>
            }
            .into_any();
        }
        FieldKind::GlobalRef => {
            let read = read.clone();
            let options = globals.get_value();
            view! {
                <select id=dom_id.clone() class=INPUT aria-invalid=invalid aria-describedby=described
                    prop:value=move || text_of(read().as_ref()) on:change=move |ev| write(json!(event_target_value(&ev)))>
                    <option value="">"Choose…"</option>
                    {options.into_iter().map(|g| view! { <option value=g.id>{g.name}</option> }).collect_view()}
                </select>
            }
            .into_any()
        }
        FieldKind::Link => {
            let sub = |name: &'static str, text: &'static str| {
                let mut p = path.clone();
                p.push(Seg::Key(name));
                let k = error_key(&block, &p);
                let id = k.replace('.', "-");
                let r = {
                    let (block, p) = (block.clone(), p.clone());
                    move || {
                        ed.doc.with(|d| {
                            tree::find(&d.blocks, &block)
                                .and_then(|b| value_at(&b.props, &p).cloned())
                        })
                    }
                };
                let w = {
                    let (block, p, k) = (block.clone(), p.clone(), k.clone());
                    move |v: String| {
                        let (block, p) = (block.clone(), p.clone());
                        ed.edit(Some(k.clone()), move |d| {
                            if let Some(b) = tree::find_mut(&mut d.blocks, &block) {
                                // An empty link object gets both keys before one is set.
                                if !matches!(
                                    value_at(&b.props, &p[..p.len() - 1]),
                                    Some(Value::Object(_))
                                ) {
                                    set_at(
                                        &mut b.props,
                                        &p[..p.len() - 1],
                                        json!({"label": "", "href": ""}),
                                    );
                                }
                                set_at(&mut b.props, &p, json!(v));
                            }
                        });
                    }
                };
                let e = move || ed.error(&k);
                let e2 = e.clone();
                view! {
                    <div>
                        <label for=id.clone() class="block text-xs font-medium">{text}</label>
                        <input id=id type="text" class=INPUT aria-invalid=move || e().map(|_| "true")
                            prop:value=move || text_of(r().as_ref()) on:input=move |ev| w(event_target_value(&ev)) />
                        <FieldMessage message=Signal::derive(e2) />
                    </div>
                }
            };
            return view! {
                <fieldset class="rounded border border-slate-200 p-3 dark:border-slate-800">
                    <legend class="px-1 text-sm font-medium">{label}</legend>
                    <div class="grid gap-2 sm:grid-cols-2">
                        {sub("label", "Button words")}
                        {sub("href", "Leads to")}
                    </div>
                    {message}
                </fieldset>
            }
            .into_any();
        }
        FieldKind::List { fields, max, .. } => {
            return list_input(ed, block, path, field, fields, max, globals);
        }
    };
    view! {
        <div>
            <label for=dom_id class="block text-sm font-medium">{label}</label>
            {help}
            {control}
            {message}
        </div>
    }
    .into_any()
}

/// The description field next to an image field, if its block has one: `alt` beside `src`,
/// `{name}_alt` beside any other.
fn alt_sibling(kind: &str, image: &str) -> Option<&'static str> {
    fn find(fields: &'static [Field], want: &str) -> Option<&'static str> {
        fields.iter().find_map(|f| match f.kind {
            _ if f.name == want => Some(f.name),
            FieldKind::List { fields, .. } => find(fields, want),
            _ => None,
        })
    }
    let want = if image == "src" {
        "alt".to_owned()
    } else {
        format!("{image}_alt")
    };
    find(block_type(kind)?.fields, &want)
}

/// An image field: an address, a thumbnail of it, and the media library to choose from. Choosing
/// an image fills an empty description beside it with the library's.
#[allow(clippy::too_many_arguments)]
fn media_input(
    ed: Ed,
    block: &str,
    path: &[Seg],
    field: &'static Field,
    dom_id: &str,
    read: impl Fn() -> Option<Value> + Clone + Send + Sync + 'static,
    write: impl Fn(Value) + Clone + Send + Sync + 'static,
    invalid: impl Fn() -> Option<&'static str> + Clone + Send + Sync + 'static,
    described: impl Fn() -> Option<String> + Clone + Send + Sync + 'static,
) -> AnyView {
    let open = RwSignal::new(false);
    let kind = ed
        .doc
        .with_untracked(|d| tree::find(&d.blocks, block).map(|b| b.kind.clone()))
        .unwrap_or_default();
    let alt_path = alt_sibling(&kind, field.name).map(|alt| {
        let mut p = path.to_vec();
        p.pop();
        p.push(Seg::Key(alt));
        p
    });
    let block = block.to_owned();
    let on_pick = {
        let write = write.clone();
        Callback::new(move |item: MediaItem| {
            write(json!(item.url));
            if let Some(p) = alt_path.clone() {
                let block = block.clone();
                ed.edit(None, move |d| {
                    if let Some(b) = tree::find_mut(&mut d.blocks, &block) {
                        let empty = value_at(&b.props, &p)
                            .and_then(Value::as_str)
                            .is_none_or(|s| s.trim().is_empty());
                        if empty {
                            set_at(&mut b.props, &p, json!(item.alt));
                        }
                    }
                });
            }
            open.set(false);
        })
    };
    let on_close = Callback::new(move |()| open.set(false));
    let thumb = {
        let read = read.clone();
        move || {
            let src = text_of(read().as_ref());
            is_safe_media(&src).then(|| view! {
                <img src=src alt="" class="mt-2 h-20 max-w-full rounded border border-slate-200 object-contain dark:border-slate-800" data-test="media-thumb" />
            })
        }
    };
    view! {
        <div class="flex items-start gap-2">
            <input id=dom_id.to_owned() type="text" maxlength=500 class=INPUT aria-invalid=invalid aria-describedby=described
                prop:value=move || text_of(read().as_ref()) on:input=move |ev| write(json!(event_target_value(&ev))) />
            <button type="button" class=format!("{SMALL_BTN} mt-1 shrink-0 py-2") aria-expanded=move || if open.get() { "true" } else { "false" }
                on:click=move |_| open.update(|o| *o = !*o)>"Media library…"</button>
        </div>
        {thumb}
        {move || open.get().then(|| view! { <MediaPicker on_pick on_close /> })}
    }
    .into_any()
}

/// A change to a list field's items.
type ListEdit = Box<dyn FnOnce(&mut Vec<Value>)>;

fn list_input(
    ed: Ed,
    block: String,
    path: Vec<Seg>,
    field: &'static Field,
    fields: &'static [Field],
    max: usize,
    globals: StoredValue<Vec<GlobalBlock>>,
) -> AnyView {
    let count = {
        let (block, path) = (block.clone(), path.clone());
        Memo::new(move |_| {
            ed.doc.with(|d| {
                tree::find(&d.blocks, &block)
                    .and_then(|b| value_at(&b.props, &path))
                    .and_then(Value::as_array)
                    .map(Vec::len)
                    .unwrap_or(0)
            })
        })
    };
    let key = error_key(&block, &path);
    let change = {
        let (block, path) = (block.clone(), path.clone());
        move |f: ListEdit| {
            let (block, path) = (block.clone(), path.clone());
            ed.edit(None, move |d| {
                if let Some(b) = tree::find_mut(&mut d.blocks, &block) {
                    let mut items = value_at(&b.props, &path)
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    f(&mut items);
                    set_at(&mut b.props, &path, Value::Array(items));
                }
            });
        }
    };
    let blank: Value = Value::Object(
        fields
            .iter()
            .map(|f| {
                let v = match f.kind {
                    FieldKind::Bool => json!(false),
                    FieldKind::Int { min, .. } => json!(min),
                    FieldKind::Choice(o) => json!(o.first().map(|(v, _)| *v).unwrap_or("")),
                    FieldKind::Link => json!({"label": "", "href": ""}),
                    _ => json!(""),
                };
                (f.name.to_owned(), v)
            })
            .collect(),
    );
    let add = {
        let change = change.clone();
        move |_: web_sys::MouseEvent| {
            let blank = blank.clone();
            change(Box::new(move |items| items.push(blank)));
        }
    };
    let list_error = move || ed.error(&key);
    view! {
        <fieldset class="rounded border border-slate-200 p-3 dark:border-slate-800">
            <legend class="px-1 text-sm font-medium">{field.label}</legend>
            {move || list_error().map(|m| view! { <p class="text-sm text-red-700 dark:text-red-400">{m}</p> })}
            {move || (0..count.get()).map(|i| {
                let mut item_path = path.clone();
                item_path.push(Seg::Item(i));
                let (c1, c2, c3) = (change.clone(), change.clone(), change.clone());
                view! {
                    <div class="mt-2 rounded border border-dashed border-slate-300 p-2 dark:border-slate-700">
                        <div class="mb-1 flex items-center gap-1">
                            <span class="mr-auto text-xs font-semibold">{format!("Item {}", i + 1)}</span>
                            <button type="button" class=SMALL_BTN aria-label=format!("Move item {} up", i + 1) disabled={i == 0}
                                on:click={move |_| c1(Box::new(move |items| if i > 0 { items.swap(i, i - 1) }))}>"↑"</button>
                            <button type="button" class=SMALL_BTN aria-label=format!("Move item {} down", i + 1)
                                on:click={move |_| c2(Box::new(move |items| if i + 1 < items.len() { items.swap(i, i + 1) }))}>"↓"</button>
                            <button type="button" class=SMALL_BTN aria-label=format!("Remove item {}", i + 1)
                                on:click={move |_| c3(Box::new(move |items| { if i < items.len() { items.remove(i); } }))}>"✕"</button>
                        </div>
                        <div class="grid gap-2">
                            {fields.iter().map(|f| {
                                let mut p = item_path.clone();
                                p.push(Seg::Key(f.name));
                                field_input(ed, block.clone(), p, f, globals)
                            }).collect_view()}
                        </div>
                    </div>
                }
            }).collect_view()}
            <button type="button" class=format!("{SMALL_BTN} mt-2") disabled={move || count.get() >= max} on:click=add>{format!("Add to {}", field.label.to_lowercase())}</button>
        </fieldset>
    }
    .into_any()
}

#[component]
fn PageSettings(ed: Ed) -> impl IntoView {
    type Get = fn(&PageContent) -> String;
    type Set = fn(&mut PageContent, String);
    let fields: Vec<(&'static str, &'static str, Get, Set)> = {
        let mut f: Vec<(&'static str, &'static str, Get, Set)> = vec![
            (
                "title",
                "Title (for search results and sharing) *",
                |c| c.title.clone(),
                |c, v| c.title = v,
            ),
            (
                "description",
                "Description (for search results) *",
                |c| c.description.clone(),
                |c, v| c.description = v,
            ),
            (
                "summary",
                "Summary (for cards and listings)",
                |c| c.summary.clone(),
                |c, v| c.summary = v,
            ),
            (
                "image",
                "Sharing image",
                |c| c.image.clone(),
                |c, v| c.image = v,
            ),
        ];
        match ed.kind {
            PageKind::CaseStudy => f.extend([
                (
                    "client",
                    "Client *",
                    (|c: &PageContent| c.client.clone()) as Get,
                    (|c: &mut PageContent, v| c.client = v) as Set,
                ),
                (
                    "industry",
                    "Industry *",
                    |c| c.industry.clone(),
                    |c, v| c.industry = v,
                ),
                (
                    "headline_value",
                    "Headline figure",
                    |c| c.headline_value.clone(),
                    |c, v| c.headline_value = v,
                ),
                (
                    "headline_label",
                    "What the headline figure measures",
                    |c| c.headline_label.clone(),
                    |c, v| c.headline_label = v,
                ),
            ]),
            PageKind::Article => f.push((
                "author",
                "Author *",
                |c| c.author.clone(),
                |c, v| c.author = v,
            )),
            PageKind::Page => {}
        }
        f
    };
    view! {
        <details class="rounded-xl border border-slate-200 p-4 dark:border-slate-800">
            <summary class="cursor-pointer font-semibold">"Page settings and search"</summary>
            <div class="mt-3 grid gap-3">
                {fields.into_iter().map(|(key, label, get, set)| {
                    let id = format!("page-{key}");
                    let err = move || ed.error(key);
                    let err2 = err;
                    view! {
                        <div>
                            <label for=id.clone() class="block text-sm font-medium">{label}</label>
                            <input id=id type="text" class=INPUT aria-invalid=move || err().map(|_| "true")
                                prop:value=move || ed.doc.with(get)
                                on:input=move |ev| { let v = event_target_value(&ev); ed.edit(Some(format!("page.{key}")), move |d| set(d, v)); } />
                            <FieldMessage message=Signal::derive(err2) />
                        </div>
                    }
                }).collect_view()}
                <div class="flex items-center gap-2">
                    <input id="page-noindex" type="checkbox" class="h-4 w-4" prop:checked=move || ed.doc.with(|d| d.noindex)
                        on:change=move |ev| { let v = event_target_checked(&ev); ed.edit(None, move |d| d.noindex = v); } />
                    <label for="page-noindex" class="text-sm">"Hide from search engines"</label>
                </div>
            </div>
        </details>
    }
}

#[component]
fn Preview(ed: Ed) -> impl IntoView {
    let token = RwSignal::new(None::<String>);
    let device = RwSignal::new("desktop");
    Effect::new(move |_| {
        let id = ed.id.get_value();
        leptos::task::spawn_local(async move {
            if let Ok(link) = site_preview_link(id).await {
                token.set(Some(link));
            }
        });
    });
    let frame_class = move || {
        match device.get() {
        "mobile" => "mt-3 max-w-[390px] overflow-hidden rounded border border-slate-200 dark:border-slate-800",
        "tablet" => "mt-3 max-w-[820px] overflow-hidden rounded border border-slate-200 dark:border-slate-800",
        _ => "mt-3 max-w-full overflow-hidden rounded border border-slate-200 dark:border-slate-800",
    }
    };
    view! {
        <section aria-labelledby="preview-h" class="rounded-xl border border-slate-200 p-4 dark:border-slate-800">
            <div class="flex flex-wrap items-center gap-2">
                <h2 id="preview-h" class=format!("{H2} mr-auto")>"Preview"</h2>
                <div role="group" aria-label="Preview width" class="flex gap-1">
                    {[("mobile", "Phone"), ("tablet", "Tablet"), ("desktop", "Desktop")].into_iter().map(|(d, l)| view! {
                        <button type="button" class=SMALL_BTN aria-pressed=move || if device.get() == d { "true" } else { "false" } on:click=move |_| device.set(d)>{l}</button>
                    }).collect_view()}
                </div>
            </div>
            {move || token.get().map(|t| {
                let shared = t.clone();
                view! {
                    <p class="mt-2 text-xs">"Share this draft: " <a class=LINK href=shared.clone() target="_blank" rel="noopener" data-test="preview-link">{shared.clone()}</a> " (works for 7 days, no sign-in)"</p>
                    <div class=frame_class data-test="preview-frame">
                        <iframe title="Preview of the draft" class="h-[36rem] w-full bg-white" src=move || format!("{t}?r={}", ed.preview_rev.get())></iframe>
                    </div>
                }
            })}
        </section>
    }
}

#[component]
fn History(ed: Ed) -> impl IntoView {
    let revisions = Resource::new(
        move || ed.history_rev.get(),
        move |_| site_page_revisions(ed.id.get_value()),
    );
    let diff = RwSignal::new(None::<RevisionDiff>);
    let show_diff = move |from: Option<i32>, to: Option<i32>| {
        let id = ed.id.get_value();
        leptos::task::spawn_local(async move {
            match site_page_diff(id, from, to).await {
                Ok(d) => diff.set(Some(d)),
                Err(e) => ed.notice.set(Some(e.to_string())),
            }
        });
    };
    let rollback = move |n: i32| {
        let id = ed.id.get_value();
        leptos::task::spawn_local(async move {
            match rollback_site_page(id.clone(), n).await {
                Ok(new) => match load_site_page(id).await {
                    Ok(page) => {
                        ed.saved.set(page.content.clone());
                        ed.doc.set(page.content);
                        ed.version.set(page.version);
                        ed.undo.set(Vec::new());
                        ed.redo.set(Vec::new());
                        ed.state.set(SaveState::Saved);
                        ed.summary_status.set(PageStatus::Published);
                        ed.notice.set(Some(format!(
                            "Rolled back: revision {n} is live again as revision {new}."
                        )));
                        ed.history_rev.update(|r| *r += 1);
                        ed.preview_rev.update(|r| *r += 1);
                    }
                    Err(e) => ed.notice.set(Some(e.to_string())),
                },
                Err(e) => ed.notice.set(Some(format!("Not rolled back: {e}"))),
            }
        });
    };
    view! {
        <section aria-labelledby="history-h" class="rounded-xl border border-slate-200 p-4 dark:border-slate-800" data-test="history">
            <div class="flex items-center gap-2">
                <h2 id="history-h" class=format!("{H2} mr-auto")>"History"</h2>
                <button type="button" class=SMALL_BTN on:click=move |_| {
                    let live = revisions.get().and_then(|r| r.ok()).and_then(|r| r.iter().find(|x| x.live).map(|x| x.number));
                    show_diff(live, None);
                }>"Compare the draft with the live page"</button>
            </div>
            <Transition fallback=|| view! { <p class="mt-2 text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match revisions.await {
                        Err(e) => view! { <p class="mt-2 text-sm">{e.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="mt-2 text-sm">"Not published yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ol class="mt-3 space-y-2 text-sm">
                                {list.into_iter().map(|r| {
                                    let n = r.number;
                                    let what = match (r.reason.as_str(), r.restored_from) {
                                        ("rollback", Some(from)) => format!("Rollback to revision {from}"),
                                        ("schedule", _) if r.published_at.is_none() => "Scheduled".to_owned(),
                                        ("schedule", _) => "Published on schedule".to_owned(),
                                        _ => "Published".to_owned(),
                                    };
                                    let can_roll_back = !r.live && r.published_at.is_some();
                                    view! {
                                        <li class="flex flex-wrap items-center gap-2" data-test="revision">
                                            <span class="font-semibold">{format!("#{n}")}</span>
                                            <span>{format!("{what} by {} · {}", r.by, short_time(&r.created_at))}</span>
                                            {r.live.then(|| view! { <span class="rounded-full bg-emerald-100 px-2 text-xs text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100">"Live"</span> })}
                                            <button type="button" class=SMALL_BTN on:click=move |_| show_diff((n > 1).then_some(n - 1), Some(n))>{format!("Changes in #{n}")}</button>
                                            {can_roll_back.then(|| view! {
                                                <button type="button" class=SMALL_BTN on:click=move |_| rollback(n)>{format!("Roll back to #{n}")}</button>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                    }
                })}
            </Transition>
            {move || diff.get().map(|d| {
                let title = match (d.from, d.to) {
                    (Some(a), Some(b)) => format!("Changes from #{a} to #{b}"),
                    (None, Some(b)) => format!("Revision #{b}"),
                    (Some(a), None) => format!("Draft compared with #{a}"),
                    (None, None) => "The draft".to_owned(),
                };
                view! {
                    <div class="mt-4 rounded border border-slate-200 p-3 dark:border-slate-800" data-test="diff">
                        <h3 class="font-semibold">{title}</h3>
                        {if d.changes.is_empty() {
                            view! { <p class="mt-1 text-sm">"No changes."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="mt-2 space-y-2 text-sm">
                                    {d.changes.into_iter().map(|c| {
                                        let kind = match c.kind {
                                            ChangeKind::Page => "Page",
                                            ChangeKind::Added => "Added",
                                            ChangeKind::Removed => "Removed",
                                            ChangeKind::Moved => "Moved",
                                            ChangeKind::Edited => "Edited",
                                        };
                                        view! {
                                            <li>
                                                <span class="font-semibold">{format!("{kind}: ")}</span>{c.what}
                                                {(!c.before.is_empty()).then(|| view! { <div class="mt-0.5 rounded bg-red-50 px-2 text-red-900 dark:bg-red-950 dark:text-red-100"><del>{c.before}</del></div> })}
                                                {(!c.after.is_empty()).then(|| view! { <div class="mt-0.5 rounded bg-emerald-50 px-2 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100"><ins>{c.after}</ins></div> })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </div>
                }
            })}
        </section>
    }
}
