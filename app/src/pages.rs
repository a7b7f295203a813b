//! The pages.

use domain::permissions::{allowed, Access, Resource as Res};
use domain::roles::{PlatformRole, TenantRole};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::*;
use crate::components::*;

const CARD: &str = "rounded-xl border border-slate-200 p-6 dark:border-slate-800";

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

/// The second step of signing in: the code from the authenticator app, or a recovery code.
#[component]
pub fn TwoFactorSignInPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = action_error(session.sign_in_code.into());
    let pending = session.sign_in_code.pending();
    view! {
        <Title text="Two-factor authentication" />
        <section class="mx-auto max-w-md">
            <h1 class=H1>"Two-factor authentication"</h1>
            <p class="mt-2 text-slate-700 dark:text-slate-300">"Open your authenticator app and enter the code it shows for Fluxorae."</p>
            <ActionForm action=session.sign_in_code attr:class="mt-6" attr:novalidate=true>
                <FormAlert error />
                <input type="hidden" name="next" value=next />
                <Field name="code" label="Authentication code" autocomplete="one-time-code"
                    hint="No phone at hand? Enter one of your recovery codes instead." error />
                <button type="submit" class=BUTTON disabled=pending>
                    {move || if pending.get() { "Checking…" } else { "Verify" }}
                </button>
            </ActionForm>
            <p class="mt-6 text-sm"><A href="/signin" attr:class=LINK>"Start again"</A></p>
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
                <fieldset class="mb-4">
                    <legend class="text-sm font-medium">"I am here to"</legend>
                    <label class="mt-1 flex items-center gap-2 text-sm">
                        <input type="radio" name="joining" value="customer" checked=move || query.read().get("as").as_deref() != Some("freelancer") />
                        "buy services and run projects"
                    </label>
                    <label class="mt-1 flex items-center gap-2 text-sm">
                        <input type="radio" name="joining" value="freelancer" checked=move || query.read().get("as").as_deref() == Some("freelancer") />
                        "work as a freelancer (profile, review, then projects)"
                    </label>
                </fieldset>
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
                    <p class="text-lg">{format!("Welcome back, {}.", user.display_name)}</p>
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
                    <section aria-labelledby="two-factor" class="mt-10">
                        <h2 id="two-factor" class=H2>"Two-factor authentication"</h2>
                        <p class="mt-2 text-sm">
                            "A code from an authenticator app, on top of your password, keeps your account safe even if the password leaks. "
                            <A href="/account/two-factor" attr:class=LINK>"Manage two-factor authentication"</A>
                        </p>
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

/// Setting up, and managing, two-factor sign-in.
#[component]
pub fn TwoFactorPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let next = move || query.read().get("next").filter(|n| is_safe_next(n));
    let begin = ServerAction::<BeginTwoFactor>::new();
    let confirm = session.confirm_two_factor;
    let disable = ServerAction::<DisableTwoFactor>::new();
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    let (confirmed, turned_off, replaced) = (
        successes(confirm.into()),
        successes(disable.into()),
        successes(regenerate.into()),
    );
    let status = Resource::new(
        move || (confirmed.get(), turned_off.get(), replaced.get()),
        |_| get_two_factor_status(),
    );
    let begin_error = action_error(begin.into());
    let confirm_error = action_error(confirm.into());
    let disable_error = action_error(disable.into());
    let regenerate_error = action_error(regenerate.into());
    let disabled = action_ok(disable.into());
    // Fresh recovery codes, from turning it on or from replacing them; shown once.
    let fresh_codes = Signal::derive(move || {
        regenerate
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| confirm.value().get().and_then(Result::ok))
    });
    view! {
        <Title text="Two-factor authentication" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let st = match status.await {
                    Ok(s) => s,
                    Err(error) => return view! { <ErrorView error /> }.into_any(),
                };
                view! {
                    <h1 class=H1>"Two-factor authentication"</h1>
                    {(st.required && !st.enabled).then(|| view! {
                        <p role="status" class="mt-4 max-w-2xl rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100">
                            "Your role requires two-factor authentication. Set it up to continue."
                        </p>
                    })}
                    <div role="status">
                        {move || disabled.get().then(|| view! {
                            <p class="mt-4 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100">"Two-factor authentication is off."</p>
                        })}
                    </div>
                    {move || fresh_codes.get().map(|codes| view! {
                        <section aria-labelledby="codes" class=format!("{CARD} mt-6 max-w-xl")>
                            <h2 id="codes" class=H2>"Your recovery codes"</h2>
                            <p class="mt-2 text-sm">"Each code signs you in once if you lose your phone. Keep them somewhere safe, like a password manager: they are shown only now."</p>
                            <ul aria-label="Recovery codes" class="mt-4 grid grid-cols-2 gap-2 font-mono text-sm">
                                {codes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
                            </ul>
                            <p class="mt-4"><A href=move || next().unwrap_or_else(|| "/account".into()) attr:class=BUTTON>"I have saved my codes"</A></p>
                        </section>
                    })}
                    {if st.enabled {
                        view! {
                            <p class="mt-4">
                                "Two-factor authentication is on"
                                {st.enabled_at.clone().map(|t| format!(" since {t}"))}
                                ". Recovery codes left: " {st.recovery_codes_left} "."
                            </p>
                            <section aria-labelledby="new-codes" class="mt-8 max-w-md">
                                <h2 id="new-codes" class=H2>"New recovery codes"</h2>
                                <p class="mt-2 text-sm">"Replaces every recovery code you have."</p>
                                <ActionForm action=regenerate attr:class="mt-4" attr:novalidate=true>
                                    <FormAlert error=regenerate_error />
                                    <Field name="current_password" label="Your password" kind="password" autocomplete="current-password" error=regenerate_error />
                                    <button type="submit" class=BUTTON>"Get new recovery codes"</button>
                                </ActionForm>
                            </section>
                            {(!st.required).then(|| view! {
                                <section aria-labelledby="turn-off" class="mt-8 max-w-md">
                                    <h2 id="turn-off" class=H2>"Turn off"</h2>
                                    <ActionForm action=disable attr:class="mt-4" attr:novalidate=true>
                                        <FormAlert error=disable_error />
                                        <Field name="password" label="Password to turn off" kind="password" autocomplete="current-password" error=disable_error />
                                        <button type="submit" class=BUTTON>"Turn off two-factor authentication"</button>
                                    </ActionForm>
                                </section>
                            })}
                        }.into_any()
                    } else {
                        view! {
                            <p class="mt-4 max-w-2xl">"When it is on, signing in asks for your password and a 6-digit code from an authenticator app on your phone (such as Google Authenticator, Microsoft Authenticator, 1Password or Aegis)."</p>
                            {move || match begin.value().get() {
                                Some(Ok(setup)) => view! {
                                    <ol class="mt-6 max-w-xl list-decimal space-y-6 pl-5">
                                        <li>
                                            <p>"Scan this QR code with your authenticator app."</p>
                                            <div role="img" aria-label="QR code for your authenticator app" class="mt-3 w-52 rounded-md bg-white p-2" inner_html=setup.qr_svg.clone()></div>
                                        </li>
                                        <li>
                                            <p>"Or type this key into the app:"</p>
                                            <code aria-label="Setup key" class="mt-2 block break-all rounded-md bg-slate-100 px-3 py-2 font-mono text-sm dark:bg-slate-900">{setup.secret.clone()}</code>
                                        </li>
                                        <li>
                                            <p>"Enter the 6-digit code the app shows."</p>
                                            <ActionForm action=confirm attr:class="mt-3" attr:novalidate=true>
                                                <FormAlert error=confirm_error />
                                                <Field name="code" label="Code from the app" autocomplete="one-time-code" error=confirm_error />
                                                <button type="submit" class=BUTTON>"Turn on two-factor authentication"</button>
                                            </ActionForm>
                                        </li>
                                    </ol>
                                }.into_any(),
                                _ => view! {
                                    <ActionForm action=begin attr:class="mt-6">
                                        <FormAlert error=begin_error />
                                        <button type="submit" class=BUTTON>"Set up two-factor authentication"</button>
                                    </ActionForm>
                                }.into_any(),
                            }}
                        }.into_any()
                    }}
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
                    <p class="mt-2"><A href="/admin/ai" attr:class=LINK>"AI console: analyzers, runs and decisions"</A></p>
                    <p class="mt-2"><A href="/admin/site" attr:class=LINK>"Site conversions and leads"</A></p>
                    <p class="mt-2"><A href="/admin/pricing" attr:class=LINK>"Pricing: platform fee and approval window"</A></p>
                    <p class="mt-2"><A href="/admin/tokens" attr:class=LINK>"Teams' tokens: plans and top-ups"</A></p>
                    <p class="mt-2"><A href="/admin/alerts" attr:class=LINK>"Ops alerts: what the automation rules found"</A></p>
                    <section aria-labelledby="users" class="mt-8">
                        <h2 id="users" class=H2>"Users"</h2>
                        <FormAlert error=role_error />
                        <div class="mt-3 overflow-x-auto">
                            <table class=TABLE>
                                <thead><tr><th scope="col" class="py-2 pr-4">"Name"</th><th scope="col" class="py-2 pr-4">"Email"</th><th scope="col" class="py-2 pr-4">"Two-factor"</th><th scope="col" class="py-2 pr-4">"Role"</th></tr></thead>
                                <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                                    {data.users.into_iter().map(|u| {
                                        let label = format!("Role for {}", u.email);
                                        view! {
                                            <tr>
                                                <td class="py-2 pr-4">{u.display_name}</td>
                                                <td class="py-2 pr-4">{u.email}</td>
                                                <td class="py-2 pr-4">{if u.two_factor { "On" } else { "Off" }}</td>
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
                    {allowed(role, Res::Leads, Access::Read).is_some().then(|| view! {
                        <p class="mt-3"><a class=LINK href=format!("/teams/{}/inbox", data.team.slug)>"Open the inbox"</a></p>
                    })}
                    {allowed(role, Res::Billing, Access::Read).is_some().then(|| view! {
                        <p class="mt-1"><a class=LINK href=format!("/teams/{}/tokens", data.team.slug)>"Tokens: plan and usage"</a></p>
                    })}
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
