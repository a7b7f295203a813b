//! Chat delivery under load: `WORKSPACES` workspaces (default 1,000) with `CLIENTS` open
//! WebSockets (default 5,000, spread evenly), and messages posted through the real server
//! function at `RATE` per second for `SECONDS`. Each message carries its send time; every
//! client that receives it records the delay. Prints p50, p99 and max delivery latency.
//!
//! Run against a server with a fresh database: `bench/chat.sh` (which starts one).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use std::sync::Mutex;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use loadgen::{delays, env, p50_p99_max, session};

#[tokio::main]
async fn main() {
    let base = std::env::var("BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    let workspaces: usize = env("WORKSPACES", 1_000);
    let clients: usize = env("CLIENTS", 5_000);
    let rate: u64 = env("RATE", 100);
    let seconds: u64 = env("SECONDS", 20);
    let database = std::env::var("DATABASE_URL").expect("DATABASE_URL of the server's database");

    // Workspaces: projects of the demo customer, created directly (the wizard is not measured).
    let db = sqlx::PgPool::connect(&database).await.unwrap();
    let customer: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'customer@demo.fluxorae.test'")
            .fetch_one(&db)
            .await
            .unwrap();
    let mut projects = Vec::with_capacity(workspaces);
    for i in 0..workspaces {
        let id = uuid::Uuid::now_v7();
        sqlx::query(
            "INSERT INTO projects (id, customer_id, title, summary, currency) VALUES ($1, $2, $3, 'Bench', 'USD')",
        )
        .bind(id)
        .bind(customer)
        .bind(format!("Bench workspace {i}"))
        .execute(&db)
        .await
        .unwrap();
        projects.push(id);
    }

    // Listeners: staff may open every workspace; the customer posts.
    let listener = session(&base, "employee@demo.fluxorae.test").await;
    let poster = session(&base, "customer@demo.fluxorae.test").await;
    let ws_base = base.replace("http://", "ws://");
    let hist = Arc::new(Mutex::new(delays()));
    let epoch = Instant::now();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    let connected = Arc::new(tokio::sync::Semaphore::new(0));
    let unconnected = Arc::new(std::sync::atomic::AtomicU64::new(0));
    for i in 0..clients {
        let project = projects[i % workspaces];
        let url = format!("{ws_base}/ws/projects/{project}");
        let cookie = listener.clone();
        let hist = hist.clone();
        let connected = connected.clone();
        let unconnected = unconnected.clone();
        tasks.push(tokio::spawn(async move {
            let mut req = url.into_client_request().unwrap();
            req.headers_mut().insert("cookie", cookie.parse().unwrap());
            // A few tries, each bounded: a client that cannot connect is counted, not waited for.
            let mut socket = None;
            for _ in 0..20 {
                let attempt = loadgen::open_socket(req.clone());
                match tokio::time::timeout(Duration::from_secs(10), attempt).await {
                    Ok(Ok(s)) => {
                        socket = Some(s);
                        break;
                    }
                    _ => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
            connected.add_permits(1);
            let Some(mut socket) = socket else {
                unconnected.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return;
            };
            while let Some(Ok(frame)) = socket.next().await {
                let Message::Text(t) = frame else { continue };
                let v: serde_json::Value = match serde_json::from_str(t.as_str()) {
                    Ok(v) => v,
                    Err(_) => continue,
                };
                if v["kind"] == "message" {
                    if let Some(sent) = v["data"]["body"]
                        .as_str()
                        .and_then(|b| b.strip_prefix("t="))
                        .and_then(|t| t.parse::<u64>().ok())
                    {
                        let now = epoch.elapsed().as_micros() as u64;
                        let _ = hist
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .record(now.saturating_sub(sent).max(1));
                    }
                }
            }
        }));
    }
    let _all = connected.acquire_many(clients as u32).await.unwrap();
    println!(
        "{} of {clients} clients connected to {workspaces} workspaces in {:.1} s",
        clients as u64 - unconnected.load(std::sync::atomic::Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Posters: RATE messages a second, each to a random workspace, through the server function.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let total = rate * seconds;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    let mut posts = Vec::with_capacity(total as usize);
    let failed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    for n in 0..total {
        tick.tick().await;
        let project = projects[(n as usize * 7919) % workspaces];
        let http = http.clone();
        let cookie = poster.clone();
        let url = format!("{base}/api/projects/chat/post");
        let failed = failed.clone();
        posts.push(tokio::spawn(async move {
            let body = format!("t={}", epoch.elapsed().as_micros());
            let res = http
                .post(url)
                .header("cookie", cookie)
                .header("accept", "application/json")
                .form(&[("project", project.to_string()), ("body", body)])
                .send()
                .await;
            if !res.is_ok_and(|r| r.status().is_success()) {
                failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }));
    }
    for p in posts {
        let _ = p.await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    for t in &tasks {
        t.abort();
    }
    let h = hist.lock().unwrap_or_else(|p| p.into_inner());
    let expected = total * (clients / workspaces) as u64;
    println!(
        "posted {total} messages at {rate}/s ({} failed); {} deliveries recorded of {expected} expected",
        failed.load(std::sync::atomic::Ordering::Relaxed),
        h.len()
    );
    println!("delivery latency: {}", p50_p99_max(&h));
}
