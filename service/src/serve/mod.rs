//! `milkrun serve`: the multi-tenant gRPC and JSON service over the library crates.
//!
//! One port serves gRPC (HTTP/2) and the JSON face (HTTP/1.1 or 2) through one axum router:
//! tonic's routes for health, reflection (v1 and v1alpha), Roads, Routes and Dispatch, merged with a
//! router per JSON area ([`json::router`], [`json::public_router`]); more areas (the OSRM and
//! VROOM faces) merge in [`app_router`]. Handlers share [`state::ServiceState`] behind an
//! `Arc`; each converts its message, calls the library on a worker thread, and converts back.
//!
//! Modules: [`config`] (tenants file), [`auth`] (credentials), [`quota`], [`workers`] (the
//! solve pool), [`call`] (what every call goes through), [`roads`], [`routes`], [`dispatch`]
//! (the live days' handlers) and [`live_days`] (the live days, persisted in the store of
//! `--db`: [`DEFAULT_DB`] by default), the batch services [`forecast`], [`customers`] and
//! [`jobs`] (jobs held in a [`job_book`] and persisted in the same store; JSON face in
//! [`batch_json`]), [`convert`] (protobuf ⇄ library types), [`json`], [`sse`] (the
//! streams on the JSON face), [`openapi`], [`metrics`], [`error`], [`proto`],
//! [`webhooks`] (the sender of the dairy outbox's webhooks, a background task of [`run`] on the
//! store of `--db`), and
//! [`client`]: the dairy layer's engine over this API (a client, used by other processes).
pub mod auth;
pub mod batch_json;
pub mod call;
pub mod client;
pub mod compat;
pub mod config;
pub mod convert;
pub mod customers;
pub mod dispatch;
pub mod error;
pub mod forecast;
pub mod job_book;
pub mod jobs;
pub mod json;
pub mod live_days;
pub mod metrics;
pub mod openapi;
pub mod proto;
pub mod quota;
pub mod road_registry;
pub mod roads;
pub mod routes;
pub mod sse;
pub mod state;
pub mod webhooks;
pub mod workers;

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::Context;
use tokio_stream::wrappers::TcpListenerStream;

use auth::Authenticator;
use config::{ServeConfig, TenantId};
pub use job_book::{JobQueue, OptimizeTerms};
use live_days::LiveDays;
use metrics::Metrics;
use milkrun_dairy::store::{Store, StoreError};
use proto::v1::{
    customers_server::CustomersServer, forecast_server::ForecastServer, jobs_server::JobsServer,
};
use proto::v1::{
    dispatch_server::DispatchServer, roads_server::RoadsServer, routes_server::RoutesServer,
};
use quota::QuotaBook;
use road_registry::RoadRegistry;
use state::{ServiceState, MAX_REQUEST_BYTES};
use workers::WorkerPool;

/// What `milkrun serve` starts with.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where gRPC and JSON are served.
    pub listen: SocketAddr,
    /// The tenants file, if any.
    pub config: Option<PathBuf>,
    /// The OSM extract.
    pub osm: PathBuf,
    /// A key for a one-tenant (`dev`, admin) setup.
    pub dev_key: Option<String>,
    /// Database URL of the live days and jobs (`sqlite:FILE` or `postgres://...`); unset:
    /// [`DEFAULT_DB`].
    pub db: Option<String>,
    /// Address of a second port serving only the OSRM and VROOM faces, as the configuration's
    /// `compat_tenant` (for clients that cannot send headers).
    pub compat_listen: Option<SocketAddr>,
    /// The job queue of `--nats`: forecast and order-plan jobs are handed to `milkrun
    /// worker`s on it, over the shared store of `db`. Unset: every job runs in this server.
    pub job_queue: Option<RemoteQueue>,
    /// The pages' time of day at start (`HH:MM[:SS]`), over the config's `app.clock_start`.
    pub app_clock_start: Option<String>,
}

/// A [`JobQueue`] being connected.
pub type Connecting = Pin<Box<dyn Future<Output = anyhow::Result<Arc<dyn JobQueue>>> + Send>>;

/// Connects a [`JobQueue`] at an address (a plain function, so the options stay `Clone`
/// and `Debug`).
pub type ConnectQueue = fn(String) -> Connecting;

/// The job queue of `serve --nats`: where it is and how to connect it (`milkrun serve` gives
/// the NATS night queue's connect; `serve` does not import the queue).
#[derive(Debug, Clone)]
pub struct RemoteQueue {
    /// Its address (a NATS server with JetStream, `nats://HOST:PORT`).
    pub url: String,
    /// Connects it at `url`.
    pub connect: ConnectQueue,
}

/// The database of the live days and jobs without `--db`: the SQLite file `milkrun-serve.db` in the
/// working directory (created when missing).
pub const DEFAULT_DB: &str = "sqlite:milkrun-serve.db";

/// The configuration from `--config` and `--dev-key` (none: no tenant, every call but health
/// and reflection is UNAUTHENTICATED).
pub fn load_config(opts: &ServeOptions) -> anyhow::Result<ServeConfig> {
    let mut config = match &opts.config {
        Some(path) => ServeConfig::load(path)?,
        None => ServeConfig::default(),
    };
    if let Some(key) = &opts.dev_key {
        anyhow::ensure!(!key.is_empty(), "--dev-key: empty key");
        let dev = TenantId("dev".into());
        anyhow::ensure!(
            config.tenants.iter().all(|t| t.id != dev),
            "--dev-key: the config already has a tenant `dev`"
        );
        config.tenants.extend(ServeConfig::dev(key).tenants);
        config.validate()?;
    }
    if let Some(start) = &opts.app_clock_start {
        anyhow::ensure!(
            milkrun_calendar::parse_time_of_day(start).is_some(),
            "--app-clock-start: `{start}` is not a time of day (HH:MM or HH:MM:SS, 00:00 to \
             23:59:59)"
        );
        config.app.clock_start = Some(start.clone());
    }
    Ok(config)
}

/// The state of a configuration over loaded roads, its live days and jobs persisted in
/// `store`.
pub fn build_state(
    config: &ServeConfig,
    roads: RoadRegistry,
    store: Store,
) -> anyhow::Result<Arc<ServiceState>> {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pool = WorkerPool::new(cpus, (cpus / 4).max(1)).context("starting the worker threads")?;
    Ok(Arc::new(ServiceState {
        auth: Authenticator::new(config),
        quotas: QuotaBook::new(config),
        roads,
        pool,
        metrics: Metrics::new(),
        jobs: job_book::JobBook::new(store.clone()),
        days: LiveDays::new(store, live_days::new_replica_id()),
    }))
}

/// Every route of the port: tonic's gRPC services and the JSON areas, in one axum router.
pub async fn app_router(state: Arc<ServiceState>) -> anyhow::Result<axum::Router> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<RoadsServer<roads::RoadsGrpc>>().await;
    health
        .set_serving::<RoutesServer<routes::RoutesGrpc>>()
        .await;
    // The batch services: Forecast, Customers, Jobs.
    health
        .set_serving::<ForecastServer<forecast::ForecastGrpc>>()
        .await;
    health
        .set_serving::<CustomersServer<customers::CustomersGrpc>>()
        .await;
    health.set_serving::<JobsServer<jobs::JobsGrpc>>().await;
    health
        .set_serving::<DispatchServer<dispatch::DispatchGrpc>>()
        .await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1().context("reflection v1")?;
    let reflection_v1alpha = reflection().build_v1alpha().context("reflection v1alpha")?;
    let roads = RoadsServer::new(roads::RoadsGrpc {
        state: Arc::clone(&state),
    })
    .max_decoding_message_size(MAX_REQUEST_BYTES);
    let routes = RoutesServer::new(routes::RoutesGrpc {
        state: Arc::clone(&state),
    })
    .max_decoding_message_size(MAX_REQUEST_BYTES);
    let batch = batch_services(&state);
    let dispatch = DispatchServer::new(dispatch::DispatchGrpc {
        state: Arc::clone(&state),
    })
    .max_decoding_message_size(MAX_REQUEST_BYTES);
    let grpc = tonic::service::Routes::new(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(roads)
        .add_service(routes)
        .add_service(batch.0)
        .add_service(batch.1)
        .add_service(batch.2)
        .add_service(dispatch)
        .into_axum_router();
    let json_routes: Vec<(&str, &str)> = json::JSON_ROUTES
        .iter()
        .chain(batch_json::JSON_ROUTES.iter())
        .chain(sse::JSON_ROUTES.iter())
        .copied()
        .collect();
    Ok(grpc
        .merge(json::router(Arc::clone(&state)))
        .merge(compat::router(Arc::clone(&state), None))
        .merge(batch_json::router(Arc::clone(&state)))
        .merge(sse::router(Arc::clone(&state)))
        .merge(json::public_router(state, &openapi::document(&json_routes))))
}

/// The gRPC servers of the batch services (Forecast, Customers, Jobs).
fn batch_services(
    state: &Arc<ServiceState>,
) -> (
    ForecastServer<forecast::ForecastGrpc>,
    CustomersServer<customers::CustomersGrpc>,
    JobsServer<jobs::JobsGrpc>,
) {
    let st = || Arc::clone(state);
    (
        ForecastServer::new(forecast::ForecastGrpc { state: st() })
            .max_decoding_message_size(MAX_REQUEST_BYTES),
        CustomersServer::new(customers::CustomersGrpc { state: st() })
            .max_decoding_message_size(MAX_REQUEST_BYTES),
        JobsServer::new(jobs::JobsGrpc { state: st() })
            .max_decoding_message_size(MAX_REQUEST_BYTES),
    )
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

/// Starts the webhook sender on `store` with the configuration's `webhooks` section, its
/// rounds counted in the metrics, until `stop` turns true.
fn spawn_webhooks(
    state: &Arc<ServiceState>,
    store: Store,
    config: &ServeConfig,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let (opts, every) = webhooks::options_of(&config.webhooks)?;
    let state = Arc::clone(state);
    let observe = move |round: Result<&webhooks::WebhookRound, &StoreError>| match round {
        Ok(r) => {
            let failed = r.retrying + r.dead;
            state.metrics.webhook_attempts.inc_by(r.attempted as u64);
            state.metrics.webhook_failures.inc_by(failed as u64);
            if r.attempted > 0 {
                tracing::info!(
                    attempted = r.attempted,
                    delivered = r.delivered,
                    retrying = r.retrying,
                    dead = r.dead,
                    "webhook round"
                );
            }
        }
        Err(e) => {
            state.metrics.webhook_errors.inc();
            tracing::warn!(error = %e, "a webhook round failed; the next one tries again");
        }
    };
    tracing::info!(every_s = every.as_secs(), "webhook sender started");
    Ok(tokio::spawn(webhooks::run_webhooks(
        store, opts, every, stop, observe,
    )))
}

/// Renews this replica's live-day leases every [`live_days::RENEW_EVERY`] until `stop`, and
/// keeps the open-days gauge to the days it runs (a day taken over from a dead replica
/// counts here, one taken by another replica leaves).
async fn renew_leases(state: Arc<ServiceState>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut every = tokio::time::interval(live_days::RENEW_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        let held = state.days.renew().await;
        state.metrics.live_days.set(held as i64);
    }
}

/// Takes over the open days whose lease lapsed every `every` until `stop` (see
/// [`LiveDays::sweep`](live_days::LiveDays::sweep)), keeping the open-days gauge.
async fn sweep_days(
    state: Arc<ServiceState>,
    tenants: Vec<TenantId>,
    every: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        if state.days.sweep(&tenants).await > 0 {
            state.metrics.live_days.set(state.days.held() as i64);
        }
    }
}

/// Loads the roads, opens the store and restores its open live days and its jobs, binds, prints
/// `listening on <addr>`, starts the webhook sender on the same store (unless the config's
/// `webhooks.enabled` is false) and serves until SIGTERM or Ctrl-C, which stop the ports and
/// the sender.
pub fn run(opts: ServeOptions) -> anyhow::Result<()> {
    let config = load_config(&opts)?;
    let roads = RoadRegistry::load(&opts.osm)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let compat_identity = match opts.compat_listen {
        Some(_) => Some(auth::Identity {
            tenant: config.compat_tenant().context(
                "--compat-listen needs a tenant: set `compat_tenant` in the config, or use \
                 --dev-key alone",
            )?,
            role: auth::Role::Dispatcher(auth::Stations::All),
        }),
        None => None,
    };
    runtime.block_on(async move {
        let db = opts.db.as_deref().unwrap_or(DEFAULT_DB);
        let store = Store::open(db)
            .await
            .with_context(|| format!("opening the live-day store {db}"))?;
        let webhook_store = store.clone();
        let app_store = store.clone();
        let state = build_state(&config, roads, store)?;
        if let Some(remote) = &opts.job_queue {
            let queue = (remote.connect)(remote.url.clone())
                .await
                .with_context(|| format!("--nats {}", remote.url))?;
            state.jobs.use_queue(queue)?;
            tracing::info!(nats = %remote.url, "forecast and order-plan jobs go to the workers");
        }
        let tenants: Vec<TenantId> = config.tenants.iter().map(|t| t.id.clone()).collect();
        let restored = state.days.restore(&tenants).await?;
        state.metrics.live_days.set(restored as i64);
        tracing::info!(
            restored,
            replica = state.days.replica(),
            "live days restored"
        );
        let jobs = jobs::restore(&state, &tenants).await?;
        tracing::info!(
            finished = jobs.finished,
            requeued = jobs.requeued,
            ended = jobs.ended,
            "jobs restored"
        );
        let mut pages =
            crate::app::AppState::new(app_store, opts.dev_key.clone(), Arc::clone(&state))
                .context("starting the pages' session keys")?;
        pages.session_s = config.app.session_s;
        if let Some(start) = config.app.clock_start.as_deref() {
            let second = milkrun_calendar::parse_time_of_day(start)
                .with_context(|| format!("app.clock_start: `{start}` is not a time of day"))?;
            pages.clock = crate::app::AppClock::starting_at(second);
            tracing::info!(start, "the pages' clock starts at this time of day");
        }
        let router = app_router(Arc::clone(&state))
            .await?
            .merge(crate::app::router(Arc::new(pages)));
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .with_context(|| format!("cannot listen on {}", opts.listen))?;
        let addr = listener.local_addr()?;
        let compat = match (opts.compat_listen, compat_identity) {
            (Some(at), Some(identity)) => {
                let l = tokio::net::TcpListener::bind(at)
                    .await
                    .with_context(|| format!("cannot listen on {at} (--compat-listen)"))?;
                Some((l, identity))
            }
            _ => None,
        };
        tracing::info!(%addr, tenants = config.tenants.len(), "serving");
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {addr}")?;
        if let Some((l, identity)) = &compat {
            writeln!(
                out,
                "compat faces on {} as tenant {}",
                l.local_addr()?,
                identity.tenant
            )?;
        }
        out.flush()?;
        drop(out);
        // One signal stops both ports.
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        });
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let lease_task = tokio::spawn(renew_leases(Arc::clone(&state), stop_rx.clone()));
        let sweep_task = tokio::spawn(sweep_days(
            Arc::clone(&state),
            tenants.clone(),
            std::time::Duration::from_millis(config.live_days.sweep_ms),
            stop_rx.clone(),
        ));
        let webhook_task = config
            .webhooks
            .enabled
            .then(|| spawn_webhooks(&state, webhook_store, &config, stop_rx.clone()))
            .transpose()?;
        let compat_task = compat.map(|(l, identity)| {
            let faces = compat::router(Arc::clone(&state), Some(identity));
            let stop = stopped(stop_rx.clone());
            tokio::spawn(async move { axum::serve(l, faces).with_graceful_shutdown(stop).await })
        });
        tonic::transport::Server::builder()
            .accept_http1(true)
            .add_routes(tonic::service::Routes::from(router))
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stopped(stop_rx))
            .await
            .context("serving")?;
        if let Some(task) = compat_task {
            task.await
                .context("the compat port's task")?
                .context("serving the compat port")?;
        }
        if let Some(task) = webhook_task {
            task.await.context("the webhook sender's task")?;
        }
        lease_task.await.context("the live-day lease task")?;
        sweep_task.await.context("the live-day sweep task")?;
        match state.days.release().await {
            Ok(n) => tracing::info!(released = n, "live-day leases released"),
            Err(e) => tracing::warn!(error = %e, "live-day leases not released; they lapse"),
        }
        state.pool.close();
        Ok(())
    })
}
