//! `milkrun serve`: the gRPC and JSON service.
//!
//! ```text
//! milkrun serve [--listen ADDR] [--config FILE] [--db URL] [--osm FILE] [--dev-key KEY]
//!               [--compat-listen ADDR] [--nats URL] [--app-clock-start HH:MM[:SS]]
//! ```
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use crate::serve::{self, ServeOptions};

fn address(s: &str) -> Result<SocketAddr, String> {
    s.parse::<SocketAddr>()
        .map_err(|e| format!("`{s}` is not an address like 127.0.0.1:50051 or [::1]:50051: {e}"))
}

/// Options of `milkrun serve`.
#[derive(Debug, Args)]
pub struct Opts {
    /// Address of the gRPC and JSON port (port 0: any free port; the line `listening on
    /// ADDR` on standard output says which).
    #[arg(long, default_value = "127.0.0.1:50051", value_parser = address)]
    pub listen: SocketAddr,
    /// Tenants file (JSON: tenants with sha256-hashed API keys, roles, a JWT secret, quotas).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Database of the live days, the jobs and the dairy data of the pages (`/app/`):
    /// `sqlite:FILE` or a plain FILE path (created when missing), or
    /// `postgres://USER@HOST/DB`. Default: the SQLite file `milkrun-serve.db` in the working
    /// directory. Open days are restored from it at start. `--db milkrun-demo/milkrun.db`
    /// serves what `milkrun demo` wrote.
    #[arg(long)]
    pub db: Option<String>,
    /// OSM extract (default: the shipped Liechtenstein extract).
    #[arg(long)]
    pub osm: Option<PathBuf>,
    /// Start one tenant `dev` (admin) with this API key, for trying the service out.
    #[arg(long)]
    pub dev_key: Option<String>,
    /// Address of a second port (keep it on loopback) serving only the OSRM and VROOM faces,
    /// without credentials, as the config's `compat_tenant` (`dev` with --dev-key alone): for
    /// clients that cannot send headers. The main port serves the same faces with credentials.
    #[arg(long, value_parser = address)]
    pub compat_listen: Option<SocketAddr>,
    /// NATS server with JetStream (`nats://HOST:PORT`): forecast and order-plan jobs go to
    /// `milkrun worker`s on its night queue (give --db a PostgreSQL shared with them).
    /// Without it every job runs in this server.
    #[arg(long)]
    pub nats: Option<String>,
    /// The pages' time of day when the server starts (`HH:MM` or `HH:MM:SS`), running at the
    /// wall clock's speed: "now" for the couriers' reports, the customers' cut-off and the
    /// station's controls. `--app-clock-start 05:00` plays the demo's morning at any hour.
    /// Without it (and without the config's `app.clock_start`): the wall clock's time of
    /// day (UTC).
    #[arg(long)]
    pub app_clock_start: Option<String>,
}

/// Runs the command.
pub fn run(opts: Opts) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    serve::run(ServeOptions {
        listen: opts.listen,
        config: opts.config,
        osm: opts.osm.unwrap_or_else(crate::demo::default_osm),
        dev_key: opts.dev_key,
        db: opts.db.as_deref().map(db_url).transpose()?,
        compat_listen: opts.compat_listen,
        job_queue: opts.nats.map(|url| serve::RemoteQueue {
            url,
            connect: crate::night_queue::queue::connect_job_queue,
        }),
        app_clock_start: opts.app_clock_start,
    })
}

/// The database URL of `--db`: a URL as given, a plain path as `sqlite:PATH`.
pub fn db_url(db: &str) -> anyhow::Result<String> {
    if ["sqlite:", "postgres:", "postgresql:"]
        .iter()
        .any(|p| db.starts_with(p))
    {
        return Ok(db.to_string());
    }
    // sqlx reads `?` as the start of the URL's options.
    anyhow::ensure!(
        !db.is_empty() && !db.contains('?') && !db.contains('#'),
        "--db: `{db}` is neither a database URL nor a file path without `?` or `#`"
    );
    Ok(format!("sqlite:{db}"))
}
