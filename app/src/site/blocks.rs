//! One view per block type: valid, semantic, accessible HTML. The page's hero holds its only
//! `h1`; a section's heading is an `h2`, and headings inside it go one level deeper, so the
//! outline never skips a level. Rich text arrives sanitised from the server.

use std::sync::Arc;

use domain::site::lead::{LeadForm, LeadInput, CONSENT_TEXT};
use domain::site::{Block, Link, PageCard, Props};
use leptos::prelude::*;

use super::SiteView;
use crate::components::INPUT;

const CONTAINER: &str = "mx-auto w-full max-w-6xl px-4 sm:px-6";
const BTN_PRIMARY: &str = "inline-flex items-center justify-center rounded-md bg-indigo-600 px-5 py-3 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";
const BTN_SECONDARY: &str = "inline-flex items-center justify-center rounded-md border border-slate-300 bg-white px-5 py-3 text-sm font-semibold text-slate-900 hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800";
const MUTED: &str = "text-slate-700 dark:text-slate-300";
const CARD: &str =
    "rounded-xl border border-slate-200 bg-white p-6 dark:border-slate-800 dark:bg-slate-900";

/// The page's blocks, top to bottom.
pub fn render_page(view: Arc<SiteView>) -> AnyView {
    let blocks = view.page.content.blocks.clone();
    blocks
        .iter()
        .map(|b| {
            // Sections lay out their own width; everything else sits in the page column.
            if b.kind == "section" {
                block(&view, b, 2)
            } else {
                view! { <div class=CONTAINER>{block(&view, b, 2)}</div> }.into_any()
            }
        })
        .collect_view()
        .into_any()
}

/// One block; `level` is the heading level its own heading takes.
fn block(view: &Arc<SiteView>, b: &Block, level: u8) -> AnyView {
    let p = b.p();
    match b.kind.as_str() {
        "section" => section(view, b, level),
        "columns" => columns(view, b, level),
        "hero" => hero(p),
        "cta_band" => cta_band(p, level),
        "metrics" => metrics(p, level),
        "testimonial" => testimonial(p),
        "logo_wall" => logo_wall(p, level),
        "case_study_cards" => cards(view, b, level, true),
        "article_list" => cards(view, b, level, false),
        "case_study_story" => story(p, level),
        "service_cards" => services(p, level),
        "pricing" => pricing(p, level),
        "faq" => faq(p, level),
        "rich_text" => {
            view! { <div class="rich max-w-3xl py-2">{rich(p.str("body"))}</div> }.into_any()
        }
        "image" => image(p),
        "lead_form" => lead_form(view, p, level),
        "global" => {
            let blocks = view
                .page
                .globals
                .get(p.str("ref"))
                .cloned()
                .unwrap_or_default();
            blocks
                .iter()
                .map(|g| block(view, g, level))
                .collect_view()
                .into_any()
        }
        _ => ().into_any(),
    }
}

/// A heading at `level` (2–4; deeper levels stay at 4).
fn heading(level: u8, class: &'static str, id: Option<String>, text: String) -> AnyView {
    match level {
        0..=2 => view! { <h2 class=class id=id>{text}</h2> }.into_any(),
        3 => view! { <h3 class=class id=id>{text}</h3> }.into_any(),
        _ => view! { <h4 class=class id=id>{text}</h4> }.into_any(),
    }
}

fn rich(html: &str) -> AnyView {
    let html = html.to_owned();
    view! { <div inner_html=html></div> }.into_any()
}

fn cta(link: Link, primary: bool) -> AnyView {
    let id = link.cta_id();
    let class = if primary { BTN_PRIMARY } else { BTN_SECONDARY };
    let download = link.href.ends_with(".pdf").then_some("");
    view! { <a href=link.href data-cta=id class=class download=download>{link.label}</a> }
        .into_any()
}

fn ctas(p: Props<'_>) -> AnyView {
    let primary = p.link("primary");
    let secondary = p.link("secondary");
    if primary.is_none() && secondary.is_none() {
        return ().into_any();
    }
    view! {
        <div class="mt-8 flex flex-wrap gap-3">
            {primary.map(|l| cta(l, true))}
            {secondary.map(|l| cta(l, false))}
        </div>
    }
    .into_any()
}

fn section(view: &Arc<SiteView>, b: &Block, level: u8) -> AnyView {
    let p = b.p();
    let heading_text = p.text("heading").map(str::to_owned);
    let heading_id = heading_text.as_ref().map(|_| format!("h-{}", b.id));
    let anchor = p.text("anchor").map(str::to_owned);
    let tone = match p.str("tone") {
        "muted" => "bg-slate-50 dark:bg-slate-900/60",
        "brand" => "bg-indigo-50 dark:bg-indigo-950/50",
        _ => "",
    };
    let width = match p.str("width") {
        "narrow" => "mx-auto w-full max-w-3xl px-4 sm:px-6",
        "full" => "w-full px-4 sm:px-6",
        _ => CONTAINER,
    };
    let inner = if heading_text.is_some() {
        level + 1
    } else {
        level
    };
    let intro = p.text("intro").map(str::to_owned);
    let children = b
        .children
        .iter()
        .map(|c| block(view, c, inner))
        .collect_view();
    let labelled_by = heading_id.clone();
    view! {
        <section id=anchor aria-labelledby=labelled_by class=format!("py-12 sm:py-16 {tone}")>
            <div class=width>
                {heading_text.map(|t| heading(level, "text-2xl font-bold tracking-tight sm:text-3xl", heading_id, t))}
                {intro.map(|t| view! { <p class=format!("mt-3 max-w-3xl text-lg {MUTED}")>{t}</p> })}
                <div class="mt-8 space-y-10">{children}</div>
            </div>
        </section>
    }
    .into_any()
}

fn columns(view: &Arc<SiteView>, b: &Block, level: u8) -> AnyView {
    let grid = match b.p().str("count") {
        "3" => "grid gap-8 md:grid-cols-3",
        "4" => "grid gap-8 sm:grid-cols-2 lg:grid-cols-4",
        _ => "grid gap-8 md:grid-cols-2",
    };
    let children = b
        .children
        .iter()
        .map(|c| view! { <div>{block(view, c, level)}</div> })
        .collect_view();
    view! { <div class=grid>{children}</div> }.into_any()
}

fn hero(p: Props<'_>) -> AnyView {
    let eyebrow = p.text("eyebrow").map(str::to_owned);
    let title = p.str("title").to_owned();
    let subtitle = p.text("subtitle").map(str::to_owned);
    let image = p
        .text("image")
        .map(|s| (s.to_owned(), p.str("image_alt").to_owned()));
    view! {
        <div class="py-12 sm:py-20">
            <div class="grid items-center gap-10 lg:grid-cols-2">
                <div class=if image.is_some() { "" } else { "lg:col-span-2" }>
                    {eyebrow.map(|t| view! { <p class="text-sm font-semibold uppercase tracking-wide text-indigo-700 dark:text-indigo-400">{t}</p> })}
                    <h1 class="mt-3 max-w-4xl text-4xl font-bold tracking-tight sm:text-5xl">{title}</h1>
                    {subtitle.map(|t| view! { <p class=format!("mt-6 max-w-3xl text-lg {MUTED}")>{t}</p> })}
                    {ctas(p)}
                </div>
                {image.map(|(src, alt)| view! { <img src=src alt=alt class="w-full rounded-xl" decoding="async" /> })}
            </div>
        </div>
    }
    .into_any()
}

fn cta_band(p: Props<'_>, level: u8) -> AnyView {
    let title = p.str("title").to_owned();
    let body = p.text("body").map(str::to_owned);
    view! {
        <div class="my-12">
            <div class="rounded-2xl bg-indigo-700 px-6 py-10 text-white sm:px-10 dark:bg-indigo-900">
                {heading(level, "text-2xl font-bold tracking-tight", None, title)}
                {body.map(|t| view! { <p class="mt-3 max-w-2xl text-indigo-50">{t}</p> })}
                <div class="mt-6 flex flex-wrap gap-3">
                    {p.link("primary").map(|l| {
                        let id = l.cta_id();
                        view! { <a href=l.href data-cta=id class="inline-flex items-center rounded-md bg-white px-5 py-3 text-sm font-semibold text-indigo-800 hover:bg-indigo-50">{l.label}</a> }
                    })}
                    {p.link("secondary").map(|l| {
                        let id = l.cta_id();
                        view! { <a href=l.href data-cta=id class="inline-flex items-center rounded-md border border-white/70 px-5 py-3 text-sm font-semibold text-white hover:bg-white/10">{l.label}</a> }
                    })}
                </div>
            </div>
        </div>
    }
    .into_any()
}

fn metrics(p: Props<'_>, level: u8) -> AnyView {
    let items: Vec<(String, String)> = p
        .items("items")
        .iter()
        .map(|i| (i.str("value").to_owned(), i.str("label").to_owned()))
        .collect();
    let heading_text = p.text("heading").map(str::to_owned);
    view! {
        <div class="py-8">
            {heading_text.map(|t| heading(level, "text-xl font-semibold tracking-tight", None, t))}
            <dl class="mt-6 grid gap-6 sm:grid-cols-2 lg:grid-cols-4">
                {items.into_iter().map(|(value, label)| view! {
                    <div class="flex flex-col-reverse rounded-xl border border-slate-200 p-5 dark:border-slate-800">
                        <dt class=format!("mt-1 text-sm {MUTED}")>{label}</dt>
                        <dd class="text-3xl font-bold tracking-tight text-indigo-700 dark:text-indigo-400">{value}</dd>
                    </div>
                }).collect_view()}
            </dl>
        </div>
    }
    .into_any()
}

fn testimonial(p: Props<'_>) -> AnyView {
    let quote = p.str("quote").to_owned();
    let author = p.str("author").to_owned();
    let role = p.text("role").map(str::to_owned);
    view! {
        <figure class="py-8">
            <blockquote class="max-w-3xl border-l-4 border-indigo-500 pl-6 text-xl leading-relaxed">
                <p>{format!("“{quote}”")}</p>
            </blockquote>
            <figcaption class=format!("mt-4 pl-7 text-sm {MUTED}")>
                <span class="font-semibold text-slate-900 dark:text-white">{author}</span>
                {role.map(|r| view! { <span>{format!(", {r}")}</span> })}
            </figcaption>
        </figure>
    }
    .into_any()
}

fn logo_wall(p: Props<'_>, level: u8) -> AnyView {
    let heading_text = p.text("heading").map(str::to_owned);
    let logos: Vec<(String, Option<String>)> = p
        .items("logos")
        .iter()
        .map(|l| (l.str("name").to_owned(), l.text("image").map(str::to_owned)))
        .collect();
    let badges: Vec<(String, &'static str)> = p
        .items("badges")
        .iter()
        .map(|b| {
            (
                b.str("label").to_owned(),
                if b.str("kind") == "certification" {
                    "Certification"
                } else {
                    "Trust"
                },
            )
        })
        .collect();
    view! {
        <div class="py-8">
            {heading_text.map(|t| heading(level, "text-center text-sm font-semibold uppercase tracking-wide text-slate-700 dark:text-slate-300", None, t))}
            <ul class="mt-6 flex flex-wrap items-center justify-center gap-x-10 gap-y-4">
                {logos.into_iter().map(|(name, img)| match img {
                    Some(src) => view! { <li><img src=src alt=name class="h-8 w-auto" decoding="async" /></li> }.into_any(),
                    None => view! { <li class="text-lg font-semibold text-slate-600 dark:text-slate-300">{name}</li> }.into_any(),
                }).collect_view()}
            </ul>
            {(!badges.is_empty()).then(|| view! {
                <ul class="mt-8 flex flex-wrap justify-center gap-3" aria-label="Trust badges and certifications">
                    {badges.into_iter().map(|(label, kind)| view! {
                        <li class="rounded-full border border-emerald-300 bg-emerald-50 px-3 py-1 text-xs font-semibold text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100">
                            <span class="sr-only">{format!("{kind}: ")}</span>{label}
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </div>
    }
    .into_any()
}

fn cards(view: &Arc<SiteView>, b: &Block, level: u8, case_studies: bool) -> AnyView {
    let p = b.p();
    let heading_text = p.text("heading").map(str::to_owned);
    let item_level = if heading_text.is_some() {
        level + 1
    } else {
        level
    };
    let list: Vec<PageCard> = view.page.listings.get(&b.id).cloned().unwrap_or_default();
    let empty = if case_studies {
        "Case studies are on their way."
    } else {
        "Articles are on their way."
    };
    view! {
        <div class="py-8">
            {heading_text.map(|t| heading(level, "text-2xl font-bold tracking-tight", None, t))}
            {if list.is_empty() {
                view! { <p class=format!("mt-4 {MUTED}")>{empty}</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-6 grid gap-6 md:grid-cols-2 lg:grid-cols-3">
                        {list.into_iter().map(|c| card(c, item_level, case_studies)).collect_view()}
                    </ul>
                }.into_any()
            }}
        </div>
    }
    .into_any()
}

fn card(c: PageCard, level: u8, case_study: bool) -> AnyView {
    let byline = if case_study {
        [c.client.as_str(), c.industry.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" · ")
    } else {
        let date = c.published_at.get(..10).unwrap_or_default();
        [c.author.as_str(), date]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let figure = (!c.headline_value.is_empty())
        .then(|| (c.headline_value.clone(), c.headline_label.clone()));
    let title = c.title.clone();
    let title_view = match level {
        0..=2 => view! { <h2 class="text-lg font-semibold"><a href=c.path.clone() class="hover:underline">{title}</a></h2> }.into_any(),
        3 => view! { <h3 class="text-lg font-semibold"><a href=c.path.clone() class="hover:underline">{title}</a></h3> }.into_any(),
        _ => view! { <h4 class="text-lg font-semibold"><a href=c.path.clone() class="hover:underline">{title}</a></h4> }.into_any(),
    };
    view! {
        <li class=CARD>
            <article class="flex h-full flex-col">
                {title_view}
                {(!byline.is_empty()).then(|| view! { <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">{byline}</p> })}
                <p class=format!("mt-3 flex-1 text-sm {MUTED}")>{c.summary}</p>
                {figure.map(|(v, l)| view! {
                    <p class="mt-4"><span class="text-2xl font-bold text-indigo-700 dark:text-indigo-400">{v}</span>" "<span class="text-sm">{l}</span></p>
                })}
            </article>
        </li>
    }
    .into_any()
}

fn story(p: Props<'_>, level: u8) -> AnyView {
    let parts = [
        ("The problem", p.str("problem")),
        ("What we did", p.str("solution")),
        ("The impact", p.str("impact")),
    ]
    .map(|(h, html)| (h, html.to_owned()));
    let roi: Vec<(String, String)> = p
        .items("roi")
        .iter()
        .map(|i| (i.str("value").to_owned(), i.str("label").to_owned()))
        .collect();
    view! {
        <div class="py-8">
            <div class="grid gap-10 lg:grid-cols-3">
                {parts.into_iter().map(|(h, html)| view! {
                    <div>
                        {heading(level, "text-xl font-semibold", None, h.to_owned())}
                        <div class="rich mt-3">{rich(&html)}</div>
                    </div>
                }).collect_view()}
            </div>
            <div class="mt-10 rounded-xl bg-emerald-50 p-6 dark:bg-emerald-950/50">
                {heading(level, "text-lg font-semibold", None, "Return on investment".to_owned())}
                <dl class="mt-4 grid gap-6 sm:grid-cols-3">
                    {roi.into_iter().map(|(v, l)| view! {
                        <div class="flex flex-col-reverse">
                            <dt class="text-sm text-emerald-900 dark:text-emerald-100">{l}</dt>
                            <dd class="text-3xl font-bold text-emerald-800 dark:text-emerald-300">{v}</dd>
                        </div>
                    }).collect_view()}
                </dl>
            </div>
        </div>
    }
    .into_any()
}

fn services(p: Props<'_>, level: u8) -> AnyView {
    let heading_text = p.text("heading").map(str::to_owned);
    let items: Vec<(String, String, Option<String>, Option<String>)> = p
        .items("items")
        .iter()
        .map(|i| {
            (
                i.str("title").to_owned(),
                i.str("body").to_owned(),
                i.text("href").map(str::to_owned),
                i.text("price_from").map(str::to_owned),
            )
        })
        .collect();
    let item_level = if heading_text.is_some() {
        level + 1
    } else {
        level
    };
    view! {
        <div class="py-8">
            {heading_text.map(|t| heading(level, "text-2xl font-bold tracking-tight", None, t))}
            <ul class="mt-6 grid gap-6 sm:grid-cols-2 lg:grid-cols-3">
                {items.into_iter().map(|(title, body, href, price)| view! {
                    <li class=format!("{CARD} flex flex-col")>
                        {heading(item_level, "text-lg font-semibold", None, title.clone())}
                        <p class=format!("mt-2 flex-1 text-sm {MUTED}")>{body}</p>
                        {price.map(|pr| {
                            // Editors write "From $4,500" or just "$4,500".
                            let shown = if pr.chars().next().is_some_and(char::is_alphabetic) { pr } else { format!("From {pr}") };
                            view! { <p class="mt-3 text-sm font-semibold">{shown}</p> }
                        })}
                        {href.map(|h| view! {
                            <p class="mt-4"><a href=h class="text-sm font-semibold text-indigo-700 hover:underline dark:text-indigo-400">
                                "Learn more"<span class="sr-only">{format!(" about {title}")}</span>
                            </a></p>
                        })}
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
    .into_any()
}

/// An amount in whole units of `currency`, with thousands separators.
pub fn money(amount: i64, currency: &str) -> String {
    let digits = amount.abs().to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if amount < 0 { "-" } else { "" };
    match currency {
        "USD" => format!("{sign}${grouped}"),
        "EUR" => format!("{sign}€{grouped}"),
        "GBP" => format!("{sign}£{grouped}"),
        "INR" => format!("{sign}₹{grouped}"),
        other => format!("{sign}{other} {grouped}"),
    }
}

fn period(p: &str) -> &'static str {
    match p {
        "month" => "per month",
        "project" => "per project",
        "hour" => "per hour",
        _ => "one-off",
    }
}

fn pricing(p: Props<'_>, level: u8) -> AnyView {
    let currency = p.str("currency").to_owned();
    let heading_text = p.text("heading").map(str::to_owned);
    let plan_level = if heading_text.is_some() {
        level + 1
    } else {
        level
    };
    let plans: Vec<_> = p
        .items("plans")
        .iter()
        .map(|pl| {
            (
                pl.str("name").to_owned(),
                money(pl.int("price").unwrap_or(0), &currency),
                period(pl.str("period")),
                pl.text("description").map(str::to_owned),
                pl.str("features")
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
                pl.link("cta"),
                pl.flag("highlighted"),
            )
        })
        .collect();
    let calc = p.flag("calculator").then(|| {
        let (rate, base, unit) = (
            p.int("calc_rate").unwrap_or(0),
            p.int("calc_base").unwrap_or(0),
            p.str("calc_unit").to_owned(),
        );
        (rate, base, unit)
    });
    view! {
        <div class="py-8">
            {heading_text.map(|t| heading(level, "text-2xl font-bold tracking-tight", None, t))}
            <ul class="mt-6 grid gap-6 lg:grid-cols-3">
                {plans.into_iter().map(|(name, price, per, desc, features, link, highlighted)| {
                    let ring = if highlighted { "ring-2 ring-indigo-600" } else { "" };
                    view! {
                        <li class=format!("{CARD} flex flex-col {ring}")>
                            {highlighted.then(|| view! { <p class="mb-2 text-xs font-semibold uppercase tracking-wide text-indigo-700 dark:text-indigo-400">"Most chosen"</p> })}
                            {heading(plan_level, "text-lg font-semibold", None, name)}
                            <p class="mt-3"><span class="text-3xl font-bold">{price}</span>" "<span class=format!("text-sm {MUTED}")>{per}</span></p>
                            {desc.map(|d| view! { <p class=format!("mt-2 text-sm {MUTED}")>{d}</p> })}
                            <ul class="mt-4 flex-1 space-y-2 text-sm">
                                {features.into_iter().map(|f| view! { <li class="flex gap-2"><span aria-hidden="true" class="text-emerald-600">"✓"</span>{f}</li> }).collect_view()}
                            </ul>
                            {link.map(|l| view! { <div class="mt-6">{cta(l, highlighted)}</div> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {calc.map(|(rate, base, unit)| {
                let rows: Vec<(i64, String)> = [10i64, 40, 100].iter().map(|n| (*n, money(base + rate * n, &currency))).collect();
                let currency = currency.clone();
                view! {
                    <div class="mt-10 rounded-xl border border-slate-200 p-6 dark:border-slate-800" data-calculator="" data-rate=rate data-base=base data-currency=currency>
                        {heading(plan_level, "text-lg font-semibold", None, "Cost calculator preview".to_owned())}
                        <p class=format!("mt-1 text-sm {MUTED}")>{format!("{} per {}, plus {} fixed.", money(rate, p.str("currency")), unit, money(base, p.str("currency")))}</p>
                        <table class="mt-4 w-full max-w-md text-left text-sm">
                            <caption class="sr-only">"Estimated cost by amount"</caption>
                            <thead><tr><th scope="col" class="py-1 font-semibold">{unit.clone()}</th><th scope="col" class="py-1 font-semibold">"Estimated cost"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|(n, cost)| view! { <tr class="border-t border-slate-200 dark:border-slate-800"><td class="py-1">{n}</td><td class="py-1">{cost}</td></tr> }).collect_view()}
                            </tbody>
                        </table>
                        <div class="mt-4" hidden data-calc-live="">
                            <label class="text-sm font-medium" for="calc-units">{format!("Your estimate: how many {unit}?")}</label>
                            <div class="mt-1 flex items-center gap-3">
                                <input id="calc-units" type="number" min="1" max="10000" value="40" class="w-28 rounded-md border border-slate-300 px-3 py-2 dark:border-slate-700 dark:bg-slate-900" />
                                <output for="calc-units" class="text-lg font-semibold" aria-live="polite"></output>
                            </div>
                        </div>
                    </div>
                }
            })}
        </div>
    }
    .into_any()
}

fn faq(p: Props<'_>, level: u8) -> AnyView {
    let heading_text = p.text("heading").map(str::to_owned);
    let items: Vec<(String, String)> = p
        .items("items")
        .iter()
        .map(|i| (i.str("question").to_owned(), i.str("answer").to_owned()))
        .collect();
    view! {
        <div class="py-8">
            {heading_text.map(|t| heading(level, "text-2xl font-bold tracking-tight", None, t))}
            <div class="mt-6 divide-y divide-slate-200 rounded-xl border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
                {items.into_iter().map(|(q, a)| view! {
                    <details class="group p-5">
                        <summary class="cursor-pointer font-semibold">{q}</summary>
                        <div class="rich mt-3">{rich(&a)}</div>
                    </details>
                }).collect_view()}
            </div>
        </div>
    }
    .into_any()
}

fn image(p: Props<'_>) -> AnyView {
    let src = p.str("src").to_owned();
    let alt = p.str("alt").to_owned();
    let caption = p.text("caption").map(str::to_owned);
    view! {
        <figure class="py-6">
            <img src=src alt=alt loading="lazy" decoding="async" class="w-full rounded-xl" />
            {caption.map(|c| view! { <figcaption class=format!("mt-2 text-sm {MUTED}")>{c}</figcaption> })}
        </figure>
    }
    .into_any()
}

fn lead_form(view: &Arc<SiteView>, p: Props<'_>, level: u8) -> AnyView {
    let Some(form) = LeadForm::parse(p.str("form")) else {
        return ().into_any();
    };
    let anchor = format!("lead-{}", form.as_str());
    let heading_text = p.text("heading").map(str::to_owned);
    let intro = p.text("intro").map(str::to_owned);
    let submit = p.str("submit_label").to_owned();
    let sent = view.sent == Some(form);
    let echo = view
        .echo
        .clone()
        .filter(|e| e.values.get("form").map(String::as_str) == Some(form.as_str()));
    let value = |name: &str| {
        echo.as_ref()
            .and_then(|e| e.values.get(name).cloned())
            .unwrap_or_default()
    };
    let error = |name: &str| {
        echo.as_ref().and_then(|e| {
            e.errors
                .iter()
                .find(|x| x.field == name)
                .map(|x| x.message.clone())
        })
    };
    let form_error = error("form");
    let form_described = form_error.as_ref().map(|_| format!("{anchor}-alert"));
    let field_errors = echo
        .as_ref()
        .map(|e| e.errors.iter().filter(|x| x.field != "form").count())
        .unwrap_or(0);
    let consent_checked = echo.as_ref().is_some_and(|e| e.consent);
    let consent_error = error("consent");
    let fields = form.fields().iter().map(|f| {
        let id = format!("{anchor}-{}", f.name);
        let err_id = format!("{id}-error");
        let message = error(f.name);
        let invalid = message.as_ref().map(|_| "true");
        let described = message.as_ref().map(|_| err_id.clone());
        let v = value(f.name);
        let label = f.label;
        let required = f.required;
        let control = match f.input {
            LeadInput::Text { max, html_type, autocomplete } => view! {
                <input id=id.clone() name=f.name type=html_type autocomplete=autocomplete maxlength=max value=v required=required
                    aria-invalid=invalid aria-describedby=described class=INPUT />
            }.into_any(),
            LeadInput::Area { max, .. } => view! {
                <textarea id=id.clone() name=f.name rows="5" maxlength=max required=required aria-invalid=invalid aria-describedby=described class=INPUT>{v}</textarea>
            }.into_any(),
            LeadInput::Choice(options) => view! {
                <select id=id.clone() name=f.name required=required aria-invalid=invalid aria-describedby=described class=INPUT>
                    <option value="">"Choose…"</option>
                    {options.iter().map(|(val, text)| {
                        let selected = v == *val;
                        view! { <option value=*val selected=selected>{*text}</option> }
                    }).collect_view()}
                </select>
            }.into_any(),
        };
        view! {
            <div class="mb-4">
                <label for=id class="block text-sm font-medium">{label}</label>
                {control}
                {message.map(|m| view! { <p id=err_id class="mt-1 text-sm text-red-700 dark:text-red-400">{m}</p> })}
            </div>
        }
    }).collect_view();
    let path = view.page.path.clone();
    // After a refused submission the visit's UTM parameters come back with what was typed.
    let utm: Vec<(String, String)> = match &echo {
        Some(e) if view.utm.is_empty() => e
            .values
            .iter()
            .filter(|(k, _)| k.starts_with("utm_"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => view.utm.clone(),
    };
    let token = view.form_token.clone();
    view! {
        <div id=anchor.clone() class="py-8">
            <div class="max-w-2xl">
                {heading_text.map(|t| heading(level, "text-2xl font-bold tracking-tight", None, t))}
                {intro.map(|t| view! { <p class=format!("mt-2 {MUTED}")>{t}</p> })}
                {if sent {
                    view! {
                        <p role="status" class="mt-6 rounded-md border border-emerald-300 bg-emerald-50 px-4 py-3 text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100">
                            {form.thanks()}
                        </p>
                    }.into_any()
                } else {
                    view! {
                        <form method="post" action="/forms/lead" class="mt-6" novalidate data-lead="" aria-describedby=form_described>
                            <div role="alert" id=format!("{anchor}-alert")>
                                {form_error.map(|m| view! { <p class="mb-4 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">{m}</p> })}
                                {(field_errors > 0).then(|| view! { <p class="mb-4 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">"Please correct the highlighted fields."</p> })}
                            </div>
                            <input type="hidden" name="form" value=form.as_str() />
                            <input type="hidden" name="token" value=token />
                            <input type="hidden" name="source_page" value=path />
                            <input type="hidden" name="cta" value="" />
                            <input type="hidden" name="referrer" value="" />
                            {utm.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v /> }).collect_view()}
                            <div class="hp" aria-hidden="true">
                                <label for=format!("{anchor}-website")>"Leave this empty"</label>
                                <input id=format!("{anchor}-website") name="website" type="text" tabindex="-1" autocomplete="off" />
                            </div>
                            {fields}
                            <div class="mb-6">
                                <div class="flex items-start gap-2">
                                    <input id=format!("{anchor}-consent") name="consent" type="checkbox" checked=consent_checked required=true
                                        aria-invalid=consent_error.as_ref().map(|_| "true") aria-describedby=consent_error.as_ref().map(|_| format!("{anchor}-consent-error"))
                                        class="mt-1 h-4 w-4 rounded border-slate-300" />
                                    <label for=format!("{anchor}-consent") class="text-sm">{CONSENT_TEXT}</label>
                                </div>
                                {consent_error.map(|m| view! { <p id=format!("{anchor}-consent-error") class="mt-1 text-sm text-red-700 dark:text-red-400">{m}</p> })}
                            </div>
                            <button type="submit" class=BTN_PRIMARY>{submit}</button>
                        </form>
                    }.into_any()
                }}
            </div>
        </div>
    }
    .into_any()
}
