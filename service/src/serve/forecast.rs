//! The Forecast service: demand forecasts, the perishable order plan and stock checks. Each
//! call is checked and converted here into `milkrun-forecast` types ([`check_forecast`],
//! [`check_orders`], [`check_stock`]), run on a batch worker thread ([`run_forecast`],
//! [`run_orders`]) and converted back. The Jobs service runs the same checked work.
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use milkrun_forecast::control::{Control, Progress, Stopped};
use milkrun_forecast::demand::{
    self, Date, ForecastConfig, ForecastError, Frequency, ModelChoice, Series, MAX_HORIZON,
    MAX_SEASON_LENGTH,
};
use milkrun_forecast::ordering::{
    self, Alert, AlertReason, Costs, Demand, Incoming, LocationId, Lot, MonteCarlo, OrderItem,
    OrderingError, PackRule, ProductId, ReviewParams, SharedLimits, StockCheck,
};
use tonic::{Request, Response, Status};

use super::call::{grpc_unary, run_limit, CallCtx, CancelOnDrop};
use super::error::{ServiceError, Violations};
use super::proto::v1 as pb;
use super::state::ServiceState;
use super::workers::Lane;

/// Most series of one forecast request.
pub const MAX_SERIES: usize = 1_000;
/// Most history values of one forecast request, all series together.
pub const MAX_VALUES: usize = 1_000_000;
/// Most numbers of one forecast answer: series × horizon × (levels + 1).
pub const MAX_OUTPUT_CELLS: usize = 2_000_000;
/// Most quantile levels of one forecast request.
pub const MAX_LEVELS: usize = 19;
/// Most items of one order plan or stock check.
pub const MAX_ITEMS: usize = 1_000;
/// Most demand days of one order plan or stock check, all items together.
pub const MAX_DAYS: usize = 400_000;
/// Most stock lots (on hand and on order) of one order plan or stock check.
pub const MAX_LOTS: usize = 100_000;
/// Longest caller id (series, item, customer, request id), bytes.
pub const MAX_ID_BYTES: usize = 128;

/// A progress observer of a run: units done and in all (the Jobs service's progress).
pub type Report = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// The run's time limit: the requested one (0: the tenant's longest), at most the tenant's
/// longest, and with a caller's deadline at most the time left minus the call's margin
/// ([`run_limit`]).
pub fn time_limit(asked: f64, max_s: f64, ctx: Option<&CallCtx>) -> Result<Duration, ServiceError> {
    run_limit(asked, max_s, ctx, "run").map(|(limit, _)| limit)
}

/// The library's control of a run.
pub fn control(limit: Duration, cancel: Arc<AtomicBool>, report: Option<Report>) -> Control {
    Control {
        time_limit: Some(limit),
        cancel: Some(cancel),
        progress: report.map(|r| -> milkrun_forecast::control::ProgressFn {
            Arc::new(move |p: Progress| r(p.done as u64, p.total as u64))
        }),
    }
}

/// A stopped run as the service's error (the Jobs service looks at its cancel flag first).
pub fn stopped(s: Stopped, what: &str) -> ServiceError {
    match s {
        Stopped::TimeLimit => ServiceError::DeadlineExceeded(format!(
            "the time limit ended the {what} (no partial answer)"
        )),
        _ => ServiceError::Internal(format!("the {what} was cancelled")),
    }
}

fn check_id(v: &mut Violations, field: String, id: &str) {
    if id.len() > MAX_ID_BYTES {
        v.add(field, format!("{} bytes, at most {MAX_ID_BYTES}", id.len()));
    }
}

fn frequency(value: i32) -> Result<Frequency, ServiceError> {
    Ok(match pb::Frequency::try_from(value) {
        Ok(pb::Frequency::Unspecified | pb::Frequency::Daily) => Frequency::Daily,
        Ok(pb::Frequency::Hourly) => Frequency::Hourly,
        Ok(pb::Frequency::Weekly) => Frequency::Weekly,
        Ok(pb::Frequency::Monthly) => Frequency::Monthly,
        Ok(pb::Frequency::Quarterly) => Frequency::Quarterly,
        Ok(pb::Frequency::Yearly) => Frequency::Yearly,
        Err(_) => {
            return Err(ServiceError::invalid(
                "frequency",
                format!("{value} is not a frequency"),
            ))
        }
    })
}

/// A checked forecast request.
#[derive(Debug)]
pub struct DemandWork {
    series: Vec<Series>,
    config: ForecastConfig,
    /// The run's time limit.
    pub time_limit: Duration,
}

impl DemandWork {
    /// Units of progress (series).
    pub fn units(&self) -> u64 {
        self.series.len() as u64
    }
}

/// Checks a forecast request and builds the validated series; every size is checked before
/// anything is allocated for it.
pub fn check_forecast(
    req: pb::ForecastDemandRequest,
    max_s: f64,
    ctx: Option<&CallCtx>,
) -> Result<DemandWork, ServiceError> {
    if req.series.is_empty() || req.series.len() > MAX_SERIES {
        return Err(ServiceError::invalid(
            "series",
            format!("{} series, 1 to {MAX_SERIES} accepted", req.series.len()),
        ));
    }
    let values: usize = req.series.iter().map(|s| s.values.len()).sum();
    if values > MAX_VALUES {
        return Err(ServiceError::invalid(
            "series",
            format!("{values} values in all, at most {MAX_VALUES}"),
        ));
    }
    let horizon = usize::try_from(req.horizon)
        .ok()
        .filter(|h| (1..=MAX_HORIZON).contains(h))
        .ok_or_else(|| {
            ServiceError::invalid(
                "horizon",
                format!("{} steps, 1 to {MAX_HORIZON} accepted", req.horizon),
            )
        })?;
    if req.quantile_levels.len() > MAX_LEVELS {
        return Err(ServiceError::invalid(
            "quantile_levels",
            format!("{} levels, at most {MAX_LEVELS}", req.quantile_levels.len()),
        ));
    }
    let levels = if req.quantile_levels.is_empty() {
        vec![0.1, 0.5, 0.9]
    } else {
        req.quantile_levels.clone()
    };
    let cells = req
        .series
        .len()
        .checked_mul(horizon)
        .and_then(|n| n.checked_mul(levels.len() + 1));
    if cells.is_none_or(|c| c > MAX_OUTPUT_CELLS) {
        return Err(ServiceError::invalid(
            "horizon",
            format!(
                "{} series x {horizon} steps x {} numbers is more than the {MAX_OUTPUT_CELLS} an \
                 answer may hold",
                req.series.len(),
                levels.len() + 1
            ),
        ));
    }
    let freq = frequency(req.frequency)?;
    let mut config = ForecastConfig::new(horizon, levels);
    if !req.model.is_empty() {
        config.model = ModelChoice::parse(&req.model).ok_or_else(|| {
            ServiceError::invalid("model", format!("unknown model `{}`", req.model))
        })?;
    }
    config.season_length = match usize::try_from(req.season_length) {
        Ok(0) => None,
        Ok(m) if m <= MAX_SEASON_LENGTH => Some(m),
        _ => {
            return Err(ServiceError::invalid(
                "season_length",
                format!("{}: 0 to {MAX_SEASON_LENGTH} accepted", req.season_length),
            ))
        }
    };
    config.seed = req.seed;
    if req.max_history > 0 {
        config.max_history = Some(req.max_history as usize);
    }
    config.validate().map_err(|e| match e {
        ForecastError::Config { field, reason } => ServiceError::invalid(
            if field == "levels" {
                "quantile_levels"
            } else {
                field
            },
            reason,
        ),
        other => ServiceError::invalid("request", other.to_string()),
    })?;
    let limit = time_limit(req.time_limit_s, max_s, ctx)?;
    let mut v = Violations::default();
    let mut series = Vec::with_capacity(req.series.len());
    for (k, s) in req.series.into_iter().enumerate() {
        if v.is_full() {
            break;
        }
        check_id(&mut v, format!("series[{k}].id"), &s.id);
        let start = match Date::parse_iso(&s.start_date) {
            Ok(d) => d,
            Err(e) => {
                v.add(format!("series[{k}].start_date"), e.to_string());
                continue;
            }
        };
        match Series::new(s.id, start, freq, s.values) {
            Ok(s) => series.push(s),
            Err(e @ ForecastError::Frequency { .. }) => {
                v.add(format!("series[{k}].start_date"), e.to_string())
            }
            Err(e) => v.add(format!("series[{k}].values"), e.to_string()),
        }
    }
    v.into_result()?;
    Ok(DemandWork {
        series,
        config,
        time_limit: limit,
    })
}

/// Runs a checked forecast on the calling (worker) thread.
pub fn run_forecast(
    work: DemandWork,
    cancel: Arc<AtomicBool>,
    report: Option<Report>,
) -> Result<pb::ForecastDemandResponse, ServiceError> {
    let control = control(work.time_limit, cancel, report);
    let forecasts =
        demand::forecast_panel_with(&work.series, &work.config, &control).map_err(|e| match e {
            ForecastError::Stopped(s) => stopped(s, "forecast"),
            ForecastError::TooShort { ref series, .. }
            | ForecastError::EmptySeries { ref series } => {
                let k = work
                    .series
                    .iter()
                    .position(|s| s.id() == series)
                    .unwrap_or(0);
                ServiceError::invalid(format!("series[{k}].values"), e.to_string())
            }
            other => ServiceError::invalid("series", other.to_string()),
        })?;
    Ok(pb::ForecastDemandResponse {
        quantile_levels: work.config.levels.clone(),
        forecasts: work
            .series
            .iter()
            .zip(forecasts)
            .map(|(s, f)| pb::SeriesForecast {
                id: s.id().to_string(),
                model: f.model.to_string(),
                steps: f
                    .mean
                    .iter()
                    .zip(f.quantiles)
                    .enumerate()
                    .map(|(j, (mean, quantiles))| pb::ForecastStep {
                        date: s.stamp_at(s.len() + j).to_string(),
                        mean: *mean,
                        quantiles,
                    })
                    .collect(),
            })
            .collect(),
    })
}

fn lots(on_hand: &[pb::StockLot]) -> Vec<Lot> {
    on_hand
        .iter()
        .map(|l| Lot {
            quantity: l.quantity,
            sellable_days: l.sellable_days,
        })
        .collect()
}

fn incoming(on_order: &[pb::IncomingStock]) -> Vec<Incoming> {
    on_order
        .iter()
        .map(|o| Incoming {
            quantity: o.quantity,
            arrives_in_days: o.arrives_in_days,
            sellable_days: o.sellable_days,
        })
        .collect()
}

/// The field an ordering error names, if any.
fn ordering_field(e: &OrderingError) -> Option<&str> {
    match e {
        OrderingError::NotFinite { field, .. }
        | OrderingError::Negative { field, .. }
        | OrderingError::NotPositive { field, .. }
        | OrderingError::BadQuantileLevel { field, .. }
        | OrderingError::QuantilesNotMonotone { field, .. }
        | OrderingError::LengthMismatch { field, .. }
        | OrderingError::ZeroShelfLife { field }
        | OrderingError::ForecastTooShort { field, .. }
        | OrderingError::Invalid { field, .. } => Some(field),
        _ => None,
    }
}

/// An ordering error about item `k` (or the request when `k` is `None`).
fn ordering_error(k: Option<usize>, e: &OrderingError) -> ServiceError {
    match (k, e) {
        (_, OrderingError::Item { index, source }) => ordering_error(Some(*index), source),
        (_, OrderingError::Stopped(s)) => stopped(*s, "order plan"),
        (_, OrderingError::Solver(_)) => ServiceError::Internal(e.to_string()),
        (Some(k), e) => match ordering_field(e) {
            Some(f) => ServiceError::invalid(format!("items[{k}].{f}"), e.to_string()),
            None => ServiceError::invalid(format!("items[{k}]"), e.to_string()),
        },
        (None, e) => ServiceError::invalid(ordering_field(e).unwrap_or("items"), e.to_string()),
    }
}

/// Records an ordering error about item `k` as violations.
fn add_violations(v: &mut Violations, k: usize, e: &OrderingError) {
    match ordering_error(Some(k), e) {
        ServiceError::Invalid { violations, .. } => {
            for x in violations {
                v.add(x.field, x.description);
            }
        }
        other => v.add(format!("items[{k}]"), other.to_string()),
    }
}

fn check_sizes(items: usize, days: usize, lots: usize) -> Result<(), ServiceError> {
    if items == 0 || items > MAX_ITEMS {
        return Err(ServiceError::invalid(
            "items",
            format!("{items} items, 1 to {MAX_ITEMS} accepted"),
        ));
    }
    if days > MAX_DAYS {
        return Err(ServiceError::invalid(
            "items",
            format!("{days} demand days in all, at most {MAX_DAYS}"),
        ));
    }
    if lots > MAX_LOTS {
        return Err(ServiceError::invalid(
            "items",
            format!("{lots} stock lots in all, at most {MAX_LOTS}"),
        ));
    }
    Ok(())
}

fn day_demand(d: &pb::DayDemand) -> Result<Demand, OrderingError> {
    if d.quantile_levels.len() >= 2 || !d.quantile_values.is_empty() {
        Demand::quantiles(&d.quantile_levels, &d.quantile_values)
    } else if let Some(sd) = d.sd {
        Demand::normal(d.mean, sd)
    } else {
        Demand::poisson(d.mean)
    }
}

/// A checked order plan.
#[derive(Debug)]
pub struct OrdersWork {
    ids: Vec<String>,
    items: Vec<OrderItem>,
    limits: SharedLimits,
    /// The run's time limit.
    pub time_limit: Duration,
}

impl OrdersWork {
    /// Units of progress (items).
    pub fn units(&self) -> u64 {
        self.items.len() as u64
    }
}

/// Checks an order-plan request and converts it.
pub fn check_orders(
    req: pb::PlanOrdersRequest,
    max_s: f64,
    ctx: Option<&CallCtx>,
) -> Result<OrdersWork, ServiceError> {
    let days = req.items.iter().map(|i| i.daily.len()).sum();
    let nlots = req
        .items
        .iter()
        .map(|i| i.on_hand.len() + i.on_order.len())
        .sum();
    check_sizes(req.items.len(), days, nlots)?;
    for (name, v) in [("capacity", req.capacity), ("budget", req.budget)] {
        if let Some(x) = v.filter(|x| !(x.is_finite() && *x >= 0.0)) {
            return Err(ServiceError::invalid(
                name,
                format!("{x} is not a finite amount of 0 or more"),
            ));
        }
    }
    let limit = time_limit(req.time_limit_s, max_s, ctx)?;
    let mut v = Violations::default();
    let mut ids = Vec::with_capacity(req.items.len());
    let mut items = Vec::with_capacity(req.items.len());
    for (k, it) in req.items.iter().enumerate() {
        if v.is_full() {
            break;
        }
        check_id(&mut v, format!("items[{k}].id"), &it.id);
        let mut daily = Vec::with_capacity(it.daily.len());
        for (d, day) in it.daily.iter().enumerate() {
            match day_demand(day) {
                Ok(x) => daily.push(x),
                Err(e) => v.add(format!("items[{k}].daily[{d}]"), e.to_string()),
            }
        }
        let item = (|| -> Result<OrderItem, OrderingError> {
            let costs =
                Costs::from_prices(it.unit_cost, it.price, it.salvage, it.shortage_penalty)?;
            let pack = PackRule::new(it.pack_size.unwrap_or(1.0), it.min_order)?;
            let params = ReviewParams {
                lead_time_days: it.lead_time_days.unwrap_or(1),
                review_days: it.review_days.unwrap_or(1),
                shelf_life_days: it.shelf_life_days,
                costs,
                pack,
                monte_carlo: MonteCarlo {
                    seed: req.seed ^ k as u64,
                    ..MonteCarlo::default()
                },
            };
            params.validate()?;
            Ok(OrderItem {
                product: ProductId(u32::try_from(k).unwrap_or(u32::MAX)),
                location: LocationId(0),
                daily: Vec::new(),
                on_hand: lots(&it.on_hand),
                on_order: incoming(&it.on_order),
                params,
                unit_cost: it.unit_cost,
                volume: it.volume.unwrap_or(1.0),
            })
        })();
        match item {
            Ok(mut item) => {
                item.daily = daily;
                items.push(item);
            }
            Err(e) => add_violations(&mut v, k, &e),
        }
        ids.push(it.id.clone());
    }
    v.into_result()?;
    Ok(OrdersWork {
        ids,
        items,
        limits: SharedLimits {
            capacity: req.capacity,
            budget: req.budget,
        },
        time_limit: limit,
    })
}

fn alert(a: &Alert) -> pb::StockAlert {
    let (kind, expires_on_day) = match a.reason {
        AlertReason::BelowReorderPoint { .. } => (pb::StockAlertKind::BelowReorderPoint, 0),
        AlertReason::ExpiresBeforeSold { expires_on_day } => {
            (pb::StockAlertKind::ExpiresBeforeSold, expires_on_day)
        }
    };
    pb::StockAlert {
        kind: kind.into(),
        quantity: a.quantity,
        expires_on_day,
        message: a.reason.to_string(),
    }
}

/// Runs a checked order plan on the calling (worker) thread.
pub fn run_orders(
    work: OrdersWork,
    cancel: Arc<AtomicBool>,
    report: Option<Report>,
) -> Result<pb::PlanOrdersResponse, ServiceError> {
    let control = control(work.time_limit, cancel, report);
    let plans = ordering::plan_orders_with(&work.items, &work.limits, &control)
        .map_err(|e| ordering_error(None, &e))?;
    Ok(pb::PlanOrdersResponse {
        items: work
            .ids
            .into_iter()
            .zip(plans)
            .map(|(id, p)| pb::ItemPlan {
                id,
                order: p.order,
                unconstrained_order: p.decision.order_quantity,
                order_up_to: p.decision.order_up_to,
                safety_stock: p.decision.safety_stock,
                usable_position: p.decision.usable_position,
                expiring_stock: p.decision.expiring_stock,
                reorder_point: p.reorder_point,
                expected_fill_rate: p.expected_fill_rate,
                expected_cost: p.expected_cost,
                alerts: p.alerts.iter().map(alert).collect(),
            })
            .collect(),
    })
}

/// Checks stock: per item the projection over its days and the alerts. Cheap (linear in the
/// days and lots), so it runs in full once the sizes are checked.
pub fn check_stock(req: &pb::CheckStockRequest) -> Result<pb::CheckStockResponse, ServiceError> {
    let days = req.items.iter().map(|i| i.daily_mean.len()).sum();
    let nlots = req
        .items
        .iter()
        .map(|i| i.on_hand.len() + i.on_order.len())
        .sum();
    check_sizes(req.items.len(), days, nlots)?;
    let mut v = Violations::default();
    let mut out = Vec::with_capacity(req.items.len());
    for (k, it) in req.items.iter().enumerate() {
        if v.is_full() {
            break;
        }
        check_id(&mut v, format!("items[{k}].id"), &it.id);
        if it.daily_mean.len() > ordering::MAX_PLAN_DAYS as usize {
            v.add(
                format!("items[{k}].daily_mean"),
                format!(
                    "{} days, at most {}",
                    it.daily_mean.len(),
                    ordering::MAX_PLAN_DAYS
                ),
            );
            continue;
        }
        if it.horizon_days == 0 {
            v.add(format!("items[{k}].horizon_days"), "must be at least 1");
            continue;
        }
        let on_hand = lots(&it.on_hand);
        let on_order = incoming(&it.on_order);
        let check = StockCheck {
            product: ProductId(u32::try_from(k).unwrap_or(u32::MAX)),
            location: LocationId(0),
            daily_mean: &it.daily_mean,
            on_hand: &on_hand,
            on_order: &on_order,
            reorder_point: it.reorder_point,
            horizon_days: it.horizon_days as usize,
        };
        match ordering::check_stock(&check) {
            Ok(alerts) => {
                let p = ordering::project(&it.daily_mean, it.daily_mean.len(), &on_hand, &on_order);
                out.push(pb::StockStatus {
                    id: it.id.clone(),
                    total: p.total,
                    expiring: p.expiring,
                    usable: p.usable(),
                    alerts: alerts.iter().map(alert).collect(),
                });
            }
            Err(e) => add_violations(&mut v, k, &e),
        }
    }
    v.into_result()?;
    Ok(pb::CheckStockResponse { items: out })
}

/// Runs `work` on a batch worker thread with a cancel flag that is set if the call goes away.
async fn on_batch_worker<T, F>(state: &Arc<ServiceState>, work: F) -> Result<T, ServiceError>
where
    T: Send + 'static,
    F: FnOnce(Arc<AtomicBool>) -> Result<T, ServiceError> + Send + 'static,
{
    let cancel = CancelOnDrop(Arc::new(AtomicBool::new(false)));
    let flag = Arc::clone(&cancel.0);
    state.pool.run(Lane::Batch, move || work(flag)).await?
}

/// Forecasts demand (unary).
pub async fn forecast_demand(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::ForecastDemandRequest,
) -> Result<pb::ForecastDemandResponse, ServiceError> {
    let max_s = state.quotas.max_time_limit_s(&ctx.identity.tenant)?;
    let work = check_forecast(req, max_s, Some(&ctx))?;
    on_batch_worker(state, move |flag| run_forecast(work, flag, None)).await
}

/// Plans orders (unary).
pub async fn plan_orders(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::PlanOrdersRequest,
) -> Result<pb::PlanOrdersResponse, ServiceError> {
    let max_s = state.quotas.max_time_limit_s(&ctx.identity.tenant)?;
    let work = check_orders(req, max_s, Some(&ctx))?;
    on_batch_worker(state, move |flag| run_orders(work, flag, None)).await
}

/// Checks stock (unary; on a batch worker like the rest of the service).
pub async fn check_stock_call(
    state: &Arc<ServiceState>,
    _ctx: CallCtx,
    req: pb::CheckStockRequest,
) -> Result<pb::CheckStockResponse, ServiceError> {
    state
        .pool
        .run(Lane::Batch, move || check_stock(&req))
        .await?
}

/// The gRPC face of the Forecast service.
#[derive(Debug, Clone)]
pub struct ForecastGrpc {
    /// The shared state.
    pub state: Arc<ServiceState>,
}

#[tonic::async_trait]
impl pb::forecast_server::Forecast for ForecastGrpc {
    async fn forecast_demand(
        &self,
        r: Request<pb::ForecastDemandRequest>,
    ) -> Result<Response<pb::ForecastDemandResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Forecast/ForecastDemand", r, |ctx, m| {
            forecast_demand(state, ctx, m)
        })
        .await
    }

    async fn plan_orders(
        &self,
        r: Request<pb::PlanOrdersRequest>,
    ) -> Result<Response<pb::PlanOrdersResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Forecast/PlanOrders", r, |ctx, m| {
            plan_orders(state, ctx, m)
        })
        .await
    }

    async fn check_stock(
        &self,
        r: Request<pb::CheckStockRequest>,
    ) -> Result<Response<pb::CheckStockResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Forecast/CheckStock", r, |ctx, m| {
            check_stock_call(state, ctx, m)
        })
        .await
    }
}
