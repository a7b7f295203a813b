//! Webhook ingestion under load: signed WhatsApp webhooks posted to the release server at `RATE`
//! messages a second, first for `WARMUP` seconds (default 2), then for the `SECONDS` measured
//! (default 10); one message per POST, from `CONTACTS` people who write again and again, while
//! the demo SDR's inbox WebSocket is open. Each message is verified, stored durably before the
//! 200, processed by the worker (routed to the team's channel, its lead resolved, the lead
//! marked for scoring) and pushed to the open inbox.
//!
//! Prints the messages per second from the first POST to the last message processed; the POST's
//! latency (verify and store); the delay from stored to processed for every message (from the
//! database's own timestamps); and the whole path of every message, from its POST being sent to
//! the open inbox hearing the push that follows its processing (verify, store, process, push),
//! for the messages sent in the measured seconds, in the warm-up and over the whole run. The
//! warm-up is the same load, kept out of the headline: in it the contacts become leads, and each
//! of the server's pooled connections plans each statement afresh (Postgres plans a prepared
//! statement five times on a connection before it settles on a generic plan).
//!
//! Run against a server with a fresh database: `bench/ingest.sh` (which starts one).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use loadgen::{
    delays, env, now_us, p50_p99_max, platform_db, post_webhooks, session, wait_processed,
    whatsapp_text,
};

fn body(n: u64, contacts: u64, ts: i64) -> Vec<u8> {
    whatsapp_text("DEMO-PN-1", &format!("4479111{:05}", n % contacts), n, ts)
}

#[tokio::main]
async fn main() {
    let base = std::env::var("BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    let secret = std::env::var("META_APP_SECRET").expect("META_APP_SECRET, as the server has it");
    let database = std::env::var("DATABASE_URL").expect("DATABASE_URL of the server's database");
    let rate: u64 = env("RATE", 3_000);
    let seconds: u64 = env("SECONDS", 10);
    let contacts: u64 = env("CONTACTS", 1_000);
    let warmup: u64 = env("WARMUP", 2);

    // The SDR's open inbox: every push is counted with its arrival time.
    let cookie = session(&base, "sdr@acme.fluxorae.test").await;
    let ws = format!(
        "{}/ws/teams/acme-sales/inbox",
        base.replace("http://", "ws://")
    );
    let mut req = ws.into_client_request().unwrap();
    req.headers_mut().insert("cookie", cookie.parse().unwrap());
    let mut socket = loadgen::open_socket(req).await.unwrap();
    let pushes = Arc::new(Mutex::new(Vec::<i64>::new()));
    let listener = {
        let pushes = pushes.clone();
        tokio::spawn(async move {
            while let Some(Ok(frame)) = socket.next().await {
                if let Message::Text(t) = frame {
                    if t.as_str().contains("\"channel\"") {
                        pushes
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(now_us());
                    }
                }
            }
        })
    };

    let total = rate * (warmup + seconds);
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    let db = platform_db(&database).await;
    let posted = post_webhooks(&base, &secret, &db, rate, total, |n| body(n, contacts, ts)).await;

    // Wait for the worker to process every stored event.
    wait_processed(&db, posted.mark).await;
    let processed_by = posted.started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    listener.abort();
    let (processed, p50, p99, max): (i64, f64, f64, f64) = sqlx::query_as(
        r#"SELECT count(*),
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM processed_at - received_at)) * 1000,
                  percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM processed_at - received_at)) * 1000,
                  max(EXTRACT(EPOCH FROM processed_at - received_at))::float8 * 1000
           FROM webhook_events WHERE id > $1 AND status = 'processed'"#,
    )
    .bind(posted.mark)
    .fetch_one(&db)
    .await
    .unwrap();
    // The same delay second by second of the run (by when each body was stored): shows whether
    // the tail is spread over the run or comes from one moment of it (the first seconds, when
    // every contact is new and becomes a lead).
    let by_second: Vec<(i32, f64)> = sqlx::query_as(
        r#"SELECT s, (percentile_cont(0.99) WITHIN GROUP (ORDER BY d) * 1000)::float8
           FROM (SELECT floor(EXTRACT(EPOCH FROM received_at - min(received_at) OVER ()))::int4 AS s,
                        EXTRACT(EPOCH FROM processed_at - received_at)::float8 AS d
                 FROM webhook_events WHERE id > $1 AND status = 'processed') q
           GROUP BY s ORDER BY s"#,
    )
    .bind(posted.mark)
    .fetch_all(&db)
    .await
    .unwrap();
    // The whole path of each message: from its POST being sent to the first push the inbox
    // heard after its batch was processed.
    let done_at: Vec<(i64, i64)> = sqlx::query_as(
        r#"SELECT substring(convert_from(body, 'UTF8') from 'wamid[.]bench([0-9]+)')::int8,
                  (EXTRACT(EPOCH FROM processed_at) * 1000000)::int8
           FROM webhook_events WHERE id > $1 AND status = 'processed'"#,
    )
    .bind(posted.mark)
    .fetch_all(&db)
    .await
    .unwrap();
    let mut heard = pushes.lock().unwrap_or_else(|p| p.into_inner()).clone();
    heard.sort_unstable();
    let (mut whole, mut warming, mut measured) = (delays(), delays(), delays());
    let mut unheard = 0u64;
    for (n, processed_at) in &done_at {
        let sent = posted.sent_at[*n as usize];
        let i = heard.partition_point(|p| p < processed_at);
        match heard.get(i) {
            Some(push) => {
                let delay = (push - sent).max(1) as u64;
                whole.record(delay).unwrap();
                if *n as u64 >= warmup * rate {
                    measured.record(delay).unwrap();
                } else {
                    warming.record(delay).unwrap();
                }
            }
            None => unheard += 1,
        }
    }
    let messages: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM channel_messages WHERE provider_id LIKE 'wamid.bench%'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    println!(
        "ingest: {total} messages offered at {rate}/s, {warmup} s of warm-up then {seconds} s measured; {} refused or failed; posted in {:.2} s",
        posted.failed,
        posted.took.as_secs_f64()
    );
    println!(
        "throughput: {processed} processed ({messages} messages stored) by {:.2} s = {:.0} messages/s",
        processed_by.as_secs_f64(),
        processed as f64 / processed_by.as_secs_f64()
    );
    println!(
        "POST (verify, store, 200): {}",
        p50_p99_max(&posted.latency)
    );
    println!("stored → processed: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms");
    let per_second: Vec<String> = by_second
        .iter()
        .map(|(s, p99)| format!("{s}: {p99:.0}"))
        .collect();
    println!(
        "stored → processed p99 by second of the run, second 0 from about {} UTC (ms): {}",
        posted.began.truncate_to_millisecond(),
        per_second.join(", ")
    );
    println!(
        "POST sent → push heard (verify, store, process, push), the {seconds} s measured: {}, {}",
        measured.len(),
        p50_p99_max(&measured)
    );
    println!(
        "POST sent → push heard, the whole run: {}; {} pushes heard, {unheard} messages with no push after them",
        p50_p99_max(&whole),
        heard.len()
    );
    println!(
        "POST sent → push heard, the {warmup} s of warm-up: {}, {}",
        warming.len(),
        p50_p99_max(&warming)
    );
}
