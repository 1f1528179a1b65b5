//! Load benchmark of `milkrun serve` (issue #20), release build:
//!
//! ```text
//! cargo build --release -p milkrun-service --bin milkrun
//! cargo run --release -p milkrun-bench --bin serve_load -- --milkrun target/release/milkrun \
//!     [--clients 16] [--seconds 10] [--calls 2000]
//! ```
//!
//! It starts the built `milkrun` binary as a process (this crate never depends on
//! `milkrun-service`; see ARCHITECTURE.md) with a one-tenant config whose rate quota is out of
//! the way, and talks to its JSON face over loopback with a minimal HTTP/1.1 keep-alive client
//! on tokio's `TcpStream`:
//!
//! 1. **Layers** (one connection, `--calls` sequential calls each): a call without credentials
//!    (401: HTTP, the router and the auth layer), and an
//!    authenticated `Forecast/CheckStock` of one tiny item (200: plus quota, JSON, the worker
//!    pool's hand-off and the work), against the same stock check run in-process through
//!    `milkrun-forecast`. The differences are the layers' cost, reported as a fraction of 1 ms.
//! 2. **Overload**: `--clients` connections send `Forecast/ForecastDemand` (automatic model,
//!    four daily series) back to back for `--seconds`; the batch lane has fewer CPU permits
//!    than clients, so calls that find no permit soon are shed with 429
//!    RESOURCE_EXHAUSTED. Reported: answers per class with their latency as the clients see
//!    it, and the server's own time to each shed answer from its `/metrics` histogram.
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use milkrun_bench::serve_client::{key_hash, summary, Conn, Server};
use milkrun_forecast::ordering::{check_stock, project, LocationId, Lot, ProductId, StockCheck};

#[derive(Debug, Parser)]
struct Opts {
    /// The `milkrun` binary to start.
    #[arg(long, default_value = "target/release/milkrun")]
    milkrun: PathBuf,
    /// Concurrent connections of the overload phase.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Length of the overload phase, seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Sequential calls per kind in the layers phase.
    #[arg(long, default_value_t = 2000)]
    calls: usize,
}

const KEY: &str = "bench-key";

fn start(opts: &Opts) -> anyhow::Result<Server> {
    let config = format!(
        r#"{{"tenants": [{{"id": "bench", "api_keys": [{{"sha256": "{}", "role": "admin"}}],
            "quotas": {{"requests_per_second": 1000000, "burst": 1000000,
                        "concurrent_solves": 1000}}}}]}}"#,
        key_hash(KEY)
    );
    let db = std::env::temp_dir().join(format!("milkrun-serve-load-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let url = format!("sqlite:{}", db.display());
    Server::start(&opts.milkrun, "serve-load", &config, &["--db", &url])
}

const STOCK_BODY: &str = r#"{"items": [{"id": "milk", "dailyMean": [10, 10, 10, 10, 10],
    "onHand": [{"quantity": 100, "sellableDays": 2}], "horizonDays": 1}]}"#;

async fn timed(
    conn: &mut Conn,
    calls: usize,
    path: &str,
    key: Option<&str>,
    body: &str,
    want: u16,
) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        let (status, text) = conn.post(path, key, body).await?;
        out.push(t.elapsed().as_secs_f64() * 1e3);
        if status != want {
            bail!("{path}: {status} {text}");
        }
    }
    Ok(out)
}

fn in_process(calls: usize) -> anyhow::Result<Vec<f64>> {
    let daily = [10.0; 5];
    let lots = [Lot {
        quantity: 100.0,
        sellable_days: 2,
    }];
    let mut out = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        let alerts = check_stock(&StockCheck {
            product: ProductId(0),
            location: LocationId(0),
            daily_mean: &daily,
            on_hand: &lots,
            on_order: &[],
            reorder_point: 0.0,
            horizon_days: 1,
        })?;
        let p = project(&daily, daily.len(), &lots, &[]);
        std::hint::black_box((alerts, p));
        out.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(out)
}

fn forecast_body() -> String {
    let series: Vec<String> = (0..4)
        .map(|k| {
            let values: Vec<String> = (0..364)
                .map(|i| format!("{}", 20 + k + (i * 7 + k * 3) % 11))
                .collect();
            format!(
                r#"{{"id": "s{k}", "startDate": "2025-01-06", "values": [{}]}}"#,
                values.join(",")
            )
        })
        .collect();
    format!(
        r#"{{"series": [{}], "frequency": "FREQUENCY_DAILY", "horizon": 14}}"#,
        series.join(",")
    )
}

async fn overload(addr: &str, clients: usize, seconds: u64) -> anyhow::Result<()> {
    let body = std::sync::Arc::new(forecast_body());
    let stop = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let addr = addr.to_string();
        let body = std::sync::Arc::clone(&body);
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await?;
            let mut served = Vec::new();
            let mut shed = Vec::new();
            let mut other = Vec::new();
            while Instant::now() < stop {
                let t = Instant::now();
                let (status, text) = conn
                    .post("/v1/forecast:forecastDemand", Some(KEY), &body)
                    .await?;
                let ms = t.elapsed().as_secs_f64() * 1e3;
                match status {
                    200 => served.push(ms),
                    429 if text.contains("server busy") => shed.push(ms),
                    _ => other.push((status, text)),
                }
            }
            anyhow::Ok((served, shed, other))
        }));
    }
    let (mut served, mut shed, mut other) = (Vec::new(), Vec::new(), Vec::new());
    for t in tasks {
        let (a, b, c) = t.await??;
        served.extend(a);
        shed.extend(b);
        other.extend(c);
    }
    let total = served.len() + shed.len() + other.len();
    println!(
        "overload: {clients} clients for {seconds} s: {total} answers, {} served, {} shed, {} other",
        served.len(),
        shed.len(),
        other.len()
    );
    summary("  served (200)", served);
    summary("  shed (429 RESOURCE_EXHAUSTED, server busy)", shed);
    if let Some((status, text)) = other.first() {
        println!("  first other answer: {status} {text}");
    }
    let (status, text) = Conn::open(addr).await?.get("/metrics").await?;
    anyhow::ensure!(status == 200, "GET /metrics answered {status}");
    server_shed(&text)
}

/// The server's own view of its shed answers, from the `milkrun_shed_seconds` histogram of
/// `/metrics` (from a call's start, its request read, to its answer; bucket bounds, so each
/// quantile is an upper bound).
fn server_shed(metrics: &str) -> anyhow::Result<()> {
    let mut buckets: Vec<(f64, f64)> = Vec::new();
    for line in metrics.lines() {
        let Some(rest) = line.strip_prefix("milkrun_shed_seconds_bucket{le=\"") else {
            continue;
        };
        let (le, count) = rest.split_once("\"} ").context("a bucket line")?;
        let le = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse()?
        };
        buckets.push((le, count.trim().parse()?));
    }
    let total = buckets.last().map_or(0.0, |b| b.1);
    if total == 0.0 {
        println!("  server side: no shed answer recorded");
        return Ok(());
    }
    let upper = |q: f64| {
        buckets
            .iter()
            .find(|b| b.1 >= q * total)
            .map_or(f64::INFINITY, |b| b.0 * 1e3)
    };
    let within = |ms: f64| {
        buckets
            .iter()
            .filter(|b| b.0 * 1e3 <= ms)
            .map(|b| b.1)
            .fold(0.0, f64::max)
    };
    println!(
        "  server side (/metrics, request read to answer): n={total}  p50 <= {:.1} ms  p99 <= {:.1} ms  \
         max bucket <= {:.1} ms  within 6.4 ms: {:.2}%",
        upper(0.5),
        upper(0.99),
        upper(1.0),
        within(6.4) * 100.0 / total
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let opts = Opts::parse();
    let server = start(&opts)?;
    let addr = server.addr.clone();
    println!("server {} on {addr}", opts.milkrun.display());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut conn = Conn::open(&addr).await?;
        // Warm-up.
        timed(
            &mut conn,
            200,
            "/v1/forecast:checkStock",
            Some(KEY),
            STOCK_BODY,
            200,
        )
        .await?;
        let n = opts.calls;
        let p401 = summary(
            "no key (401: + auth)",
            timed(
                &mut conn,
                n,
                "/v1/forecast:checkStock",
                None,
                STOCK_BODY,
                401,
            )
            .await?,
        );
        let p200 = summary(
            "checkStock (200: + quota, JSON, pool, work)",
            timed(
                &mut conn,
                n,
                "/v1/forecast:checkStock",
                Some(KEY),
                STOCK_BODY,
                200,
            )
            .await?,
        );
        let work = summary("the same stock check in-process", in_process(n)?);
        println!(
            "layers over the in-process work: {:.3} ms = {:.0}% of 1 ms (a refused call, HTTP \
             round trip + router + auth: {:.3} ms)",
            p200 - work,
            (p200 - work) * 100.0,
            p401
        );
        overload(&addr, opts.clients, opts.seconds).await
    })
}
