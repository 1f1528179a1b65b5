//! Shared fixtures for the store tests: a fresh database on either backend (a SQLite file in
//! the temp dir, or a fresh PostgreSQL database on the server of `MILKRUN_TEST_POSTGRES_URL`),
//! removed on drop, the [`on_both_backends!`] macro that runs one test body on both, and a
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
use sqlx::Connection;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The variable `scripts/test` sets to its throwaway PostgreSQL server's URL.
pub const POSTGRES_ENV: &str = "MILKRUN_TEST_POSTGRES_URL";

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The two store backends every store test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn name(b: Backend) -> TestResult` on both backends, as the tests
/// `name::sqlite` and `name::postgres`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[doc = concat!("[`super::", stringify!($name), "`] on SQLite.")]
                #[tokio::test]
                async fn sqlite() -> $crate::support::TestResult {
                    super::$name($crate::support::Backend::Sqlite).await
                }

                #[doc = concat!("[`super::", stringify!($name), "`] on PostgreSQL.")]
                #[tokio::test]
                async fn postgres() -> $crate::support::TestResult {
                    super::$name($crate::support::Backend::Postgres).await
                }
            }
        )*
    };
}
pub(crate) use on_both_backends;

/// A fresh, empty database of one backend with a unique name, removed on drop: a SQLite file
/// (and its WAL files) under the temp dir, or a PostgreSQL database created on the server of
/// `MILKRUN_TEST_POSTGRES_URL` and dropped (`WITH (FORCE)`) afterwards.
pub struct TestDb {
    pub backend: Backend,
    url: String,
    /// The SQLite file.
    pub path: Option<PathBuf>,
    /// The PostgreSQL server's URL and the database's name.
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A fresh database named after the test. PostgreSQL needs `MILKRUN_TEST_POSTGRES_URL`
    /// (set by `./scripts/test`): without it the test fails, it is never skipped.
    pub async fn new(backend: Backend, name: &str) -> Result<TestDb, Box<dyn std::error::Error>> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let unique = format!("{}_{n}_{name}", std::process::id()).replace('-', "_");
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("milkrun-dairy-{unique}.db"));
                Ok(TestDb {
                    backend,
                    url: format!("sqlite://{}", path.display()),
                    path: Some(path),
                    pg: None,
                })
            }
            Backend::Postgres => {
                let server = std::env::var(POSTGRES_ENV).map_err(|_| {
                    format!(
                        "{POSTGRES_ENV} is unset: the PostgreSQL half of the store tests needs a \
                         server; run ./scripts/test, which starts a throwaway one"
                    )
                })?;
                let db = format!("milkrun_{unique}");
                if db.len() > 63 {
                    return Err(format!("database name {db} is longer than 63 bytes").into());
                }
                let mut admin = sqlx::PgConnection::connect(&server).await?;
                sqlx::query(&format!("CREATE DATABASE \"{db}\""))
                    .execute(&mut admin)
                    .await?;
                admin.close().await?;
                Ok(TestDb {
                    backend,
                    url: with_database(&server, &db)?,
                    path: None,
                    pg: Some((server, db)),
                })
            }
        }
    }

    /// The URL to open the store with.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Opens (and migrates) the store on this database.
    pub async fn open(&self) -> Result<Store, Box<dyn std::error::Error>> {
        Ok(Store::open(&self.url).await?)
    }
}

/// `server` (a `postgres://…/dbname[?query]` URL) with its database replaced by `db`.
fn with_database(server: &str, db: &str) -> Result<String, Box<dyn std::error::Error>> {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server, None),
    };
    let rest = base
        .strip_prefix("postgres://")
        .or_else(|| base.strip_prefix("postgresql://"));
    let rest = rest.ok_or_else(|| format!("{POSTGRES_ENV} is not a postgres:// URL: {server}"))?;
    let host = rest.split_once('/').map_or(rest, |(h, _)| h);
    let mut url = format!("postgres://{host}/{db}");
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    Ok(url)
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
        if let Some((server, db)) = self.pg.take() {
            // Drop is synchronous and may run inside the test's runtime: drop the database from
            // a thread of its own with its own runtime, and wait for it.
            let dropper = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(mut admin) = sqlx::PgConnection::connect(&server).await {
                        let sql = format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)");
                        let _ = sqlx::query(&sql).execute(&mut admin).await;
                        let _ = admin.close().await;
                    }
                });
            });
            let _ = dropper.join();
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

/// Adds `count` more daily subscriptions (ids, households and customers from 1000 on, each
/// with a 10-delivery package and 1 to 3 bottles) to a tenant already [`seed`]ed, spread over
/// `stations` stations (stations 3 and up are added), through the bulk imports.
pub async fn seed_many(store: &Store, t: TenantId, stations: i64, count: i64) -> TestResult {
    for s in 3..=stations {
        store
            .add_station(t, StationId(s), &format!("Station {s}"))
            .await?;
    }
    let package = store.package(t, PackageId(1)).await?;
    let mut customers = Vec::new();
    let mut households = Vec::new();
    let mut subs = Vec::new();
    for i in 0..count {
        let id = 1000 + i;
        customers.push(Customer::new(CustomerId(id), &format!("Customer {id}"))?);
        households.push(Household::new(
            HouseholdId(id),
            CustomerId(id),
            StationId(1 + i % stations),
            &format!("Street {id}, Vaduz"),
            GeoPoint::new(47.14, 9.52)?,
            DeliveryWindow::new(5 * 3600, 8 * 3600)?,
            QrToken::new(&token(id))?,
        )?);
        subs.push(Subscription::for_package(
            SubscriptionId(id),
            HouseholdId(id),
            &package,
            date("2028-02-27")?,
            1 + u32::try_from(i % 3)?,
            WeekdayPattern::DAILY,
        )?);
    }
    store.import_households(t, &customers, &households).await?;
    store.import_subscriptions(t, &subs).await?;
    Ok(())
}
