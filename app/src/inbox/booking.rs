//! Appointment booking: the team's booking hours (on the channels page), the conversation's call
//! panel (offer three quick times into the composer, book the one they pick, cancel), and the
//! lead's own page behind the offer's link (`/book/:token`), where they pick any free time.

use domain::leads::booking::{AppointmentView, BookingPanel, HoursForm, Offer, PublicBooking};
use domain::AppError;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;

use super::{Drafts, Reload};
use crate::components::{
    action_error, field_error, field_value, general_error, ErrorView, FieldMessage, FormAlert,
    BUTTON, CARD, H1, H2, INPUT, SMALL_BTN,
};

#[cfg(feature = "ssr")]
use super::api::{member, member_for};
#[cfg(feature = "ssr")]
use crate::projects::api::id;
#[cfg(feature = "ssr")]
use crate::ssr::{fail, services};
#[cfg(feature = "ssr")]
use domain::server::leads::booking;

/// The team's booking hours, as the form shows them.
#[server(endpoint = "booking/hours")]
pub async fn booking_hours(slug: String) -> Result<HoursForm, AppError> {
    use domain::permissions::{Access, Resource};
    let (svc, _, grant) = member_for(&slug, Resource::Settings, Access::Read).await?;
    booking::hours(&svc, &grant).await.map_err(fail)
}

/// Keeps the team's booking hours.
#[server(endpoint = "booking/hours-save")]
pub async fn booking_set_hours(
    slug: String,
    time_zone: String,
    minutes: String,
    hours: String,
) -> Result<HoursForm, AppError> {
    use domain::permissions::{Access, Resource};
    let (svc, _, grant) = member_for(&slug, Resource::Settings, Access::Read).await?;
    let form = HoursForm {
        time_zone,
        minutes,
        hours,
    };
    booking::set_hours(&svc, &grant, &form).await.map_err(fail)
}

/// Three quick times for the lead, as a message to check and send.
#[server(endpoint = "inbox/offer-times")]
pub async fn inbox_offer_times(slug: String, lead: String) -> Result<Offer, AppError> {
    let (svc, user, grant) = member(&slug).await?;
    booking::offer(&svc, &grant, user.id, id(&lead)?)
        .await
        .map_err(fail)
}

/// Books a call for the lead at `start` (RFC 3339).
#[server(endpoint = "inbox/book")]
pub async fn inbox_book(
    slug: String,
    lead: String,
    start: String,
) -> Result<AppointmentView, AppError> {
    let (svc, user, grant) = member(&slug).await?;
    booking::book(&svc, &grant, user.id, id(&lead)?, &start)
        .await
        .map_err(fail)
}

/// Cancels the lead's next call.
#[server(endpoint = "inbox/cancel-call")]
pub async fn inbox_cancel_call(slug: String, lead: String) -> Result<(), AppError> {
    let (svc, user, grant) = member(&slug).await?;
    booking::cancel(&svc, &grant, user.id, id(&lead)?)
        .await
        .map_err(fail)
}

/// The lead's booking page (no sign-in: the link's token is the key).
#[server(endpoint = "book/page")]
pub async fn book_page(token: String) -> Result<PublicBooking, AppError> {
    let svc = services()?;
    booking::public_page(&svc, &token).await.map_err(fail)
}

/// The lead books `start` through their link.
#[server(endpoint = "book/choose")]
pub async fn book_choose(token: String, start: String) -> Result<String, AppError> {
    let svc = services()?;
    booking::public_book(&svc, &token, &start)
        .await
        .map_err(fail)
}

/// The conversation's call panel. `free_text`: a free-form message may go now (an offer is one).
#[component]
pub(super) fn CallPanel(
    panel: BookingPanel,
    slug: String,
    lead: String,
    free_text: bool,
) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let drafts = expect_context::<Drafts>();
    let (s1, l1) = (slug.clone(), lead.clone());
    let offer = Action::new(move |_: &()| {
        let (s, l) = (s1.clone(), l1.clone());
        async move { inbox_offer_times(s, l).await }
    });
    let (s2, l2) = (slug.clone(), lead.clone());
    let book = Action::new(move |start: &String| {
        let (s, l, start) = (s2.clone(), l2.clone(), start.clone());
        async move { inbox_book(s, l, start).await.map(|_| ()) }
    });
    let cancel = Action::new(move |_: &()| {
        let (s, l) = (slug.clone(), lead.clone());
        async move { inbox_cancel_call(s, l).await }
    });
    // The offer goes into the reply box, to check and send like any reply.
    Effect::new(move |_| {
        if let Some(Ok(o)) = offer.value().get() {
            drafts.template.set(None);
            drafts.reply.set(o.text);
            reload.0.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if book.value().get().is_some_and(|r| r.is_ok()) {
            reload.0.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if cancel.value().get().is_some_and(|r| r.is_ok()) {
            reload.0.update(|n| *n += 1);
        }
    });
    let offer_error = action_error(offer);
    let book_error = action_error(book);
    let cancel_error = action_error(cancel);
    let picked = panel.picked;
    view! {
        <section aria-labelledby="call-heading" class="mt-4" data-testid="call">
            <h3 id="call-heading" class="text-sm font-semibold">"Call"</h3>
            {match panel.upcoming.clone() {
                Some(a) => view! {
                    <p class="mt-1 text-sm" data-testid="call-booked">
                        <strong>{format!("Call booked: {} ({})", a.when, a.time_zone)}</strong>
                        {format!(" with {}, booked by {}.", a.host, a.booked_by)}
                        <button type="button" class=format!("{SMALL_BTN} ml-2") disabled=move || cancel.pending().get()
                            on:click=move |_| { cancel.dispatch(()); }>"Cancel the call"</button>
                    </p>
                }.into_any(),
                None => view! { <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">"No call booked."</p> }.into_any(),
            }}
            <FormAlert error=cancel_error />
            {if !panel.ready {
                view! { <p class="mt-1 text-sm">"To offer times, an owner or admin writes the team's booking hours on the channels page."</p> }.into_any()
            } else if free_text {
                view! {
                    <button type="button" class=format!("{SMALL_BTN} mt-2") data-testid="offer-times" disabled=move || offer.pending().get()
                        on:click=move |_| { offer.dispatch(()); }>
                        {if panel.upcoming.is_some() { "Offer new times" } else { "Offer three times" }}
                    </button>
                }.into_any()
            } else {
                view! { <p class="mt-1 text-sm text-amber-800 dark:text-amber-300">"Times go in a free-form message, so they can be offered once they write again (the reply window is closed)."</p> }.into_any()
            }}
            <FieldMessage id="booking-error" message=field_error(offer_error, "booking") />
            <FormAlert error=general_error(offer_error) />
            {move || offer.value().get().is_some_and(|r| r.is_ok()).then(|| view! {
                <p role="status" class="mt-1 text-xs text-slate-600 dark:text-slate-400">"The times are in your reply below, with their link to every free time: check it and send."</p>
            })}
            {(!panel.offered.is_empty()).then(|| view! {
                <p class="mt-2 text-sm">"Times offered (the first to book a time gets it):"</p>
                <ol class="mt-1 grid gap-1 text-sm" data-testid="offered">
                    {panel.offered.iter().enumerate().map(|(i, s)| {
                        let start = s.start.clone();
                        let chosen = picked == Some(i);
                        view! {
                            <li class="flex flex-wrap items-center gap-2" data-testid="offered-slot">
                                <span>{format!("{}. {}", i + 1, s.label)}</span>
                                {if s.taken {
                                    view! { <span class="text-xs text-slate-500 dark:text-slate-400">"no longer free"</span> }.into_any()
                                } else {
                                    view! {
                                        {chosen.then(|| view! { <span data-testid="picked" class="rounded bg-emerald-100 px-1.5 py-0.5 text-xs text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100">"their answer picks this one"</span> })}
                                        <button type="button" class=SMALL_BTN disabled=move || book.pending().get()
                                            on:click=move |_| { book.dispatch(start.clone()); }>"Book"</button>
                                    }.into_any()
                                }}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            })}
            <FieldMessage id="start-error" message=field_error(book_error, "start") />
            <FormAlert error=general_error(book_error) />
        </section>
    }
}

/// The booking hours section of the channels page.
#[component]
pub(super) fn BookingSection(slug: String, can_edit: bool) -> impl IntoView {
    let s = slug.clone();
    let hours = leptos::prelude::Resource::new(|| (), move |()| booking_hours(s.clone()));
    let save = Action::new(move |form: &HoursForm| {
        let (s, f) = (slug.clone(), form.clone());
        async move { booking_set_hours(s, f.time_zone, f.minutes, f.hours).await }
    });
    let error = action_error(save);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(form) = hours.await else { return ().into_any() };
                let read_only = !can_edit;
                let minutes = form.minutes.clone();
                view! {
                    <section class=format!("{CARD} mt-6") aria-labelledby="booking-heading" data-testid="booking-hours">
                        <h2 id="booking-heading" class=H2>"Booking hours"</h2>
                        <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                            "When calls can be booked. In a conversation, “Offer three times” suggests the SDR's first free times in the next 7 days, at least two hours ahead, with a link where the lead picks any free time. Nobody is booked twice for the same time."
                        </p>
                        <form class="mt-3 grid gap-2" on:submit=move |ev| {
                            ev.prevent_default();
                            save.dispatch(HoursForm {
                                time_zone: field_value("booking-time_zone"),
                                minutes: field_value("booking-minutes"),
                                hours: field_value("booking-hours-text"),
                            });
                        }>
                            <label class="text-sm font-medium" for="booking-time_zone">"Time zone"
                                <input id="booking-time_zone" class=INPUT placeholder="Europe/London" readonly=read_only value=form.time_zone.clone() aria-describedby="booking-time_zone-error" />
                            </label>
                            <FieldMessage id="booking-time_zone-error" message=field_error(error, "time_zone") />
                            <label class="text-sm font-medium" for="booking-minutes">"Call length"
                                <select id="booking-minutes" class=INPUT disabled=read_only aria-describedby="booking-minutes-error">
                                    {domain::leads::booking::LENGTHS.iter().map(|m| {
                                        let v = m.to_string();
                                        let sel = v == minutes;
                                        view! { <option value=v.clone() selected=sel>{format!("{m} minutes")}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            <FieldMessage id="booking-minutes-error" message=field_error(error, "minutes") />
                            <label class="text-sm font-medium" for="booking-hours-text">"Weekly hours, a line each (like “Mon-Fri 09:00-12:00, 13:00-17:00”)"
                                <textarea id="booking-hours-text" rows="3" class=INPUT readonly=read_only aria-describedby="booking-hours-text-error">{form.hours.clone()}</textarea>
                            </label>
                            <FieldMessage id="booking-hours-text-error" message=field_error(error, "hours") />
                            <FormAlert error=general_error(error) />
                            {move || save.value().get().is_some_and(|r| r.is_ok()).then(|| view! {
                                <p role="status" class="text-sm text-emerald-700 dark:text-emerald-400">"Saved. New offers use these hours."</p>
                            })}
                            {can_edit.then(|| view! {
                                <button type="submit" class=format!("{BUTTON} justify-self-start") disabled=move || save.pending().get()>"Save booking hours"</button>
                            })}
                        </form>
                    </section>
                }.into_any()
            })}
        </Transition>
    }
}

/// `/book/:token`: the lead picks any free time of the next 7 days.
#[component]
pub fn BookPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let choose = ServerAction::<BookChoose>::new();
    let page = leptos::prelude::Resource::new(
        move || (token(), choose.version().get()),
        |(t, _)| book_page(t),
    );
    let error = action_error(choose.into());
    view! {
        <Title text="Book a call" />
        <Meta name="robots" content="noindex" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! {
                        <h1 class=H1>{format!("Book a call with {}", p.team)}</h1>
                        <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                            {format!("{} minutes with {}. Times are {}.", p.minutes, p.host, p.time_zone)}
                        </p>
                        {move || choose.value().get().and_then(|r| r.ok()).map(|when| view! {
                            <p role="status" data-testid="booked" class="mt-4 rounded-md bg-emerald-50 p-3 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100">
                                {format!("You're booked: {when}. The team will see it in your conversation.")}
                            </p>
                        })}
                        {p.booked.clone().map(|b| view! {
                            <p data-testid="current" class="mt-4 text-sm">{format!("Your call: {b}. Pick another time below to move it.")}</p>
                        })}
                        <FormAlert error=error />
                        {if p.days.is_empty() {
                            view! { <p class="mt-4">"No free times are left this week. Answer in your conversation and the team will find a time with you."</p> }.into_any()
                        } else {
                            view! {
                                <div class="mt-4 grid gap-4">
                                    {p.days.into_iter().map(|d| view! {
                                        <section class=CARD>
                                            <h2 class=H2>{d.label}</h2>
                                            <ul class="mt-2 flex flex-wrap gap-2">
                                                {d.slots.into_iter().map(|s| {
                                                    let start = s.start.clone();
                                                    let time = s.label.rsplit(", ").next().unwrap_or_default().to_owned();
                                                    view! {
                                                        <li>
                                                            <button type="button" class=SMALL_BTN data-testid="slot" data-label=s.label.clone()
                                                                disabled=move || choose.pending().get()
                                                                on:click=move |_| { choose.dispatch(BookChoose { token: token(), start: start.clone() }); }>
                                                                {time}
                                                            </button>
                                                        </li>
                                                    }
                                                }).collect_view()}
                                            </ul>
                                        </section>
                                    }).collect_view()}
                                </div>
                            }.into_any()
                        }}
                    }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
