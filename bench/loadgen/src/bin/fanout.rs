//! Inbox fan-out under load: `TEAMS` sales teams (default 1,000), each with a WhatsApp number,
//! and `CLIENTS` open inbox WebSockets (default 10,000, spread evenly over the teams, as the
//! demo SDR, a member of every team). Signed WhatsApp webhooks are posted at `RATE` messages a
//! second (default 1,000), each to one team's number in turn: first for `WARMUP` seconds
//! (default 2), then for the `SECONDS` measured (default 10). Every message is verified,
//! stored, processed and pushed to the open inboxes of its team.
//!
//! The warm-up is the same load, kept out of the headline: in it every team has its first
//! message, and each of the server's pooled connections plans each statement afresh (Postgres
//! plans a prepared statement five times on a connection before it settles on a generic plan).
//! Its figures are printed too, and the whole run's.
//!
//! A delivery is one message reaching one open inbox of its team: the first push for its
//! channel that the socket hears after the message was processed (the database's
//! `processed_at`, taken just before the batch commits; the push follows the commit). Its delay
//! is from the POST being sent to that push being heard. Prints p50, p99 and max over the
//! deliveries of the messages sent in the measured seconds, the deliveries missed, and any push
//! heard by a socket of another team (there must be none); then where the time went (POST to
//! stored, stored to processed, processed to heard), the p99 second by second, and the
//! deliveries of the warm-up and of the whole run.
//!
//! Run against a server with a fresh database: `bench/fanout.sh` (which starts one).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use hdrhistogram::Histogram;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use loadgen::{
    delays, env, ms, now_us, p50_p99_max, platform_db, post_webhooks, session, wait_processed,
    whatsapp_text,
};

#[tokio::main]
async fn main() {
    let base = std::env::var("BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    let secret = std::env::var("META_APP_SECRET").expect("META_APP_SECRET, as the server has it");
    let database = std::env::var("DATABASE_URL").expect("DATABASE_URL of the server's database");
    let teams: u64 = env("TEAMS", 1_000);
    let clients: u64 = env("CLIENTS", 10_000);
    let rate: u64 = env("RATE", 1_000);
    let seconds: u64 = env("SECONDS", 10);
    let warmup: u64 = env("WARMUP", 2);
    assert!((1..=9_999).contains(&teams), "TEAMS must be 1 to 9,999");

    // The teams, made directly (creating teams is not measured): a number each, and the demo
    // SDR as a member of every one.
    let db = platform_db(&database).await;
    let sdr: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'sdr@acme.fluxorae.test'")
            .fetch_one(&db)
            .await
            .unwrap();
    for statement in [
        r#"INSERT INTO tenants (id, slug, name, kind)
           SELECT gen_random_uuid(), 'fanout-' || g, 'Fan-out ' || g, 'SALES_TEAM'
           FROM generate_series(0, $1 - 1) AS g"#,
        "INSERT INTO tenant_settings (tenant_id) SELECT id FROM tenants WHERE slug LIKE 'fanout-%'",
        r#"INSERT INTO channels (id, tenant_id, kind, external_id, name)
           SELECT gen_random_uuid(), id, 'whatsapp', 'FANOUT-PN-' || substring(slug FROM 8), 'Sales line'
           FROM tenants WHERE slug LIKE 'fanout-%'"#,
    ] {
        sqlx::query(statement)
            .bind(teams as i64)
            .execute(&db)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    sqlx::query(
        r#"INSERT INTO tenant_members (tenant_id, user_id, role)
           SELECT id, $1, 'SDR' FROM tenants WHERE slug LIKE 'fanout-%'"#,
    )
    .bind(sdr)
    .execute(&db)
    .await
    .unwrap();
    // Statistics for the tables just filled, as autovacuum would take them soon after: without
    // them, opening the sockets plans each membership check blind (2 ms a check instead of
    // 0.2), and autovacuum's own ANALYZE could fall in the measured seconds.
    sqlx::query("ANALYZE tenants, tenant_settings, channels, tenant_members")
        .execute(&db)
        .await
        .unwrap();
    let team_of: Arc<HashMap<uuid::Uuid, u32>> = Arc::new(
        sqlx::query_as::<_, (uuid::Uuid, String)>(
            "SELECT id, external_id FROM channels WHERE external_id LIKE 'FANOUT-PN-%'",
        )
        .fetch_all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, ext)| (id, ext["FANOUT-PN-".len()..].parse().unwrap()))
        .collect(),
    );

    // The open inboxes: socket i is on team i mod TEAMS. Each keeps what it heard: the team of
    // the pushed channel and when.
    let cookie = session(&base, "sdr@acme.fluxorae.test").await;
    let ws_base = base.replace("http://", "ws://");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let connecting = Instant::now();
    let mut sockets = Vec::with_capacity(clients as usize);
    let gate = Arc::new(tokio::sync::Semaphore::new(200));
    let mut opening = Vec::with_capacity(clients as usize);
    for i in 0..clients {
        let team = i % teams;
        let mut req = format!("{ws_base}/ws/teams/fanout-{team}/inbox")
            .into_client_request()
            .unwrap();
        req.headers_mut().insert("cookie", cookie.parse().unwrap());
        let gate = gate.clone();
        opening.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            loadgen::open_socket(req)
                .await
                .unwrap_or_else(|e| panic!("socket {i}: {e}"))
        }));
    }
    for (i, opened) in opening.into_iter().enumerate() {
        let mut socket = opened.await.unwrap();
        let (team_of, mut stop) = (team_of.clone(), stop_rx.clone());
        sockets.push(tokio::spawn(async move {
            let mut heard: Vec<(u32, i64)> = Vec::new();
            loop {
                tokio::select! {
                    frame = socket.next() => match frame {
                        Some(Ok(Message::Text(t))) => {
                            let at = now_us();
                            let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
                            if let Some(channel) = v.get("channel").and_then(|c| c.as_str()) {
                                let channel: uuid::Uuid = channel.parse().unwrap();
                                heard.push((team_of.get(&channel).copied().unwrap_or(u32::MAX), at));
                            }
                        }
                        Some(Ok(_)) => {}
                        _ => panic!("socket {i} closed"),
                    },
                    _ = stop.changed() => return heard,
                }
            }
        }));
    }
    println!(
        "{clients} inbox sockets open on {teams} teams in {:.1} s",
        connecting.elapsed().as_secs_f64()
    );

    // The messages: message n goes to team n mod TEAMS, from one of 50 people of that team.
    let total = rate * (warmup + seconds);
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    let posted = post_webhooks(&base, &secret, &db, rate, total, |n| {
        let team = n % teams;
        let contact = format!("44791{team:04}{:03}", (n / teams) % 50);
        whatsapp_text(&format!("FANOUT-PN-{team}"), &contact, n, ts)
    })
    .await;

    // Wait for every stored message to be processed, then for the last pushes.
    wait_processed(&db, posted.mark).await;
    let processed_by = posted.started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop_tx.send(true).unwrap();
    let mut heard: Vec<Vec<(u32, i64)>> = Vec::with_capacity(sockets.len());
    for s in sockets {
        heard.push(s.await.unwrap());
    }

    let done_at: Vec<(i64, i64, i64)> = sqlx::query_as(
        r#"SELECT substring(convert_from(body, 'UTF8') from 'wamid[.]bench([0-9]+)')::int8,
                  (EXTRACT(EPOCH FROM processed_at) * 1000000)::int8,
                  (EXTRACT(EPOCH FROM received_at) * 1000000)::int8
           FROM webhook_events WHERE id > $1 AND status = 'processed'"#,
    )
    .bind(posted.mark)
    .fetch_all(&db)
    .await
    .unwrap();
    // Each socket's pushes of its own team, in the order heard; pushes of other teams counted.
    let mut foreign = 0u64;
    let own: Vec<Vec<i64>> = heard
        .iter()
        .enumerate()
        .map(|(i, pushes)| {
            let team = (i as u64 % teams) as u32;
            pushes
                .iter()
                .filter(|(t, _)| {
                    let mine = *t == team;
                    if !mine {
                        foreign += 1;
                    }
                    mine
                })
                .map(|(_, at)| *at)
                .collect()
        })
        .collect();
    let mut delivery = delays();
    // Where the time went: POST sent → stored (the storing transaction's start), stored →
    // processed (the batch's commit), processed → heard (the push, per delivery).
    let (mut to_stored, mut to_processed, mut to_heard) = (delays(), delays(), delays());
    // The same delays second by second of the run (by when the message was sent); the
    // deliveries of the warm-up's messages and of the measured ones, apart.
    let mut by_second: Vec<Histogram<u64>> =
        (0..(warmup + seconds).max(1)).map(|_| delays()).collect();
    let (mut warming, mut measured) = (delays(), delays());
    let (mut missed, mut expected) = (0u64, 0u64);
    for (n, processed_at, stored_at) in &done_at {
        let sent = posted.sent_at[*n as usize];
        to_stored.record((stored_at - sent).max(1) as u64).unwrap();
        to_processed
            .record((processed_at - stored_at).max(1) as u64)
            .unwrap();
        let team = *n as u64 % teams;
        for socket in (team..clients).step_by(teams as usize) {
            expected += 1;
            let pushes = &own[socket as usize];
            let i = pushes.partition_point(|p| p < processed_at);
            match pushes.get(i) {
                Some(push) => {
                    let delay = (push - sent).max(1) as u64;
                    delivery.record(delay).unwrap();
                    let last = by_second.len() - 1;
                    let second = (*n as u64 / rate.max(1)) as usize;
                    by_second[second.min(last)].record(delay).unwrap();
                    if second as u64 >= warmup {
                        measured.record(delay).unwrap();
                    } else {
                        warming.record(delay).unwrap();
                    }
                    to_heard
                        .record((push - processed_at).max(1) as u64)
                        .unwrap();
                }
                None => missed += 1,
            }
        }
    }
    println!(
        "fan-out: {total} messages offered at {rate}/s to {teams} teams, {warmup} s of warm-up then {seconds} s measured; {} refused or failed; posted in {:.2} s; all processed by {:.2} s",
        posted.failed,
        posted.took.as_secs_f64(),
        processed_by.as_secs_f64()
    );
    println!(
        "POST (verify, store, 200): {}",
        p50_p99_max(&posted.latency)
    );
    println!(
        "deliveries of the {seconds} s measured (POST sent → push heard by each open inbox of the team): {}, {}",
        measured.len(),
        p50_p99_max(&measured)
    );
    println!(
        "the whole run: {} of {} deliveries expected, {}; {missed} missed; {foreign} pushes heard by another team's inbox",
        delivery.len(),
        expected,
        p50_p99_max(&delivery)
    );
    println!(
        "deliveries of the {warmup} s of warm-up: {}, {}",
        warming.len(),
        p50_p99_max(&warming)
    );
    println!(
        "where the time went, whole run, p50 / p99: sent → stored {:.1} / {:.1} ms; stored → processed {:.1} / {:.1} ms; processed → heard {:.1} / {:.1} ms",
        ms(&to_stored, 0.5),
        ms(&to_stored, 0.99),
        ms(&to_processed, 0.5),
        ms(&to_processed, 0.99),
        ms(&to_heard, 0.5),
        ms(&to_heard, 0.99)
    );
    let by_second: Vec<String> = by_second
        .iter()
        .enumerate()
        .map(|(s, h)| format!("{s}: {:.0}", ms(h, 0.99)))
        .collect();
    println!(
        "delivery p99 by second of the run, warm-up first, second 0 from {} UTC (ms): {}",
        posted.began.truncate_to_millisecond(),
        by_second.join(", ")
    );
}
