//! The pages.

use domain::permissions::{allowed, Access, Resource as Res};
use domain::roles::{PlatformRole, TenantRole};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::*;
use crate::components::*;

const H1: &str = "text-3xl font-bold tracking-tight sm:text-4xl";
const H2: &str = "text-xl font-semibold tracking-tight";
const CARD: &str = "rounded-xl border border-slate-200 p-6 dark:border-slate-800";
const LINK: &str =
    "font-medium text-indigo-700 underline-offset-2 hover:underline dark:text-indigo-400";
const TABLE: &str = "min-w-full divide-y divide-slate-200 text-left text-sm dark:divide-slate-800";

/// The home page.
#[component]
pub fn HomePage() -> impl IntoView {
    let session = use_session();
    let features = [
        ("Project wizard", "Describe what you need in your own words. AI drafts the scope, milestones and budget; you edit and confirm."),
        ("Held funds", "Each milestone is funded up front and released only when you approve the delivered work."),
        ("Realtime workspace", "Chat, files, tasks, approvals and a full audit trail for customers, freelancers and our team."),
        ("Experts on call", "Book a vetted expert by the hour. Payment is authorised at booking and captured after the session."),
        ("Unified inbox", "WhatsApp, Instagram, Messenger and email in one place, with leads scored and routed to your SDRs."),
        ("People decide", "AI suggests everywhere and every run is logged. A person approves money, scope and escalation."),
    ];
    view! {
        <Title text="" />
        <Meta name="description" content="Fluxorae: AI-plus-human services. Briefs become scoped projects, delivered by vetted freelancers with milestone held funds." />
        <section class="py-10 sm:py-16">
            <p class="text-sm font-semibold uppercase tracking-wide text-indigo-700 dark:text-indigo-400">"AI-plus-human services"</p>
            <h1 class="mt-3 max-w-3xl text-4xl font-bold tracking-tight sm:text-5xl">"AI drafts. People decide. Projects get delivered."</h1>
            <p class="mt-6 max-w-2xl text-lg text-slate-700 dark:text-slate-300">
                "Fluxorae turns a plain-language brief into a scoped project, matches it with vetted freelancers and experts, and holds each milestone's funds until you approve the work."
            </p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match session.user.await.ok().flatten() {
                        Some(user) => view! {
                            <p class="mt-8 text-lg">"Welcome back, " {user.display_name} ". "
                                <A href="/account" attr:class=LINK>"Go to your account"</A>
                            </p>
                        }.into_any(),
                        None => view! {
                            <div class="mt-8 flex flex-wrap gap-3">
                                <A href="/signup" attr:class=BUTTON>"Create a free account"</A>
                                <A href="/signin" attr:class="inline-flex items-center rounded-md border border-slate-300 px-4 py-2 text-sm font-semibold hover:bg-slate-50 dark:border-slate-700 dark:hover:bg-slate-900">"Sign in"</A>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section aria-labelledby="what-we-do" class="py-8">
            <h2 id="what-we-do" class=H2>"What you can do here"</h2>
            <ul class="mt-6 grid gap-6 sm:grid-cols-2 lg:grid-cols-3">
                {features.into_iter().map(|(title, body)| view! {
                    <li class=CARD>
                        <h3 class="font-semibold">{title}</h3>
                        <p class="mt-2 text-sm text-slate-700 dark:text-slate-300">{body}</p>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

/// Sign in.
#[component]
pub fn SignInPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let reset_done = move || query.read().get("reset").is_some();
    let error = action_error(session.sign_in.into());
    let pending = session.sign_in.pending();
    view! {
        <Title text="Sign in" />
        <section class="mx-auto max-w-md">
            <h1 class=H1>"Sign in"</h1>
            {move || reset_done().then(|| view! {
                <p role="status" class="mt-4 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100">
                    "Your password was changed. Sign in with your new password."
                </p>
            })}
            <ActionForm action=session.sign_in attr:class="mt-6" attr:novalidate=true>
                <FormAlert error />
                <input type="hidden" name="next" value=next />
                <Field name="email" label="Email" kind="email" autocomplete="email" error />
                <Field name="password" label="Password" kind="password" autocomplete="current-password" error />
                <button type="submit" class=BUTTON disabled=pending>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="mt-6 text-sm"><A href="/forgot-password" attr:class=LINK>"Forgot your password?"</A></p>
            <p class="mt-2 text-sm">"New to Fluxorae? " <A href="/signup" attr:class=LINK>"Create an account"</A></p>
        </section>
    }
}

/// Sign up.
#[component]
pub fn SignUpPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = action_error(session.sign_up.into());
    let pending = session.sign_up.pending();
    view! {
        <Title text="Create an account" />
        <section class="mx-auto max-w-md">
            <h1 class=H1>"Create an account"</h1>
            <ActionForm action=session.sign_up attr:class="mt-6" attr:novalidate=true>
                <FormAlert error />
                <input type="hidden" name="next" value=next />
                <Field name="display_name" label="Your name" autocomplete="name" error />
                <Field name="email" label="Email" kind="email" autocomplete="email" error />
                <Field name="password" label="Password" kind="password" autocomplete="new-password"
                    hint="At least 10 characters. A few unrelated words work well." error />
                <button type="submit" class=BUTTON disabled=pending>
                    {move || if pending.get() { "Creating your account…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p class="mt-6 text-sm">"Already have an account? " <A href="/signin" attr:class=LINK>"Sign in"</A></p>
        </section>
    }
}

/// Ask for a password reset link.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = action_error(action.into());
    let sent = action_ok(action.into());
    view! {
        <Title text="Reset your password" />
        <section class="mx-auto max-w-md">
            <h1 class=H1>"Reset your password"</h1>
            <p class="mt-2 text-slate-700 dark:text-slate-300">"We will email you a link to choose a new password."</p>
            <div role="status">
                {move || sent.get().then(|| view! {
                    <p class="mt-4 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100">
                        "If an account uses that email, a reset link is on its way. It works once, for one hour."
                    </p>
                })}
            </div>
            <ActionForm action attr:class="mt-6" attr:novalidate=true>
                <FormAlert error />
                <Field name="email" label="Email" kind="email" autocomplete="email" error />
                <button type="submit" class=BUTTON>"Send reset link"</button>
            </ActionForm>
        </section>
    }
}

/// Choose a new password from an emailed link.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let action = ServerAction::<ResetPassword>::new();
    let error = action_error(action.into());
    view! {
        <Title text="Choose a new password" />
        <section class="mx-auto max-w-md">
            <h1 class=H1>"Choose a new password"</h1>
            <ActionForm action attr:class="mt-6" attr:novalidate=true>
                <FormAlert error />
                <input type="hidden" name="token" value=token />
                <Field name="new_password" label="New password" kind="password" autocomplete="new-password"
                    hint="At least 10 characters." error />
                <button type="submit" class=BUTTON>"Save new password"</button>
            </ActionForm>
            <p class="mt-6 text-sm"><A href="/forgot-password" attr:class=LINK>"Ask for a new link"</A></p>
        </section>
    }
}

/// The signed-in person's account: profile, password, teams.
#[component]
pub fn AccountPage() -> impl IntoView {
    let session = use_session();
    let teams = Resource::new(|| (), |_| my_teams());
    let change = ServerAction::<ChangePassword>::new();
    let error = action_error(change.into());
    let changed = action_ok(change.into());
    view! {
        <Title text="Your account" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let user = match session.user.await {
                    Ok(Some(user)) => user,
                    Ok(None) => return view! { <Redirect path="/signin?next=/account" /> }.into_any(),
                    Err(e) => return view! { <ErrorView error=e /> }.into_any(),
                };
                let teams = teams.await;
                view! {
                    <h1 class=H1>"Your account"</h1>
                    <dl class="mt-6 grid max-w-xl grid-cols-[8rem_1fr] gap-y-2 text-sm">
                        <dt class="font-medium">"Name"</dt><dd>{user.display_name.clone()}</dd>
                        <dt class="font-medium">"Email"</dt><dd>{user.email.clone()}</dd>
                        <dt class="font-medium">"Role"</dt><dd>{user.role.label()}</dd>
                    </dl>
                    <section aria-labelledby="teams" class="mt-10">
                        <h2 id="teams" class=H2>"Your teams"</h2>
                        {match teams {
                            Ok(list) if list.is_empty() => view! { <p class="mt-2 text-sm">"You are not a member of any team yet."</p> }.into_any(),
                            Ok(list) => view! {
                                <ul class="mt-3 space-y-2">
                                    {list.into_iter().map(|m| view! {
                                        <li><A href=format!("/teams/{}", m.slug) attr:class=LINK>{m.name}</A>
                                            <span class="ml-2 text-sm text-slate-600 dark:text-slate-400">{m.role.label()}</span></li>
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(e) => view! { <p class="mt-2 text-sm">{e.to_string()}</p> }.into_any(),
                        }}
                    </section>
                    <section aria-labelledby="password" class="mt-10 max-w-md">
                        <h2 id="password" class=H2>"Change password"</h2>
                        <div role="status">
                            {move || changed.get().then(|| view! {
                                <p class="mt-3 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100">"Your password was changed. Other sessions were signed out."</p>
                            })}
                        </div>
                        <ActionForm action=change attr:class="mt-4" attr:novalidate=true>
                            <FormAlert error />
                            <Field name="current_password" label="Current password" kind="password" autocomplete="current-password" error />
                            <Field name="new_password" label="New password" kind="password" autocomplete="new-password" hint="At least 10 characters." error />
                            <button type="submit" class=BUTTON>"Change password"</button>
                        </ActionForm>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

/// The admin panel (platform ADMIN).
#[component]
pub fn AdminPage() -> impl IntoView {
    let set_role = ServerAction::<SetUserRole>::new();
    let verify = ServerAction::<VerifyAuditChain>::new();
    let overview = Resource::new(move || set_role.version().get(), |_| admin_overview());
    let role_error = action_error(set_role.into());
    view! {
        <Title text="Admin" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let data = match overview.await {
                    Ok(d) => d,
                    Err(error) => return view! { <ErrorView error /> }.into_any(),
                };
                view! {
                    <h1 class=H1>"Admin"</h1>
                    <section aria-labelledby="users" class="mt-8">
                        <h2 id="users" class=H2>"Users"</h2>
                        <FormAlert error=role_error />
                        <div class="mt-3 overflow-x-auto">
                            <table class=TABLE>
                                <thead><tr><th scope="col" class="py-2 pr-4">"Name"</th><th scope="col" class="py-2 pr-4">"Email"</th><th scope="col" class="py-2 pr-4">"Role"</th></tr></thead>
                                <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                                    {data.users.into_iter().map(|u| {
                                        let label = format!("Role for {}", u.email);
                                        view! {
                                            <tr>
                                                <td class="py-2 pr-4">{u.display_name}</td>
                                                <td class="py-2 pr-4">{u.email}</td>
                                                <td class="py-2 pr-4">
                                                    <ActionForm action=set_role attr:class="flex gap-2">
                                                        <input type="hidden" name="user_id" value=u.id.to_string() />
                                                        <select name="role" aria-label=label class="rounded-md border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-900">
                                                            {PlatformRole::ALL.iter().map(|r| view! {
                                                                <option value=r.as_str() selected=*r == u.role>{r.label()}</option>
                                                            }).collect_view()}
                                                        </select>
                                                        <button type="submit" class="rounded-md border border-slate-300 px-2 py-1 text-xs dark:border-slate-700">"Save"</button>
                                                    </ActionForm>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    </section>
                    <section aria-labelledby="audit" class="mt-10">
                        <h2 id="audit" class=H2>"Audit trail"</h2>
                        <ActionForm action=verify attr:class="mt-3">
                            <button type="submit" class=BUTTON>"Verify the chain"</button>
                        </ActionForm>
                        <div role="status" class="mt-2 text-sm">
                            {move || verify.value().get().map(|r| match r {
                                Ok(rep) => match rep.first_broken {
                                    None => format!("All {} entries verify: the chain is intact.", rep.checked),
                                    Some(seq) => format!("Entry {seq} does not verify: the chain is broken there."),
                                },
                                Err(e) => e.to_string(),
                            })}
                        </div>
                        <AuditTable entries=data.audit />
                    </section>
                    <section aria-labelledby="outbox" class="mt-10">
                        <h2 id="outbox" class=H2>"Email outbox"</h2>
                        <ul class="mt-3 space-y-3">
                            {data.outbox.into_iter().map(|m| view! {
                                <li class=CARD>
                                    <p class="text-sm"><span class="font-medium">"To: "</span>{m.to}" · "{m.created_at}" · "{m.transport}</p>
                                    <p class="font-semibold">{m.subject}</p>
                                    <pre class="mt-2 whitespace-pre-wrap break-all text-sm">{m.body}</pre>
                                </li>
                            }).collect_view()}
                        </ul>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn AuditTable(entries: Vec<domain::user::AuditEntryView>) -> impl IntoView {
    view! {
        <div class="mt-3 overflow-x-auto">
            <table class=TABLE>
                <thead><tr>
                    <th scope="col" class="py-2 pr-4">"#"</th><th scope="col" class="py-2 pr-4">"When"</th>
                    <th scope="col" class="py-2 pr-4">"Action"</th><th scope="col" class="py-2 pr-4">"Who"</th>
                    <th scope="col" class="py-2 pr-4">"Target"</th>
                </tr></thead>
                <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                    {entries.into_iter().map(|e| view! {
                        <tr>
                            <td class="py-1 pr-4">{e.seq}</td><td class="py-1 pr-4">{e.at}</td>
                            <td class="py-1 pr-4">{e.action}</td><td class="py-1 pr-4">{e.actor.unwrap_or_default()}</td>
                            <td class="py-1 pr-4">{e.target.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// A team's page: what the member's role may see.
#[component]
pub fn TeamPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let save = ServerAction::<UpdateTeamSettings>::new();
    let overview = Resource::new(
        move || (slug(), save.version().get()),
        |(s, _)| team_overview(s),
    );
    let error = action_error(save.into());
    let saved = action_ok(save.into());
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let data = match overview.await {
                    Ok(d) => d,
                    Err(error) => return view! { <ErrorView error /> }.into_any(),
                };
                let role: TenantRole = data.team.role;
                let can_edit = allowed(role, Res::Settings, Access::Write).is_some();
                let slug = data.team.slug.clone();
                view! {
                    <Title text=data.team.name.clone() />
                    <h1 class=H1>{data.team.name.clone()}</h1>
                    <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">"Your role: " {role.label()}</p>
                    {data.members.map(|members| view! {
                        <section aria-labelledby="members" class="mt-8">
                            <h2 id="members" class=H2>"Members"</h2>
                            <div class="mt-3 overflow-x-auto">
                                <table class=TABLE>
                                    <thead><tr><th scope="col" class="py-2 pr-4">"Name"</th><th scope="col" class="py-2 pr-4">"Email"</th><th scope="col" class="py-2 pr-4">"Role"</th></tr></thead>
                                    <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                                        {members.into_iter().map(|m| view! {
                                            <tr><td class="py-1 pr-4">{m.display_name}</td><td class="py-1 pr-4">{m.email}</td><td class="py-1 pr-4">{m.role.label()}</td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        </section>
                    })}
                    {data.settings.map(|s| view! {
                        <section aria-labelledby="settings" class="mt-8 max-w-md">
                            <h2 id="settings" class=H2>"Settings"</h2>
                            {if can_edit {
                                view! {
                                    <div role="status">{move || saved.get().then(|| view! { <p class="mt-2 text-sm text-emerald-800 dark:text-emerald-300">"Settings saved."</p> })}</div>
                                    <ActionForm action=save attr:class="mt-3" attr:novalidate=true>
                                        <FormAlert error />
                                        <input type="hidden" name="slug" value=slug.clone() />
                                        <Field name="default_country" label="Default country" hint="Two letters, like US or IN." value=s.default_country.clone() error />
                                        <Field name="timezone" label="Time zone" value=s.timezone.clone() error />
                                        <button type="submit" class=BUTTON>"Save settings"</button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                view! {
                                    <dl class="mt-3 grid grid-cols-[10rem_1fr] gap-y-2 text-sm">
                                        <dt class="font-medium">"Default country"</dt><dd>{s.default_country.clone()}</dd>
                                        <dt class="font-medium">"Time zone"</dt><dd>{s.timezone.clone()}</dd>
                                    </dl>
                                }.into_any()
                            }}
                        </section>
                    })}
                    {data.audit.map(|entries| view! {
                        <section aria-labelledby="team-audit" class="mt-8">
                            <h2 id="team-audit" class=H2>"Audit trail"</h2>
                            <AuditTable entries />
                        </section>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

/// The body of a 404 page (sets the status on the server).
#[component]
pub fn NotFoundView() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="py-12 text-center">
            <p class="text-sm font-semibold text-indigo-600">"404"</p>
            <h1 class="mt-2 text-3xl font-bold">"We could not find that page"</h1>
            <p class="mt-4 text-slate-600 dark:text-slate-400">"The address may be mistyped, or the page has moved."</p>
            <p class="mt-6"><A href="/" attr:class=BUTTON>"Go to the home page"</A></p>
        </section>
    }
}

/// The router's fallback for unknown routes.
pub fn not_found_page() -> impl IntoView {
    view! { <NotFoundView /> }
}
