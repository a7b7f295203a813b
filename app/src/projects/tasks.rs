//! The workspace's tasks: a board (drag a card to another column, or use its buttons) and a
//! list, a form to add one, and inline editing. What is being typed lives in [`TaskForms`],
//! above the workspace, so a live reload (someone else moved a card) never loses it.

use domain::project::Member;
use domain::workspace::{Priority, TaskInput, TaskStatus, TaskView};
use domain::AppError;
use leptos::prelude::*;

use super::api::*;
use crate::components::{
    field_error, general_error, FieldMessage, FormAlert, BUTTON, CARD, H2, INPUT, SMALL_BTN, TABLE,
};

/// The task forms' state, kept across reloads of the workspace.
#[derive(Clone, Copy)]
pub struct TaskForms {
    /// The new task being written.
    draft: RwSignal<TaskInput>,
    /// The task being edited, at the version it was when editing began.
    editing: RwSignal<Option<(uuid::Uuid, i32)>>,
    /// What the edited task says so far.
    edit_draft: RwSignal<TaskInput>,
    /// Board or list.
    as_list: RwSignal<bool>,
    /// Why the last change was refused (kept across the reload a conflict causes).
    change_error: RwSignal<Option<AppError>>,
}

impl TaskForms {
    /// Nothing typed yet.
    pub fn new() -> Self {
        Self {
            draft: RwSignal::new(TaskInput::default()),
            editing: RwSignal::new(None),
            edit_draft: RwSignal::new(TaskInput::default()),
            as_list: RwSignal::new(false),
            change_error: RwSignal::new(None),
        }
    }
}

impl Default for TaskForms {
    fn default() -> Self {
        Self::new()
    }
}

fn priority_badge(p: Priority) -> &'static str {
    match p {
        Priority::Urgent => "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100",
        Priority::High => "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
        Priority::Normal => "bg-slate-100 text-slate-800 dark:bg-slate-800 dark:text-slate-100",
        Priority::Low => "bg-slate-50 text-slate-600 dark:bg-slate-900 dark:text-slate-300",
    }
}

fn input_of(t: &TaskView) -> TaskInput {
    TaskInput {
        title: t.title.clone(),
        notes: t.notes.clone(),
        assignee: t.assignee_id.map(|a| a.to_string()).unwrap_or_default(),
        due: t.due.clone().unwrap_or_default(),
        priority: t.priority.as_str().to_owned(),
    }
}

/// The task board of a workspace.
#[component]
pub fn Tasks(
    tasks: Vec<TaskView>,
    members: Vec<Member>,
    project: String,
    reload: Callback<()>,
) -> impl IntoView {
    let forms = expect_context::<TaskForms>();
    let add = {
        let project = project.clone();
        Action::new(move |input: &TaskInput| {
            let (project, json) = (
                project.clone(),
                serde_json::to_string(input).unwrap_or_default(),
            );
            async move { add_task(project, json).await }
        })
    };
    let change = Action::new(
        move |(task, version, change, input): &(String, i32, String, String)| {
            let (task, version, change, input) =
                (task.clone(), *version, change.clone(), input.clone());
            async move { change_task(task, version, change, input).await }
        },
    );
    let add_error = RwSignal::new(None::<AppError>);
    Effect::new(move |_| match add.value().get() {
        Some(Ok(_)) => {
            forms.draft.set(TaskInput::default());
            add_error.set(None);
            reload.run(());
        }
        Some(Err(e)) => add_error.set(Some(e)),
        None => {}
    });
    let change_error = forms.change_error;
    Effect::new(move |_| match change.value().get() {
        Some(Ok(())) => {
            forms.editing.set(None);
            change_error.set(None);
            reload.run(());
        }
        // Someone else changed it first: show theirs (what was typed stays in the form).
        Some(Err(e @ AppError::Conflict(_))) => {
            change_error.set(Some(e));
            reload.run(());
        }
        Some(Err(e)) => change_error.set(Some(e)),
        None => {}
    });
    let move_to = Callback::new(move |(t, v, to): (uuid::Uuid, i32, TaskStatus)| {
        change.dispatch((t.to_string(), v, "move".into(), to.as_str().into()));
    });
    let remove = Callback::new(move |(t, v, title): (uuid::Uuid, i32, String)| {
        #[cfg(feature = "hydrate")]
        {
            let sure = web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message(&format!("Remove the task “{title}”?"))
                        .ok()
                })
                .unwrap_or(false);
            if !sure {
                return;
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = title;
        change.dispatch((t.to_string(), v, "remove".into(), String::new()));
    });
    let save_edit = Callback::new(move |()| {
        if let Some((id, v)) = forms.editing.get_untracked() {
            let input = forms.edit_draft.get_untracked();
            if let Err(e) = input.check() {
                change_error.set(Some(e));
                return;
            }
            change.dispatch((
                id.to_string(),
                v,
                "edit".into(),
                serde_json::to_string(&input).unwrap_or_default(),
            ));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = forms.draft.get_untracked();
        match input.check() {
            Err(e) => add_error.set(Some(e)),
            Ok(_) => {
                add.dispatch(input);
            }
        }
    };
    let members = StoredValue::new(members);
    let tasks = StoredValue::new(tasks);
    let count = tasks.with_value(|t| t.len());
    let add_err = Signal::derive(move || add_error.get());
    let change_err = Signal::derive(move || change_error.get());

    view! {
        <section class=format!("{CARD} mt-8") aria-labelledby="tasks-h">
            <div class="flex flex-wrap items-center justify-between gap-2">
                <h2 id="tasks-h" class=H2>{format!("Tasks ({count})")}</h2>
                <div role="group" aria-label="Show tasks as" class="inline-flex gap-1">
                    <button type="button" class=SMALL_BTN aria-pressed=move || (!forms.as_list.get()).to_string() on:click=move |_| forms.as_list.set(false)>"Board"</button>
                    <button type="button" class=SMALL_BTN aria-pressed=move || forms.as_list.get().to_string() on:click=move |_| forms.as_list.set(true)>"List"</button>
                </div>
            </div>
            <FormAlert error=general_error(change_err) />
            {move || if forms.as_list.get() {
                view! { <TaskList tasks=tasks.get_value() move_to remove /> }.into_any()
            } else {
                view! {
                    <div class="mt-3 grid gap-3 md:grid-cols-3">
                        {TaskStatus::ALL.iter().map(|col| {
                            let col = *col;
                            let in_col: Vec<TaskView> = tasks.with_value(|ts| ts.iter().filter(|t| t.status == col).cloned().collect());
                            view! { <Column col tasks=in_col members=members.get_value() move_to remove save_edit error=change_err /> }
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
            <form class="mt-4 border-t border-slate-200 pt-3 dark:border-slate-800" on:submit=submit novalidate aria-labelledby="task-add-h">
                <h3 id="task-add-h" class="text-sm font-semibold">"Add a task"</h3>
                <FormAlert error=general_error(add_err) />
                <TaskFields prefix="task-new" value=forms.draft members=members.get_value() error=add_err />
                <button type="submit" class=format!("{BUTTON} mt-3") disabled=move || add.pending().get()>"Add task"</button>
            </form>
        </section>
    }
}

/// The fields of a task, bound to `value`.
#[component]
fn TaskFields(
    prefix: &'static str,
    value: RwSignal<TaskInput>,
    members: Vec<Member>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = move |f: &str| format!("{prefix}-{f}");
    let invalid = move |f: &'static str| move || field_error(error, f).get().map(|_| "true");
    view! {
        <div class="mt-2 grid gap-3 sm:grid-cols-2">
            <div class="sm:col-span-2">
                <label for=id("title") class="block text-sm font-medium">"Task"</label>
                <input id=id("title") name="title" class=INPUT autocomplete="off"
                    prop:value=move || value.with(|v| v.title.clone())
                    on:input=move |ev| value.update(|v| v.title = event_target_value(&ev))
                    aria-invalid=invalid("title") aria-describedby=id("title-error") />
                <FieldMessage id=id("title-error") message=field_error(error, "title") />
            </div>
            <div class="sm:col-span-2">
                <label for=id("notes") class="block text-sm font-medium">"Notes (optional)"</label>
                <textarea id=id("notes") name="notes" rows="2" class=INPUT
                    prop:value=move || value.with(|v| v.notes.clone())
                    on:input=move |ev| value.update(|v| v.notes = event_target_value(&ev))
                    aria-invalid=invalid("notes") aria-describedby=id("notes-error")></textarea>
                <FieldMessage id=id("notes-error") message=field_error(error, "notes") />
            </div>
            <div>
                <label for=id("assignee") class="block text-sm font-medium">"Assignee"</label>
                <select id=id("assignee") name="assignee" class=INPUT
                    prop:value=move || value.with(|v| v.assignee.clone())
                    on:change=move |ev| value.update(|v| v.assignee = event_target_value(&ev))
                    aria-invalid=invalid("assignee") aria-describedby=id("assignee-error")>
                    <option value="">"Nobody yet"</option>
                    {members.into_iter().map(|m| view! { <option value=m.id.to_string()>{format!("{} ({})", m.name, m.role)}</option> }).collect_view()}
                </select>
                <FieldMessage id=id("assignee-error") message=field_error(error, "assignee") />
            </div>
            <div class="grid grid-cols-2 gap-3">
                <div>
                    <label for=id("due") class="block text-sm font-medium">"Due"</label>
                    <input id=id("due") name="due" type="date" class=INPUT
                        prop:value=move || value.with(|v| v.due.clone())
                        on:input=move |ev| value.update(|v| v.due = event_target_value(&ev))
                        aria-invalid=invalid("due") aria-describedby=id("due-error") />
                    <FieldMessage id=id("due-error") message=field_error(error, "due") />
                </div>
                <div>
                    <label for=id("priority") class="block text-sm font-medium">"Priority"</label>
                    <select id=id("priority") name="priority" class=INPUT
                        prop:value=move || value.with(|v| if v.priority.is_empty() { "normal".to_owned() } else { v.priority.clone() })
                        on:change=move |ev| value.update(|v| v.priority = event_target_value(&ev))>
                        {Priority::ALL.iter().map(|p| view! { <option value=p.as_str()>{p.label()}</option> }).collect_view()}
                    </select>
                    <FieldMessage message=field_error(error, "priority") />
                </div>
            </div>
        </div>
    }
}

/// One column of the board; a card dropped on it moves there.
#[component]
fn Column(
    col: TaskStatus,
    tasks: Vec<TaskView>,
    members: Vec<Member>,
    move_to: Callback<(uuid::Uuid, i32, TaskStatus)>,
    remove: Callback<(uuid::Uuid, i32, String)>,
    save_edit: Callback<()>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let over = RwSignal::new(false);
    let heading = format!("{} ({})", col.label(), tasks.len());
    view! {
        <div class="rounded-md bg-slate-50 p-2 dark:bg-slate-900"
            class:ring-2=move || over.get() class:ring-indigo-500=move || over.get()
            data-testid="task-column" data-status=col.as_str()
            on:dragover=move |ev: web_sys::DragEvent| { ev.prevent_default(); over.set(true); }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                over.set(false);
                let dragged = ev.data_transfer().and_then(|d| d.get_data("text/plain").ok()).unwrap_or_default();
                if let Some((id, v)) = dragged.split_once(':') {
                    if let (Ok(id), Ok(v)) = (id.parse(), v.parse()) {
                        move_to.run((id, v, col));
                    }
                }
            }>
            <h3 class="px-1 text-sm font-semibold">{heading}</h3>
            <ul class="mt-2 grid min-h-12 gap-2">
                {tasks.into_iter().map(|t| view! { <Card t members=members.clone() move_to remove save_edit error /> }).collect_view()}
            </ul>
        </div>
    }
}

/// A task on the board.
#[component]
fn Card(
    t: TaskView,
    members: Vec<Member>,
    move_to: Callback<(uuid::Uuid, i32, TaskStatus)>,
    remove: Callback<(uuid::Uuid, i32, String)>,
    save_edit: Callback<()>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let forms = expect_context::<TaskForms>();
    let (id, version) = (t.id, t.version);
    let editing = move || forms.editing.with(|e| e.is_some_and(|(e, _)| e == id));
    let start_edit = {
        let input = input_of(&t);
        move |_| {
            forms.edit_draft.set(input.clone());
            forms.editing.set(Some((id, version)));
        }
    };
    let title = t.title.clone();
    view! {
        <li class="rounded-md border border-slate-200 bg-white p-2 text-sm shadow-sm dark:border-slate-700 dark:bg-slate-950"
            draggable=if t.editable { "true" } else { "false" }
            data-testid="task" data-status=t.status.as_str()
            on:dragstart=move |ev: web_sys::DragEvent| {
                if let Some(d) = ev.data_transfer() {
                    let _ = d.set_data("text/plain", &format!("{id}:{version}"));
                }
            }>
            <Show when=editing fallback={
                let t = t.clone();
                let start_edit = start_edit.clone();
                let title = title.clone();
                move || {
                    let title = title.clone();
                    view! {
                        <p class="font-medium" data-testid="task-title">{t.title.clone()}</p>
                        {(!t.notes.is_empty()).then(|| view! { <p class="mt-1 whitespace-pre-line text-slate-600 dark:text-slate-400">{t.notes.clone()}</p> })}
                        <p class="mt-1 flex flex-wrap items-center gap-2 text-xs">
                            <span class=format!("rounded-full px-2 py-0.5 font-semibold {}", priority_badge(t.priority))>{t.priority.label()}</span>
                            <span>{t.assignee.clone().unwrap_or_else(|| "Unassigned".into())}</span>
                            {t.due.clone().map(|d| view! {
                                <span class:text-red-700=t.overdue class:font-semibold=t.overdue>{if t.overdue { format!("Overdue: {d}") } else { format!("Due {d}") }}</span>
                            })}
                        </p>
                        {t.editable.then(|| {
                            let title = title.clone();
                            view! {
                                <div class="mt-2 flex flex-wrap gap-1">
                                    {TaskStatus::ALL.iter().filter(|s| **s != t.status).map(|s| {
                                        let s = *s;
                                        view! { <button type="button" class=SMALL_BTN on:click=move |_| move_to.run((id, version, s))>{format!("Move to {}", s.label())}</button> }
                                    }).collect_view()}
                                    <button type="button" class=SMALL_BTN on:click=start_edit.clone()>"Edit"</button>
                                    <button type="button" class=SMALL_BTN on:click=move |_| remove.run((id, version, title.clone()))>"Remove"</button>
                                </div>
                            }
                        })}
                    }
                }
            }>
                <form on:submit=move |ev| { ev.prevent_default(); save_edit.run(()); } novalidate>
                    <TaskFields prefix="task-edit" value=forms.edit_draft members=members.clone() error />
                    <div class="mt-2 flex gap-2">
                        <button type="submit" class=BUTTON>"Save"</button>
                        <button type="button" class=SMALL_BTN on:click=move |_| forms.editing.set(None)>"Cancel"</button>
                    </div>
                </form>
            </Show>
        </li>
    }
}

/// The tasks as a table.
#[component]
fn TaskList(
    tasks: Vec<TaskView>,
    move_to: Callback<(uuid::Uuid, i32, TaskStatus)>,
    remove: Callback<(uuid::Uuid, i32, String)>,
) -> impl IntoView {
    let mut tasks = tasks;
    tasks.sort_by_key(|t| TaskStatus::ALL.iter().position(|s| *s == t.status));
    view! {
        <table class=format!("{TABLE} mt-3")>
            <thead><tr><th scope="col">"Task"</th><th scope="col">"Status"</th><th scope="col">"Priority"</th><th scope="col">"Assignee"</th><th scope="col">"Due"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
            <tbody>
                {tasks.into_iter().map(|t| {
                    let (id, version, title) = (t.id, t.version, t.title.clone());
                    let next = match t.status {
                        TaskStatus::Todo => Some(TaskStatus::Doing),
                        TaskStatus::Doing => Some(TaskStatus::Done),
                        TaskStatus::Done => None,
                    };
                    view! {
                        <tr data-testid="task-row">
                            <td>{t.title.clone()}</td>
                            <td>{t.status.label()}</td>
                            <td>{t.priority.label()}</td>
                            <td>{t.assignee.clone().unwrap_or_else(|| "Unassigned".into())}</td>
                            <td class:text-red-700=t.overdue>{t.due.clone().unwrap_or_default()}</td>
                            <td>{t.editable.then(|| view! {
                                {next.map(|s| view! { <button type="button" class=SMALL_BTN on:click=move |_| move_to.run((id, version, s))>{format!("Move to {}", s.label())}</button> })}
                                <button type="button" class=format!("{SMALL_BTN} ml-1") on:click=move |_| remove.run((id, version, title.clone()))>"Remove"</button>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
