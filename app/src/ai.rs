//! The AI console (platform ADMIN): engines and switches, figures per analyzer, "try an
//! analyzer" with accept/edit/reject, and the run log with filters.

use domain::ai::log::{AiOverview, RunDetail, RunSummary, TryResult};
#[cfg(feature = "ssr")]
use domain::ai::Decision;
use domain::ai::{examples, AnalyzerKind};
use domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::*;

#[cfg(feature = "ssr")]
use crate::ssr::{current_user, fail, request_meta, services};

#[cfg(feature = "ssr")]
async fn admin() -> Result<(domain::server::Services, domain::user::SessionUser), AppError> {
    let svc = services()?;
    let user = current_user().await?;
    let admin =
        domain::server::guard::platform(user.as_ref(), &[domain::roles::PlatformRole::Admin])
            .map_err(fail)?
            .clone();
    Ok((svc, admin))
}

#[cfg(feature = "ssr")]
fn analyzer_arg(s: &str) -> Result<AnalyzerKind, AppError> {
    AnalyzerKind::parse(s).ok_or_else(|| {
        fail(AppError::field(
            "analyzer",
            "Choose an analyzer from the list.",
        ))
    })
}

/// Engines, switches and figures.
#[server(endpoint = "admin/ai/overview")]
pub async fn ai_console_overview() -> Result<AiOverview, AppError> {
    let (svc, _) = admin().await?;
    domain::server::ai::store::overview(&svc.db, &svc.ai)
        .await
        .map_err(fail)
}

/// One page of runs, newest first, narrowed by the filters (empty means any).
#[server(endpoint = "admin/ai/runs")]
pub async fn ai_runs(
    analyzer: String,
    engine: String,
    status: String,
    decision: String,
    before: String,
) -> Result<Vec<RunSummary>, AppError> {
    use domain::ai::log::{RunFilter, RunStatus};
    use domain::ai::EngineKind;
    let (svc, _) = admin().await?;
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let filter = RunFilter {
        analyzer: opt(&analyzer).and_then(|a| AnalyzerKind::parse(&a)),
        engine: opt(&engine).and_then(|e| EngineKind::parse(&e)),
        status: opt(&status).and_then(|s| RunStatus::parse(&s)),
        decision: match decision.as_str() {
            "" => None,
            "undecided" => Some(None),
            d => Decision::parse(d).map(Some),
        },
        before: before.parse().ok(),
    };
    domain::server::ai::store::list(&svc.db, &filter)
        .await
        .map_err(fail)
}

/// One run in full.
#[server(endpoint = "admin/ai/run")]
pub async fn ai_run(id: String) -> Result<RunDetail, AppError> {
    let (svc, _) = admin().await?;
    let id = id.parse().map_err(|_| fail(AppError::NotFound))?;
    domain::server::ai::store::get(&svc.db, id)
        .await
        .map_err(fail)
}

/// Switches an analyzer's model engine on or off.
#[server(endpoint = "admin/ai/model-switch")]
pub async fn ai_set_model(analyzer: String, enabled: String) -> Result<(), AppError> {
    let (svc, admin) = admin().await?;
    let kind = analyzer_arg(&analyzer)?;
    let enabled = enabled == "true";
    domain::server::ai::store::set_model_enabled(&svc.db, kind, enabled, admin.id)
        .await
        .map_err(fail)?;
    let ev = domain::server::audit::AuditEvent::by("ai.model_switch", &admin)
        .target(kind.as_str())
        .details(serde_json::json!({ "model_enabled": enabled }));
    domain::server::audit::record(&svc.db, ev, &request_meta())
        .await
        .map_err(fail)?;
    Ok(())
}

/// Runs an analyzer on JSON input; the run is logged like any other.
#[server(endpoint = "admin/ai/try")]
pub async fn ai_try(analyzer: String, input: String) -> Result<TryResult, AppError> {
    let (svc, admin) = admin().await?;
    let kind = analyzer_arg(&analyzer)?;
    let value: serde_json::Value = serde_json::from_str(&input).map_err(|e| {
        fail(AppError::field(
            "input",
            format!("This is not valid JSON: {e}."),
        ))
    })?;
    let ctx = domain::server::ai::RunContext {
        tenant: None,
        user: Some(admin.id),
        subject: Some("console".into()),
    };
    svc.ai
        .try_json(&svc.db, &ctx, kind, &value)
        .await
        .map_err(fail)
}

/// Records what the admin did with a run's suggestion.
#[server(endpoint = "admin/ai/decide")]
pub async fn ai_decide(
    id: String,
    decision: String,
    edited: Option<String>,
) -> Result<String, AppError> {
    let (svc, admin) = admin().await?;
    let run: uuid::Uuid = id.parse().map_err(|_| fail(AppError::NotFound))?;
    let decision = Decision::parse(&decision)
        .ok_or_else(|| fail(AppError::field("decision", "Accept, edit or reject.")))?;
    let edited = match edited.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) if decision == Decision::Edited => {
            Some(serde_json::from_str(text).map_err(|e| {
                fail(AppError::field(
                    "edited",
                    format!("The edited answer is not valid JSON: {e}."),
                ))
            })?)
        }
        _ => None,
    };
    domain::server::ai::store::decide(&svc.db, None, run, decision, edited, admin.id)
        .await
        .map_err(|e| match e {
            AppError::Validation(mut v) => {
                for f in &mut v {
                    if f.field == "edited_output" {
                        f.field = "edited".into();
                    }
                }
                fail(AppError::Validation(v))
            }
            other => fail(other),
        })?;
    let ev = domain::server::audit::AuditEvent::by("ai.decision", &admin)
        .target(run.to_string())
        .details(serde_json::json!({ "decision": decision.as_str() }));
    domain::server::audit::record(&svc.db, ev, &request_meta())
        .await
        .map_err(fail)?;
    Ok(run.to_string())
}

const TH: &str = "py-2 pr-4";
const TD: &str = "py-2 pr-4 align-top";
const SMALL_BUTTON: &str =
    "rounded-md border border-slate-300 px-2 py-1 text-xs dark:border-slate-700";
const SELECT: &str = "mt-1 block rounded-md border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-900";
const PRE: &str = "mt-2 max-h-96 overflow-auto whitespace-pre-wrap break-words rounded-md bg-slate-50 p-3 text-xs dark:bg-slate-900";

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), |v| format!("{:.0}%", v * 100.0))
}

fn millis(us: Option<f64>) -> String {
    us.map_or_else(|| "—".to_string(), |v| format!("{:.2} ms", v / 1000.0))
}

fn engine_label(e: domain::ai::EngineKind) -> &'static str {
    match e {
        domain::ai::EngineKind::Builtin => "built-in",
        domain::ai::EngineKind::Model => "model",
    }
}

/// The AI console.
#[component]
pub fn AiConsolePage() -> impl IntoView {
    let switch = ServerAction::<AiSetModel>::new();
    let run = ServerAction::<AiTry>::new();
    let decide = ServerAction::<AiDecide>::new();
    let changes = move || {
        (
            switch.version().get(),
            successes(run.into()).get(),
            successes(decide.into()).get(),
        )
    };
    let overview = Resource::new(changes, |_| ai_console_overview());
    let query = use_query_map();
    let filters = move || {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        (
            get("analyzer"),
            get("engine"),
            get("status"),
            get("decision"),
            get("before"),
        )
    };
    let runs = Resource::new(
        move || (filters(), changes()),
        |((a, e, s, d, b), _)| ai_runs(a, e, s, d, b),
    );
    let switch_error = action_error(switch.into());
    // Asked once: whether this person may see the console at all. The parts below reload on
    // their own without redrawing the page (which would lose the answer being decided on).
    let access = Resource::new(|| (), |_| ai_console_overview());
    view! {
        <Title text="AI console" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                if let Err(error) = access.await {
                    return view! { <ErrorView error /> }.into_any();
                }
                view! {
                    <h1 class=H1>"AI console"</h1>
                    <p class="mt-2 max-w-3xl text-slate-700 dark:text-slate-300">
                        "Every analyzer suggests; people decide. Each run is logged with its engine, redacted input, output, confidence, latency and cost, and what a person did with it."
                    </p>
                    <Analyzers overview switch switch_error />
                    <TryAnalyzer run decide />
                    <RunList runs />
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn Analyzers(
    overview: Resource<Result<AiOverview, AppError>>,
    switch: ServerAction<AiSetModel>,
    switch_error: Signal<Option<AppError>>,
) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let data = match overview.await {
                    Ok(d) => d,
                    Err(error) => return view! { <ErrorView error /> }.into_any(),
                };
                view! {
                    <section aria-labelledby="engines" class="mt-8">
                        <h2 id="engines" class=H2>"Analyzers"</h2>
                        <p class="mt-1 text-sm">{match &data.model {
                            Some(m) => format!("Model engine: {m}{}", if data.breaker_open { " — the breaker is open: the built-in engine answers until it closes." } else { "" }),
                            None => "No model is configured (AI_BASE_URL): every analyzer runs on the built-in engine.".to_string(),
                        }}</p>
                        <FormAlert error=switch_error />
                        <div class="mt-3 overflow-x-auto">
                            <table class=TABLE aria-label="Analyzers">
                                <thead><tr>
                                    <th scope="col" class=TH>"Analyzer"</th><th scope="col" class=TH>"Config"</th>
                                    <th scope="col" class=TH>"Model switch"</th><th scope="col" class=TH>"Runs now on"</th>
                                    <th scope="col" class=TH>"Runs"</th><th scope="col" class=TH>"Decided"</th>
                                    <th scope="col" class=TH>"Accepted"</th><th scope="col" class=TH>"Edited"</th>
                                    <th scope="col" class=TH>"Acceptance rate"</th><th scope="col" class=TH>"Fallbacks"</th>
                                    <th scope="col" class=TH>"Rejected"</th><th scope="col" class=TH>"p95 latency"</th>
                                    <th scope="col" class=TH>"Cost"</th>
                                </tr></thead>
                                <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                                    {data.settings.into_iter().zip(data.stats).map(|(s, st)| {
                                        let label = s.analyzer.label();
                                        let (next, verb) = if s.model_enabled { ("false", "Turn model off") } else { ("true", "Turn model on") };
                                        view! {
                                            <tr>
                                                <th scope="row" class=TD>{label}</th>
                                                <td class=TD>{engine_label(s.configured)}</td>
                                                <td class=TD>
                                                    <ActionForm action=switch attr:class="flex items-center gap-2">
                                                        <input type="hidden" name="analyzer" value=s.analyzer.as_str() />
                                                        <input type="hidden" name="enabled" value=next />
                                                        <span>{if s.model_enabled { "on" } else { "off" }}</span>
                                                        <button type="submit" class=SMALL_BUTTON aria-label=format!("{verb} for {label}")>{verb}</button>
                                                    </ActionForm>
                                                </td>
                                                <td class=TD>{engine_label(s.effective)}</td>
                                                <td class=TD>{st.runs}</td>
                                                <td class=TD>{st.decided}</td>
                                                <td class=TD>{st.accepted}</td>
                                                <td class=TD>{st.edited}</td>
                                                <td class=TD>{percent(st.acceptance_rate)}</td>
                                                <td class=TD>{st.fallbacks}</td>
                                                <td class=TD>{st.rejected}</td>
                                                <td class=TD>{millis(st.p95_latency_us)}</td>
                                                <td class=TD>{format!("${:.4}", st.cost_micros as f64 / 1e6)}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn TryAnalyzer(run: ServerAction<AiTry>, decide: ServerAction<AiDecide>) -> impl IntoView {
    let (kind, set_kind) = signal(AnalyzerKind::Message);
    let error = action_error(run.into());
    let decide_error = action_error(decide.into());
    let input_error = move || {
        error
            .get()
            .and_then(|e| e.message_for("input").map(str::to_owned))
    };
    let edited_error = move || {
        decide_error
            .get()
            .and_then(|e| e.message_for("edited").map(str::to_owned))
    };
    let form_error =
        Signal::derive(move || error.get().filter(|e| e.message_for("input").is_none()));
    let decide_form_error = Signal::derive(move || {
        decide_error
            .get()
            .filter(|e| e.message_for("edited").is_none())
    });
    let decided = move || decide.value().get().and_then(|r| r.ok());
    view! {
        <section aria-labelledby="try" class="mt-10">
            <h2 id="try" class=H2>"Try an analyzer"</h2>
            <FormAlert error=form_error />
            <ActionForm action=run attr:class="mt-3 max-w-3xl">
                <label for="try-analyzer" class="block text-sm font-medium">"Analyzer to run"</label>
                <select id="try-analyzer" name="analyzer" class=SELECT
                    on:change=move |ev| {
                        if let Some(k) = AnalyzerKind::parse(&event_target_value(&ev)) {
                            set_kind.set(k);
                        }
                    }>
                    {AnalyzerKind::ALL.iter().map(|k| view! {
                        <option value=k.as_str() selected=move || kind.get() == *k>{k.label()}</option>
                    }).collect_view()}
                </select>
                <label for="try-input" class="mt-4 block text-sm font-medium">"Input (JSON)"</label>
                <textarea id="try-input" name="input" rows="10" class=format!("{INPUT} font-mono text-xs")
                    aria-invalid=move || input_error().map(|_| "true")
                    aria-describedby=move || input_error().map(|_| "try-input-error")
                    prop:value=move || examples::input(kind.get()).to_string()>
                    {examples::input(AnalyzerKind::Message)}
                </textarea>
                {move || input_error().map(|m| view! { <p id="try-input-error" class="mt-1 text-sm text-red-700 dark:text-red-400">{m}</p> })}
                <button type="submit" class=format!("{BUTTON} mt-4")>"Run"</button>
            </ActionForm>
            {move || run.value().get().and_then(|r| r.ok()).map(|r: TryResult| {
                let id = r.run_id;
                view! {
                    <div role="region" aria-label="Answer" class="mt-6 max-w-3xl rounded-xl border border-slate-200 p-4 dark:border-slate-800">
                        <p class="text-sm">
                            {format!("Answered by the {} engine{} · confidence {:.0}%", engine_label(r.engine), if r.fell_back { " (the model failed; fallback)" } else { "" }, r.confidence * 100.0)}
                        </p>
                        <p class="mt-1 text-sm"><span class="font-medium">"Why: "</span>{r.reason}</p>
                        <pre class=PRE aria-label="Output">{r.output}</pre>
                        <FormAlert error=decide_form_error />
                        <div class="mt-3 flex flex-wrap gap-2">
                            <ActionForm action=decide>
                                <input type="hidden" name="id" value=id.to_string() />
                                <input type="hidden" name="decision" value="accepted" />
                                <button type="submit" class=BUTTON>"Accept"</button>
                            </ActionForm>
                            <ActionForm action=decide>
                                <input type="hidden" name="id" value=id.to_string() />
                                <input type="hidden" name="decision" value="rejected" />
                                <button type="submit" class=SMALL_BUTTON>"Reject"</button>
                            </ActionForm>
                        </div>
                        <details class="mt-3">
                            <summary class="cursor-pointer text-sm font-medium">"Edit, then accept"</summary>
                            <ActionForm action=decide attr:class="mt-2">
                                <input type="hidden" name="id" value=id.to_string() />
                                <input type="hidden" name="decision" value="edited" />
                                <label for="edit-answer" class="block text-sm font-medium">"Edited answer (JSON)"</label>
                                <textarea id="edit-answer" name="edited" rows="10" class=format!("{INPUT} font-mono text-xs")
                                    aria-invalid=move || edited_error().map(|_| "true")
                                    aria-describedby=move || edited_error().map(|_| "edit-answer-error")>{r.answer}</textarea>
                                {move || edited_error().map(|m| view! { <p id="edit-answer-error" class="mt-1 text-sm text-red-700 dark:text-red-400">{m}</p> })}
                                <button type="submit" class=format!("{SMALL_BUTTON} mt-2")>"Save the edit"</button>
                            </ActionForm>
                        </details>
                        {move || decided().filter(|d| *d == id.to_string()).map(|d| view! {
                            <p role="status" class="mt-3 text-sm">"Your decision is recorded. "
                                <A href=format!("/admin/ai/runs/{d}") attr:class=LINK>"Open this run"</A>
                            </p>
                        })}
                    </div>
                }
            })}
        </section>
    }
}

#[component]
fn RunList(runs: Resource<Result<Vec<RunSummary>, AppError>>) -> impl IntoView {
    let query = use_query_map();
    let current = move |k: &str| query.read().get(k).unwrap_or_default();
    let options = |name: &'static str,
                   label: &'static str,
                   values: Vec<(&'static str, &'static str)>| {
        view! {
            <div>
                <label for=format!("filter-{name}") class="block text-sm font-medium">{label}</label>
                <select id=format!("filter-{name}") name=name class=SELECT>
                    <option value="">"Any"</option>
                    {values.into_iter().map(|(v, l)| view! { <option value=v selected=move || current(name) == v>{l}</option> }).collect_view()}
                </select>
            </div>
        }
    };
    view! {
        <section aria-labelledby="runs" class="mt-10">
            <h2 id="runs" class=H2>"Runs"</h2>
            <form method="get" action="/admin/ai" class="mt-3 flex flex-wrap items-end gap-3">
                {options("analyzer", "Analyzer", AnalyzerKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect())}
                {options("engine", "Engine", vec![("builtin", "built-in"), ("model", "model")])}
                {options("status", "Status", vec![("ok", "used"), ("rejected", "rejected"), ("failed", "failed")])}
                {options("decision", "Decision", vec![("undecided", "not yet decided"), ("accepted", "accepted"), ("edited", "edited"), ("rejected", "rejected")])}
                <button type="submit" class=SMALL_BUTTON>"Filter"</button>
            </form>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let rows = match runs.await {
                        Ok(r) => r,
                        Err(error) => return view! { <ErrorView error /> }.into_any(),
                    };
                    if rows.is_empty() {
                        return view! { <p class="mt-3 text-sm">"No runs match these filters."</p> }.into_any();
                    }
                    let older = (rows.len() == 50).then(|| {
                        let last = rows[rows.len() - 1].id;
                        let q = query.read();
                        let keep: Vec<String> = ["analyzer", "engine", "status", "decision"].iter()
                            .filter_map(|k| q.get(k).filter(|v| !v.is_empty()).map(|v| format!("{k}={v}")))
                            .collect();
                        format!("/admin/ai?{}before={last}", keep.iter().map(|k| format!("{k}&")).collect::<String>())
                    });
                    view! {
                        <div class="mt-3 overflow-x-auto">
                            <table class=TABLE aria-label="Runs">
                                <thead><tr>
                                    <th scope="col" class=TH>"When"</th><th scope="col" class=TH>"Analyzer"</th>
                                    <th scope="col" class=TH>"Engine"</th><th scope="col" class=TH>"Status"</th>
                                    <th scope="col" class=TH>"Confidence"</th><th scope="col" class=TH>"Latency"</th>
                                    <th scope="col" class=TH>"By"</th><th scope="col" class=TH>"Decision"</th>
                                    <th scope="col" class=TH><span class="sr-only">"Open"</span></th>
                                </tr></thead>
                                <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                                    {rows.into_iter().map(|r| view! {
                                        <tr>
                                            <td class=TD>{r.created_at}</td>
                                            <td class=TD>{r.analyzer.label()}</td>
                                            <td class=TD>{format!("{}{}", engine_label(r.engine), if r.fallback { " (fallback)" } else { "" })}</td>
                                            <td class=TD>{r.status.as_str()}</td>
                                            <td class=TD>{r.confidence.map(|c| format!("{:.0}%", c * 100.0)).unwrap_or_default()}</td>
                                            <td class=TD>{format!("{:.2} ms", r.latency_us as f64 / 1000.0)}</td>
                                            <td class=TD>{r.triggered_by.unwrap_or_else(|| "automation".into())}</td>
                                            <td class=TD>{r.decision.map(|d| d.as_str()).unwrap_or("—")}</td>
                                            <td class=TD><A href=format!("/admin/ai/runs/{}", r.id) attr:class=LINK>"Open"</A></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        {older.map(|href| view! { <p class="mt-3"><a href=href class=LINK>"Older runs"</a></p> })}
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}

/// One run in full.
#[component]
pub fn AiRunPage() -> impl IntoView {
    let params = use_params_map();
    let run = Resource::new(move || params.read().get("id").unwrap_or_default(), ai_run);
    view! {
        <Title text="AI run" />
        <p><A href="/admin/ai" attr:class=LINK>"← AI console"</A></p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let r = match run.await {
                    Ok(r) => r,
                    Err(error) => return view! { <ErrorView error /> }.into_any(),
                };
                let s = r.summary;
                let row = |k: &'static str, v: String| view! {
                    <div class="grid grid-cols-3 gap-2 py-1"><dt class="font-medium">{k}</dt><dd class="col-span-2">{v}</dd></div>
                };
                view! {
                    <h1 class=H1>{format!("{} run", s.analyzer.label())}</h1>
                    <dl class="mt-6 max-w-3xl divide-y divide-slate-100 text-sm dark:divide-slate-900">
                        {row("When", s.created_at)}
                        {row("Engine", format!("{}{}", engine_label(s.engine), s.model.map(|m| format!(" ({m})")).unwrap_or_default()))}
                        {row("Status", s.status.as_str().to_string())}
                        {row("Confidence", s.confidence.map(|c| format!("{:.0}%", c * 100.0)).unwrap_or_else(|| "—".into()))}
                        {row("Latency", format!("{:.2} ms", s.latency_us as f64 / 1000.0))}
                        {row("Tokens", match (r.prompt_tokens, r.completion_tokens) { (Some(p), Some(c)) => format!("{p} prompt + {c} completion"), _ => "—".into() })}
                        {row("Cost", r.cost_micros.map(|c| format!("${:.6}", c as f64 / 1e6)).unwrap_or_else(|| "—".into()))}
                        {row("Triggered by", s.triggered_by.unwrap_or_else(|| "automation".into()))}
                        {row("Tenant", r.tenant.unwrap_or_else(|| "platform".into()))}
                        {row("Decision", match (s.decision, r.decided_by, r.decided_at) {
                            (Some(d), by, at) => format!("{} by {} at {}", d.as_str(), by.unwrap_or_default(), at.unwrap_or_default()),
                            _ => "not yet decided".into(),
                        })}
                        {row("Input hash (SHA-256)", r.input_hash)}
                    </dl>
                    {r.fallback_of.map(|f| view! {
                        <p class="mt-3 text-sm">"This built-in answer replaced a model run that was not used: "
                            <A href=format!("/admin/ai/runs/{f}") attr:class=LINK>"open the model run"</A></p>
                    })}
                    {r.reason.map(|x| view! { <p class="mt-4 text-sm"><span class="font-medium">"Why: "</span>{x}</p> })}
                    {r.error.map(|x| view! { <p class="mt-4 text-sm text-red-700 dark:text-red-400"><span class="font-medium">"Error: "</span>{x}</p> })}
                    <h2 class=format!("{H2} mt-8")>"Input (personal data redacted)"</h2>
                    <pre class=PRE aria-label="Input">{r.input}</pre>
                    {r.output.map(|o| view! { <h2 class=format!("{H2} mt-8")>"Output"</h2><pre class=PRE aria-label="Output">{o}</pre> })}
                    {r.edited_output.map(|o| view! { <h2 class=format!("{H2} mt-8")>"Edited by a person"</h2><pre class=PRE aria-label="Edited output">{o}</pre> })}
                }.into_any()
            })}
        </Suspense>
    }
}
