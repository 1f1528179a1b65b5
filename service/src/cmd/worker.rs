//! `milkrun worker`: runs station-day planning jobs from the NATS JetStream night queue
//! against the shared store (see [`crate::night_queue`]).
//!
//! ```text
//! milkrun worker --nats URL --db postgres://... [--osm FILE] [--ack-wait-s S]
//!                [--max-attempts N]
//! ```
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::night_queue::queue::Redelivery;
use crate::night_queue::worker;

/// Options of `milkrun worker`.
#[derive(Debug, Args)]
pub struct Opts {
    /// The NATS server with JetStream (`nats://HOST:PORT`).
    #[arg(long)]
    pub nats: String,
    /// The shared store (`postgres://USER@HOST/DB`; `sqlite:FILE` for one machine).
    #[arg(long)]
    pub db: String,
    /// OSM extract the stations' roads come from, and the optimization jobs' networks (the
    /// same as serve's `--osm`; default: the shipped Liechtenstein extract).
    #[arg(long)]
    pub osm: Option<PathBuf>,
    /// A job neither acknowledged nor reported in progress within this is delivered again
    /// (applies when this worker creates the consumer), seconds.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub ack_wait_s: u64,
    /// Deliveries that may run a job before it goes to the dead-letter subject (applies
    /// when this worker creates the consumer).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,
}

/// Runs the command until SIGTERM or Ctrl-C (the job under way is finished first).
pub fn run(opts: Opts) -> anyhow::Result<()> {
    let osm = opts.osm.unwrap_or_else(crate::demo::default_osm);
    let roads = Arc::new(
        milkrun_station::road::road_engine(&osm)
            .with_context(|| format!("the roads of {}", osm.display()))?,
    );
    let redelivery = Redelivery {
        ack_wait: Duration::from_secs(opts.ack_wait_s),
        max_attempts: opts.max_attempts,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("the async runtime")?;
    runtime.block_on(async move {
        let worker = worker::open(&opts.nats, &opts.db, roads, osm, redelivery).await?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        });
        let print = |e: &worker::WorkerEvent| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{e}");
            let _ = out.flush();
        };
        worker.run(stop_rx, &print).await?;
        anyhow::Ok(())
    })
}

/// SIGTERM (Kubernetes stopping the pod) or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = term.recv() => {},
                _ = tokio::signal::ctrl_c() => {},
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
