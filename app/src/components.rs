//! Shared pieces of the UI: the session context, header, footer, theme toggle and form fields.

use domain::user::SessionUser;
use domain::AppError;
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::use_location;

use crate::api::{get_current_user, ConfirmTwoFactor, SignIn, SignInTwoFactor, SignOut, SignUp};

/// The signed-in person and the actions that change who that is.
#[derive(Clone, Copy)]
pub struct SessionCtx {
    /// Who is signed in (refetched after each sign-in, sign-up and sign-out).
    pub user: Resource<Result<Option<SessionUser>, AppError>>,
    /// Sign in.
    pub sign_in: ServerAction<SignIn>,
    /// Finish signing in with a second factor.
    pub sign_in_code: ServerAction<SignInTwoFactor>,
    /// Turn on two-factor sign-in (which may unlock the rest of the app).
    pub confirm_two_factor: ServerAction<ConfirmTwoFactor>,
    /// Sign up.
    pub sign_up: ServerAction<SignUp>,
    /// Sign out.
    pub sign_out: ServerAction<SignOut>,
}

/// Creates the session context for the whole app.
pub fn provide_session() {
    let sign_in = ServerAction::<SignIn>::new();
    let sign_in_code = ServerAction::<SignInTwoFactor>::new();
    let confirm_two_factor = ServerAction::<ConfirmTwoFactor>::new();
    let sign_up = ServerAction::<SignUp>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let user = Resource::new(
        move || {
            (
                sign_in.version().get(),
                sign_in_code.version().get(),
                confirm_two_factor.version().get(),
                sign_up.version().get(),
                sign_out.version().get(),
            )
        },
        |_| get_current_user(),
    );
    #[cfg(feature = "hydrate")]
    watch_account(user);
    provide_context(SessionCtx {
        user,
        sign_in,
        sign_in_code,
        confirm_two_factor,
        sign_up,
        sign_out,
    });
}

/// While someone is signed in, keeps the server's event stream (`/events`) open; when their
/// account changes on any server (role, password, second factor), who is signed in is loaded
/// again, so the page follows without a reload. After a reconnect it reloads too, in case a
/// change came while the stream was down. `<html data-account-events="open">` says it is open.
#[cfg(feature = "hydrate")]
fn watch_account(user: Resource<Result<Option<SessionUser>, AppError>>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    type Listener = Closure<dyn FnMut(web_sys::Event)>;
    let source = StoredValue::new_local(None::<(web_sys::EventSource, Listener, Listener)>);
    Effect::new(move |_| {
        let signed_in = matches!(user.get(), Some(Ok(Some(_))));
        let open = source.with_value(|s| s.is_some());
        let root = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element());
        if signed_in && !open {
            let Ok(es) = web_sys::EventSource::new("/events") else {
                return;
            };
            let on_change = Listener::new(move |_| user.refetch());
            let mut opened = 0u32;
            let root_on_open = root.clone();
            let on_open = Listener::new(move |_| {
                opened += 1;
                if opened > 1 {
                    user.refetch();
                }
                if let Some(r) = &root_on_open {
                    let _ = r.set_attribute("data-account-events", "open");
                }
            });
            let _ =
                es.add_event_listener_with_callback("session", on_change.as_ref().unchecked_ref());
            let _ = es.add_event_listener_with_callback("open", on_open.as_ref().unchecked_ref());
            source.set_value(Some((es, on_change, on_open)));
        } else if !signed_in && open {
            source.update_value(|s| {
                if let Some((es, _, _)) = s.take() {
                    es.close();
                }
            });
            if let Some(r) = root {
                let _ = r.remove_attribute("data-account-events");
            }
        }
    });
}

/// The session context.
pub fn use_session() -> SessionCtx {
    expect_context::<SessionCtx>()
}

/// The marketing site's sections, in the header and the footer.
const SITE_LINKS: &[(&str, &str)] = &[
    ("/services", "Services"),
    ("/solutions", "Solutions"),
    ("/case-studies", "Case studies"),
    ("/pricing", "Pricing"),
    ("/insights", "Insights"),
    ("/about", "About"),
];

const NAV_LINK: &str = "rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 hover:text-slate-950 aria-[current=page]:bg-slate-100 aria-[current=page]:text-slate-950 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white dark:aria-[current=page]:bg-slate-800 dark:aria-[current=page]:text-white";

/// The site header with navigation for the signed-in role.
#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    view! {
        <header class="border-b border-slate-200 bg-white/90 dark:border-slate-800 dark:bg-slate-950/90">
            <nav aria-label="Main" class="mx-auto flex max-w-6xl flex-wrap items-center gap-2 px-4 py-3 sm:px-6">
                <A href="/" attr:class="mr-auto flex items-center gap-2 text-lg font-bold tracking-tight">
                    <span aria-hidden="true" class="inline-block h-6 w-6 rounded-md bg-gradient-to-br from-indigo-500 to-emerald-400"></span>
                    "Fluxorae"
                </A>
                <ul class="hidden items-center gap-1 lg:flex">
                    {SITE_LINKS.iter().map(|(href, label)| view! { <li><A href=*href attr:class=NAV_LINK>{*label}</A></li> }).collect_view()}
                </ul>
                <details class="relative lg:hidden">
                    <summary class="cursor-pointer list-none rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800">"Menu"</summary>
                    <ul class="absolute right-0 z-20 mt-2 w-56 rounded-md border border-slate-200 bg-white p-2 shadow-lg dark:border-slate-800 dark:bg-slate-900">
                        {SITE_LINKS.iter().map(|(href, label)| view! { <li><A href=*href attr:class="block rounded px-3 py-2 text-sm hover:bg-slate-100 dark:hover:bg-slate-800">{*label}</A></li> }).collect_view()}
                    </ul>
                </details>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.user.await.ok().flatten() {
                            Some(user) => view! { <SignedInNav user /> }.into_any(),
                            None => view! {
                                <A href="/signin" attr:class=NAV_LINK>"Sign in"</A>
                                <A href="/signup" attr:class="rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Sign up"</A>
                            }.into_any(),
                        }
                    })}
                </Transition>
                <ThemeToggle />
            </nav>
        </header>
    }
}

#[component]
fn SignedInNav(user: SessionUser) -> impl IntoView {
    let session = use_session();
    // Until a required second factor is set up, only the account page leads anywhere.
    let is_admin = user.is_admin() && !user.must_set_up_two_factor;
    let edits_site = !user.must_set_up_two_factor
        && matches!(
            user.role,
            domain::roles::PlatformRole::Admin | domain::roles::PlatformRole::ContentEditor
        );
    let works_on_projects = !user.must_set_up_two_factor
        && matches!(
            user.role,
            domain::roles::PlatformRole::Customer
                | domain::roles::PlatformRole::Freelancer
                | domain::roles::PlatformRole::Employee
                | domain::roles::PlatformRole::Admin
        );
    let earns =
        !user.must_set_up_two_factor && user.role == domain::roles::PlatformRole::Freelancer;
    let has_profile = !user.must_set_up_two_factor
        && matches!(
            user.role,
            domain::roles::PlatformRole::Freelancer | domain::roles::PlatformRole::Expert
        );
    let reviews_talent = !user.must_set_up_two_factor
        && matches!(
            user.role,
            domain::roles::PlatformRole::Employee | domain::roles::PlatformRole::Admin
        );
    view! {
        {works_on_projects.then(|| view! { <A href="/projects" attr:class=NAV_LINK>"Projects"</A> })}
        {earns.then(|| view! { <A href="/talent/projects" attr:class=NAV_LINK>"Open projects"</A> })}
        {has_profile.then(|| view! { <A href="/talent" attr:class=NAV_LINK>"Profile"</A> })}
        {reviews_talent.then(|| view! { <A href="/admin/talent" attr:class=NAV_LINK>"Talent review"</A> })}
        {earns.then(|| view! { <A href="/earnings" attr:class=NAV_LINK>"Earnings"</A> })}
        {edits_site.then(|| view! { <A href="/editor" attr:class=NAV_LINK>"Site editor"</A> })}
        {is_admin.then(|| view! { <A href="/admin" attr:class=NAV_LINK>"Admin"</A> })}
        <A href="/account" attr:class=NAV_LINK>"Account"</A>
        <ActionForm action=session.sign_out attr:class="inline">
            <button type="submit" class=NAV_LINK>"Sign out"</button>
        </ActionForm>
    }
}

/// A toggle button for the dark theme. Its accessible name stays "Dark theme"; `aria-pressed`
/// says whether it is on.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let dark = RwSignal::new(crate::theme::initial_dark());
    let toggle = move |_| {
        let next = !dark.get_untracked();
        dark.set(next);
        #[cfg(feature = "hydrate")]
        crate::theme::apply(next);
    };
    view! {
        <button
            type="button"
            data-theme-toggle=""
            on:click=toggle
            aria-pressed=move || if dark.get() { "true" } else { "false" }
            aria-label="Dark theme"
            title="Switch between light and dark theme"
            class="rounded-md p-2 text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
        >
            <svg aria-hidden="true" viewBox="0 0 24 24" class="h-5 w-5" fill="none" stroke="currentColor" stroke-width="2">
                <path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z" />
            </svg>
        </button>
    }
}

/// The site footer.
#[component]
pub fn Footer() -> impl IntoView {
    const FOOTER_LINKS: &[(&str, &str)] = &[
        ("/contact", "Contact"),
        ("/book-a-call", "Book a call"),
        ("/request-proposal", "Request a proposal"),
        ("/careers", "Careers"),
        ("/sitemap.xml", "Sitemap"),
    ];
    view! {
        <footer class="mt-16 border-t border-slate-200 py-10 text-sm text-slate-700 dark:border-slate-800 dark:text-slate-300">
            <div class="mx-auto flex max-w-6xl flex-col gap-6 px-4 sm:px-6 md:flex-row md:justify-between">
                <p>"Fluxorae — AI drafts, people decide. Built in Rust."</p>
                <nav aria-label="Footer">
                    <ul class="flex flex-wrap gap-x-6 gap-y-2">
                        {SITE_LINKS.iter().chain(FOOTER_LINKS.iter()).map(|(href, label)| view! {
                            <li><a href=*href class="hover:underline">{*label}</a></li>
                        }).collect_view()}
                    </ul>
                </nav>
            </div>
        </footer>
    }
}

/// Shared input styles.
pub const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500 aria-[invalid=true]:border-red-600 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100";
/// A page's main heading.
/// A bordered panel.
pub const CARD: &str = "rounded-lg border border-slate-200 p-4 dark:border-slate-800";
/// The page title.
pub const H1: &str = "text-3xl font-bold tracking-tight sm:text-4xl";
/// A section heading on a page.
pub const H2: &str = "text-xl font-semibold tracking-tight";
/// An inline link.
pub const LINK: &str =
    "font-medium text-indigo-700 underline-offset-2 hover:underline dark:text-indigo-400";
/// A data table.
pub const TABLE: &str =
    "min-w-full divide-y divide-slate-200 text-left text-sm dark:divide-slate-800";
/// A small secondary button (toolbars, rows).
pub const SMALL_BTN: &str = "inline-flex items-center rounded border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-100 disabled:opacity-40 dark:border-slate-700 dark:hover:bg-slate-800";

/// A timestamp (RFC 3339) as `2026-12-01 14:05`, for tables.
pub fn short_time(rfc3339: &str) -> String {
    rfc3339.get(..16).unwrap_or(rfc3339).replace('T', " ")
}

/// Shared primary button styles.
pub const BUTTON: &str = "inline-flex items-center justify-center rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500 focus:ring-offset-2 disabled:opacity-60 dark:focus:ring-offset-slate-950";

/// A labelled input whose error message is tied to it with `aria-describedby`.
#[component]
pub fn Field(
    /// The form field name (matches the server function argument).
    name: &'static str,
    /// The visible label.
    label: &'static str,
    /// The input type.
    #[prop(default = "text")]
    kind: &'static str,
    /// The autocomplete hint.
    #[prop(default = "off")]
    autocomplete: &'static str,
    /// A hint shown under the label.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// The initial value.
    #[prop(optional, into)]
    value: Option<String>,
    /// The last error of the form's action.
    #[prop(into)]
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let err_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let message = move || {
        error
            .get()
            .and_then(|e| e.message_for(name).map(str::to_owned))
    };
    let described = {
        let (err_id, hint_id) = (err_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if message().is_some() {
                ids.push(err_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="mb-4">
            <label for=id.clone() class="block text-sm font-medium">{label}</label>
            {hint.map(|h| view! { <p id=hint_id.clone() class="text-xs text-slate-600 dark:text-slate-400">{h}</p> })}
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                value=value
                class=INPUT
                aria-invalid=move || message().map(|_| "true")
                aria-describedby=described
            />
            <FieldMessage id=err_id message=Signal::derive(message) />
        </div>
    }
}

/// The message under a field (its `id` is what the field's `aria-describedby` names), or
/// nothing while there is none.
#[component]
pub fn FieldMessage(
    /// The element id.
    #[prop(optional, into)]
    id: Option<String>,
    /// The message.
    #[prop(into)]
    message: Signal<Option<String>>,
) -> impl IntoView {
    move || {
        message.get().map(|m| {
            view! { <p id=id.clone() class="mt-1 text-sm text-red-700 dark:text-red-400">{m}</p> }
        })
    }
}

/// The form-level message: announced to screen readers when it appears.
#[component]
pub fn FormAlert(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <div role="alert" aria-live="assertive">
            {move || error.get().map(|e| view! {
                <p class="mb-4 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
                    {e.to_string()}
                </p>
            })}
        </div>
    }
}

/// The error of an action's last run, if it failed.
pub fn action_error<I: 'static, O: Clone + Send + Sync + 'static>(
    action: Action<I, Result<O, AppError>>,
) -> Signal<Option<AppError>> {
    let value = action.value();
    Signal::derive(move || value.get().and_then(|r| r.err()))
}

/// Sends `form` as multipart data with `send`. On success the form is cleared and `done` runs;
/// on failure the form keeps what was chosen and typed, and `error` says why.
pub fn send_upload<F, Fut>(
    form: web_sys::HtmlFormElement,
    busy: RwSignal<bool>,
    error: RwSignal<Option<AppError>>,
    done: Callback<()>,
    send: F,
) where
    F: FnOnce(web_sys::FormData) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<String, AppError>> + 'static,
{
    let Ok(data) = web_sys::FormData::new_with_form(&form) else {
        return;
    };
    busy.set(true);
    leptos::task::spawn_local(async move {
        let answer = send(data).await;
        busy.set(false);
        match answer {
            Ok(_) => {
                error.set(None);
                form.reset();
                done.run(());
            }
            Err(e) => error.set(Some(e)),
        }
    });
}

/// What is wrong with the file chosen in `input`, at the `file` field: `none` when there is
/// none, and when it is over `most` bytes, its limit followed by `over` (what to do instead).
pub fn chosen_file_problem(
    input: &web_sys::HtmlInputElement,
    most: usize,
    none: &str,
    over: &str,
) -> Option<AppError> {
    match input.files().and_then(|l| l.get(0)) {
        None => Some(AppError::field("file", none)),
        Some(f) if f.size() as usize > most => Some(AppError::field(
            "file",
            format!("This file is over {} MB, {over}", most / (1024 * 1024)),
        )),
        Some(_) => None,
    }
}

/// The message for `field` in `error`, if it names that field.
pub fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || {
        error
            .get()
            .and_then(|e| e.message_for(field).map(str::to_owned))
    })
}

/// `error` when it is not about particular fields (those show under their fields).
pub fn general_error(error: Signal<Option<AppError>>) -> Signal<Option<AppError>> {
    Signal::derive(move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation(_)))
    })
}

/// Whether an action's last run succeeded.
pub fn action_ok<I: 'static, O: Clone + Send + Sync + 'static>(
    action: Action<I, Result<O, AppError>>,
) -> Signal<bool> {
    let value = action.value();
    Signal::derive(move || matches!(value.get(), Some(Ok(_))))
}

/// Counts an action's successful runs, for resources that must reload after a change but not
/// after a refused attempt (which would redraw the form and lose what was typed).
pub fn successes<I: 'static, O: Clone + Send + Sync + 'static>(
    action: Action<I, Result<O, AppError>>,
) -> Memo<usize> {
    let value = action.value();
    let version = action.version();
    Memo::new(move |prev: Option<&usize>| match value.get() {
        Some(Ok(_)) => version.get(),
        _ => prev.copied().unwrap_or(0),
    })
}

/// Whether `next` (where to go after signing in or setting up) stays on this site: a relative
/// path, not `//host`, no backslash, no scheme.
pub fn is_safe_next(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.contains("://")
}

/// What a page shows when loading its data failed: a sign-in redirect, a 403 or 404 page, or
/// a generic message. Never internals.
#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    match error {
        AppError::Unauthorized => {
            let location = use_location();
            let next = location.pathname.get_untracked();
            view! { <Redirect path=format!("/signin?next={next}") /> }.into_any()
        }
        AppError::TwoFactorSetupRequired => {
            let location = use_location();
            let next = location.pathname.get_untracked();
            view! { <Redirect path=format!("/account/two-factor?next={next}") /> }.into_any()
        }
        AppError::Forbidden => view! { <ForbiddenView /> }.into_any(),
        AppError::NotFound => view! { <crate::pages::NotFoundView /> }.into_any(),
        other => view! {
            <section class="py-12 text-center">
                <h1 class="text-2xl font-bold">"Something went wrong"</h1>
                <p class="mt-2">{other.to_string()}</p>
            </section>
        }
        .into_any(),
    }
}

/// The 403 page body.
#[component]
pub fn ForbiddenView() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Access denied" />
        <section class="py-12 text-center">
            <p class="text-sm font-semibold text-indigo-600">"403"</p>
            <h1 class="mt-2 text-3xl font-bold">"You do not have access to this page"</h1>
            <p class="mt-4 text-slate-600 dark:text-slate-400">
                "Your account's role does not include it. If you think it should, ask an administrator."
            </p>
            <p class="mt-6"><A href="/" attr:class=BUTTON>"Go to the home page"</A></p>
        </section>
    }
}

/// What the form control with `id` holds now (an input, a text area or a select), read in an
/// event handler in the browser; empty when there is none.
pub fn field_value(id: &str) -> String {
    leptos::prelude::document()
        .get_element_by_id(id)
        .and_then(|el| element_value(&el))
        .unwrap_or_default()
}

/// The value of a form control (an input, a text area or a select); `None` for any other element.
pub fn element_value(el: &web_sys::Element) -> Option<String> {
    use wasm_bindgen::JsCast;
    if let Some(i) = el.dyn_ref::<web_sys::HtmlInputElement>() {
        Some(i.value())
    } else if let Some(t) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        Some(t.value())
    } else {
        el.dyn_ref::<web_sys::HtmlSelectElement>()
            .map(|s| s.value())
    }
}

/// Puts `value` into a form control (an input, a text area or a select); any other element is
/// left alone.
pub fn set_element_value(el: &web_sys::Element, value: &str) {
    use wasm_bindgen::JsCast;
    if let Some(i) = el.dyn_ref::<web_sys::HtmlInputElement>() {
        i.set_value(value);
    } else if let Some(t) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        t.set_value(value);
    } else if let Some(s) = el.dyn_ref::<web_sys::HtmlSelectElement>() {
        s.set_value(value);
    }
}

/// Whether the checkbox or radio button with `id` is checked now, read in the browser.
pub fn field_checked(id: &str) -> bool {
    use wasm_bindgen::JsCast;
    leptos::prelude::document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        .is_some_and(|i| i.checked())
}
