//! A dairy group of many small stations, for the nightly batch across machines (issue #23):
//! its tenant, stations, couriers, households on road points near each station and daily
//! subscriptions are written to a store, and its days frozen, so that each station-day is a
//! night plan to run (`Store::plan_night`). The scale-out test and the throughput benchmark
//! both build their night from it.
//!
//! Deterministic: station `k`'s depot is road point `k * len / stations`, its households the
//! road points nearest to it (ties by index), none shared between stations.
use milkrun_calendar::Date;
use milkrun_dairy::calendar::{CutOff, Moment};
use milkrun_dairy::catalogue::{Pack, Package, Period, Product};
use milkrun_dairy::engine::PlanCourier;
use milkrun_dairy::exception::{Credit, ExceptionPolicy, Remedy};
use milkrun_dairy::household::{Customer, DeliveryWindow, GeoPoint, Household, QrToken};
use milkrun_dairy::ids::{
    CourierId, CustomerId, HouseholdId, PackageId, ProductId, StationId, SubscriptionId, TenantId,
};
use milkrun_dairy::money::Cents;
use milkrun_dairy::store::Store;
use milkrun_dairy::subscription::{Subscription, WeekdayPattern};
use milkrun_dairy::tenant::Tenant;

use crate::SimError;

/// The most stations a group may have.
pub const MAX_STATIONS: u32 = 1_000;
/// The most households per station.
pub const MAX_HOUSEHOLDS_PER_STATION: u32 = 2_000;
/// The most couriers per station.
pub const MAX_COURIERS_PER_STATION: u32 = 200;
/// The most days frozen.
pub const MAX_GROUP_DAYS: u32 = 60;
/// Bottles a courier carries.
pub const GROUP_CAPACITY: u32 = 60;
/// Couriers ride 05:00 to 10:00; households take deliveries 05:00 to 09:00.
pub const GROUP_SHIFT_S: (i64, i64) = (5 * 3600, 10 * 3600);

/// What group to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSpec {
    /// The tenant (created; it must not exist yet).
    pub tenant: TenantId,
    /// Stations (1..=[`MAX_STATIONS`]).
    pub stations: u32,
    /// Households per station, each with one daily subscription of 1 to 3 bottles.
    pub households_per_station: u32,
    /// Couriers per station.
    pub couriers_per_station: u32,
    /// The first delivery day.
    pub first_date: Date,
    /// Days frozen from `first_date` on (each a night to plan per station).
    pub days: u32,
}

/// A station of the group, with what its night needs besides the orders.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStation {
    /// The station.
    pub id: StationId,
    /// Its point.
    pub depot: GeoPoint,
    /// Its couriers.
    pub couriers: Vec<PlanCourier>,
}

fn config(field: &'static str, reason: impl Into<String>) -> SimError {
    SimError::Config {
        field,
        reason: reason.into(),
    }
}

fn store_err(e: impl std::fmt::Display) -> SimError {
    SimError::Store(e.to_string())
}

impl GroupSpec {
    /// Checks every field, naming the first bad one.
    pub fn check(&self, road_points: usize) -> Result<(), SimError> {
        if !(1..=MAX_STATIONS).contains(&self.stations) {
            return Err(config("stations", format!("give 1 to {MAX_STATIONS}")));
        }
        if !(1..=MAX_HOUSEHOLDS_PER_STATION).contains(&self.households_per_station) {
            return Err(config(
                "households_per_station",
                format!("give 1 to {MAX_HOUSEHOLDS_PER_STATION}"),
            ));
        }
        if !(1..=MAX_COURIERS_PER_STATION).contains(&self.couriers_per_station) {
            return Err(config(
                "couriers_per_station",
                format!("give 1 to {MAX_COURIERS_PER_STATION}"),
            ));
        }
        if !(1..=MAX_GROUP_DAYS).contains(&self.days) {
            return Err(config("days", format!("give 1 to {MAX_GROUP_DAYS}")));
        }
        let needed = u64::from(self.stations) * (u64::from(self.households_per_station) + 1);
        if needed > road_points as u64 {
            return Err(config(
                "households_per_station",
                format!("{needed} points needed, the roads have {road_points}"),
            ));
        }
        Ok(())
    }
}

/// Writes the group of `spec` into `store` on the given road points (`(lat, lon)`, e.g.
/// `milkrun_station::road::road_points`) and freezes its days; returns its stations.
pub async fn seed_group(
    store: &Store,
    road_points: &[(f64, f64)],
    spec: &GroupSpec,
) -> Result<Vec<GroupStation>, SimError> {
    spec.check(road_points.len())?;
    let t = spec.tenant;
    let policy = ExceptionPolicy::new(
        None,
        Remedy::MakeUpNextDay,
        Remedy::Credit(Credit::Points(50)),
    )
    .map_err(store_err)?;
    let cutoff = CutOff::new(1, 20 * 3600).map_err(store_err)?;
    store
        .add_tenant(&Tenant::new(t, "Valley Dairy Group", cutoff, policy).map_err(store_err)?)
        .await
        .map_err(store_err)?;
    let milk = ProductId(1);
    store
        .add_product(t, &Product::new(milk, "Whole milk").map_err(store_err)?)
        .await
        .map_err(store_err)?;
    let package = Package::new(
        PackageId(1),
        milk,
        1000,
        Period::Deliveries(MAX_GROUP_DAYS),
        Pack::Single,
        Cents(4500),
    )
    .map_err(store_err)?;
    store.add_package(t, &package).await.map_err(store_err)?;
    let mut taken = vec![false; road_points.len()];
    let mut stations = Vec::new();
    let mut customers = Vec::new();
    let mut households = Vec::new();
    let mut subs = Vec::new();
    let window = DeliveryWindow::new(GROUP_SHIFT_S.0, 9 * 3600).map_err(store_err)?;
    for k in 0..spec.stations {
        let id = StationId(i64::from(k) + 1);
        let mut at = (k as usize) * road_points.len() / spec.stations as usize;
        while taken[at] {
            at = (at + 1) % road_points.len();
        }
        taken[at] = true;
        let (lat, lon) = road_points[at];
        let depot = GeoPoint::new(lat, lon).map_err(store_err)?;
        store
            .add_station(t, id, &format!("Station {}", id.0))
            .await
            .map_err(store_err)?;
        let mut couriers = Vec::new();
        for c in 0..spec.couriers_per_station {
            let cid = CourierId(id.0 * 1000 + i64::from(c) + 1);
            store
                .add_courier(t, cid, &format!("Courier {}", cid.0))
                .await
                .map_err(store_err)?;
            couriers.push(PlanCourier {
                id: cid,
                capacity: GROUP_CAPACITY,
                shift_start_s: GROUP_SHIFT_S.0,
                shift_end_s: GROUP_SHIFT_S.1,
            });
        }
        // The nearest free road points (squared degrees, longitude scaled by the latitude).
        let scale = lat.to_radians().cos();
        let mut near: Vec<(f64, usize)> = road_points
            .iter()
            .enumerate()
            .filter(|&(i, _)| !taken[i])
            .map(|(i, &(a, b))| {
                let dy = a - lat;
                let dx = (b - lon) * scale;
                (dy * dy + dx * dx, i)
            })
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (n, &(_, i)) in near
            .iter()
            .take(spec.households_per_station as usize)
            .enumerate()
        {
            taken[i] = true;
            let hid = id.0 * 10_000 + n as i64 + 1;
            let (a, b) = road_points[i];
            customers.push(
                Customer::new(CustomerId(hid), &format!("Customer {hid}")).map_err(store_err)?,
            );
            households.push(
                Household::new(
                    HouseholdId(hid),
                    CustomerId(hid),
                    id,
                    &format!("Door {hid}"),
                    GeoPoint::new(a, b).map_err(store_err)?,
                    window,
                    QrToken::new(&format!("group-door-{hid}")).map_err(store_err)?,
                )
                .map_err(store_err)?,
            );
            subs.push(
                Subscription::for_package(
                    SubscriptionId(hid),
                    HouseholdId(hid),
                    &package,
                    spec.first_date,
                    1 + (n % 3) as u32,
                    WeekdayPattern::DAILY,
                )
                .map_err(store_err)?,
            );
        }
        stations.push(GroupStation {
            id,
            depot,
            couriers,
        });
    }
    store
        .import_households(t, &customers, &households)
        .await
        .map_err(store_err)?;
    store
        .import_subscriptions(t, &subs)
        .await
        .map_err(store_err)?;
    for d in 0..spec.days {
        let day = spec.first_date.add_days(d as i32);
        let eve = Moment::new(day.add_days(-1), 20 * 3600).map_err(store_err)?;
        store.freeze_day(t, day, eve).await.map_err(store_err)?;
    }
    Ok(stations)
}
