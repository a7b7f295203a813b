//! `/teams/:slug/leads/import`: importing leads from a CSV file. The file is uploaded first; the
//! page shows its first rows and the columns guessed for the name, phone numbers and emails,
//! which the person importing confirms or changes. Then a progress bar follows the import to its
//! end, with what came of every row and a downloadable report of the rows refused.

use domain::leads::import::{ImportState, ImportView, Mapping};
use domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::{
    action_error, field_error, general_error, FieldMessage, FormAlert, BUTTON, CARD, H1, INPUT,
    LINK, TABLE,
};

/// Where the upload goes (its body may be far larger than other requests).
pub const IMPORT_UPLOAD_PATH: &str = "/api/leads/import/upload";

#[cfg(feature = "ssr")]
async fn importer(
    slug: &str,
) -> Result<
    (
        domain::server::Services,
        domain::user::SessionUser,
        domain::server::guard::TenantGrant,
    ),
    AppError,
> {
    use domain::permissions::{Access, Resource};
    super::api::member_for(slug, Resource::Leads, Access::Write).await
}

/// Uploads a CSV file (`slug`, `country`, `file`); answers the new import with its preview and
/// the columns guessed.
#[server(endpoint = "leads/import/upload", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn import_upload(
    data: leptos::server_fn::codec::MultipartData,
) -> Result<ImportView, AppError> {
    use crate::ssr::fail;
    let mut up = crate::ssr::read_upload(data, domain::leads::import::MAX_BYTES)
        .await
        .map_err(|e| {
            fail(AppError::BadRequest(format!(
                "The upload could not be read: {e}"
            )))
        })?;
    let slug = up.fields.remove("slug").unwrap_or_default();
    let country = up.fields.remove("country").unwrap_or_default();
    let (svc, user, grant) = importer(&slug).await?;
    let (name, bytes) = up.file.unwrap_or_default();
    domain::server::leads::import::upload(&svc, &grant, user.id, &name, &bytes, &country)
        .await
        .map_err(fail)
}

/// An import, as it stands.
#[server(endpoint = "leads/import/view")]
pub async fn import_status(slug: String, id: String) -> Result<ImportView, AppError> {
    use crate::ssr::fail;
    let (svc, _, grant) = importer(&slug).await?;
    domain::server::leads::import::view(&svc, &grant, crate::projects::api::id(&id)?)
        .await
        .map_err(fail)
}

/// Confirms the columns (`mapping`: a `Mapping` as JSON) and starts the import.
#[server(endpoint = "leads/import/start")]
pub async fn import_start(
    slug: String,
    id: String,
    mapping: String,
) -> Result<ImportView, AppError> {
    use crate::ssr::fail;
    let (svc, _, grant) = importer(&slug).await?;
    let mapping = crate::projects::api::json("mapping", &mapping)?;
    domain::server::leads::import::start(&svc, &grant, crate::projects::api::id(&id)?, &mapping)
        .await
        .map_err(fail)
}

/// The import page.
#[component]
pub fn ImportPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let current: RwSignal<Option<ImportView>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let upload_error: RwSignal<Option<AppError>> = RwSignal::new(None);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(form) = form_ref.get() else { return };
        let Ok(data) = web_sys::FormData::new_with_form(&form) else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = import_upload(data.into()).await;
            busy.set(false);
            match answer {
                Ok(v) => {
                    upload_error.set(None);
                    current.set(Some(v));
                }
                Err(e) => upload_error.set(Some(e)),
            }
        });
    };
    let file_error = field_error(upload_error.into(), "file");
    let country_error = field_error(upload_error.into(), "country");
    view! {
        <Title text="Import leads" />
        <p><a href=move || format!("/teams/{}/inbox", slug()) class=LINK>"← Inbox"</a></p>
        <h1 class=format!("{H1} mt-2")>"Import leads"</h1>
        <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
            "A CSV file with a header row, up to 50 MB. Each row needs a phone number or an email; people already known are matched, not added twice."
        </p>
        <form node_ref=form_ref class=format!("{CARD} mt-4 grid gap-3 sm:grid-cols-3") on:submit=submit>
            <input type="hidden" name="slug" prop:value=slug />
            <label class="text-sm font-medium sm:col-span-2" for="import-file">"CSV file"
                <input id="import-file" name="file" type="file" accept=".csv,text/csv" class="mt-1 block w-full text-sm" aria-describedby="import-file-error" />
            </label>
            <label class="text-sm font-medium" for="import-country">"Numbers without a country code are from"
                <input id="import-country" name="country" class=INPUT value="US" maxlength="2" aria-describedby="import-country-error" />
            </label>
            <FieldMessage id="import-file-error" message=file_error />
            <FieldMessage id="import-country-error" message=country_error />
            <FormAlert error=general_error(upload_error.into()) />
            <button type="submit" class=format!("{BUTTON} justify-self-start") disabled=move || busy.get()>
                {move || if busy.get() { "Uploading…" } else { "Upload" }}
            </button>
        </form>
        {move || current.get().map(|v| view! { <Import v slug=slug() current /> })}
    }
}

#[component]
fn Import(v: ImportView, slug: String, current: RwSignal<Option<ImportView>>) -> impl IntoView {
    let id = v.id.to_string();
    // What went wrong asking where the import stands, while it is asked again.
    let trouble = RwSignal::new(None::<AppError>);
    // While it runs, the page asks where it stands twice a second.
    if matches!(v.state, ImportState::Queued | ImportState::Running) {
        follow(
            slug.clone(),
            id.clone(),
            current,
            trouble,
            std::time::Duration::from_millis(500),
        );
    }
    let (s, i) = (slug.clone(), id.clone());
    let start = Action::new(move |m: &Mapping| {
        let (s, i) = (s.clone(), i.clone());
        let m = serde_json::to_string(m).unwrap_or_default();
        async move { import_start(s, i, m).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(next)) = start.value().get() {
            current.set(Some(next));
        }
    });
    let start_error = action_error(start);
    let name = RwSignal::new(v.mapping.name);
    let phones = RwSignal::new(v.mapping.phones.clone());
    let emails = RwSignal::new(v.mapping.emails.clone());
    let headers = v.headers.clone();
    let percent = v.percent();
    let report = format!("/teams/{slug}/imports/{id}/errors.csv");
    view! {
        <section class=format!("{CARD} mt-6") data-testid="import" aria-label="Import">
            <h2 class="text-lg font-semibold">{format!("{} · {} rows", v.file_name, v.total)}</h2>
            {(v.state == ImportState::Mapping).then(|| {
                let columns = headers.clone();
                view! {
                    <div class="mt-3 overflow-x-auto">
                        <table class=TABLE data-testid="preview">
                            <thead><tr>{headers.iter().map(|h| view! { <th class="px-2 py-1">{h.clone()}</th> }).collect_view()}</tr></thead>
                            <tbody>
                                {v.preview.iter().map(|r| view! {
                                    <tr>{r.iter().map(|c| view! { <td class="px-2 py-1">{c.clone()}</td> }).collect_view()}</tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <fieldset class="mt-4 grid gap-3 sm:grid-cols-3">
                        <legend class="text-sm font-semibold">"Which column holds what"</legend>
                        <label class="text-sm font-medium" for="map-name">"Name"
                            <select id="map-name" class=INPUT on:change=move |ev| name.set(event_target_value(&ev).parse().ok())>
                                <option value="" selected=move || name.get().is_none()>"No name column"</option>
                                {columns.iter().enumerate().map(|(i, h)| view! {
                                    <option value=i.to_string() selected=move || name.get() == Some(i)>{h.clone()}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        {[("Phone numbers", phones, "phone"), ("Emails", emails, "email")].into_iter().map(|(label, set, key)| view! {
                            <div class="text-sm">
                                <p class="font-medium">{label}</p>
                                {columns.iter().enumerate().map(|(i, h)| view! {
                                    <label class="mt-1 flex items-center gap-2">
                                        <input type="checkbox" data-testid=format!("{key}-{i}") prop:checked=move || set.get().contains(&i)
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                set.update(|v| { v.retain(|x| *x != i); if on { v.push(i); v.sort_unstable(); } });
                                            } />
                                        {h.clone()}
                                    </label>
                                }).collect_view()}
                            </div>
                        }).collect_view()}
                    </fieldset>
                    <FieldMessage id="mapping-error" message=field_error(start_error, "mapping") />
                    <FormAlert error=general_error(start_error) />
                    <button type="button" class=format!("{BUTTON} mt-3") disabled=move || start.pending().get()
                        on:click=move |_| { start.dispatch(Mapping { name: name.get_untracked(), phones: phones.get_untracked(), emails: emails.get_untracked() }); }>
                        {format!("Import {} rows", v.total)}
                    </button>
                }
            })}
            {(v.state != ImportState::Mapping).then(|| view! {
                <label class="mt-3 block text-sm font-medium" for="import-progress">
                    {match v.state {
                        ImportState::Done => "Done".to_owned(),
                        ImportState::Failed => "Stopped".to_owned(),
                        ImportState::Queued => "Waiting to start…".to_owned(),
                        _ => format!("Importing… {percent} %"),
                    }}
                </label>
                <progress id="import-progress" class="mt-1 w-full" max="100" value=percent></progress>
                <p class="mt-2 text-sm" data-testid="import-counts">
                    {format!("{} of {} rows read: {} new, {} already known, {} merged, {} refused.",
                        v.processed, v.total, v.created, v.matched, v.merged, v.failed)}
                </p>
                {v.error.clone().map(|e| view! { <p class="mt-1 text-sm text-red-700 dark:text-red-300">{e}</p> })}
                <p class="mt-1 text-sm text-amber-800 dark:text-amber-200" role="status" data-testid="import-trouble">
                    {move || trouble.get().map(|e| if lasting(&e) {
                        e.to_string()
                    } else {
                        "The progress could not be read just now; asking again…".to_owned()
                    })}
                </p>
                {(v.failed > 0).then(|| view! {
                    <p class="mt-2 text-sm"><a class=LINK href=report.clone() download="">{format!("Download the report of the {} refused rows", v.failed)}</a></p>
                })}
            })}
        </section>
    }
}

/// Asks where import `id` stands after `wait`, while the page still shows it; an answer redraws
/// the import (which asks again while it runs). A failure is shown in `trouble`; unless waiting
/// cannot mend it ([`lasting`]), the page asks again, a little later each time, so that one lost
/// answer never leaves the progress bar standing still.
fn follow(
    slug: String,
    id: String,
    current: RwSignal<Option<ImportView>>,
    trouble: RwSignal<Option<AppError>>,
    wait: std::time::Duration,
) {
    set_timeout(
        move || {
            let shown = current
                .try_with_untracked(|c| c.as_ref().is_some_and(|v| v.id.to_string() == id))
                .unwrap_or(false);
            if !shown {
                return;
            }
            leptos::task::spawn_local(async move {
                match import_status(slug.clone(), id.clone()).await {
                    Ok(next) => current.set(Some(next)),
                    Err(e) => {
                        let stop = lasting(&e);
                        let again = e
                            .retry_after()
                            .map_or(wait * 2, std::time::Duration::from_secs)
                            .min(std::time::Duration::from_secs(10));
                        trouble.set(Some(e));
                        if !stop {
                            follow(slug, id, current, trouble, again);
                        }
                    }
                }
            });
        },
        wait,
    );
}

/// Whether asking again cannot mend `e`: signed out, no access (any more), or the import is gone.
fn lasting(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Unauthorized
            | AppError::Forbidden
            | AppError::NotFound
            | AppError::TwoFactorSetupRequired
    )
}
