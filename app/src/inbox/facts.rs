//! The team's business facts, on the channels page: the only things the AI may say when it
//! drafts a reply in the inbox (names, prices, proof, the booking link, availability). Owners,
//! admins and product write them; everyone who may see the team's settings reads them.

use domain::leads::facts::{Drafted, FactsForm};
use domain::AppError;
use leptos::prelude::*;

use crate::components::{
    action_error, field_error, field_value, general_error, FieldMessage, FormAlert, BUTTON, CARD,
    H2, INPUT,
};

#[cfg(feature = "ssr")]
use super::api::member_for;
#[cfg(feature = "ssr")]
use crate::projects::api::{id, json};
#[cfg(feature = "ssr")]
use crate::ssr::fail;
#[cfg(feature = "ssr")]
use domain::permissions::{Access, Resource};
#[cfg(feature = "ssr")]
use domain::server::leads::drafts;

/// The team's facts, as the form shows them.
#[server(endpoint = "channels/facts")]
pub async fn team_facts(slug: String) -> Result<FactsForm, AppError> {
    let (svc, _, grant) = member_for(&slug, Resource::Settings, Access::Read).await?;
    drafts::facts(&svc, &grant).await.map_err(fail)
}

/// Keeps the team's facts (`form` is a `FactsForm` as JSON).
#[server(endpoint = "channels/facts-save")]
pub async fn team_set_facts(slug: String, form: String) -> Result<FactsForm, AppError> {
    let (svc, _, grant) = member_for(&slug, Resource::Settings, Access::Read).await?;
    let form: FactsForm = json("form", &form)?;
    drafts::set_facts(&svc, &grant, &form).await.map_err(fail)
}

/// An AI draft of the answer to the lead's last message, for the asker to check and send.
#[server(endpoint = "inbox/draft")]
pub async fn inbox_draft(slug: String, lead: String) -> Result<Drafted, AppError> {
    let (svc, user, grant) = member_for(&slug, Resource::Leads, Access::Read).await?;
    drafts::draft(&svc, &grant, user.id, id(&lead)?)
        .await
        .map_err(fail)
}

const FIELDS: [(&str, &str, &str); 7] = [
    ("business_name", "Business name", ""),
    (
        "offerings",
        "What you sell, one a line (add a “from” price in US dollars after a colon)",
        "Booking app: 8000",
    ),
    (
        "proof",
        "Proof you stand behind, one a line (case studies, testimonials)",
        "",
    ),
    ("insights", "True, useful insights, one a line", ""),
    ("booking_link", "Booking link", "https://"),
    (
        "availability",
        "When the team is available",
        "Weekdays 9:00–17:00 CET",
    ),
    (
        "competitors",
        "Competitors, one a line (never given to the AI: a lead who names one goes to a person at once)",
        "Zed Studio",
    ),
];

fn value(form: &FactsForm, field: &str) -> String {
    match field {
        "business_name" => form.business_name.clone(),
        "offerings" => form.offerings.clone(),
        "proof" => form.proof.clone(),
        "insights" => form.insights.clone(),
        "booking_link" => form.booking_link.clone(),
        "competitors" => form.competitors.clone(),
        _ => form.availability.clone(),
    }
}

/// The facts section of the channels page.
#[component]
pub(super) fn FactsSection(slug: String, can_edit: bool) -> impl IntoView {
    let s = slug.clone();
    let facts = leptos::prelude::Resource::new(|| (), move |()| team_facts(s.clone()));
    let save = Action::new(move |form: &FactsForm| {
        let (s, f) = (
            slug.clone(),
            serde_json::to_string(form).unwrap_or_default(),
        );
        async move { team_set_facts(s, f).await }
    });
    let error = action_error(save);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                // Those who may not see the team's settings (devops) see no facts.
                let Ok(form) = facts.await else { return ().into_any() };
                let read_only = !can_edit;
                view! {
                    <section class=format!("{CARD} mt-6") aria-labelledby="facts-heading" data-testid="facts">
                        <h2 id="facts-heading" class=H2>"Business facts for AI drafts"</h2>
                        <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                            "In the inbox, “Draft with AI” writes an answer from these facts only: a draft never names a price, number or link that is not here. The agent checks and edits it before sending."
                        </p>
                        <form class="mt-3 grid gap-2" on:submit=move |ev| {
                            ev.prevent_default();
                            let f = |id: &str| field_value(&format!("facts-{id}"));
                            save.dispatch(FactsForm {
                                business_name: f("business_name"),
                                offerings: f("offerings"),
                                proof: f("proof"),
                                insights: f("insights"),
                                booking_link: f("booking_link"),
                                availability: f("availability"),
                                competitors: f("competitors"),
                            });
                        }>
                            {FIELDS.iter().map(|(field, label, hint)| {
                                let id = format!("facts-{field}");
                                let error_id = format!("{id}-error");
                                let current = value(&form, field);
                                let multi = matches!(*field, "offerings" | "proof" | "insights" | "competitors");
                                view! {
                                    <label class="text-sm font-medium" for=id.clone()>{*label}
                                        {if multi {
                                            view! { <textarea id=id.clone() rows="3" class=INPUT placeholder=*hint readonly=read_only aria-describedby=error_id.clone()>{current}</textarea> }.into_any()
                                        } else {
                                            view! { <input id=id.clone() class=INPUT placeholder=*hint readonly=read_only value=current aria-describedby=error_id.clone() /> }.into_any()
                                        }}
                                    </label>
                                    <FieldMessage id=error_id message=field_error(error, field) />
                                }
                            }).collect_view()}
                            <FormAlert error=general_error(error) />
                            {move || save.value().get().is_some_and(|r| r.is_ok()).then(|| view! {
                                <p role="status" class="text-sm text-emerald-700 dark:text-emerald-400">"Saved. New drafts use these facts."</p>
                            })}
                            {can_edit.then(|| view! {
                                <button type="submit" class=format!("{BUTTON} justify-self-start") disabled=move || save.pending().get()>"Save facts"</button>
                            })}
                        </form>
                    </section>
                }.into_any()
            })}
        </Transition>
    }
}
