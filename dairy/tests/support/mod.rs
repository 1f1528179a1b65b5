//! Shared fixtures for the store tests: a SQLite file in the temp dir (removed on drop) and a
//! small seeded tenant.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use milkrun_calendar::Date;
use milkrun_dairy::calendar::{CutOff, Moment};
use milkrun_dairy::catalogue::{Pack, Package, Period, Product};
use milkrun_dairy::exception::{Credit, ExceptionPolicy, Remedy};
use milkrun_dairy::household::{Customer, DeliveryWindow, GeoPoint, Household, QrToken};
use milkrun_dairy::ids::*;
use milkrun_dairy::money::Cents;
use milkrun_dairy::store::Store;
use milkrun_dairy::subscription::{Subscription, Term, WeekdayPattern};
use milkrun_dairy::tenant::Tenant;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A SQLite file under the temp dir with a unique name; the file and its WAL files are
/// removed on drop.
pub struct TempDb {
    pub path: PathBuf,
}

impl TempDb {
    pub fn new(name: &str) -> TempDb {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let file = format!("milkrun-dairy-{}-{n}-{name}.db", std::process::id());
        TempDb {
            path: std::env::temp_dir().join(file),
        }
    }

    pub fn url(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

pub const T1: TenantId = TenantId(1);
pub const T2: TenantId = TenantId(2);
pub const MILK: ProductId = ProductId(1);
pub const SKIMMED: ProductId = ProductId(2);
pub const COURIER: CourierId = CourierId(1);

pub fn date(s: &str) -> Result<Date, Box<dyn std::error::Error>> {
    Ok(Date::parse_iso(s)?)
}

pub fn at(day: &str, hms: &str) -> Result<Moment, Box<dyn std::error::Error>> {
    let s = milkrun_calendar::parse_hms(hms).ok_or("bad time")?;
    Ok(Moment::new(date(day)?, s)?)
}

/// The token of household `h`.
pub fn token(h: i64) -> String {
    format!("door-token-{h:04}")
}

/// Tenant `t` with a cut-off at 20:00 the day before, two stations, one courier, milk and
/// skimmed milk, a 10-delivery package, and three daily subscriptions from 2028-02-27
/// (households 1 and 2 at station 1, household 3 at station 2). Tenant 1 retries failures
/// before 09:00 and makes up later ones, crediting 50 points for refusals; tenant 2 extends by
/// a day and gives a 2.00 coupon for refusals.
pub async fn seed(store: &Store, t: TenantId) -> TestResult {
    let policy = if t == T1 {
        ExceptionPolicy::new(
            Some(9 * 3600),
            Remedy::MakeUpNextDay,
            Remedy::Credit(Credit::Points(50)),
        )?
    } else {
        ExceptionPolicy::new(
            None,
            Remedy::ExtendOneDay,
            Remedy::Credit(Credit::Coupon(Cents(200))),
        )?
    };
    store
        .add_tenant(&Tenant::new(
            t,
            "Alpine Dairy",
            CutOff::new(1, 20 * 3600)?,
            policy,
        )?)
        .await?;
    store.add_station(t, StationId(1), "Vaduz").await?;
    store.add_station(t, StationId(2), "Schaan").await?;
    store.add_courier(t, COURIER, "Anna").await?;
    store
        .add_product(t, &Product::new(MILK, "Whole milk")?)
        .await?;
    store
        .add_product(t, &Product::new(SKIMMED, "Skimmed milk")?)
        .await?;
    let package = Package::new(
        PackageId(1),
        MILK,
        1000,
        Period::Deliveries(10),
        Pack::Single,
        Cents(1500),
    )?;
    store.add_package(t, &package).await?;
    for h in 1..=3 {
        store
            .add_customer(t, &Customer::new(CustomerId(h), &format!("Customer {h}"))?)
            .await?;
        let station = StationId(if h == 3 { 2 } else { 1 });
        let household = Household::new(
            HouseholdId(h),
            CustomerId(h),
            station,
            &format!("Street {h}, Vaduz"),
            GeoPoint::new(47.14, 9.52)?,
            DeliveryWindow::new(5 * 3600, 8 * 3600)?,
            QrToken::new(&token(h))?,
        )?;
        store.add_household(t, &household).await?;
        let sub = Subscription::for_package(
            SubscriptionId(h),
            HouseholdId(h),
            &package,
            date("2028-02-27")?,
            1,
            WeekdayPattern::DAILY,
        )?;
        assert_eq!(sub.term, Term::Prepaid(10));
        store.add_subscription(t, &sub).await?;
    }
    Ok(())
}
