//! What the built-in engine knows about each kind of deliverable: how people ask for it in our
//! five languages, its category, how it is usually delivered and roughly what it costs.

use std::sync::LazyLock;

use crate::ai::text::Lexicon;
use crate::ai::{Category, DeliverableKind};

use DeliverableKind::*;

/// One deliverable kind's knowledge.
pub struct Spec {
    /// The kind.
    pub kind: DeliverableKind,
    /// Its title in a scope.
    pub title: &'static str,
    /// The category it belongs to.
    pub category: Category,
    /// Typical price range in US dollars, when nothing comparable was delivered yet.
    pub price_usd: (u32, u32),
    /// Typical weeks.
    pub weeks: (u16, u16),
    /// Acceptance criteria every such deliverable should meet.
    pub criteria: &'static [&'static str],
    /// A question to ask the customer about it.
    pub question: &'static str,
}

#[rustfmt::skip]
pub static SPECS: &[Spec] = &[
    Spec { kind: Website, title: "Website", category: Category::Web, price_usd: (2500, 12000), weeks: (4, 8),
        criteria: &["All agreed pages are live on the customer's domain over HTTPS", "Pages pass a mobile-friendly check and load in under 3 seconds", "The customer can edit page content without a developer"],
        question: "How many pages do you need, and who will write the content?" },
    Spec { kind: LandingPage, title: "Landing page", category: Category::Web, price_usd: (600, 3000), weeks: (1, 3),
        criteria: &["The page is live with the agreed sections and call to action", "The form delivers leads to the agreed inbox or CRM", "Conversion tracking fires on submit"],
        question: "What is the one action a visitor should take on the page?" },
    Spec { kind: EcommerceStore, title: "Online store", category: Category::Web, price_usd: (4000, 25000), weeks: (5, 12),
        criteria: &["Products, variants and stock can be managed by the customer", "A test order completes end to end with a real payment method", "Order confirmation emails reach the buyer and the shop"],
        question: "How many products will you sell, and which payment methods must be accepted?" },
    Spec { kind: WebApp, title: "Web application", category: Category::Web, price_usd: (12000, 80000), weeks: (8, 20),
        criteria: &["Every agreed user role can complete its main flows in the staging environment", "Automated tests cover the main flows and pass", "The application is deployed with backups and monitoring"],
        question: "Which user roles are there, and what must each be able to do on day one?" },
    Spec { kind: MobileApp, title: "Mobile app", category: Category::Mobile, price_usd: (15000, 90000), weeks: (10, 24),
        criteria: &["Builds install and run on the agreed iOS and Android versions", "The main flows work offline or fail with a clear message", "The app is submitted to the stores under the customer's accounts"],
        question: "iOS, Android or both, and do you need offline use?" },
    Spec { kind: ApiIntegration, title: "Integration", category: Category::Web, price_usd: (1500, 12000), weeks: (2, 6),
        criteria: &["Data flows both ways with the agreed third-party system in a sandbox", "Failures are retried and reported, never lost silently", "Credentials are stored outside the code"],
        question: "Which systems must it connect to, and do you have API access to them?" },
    Spec { kind: Logo, title: "Logo", category: Category::Design, price_usd: (300, 2500), weeks: (1, 3),
        criteria: &["At least three initial concepts, then the agreed rounds of revisions", "Final files in SVG, PNG and PDF, in colour and single-colour versions", "The customer owns the rights to the final logo"],
        question: "Are there colours, styles or competitors' logos you like or want to avoid?" },
    Spec { kind: BrandIdentity, title: "Brand identity", category: Category::Design, price_usd: (2000, 15000), weeks: (3, 8),
        criteria: &["A brand guide covering logo use, colours, typography and tone", "Templates for the agreed stationery and social posts", "Source files handed over"],
        question: "Which touchpoints must the brand cover first (web, print, social, packaging)?" },
    Spec { kind: UiDesign, title: "UI/UX design", category: Category::Design, price_usd: (2500, 20000), weeks: (3, 10),
        criteria: &["Clickable prototype of every agreed screen in Figma", "A component library with states for each component", "Designs checked for contrast and touch-target accessibility"],
        question: "How many screens or flows, and for which devices?" },
    Spec { kind: Seo, title: "SEO", category: Category::Marketing, price_usd: (800, 6000), weeks: (3, 12),
        criteria: &["An audit listing technical, content and link issues by priority", "Agreed fixes applied and verified in Search Console", "A keyword report with baseline rankings"],
        question: "Which markets and keywords matter most, and do we get Search Console access?" },
    Spec { kind: Ads, title: "Paid ad campaigns", category: Category::Marketing, price_usd: (1000, 10000), weeks: (2, 12),
        criteria: &["Campaigns live on the agreed platforms with conversion tracking verified", "Weekly report of spend, cost per lead and conversions", "Ad spend stays within the approved budget"],
        question: "What monthly ad spend is approved, separate from the management fee?" },
    Spec { kind: SocialMedia, title: "Social media management", category: Category::Marketing, price_usd: (800, 5000), weeks: (4, 12),
        criteria: &["A monthly content calendar approved before posting", "The agreed number of posts published on schedule", "A monthly report of reach and engagement"],
        question: "Which platforms, and how many posts a week?" },
    Spec { kind: BlogArticles, title: "Blog articles", category: Category::Content, price_usd: (400, 4000), weeks: (2, 8),
        criteria: &["The agreed number of original articles, each at the agreed length", "Each article targets an agreed keyword and passes a plagiarism check", "Articles delivered ready to publish with meta descriptions"],
        question: "How many articles, how long, and on which topics?" },
    Spec { kind: Copywriting, title: "Copywriting", category: Category::Content, price_usd: (500, 5000), weeks: (1, 4),
        criteria: &["Copy for every agreed page or asset in the brand's tone", "Two rounds of revisions included", "Final copy delivered in an editable document"],
        question: "Which pages or assets need copy, and is there a tone of voice guide?" },
    Spec { kind: Translation, title: "Translation", category: Category::Content, price_usd: (300, 6000), weeks: (1, 4),
        criteria: &["Every agreed text translated into each target language by a native speaker", "Terminology kept consistent with a glossary", "Layout checked in each language where it is published"],
        question: "Into which languages, and how many words?" },
    Spec { kind: Dashboard, title: "Analytics dashboard", category: Category::DataAi, price_usd: (3000, 20000), weeks: (3, 8),
        criteria: &["Every agreed metric shown and reconciled against its source", "Data refreshes on the agreed schedule without manual steps", "Access limited to the agreed people"],
        question: "Which metrics matter, and where does the data live today?" },
    Spec { kind: Chatbot, title: "AI chatbot", category: Category::DataAi, price_usd: (3000, 25000), weeks: (3, 10),
        criteria: &["Answers the agreed set of test questions correctly from the customer's content", "Hands over to a person when it cannot answer", "Conversations are logged and reviewable"],
        question: "Which channels should it answer on, and from which documents?" },
    Spec { kind: DataPipeline, title: "Data pipeline", category: Category::DataAi, price_usd: (3000, 30000), weeks: (3, 10),
        criteria: &["Data arrives in the target on schedule with row counts reconciled", "Bad records are quarantined and reported", "The pipeline is documented and re-runnable"],
        question: "What are the sources and the target, and how much data a day?" },
    Spec { kind: MlModel, title: "Machine-learning model", category: Category::DataAi, price_usd: (8000, 60000), weeks: (6, 16),
        criteria: &["The model beats the agreed baseline on a held-out test set", "Predictions are served through an API with latency within the agreed limit", "A model card documents data, metrics and limits"],
        question: "What decision will the model support, and what labelled data exists?" },
    Spec { kind: Video, title: "Video", category: Category::Video, price_usd: (800, 12000), weeks: (2, 6),
        criteria: &["Script and storyboard approved before production", "Final video in the agreed lengths and aspect ratios", "Captions and source files delivered"],
        question: "How long should it be, and where will it be shown?" },
];

/// The spec of a kind.
pub fn spec(kind: DeliverableKind) -> &'static Spec {
    SPECS.iter().find(|s| s.kind == kind).unwrap_or(&SPECS[0])
}

/// How people ask for each kind. Longer, more specific phrases weigh more, so "online store"
/// beats the "website" it is built on.
#[rustfmt::skip]
pub static DELIVERABLES: LazyLock<Lexicon<DeliverableKind>> = LazyLock::new(|| Lexicon::new(&[
    (Website, 1.0, &["website", "web site", "site web", "webpage", "company site", "business site",
        "wordpress", "webflow", "wix", "squarespace", "pagina web", "sitio web", "sitio", "pagina de",
        "वेबसाइट", "वेब साइट", "موقع", "ويب سايت", "web site", "site banwa", "site bana"]),
    (LandingPage, 2.0, &["landing page", "landing", "one page", "one-page", "single page", "squeeze page",
        "pagina de aterrizaje", "landing pe", "लैंडिंग पेज", "صفحة هبوط", "صفحه هبوط", "صفحة واحدة"]),
    (EcommerceStore, 2.5, &["online store", "ecommerce", "e-commerce", "e commerce", "shopify", "woocommerce",
        "online shop", "webshop", "sell online", "sell my products", "sell products", "shopping cart", "checkout",
        "tienda online", "tienda en linea", "comercio electronico", "vender en linea", "vender online",
        "online dukaan", "online dukan", "ऑनलाइन स्टोर", "ऑनलाइन दुकान", "ई-कॉमर्स", "ईकॉमर्स",
        "متجر", "تجارة الكترونية", "تجاره الكترونيه", "بيع اونلاين"]),
    (WebApp, 2.0, &["web app", "webapp", "web application", "portal", "saas", "platform", "booking system",
        "reservation system", "crm", "erp", "admin panel", "dashboard for customers", "marketplace",
        "management system", "lms", "aplicacion web", "plataforma", "sistema de reservas", "portal de",
        "sistema de gestion", "वेब ऐप", "पोर्टल", "प्लेटफॉर्म", "प्लेटफ़ॉर्म", "बुकिंग सिस्टम", "मैनेजमेंट सिस्टम",
        "منصة", "منصه", "بوابة", "نظام حجز", "نظام حجوزات", "نظام ادارة", "تطبيق ويب", "software", "sistema"]),
    (MobileApp, 2.5, &["mobile app", "app for ios", "ios app", "android app", "iphone app", "app store",
        "play store", "flutter", "react native", "mobile application", "app movil", "aplicacion movil",
        "aplicacion para celular", "app para", "app banwa", "app bana", "app chahiye", "मोबाइल ऐप",
        "ऐप", "एप", "एंड्रॉइड", "تطبيق", "ابلكيشن", "app "]),
    (ApiIntegration, 1.5, &["integrat", "api", "payment gateway", "stripe", "razorpay", "paypal", "zapier",
        "hubspot", "salesforce", "connect to our", "sync with", "webhook", "integracion", "integrar",
        "pasarela de pago", "इंटीग्रेशन", "पेमेंट गेटवे", "ربط", "بوابة دفع", "بوابه دفع", "تكامل"]),
    (Logo, 2.0, &["logo", "logotipo", "logotype", "लोगो", "شعار", "لوجو", "لوقو"]),
    (BrandIdentity, 2.0, &["brand identity", "branding", "brand guide", "brand guidelines", "brand book",
        "visual identity", "style guide", "stationery", "business cards", "rebrand", "identidad de marca",
        "identidad visual", "manual de marca", "branding", "ब्रांडिंग", "ब्रांड", "हवية", "الهوية", "هويه بصريه",
        "هوية بصرية", "هوية تجارية", "visiting card"]),
    (UiDesign, 2.0, &["ui/ux", "ui ux", "ux", "ui design", "user interface", "user experience", "figma",
        "wireframe", "mockup", "mock-up", "prototype", "redesign", "diseno ui", "diseno de interfaz",
        "experiencia de usuario", "prototipo", "यूआई", "डिजाइन", "डिज़ाइन", "واجهة المستخدم", "تجربة المستخدم",
        "واجهات", "تصميم واجهة", "نموذج اولي"]),
    (Seo, 2.0, &["seo", "search engine", "google ranking", "rank on google", "rank higher", "organic traffic",
        "keywords", "posicionamiento", "buscadores", "एसईओ", "गूगल रैंकिंग", "सर्च", "تحسين محركات البحث",
        "السيو", "سيو", "الظهور في جوجل"]),
    (Ads, 2.0, &["google ads", "facebook ads", "meta ads", "instagram ads", "ppc", "paid ads", "ad campaign",
        "ads campaign", "paid campaign", "adwords", "anuncios", "campana de publicidad", "publicidad pagada",
        "campanas", "विज्ञापन", "ऐड्स", "ads chala", "اعلانات", "إعلانات", "حملة اعلانية", "حملات ممولة", "ads "]),
    (SocialMedia, 2.0, &["social media", "instagram posts", "content calendar", "community manager",
        "manage our instagram", "manage our social", "tiktok", "reels strategy", "redes sociales",
        "sosial media", "सोशल मीडिया", "इंस्टाग्राम", "انستقرام", "انستغرام", "وسائل التواصل", "السوشيال ميديا",
        "سوشيال ميديا", "instagram handle", "instagram page"]),
    (BlogArticles, 2.0, &["blog", "articles", "article", "blog posts", "articulos", "articulo", "ब्लॉग", "लेख",
        "مقالات", "مدونة", "مدونه"]),
    (Copywriting, 2.0, &["copywriting", "copy for", "website copy", "product descriptions", "email sequence",
        "newsletter", "sales copy", "copy ", "textos", "redaccion", "descripciones de productos", "कंटेंट लिख",
        "कॉपी", "content likh", "كتابة محتوى", "كتابه محتوي", "نصوص", "كتابة نصوص", "وصف المنتجات"]),
    (Translation, 2.0, &["translat", "localiz", "traduc", "anuvad", "अनुवाद", "ترجمة", "ترجمه", "ترجم"]),
    (Dashboard, 2.0, &["dashboard", "analytics", "power bi", "tableau", "looker", "reporting", "kpi",
        "tablero", "panel de control", "informes", "reportes", "डैशबोर्ड", "रिपोर्ट", "لوحة تحكم", "لوحه تحكم",
        "لوحة بيانات", "تقارير"]),
    (Chatbot, 2.5, &["chatbot", "chat bot", "ai assistant", "virtual assistant", "gpt", "llm",
        "whatsapp bot", "bot de", "asistente virtual", "चैटबॉट", "चैट बॉट", "بوت", "روبوت محادثة", "مساعد ذكي",
        "شات بوت"]),
    (DataPipeline, 2.0, &["etl", "data pipeline", "scrap", "data migration", "migrate our data",
        "data cleaning", "clean our data", "data warehouse", "bigquery", "snowflake", "extraccion de datos",
        "migracion de datos", "limpieza de datos", "डेटा माइग्रेशन", "डेटा स्क्रैप", "ترحيل البيانات",
        "تنظيف البيانات", "استخراج البيانات"]),
    (MlModel, 2.5, &["machine learning", "ml model", "predict", "forecast", "recommendation engine",
        "recommendation system", "classification model", "computer vision", "fraud detection",
        "modelo de prediccion", "aprendizaje automatico", "prediccion", "pronostico", "मशीन लर्निंग",
        "भविष्यवाणी", "تعلم الآلة", "تعلم الاله", "التنبؤ", "نموذج تنبؤ", "ذكاء اصطناعي للتنبؤ"]),
    (Video, 2.0, &["video", "explainer", "animation", "animated", "motion graphics", "reels", "youtube",
        "editing", "edit our", "promo", "animacion", "edicion de video", "वीडियो", "एनिमेशन", "فيديو",
        "موشن جرافيك", "انيميشن", "مونتاج"]),
]));

/// Words that point at a category even when no deliverable is named.
#[rustfmt::skip]
pub static CATEGORIES: LazyLock<Lexicon<Category>> = LazyLock::new(|| Lexicon::new(&[
    (Category::Web, 0.5, &["web", "online", "site", "pagina", "वेब", "ويب"]),
    (Category::Mobile, 0.5, &["mobile", "ios", "android", "movil", "celular", "मोबाइल", "جوال", "موبايل"]),
    (Category::Design, 0.5, &["design", "diseno", "डिजाइन", "تصميم", "brand", "marca"]),
    (Category::Marketing, 0.5, &["marketing", "leads", "traffic", "campaign", "मार्केटिंग", "تسويق", "mercadeo", "trafico"]),
    (Category::Content, 0.5, &["content", "writing", "writer", "contenido", "कंटेंट", "محتوى", "محتوي"]),
    (Category::DataAi, 0.5, &["data", "ai ", "artificial intelligence", "datos", "inteligencia artificial", "डेटा", "बيانات", "ذكاء اصطناعي", "एआई"]),
    (Category::Video, 0.5, &["film", "shoot", "camera", "grabacion", "شوت", "تصوير"]),
]));
