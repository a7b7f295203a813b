//! What the server's load clients (`src/bin/`, run by `bench/*.sh`) share: reading their
//! settings, signing in a demo account, signed webhook bodies and posting them at a rate, the
//! database in platform scope and waiting there for the events to be processed, and the delay
//! histograms with their summary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hdrhistogram::Histogram;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A histogram of delays in microseconds, from 1 µs to 10 minutes (3 significant digits).
pub fn delays() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap()
}

/// The quantile `q` of a histogram of microseconds, in milliseconds.
pub fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// "p50 … ms, p99 … ms, max … ms" of a histogram of microseconds.
pub fn p50_p99_max(h: &Histogram<u64>) -> String {
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(h, 0.5),
        ms(h, 0.99),
        h.max() as f64 / 1000.0
    )
}

/// Opens a WebSocket as the clients do, with a small read buffer: these clients share the
/// server's machine, and tungstenite zero-fills its whole read buffer (128 KiB by default) on
/// every read poll: with the default, the fan-out client's 10,000 sockets spent as much CPU
/// zeroing memory as the server's did (8 % of the machine each, `perf`), CPU taken from the
/// server under test. A browser pays that on its own machine, not the server's.
pub async fn open_socket(
    req: tokio_tungstenite::tungstenite::handshake::client::Request,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    tokio_tungstenite::tungstenite::Error,
> {
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(4 * 1024);
    let (socket, _) =
        tokio_tungstenite::connect_async_with_config(req, Some(config), false).await?;
    Ok(socket)
}

/// The variable `name` read as a `T`, else `default`.
pub fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Signs in the demo account `email` at `base`; answers its session cookie (`fx_session=…`).
pub async fn session(base: &str, email: &str) -> String {
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = c
        .post(format!("{base}/api/sign-in"))
        .header("accept", "application/json")
        .form(&[
            ("email", email),
            ("password", "fluxorae-demo-2026"),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("fx_session="))
        .and_then(|v| v.split(';').next())
        .expect("signed in")
        .to_owned()
}

/// A WhatsApp webhook body with one text message, number `n`, from `contact` (digits) to the
/// number `phone_number_id`.
pub fn whatsapp_text(phone_number_id: &str, contact: &str, n: u64, ts: i64) -> Vec<u8> {
    serde_json::json!({ "object": "whatsapp_business_account", "entry": [ { "id": "BENCH", "changes": [
        { "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "phone_number_id": phone_number_id },
            "contacts": [ { "profile": { "name": format!("Bench {contact}") }, "wa_id": contact } ],
            "messages": [ { "from": contact, "id": format!("wamid.bench{n}"), "timestamp": ts.to_string(),
                            "type": "text", "text": { "body": format!("Message {n}: do you build booking apps?") } } ] } } ] } ] })
    .to_string()
    .into_bytes()
}

/// One connection to the server's database in platform scope (it sees every tenant's rows).
pub async fn platform_db(url: &str) -> sqlx::PgPool {
    use sqlx::Executor;
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("SET app.scope = 'platform'").await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .unwrap()
}

/// Wall-clock microseconds since the epoch, comparable with the database's clock on this
/// machine.
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

/// The `X-Hub-Signature-256` header Meta sends with `body`: HMAC-SHA256 with the app secret.
pub fn meta_signature(body: &[u8], app_secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A load of signed webhooks and what their POSTs gave.
pub struct Posted {
    /// The last event stored before the load (the demo data's): the load's are those after.
    pub mark: i64,
    /// When the first POST was sent: the clock's instant, and the UTC time of day.
    pub started: std::time::Instant,
    pub began: time::Time,
    /// When each message's POST was sent ([`now_us`]), by message number.
    pub sent_at: Vec<i64>,
    /// The latency of the POSTs answered 2xx (verify, store, 200).
    pub latency: Histogram<u64>,
    /// The POSTs refused or failed.
    pub failed: u64,
    /// From the first POST sent to the last answered.
    pub took: std::time::Duration,
}

/// Posts `total` WhatsApp webhooks to `{base}/webhooks/whatsapp`, `rate` a second, message `n`'s
/// body made by `body(n)` and signed with `app_secret`; answers once every POST is answered.
pub async fn post_webhooks(
    base: &str,
    app_secret: &str,
    db: &sqlx::PgPool,
    rate: u64,
    total: u64,
    body: impl Fn(u64) -> Vec<u8>,
) -> Posted {
    use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .tcp_nodelay(true)
        .build()
        .unwrap();
    let url = format!("{base}/webhooks/whatsapp");
    let latency = Arc::new(Mutex::new(delays()));
    let failed = Arc::new(AtomicU64::new(0));
    let sent_at: Arc<Vec<AtomicI64>> = Arc::new((0..total).map(|_| AtomicI64::new(0)).collect());
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mark: i64 = sqlx::query_scalar("SELECT COALESCE(max(id), 0) FROM webhook_events")
        .fetch_one(db)
        .await
        .unwrap();
    let started = Instant::now();
    let began = time::OffsetDateTime::now_utc().time();
    let mut posts = Vec::with_capacity(total as usize);
    for n in 0..total {
        tick.tick().await;
        let b = body(n);
        let sig = meta_signature(&b, app_secret);
        let (http, url) = (http.clone(), url.clone());
        let (latency, failed, sent_at) = (latency.clone(), failed.clone(), sent_at.clone());
        posts.push(tokio::spawn(async move {
            let t = Instant::now();
            sent_at[n as usize].store(now_us(), Ordering::Relaxed);
            let res = http
                .post(url)
                .header("content-type", "application/json")
                .header("x-hub-signature-256", sig)
                .body(b)
                .send()
                .await;
            if res.is_ok_and(|r| r.status().is_success()) {
                let _ = latency
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .record((t.elapsed().as_micros() as u64).max(1));
            } else {
                failed.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for p in posts {
        let _ = p.await;
    }
    let took = started.elapsed();
    let latency = latency.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Posted {
        mark,
        started,
        began,
        sent_at: sent_at.iter().map(|s| s.load(Ordering::Relaxed)).collect(),
        latency,
        failed: failed.load(Ordering::Relaxed),
        took,
    }
}

/// Waits until no event stored after `mark` is pending, for two minutes at most. Every POST
/// has been answered, so every stored event is in the table. The partial index of pending events
/// answers this in microseconds; a count of the processed ones read every row of the run (29 ms
/// a call), competing with the worker it waits for.
pub async fn wait_processed(db: &sqlx::PgPool, mark: i64) {
    let waited = std::time::Instant::now();
    loop {
        let pending: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM webhook_events WHERE id > $1 AND status = 'pending')",
        )
        .bind(mark)
        .fetch_one(db)
        .await
        .unwrap();
        if !pending || waited.elapsed() > std::time::Duration::from_secs(120) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
