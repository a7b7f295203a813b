//! Runs the Fluxorae server.

use std::process::ExitCode;

use domain::server::seed;
use server::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let cfg = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fluxorae: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    server::telemetry::init(cfg.log_json);
    if std::env::args().nth(1).as_deref() == Some("migrate-blocks") {
        return migrate_blocks(cfg).await;
    }
    match run(cfg).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server stopped");
            eprintln!("fluxorae: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `fluxorae migrate-blocks`: rewrites stored page documents to the current block versions.
#[allow(clippy::print_stdout)]
async fn migrate_blocks(cfg: Config) -> ExitCode {
    let services = match server::connect(&cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fluxorae: {e}");
            return ExitCode::FAILURE;
        }
    };
    match domain::server::site::editor::migrate_stored(&services.db).await {
        Ok(m) => {
            println!(
                "Migrated block documents: {} drafts, {} revisions, {} reusable blocks.",
                m.drafts, m.revisions, m.globals
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fluxorae: the block migration failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cfg: Config) -> Result<(), Box<dyn std::error::Error>> {
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .ok();
    let services = server::connect(&cfg).await?;
    domain::server::passwords::warm_up();
    if cfg.seed_demo {
        seed::seed_demo(&services)
            .await
            .map_err(|e| format!("seeding demo data failed: {e}"))?;
        print_demo_accounts(&cfg);
    }
    let app = server::router(&cfg, services, metrics);
    let listener = tokio::net::TcpListener::bind(cfg.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", cfg.addr))?;
    tracing::info!(addr = %cfg.addr, url = %cfg.base_url, "listening");
    server::serve(listener, app, server::shutdown_signal()).await?;
    tracing::info!("stopped after finishing the requests in flight");
    Ok(())
}

#[allow(clippy::print_stdout)]
fn print_demo_accounts(cfg: &Config) {
    println!("\nFluxorae is starting at {}", cfg.base_url);
    println!("Demo accounts (password for all: {}):", seed::DEMO_PASSWORD);
    for a in seed::DEMO_ACCOUNTS {
        let team = a
            .tenant_role
            .map(|r| format!(", {} of {}", r.label(), seed::DEMO_TENANT_SLUG))
            .unwrap_or_default();
        let code = if domain::two_factor::required(a.role, a.tenant_role.as_slice()) {
            ", two-factor"
        } else {
            ""
        };
        println!("  {:<32} {}{}{}", a.email, a.role.label(), team, code);
    }
    println!(
        "Two-factor demo secret: {} (add it to an authenticator app, or: oathtool --totp -b {})",
        seed::DEMO_TOTP_SECRET,
        seed::DEMO_TOTP_SECRET
    );
    println!();
}
