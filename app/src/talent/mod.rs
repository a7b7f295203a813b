//! Freelancer onboarding: `/talent` (the profile, availability calendar, portfolio and identity
//! documents, then review), `/talent/projects` (open projects and applications),
//! `/admin/talent` (the ops review queue), and the applications panel staff see on a project.
//!
//! What is typed in the profile and availability forms lives in page-level drafts, so the
//! reload after an upload never loses it; a refused save keeps it too.

pub mod api;

use domain::site::media::human_size;
use domain::talent::{
    offset_label, ApplicationInput, ApplicationStatus, ApplicationView, Availability, KycKind,
    OpenProject, ProfileInput, ProfileStatus, ProfileView, ReviewItem, TimeOff, MAX_DAY_HOURS,
    MAX_SKILLS, TAXONOMY, UTC_OFFSETS, WEEKDAYS,
};
use domain::workspace::{ACCEPTED_FILES, MAX_FILE_BYTES};
use domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{
    field_error, field_value, general_error, short_time, ErrorView, FieldMessage, FormAlert,
    BUTTON, CARD, H1, H2, INPUT, LINK, SMALL_BTN,
};
use api::*;

const HINT: &str = "text-xs text-slate-600 dark:text-slate-400";
const LABEL: &str = "block text-sm font-medium";

fn status_badge(s: ProfileStatus) -> &'static str {
    match s {
        ProfileStatus::Approved => {
            "bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100"
        }
        ProfileStatus::Submitted => {
            "bg-indigo-100 text-indigo-900 dark:bg-indigo-900 dark:text-indigo-100"
        }
        ProfileStatus::ChangesRequested => {
            "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100"
        }
        ProfileStatus::Draft => "bg-slate-100 text-slate-800 dark:bg-slate-800 dark:text-slate-100",
    }
}

/// What the profile forms hold so far, kept across reloads of the page.
#[derive(Clone, Copy)]
struct Drafts {
    profile: RwSignal<Option<ProfileInput>>,
    availability: RwSignal<Option<Availability>>,
    /// The profile was saved and not edited since: kept here, above the form that the reload
    /// after saving draws again, so the confirmation stays.
    profile_saved: RwSignal<bool>,
}

/// `/talent`: a freelancer's onboarding.
#[component]
pub fn TalentPage() -> impl IntoView {
    let version = RwSignal::new(0usize);
    let reload = Callback::new(move |()| version.update(|v| *v += 1));
    let profile = Resource::new(move || version.get(), |_| my_profile());
    let drafts = Drafts {
        profile: RwSignal::new(None),
        availability: RwSignal::new(None),
        profile_saved: RwSignal::new(false),
    };
    view! {
        <Title text="Your freelancer profile" />
        <h1 class=H1>"Your freelancer profile"</h1>
        <Transition fallback=|| view! { <p class="mt-4">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(p) => view! { <Onboarding p drafts reload /> }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Onboarding(p: ProfileView, drafts: Drafts, reload: Callback<()>) -> impl IntoView {
    let missing: Vec<&'static str> = p.missing();
    let ready = missing.is_empty();
    let status = p.status;
    let locked = !p.editable();
    let submit = Action::new(|_: &()| submit_profile());
    Effect::new(move |_| {
        if let Some(Ok(())) = submit.value().get() {
            reload.run(());
        }
    });
    let submit_error = crate::components::action_error(submit);
    view! {
        <section class=format!("{CARD} mt-4") aria-labelledby="status-h" data-testid="profile-status" data-status=status.as_str()>
            <h2 id="status-h" class=H2>
                "Status: "
                <span class=format!("ml-1 rounded px-2 py-0.5 text-sm {}", status_badge(status))>{status.label()}</span>
            </h2>
            {match status {
                ProfileStatus::Draft => view! { <p class="mt-2 text-sm">"Fill in each part below, then send your profile to review. Ops checks it within two working days."</p> }.into_any(),
                ProfileStatus::Submitted => view! { <p class="mt-2 text-sm">{format!("Sent for review {}. You can change it again once ops replies.", p.submitted_at.as_deref().map(short_time).unwrap_or_default())}</p> }.into_any(),
                ProfileStatus::ChangesRequested => view! { <p class="mt-2 text-sm">"Ops asked for changes. Make them, then send the profile again."</p> }.into_any(),
                ProfileStatus::Approved => view! {
                    <p class="mt-2 text-sm">"You are approved: ops can match you to projects, and you can apply to open ones. "
                        <a class=LINK href="/talent/projects">"See open projects"</a></p>
                }.into_any(),
            }}
            {p.review_note.clone().map(|n| view! {
                <blockquote class="mt-2 border-l-4 border-amber-400 pl-3 text-sm" aria-label="Note from ops">{n}</blockquote>
            })}
            {(!matches!(status, ProfileStatus::Approved | ProfileStatus::Submitted)).then(|| view! {
                <div class="mt-3">
                    {(!ready).then(|| view! {
                        <p class="text-sm" data-testid="missing">{format!("Still needed: {}.", missing.join("; "))}</p>
                    })}
                    <button type="button" class=format!("{BUTTON} mt-2") disabled=move || !ready || submit.pending().get()
                        on:click=move |_| { submit.dispatch(()); }>"Send for review"</button>
                    <FormAlert error=general_error(submit_error) />
                    <FieldMessage message=field_error(submit_error, "submit") />
                </div>
            })}
        </section>
        <fieldset disabled=locked class="contents">
            <ProfileForm initial=p.input.clone() draft=drafts.profile saved=drafts.profile_saved reload />
            <AvailabilityForm p=p.clone() draft=drafts.availability reload />
            <Portfolio p=p.clone() reload />
            <Documents p reload />
        </fieldset>
    }
}

#[component]
fn ProfileForm(
    initial: ProfileInput,
    draft: RwSignal<Option<ProfileInput>>,
    saved: RwSignal<bool>,
    reload: Callback<()>,
) -> impl IntoView {
    let current = {
        let initial = initial.clone();
        move || draft.get().unwrap_or_else(|| initial.clone())
    };
    let edit = {
        let initial = initial.clone();
        move |f: &dyn Fn(&mut ProfileInput)| {
            saved.set(false);
            draft.update(|d| {
                let d = d.get_or_insert_with(|| initial.clone());
                f(d);
            });
        }
    };
    let save = Action::new(|input: &ProfileInput| {
        let json = serde_json::to_string(input).unwrap_or_default();
        async move { save_talent_profile(json).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            draft.set(None);
            saved.set(true);
            reload.run(());
        }
    });
    let error = crate::components::action_error(save);
    let filter = RwSignal::new(String::new());
    let invalid = move |f: &'static str| move || field_error(error, f).get().map(|_| "true");
    let headline = {
        let (current, edit) = (current.clone(), edit.clone());
        view! {
            <div class="mb-4">
                <label for="p-headline" class=LABEL>"Headline"</label>
                <input id="p-headline" class=INPUT prop:value=move || current().headline
                    aria-invalid=invalid("headline") aria-describedby="p-headline-error"
                    on:input=move |ev| { let v = event_target_value(&ev); edit(&|d| d.headline = v.clone()); } />
                <FieldMessage id="p-headline-error" message=field_error(error, "headline") />
            </div>
        }
    };
    let bio = {
        let (current, edit) = (current.clone(), edit.clone());
        view! {
            <div class="mb-4">
                <label for="p-bio" class=LABEL>"About you and your work"</label>
                <p id="p-bio-hint" class=HINT>"A few sentences: what you have shipped, for whom, and how you work."</p>
                <textarea id="p-bio" rows="5" class=INPUT prop:value=move || current().bio
                    aria-invalid=invalid("bio") aria-describedby="p-bio-hint p-bio-error"
                    on:input=move |ev| { let v = event_target_value(&ev); edit(&|d| d.bio = v.clone()); }></textarea>
                <FieldMessage id="p-bio-error" message=field_error(error, "bio") />
            </div>
        }
    };
    let rate_zone = {
        let (current, edit) = (current.clone(), edit.clone());
        let (current2, edit2) = (current.clone(), edit.clone());
        view! {
            <div class="mb-4 grid gap-4 sm:grid-cols-2">
                <div>
                    <label for="p-rate" class=LABEL>"Hourly rate (US$)"</label>
                    <input id="p-rate" inputmode="numeric" class=INPUT prop:value=move || current().hourly_rate
                        aria-invalid=invalid("hourly_rate") aria-describedby="p-rate-error"
                        on:input=move |ev| { let v = event_target_value(&ev); edit(&|d| d.hourly_rate = v.clone()); } />
                    <FieldMessage id="p-rate-error" message=field_error(error, "hourly_rate") />
                </div>
                <div>
                    <label for="p-zone" class=LABEL>"Time zone"</label>
                    <select id="p-zone" class=INPUT aria-invalid=invalid("utc_offset") aria-describedby="p-zone-error"
                        on:change=move |ev| { let v = event_target_value(&ev); edit2(&|d| d.utc_offset = v.clone()); }>
                        {UTC_OFFSETS.iter().map(|o| {
                            let current2 = current2.clone();
                            let value = o.to_string();
                            let v2 = value.clone();
                            view! { <option value=value selected=move || current2().utc_offset == v2>{offset_label(*o)}</option> }
                        }).collect_view()}
                    </select>
                    <FieldMessage id="p-zone-error" message=field_error(error, "utc_offset") />
                </div>
            </div>
        }
    };
    let skills = {
        let (current, edit) = (current.clone(), edit.clone());
        let chosen = {
            let current = current.clone();
            move || current().skills.len()
        };
        view! {
            <fieldset class="mb-4" aria-describedby="p-skills-hint p-skills-error">
                <legend class=LABEL>"Skills"</legend>
                <p id="p-skills-hint" class=HINT>{move || format!("Pick up to {MAX_SKILLS} from the list ({} picked). Matching compares these.", chosen())}</p>
                <label for="p-skill-filter" class="sr-only">"Filter skills"</label>
                <input id="p-skill-filter" type="search" placeholder="Filter skills" class=format!("{INPUT} max-w-xs")
                    on:input=move |ev| filter.set(event_target_value(&ev)) />
                <div class="mt-2 grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
                    {TAXONOMY.iter().map(|(group, names)| {
                        let (current, edit) = (current.clone(), edit.clone());
                        view! {
                            <div>
                                <p class="text-xs font-semibold uppercase tracking-wide text-slate-500">{*group}</p>
                                {names.iter().map(|name| {
                                    let name: &'static str = name;
                                    let (current, edit) = (current.clone(), edit.clone());
                                    let shown = move || {
                                        let f = filter.get();
                                        f.trim().is_empty() || name.to_lowercase().contains(&f.trim().to_lowercase())
                                    };
                                    view! {
                                        <label class="flex items-center gap-2 text-sm" class:hidden=move || !shown()>
                                            <input type="checkbox" value=name
                                                prop:checked=move || current().skills.iter().any(|s| s == name)
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    edit(&|d| {
                                                        d.skills.retain(|s| s != name);
                                                        if on { d.skills.push(name.to_owned()); }
                                                    });
                                                } />
                                            {name}
                                        </label>
                                    }
                                }).collect_view()}
                            </div>
                        }
                    }).collect_view()}
                </div>
                <FieldMessage id="p-skills-error" message=field_error(error, "skills") />
            </fieldset>
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(current());
    };
    view! {
        <section class=format!("{CARD} mt-6") aria-labelledby="profile-h">
            <h2 id="profile-h" class=H2>"Profile"</h2>
            <form class="mt-3" on:submit=on_submit novalidate>
                <FormAlert error=general_error(error) />
                {headline}
                {bio}
                {rate_zone}
                {skills}
                <button type="submit" class=BUTTON disabled=move || save.pending().get()>"Save profile"</button>
                {move || saved.get().then(|| view! { <span role="status" class="ml-3 text-sm">"Saved."</span> })}
            </form>
        </section>
    }
}

#[component]
fn AvailabilityForm(
    p: ProfileView,
    draft: RwSignal<Option<Availability>>,
    reload: Callback<()>,
) -> impl IntoView {
    let initial = p.availability.clone();
    let current = {
        let initial = initial.clone();
        move || draft.get().unwrap_or_else(|| initial.clone())
    };
    let edit = {
        let initial = initial.clone();
        move |f: &dyn Fn(&mut Availability)| {
            draft.update(|d| f(d.get_or_insert_with(|| initial.clone())));
        }
    };
    let save = Action::new(|a: &Availability| {
        let json = serde_json::to_string(a).unwrap_or_default();
        async move { save_talent_availability(json).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            draft.set(None);
            reload.run(());
        }
    });
    let error = crate::components::action_error(save);
    let days = (0..7)
        .map(|i| {
            let (current, edit) = (current.clone(), edit.clone());
            let field: &'static str = ["weekly.0", "weekly.1", "weekly.2", "weekly.3", "weekly.4", "weekly.5", "weekly.6"][i];
            view! {
                <div>
                    <label for=format!("a-day-{i}") class=LABEL>{WEEKDAYS[i]}</label>
                    <input id=format!("a-day-{i}") type="number" min="0" max=MAX_DAY_HOURS.to_string() class=INPUT
                        prop:value=move || current().weekly[i].to_string()
                        aria-invalid=move || field_error(error, field).get().map(|_| "true")
                        on:input=move |ev| {
                            let v = event_target_value(&ev).trim().parse::<u8>().unwrap_or(0);
                            edit(&|d| d.weekly[i] = v);
                        } />
                    <FieldMessage message=field_error(error, field) />
                </div>
            }
        })
        .collect_view();
    let rows = {
        let (current, edit) = (current.clone(), edit.clone());
        move || {
            current()
                .time_off
                .into_iter()
                .enumerate()
                .map(|(i, t)| {
                    let (e1, e2, e3, e4) = (edit.clone(), edit.clone(), edit.clone(), edit.clone());
                    let field = format!("time_off.{i}");
                    let msg = Signal::derive(move || {
                        error.get().and_then(|e| e.message_for(&field).map(str::to_owned))
                    });
                    view! {
                        <li class="flex flex-wrap items-end gap-2" data-testid="time-off">
                            <label class="text-sm">"First day off"
                                <input type="date" class=INPUT prop:value=t.from.clone()
                                    on:input=move |ev| { let v = event_target_value(&ev); e1(&|d| d.time_off[i].from = v.clone()); } /></label>
                            <label class="text-sm">"Last day off"
                                <input type="date" class=INPUT prop:value=t.to.clone()
                                    on:input=move |ev| { let v = event_target_value(&ev); e2(&|d| d.time_off[i].to = v.clone()); } /></label>
                            <label class="text-sm">"Note"
                                <input class=INPUT prop:value=t.note.clone()
                                    on:input=move |ev| { let v = event_target_value(&ev); e3(&|d| d.time_off[i].note = v.clone()); } /></label>
                            <button type="button" class=SMALL_BTN on:click=move |_| e4(&|d| { d.time_off.remove(i); })>"Remove"</button>
                            <FieldMessage message=msg />
                        </li>
                    }
                })
                .collect_view()
        }
    };
    let add_row = {
        let edit = edit.clone();
        move |_| {
            edit(&|d| {
                d.time_off.push(TimeOff {
                    from: String::new(),
                    to: String::new(),
                    note: String::new(),
                })
            })
        }
    };
    let on_submit = {
        let current = current.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            save.dispatch(current());
        }
    };
    let calendar = p.calendar.clone();
    view! {
        <section class=format!("{CARD} mt-6") aria-labelledby="avail-h">
            <h2 id="avail-h" class=H2>"Availability"</h2>
            <p class="mt-1 text-sm">{format!("About {} hours a week over the next four weeks.", p.hours_per_week)}</p>
            <form class="mt-3" on:submit=on_submit novalidate>
                <FormAlert error=general_error(error) />
                <fieldset>
                    <legend class=LABEL>"Hours you can work on each day"</legend>
                    <div class="mt-1 grid grid-cols-4 gap-2 sm:grid-cols-7">{days}</div>
                    <FieldMessage message=field_error(error, "weekly") />
                </fieldset>
                <fieldset class="mt-4">
                    <legend class=LABEL>"Time off"</legend>
                    <ul class="mt-1 grid gap-2">{rows}</ul>
                    <button type="button" class=format!("{SMALL_BTN} mt-2") on:click=add_row>"Add time off"</button>
                    <FieldMessage message=field_error(error, "time_off") />
                </fieldset>
                <button type="submit" class=format!("{BUTTON} mt-4") disabled=move || save.pending().get()>"Save availability"</button>
            </form>
            <h3 class="mt-6 text-sm font-semibold">"Your next four weeks"</h3>
            <div class="mt-2 grid grid-cols-7 gap-1 text-center text-xs" role="table" aria-label="Availability calendar">
                <div role="row" class="contents">
                    {WEEKDAYS.iter().map(|d| view! { <div role="columnheader" class="font-semibold">{*d}</div> }).collect_view()}
                </div>
                <div role="row" class="contents">
                {calendar.into_iter().map(|d| {
                    let tone = if d.past {
                        "bg-slate-50 text-slate-400 dark:bg-slate-900"
                    } else if d.off {
                        "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100"
                    } else if d.hours > 0 {
                        "bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100"
                    } else {
                        "bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300"
                    };
                    let label = if d.off { "off".to_owned() } else { format!("{} h", d.hours) };
                    view! {
                        <div role="cell" class=format!("rounded p-1 {tone}") title=d.date.clone() data-date=d.date.clone() data-hours=d.hours.to_string()>
                            <span class="block font-medium">{d.day}</span>{label}
                        </div>
                    }
                }).collect_view()}
                </div>
            </div>
        </section>
    }
}

/// A submit handler that sends its form with `send` (see [`crate::components::send_upload`]).
fn upload_form<F, Fut>(
    form_ref: NodeRef<leptos::html::Form>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<AppError>>,
    reload: Callback<()>,
    send: F,
) -> impl Fn(leptos::ev::SubmitEvent) + 'static
where
    F: Fn(web_sys::FormData) -> Fut + Copy + 'static,
    Fut: std::future::Future<Output = Result<String, AppError>> + 'static,
{
    move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(form) = form_ref.get() {
            crate::components::send_upload(form, busy, error, reload, send);
        }
    }
}

#[component]
fn Portfolio(p: ProfileView, reload: Callback<()>) -> impl IntoView {
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let submit = upload_form(form_ref, busy, error, reload, |d| {
        add_portfolio_piece(d.into())
    });
    let remove = Action::new(|id: &String| {
        let id = id.clone();
        async move { remove_portfolio_piece(id).await }
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => reload.run(()),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let e = Signal::derive(move || error.get());
    let invalid = move |f: &'static str| move || field_error(e, f).get().map(|_| "true");
    view! {
        <section class=format!("{CARD} mt-6") aria-labelledby="portfolio-h">
            <h2 id="portfolio-h" class=H2>{format!("Portfolio ({})", p.portfolio.len())}</h2>
            <ul class="mt-3 grid gap-2" aria-label="Portfolio pieces">
                {p.portfolio.into_iter().map(|item| {
                    let id = item.id.to_string();
                    view! {
                        <li class="flex flex-wrap items-center justify-between gap-2 text-sm" data-testid="piece">
                            <span>
                                <span class="font-medium">{item.title.clone()}</span>
                                {(!item.description.is_empty()).then(|| format!(" — {}", item.description))}
                                {item.url.clone().map(|u| view! { " · " <a class=LINK href=u.clone() rel="noopener noreferrer nofollow" target="_blank">"Link"</a> })}
                                {item.file.clone().map(|f| view! { " · " <a class=LINK href=format!("/talent/portfolio/{f}")>"File"</a> })}
                            </span>
                            <button type="button" class=SMALL_BTN on:click=move |_| { remove.dispatch(id.clone()); }>{format!("Remove {}", item.title)}</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <form node_ref=form_ref class="mt-4 grid gap-3 border-t border-slate-200 pt-3 dark:border-slate-800" on:submit=submit novalidate>
                <FormAlert error=general_error(e) />
                <h3 class="text-sm font-semibold">"Add a piece"</h3>
                <div>
                    <label for="piece-title" class=LABEL>"Title"</label>
                    <input id="piece-title" name="title" class=INPUT aria-invalid=invalid("title") aria-describedby="piece-title-error" />
                    <FieldMessage id="piece-title-error" message=field_error(e, "title") />
                </div>
                <div>
                    <label for="piece-description" class=LABEL>"What it was, and your part in it"</label>
                    <textarea id="piece-description" name="description" rows="2" class=INPUT aria-invalid=invalid("description")></textarea>
                    <FieldMessage message=field_error(e, "description") />
                </div>
                <div>
                    <label for="piece-url" class=LABEL>"Link (optional)"</label>
                    <input id="piece-url" name="url" type="url" placeholder="https://" class=INPUT aria-invalid=invalid("url") aria-describedby="piece-url-error" />
                    <FieldMessage id="piece-url-error" message=field_error(e, "url") />
                </div>
                <div>
                    <label for="piece-file" class=LABEL>"File (optional)"</label>
                    <p id="piece-file-hint" class=HINT>{format!("{ACCEPTED_FILES}; up to {} MB.", MAX_FILE_BYTES / (1024 * 1024))}</p>
                    <input id="piece-file" name="file" type="file" class="mt-1 block w-full text-sm" aria-invalid=invalid("file") aria-describedby="piece-file-hint piece-file-error" />
                    <FieldMessage id="piece-file-error" message=field_error(e, "file") />
                </div>
                <div><button type="submit" class=BUTTON disabled=move || busy.get()>{move || if busy.get() { "Adding…" } else { "Add to portfolio" }}</button></div>
            </form>
        </section>
    }
}

#[component]
fn Documents(p: ProfileView, reload: Callback<()>) -> impl IntoView {
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let submit = upload_form(form_ref, busy, error, reload, |d| {
        upload_kyc_document(d.into())
    });
    let remove = Action::new(|id: &String| {
        let id = id.clone();
        async move { remove_kyc_document(id).await }
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => reload.run(()),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let e = Signal::derive(move || error.get());
    view! {
        <section class=format!("{CARD} mt-6") aria-labelledby="kyc-h">
            <h2 id="kyc-h" class=H2>"Identity documents"</h2>
            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                "We need one passport, national ID card or driving licence. Documents are encrypted with a key of your own before they are stored; only you and Fluxorae's reviewers can open them, and every time a reviewer does is logged."
            </p>
            <ul class="mt-3 grid gap-2" aria-label="Your documents">
                {p.documents.into_iter().map(|d| {
                    let id = d.id.to_string();
                    view! {
                        <li class="flex flex-wrap items-center justify-between gap-2 text-sm" data-testid="document">
                            <span>
                                <span class="font-medium">{d.kind.label()}</span>
                                " · " <a class=LINK href=format!("/talent/documents/{}", d.id)>{d.name.clone()}</a>
                                {format!(" · {} · {}", human_size(d.bytes.max(0) as u64), short_time(&d.at))}
                            </span>
                            <button type="button" class=SMALL_BTN on:click=move |_| { remove.dispatch(id.clone()); }>{format!("Remove {}", d.name)}</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <form node_ref=form_ref class="mt-4 grid gap-3 border-t border-slate-200 pt-3 sm:grid-cols-2 dark:border-slate-800" on:submit=submit novalidate>
                <div class="sm:col-span-2"><FormAlert error=general_error(e) /></div>
                <div>
                    <label for="kyc-kind" class=LABEL>"Document"</label>
                    <select id="kyc-kind" name="kind" class=INPUT>
                        {KycKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                    </select>
                    <FieldMessage message=field_error(e, "kind") />
                </div>
                <div>
                    <label for="kyc-file" class=LABEL>"Scan or photo"</label>
                    <p id="kyc-file-hint" class=HINT>"PDF, PNG, JPEG or WebP; up to 25 MB."</p>
                    <input id="kyc-file" name="file" type="file" accept=".pdf,.png,.jpg,.jpeg,.webp" class="mt-1 block w-full text-sm"
                        aria-invalid=move || field_error(e, "file").get().map(|_| "true") aria-describedby="kyc-file-hint kyc-file-error" />
                    <FieldMessage id="kyc-file-error" message=field_error(e, "file") />
                </div>
                <div><button type="submit" class=BUTTON disabled=move || busy.get()>{move || if busy.get() { "Uploading…" } else { "Upload document" }}</button></div>
            </form>
        </section>
    }
}

/// `/talent/projects`: projects open to applications, and the asker's applications.
#[component]
pub fn OpenProjectsPage() -> impl IntoView {
    let version = RwSignal::new(0usize);
    let reload = Callback::new(move |()| version.update(|v| *v += 1));
    let projects = Resource::new(move || version.get(), |_| open_projects());
    view! {
        <Title text="Open projects" />
        <p><a href="/talent" class=LINK>"← Your profile"</a></p>
        <h1 class=format!("{H1} mt-2")>"Open projects"</h1>
        <p class="mt-2 max-w-2xl text-slate-600 dark:text-slate-400">"Projects waiting for a freelancer. Send a proposal; ops chooses and assigns."</p>
        <Transition fallback=|| view! { <p class="mt-4">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match projects.await {
                    Ok(list) if list.is_empty() => view! { <p class="mt-6">"No project is waiting for a freelancer right now."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="mt-6 grid gap-4">
                            {list.into_iter().map(|p| view! { <OpenProjectCard p reload /> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(AppError::Conflict(m)) => view! { <p class="mt-6" role="status">{m} " " <a class=LINK href="/talent">"Your profile"</a></p> }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OpenProjectCard(p: OpenProject, reload: Callback<()>) -> impl IntoView {
    let pid = p.id.to_string();
    let apply = Action::new(|(p, input): &(String, ApplicationInput)| {
        let (p, json) = (p.clone(), serde_json::to_string(input).unwrap_or_default());
        async move { apply_to_project(p, json).await }
    });
    let withdraw = Action::new(|id: &String| {
        let id = id.clone();
        async move { withdraw_application(id).await }
    });
    Effect::new(move |_| {
        if matches!(apply.value().get(), Some(Ok(_)))
            || matches!(withdraw.value().get(), Some(Ok(())))
        {
            reload.run(());
        }
    });
    let error = Signal::derive(move || {
        apply
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| withdraw.value().get().and_then(|r| r.err()))
    });
    let fid = |f: &str| format!("{f}-{}", p.id);
    let (proposal_id, price_id, weeks_id) = (fid("proposal"), fid("price"), fid("weeks"));
    let on_submit = {
        let (pid, a, b, c) = (
            pid.clone(),
            proposal_id.clone(),
            price_id.clone(),
            weeks_id.clone(),
        );
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            apply.dispatch((
                pid.clone(),
                ApplicationInput {
                    proposal: field_value(&a),
                    price: field_value(&b),
                    weeks: field_value(&c),
                },
            ));
        }
    };
    let invalid = move |f: &'static str| move || field_error(error, f).get().map(|_| "true");
    let mine = p.mine.clone();
    let can_apply = mine
        .as_ref()
        .is_none_or(|a| a.status == ApplicationStatus::Withdrawn);
    view! {
        <li class=CARD data-testid="open-project">
            <h2 class=H2>{p.title.clone()}</h2>
            <p class="mt-1 text-sm">{format!("Budget {} over {} milestone(s)", p.budget, p.milestones)}</p>
            <p class="mt-2 text-sm">{p.summary.clone()}</p>
            <ul class="mt-2 list-disc pl-5 text-sm">{p.deliverables.iter().map(|d| view! { <li>{d.clone()}</li> }).collect_view()}</ul>
            {mine.map(|a| {
                let id = a.id.to_string();
                let pending = a.status == ApplicationStatus::Pending;
                view! {
                    <div class="mt-3 rounded-md bg-slate-50 p-3 text-sm dark:bg-slate-900" data-testid="my-application" data-status=a.status.as_str()>
                        <p class="font-medium">{format!("Your application: {} · ${} · {} weeks · sent {}", a.status.label(), a.price_usd, a.weeks, short_time(&a.at))}</p>
                        <p class="mt-1 whitespace-pre-line">{a.proposal.clone()}</p>
                        {pending.then(|| view! { <button type="button" class=format!("{SMALL_BTN} mt-2") on:click=move |_| { withdraw.dispatch(id.clone()); }>"Withdraw"</button> })}
                    </div>
                }
            })}
            <FormAlert error=general_error(error) />
            {can_apply.then(|| view! {
                <form class="mt-3 grid gap-3 border-t border-slate-200 pt-3 dark:border-slate-800" on:submit=on_submit novalidate>
                    <div>
                        <label for=proposal_id.clone() class=LABEL>"Your proposal"</label>
                        <p class=HINT>"How you would do it, similar work you have done, and when you can start."</p>
                        <textarea id=proposal_id.clone() rows="4" class=INPUT aria-invalid=invalid("proposal")></textarea>
                        <FieldMessage message=field_error(error, "proposal") />
                    </div>
                    <div class="grid gap-3 sm:grid-cols-2">
                        <div>
                            <label for=price_id.clone() class=LABEL>"Your price for the project (US$)"</label>
                            <input id=price_id.clone() inputmode="numeric" class=INPUT aria-invalid=invalid("price") />
                            <FieldMessage message=field_error(error, "price") />
                        </div>
                        <div>
                            <label for=weeks_id.clone() class=LABEL>"Weeks you need"</label>
                            <input id=weeks_id.clone() inputmode="numeric" class=INPUT aria-invalid=invalid("weeks") />
                            <FieldMessage message=field_error(error, "weeks") />
                        </div>
                    </div>
                    <div><button type="submit" class=BUTTON disabled=move || apply.pending().get()>"Send application"</button></div>
                </form>
            })}
        </li>
    }
}

/// `/admin/talent`: profiles waiting for review (staff).
#[component]
pub fn TalentReviewPage() -> impl IntoView {
    let decide = Action::new(|(user, how, note): &(String, String, String)| {
        let (user, how, note) = (user.clone(), how.clone(), note.clone());
        async move { review_talent(user, how, note).await }
    });
    let done = crate::components::successes(decide);
    let queue = Resource::new(move || done.get(), |_| talent_review_queue());
    let error = crate::components::action_error(decide);
    view! {
        <Title text="Freelancer review" />
        <h1 class=H1>"Freelancer review"</h1>
        <p class="mt-2 max-w-2xl text-slate-600 dark:text-slate-400">"Profiles sent for review, oldest first. Check the work and the identity document, then approve or say what to change."</p>
        <FormAlert error=general_error(error) />
        <Transition fallback=|| view! { <p class="mt-4">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Ok(list) if list.is_empty() => view! { <p class="mt-6">"No profile is waiting for review."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="mt-6 grid gap-4">
                            {list.into_iter().map(|item| view! { <ReviewCard item decide error /> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ReviewCard(
    item: ReviewItem,
    decide: Action<(String, String, String), Result<(), AppError>>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let p = item.profile;
    let uid = p.user_id.to_string();
    let note_id = format!("note-{uid}");
    let button = {
        let (uid, note_id) = (uid.clone(), note_id.clone());
        move |how: &'static str, label: &'static str| {
            let (uid, note_id) = (uid.clone(), note_id.clone());
            view! {
                <button type="button" class=if how == "approve" { BUTTON } else { SMALL_BTN } disabled=move || decide.pending().get()
                    on:click=move |_| { decide.dispatch((uid.clone(), how.to_owned(), field_value(&note_id))); }>{label}</button>
            }
        }
    };
    let weekly = p
        .availability
        .weekly
        .iter()
        .zip(WEEKDAYS)
        .map(|(h, d)| format!("{d} {h}"))
        .collect::<Vec<_>>()
        .join(" · ");
    let zone = p
        .input
        .utc_offset
        .parse()
        .map(offset_label)
        .unwrap_or_default();
    view! {
        <li class=CARD data-testid="review-item">
            <h2 class=H2>{p.name.clone()}</h2>
            <p class="text-sm text-slate-600 dark:text-slate-400">{format!("{} · ${}/h · {zone} · sent {}", item.email, p.input.hourly_rate, p.submitted_at.as_deref().map(short_time).unwrap_or_default())}</p>
            <p class="mt-2 font-medium">{p.input.headline.clone()}</p>
            <p class="mt-1 whitespace-pre-line text-sm">{p.input.bio.clone()}</p>
            <p class="mt-2 flex flex-wrap gap-1" aria-label="Skills">
                {p.input.skills.iter().map(|s| view! { <span class="rounded bg-slate-100 px-2 py-0.5 text-xs dark:bg-slate-800">{s.clone()}</span> }).collect_view()}
            </p>
            <p class="mt-2 text-sm">{format!("Hours: {weekly} (about {} a week over four weeks, time off counted)", p.hours_per_week)}</p>
            <h3 class="mt-3 text-sm font-semibold">"Portfolio"</h3>
            <ul class="list-disc pl-5 text-sm">
                {p.portfolio.iter().map(|i| view! {
                    <li>{i.title.clone()}
                        {i.url.clone().map(|u| view! { " · " <a class=LINK href=u rel="noopener noreferrer nofollow" target="_blank">"Link"</a> })}
                        {i.file.clone().map(|f| view! { " · " <a class=LINK href=format!("/talent/portfolio/{f}")>"File"</a> })}
                    </li>
                }).collect_view()}
            </ul>
            <h3 class="mt-3 text-sm font-semibold">"Identity documents (opening one is logged)"</h3>
            <ul class="list-disc pl-5 text-sm">
                {p.documents.iter().map(|d| view! {
                    <li>{format!("{}: ", d.kind.label())}<a class=LINK href=format!("/talent/documents/{}", d.id)>{d.name.clone()}</a></li>
                }).collect_view()}
            </ul>
            <label for=note_id.clone() class=format!("{LABEL} mt-3")>"Note to the freelancer"</label>
            <textarea id=note_id.clone() rows="2" class=INPUT placeholder="Needed when asking for changes"></textarea>
            <FieldMessage message=field_error(error, "note") />
            <div class="mt-2 flex flex-wrap gap-2">
                {button("approve", "Approve")}
                {button("request_changes", "Ask for changes")}
            </div>
        </li>
    }
}

/// Staff on a project: the applications freelancers sent, to accept (assigns) or decline.
#[component]
pub fn Applications(project: String, reload: Callback<()>) -> impl IntoView {
    let decide = Action::new(|(id, accept): &(String, bool)| {
        let (id, accept) = (id.clone(), *accept);
        async move { decide_application(id, accept).await }
    });
    let done = crate::components::successes(decide);
    let list = Resource::new(
        move || done.get(),
        move |_| project_applications(project.clone()),
    );
    Effect::new(move |prev: Option<usize>| {
        let n = done.get();
        if prev.is_some_and(|p| p != n) {
            reload.run(());
        }
        n
    });
    let error = crate::components::action_error(decide);
    view! {
        <section class=format!("{CARD} mt-6") aria-labelledby="applications-h">
            <h2 id="applications-h" class=H2>"Applications"</h2>
            <FormAlert error />
            <Transition fallback=|| view! { <p class="mt-2 text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(apps) if apps.is_empty() => view! { <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">"No applications yet."</p> }.into_any(),
                        Ok(apps) => view! {
                            <ul class="mt-3 grid gap-3">
                                {apps.into_iter().map(|a| view! { <Application a decide /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <p class="mt-2 text-sm text-red-700">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Application(
    a: ApplicationView,
    decide: Action<(String, bool), Result<(), AppError>>,
) -> impl IntoView {
    let (id1, id2) = (a.id.to_string(), a.id.to_string());
    let pending = a.status == ApplicationStatus::Pending;
    view! {
        <li class="rounded-md bg-slate-50 p-3 text-sm dark:bg-slate-900" data-testid="application" data-status=a.status.as_str()>
            <p><span class="font-medium">{a.freelancer.clone()}</span>{format!(" — {} · ${} · {} weeks · {} · {}", a.headline, a.price_usd, a.weeks, a.status.label(), short_time(&a.at))}</p>
            <p class="mt-1 whitespace-pre-line">{a.proposal.clone()}</p>
            {pending.then(|| view! {
                <div class="mt-2 flex gap-2">
                    <button type="button" class=SMALL_BTN disabled=move || decide.pending().get() on:click=move |_| { decide.dispatch((id1.clone(), true)); }>{format!("Accept and assign {}", a.freelancer)}</button>
                    <button type="button" class=SMALL_BTN disabled=move || decide.pending().get() on:click=move |_| { decide.dispatch((id2.clone(), false)); }>"Decline"</button>
                </div>
            })}
        </li>
    }
}
