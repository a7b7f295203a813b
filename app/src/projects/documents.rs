//! Receipts and fee invoices: the list on a project's workspace, and `/documents/{kind}/{id}`,
//! the printable page of one (its PDF is at the same path followed by `/pdf`).

use domain::invoice::{Document, DocumentLink};
use domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::{short_time, ErrorView, CARD, H2, LINK, SMALL_BTN, TABLE};

/// The receipts and invoices of a project the asker may open.
#[server(endpoint = "documents/project")]
pub async fn project_documents(project: String) -> Result<Vec<DocumentLink>, AppError> {
    let (svc, user) = super::api::signed_in().await?;
    domain::server::invoices::for_project(&svc, &user, super::api::id(&project)?)
        .await
        .map_err(crate::ssr::fail)
}

/// One document, issued on first asking.
#[server(endpoint = "documents/get")]
pub async fn get_document(kind: String, subject: String) -> Result<Document, AppError> {
    let (svc, user) = super::api::signed_in().await?;
    let kind = domain::invoice::DocKind::parse(&kind)
        .ok_or_else(|| crate::ssr::fail(AppError::NotFound))?;
    domain::server::invoices::get(&svc, &user, kind, super::api::id(&subject)?)
        .await
        .map_err(crate::ssr::fail)
}

/// The workspace's list of receipts and invoices (nothing while there are none). The
/// workspace redraws it, and so reloads it, after every change.
#[component]
pub fn Documents(project: String) -> impl IntoView {
    let list = Resource::new(|| (), move |()| project_documents(project.clone()));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(docs) if docs.is_empty() => ().into_any(),
                    Ok(docs) => view! {
                        <section class=format!("{CARD} mt-8") aria-labelledby="documents-h">
                            <h2 id="documents-h" class=H2>"Receipts and invoices"</h2>
                            <ul class="mt-3 grid gap-2" aria-label="Receipts and invoices">
                                {docs.into_iter().map(|d| {
                                    let href = d.href();
                                    view! {
                                        <li class="flex flex-wrap items-center justify-between gap-2 text-sm" data-testid="document-link" data-kind=d.kind.as_str()>
                                            <a class=LINK href=href.clone()>{d.title.clone()}</a>
                                            <span>{format!("{} · {}", d.amount, short_time(&d.at))}
                                                " · " <a class=LINK href=format!("{href}/pdf")>"PDF"</a></span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                    Err(_) => ().into_any(),
                }
            })}
        </Transition>
    }
}

/// `/documents/{kind}/{id}`: a receipt or invoice, ready to print.
#[component]
pub fn DocumentPage() -> impl IntoView {
    let params = use_params_map();
    let doc = Resource::new(
        move || {
            let p = params.read();
            (
                p.get("kind").unwrap_or_default(),
                p.get("id").unwrap_or_default(),
            )
        },
        |(kind, id)| get_document(kind, id),
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match doc.await {
                    Ok(d) => view! { <Printable d /> }.into_any(),
                    Err(AppError::Conflict(m)) => view! { <p class="py-12 text-center" role="status">{m}</p> }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Printable(d: Document) -> impl IntoView {
    let pdf = {
        let params = use_params_map();
        let p = params.read_untracked();
        format!(
            "/documents/{}/{}/pdf",
            p.get("kind").unwrap_or_default(),
            p.get("id").unwrap_or_default()
        )
    };
    let party = |heading: &'static str, who: domain::invoice::DocParty| {
        view! {
            <div>
                <p class="text-xs font-semibold uppercase tracking-wide text-slate-500">{heading}</p>
                <p class="font-semibold">{who.name}</p>
                {who.lines.into_iter().map(|l| view! { <p class="text-sm">{l}</p> }).collect_view()}
            </div>
        }
    };
    view! {
        <Title text=d.title() />
        <div class="mb-4 flex gap-2 print:hidden">
            <a class=SMALL_BTN href=pdf download=format!("{}.pdf", d.number)>"Download PDF"</a>
            <button type="button" class=SMALL_BTN onclick="window.print()">"Print"</button>
        </div>
        <article class="mx-auto max-w-3xl rounded-lg border border-slate-200 p-8 dark:border-slate-800 print:border-0" data-testid="document">
            <h1 class="text-3xl font-bold">{d.kind.label()}</h1>
            <p class="mt-1 text-sm" data-testid="document-number">{format!("No. {} · Issued {}", d.number, d.issued)}</p>
            <p class="text-sm">{format!("Project: {}", d.project)}</p>
            <div class="mt-6 grid grid-cols-2 gap-6">
                {party("From", d.from.clone())}
                {party("To", d.to.clone())}
            </div>
            <table class=format!("{TABLE} mt-8")>
                <thead><tr><th class="py-2">"Description"</th><th class="py-2 text-right">"Amount"</th></tr></thead>
                <tbody>
                    {d.lines.iter().map(|l| view! {
                        <tr><td class="py-2">{l.description.clone()}</td><td class="py-2 text-right tabular-nums">{l.amount.to_string()}</td></tr>
                    }).collect_view()}
                </tbody>
                <tfoot>
                    <tr class="font-semibold"><td class="py-2">{d.total_label.clone()}</td><td class="py-2 text-right tabular-nums" data-testid="document-total">{d.total.to_string()}</td></tr>
                </tfoot>
            </table>
            <div class="mt-6 grid gap-1 text-sm text-slate-600 dark:text-slate-400">
                {d.notes.iter().map(|n| view! { <p>{n.clone()}</p> }).collect_view()}
            </div>
        </article>
    }
}
