//! Demo data: a demo tenant and one user for every role. Idempotent: run at every start.

use super::{db, passwords, two_factor, Services};
use crate::roles::{PlatformRole, TenantRole};
use crate::types::{Password, TenantId, UserId};
use crate::AppError;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "fluxorae-demo-2026";
/// The two-factor secret (base32) of the demo accounts whose roles require two-factor sign-in:
/// add it to any authenticator app (or run `oathtool --totp -b <secret>`) to get their codes.
pub const DEMO_TOTP_SECRET: &str = "FLUXORAE2FADEMOSECRETKEYFORDEMOS";
/// The demo tenant's slug.
pub const DEMO_TENANT_SLUG: &str = "acme-sales";

/// One demo account.
#[derive(Debug, Clone, Copy)]
pub struct DemoAccount {
    /// Sign-in email.
    pub email: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Platform role.
    pub role: PlatformRole,
    /// Role in the demo tenant, if a member.
    pub tenant_role: Option<TenantRole>,
}

/// Every demo account: one per platform role, and one per tenant role in the demo tenant.
pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        email: "admin@demo.fluxorae.test",
        name: "Ada Admin",
        role: PlatformRole::Admin,
        tenant_role: None,
    },
    DemoAccount {
        email: "customer@demo.fluxorae.test",
        name: "Cai Customer",
        role: PlatformRole::Customer,
        tenant_role: None,
    },
    DemoAccount {
        email: "freelancer@demo.fluxorae.test",
        name: "Fern Freelancer",
        role: PlatformRole::Freelancer,
        tenant_role: None,
    },
    DemoAccount {
        email: "expert@demo.fluxorae.test",
        name: "Esha Expert",
        role: PlatformRole::Expert,
        tenant_role: None,
    },
    DemoAccount {
        email: "employee@demo.fluxorae.test",
        name: "Emil Employee",
        role: PlatformRole::Employee,
        tenant_role: None,
    },
    DemoAccount {
        email: "editor@demo.fluxorae.test",
        name: "Eda Editor",
        role: PlatformRole::ContentEditor,
        tenant_role: None,
    },
    DemoAccount {
        email: "owner@acme.fluxorae.test",
        name: "Olu Owner",
        role: PlatformRole::Customer,
        tenant_role: Some(TenantRole::Owner),
    },
    DemoAccount {
        email: "teamadmin@acme.fluxorae.test",
        name: "Tara Team-Admin",
        role: PlatformRole::Customer,
        tenant_role: Some(TenantRole::Admin),
    },
    DemoAccount {
        email: "manager@acme.fluxorae.test",
        name: "Mina Manager",
        role: PlatformRole::Customer,
        tenant_role: Some(TenantRole::Manager),
    },
    DemoAccount {
        email: "sdr@acme.fluxorae.test",
        name: "Sam SDR",
        role: PlatformRole::Customer,
        tenant_role: Some(TenantRole::Sdr),
    },
    DemoAccount {
        email: "product@acme.fluxorae.test",
        name: "Priya Product",
        role: PlatformRole::Customer,
        tenant_role: Some(TenantRole::Product),
    },
    DemoAccount {
        email: "devops@acme.fluxorae.test",
        name: "Dev Ops",
        role: PlatformRole::Customer,
        tenant_role: Some(TenantRole::Devops),
    },
    DemoAccount {
        email: "auditor@acme.fluxorae.test",
        name: "Aud Itor",
        role: PlatformRole::Customer,
        tenant_role: Some(TenantRole::Auditor),
    },
    DemoAccount {
        email: "readonly@acme.fluxorae.test",
        name: "Rea Donly",
        role: PlatformRole::Customer,
        tenant_role: Some(TenantRole::Readonly),
    },
];

/// Creates whatever demo data is missing. Existing rows are left as they are.
pub async fn seed_demo(svc: &Services) -> Result<(), AppError> {
    let password = Password::parse(DEMO_PASSWORD).map_err(|_| AppError::Internal)?;
    let mut hash: Option<String> = None;
    let tenant = match sqlx::query_scalar!(
        "SELECT id FROM tenants WHERE slug = $1",
        DEMO_TENANT_SLUG
    )
    .fetch_optional(&svc.db)
    .await?
    {
        Some(id) => TenantId(id),
        None => {
            let id = TenantId::new();
            let mut tx = db::tenant_tx(&svc.db, id).await?;
            sqlx::query!(
                "INSERT INTO tenants (id, slug, name, kind) VALUES ($1, $2, 'Acme Sales', 'SALES_TEAM') ON CONFLICT (slug) DO NOTHING",
                id.0,
                DEMO_TENANT_SLUG
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!("INSERT INTO tenant_settings (tenant_id, default_country, timezone) VALUES ($1, 'IN', 'Asia/Kolkata') ON CONFLICT DO NOTHING", id.0)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            id
        }
    };
    for a in DEMO_ACCOUNTS {
        let existing = sqlx::query_scalar!("SELECT id FROM users WHERE email = $1", a.email)
            .fetch_optional(&svc.db)
            .await?;
        let id = match existing {
            Some(id) => UserId(id),
            None => {
                if hash.is_none() {
                    hash = Some(passwords::hash(&password).await?);
                }
                let id = UserId::new();
                sqlx::query!(
                    "INSERT INTO users (id, email, display_name, password_hash, role) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (email) DO NOTHING",
                    id.0,
                    a.email,
                    a.name,
                    hash.as_deref(),
                    a.role.as_str()
                )
                .execute(&svc.db)
                .await?;
                id
            }
        };
        if crate::two_factor::required(a.role, a.tenant_role.as_slice()) {
            let secret = totp_rs::Secret::Encoded(DEMO_TOTP_SECRET.to_owned())
                .to_bytes()
                .map_err(|_| AppError::Internal)?;
            two_factor::enroll_with_secret(svc, id, &secret).await?;
        }
        if let Some(role) = a.tenant_role {
            let mut tx = db::tenant_tx(&svc.db, tenant).await?;
            sqlx::query!(
                "INSERT INTO tenant_members (tenant_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                tenant.0,
                id.0,
                role.as_str()
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
    }
    super::ai::evidence::seed(&svc.db).await?;
    super::site::seed::seed_site(svc).await?;
    seed_inbox(svc, tenant).await
}

/// The demo team's phone number id on WhatsApp (a stand-in: no real number has it).
pub const DEMO_WHATSAPP_ID: &str = "DEMO-PN-1";

/// The demo team's inbox: a WhatsApp number, the demo SDR taking leads, and three people who
/// wrote in, delivered through the real intake (as Meta would), scored and routed. Only the first
/// start delivers them; later starts find the number connected and leave the inbox as it is.
async fn seed_inbox(svc: &Services, tenant: TenantId) -> Result<(), AppError> {
    use super::channels::intake;
    use super::leads::{replies, routing, scoring};
    use crate::leads::ChannelKind;

    let sdr = sqlx::query_scalar!("SELECT id FROM users WHERE email = 'sdr@acme.fluxorae.test'")
        .fetch_one(&svc.db)
        .await?;
    let settings = routing::SdrSettings {
        junior: false,
        capacity: 25,
    };
    routing::set_sdr(svc, tenant, UserId(sdr), &settings).await?;
    routing::set_online(svc, tenant, UserId(sdr), true).await?;
    let channel = match intake::connect(
        svc,
        tenant,
        ChannelKind::Whatsapp,
        DEMO_WHATSAPP_ID,
        "Acme WhatsApp",
    )
    .await
    {
        Ok(channel) => channel,
        Err(AppError::Conflict(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    // The demo team is on the largest plan: the benchmarks push tens of thousands of messages
    // through it in a day.
    let mut tx = super::db::platform_tx(&svc.db).await?;
    sqlx::query!(
        "INSERT INTO token_plans (tenant_id, plan) VALUES ($1, 'scale') ON CONFLICT DO NOTHING",
        tenant.0
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    // What the team answers with: a template approved for outside the 24 hours, and two canned
    // responses. The number has no access token, so replies wait in the queue and say why.
    let owner = super::guard::TenantGrant {
        tenant,
        role: crate::roles::TenantRole::Owner,
        scope: crate::permissions::Scope::All,
    };
    let follow_up = crate::leads::reply::TemplateSpec {
        name: "follow_up".into(),
        language: "en_US".into(),
        category: "utility".into(),
        body: "Hi {{1}}, thanks for asking about {{2}}. Is now a good time to pick this up again?"
            .into(),
    };
    replies::add_template(svc, &owner, channel.id, &follow_up).await?;
    for (title, body) in [
        ("Pricing", "Our fixed packages start at $2,500; larger projects get a quote after a 30-minute call. Shall I book one for you?"),
        ("Book a call", "Happy to talk it through. Which day this week suits you for a 30-minute call?"),
    ] {
        replies::add_canned(svc, &owner, title, body).await?;
    }
    // What the AI may say in its drafts.
    super::leads::drafts::set_facts(
        svc,
        &owner,
        &crate::leads::facts::FactsForm {
            business_name: "Acme Studio".into(),
            offerings: "Booking app: 25000\nWebsite redesign: 6000\nMobile app: 30000".into(),
            proof: "We built the patient booking app of Harbor Dental, now used in 9 clinics".into(),
            insights: "Most booking apps launch in weeks when the first version keeps to one kind of appointment".into(),
            booking_link: "https://cal.example.com/acme-studio".into(),
            availability: "on weekdays, 9:00 to 17:00 India time".into(),
            competitors: "Northwind Digital\nBrightpath Apps".into(),
        },
    )
    .await?;
    // When calls can be booked from a conversation (the team's time zone is India's).
    super::leads::booking::set_hours(
        svc,
        &owner,
        &crate::leads::booking::HoursForm {
            time_zone: "Asia/Kolkata".into(),
            minutes: "30".into(),
            hours: "Mon-Fri 09:00-17:00".into(),
        },
    )
    .await?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let people = [
        ("919876543210", "Priya Nair", 3 * 3600,
         "Hi! We run 12 clinics and need a patient booking app. Our budget is $40,000 and we want to launch by March. Can we get on a call this week?"),
        ("2348031234567", "Daniel Okoro", 2 * 3600,
         "Hello, what would a redesign of our shop's website cost? We have about $8,000."),
        ("4915112345678", "Lena Fischer", 9 * 86_400, "Just browsing for now, thanks."),
    ];
    for (i, (wa_id, name, ago, text)) in people.iter().enumerate() {
        let body = serde_json::json!({ "object": "whatsapp_business_account", "entry": [ { "id": "DEMO", "changes": [
            { "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "phone_number_id": DEMO_WHATSAPP_ID },
                "contacts": [ { "profile": { "name": name }, "wa_id": wa_id } ],
                "messages": [ { "from": wa_id, "id": format!("wamid.demo{i}"),
                                "timestamp": (now - ago).to_string(), "type": "text",
                                "text": { "body": text } } ] } } ] } ] });
        intake::receive(svc, ChannelKind::Whatsapp, body.to_string().as_bytes()).await?;
    }
    intake::process_pending(svc, 100).await?;
    scoring::score_pending(svc, 50).await?;
    Ok(())
}
