//! The loop: the company is generated and imported, then each day runs through the real
//! store (calendar changes, freeze, the night's plan with the in-process engine, stock,
//! the morning, outcomes and remedies, close, settlement, waste, transfers, tomorrow's
//! order, complaints, renewal reminders), and the baseline rides the same day beside it.
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use milkrun_calendar::Date;
use milkrun_dairy::calendar::{Moment, OperationKind};
use milkrun_dairy::care::CareSettings;
use milkrun_dairy::complaint::{ComplaintCategory, ComplaintFiling};
use milkrun_dairy::dedupe::DedupeKey;
use milkrun_dairy::engine::{Engine, PlanCourier, PlanLimits, Stability};
use milkrun_dairy::exception::Remedy;
use milkrun_dairy::freeze::Order;
use milkrun_dairy::household::{DeliveryWindow, GeoPoint, Household};
use milkrun_dairy::ids::{
    ComplaintId, CourierId, CustomerId, HouseholdId, LotId, OrderId, ProductId, PromotionId,
    StationId, SubscriptionId,
};
use milkrun_dairy::late_order::LateOrder;
use milkrun_dairy::money::Cents;
use milkrun_dairy::night::PlannedStop;
use milkrun_dairy::outcome::FailureReason;
use milkrun_dairy::promotion::{Offer, Promotion};
use milkrun_dairy::stock::Lot;
use milkrun_dairy::store::night::NightSettings;
use milkrun_dairy::store::outcomes::OutcomeReport;
use milkrun_dairy::store::{Store, StoreError};
use milkrun_dairy::transfer::TransferCost;
use milkrun_dairy::DairyError;
use milkrun_dispatch::{CourierSpec, TravelTimes, UNREACHABLE_S};
use milkrun_engine::{LatLon, NodeId, RoadEngine};
use milkrun_forecast::ordering::{Costs, MonteCarlo, PackRule, ReviewParams};
use milkrun_station::road::{road_engine, road_points, RoadLocations};
use sqlx::Row;

use crate::baseline::{ride_habit, HabitEnd, HabitStock, POLICIES};
use crate::behaviour::{door, promotion_requests, requests, unit, TAKE_TOLD, TAKE_UNTOLD};
use crate::company::{
    self, couriers_for, keep_households, token, COURIER_CAPACITY, MAX_SNAP_M, PRODUCTS, SHIFT_S,
    TENANT,
};
use crate::morning::{ride, Jam, Morning, MorningStop, RetryEnd, StopEnd};
use crate::report::*;
use crate::{Progress, SimError, WeekConfig};

/// The day index (0-based) of the jam: a 2-day run has it.
pub const JAM_DAY: u32 = 1;
/// The day index of the breakdown: a 3-day run has it.
pub const BREAKDOWN_DAY: u32 = 2;
/// The dispatcher's late orders per station and day.
pub const LATE_ORDERS: usize = 2;
/// When the first late order is placed, and the time between them, seconds.
const LATE_S: (i64, i64) = (5 * 3600 + 10 * 60, 25 * 60);
/// Service at a door, seconds.
pub const SERVICE_S: i64 = 40;
/// Days a unit stays sellable (received day included).
pub const SHELF_LIFE_DAYS: u32 = 3;
/// The jam's start and end, seconds since midnight.
const JAM_S: (i64, i64) = (5 * 3600 + 40 * 60, 6 * 3600 + 40 * 60);
/// The breakdown's time.
const BREAKDOWN_S: i64 = 6 * 3600;
/// Radius of the jammed area around its centre, metres.
const JAM_RADIUS_M: f64 = 1_500.0;
/// Road segments drawn at most on the map.
const MAP_SEGMENTS: usize = 1_500;
/// Points per ridden route on the map at most.
const MAP_ROUTE_POINTS: usize = 400;

fn store_err(e: StoreError) -> SimError {
    SimError::Store(e.to_string())
}

fn dairy_err(e: DairyError) -> SimError {
    SimError::Store(e.to_string())
}

fn geo_point((lat, lon): (f64, f64)) -> Result<GeoPoint, SimError> {
    GeoPoint::new(lat, lon).map_err(dairy_err)
}

fn at(date: Date, s: i64) -> Result<Moment, SimError> {
    Moment::new(date, s.clamp(0, 86_399)).map_err(dairy_err)
}

/// A station as the loop needs it.
struct Station {
    id: StationId,
    name: &'static str,
    point: (f64, f64),
    /// Road nodes of its locations (0 the station, then its households).
    locations: RoadLocations,
    /// Points of its locations.
    points: Vec<(f64, f64)>,
    /// The same, as the engine takes them.
    geo: Vec<GeoPoint>,
    times: TravelTimes,
    couriers: Vec<CourierSpec>,
    /// The station's households, with their location.
    loc_of: HashMap<HouseholdId, u32>,
    baseline_stock: BTreeMap<ProductId, HabitStock>,
    first_demand: BTreeMap<ProductId, u64>,
    /// Units ordered for tomorrow (milkrun's and the baseline's).
    incoming: BTreeMap<ProductId, u64>,
    baseline_incoming: BTreeMap<ProductId, u64>,
}

/// Per courier over the week.
#[derive(Default, Clone, Copy)]
struct CourierWeek {
    drops: u64,
    bottles: u64,
    pay: i64,
    delivered: u64,
    on_time: u64,
    ridden_m: i64,
}

/// Runs the week (inside the caller's runtime) with the engine `make_engine` gives on the
/// week's roads.
pub(crate) async fn run<E: Engine>(
    config: &WeekConfig,
    make_engine: impl FnOnce(Arc<RoadEngine>) -> E,
    progress: &mut dyn FnMut(Progress),
) -> Result<WeekReport, SimError> {
    let t_all = Instant::now();
    progress(Progress::Setup { what: "store" });
    let store = Store::open(&config.db_url).await.map_err(store_err)?;
    let tenants: i64 = sqlx::query("SELECT COUNT(*) AS n FROM tenants")
        .fetch_one(store.pool())
        .await
        .and_then(|r| r.try_get("n"))
        .map_err(|e| SimError::Store(e.to_string()))?;
    if tenants > 0 {
        store.close().await;
        return Err(SimError::Config {
            field: "db_url",
            reason: format!("the store already holds {tenants} tenant(s); give an empty one"),
        });
    }
    progress(Progress::Setup { what: "roads" });
    let roads = Arc::new(road_engine(&config.osm).map_err(|e| SimError::Roads(e.to_string()))?);
    let engine = make_engine(roads.clone());
    let result = run_on(config, progress, &store, roads, &engine, t_all).await;
    store.close().await;
    result
}

async fn run_on<E: Engine>(
    config: &WeekConfig,
    progress: &mut dyn FnMut(Progress),
    store: &Store,
    roads: Arc<RoadEngine>,
    engine: &E,
    t_all: Instant,
) -> Result<WeekReport, SimError> {
    let seed = config.seed;
    progress(Progress::Setup { what: "households" });
    let pts = road_points(&roads);
    let buildings: Vec<(f64, f64, u32)> = if config.osm_buildings {
        let (sites, _) = milkrun_station::scenario::residential_sites(&config.osm)
            .map_err(|e| SimError::Roads(format!("buildings: {e}")))?;
        sites.iter().map(|b| (b.lat, b.lon, b.households)).collect()
    } else {
        Vec::new()
    };
    let plan = company::generate_in_buildings(
        seed,
        config.subscriptions,
        &pts,
        &buildings,
        config.first_date,
    )
    .map_err(dairy_err)?;
    // Snap each station's households and measure the roads between them; drop the
    // households the station cannot reach (an island of the road graph).
    progress(Progress::Setup { what: "matrix" });
    let mut reachable = vec![false; plan.households.len()];
    let mut prepared = Vec::new();
    for st in &plan.stations {
        let idx: Vec<usize> = (0..plan.households.len())
            .filter(|&i| plan.households[i].station == st.id)
            .collect();
        let points: Vec<(f64, f64)> = std::iter::once((st.point.lat, st.point.lon))
            .chain(idx.iter().map(|&i| {
                let p = plan.households[i].point;
                (p.lat, p.lon)
            }))
            .collect();
        let ll: Vec<LatLon> = points
            .iter()
            .map(|&(lat, lon)| LatLon { lat, lon })
            .collect();
        let locations = RoadLocations::snap(&roads, &ll, MAX_SNAP_M)
            .map_err(|e| SimError::Roads(e.to_string()))?;
        let times = locations
            .matrix(&roads)
            .map_err(|e| SimError::Roads(e.to_string()))?;
        for (k, &i) in idx.iter().enumerate() {
            let l = k as u32 + 1;
            reachable[i] =
                times.travel(0, l) < UNREACHABLE_S / 2 && times.travel(l, 0) < UNREACHABLE_S / 2;
        }
        prepared.push((idx, points, locations, times));
    }
    let plan = {
        let original = plan.households.clone();
        let kept = keep_households(plan, &reachable).map_err(dairy_err)?;
        // Map each kept household to its station location.
        let mut next = 0i64;
        let mut loc_of: Vec<HashMap<HouseholdId, u32>> = vec![HashMap::new(); prepared.len()];
        for (i, h) in original.iter().enumerate() {
            if !reachable[i] {
                continue;
            }
            next += 1;
            let s = kept
                .stations
                .iter()
                .position(|st| st.id == h.station)
                .unwrap_or(0);
            if let Some(k) = prepared[s].0.iter().position(|&x| x == i) {
                loc_of[s].insert(HouseholdId(next), k as u32 + 1);
            }
        }
        (kept, loc_of)
    };
    let (plan, loc_of) = plan;
    let mut stations: Vec<Station> = Vec::new();
    for (s, ((_, points, locations, times), loc_of)) in prepared.into_iter().zip(loc_of).enumerate()
    {
        let st = &plan.stations[s];
        let n = couriers_for(loc_of.len());
        let couriers = (0..n)
            .map(|k| CourierSpec {
                id: (st.id.0 as u32) * 100 + k + 1,
                capacity: i64::from(COURIER_CAPACITY),
                shift_start_s: SHIFT_S.0,
                shift_end_s: SHIFT_S.1,
            })
            .collect();
        stations.push(Station {
            id: st.id,
            name: st.name,
            point: (st.point.lat, st.point.lon),
            locations,
            geo: points
                .iter()
                .map(|&p| geo_point(p))
                .collect::<Result<_, _>>()?,
            points,
            times,
            couriers,
            loc_of,
            baseline_stock: BTreeMap::new(),
            first_demand: BTreeMap::new(),
            incoming: BTreeMap::new(),
            baseline_incoming: BTreeMap::new(),
        });
    }
    progress(Progress::Setup {
        what: "subscriptions",
    });
    import(store, &plan, &stations).await?;
    let households: HashMap<HouseholdId, &Household> =
        plan.households.iter().map(|h| (h.id, h)).collect();
    let setup_ms = t_all.elapsed().as_millis() as u64;

    let mut milkrun_days = Vec::new();
    let mut baseline_days = Vec::new();
    let mut calendar = Vec::new();
    let mut incidents = Vec::new();
    let mut per_day_ms = Vec::new();
    let mut stock_rows = Vec::new();
    let mut transfers = Vec::new();
    let mut couriers_week: BTreeMap<i64, CourierWeek> = BTreeMap::new();
    let mut complaints = [0u32; 3];
    let mut open_complaints: Vec<(ComplaintId, u32)> = Vec::new();
    let mut last_status: HashMap<HouseholdId, MapStatus> = HashMap::new();
    let mut last_paths: Vec<(i64, Vec<[f64; 2]>)> = Vec::new();
    // The mid-week promotion: the day index of its push, it, and its members' subscriptions.
    let mut promotion: Option<MidWeekPromotion> = None;
    let customer_of: HashMap<HouseholdId, CustomerId> =
        plan.households.iter().map(|h| (h.id, h.customer)).collect();
    let mut sub_of_customer: BTreeMap<CustomerId, SubscriptionId> = BTreeMap::new();
    for s in &plan.subscriptions {
        if let Some(&c) = customer_of.get(&s.household) {
            sub_of_customer.entry(c).or_insert(s.id);
        }
    }

    for k in 0..config.days {
        let t_day = Instant::now();
        let day = config.first_date.add_days(k as i32);
        let phase = |p| Progress::Day {
            index: k,
            of: config.days,
            phase: p,
        };
        progress(phase("night"));
        // 1. The customers' changes on the eve, then the freeze at the cut-off.
        calendar.push(calendar_changes(store, seed, k, day, &plan.subscriptions).await?);
        if let Some(p) = promotion.as_ref().filter(|p| p.pushed + 1 == k) {
            if let Offer::Extra { product, .. } = p.promotion.offer {
                for r in promotion_requests(seed, k, day, &p.members, product).map_err(dairy_err)? {
                    match store
                        .request_operation(TENANT, r.subscription, r.kind, r.now)
                        .await
                    {
                        // A subscription the calendar refuses (ended) simply does not take it.
                        Ok(_) | Err(StoreError::Domain(_)) => {}
                        Err(e) => return Err(store_err(e)),
                    }
                }
            }
        }
        let cutoff = store.cutoff(TENANT).await.map_err(store_err)?;
        store
            .freeze_day(TENANT, day, cutoff.deadline(day))
            .await
            .map_err(store_err)?;
        let orders = store.orders_on(TENANT, day).await.map_err(store_err)?;
        progress(phase("plan"));
        let mut sums = Sums {
            demanded_units: orders.iter().map(|o| u64::from(o.quantity)).sum(),
            ..Sums::default()
        };
        let mut base = Sums {
            orders: orders.len() as u64,
            demanded_units: orders.iter().map(|o| u64::from(o.quantity)).sum(),
            ..Sums::default()
        };
        let mut day_status: HashMap<HouseholdId, MapStatus> = HashMap::new();
        let mut day_paths = Vec::new();
        let mut nights = Vec::new();
        for st in stations.iter_mut() {
            // 2. The night's plan.
            let settings = night_settings(st, seed ^ u64::from(k))?;
            let night = store
                .plan_night(engine, TENANT, st.id, day, &settings)
                .await
                .map_err(|e| SimError::Plan(e.to_string()))?;
            progress(phase("stock"));
            // 3. Stock: receive what was ordered yesterday (the first day: the calendar
            // demand and a little more); the orders are loaded in route order below.
            let demand = store
                .frozen_demand(TENANT, st.id, day)
                .await
                .map_err(store_err)?;
            if k == 0 {
                for p in PRODUCTS {
                    let d = demand.get(&p).copied().unwrap_or(0);
                    st.first_demand.insert(p, d);
                    st.incoming.insert(p, d + d.div_ceil(20) + 2);
                    st.baseline_incoming.insert(p, d);
                }
            }
            for p in PRODUCTS {
                let units = st.incoming.get(&p).copied().unwrap_or(0);
                let received = receive(store, st.id, p, day, k, units).await?;
                sums.received_units += received;
                let bu = st.baseline_incoming.get(&p).copied().unwrap_or(0);
                st.baseline_stock
                    .entry(p)
                    .or_default()
                    .receive(k, bu, SHELF_LIFE_DAYS);
                base.received_units += bu;
                stock_rows.push(StockDay {
                    date: day.to_string(),
                    station: st.id.0,
                    product: p.0,
                    received,
                    delivered: 0,
                    returned: 0,
                    wasted: 0,
                    on_hand: 0,
                    ordered_for_tomorrow: 0,
                });
            }
            nights.push(night);
        }
        // The day's transfers between the stations, once both have received their lots,
        // planned by the LP and carried out in the ledger.
        for p in PRODUCTS {
            let plan = store
                .plan_stock_transfers(
                    TENANT,
                    p,
                    day,
                    &[
                        TransferCost {
                            from: StationId(1),
                            to: StationId(2),
                            per_unit: Cents(30),
                        },
                        TransferCost {
                            from: StationId(2),
                            to: StationId(1),
                            per_unit: Cents(30),
                        },
                    ],
                    Cents(500),
                )
                .await
                .map_err(store_err)?;
            for t in &plan.transfers {
                // Carried out before loading: the units leave the one station's lots and
                // arrive at the other as lots of their own, in the stock ledger.
                store
                    .transfer_stock(TENANT, p, day, t)
                    .await
                    .map_err(store_err)?;
                transfers.push(TransferRow {
                    date: day.to_string(),
                    product: p.0,
                    from: t.from.0,
                    to: t.to.0,
                    units: t.quantity,
                });
            }
        }
        for (st, night) in stations.iter_mut().zip(nights) {
            let mine: Vec<Order> = orders
                .iter()
                .filter(|o| o.station == st.id)
                .copied()
                .collect();
            let stops_by_h: HashMap<HouseholdId, PlannedStop> =
                night.plan.stops.iter().map(|s| (s.household, *s)).collect();
            let mut routed: Vec<&PlannedStop> = night
                .plan
                .stops
                .iter()
                .filter(|s| s.courier.is_some())
                .collect();
            routed.sort_by_key(|s| s.courier);
            let mut assignment = Vec::new();
            let mut by_household: BTreeMap<HouseholdId, Vec<Order>> = BTreeMap::new();
            for o in &mine {
                by_household.entry(o.household).or_default().push(*o);
            }
            for s in &routed {
                let Some((c, _)) = s.courier else { continue };
                for o in by_household.get(&s.household).into_iter().flatten() {
                    assignment.push((o.id, c));
                }
            }
            let loaded = store
                .load_orders(TENANT, st.id, day, &assignment)
                .await
                .map_err(store_err)?;
            let loaded_set: std::collections::HashSet<OrderId> =
                loaded.loaded.iter().copied().collect();
            let start = at(day, SHIFT_S.0)?;
            let mut cancelled_ids = Vec::new();
            for o in &mine {
                if !loaded_set.contains(&o.id) {
                    cancelled_ids.push(o.id);
                }
                // Demand met from stock: every order but those the stock could not cover
                // (an order no courier could take is a routing loss, not a stock one).
                if !loaded.short.contains(&o.id) {
                    sums.supplied_units += u64::from(o.quantity);
                }
            }
            for id in &cancelled_ids {
                record(store, *id, &OutcomeReport::Cancelled { at: start }).await?;
            }
            sums.cancelled += cancelled_ids.len() as u64;
            // 4. The morning: the stops with something loaded, in the night's routes.
            let mut stops = Vec::new();
            let mut stop_households = Vec::new();
            let mut index_of: HashMap<HouseholdId, u32> = HashMap::new();
            for (h, os) in &by_household {
                let bottles: u32 = os
                    .iter()
                    .filter(|o| loaded_set.contains(&o.id))
                    .map(|o| o.quantity)
                    .sum();
                let (Some(hh), Some(&loc)) = (households.get(h), st.loc_of.get(h)) else {
                    continue;
                };
                if bottles == 0 {
                    continue;
                }
                index_of.insert(*h, stops.len() as u32);
                stops.push(MorningStop {
                    loc,
                    bottles,
                    window_s: (hh.window.start_s, hh.window.end_s),
                    door: door(seed, k, h.0),
                });
                stop_households.push(*h);
            }
            // The dispatcher's late orders: a few households of the station with nothing
            // today ask for milk after the cut-off (chosen and timed by the seed); each is
            // placed in the store as an order of the day and goes to the live day as a new
            // stop when placed.
            let planned_stops = stops.len();
            let mut late_at = Vec::new();
            let mut late_orders: Vec<Order> = Vec::new();
            let mut candidates: Vec<(u64, SubscriptionId, HouseholdId)> = plan
                .subscriptions
                .iter()
                .filter(|s| {
                    st.loc_of.contains_key(&s.household) && !by_household.contains_key(&s.household)
                })
                .map(|s| {
                    (
                        (unit(seed, k, s.household.0, 11) * 1e9) as u64,
                        s.id,
                        s.household,
                    )
                })
                .collect();
            candidates.sort_unstable();
            candidates.dedup_by_key(|c| c.2);
            for (_, sub, h) in candidates {
                if late_orders.len() >= LATE_ORDERS {
                    break;
                }
                let (Some(hh), Some(&loc)) = (households.get(&h), st.loc_of.get(&h)) else {
                    continue;
                };
                let t = LATE_S.0 + late_orders.len() as i64 * LATE_S.1;
                let late = LateOrder {
                    subscription: sub,
                    date: day,
                    quantity: 1 + (unit(seed, k, h.0, 12) * 3.0) as u32,
                    placed: at(day, t)?,
                    key: DedupeKey::new(&format!("late:{day}:{sub}")).map_err(dairy_err)?,
                };
                let placed = match store.place_late_order(TENANT, &late).await {
                    Ok(p) => p,
                    // A subscription the rules refuse (not started) does not take one.
                    Err(StoreError::Domain(_)) => continue,
                    Err(e) => return Err(store_err(e)),
                };
                sums.demanded_units += u64::from(late.quantity);
                stops.push(MorningStop {
                    loc,
                    bottles: late.quantity,
                    window_s: (hh.window.start_s, hh.window.end_s),
                    door: door(seed, k, h.0),
                });
                stop_households.push(h);
                late_at.push(t);
                late_orders.push(placed.order);
            }
            let routes: Vec<Vec<u32>> = st
                .couriers
                .iter()
                .map(|c| {
                    let mut r: Vec<(u32, u32)> = routed
                        .iter()
                        .filter_map(|s| {
                            let (cc, seq) = s.courier?;
                            (cc.0 == i64::from(c.id))
                                .then(|| index_of.get(&s.household).map(|&i| (seq, i)))
                                .flatten()
                        })
                        .collect();
                    r.sort_unstable();
                    r.into_iter().map(|x| x.1).collect()
                })
                .collect();
            let jam = (k == JAM_DAY && st.id == StationId(1) && st.points.len() > 1).then(|| {
                let centre = st.points[1
                    + (unit(seed, k, 0, 7) * (st.points.len() - 1) as f64) as usize
                        % (st.points.len() - 1).max(1)];
                Jam {
                    inside: st
                        .points
                        .iter()
                        .map(|&p| company::metres(p, centre) <= JAM_RADIUS_M)
                        .collect(),
                    start_s: JAM_S.0,
                    end_s: JAM_S.1,
                }
            });
            progress(phase("morning"));
            let m = Morning {
                times: &st.times,
                stops: &stops,
                couriers: &st.couriers,
                service_s: SERVICE_S,
                jam: jam.as_ref(),
                breakdown_s: (k == BREAKDOWN_DAY && st.id == StationId(1)).then_some(BREAKDOWN_S),
                breakdown_pick: (unit(seed, k, 0, 9) * 1e9) as u64,
                policy: plan.tenant.policy,
                depot: geo_point(st.point)?,
                points: &st.geo,
                max_snap_m: MAX_SNAP_M,
                late: &late_at,
            };
            let ridden = ride(engine, &m, &routes).await?;
            for inc in &ridden.incidents {
                incidents.push(Incident {
                    date: day.to_string(),
                    kind: inc.kind.to_string(),
                    detail: format!("{} station: {}", st.name, inc.detail),
                });
            }
            sums.ridden_m += ridden.ridden_m.iter().sum::<i64>();
            sums.courier_s += ridden.courier_s.iter().sum::<i64>();
            for (c, m) in st.couriers.iter().zip(&ridden.ridden_m) {
                couriers_week.entry(i64::from(c.id)).or_default().ridden_m += m;
            }
            for (c, path) in st.couriers.iter().zip(&ridden.paths) {
                if path.len() > 1 {
                    day_paths.push((i64::from(c.id), route_line(&roads, &st.locations, path)));
                }
            }
            // 5. Outcomes in the store, remedies by the tenant's policy.
            progress(phase("outcomes"));
            let courier_id = |i: usize| CourierId(i64::from(st.couriers[i].id));
            for (i, end) in ridden.ends.iter().enumerate() {
                let h = stop_households[i];
                let late = i.checked_sub(planned_stops);
                let os: Vec<Order> = match late.and_then(|j| late_orders.get(j)) {
                    Some(o) => {
                        late_order_loaded(store, st.id, day, o, end, &courier_id, &mut sums).await?
                    }
                    None => by_household
                        .get(&h)
                        .into_iter()
                        .flatten()
                        .filter(|o| loaded_set.contains(&o.id))
                        .copied()
                        .collect(),
                };
                // A late order has no promise: on time within the household's window.
                let promise = match late {
                    Some(_) => DeliveryWindow::new(stops[i].window_s.0, stops[i].window_s.1).ok(),
                    None => stops_by_h.get(&h).and_then(|s| s.promise),
                };
                let window_start = stops[i].window_s.0;
                match *end {
                    StopEnd::Delivered { courier, at_s } => {
                        let served = at_s.max(window_start);
                        let on_time =
                            promise.is_some_and(|w| (w.start_s..=w.end_s).contains(&served));
                        for o in &os {
                            deliver(store, o, courier_id(courier), at(day, served)?).await?;
                            sums.delivered += 1;
                            sums.on_time += u64::from(on_time);
                        }
                        let cw = couriers_week.entry(courier_id(courier).0).or_default();
                        cw.delivered += os.len() as u64;
                        cw.on_time += if on_time { os.len() as u64 } else { 0 };
                        day_status.insert(h, MapStatus::Delivered);
                    }
                    StopEnd::Failed {
                        courier,
                        at_s,
                        reason,
                        retry,
                    } => {
                        let mut status = MapStatus::Failed;
                        for o in &os {
                            let failed_at = at(day, at_s)?;
                            record(
                                store,
                                o.id,
                                &OutcomeReport::Failed {
                                    courier: courier_id(courier),
                                    at: failed_at,
                                    reason,
                                },
                            )
                            .await?;
                            let remedy = store
                                .apply_exception(TENANT, o.id, failed_at)
                                .await
                                .map_err(store_err)?;
                            status = match remedy.remedy {
                                Remedy::SameDayRetry | Remedy::MakeUpNextDay => MapStatus::MadeUp,
                                _ => MapStatus::Compensated,
                            };
                            match (remedy.retry_order, retry) {
                                (Some(ro), Some((w, end))) => {
                                    retry_outcome(
                                        store,
                                        st.id,
                                        day,
                                        o,
                                        ro,
                                        w,
                                        end,
                                        &courier_id,
                                        &mut sums,
                                        &mut couriers_week,
                                    )
                                    .await?;
                                }
                                (None, None) => {}
                                (r, _) => {
                                    return Err(SimError::Morning(format!(
                                        "order {}: the store's remedy {:?} and the morning's \
                                         retry disagree ({r:?})",
                                        o.id, remedy.remedy
                                    )))
                                }
                            }
                        }
                        if reason == FailureReason::NotHome && unit(seed, k, h.0, 3) < 0.3 {
                            let f = ComplaintFiling::new(
                                DedupeKey::new(&format!("missed:{h}:{day}")).map_err(dairy_err)?,
                                h,
                                os.first().map(|o| o.id),
                                ComplaintCategory::Missing,
                                "The milk did not come this morning.",
                            )
                            .map_err(dairy_err)?;
                            let id = store
                                .file_complaint(TENANT, &f, at(day, 12 * 3600)?)
                                .await
                                .map_err(store_err)?;
                            complaints[0] += 1;
                            open_complaints.push((id, k));
                        }
                        day_status.insert(h, status);
                    }
                    StopEnd::Unserved => {
                        for o in &os {
                            record(
                                store,
                                o.id,
                                &OutcomeReport::Cancelled {
                                    at: at(day, 9 * 3600)?,
                                },
                            )
                            .await?;
                            sums.cancelled += 1;
                        }
                        day_status.insert(h, MapStatus::Cancelled);
                    }
                }
            }
            for o in &mine {
                if cancelled_ids.contains(&o.id) {
                    day_status
                        .entry(o.household)
                        .or_insert(MapStatus::Cancelled);
                }
            }
            // 6. The baseline on the same day: its own stock, the habit's routes.
            progress(phase("baseline"));
            let mut bstops = Vec::new();
            let mut bpoints = Vec::new();
            let mut borders = Vec::new();
            for (h, os) in &by_household {
                let mut bottles = 0u32;
                let mut supplied = Vec::new();
                for o in os {
                    let ok = st
                        .baseline_stock
                        .entry(o.product)
                        .or_default()
                        .take(k, u64::from(o.quantity));
                    if ok {
                        bottles += o.quantity;
                        base.supplied_units += u64::from(o.quantity);
                        supplied.push(*o);
                    } else {
                        base.cancelled += 1;
                    }
                }
                let (Some(hh), Some(&loc)) = (households.get(h), st.loc_of.get(h)) else {
                    continue;
                };
                if bottles == 0 {
                    continue;
                }
                bstops.push(MorningStop {
                    loc,
                    bottles,
                    window_s: (hh.window.start_s, hh.window.end_s),
                    door: door(seed, k, h.0),
                });
                bpoints.push(st.points[loc as usize]);
                borders.push(supplied);
            }
            let bm = Morning {
                stops: &bstops,
                late: &[],
                ..m
            };
            let habit = ride_habit(&bm, st.point, &bpoints, ridden.broken);
            base.ridden_m += habit.ridden_m;
            base.courier_s += habit.courier_s;
            for (i, end) in habit.ends.iter().enumerate() {
                let n = borders[i].len() as u64;
                match *end {
                    HabitEnd::Delivered { at_s } => {
                        base.delivered += n;
                        let w = bstops[i].window_s;
                        if (w.0..=w.1).contains(&at_s) {
                            base.on_time += n;
                        }
                    }
                    HabitEnd::Failed => {
                        base.failed += n;
                        // Made up by hand on the next day (not ridden here).
                        base.made_up += n;
                    }
                }
            }
        }
        // 7. Close of day, settlement, waste, tomorrow's orders, complaints, renewals.
        progress(phase("close"));
        let close_at = at(day, 18 * 3600)?;
        store
            .resolve_failures(TENANT, day, close_at)
            .await
            .map_err(store_err)?;
        let pending: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM v_order_outcomes WHERE tenant_id = $1 \
             AND delivery_date = $2 AND status = 'pending'",
        )
        .bind(TENANT.0)
        .bind(day.to_string())
        .fetch_one(store.pool())
        .await
        .and_then(|r| r.try_get("n"))
        .map_err(|e| SimError::Store(e.to_string()))?;
        sums.unaccounted = pending.max(0) as u64;
        let account = store
            .close_day(TENANT, day, close_at)
            .await
            .map_err(store_err)?;
        sums.orders = account.orders;
        sums.delivered = account.delivered;
        sums.failed = account.retried + account.made_up + account.extended + account.credited;
        sums.made_up = account.retried + account.made_up;
        sums.compensated = account.extended + account.credited;
        sums.cancelled = account.cancelled;
        for pay in store.settle_day(TENANT, day).await.map_err(store_err)? {
            let cw = couriers_week.entry(pay.courier.0).or_default();
            cw.drops += u64::from(pay.drops);
            cw.bottles += u64::from(pay.bottles);
            cw.pay += pay.pay.0;
        }
        let rows_today = stock_rows.len() - stations.len() * PRODUCTS.len();
        for (si, st) in stations.iter_mut().enumerate() {
            let lots = store.station_lots(TENANT, st.id).await.map_err(store_err)?;
            let delivered = delivered_units(store, st.id, day).await?;
            for (pi, p) in PRODUCTS.iter().enumerate() {
                let expiring: u64 = lots
                    .iter()
                    .filter(|l| l.lot.product == *p && l.lot.expiry <= day)
                    .map(|l| l.balance.on_hand)
                    .sum();
                let on_hand: u64 = lots
                    .iter()
                    .filter(|l| l.lot.product == *p)
                    .map(|l| l.balance.on_hand)
                    .sum();
                sums.wasted_units += expiring;
                let row = &mut stock_rows[rows_today + si * PRODUCTS.len() + pi];
                row.wasted = expiring;
                row.on_hand = on_hand - expiring;
                row.delivered = delivered.get(p).map_or(0, |x| x.0);
                row.returned = delivered.get(p).map_or(0, |x| x.1);
                base.wasted_units += st.baseline_stock.entry(*p).or_default().close(k);
            }
        }
        store.waste_expired(TENANT, day).await.map_err(store_err)?;
        progress(phase("order"));
        if k + 1 < config.days {
            let tomorrow = day.add_days(1);
            let params = ReviewParams {
                lead_time_days: 0,
                review_days: 1,
                shelf_life_days: SHELF_LIFE_DAYS,
                costs: Costs::from_prices(0.90, 1.60, 0.0, 1.00)
                    .map_err(|e| SimError::Store(e.to_string()))?,
                pack: PackRule::units(),
                monte_carlo: MonteCarlo::default(),
            };
            for (si, st) in stations.iter_mut().enumerate() {
                let orders = store
                    .station_orders(
                        engine,
                        TENANT,
                        st.id,
                        tomorrow,
                        &params,
                        28,
                        seed ^ u64::from(k),
                    )
                    .await
                    .map_err(|e| SimError::Store(e.to_string()))?;
                st.incoming.clear();
                for o in &orders {
                    st.incoming.insert(o.product, o.order);
                    if let Some(pi) = PRODUCTS.iter().position(|p| *p == o.product) {
                        stock_rows[rows_today + si * PRODUCTS.len() + pi].ordered_for_tomorrow =
                            o.order;
                    }
                }
                for p in PRODUCTS {
                    let first = st.first_demand.get(&p).copied().unwrap_or(0);
                    let q = st
                        .baseline_stock
                        .entry(p)
                        .or_default()
                        .order_for(k + 1, first);
                    st.baseline_incoming.insert(p, q);
                }
            }
        }
        progress(phase("care"));
        // Complaints: half of yesterday's are resolved; the overdue ones escalate.
        let mut still_open = Vec::new();
        for (id, filed) in open_complaints.drain(..) {
            if filed + 1 == k && unit(seed, k, id.0, 5) < 0.5 {
                if store
                    .resolve_complaint(TENANT, id, at(day, 10 * 3600)?)
                    .await
                    .map_err(store_err)?
                {
                    complaints[2] += 1;
                }
            } else {
                still_open.push((id, filed));
            }
        }
        open_complaints = still_open;
        let escalated = store
            .escalate_overdue_complaints(TENANT, close_at)
            .await
            .map_err(store_err)?;
        complaints[1] += escalated.len() as u32;
        store
            .enqueue_renewal_reminders(TENANT, day)
            .await
            .map_err(store_err)?;
        if k == config.days / 2 && k + 1 < config.days {
            let last = config.first_date.add_days(config.days as i32 - 1);
            promotion = push_mid_week(store, seed, k, day, last, &sub_of_customer).await?;
        }
        milkrun_days.push(Figures::from_sums(Some(day.to_string()), sums));
        baseline_days.push(Figures::from_sums(Some(day.to_string()), base));
        last_status = day_status;
        last_paths = day_paths;
        per_day_ms.push(t_day.elapsed().as_millis() as u64);
    }

    let outbox: i64 = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE tenant_id = $1")
        .bind(TENANT.0)
        .fetch_one(store.pool())
        .await
        .and_then(|r| r.try_get("n"))
        .map_err(|e| SimError::Store(e.to_string()))?;
    // The open day: the day after the run frozen and planned, its morning not run, so
    // `milkrun serve`'s pages (`/app/`) have a day to run on the demo's store. After the
    // report's counts: the report covers the simulated days only.
    let open_day = config.first_date.add_days(config.days as i32);
    let cutoff = store.cutoff(TENANT).await.map_err(store_err)?;
    store
        .freeze_day(TENANT, open_day, cutoff.deadline(open_day))
        .await
        .map_err(store_err)?;
    for st in &stations {
        let settings = night_settings(st, seed ^ u64::from(config.days))?;
        store
            .plan_night(engine, TENANT, st.id, open_day, &settings)
            .await
            .map_err(|e| SimError::Plan(e.to_string()))?;
    }
    let week = |days: Vec<Figures>| {
        let total = days.iter().fold(Sums::default(), |acc, d| acc.add(&d.sums));
        PolicyWeek {
            days: config.days,
            totals: Figures::from_sums(None, total),
            per_day: days,
        }
    };
    let promotion = match promotion {
        Some(p) => {
            let c = store
                .promotion_conversion(TENANT, p.promotion.id)
                .await
                .map_err(store_err)?;
            let product = match p.promotion.offer {
                Offer::Extra { product, .. } => product.0,
                Offer::Subscribe { package, .. } => package.0,
            };
            Some(PromotionWeek {
                pushed: config.first_date.add_days(p.pushed as i32).to_string(),
                segment: p.promotion.segment.as_str().to_string(),
                product,
                targeted: c.targeted,
                targeted_taken: c.targeted_taken,
                holdout: c.holdout,
                holdout_taken: c.holdout_taken,
                conversion_rate: c.rate(),
                holdout_rate: c.holdout_rate(),
                uplift: c.uplift(),
                take_probability_told: TAKE_TOLD,
                take_probability_untold: TAKE_UNTOLD,
            })
        }
        None => None,
    };
    let station_of: HashMap<CourierId, i64> = stations
        .iter()
        .flat_map(|s| {
            s.couriers
                .iter()
                .map(move |c| (CourierId(i64::from(c.id)), s.id.0))
        })
        .collect();
    let names: HashMap<i64, String> = stations
        .iter()
        .flat_map(|s| {
            s.couriers
                .iter()
                .enumerate()
                .map(move |(i, c)| (i64::from(c.id), format!("{} {}", s.name, i + 1)))
        })
        .collect();
    let settlement = couriers_week
        .iter()
        .map(|(&id, w)| CourierSettlement {
            courier: id,
            name: names.get(&id).cloned().unwrap_or_default(),
            station: station_of.get(&CourierId(id)).copied().unwrap_or(0),
            drops: w.drops,
            bottles: w.bottles,
            pay_cents: w.pay,
            on_time_rate: if w.delivered > 0 {
                w.on_time as f64 / w.delivered as f64
            } else {
                0.0
            },
            km: w.ridden_m as f64 / 1000.0,
        })
        .collect();
    let map = MapData {
        date: config
            .first_date
            .add_days(config.days.saturating_sub(1) as i32)
            .to_string(),
        households: plan
            .households
            .iter()
            .map(|h| MapPoint {
                lat: h.point.lat,
                lon: h.point.lon,
                station: h.station.0,
                status: last_status
                    .get(&h.id)
                    .copied()
                    .unwrap_or(MapStatus::NoOrder),
            })
            .collect(),
        roads: road_lines(&roads, &plan.households),
        routes: last_paths,
    };
    Ok(WeekReport {
        seed,
        first_date: config.first_date.to_string(),
        milkrun: week(milkrun_days),
        baseline: week(baseline_days),
        baseline_policies: POLICIES.iter().map(|s| s.to_string()).collect(),
        company: Company {
            stations: stations
                .iter()
                .map(|s| StationInfo {
                    id: s.id.0,
                    name: s.name.to_string(),
                    lat: s.point.0,
                    lon: s.point.1,
                    couriers: s.couriers.len() as u32,
                    households: s.loc_of.len() as u32,
                })
                .collect(),
            customers: plan.customers.len() as u32,
            subscriptions: plan.subscriptions.len() as u32,
            products: plan.products.len() as u32,
            packages: plan.packages.len() as u32,
        },
        calendar,
        incidents,
        settlement,
        transfers,
        stock: stock_rows,
        complaints,
        outbox_messages: outbox.max(0) as u64,
        promotion,
        map,
        timings: Timings {
            setup_ms,
            per_day_ms,
            total_ms: t_all.elapsed().as_millis() as u64,
        },
    })
}

/// The night's settings of a station: its point, its couriers, the search seeded with `seed`.
fn night_settings(st: &Station, seed: u64) -> Result<NightSettings, SimError> {
    Ok(NightSettings {
        depot: milkrun_dairy::household::GeoPoint::new(st.point.0, st.point.1)
            .map_err(dairy_err)?,
        couriers: st
            .couriers
            .iter()
            .map(|c| PlanCourier {
                id: CourierId(i64::from(c.id)),
                capacity: COURIER_CAPACITY,
                shift_start_s: c.shift_start_s,
                shift_end_s: c.shift_end_s,
            })
            .collect(),
        service_s: SERVICE_S,
        max_snap_m: MAX_SNAP_M,
        stability: Some(Stability::default()),
        limits: PlanLimits {
            time_limit_ms: 300_000,
            seed,
            solver_iterations: 150,
            polish_iterations: 60,
        },
    })
}

/// The mid-week promotion as the loop keeps it.
struct MidWeekPromotion {
    /// The day index of the push.
    pushed: u32,
    promotion: Promotion,
    /// Each member's (first) subscription, and whether it is held out.
    members: Vec<(SubscriptionId, bool)>,
}

/// Segments the customers as of `day` (28 days of history), and pushes one promotion to the
/// largest segment: skimmed milk as an extra with one unit free, valid from `day` to `last`,
/// 20 % held out by the run's seed. `None` when no customer has a segment.
async fn push_mid_week(
    store: &Store,
    seed: u64,
    index: u32,
    day: Date,
    last: Date,
    sub_of_customer: &BTreeMap<CustomerId, SubscriptionId>,
) -> Result<Option<MidWeekPromotion>, SimError> {
    let segments = store
        .assign_segments(TENANT, day, 28)
        .await
        .map_err(store_err)?;
    let mut sizes: BTreeMap<milkrun_dairy::segment::Segment, usize> = BTreeMap::new();
    for s in &segments {
        *sizes.entry(s.segment).or_default() += 1;
    }
    // The largest segment; on a tie the first in the segments' order.
    let Some((&segment, _)) = sizes
        .iter()
        .max_by_key(|(seg, n)| (**n, std::cmp::Reverse(**seg)))
    else {
        return Ok(None);
    };
    let promotion = Promotion::new(
        PromotionId(1),
        Offer::Extra {
            product: PRODUCTS[1],
            free_units: 1,
        },
        day,
        last,
        segment,
        20,
        seed,
    )
    .map_err(dairy_err)?;
    store
        .add_promotion(TENANT, &promotion)
        .await
        .map_err(store_err)?;
    store
        .push_promotion(TENANT, promotion.id, day)
        .await
        .map_err(store_err)?;
    let members = store
        .promotion_members(TENANT, promotion.id)
        .await
        .map_err(store_err)?
        .into_iter()
        .filter_map(|(c, held)| sub_of_customer.get(&c).map(|&s| (s, held)))
        .collect();
    Ok(Some(MidWeekPromotion {
        pushed: index,
        promotion,
        members,
    }))
}

/// Imports the company into the store.
async fn import(
    store: &Store,
    plan: &company::CompanyPlan,
    stations: &[Station],
) -> Result<(), SimError> {
    store.add_tenant(&plan.tenant).await.map_err(store_err)?;
    store
        .set_rates(TENANT, plan.rates)
        .await
        .map_err(store_err)?;
    store
        .set_care_settings(TENANT, &CareSettings::DEFAULT)
        .await
        .map_err(store_err)?;
    for st in stations {
        store
            .add_station(TENANT, st.id, st.name)
            .await
            .map_err(store_err)?;
        for (i, c) in st.couriers.iter().enumerate() {
            store
                .add_courier(
                    TENANT,
                    CourierId(i64::from(c.id)),
                    &format!("{} {}", st.name, i + 1),
                )
                .await
                .map_err(store_err)?;
        }
        // Where the station stands and its couriers' shifts: the station's map and the
        // dispatcher's live day read them.
        let settings = night_settings(st, 0)?;
        let site = milkrun_dairy::dispatcher::StationSite {
            point: settings.depot,
            service_s: settings.service_s,
            max_snap_m: settings.max_snap_m,
            couriers: settings.couriers,
        };
        store
            .set_station_site(TENANT, st.id, &site)
            .await
            .map_err(store_err)?;
    }
    for p in &plan.products {
        store.add_product(TENANT, p).await.map_err(store_err)?;
    }
    for p in &plan.packages {
        store.add_package(TENANT, p).await.map_err(store_err)?;
    }
    store
        .import_households(TENANT, &plan.customers, &plan.households)
        .await
        .map_err(store_err)?;
    store
        .import_subscriptions(TENANT, &plan.subscriptions)
        .await
        .map_err(store_err)?;
    Ok(())
}

/// Sends the eve's requests; counts what was accepted and what came after the cut-off.
async fn calendar_changes(
    store: &Store,
    seed: u64,
    index: u32,
    day: Date,
    subs: &[milkrun_dairy::subscription::Subscription],
) -> Result<CalendarActivity, SimError> {
    let mut a = CalendarActivity::default();
    for r in requests(seed, index, day, subs).map_err(dairy_err)? {
        match store
            .request_operation(TENANT, r.subscription, r.kind, r.now)
            .await
        {
            Ok(_) => {
                let slot = match r.kind {
                    OperationKind::Pause { .. } => &mut a.pauses,
                    OperationKind::Skip { .. } => &mut a.skips,
                    OperationKind::Swap { .. } => &mut a.swaps,
                    OperationKind::Postpone { .. } => &mut a.postpones,
                    OperationKind::ChangeQuantity { .. } => &mut a.quantity_changes,
                    _ => &mut a.extras,
                };
                *slot += 1;
            }
            Err(StoreError::Domain(DairyError::LateChange { .. })) => a.refused_after_cutoff += 1,
            // A change the calendar does not allow (a skip of a paused day, a subscription
            // that has ended): the customer is told no; not a calendar change.
            Err(StoreError::Domain(_)) => {}
            Err(e) => return Err(store_err(e)),
        }
    }
    Ok(a)
}

/// Receives `units` of `product` at `station` on `day` (one lot); returns the units.
async fn receive(
    store: &Store,
    station: StationId,
    product: ProductId,
    day: Date,
    index: u32,
    units: u64,
) -> Result<u64, SimError> {
    if units == 0 {
        return Ok(0);
    }
    let q = u32::try_from(units).map_err(|_| SimError::Store("lot too large".into()))?;
    let lot = Lot::new(
        LotId(i64::from(index) * 1000 + station.0 * 10 + product.0),
        station,
        product,
        day,
        day.add_days(SHELF_LIFE_DAYS as i32 - 1),
        q,
    )
    .map_err(dairy_err)?;
    store.receive_lot(TENANT, &lot).await.map_err(store_err)?;
    Ok(units)
}

async fn record(store: &Store, order: OrderId, report: &OutcomeReport) -> Result<(), SimError> {
    store
        .record_outcome(TENANT, order, report)
        .await
        .map_err(store_err)?;
    Ok(())
}

/// Delivered: the courier scans the household's door token.
async fn deliver(
    store: &Store,
    o: &Order,
    courier: CourierId,
    when: Moment,
) -> Result<(), SimError> {
    record(
        store,
        o.id,
        &OutcomeReport::Delivered {
            courier,
            at: when,
            scanned_household: o.household,
            scanned_token: token(o.household),
        },
    )
    .await
}

/// The same-day retry order of a failed one: loaded on the courier who retries it, then
/// delivered or cancelled as the morning's retry ended.
#[allow(clippy::too_many_arguments)]
async fn retry_outcome(
    store: &Store,
    station: StationId,
    day: Date,
    failed: &Order,
    retry: OrderId,
    window: (i64, i64),
    end: RetryEnd,
    courier_id: &dyn Fn(usize) -> CourierId,
    sums: &mut Sums,
    couriers: &mut BTreeMap<i64, CourierWeek>,
) -> Result<(), SimError> {
    match end {
        RetryEnd::Delivered { courier, at_s } => {
            let c = courier_id(courier);
            let load = store
                .load_orders(TENANT, station, day, &[(retry, c)])
                .await
                .map_err(store_err)?;
            sums.demanded_units += u64::from(failed.quantity);
            if load.loaded.contains(&retry) {
                sums.supplied_units += u64::from(failed.quantity);
                let served = at_s.max(window.0);
                let o = Order {
                    id: retry,
                    ..*failed
                };
                deliver(store, &o, c, at(day, served)?).await?;
                let on_time = (window.0..=window.1).contains(&served);
                sums.on_time += u64::from(on_time);
                let cw = couriers.entry(c.0).or_default();
                cw.delivered += 1;
                cw.on_time += u64::from(on_time);
            } else {
                record(
                    store,
                    retry,
                    &OutcomeReport::Cancelled { at: at(day, at_s)? },
                )
                .await?;
            }
        }
        RetryEnd::Unserved => {
            sums.demanded_units += u64::from(failed.quantity);
            record(
                store,
                retry,
                &OutcomeReport::Cancelled {
                    at: at(day, window.1)?,
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// A late order at its end of the morning: loaded now on the courier who came to the door
/// (it was not in the morning's loading); if the stock cannot cover it, it is cancelled and
/// nothing is left to record. Unserved, it is left for the caller to cancel.
async fn late_order_loaded(
    store: &Store,
    station: StationId,
    day: Date,
    o: &Order,
    end: &StopEnd,
    courier_id: &dyn Fn(usize) -> CourierId,
    sums: &mut Sums,
) -> Result<Vec<Order>, SimError> {
    let (courier, at_s) = match *end {
        StopEnd::Delivered { courier, at_s } | StopEnd::Failed { courier, at_s, .. } => {
            (courier, at_s)
        }
        StopEnd::Unserved => return Ok(vec![*o]),
    };
    let load = store
        .load_orders(TENANT, station, day, &[(o.id, courier_id(courier))])
        .await
        .map_err(store_err)?;
    if load.loaded.contains(&o.id) {
        sums.supplied_units += u64::from(o.quantity);
        return Ok(vec![*o]);
    }
    record(
        store,
        o.id,
        &OutcomeReport::Cancelled { at: at(day, at_s)? },
    )
    .await?;
    sums.cancelled += 1;
    Ok(Vec::new())
}

/// Units delivered and returned (failed, brought back) per product at `station` on `day`.
async fn delivered_units(
    store: &Store,
    station: StationId,
    day: Date,
) -> Result<BTreeMap<ProductId, (u64, u64)>, SimError> {
    let rows = sqlx::query(
        "SELECT product_id, status, CAST(SUM(quantity) AS BIGINT) AS q FROM v_order_outcomes \
         WHERE tenant_id = $1 AND station_id = $2 AND delivery_date = $3 \
         GROUP BY product_id, status",
    )
    .bind(TENANT.0)
    .bind(station.0)
    .bind(day.to_string())
    .fetch_all(store.pool())
    .await
    .map_err(|e| SimError::Store(e.to_string()))?;
    let mut out: BTreeMap<ProductId, (u64, u64)> = BTreeMap::new();
    for r in &rows {
        let p = ProductId(
            r.try_get("product_id")
                .map_err(|e| SimError::Store(e.to_string()))?,
        );
        let status: String = r
            .try_get("status")
            .map_err(|e| SimError::Store(e.to_string()))?;
        let q: i64 = r.try_get("q").map_err(|e| SimError::Store(e.to_string()))?;
        let e = out.entry(p).or_default();
        match status.as_str() {
            "delivered" => e.0 += q.max(0) as u64,
            "failed" => e.1 += q.max(0) as u64,
            _ => {}
        }
    }
    Ok(out)
}

/// The polyline of a ridden path (station locations; door to door, as
/// [`RoadLocations::route_geometry`] draws it), thinned to [`MAP_ROUTE_POINTS`] plus its last
/// point, so the line still ends at the last door.
fn route_line(roads: &RoadEngine, locations: &RoadLocations, path: &[u32]) -> Vec<[f64; 2]> {
    let (line, _) = locations.route_geometry(roads, path);
    let step = line.len().div_ceil(MAP_ROUTE_POINTS).max(1);
    let mut out: Vec<[f64; 2]> = line.iter().step_by(step).map(|p| [p.lat, p.lon]).collect();
    if let Some(last) = line.last() {
        if (line.len() - 1) % step != 0 {
            out.push([last.lat, last.lon]);
        }
    }
    out
}

/// Road segments inside the households' bounding box, at most [`MAP_SEGMENTS`] of them
/// (every n-th), each as a two-point polyline.
fn road_lines(roads: &RoadEngine, households: &[Household]) -> Vec<Vec<[f64; 2]>> {
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
    for h in households {
        lat0 = lat0.min(h.point.lat);
        lat1 = lat1.max(h.point.lat);
        lon0 = lon0.min(h.point.lon);
        lon1 = lon1.max(h.point.lon);
    }
    let g = roads.graph();
    let inside = |p: LatLon| (lat0..=lat1).contains(&p.lat) && (lon0..=lon1).contains(&p.lon);
    let mut segments = Vec::new();
    for v in 0..g.num_nodes() {
        let Ok(v) = u32::try_from(v) else { break };
        let a = g.coord(NodeId(v));
        if !inside(a) {
            continue;
        }
        for e in g.out_edges(NodeId(v)) {
            let Ok(e) = u32::try_from(e) else { continue };
            let w = g.head(milkrun_engine::EdgeId(e));
            if w.0 > v {
                let b = g.coord(w);
                segments.push(vec![[a.lat, a.lon], [b.lat, b.lon]]);
            }
        }
    }
    let step = segments.len().div_ceil(MAP_SEGMENTS).max(1);
    segments.into_iter().step_by(step).collect()
}
