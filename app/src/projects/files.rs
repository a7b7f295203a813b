//! The workspace's shared files (upload, download, remove) and its activity feed. What is chosen
//! in the form to share a file lives in [`FileForm`], above the workspace, so a live reload
//! (someone moved a task) never loses it.

use domain::project::MilestoneView;
use domain::site::media::human_size;
use domain::workspace::{ActivityItem, FileView, ACCEPTED_FILES, MAX_FILE_BYTES};
use domain::AppError;
use leptos::prelude::*;

use super::api::*;
use crate::components::{
    chosen_file_problem, field_error, general_error, short_time, FieldMessage, FormAlert, BUTTON,
    CARD, H2, INPUT, LINK, SMALL_BTN,
};

/// The form to share a file, kept across reloads of the workspace.
#[derive(Clone, Copy)]
pub struct FileForm {
    /// The milestone the file is a delivery for (its id), or empty.
    milestone: RwSignal<String>,
    /// Why the last try was refused.
    error: RwSignal<Option<AppError>>,
    /// Whether an upload is on its way.
    busy: RwSignal<bool>,
    /// The file chosen, put back into the redrawn input. It exists only in the browser: a
    /// `web_sys::File` may not leave the thread that made it, and the server renders the form
    /// on whichever thread it likes.
    #[cfg(feature = "hydrate")]
    chosen: StoredValue<Option<web_sys::File>, LocalStorage>,
}

impl FileForm {
    /// Nothing chosen yet.
    pub fn new() -> Self {
        Self {
            milestone: RwSignal::new(String::new()),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
            #[cfg(feature = "hydrate")]
            chosen: StoredValue::new_local(None),
        }
    }

    /// Forgets what was chosen (it has been shared).
    fn clear(self) {
        self.milestone.set(String::new());
        #[cfg(feature = "hydrate")]
        self.chosen.set_value(None);
    }
}

impl Default for FileForm {
    fn default() -> Self {
        Self::new()
    }
}

/// Shared files, newest first, with the form to share one.
#[component]
pub fn Files(
    files: Vec<FileView>,
    milestones: Vec<MilestoneView>,
    project: String,
    reload: Callback<()>,
) -> impl IntoView {
    let state = expect_context::<FileForm>();
    let FileForm {
        milestone,
        error,
        busy,
        ..
    } = state;
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let file_ref = NodeRef::<leptos::html::Input>::new();
    // A redrawn input is empty: give it back the file chosen before the redraw.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let Some(input) = file_ref.get() else {
            return;
        };
        let has_file = input.files().is_some_and(|l| l.length() > 0);
        if has_file {
            return;
        }
        let Some(file) = state.chosen.get_value() else {
            return;
        };
        if let Ok(carrier) = web_sys::DataTransfer::new() {
            if carrier.items().add_with_file(&file).is_ok() {
                input.set_files(carrier.files().as_ref());
            }
        }
    });
    let chose = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        state.chosen.set_value(
            file_ref
                .get()
                .and_then(|i| i.files())
                .and_then(|l| l.get(0)),
        );
    };
    let shared = Callback::new(move |()| {
        state.clear();
        reload.run(());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(form), Some(input)) = (form_ref.get(), file_ref.get()) else {
            return;
        };
        let over = "the most a workspace takes; share a link to it instead.";
        let problem = chosen_file_problem(&input, MAX_FILE_BYTES, "Choose a file to share.", over);
        if problem.is_some() {
            error.set(problem);
            return;
        }
        crate::components::send_upload(form, busy, error, shared, |d| upload_file(d.into()));
    };
    let remove = Action::new(move |f: &String| {
        let f = f.clone();
        async move { remove_file(f).await }
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => reload.run(()),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let file_error = field_error(error.into(), "file");
    let milestone_error = field_error(error.into(), "milestone");
    let general = general_error(error.into());
    let count = files.len();
    view! {
        <section class=format!("{CARD} mt-8") aria-labelledby="files-h">
            <h2 id="files-h" class=H2>{format!("Files ({count})")}</h2>
            {if files.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">"Nothing shared yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-3 grid gap-2" aria-label="Shared files">
                        {files.into_iter().map(|f| {
                            let id = f.id.to_string();
                            view! {
                                <li class="flex flex-wrap items-center justify-between gap-2 text-sm" data-testid="file">
                                    <span>
                                        <a class=LINK href=format!("/files/{}", f.id) download=f.name.clone()>{f.name.clone()}</a>
                                        {format!(" · {} · {} · {}", human_size(f.bytes.max(0) as u64), f.uploader, short_time(&f.at))}
                                        {f.milestone.clone().map(|m| format!(" · delivery for “{m}”"))}
                                    </span>
                                    {f.removable.then(|| view! {
                                        <button type="button" class=SMALL_BTN on:click=move |_| { remove.dispatch(id.clone()); }>{format!("Remove {}", f.name)}</button>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <form node_ref=form_ref class="mt-4 border-t border-slate-200 pt-3 dark:border-slate-800" on:submit=submit novalidate>
                <FormAlert error=general />
                <input type="hidden" name="project" value=project />
                <label for="file-upload" class="block text-sm font-medium">"Share a file"</label>
                <p id="file-upload-hint" class="text-xs text-slate-600 dark:text-slate-400">{format!("{ACCEPTED_FILES}; up to {} MB.", MAX_FILE_BYTES / (1024 * 1024))}</p>
                <input node_ref=file_ref id="file-upload" name="file" type="file" class="mt-1 block w-full text-sm" on:change=chose
                    aria-invalid=move || file_error.get().map(|_| "true")
                    aria-describedby="file-upload-hint file-upload-error" />
                <FieldMessage id="file-upload-error" message=file_error />
                <label for="file-milestone" class="mt-2 block text-sm font-medium">"Delivery for (optional)"</label>
                <select id="file-milestone" name="milestone" class=INPUT
                    on:change=move |ev| milestone.set(event_target_value(&ev))>
                    <option value="" selected=move || milestone.get().is_empty()>"No milestone"</option>
                    {milestones.into_iter().map(|m| {
                        let id = m.id.to_string();
                        let value = id.clone();
                        view! {
                            <option value=value selected=move || milestone.get() == id>{format!("{}. {}", m.position, m.title)}</option>
                        }
                    }).collect_view()}
                </select>
                <FieldMessage message=milestone_error />
                <button type="submit" class=format!("{BUTTON} mt-3") disabled=move || busy.get()>
                    {move || if busy.get() { "Uploading…" } else { "Share file" }}
                </button>
            </form>
        </section>
    }
}

/// What people did lately.
#[component]
pub fn Activity(items: Vec<ActivityItem>) -> impl IntoView {
    view! {
        <section class=format!("{CARD} mt-8") aria-labelledby="activity-h">
            <h2 id="activity-h" class=H2>"Activity"</h2>
            <ol class="mt-3 grid gap-1 text-sm" data-testid="activity">
                {items.into_iter().map(|a| view! {
                    <li>
                        <span class="text-slate-500 dark:text-slate-400">{short_time(&a.at)}</span>" "
                        <span class="font-medium">{a.actor.unwrap_or_else(|| "Fluxorae".into())}</span>" "
                        {a.summary}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}
