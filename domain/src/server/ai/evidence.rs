//! What the estimator and the matcher read from the database: delivered projects and talent
//! profiles; and the demo history of both.

use sqlx::PgPool;
use uuid::Uuid;

use crate::ai::{Category, DeliverableKind, PastProject, TalentKind, TalentProfile};
use crate::AppError;

/// Delivered projects, newest first (at most 500): the estimator's evidence.
pub async fn delivered_projects(db: &PgPool) -> Result<Vec<PastProject>, AppError> {
    let rows = sqlx::query!(
        "SELECT id, title, description, category, deliverables, budget_usd, weeks
         FROM delivered_projects ORDER BY delivered_at DESC LIMIT 500"
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(PastProject {
                id: r.id,
                title: r.title,
                description: r.description,
                category: Category::parse(&r.category)?,
                deliverables: r
                    .deliverables
                    .iter()
                    .filter_map(|d| DeliverableKind::parse(d))
                    .collect(),
                budget_usd: r.budget_usd.max(0) as u32,
                weeks: r.weeks.max(1) as u16,
            })
        })
        .collect())
}

/// A version of the active talent: changes whenever a profile is added, changed or removed.
pub async fn talent_version(db: &PgPool) -> Result<String, AppError> {
    let r = sqlx::query!(
        r#"SELECT count(*) AS "n!", max(updated_at) AS latest FROM talent_profiles WHERE active"#
    )
    .fetch_one(db)
    .await?;
    Ok(format!(
        "{}:{}",
        r.n,
        r.latest.map(crate::server::rfc3339).unwrap_or_default()
    ))
}

/// Active talent profiles: the matcher's candidates.
pub async fn talent(db: &PgPool) -> Result<Vec<TalentProfile>, AppError> {
    let rows = sqlx::query!(
        "SELECT id, name, kind, headline, bio, skills, rating, reviews, available_hours,
                utc_offset_minutes, hourly_rate_usd
         FROM talent_profiles WHERE active ORDER BY id"
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(TalentProfile {
                id: r.id,
                name: r.name,
                kind: TalentKind::parse(&r.kind)?,
                headline: r.headline,
                bio: r.bio,
                skills: r.skills,
                rating: r.rating,
                reviews: r.reviews.max(0) as u32,
                available_hours: r.available_hours.max(0) as u16,
                utc_offset_minutes: r.utc_offset_minutes,
                hourly_rate_usd: r.hourly_rate_usd.max(0) as u32,
            })
        })
        .collect())
}

use DeliverableKind::*;

/// (title, description, category, deliverables, budget in USD, weeks)
type ProjectRow = (
    &'static str,
    &'static str,
    Category,
    &'static [DeliverableKind],
    i32,
    i16,
);
/// (name, kind, headline, skills, rating, reviews, hours/week, UTC offset minutes, USD/hour)
type TalentRow = (
    &'static str,
    TalentKind,
    &'static str,
    &'static [&'static str],
    f32,
    i32,
    i16,
    i32,
    i32,
);

#[rustfmt::skip]
const PROJECTS: &[ProjectRow] = &[
    ("Shopify store for a candle maker", "Online store with 40 products, Stripe payments, shipping rules and a blog section", Category::Web, &[EcommerceStore, ApiIntegration], 9500, 6),
    ("WooCommerce shop for organic tea", "E-commerce site with subscriptions, Razorpay payments and GST invoices", Category::Web, &[EcommerceStore, ApiIntegration], 12000, 8),
    ("Fashion boutique online store", "Shopify store with lookbook, size guide, Instagram shop integration", Category::Web, &[EcommerceStore, SocialMedia], 15500, 9),
    ("Marketing website for a dental clinic", "Eight-page website with appointment request form and Google Maps", Category::Web, &[Website], 4200, 5),
    ("Law firm website", "Company website with practice areas, team bios, blog and contact forms", Category::Web, &[Website, Copywriting], 6800, 6),
    ("SaaS landing page", "Single landing page with pricing table, waitlist form and analytics", Category::Web, &[LandingPage], 1800, 2),
    ("Event landing page", "Conference landing page with speaker list and ticket checkout link", Category::Web, &[LandingPage], 1200, 1),
    ("Clinic booking portal", "Web application for patients to book appointments, with admin panel and SMS reminders", Category::Web, &[WebApp, ApiIntegration], 38000, 14),
    ("Logistics customer portal", "Portal for shipment tracking, invoices and support tickets with role-based access", Category::Web, &[WebApp, Dashboard], 52000, 18),
    ("Gym membership platform", "Web app for memberships, class booking and payments", Category::Web, &[WebApp, ApiIntegration], 29000, 12),
    ("Food delivery mobile app", "iOS and Android app with live order tracking, payments and push notifications", Category::Mobile, &[MobileApp, ApiIntegration], 64000, 20),
    ("Fitness tracking app", "Flutter app with workout plans, progress charts and subscriptions", Category::Mobile, &[MobileApp], 42000, 16),
    ("Real-estate listings app", "React Native app for property search with map view and chat with agents", Category::Mobile, &[MobileApp, UiDesign], 55000, 18),
    ("Salon booking app", "Android and iOS booking app with reminders and loyalty points", Category::Mobile, &[MobileApp], 31000, 12),
    ("Bakery brand identity", "Logo, colour palette, typography, packaging and business cards", Category::Design, &[Logo, BrandIdentity], 4800, 4),
    ("Fintech rebrand", "Brand identity refresh with guidelines, icon set and app store assets", Category::Design, &[BrandIdentity, UiDesign], 14000, 7),
    ("Logo for a coffee roaster", "Logo design with three concepts and two revision rounds", Category::Design, &[Logo], 900, 2),
    ("Startup logo and cards", "Logo and stationery for a consulting startup", Category::Design, &[Logo, BrandIdentity], 2200, 3),
    ("Banking app UI redesign", "UX research, wireframes and high-fidelity Figma prototype for 40 screens", Category::Design, &[UiDesign], 18000, 8),
    ("Dashboard UI kit", "Figma component library and 15 screens for an analytics product", Category::Design, &[UiDesign], 7500, 5),
    ("SEO audit for an online store", "Technical SEO audit, keyword research and on-page fixes", Category::Marketing, &[Seo], 2400, 4),
    ("Local SEO for a restaurant chain", "Google Business profiles, local keywords and citations for 6 outlets", Category::Marketing, &[Seo], 3600, 8),
    ("Google and Meta ads for a course", "Paid campaigns with landing page tracking and weekly reports", Category::Marketing, &[Ads, LandingPage], 6500, 10),
    ("Social media for a skincare brand", "Instagram content calendar, reels and community management for 3 months", Category::Marketing, &[SocialMedia, Video], 7200, 12),
    ("Blog content for a SaaS", "Twelve SEO blog articles of 1,500 words on HR software", Category::Content, &[BlogArticles, Seo], 3000, 6),
    ("Website copy for an agency", "Copywriting for eight website pages and two email sequences", Category::Content, &[Copywriting], 2600, 3),
    ("Product descriptions for a marketplace", "300 product descriptions in English and Hindi", Category::Content, &[Copywriting, Translation], 4100, 4),
    ("App translation to Spanish and Arabic", "Localisation of app strings and store listings into Spanish and Arabic", Category::Content, &[Translation], 2900, 3),
    ("Sales dashboard in Power BI", "Sales and pipeline dashboard reconciled with the CRM, refreshed daily", Category::DataAi, &[Dashboard, DataPipeline], 9800, 5),
    ("Customer support chatbot", "AI chatbot answering from the help centre, with handover to agents on WhatsApp", Category::DataAi, &[Chatbot, ApiIntegration], 16000, 7),
    ("Demand forecasting model", "Machine learning model forecasting weekly demand per store, served by API", Category::DataAi, &[MlModel, DataPipeline], 42000, 14),
    ("Web scraping pipeline", "Daily scraping of competitor prices into a cleaned warehouse table", Category::DataAi, &[DataPipeline], 6000, 4),
    ("Explainer video for a fintech", "Ninety-second animated explainer with script, voice-over and captions", Category::Video, &[Video], 5500, 4),
    ("Product launch reels", "Ten short vertical videos edited for Instagram and YouTube Shorts", Category::Video, &[Video, SocialMedia], 3200, 3),
];

/// (name, kind, headline, skills, rating, reviews, hours/week, UTC offset minutes, USD/hour)
#[rustfmt::skip]
const TALENT: &[TalentRow] = &[
    ("Fern Freelancer", TalentKind::Freelancer, "Full-stack developer for Shopify and custom web apps", &["Shopify", "React", "Node.js", "Stripe", "Postgres"], 4.8, 37, 30, 330, 45),
    ("Esha Expert", TalentKind::Expert, "E-commerce growth consultant; ex-Head of Growth at a D2C brand", &["E-commerce", "Growth", "SEO", "Google Ads"], 4.9, 64, 8, 330, 150),
    ("Arjun Mehta", TalentKind::Freelancer, "Flutter and Kotlin mobile developer", &["Flutter", "Kotlin", "Firebase", "iOS", "Android"], 4.7, 52, 35, 330, 40),
    ("Lucía Fernández", TalentKind::Freelancer, "Brand and logo designer for food and hospitality", &["Logo design", "Branding", "Illustrator", "Packaging"], 4.9, 88, 20, 60, 55),
    ("Omar Haddad", TalentKind::Freelancer, "Arabic/English copywriter and translator", &["Copywriting", "Translation", "Arabic", "SEO writing"], 4.6, 29, 25, 240, 35),
    ("Mei Chen", TalentKind::Freelancer, "Product designer: UX research, Figma, design systems", &["Figma", "UI design", "UX research", "Design systems"], 4.8, 41, 30, 480, 70),
    ("Daniel Okafor", TalentKind::Freelancer, "Data engineer: pipelines, dbt, BigQuery", &["Python", "dbt", "BigQuery", "ETL", "Airflow"], 4.7, 23, 40, 60, 65),
    ("Priya Nair", TalentKind::Freelancer, "Machine-learning engineer for forecasting and NLP", &["Python", "PyTorch", "Forecasting", "NLP", "MLOps"], 4.9, 19, 20, 330, 85),
    ("Sofía Ramírez", TalentKind::Freelancer, "Performance marketer for Google and Meta ads", &["Google Ads", "Meta Ads", "Analytics", "Landing pages"], 4.5, 33, 30, -360, 50),
    ("Kabir Singh", TalentKind::Freelancer, "WordPress and WooCommerce developer", &["WordPress", "WooCommerce", "PHP", "Razorpay"], 4.4, 61, 40, 330, 30),
    ("Hana Yusuf", TalentKind::Freelancer, "Motion designer: explainer videos and reels", &["After Effects", "Animation", "Video editing", "Motion graphics"], 4.8, 47, 25, 180, 50),
    ("Tom Becker", TalentKind::Freelancer, "Rust and Go backend engineer for APIs and integrations", &["Rust", "Go", "Postgres", "APIs", "Stripe"], 4.9, 15, 20, 60, 90),
    ("Aisha Rahman", TalentKind::Freelancer, "Social media manager for beauty and lifestyle brands", &["Social media", "Instagram", "Content calendar", "Reels"], 4.6, 58, 30, 240, 35),
    ("Rahul Verma", TalentKind::Freelancer, "SEO specialist: technical audits and content strategy", &["SEO", "Technical SEO", "Content strategy", "Search Console"], 4.7, 72, 25, 330, 40),
    ("Grace Kim", TalentKind::Freelancer, "Chatbot developer on OpenAI and Rasa", &["Chatbots", "LLM", "Python", "WhatsApp API"], 4.8, 21, 30, 540, 75),
    ("Carlos Ruiz", TalentKind::Freelancer, "Spanish copywriter and content marketer", &["Copywriting", "Spanish", "Blog writing", "Email marketing"], 4.5, 26, 20, 60, 35),
    ("Nadia Petrova", TalentKind::Freelancer, "React and Next.js developer for SaaS dashboards", &["React", "Next.js", "TypeScript", "Dashboards"], 4.8, 34, 35, 120, 60),
    ("Vikram Rao", TalentKind::Expert, "Fractional CTO for marketplaces and fintech", &["Architecture", "Fintech", "Marketplaces", "Hiring"], 5.0, 22, 6, 330, 200),
    ("Leila Haddad", TalentKind::Expert, "Brand strategist for Middle East launches", &["Brand strategy", "Positioning", "Arabic market"], 4.8, 31, 8, 240, 160),
    ("Ben Carter", TalentKind::Expert, "Power BI and analytics consultant", &["Power BI", "Analytics", "SQL", "Dashboards"], 4.7, 44, 10, 0, 120),
];

/// Adds the demo history and talent if there is none yet.
pub async fn seed(db: &PgPool) -> Result<(), AppError> {
    let have: i64 = sqlx::query_scalar!("SELECT count(*) AS \"n!\" FROM delivered_projects")
        .fetch_one(db)
        .await?;
    if have == 0 {
        let today = time::OffsetDateTime::now_utc().date();
        for (i, (title, description, category, kinds, budget, weeks)) in PROJECTS.iter().enumerate()
        {
            let kinds: Vec<String> = kinds.iter().map(|k| k.as_str().to_string()).collect();
            sqlx::query!(
                "INSERT INTO delivered_projects (id, title, description, category, deliverables, budget_usd, weeks, delivered_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                Uuid::from_u128(0x0de1_0000_0000_0000_0000_0000_0000_0000 + i as u128),
                title,
                description,
                category.as_str(),
                &kinds,
                budget,
                weeks,
                today - time::Duration::days(14 * i as i64 + 10),
            )
            .execute(db)
            .await?;
        }
    }
    let have: i64 = sqlx::query_scalar!("SELECT count(*) AS \"n!\" FROM talent_profiles")
        .fetch_one(db)
        .await?;
    if have == 0 {
        for (i, (name, kind, headline, skills, rating, reviews, hours, offset, rate)) in
            TALENT.iter().enumerate()
        {
            let skills: Vec<String> = skills.iter().map(|s| s.to_string()).collect();
            sqlx::query!(
                "INSERT INTO talent_profiles (id, user_id, name, kind, headline, bio, skills, rating, reviews,
                   available_hours, utc_offset_minutes, hourly_rate_usd, status, weekly_hours)
                 VALUES ($1, (SELECT id FROM users WHERE display_name = $2 LIMIT 1), $2, $3, $4, $4, $5, $6, $7, $8, $9, $10,
                   'approved', array_fill(least(12, ceil($8::smallint / 5.0))::smallint, ARRAY[5]) || '{0,0}'::smallint[])",
                Uuid::from_u128(0x7a1e_0000_0000_0000_0000_0000_0000_0000 + i as u128),
                name,
                kind.as_str(),
                headline,
                &skills,
                rating,
                reviews,
                hours,
                offset,
                rate,
            )
            .execute(db)
            .await?;
        }
    }
    Ok(())
}
