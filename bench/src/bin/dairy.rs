//! Speed benchmark of the dairy store on SQLite (issue #21): a book of subscriptions (one
//! million by default) frozen into tomorrow's orders, and close of day for 100,000 orders.
//! The data is generated from a seed and bulk-loaded (not timed); the freeze and the close
//! are timed through the store's own calls. Prints wall time, rows per second and the
//! process's peak memory (`VmHWM`) after each phase.
//!
//! `cargo run --release -p milkrun-bench --bin dairy -- [--subs N] [--close-orders N]
//! [--ops N] [--seed S] [--dir DIR] [--freeze-db postgres://HOST/DB]`
//!
//! `--freeze-db` runs the freeze on that (empty) database instead of a SQLite file, e.g. the
//! PostgreSQL of `scripts/postgres.sh`; `--close-orders 0` skips the close.
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use milkrun_bench::scale::peak_memory_mib;
use milkrun_calendar::Date;
use milkrun_dairy::calendar::{CutOff, Moment, Operation, OperationKind};
use milkrun_dairy::catalogue::{Pack, Package, Period, Product};
use milkrun_dairy::exception::{Credit, ExceptionPolicy, Remedy};
use milkrun_dairy::freeze::{freeze_day, SubscriptionDay};
use milkrun_dairy::household::{Customer, DeliveryWindow, GeoPoint, Household, QrToken};
use milkrun_dairy::ids::*;
use milkrun_dairy::money::Cents;
use milkrun_dairy::store::Store;
use milkrun_dairy::subscription::{Subscription, WeekdayPattern};
use milkrun_dairy::tenant::Tenant;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

/// The options.
#[derive(Parser, Debug)]
struct Args {
    /// Subscriptions to freeze.
    #[arg(long, default_value_t = 1_000_000)]
    subs: i64,
    /// Orders of the day to close (one daily subscription each).
    #[arg(long, default_value_t = 100_000)]
    close_orders: i64,
    /// Calendar operations (pauses, swaps, quantity changes, extras) on the frozen book.
    #[arg(long, default_value_t = 2_000)]
    ops: i64,
    /// The generator's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where the two SQLite files go (removed at the end).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The freeze on this store instead of a SQLite file: an empty database's URL
    /// (`postgres://HOST/DB`; its tables are created, and left for the caller to drop).
    #[arg(long)]
    freeze_db: Option<String>,
}

const T: TenantId = TenantId(1);
const STATIONS: i64 = 20;
const PRODUCTS: i64 = 3;
const COURIERS: i64 = 40;
/// The day frozen and closed.
const DAY: &str = "2028-03-15";

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(&args, &dir))
}

async fn run(args: &Args, dir: &Path) -> anyhow::Result<()> {
    let day = Date::parse_iso(DAY)?;
    println!(
        "dairy bench: seed {}, {} subscriptions, {} operations, close of {} orders",
        args.seed, args.subs, args.ops, args.close_orders
    );
    let freeze_db = dir.join(format!("milkrun-bench-freeze-{}.db", std::process::id()));
    let close_db = dir.join(format!("milkrun-bench-close-{}.db", std::process::id()));
    let freeze_url = args
        .freeze_db
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", freeze_db.display()));
    let result = async {
        freeze_phase(args, &freeze_url, day).await?;
        if args.close_orders == 0 {
            return Ok(());
        }
        close_phase(args, &close_db, day).await
    }
    .await;
    for db in [&freeze_db, &close_db] {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = db.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
    result
}

/// Loads the book, then times the store's freeze of `day` and the pure expansion alone.
async fn freeze_phase(args: &Args, url: &str, day: Date) -> anyhow::Result<()> {
    let store = Store::open(url).await?;
    println!(
        "freeze store: {}",
        url.split('@').next_back().unwrap_or(url)
    );
    let mut rng = Pcg64::seed_from_u64(args.seed);
    let packages = setup_tenant(&store).await?;
    let t = Instant::now();
    let subs = load_book(&store, &mut rng, &packages, args.subs, day, false).await?;
    println!(
        "load: {} subscriptions in {:.1} s (not timed below)",
        subs.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let ops = add_operations(&store, &mut rng, &subs, args.ops, day).await?;
    println!(
        "operations: {} requested in {:.1} s",
        ops.len(),
        t.elapsed().as_secs_f64()
    );

    let now = Moment::new(day.add_days(-1), 20 * 3600)?;
    let t = Instant::now();
    let report = store.freeze_day(T, day, now).await?;
    let wall = t.elapsed().as_secs_f64();
    let orders: usize = report.stations.iter().map(|s| s.orders.len()).sum();
    println!(
        "freeze {day}: {} subscriptions -> {orders} orders ({} inserted) in {} station transactions: \
         {wall:.2} s, {:.0} subscriptions/s, {:.0} orders/s; peak memory {:.0} MiB",
        subs.len(),
        report.inserted,
        report.stations.len(),
        subs.len() as f64 / wall,
        orders as f64 / wall,
        peak_memory_mib().unwrap_or(f64::NAN)
    );

    // The pure expansion alone, on the same book in memory.
    let mut by_sub: std::collections::HashMap<SubscriptionId, Vec<Operation>> =
        std::collections::HashMap::new();
    for op in ops {
        by_sub.entry(op.subscription).or_default().push(op);
    }
    let days: Vec<SubscriptionDay> = subs
        .into_iter()
        .map(|(subscription, station, product)| SubscriptionDay {
            ops: by_sub.remove(&subscription.id).unwrap_or_default(),
            subscription,
            station,
            product,
        })
        .collect();
    let t = Instant::now();
    let pure = freeze_day(T, day, &days)?;
    let wall = t.elapsed().as_secs_f64();
    let pure_orders: usize = pure.iter().map(|s| s.orders.len()).sum();
    anyhow::ensure!(
        pure == report.stations,
        "the pure expansion differs from the store's"
    );
    println!(
        "pure expansion (no I/O): {pure_orders} orders in {wall:.2} s, {:.0} subscriptions/s",
        days.len() as f64 / wall
    );
    let t = Instant::now();
    let again = store.freeze_day(T, day, now).await?;
    println!(
        "re-run of the freeze: {} inserted, {:.2} s",
        again.inserted,
        t.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(())
}

/// Freezes `close_orders` daily deliveries, records their outcomes in bulk (90 % delivered,
/// 5 % made up, 5 % credited, all failures after the retry hour), then times close of day
/// and the couriers' settlement.
async fn close_phase(args: &Args, path: &Path, day: Date) -> anyhow::Result<()> {
    let store = Store::open(&format!("sqlite://{}", path.display())).await?;
    let mut rng = Pcg64::seed_from_u64(args.seed.wrapping_add(1));
    let packages = setup_tenant(&store).await?;
    store
        .set_rates(
            T,
            milkrun_dairy::settlement::RateTable::new(Cents(120), Cents(15))?,
        )
        .await?;
    load_book(&store, &mut rng, &packages, args.close_orders, day, true).await?;
    let now = Moment::new(day.add_days(-1), 20 * 3600)?;
    let frozen = store.freeze_day(T, day, now).await?;
    let orders: Vec<_> = frozen
        .stations
        .iter()
        .flat_map(|s| s.orders.iter())
        .collect();
    let mut tx = store.pool().begin().await?;
    let mut failed = 0u64;
    for chunk in orders.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO order_outcomes (tenant_id, order_id, status, reason, courier_id, \
             outcome_date, outcome_s, outcome_hms) VALUES ",
        );
        for (i, o) in chunk.iter().enumerate() {
            let courier = 1 + o.station.0 % COURIERS;
            let roll = rng.random_range(0..100);
            let (status, reason, s, hms) = match roll {
                0..=4 => ("failed", "'access_closed'", 36_000, "10:00:00"),
                5..=9 => ("failed", "'refused'", 36_000, "10:00:00"),
                _ => ("delivered", "NULL", 23_400, "06:30:00"),
            };
            if status == "failed" {
                failed += 1;
            }
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "({}, {}, '{status}', {reason}, {courier}, '{day}', {s}, '{hms}')",
                T.0, o.id.0
            ));
        }
        sqlx::query(&sql).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    let t = Instant::now();
    let account = store
        .close_day(T, day, Moment::new(day, 18 * 3600)?)
        .await?;
    let wall = t.elapsed().as_secs_f64();
    println!(
        "close {day}: {} orders ({failed} failed -> {} made up, {} credited), unaccounted 0: \
         {wall:.2} s, {:.0} orders/s, {:.0} remedies/s; peak memory {:.0} MiB",
        account.orders,
        account.made_up,
        account.credited,
        account.orders as f64 / wall,
        failed as f64 / wall,
        peak_memory_mib().unwrap_or(f64::NAN)
    );
    let t = Instant::now();
    let again = store
        .close_day(T, day, Moment::new(day, 19 * 3600)?)
        .await?;
    anyhow::ensure!(again == account, "a second close gave other accounts");
    println!(
        "second close (nothing left to remedy): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let pay = store.settle_day(T, day).await?;
    println!(
        "settlement: {} couriers in {:.2} s",
        pay.len(),
        t.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(())
}

/// The tenant, its stations, couriers, products and packages (per product: 40 deliveries, a
/// month, a quarter, a year).
async fn setup_tenant(store: &Store) -> anyhow::Result<Vec<Package>> {
    let policy = ExceptionPolicy::new(
        Some(9 * 3600),
        Remedy::MakeUpNextDay,
        Remedy::Credit(Credit::Points(50)),
    )?;
    store
        .add_tenant(&Tenant::new(
            T,
            "Bench Dairy",
            CutOff::new(1, 20 * 3600)?,
            policy,
        )?)
        .await?;
    for s in 1..=STATIONS {
        store
            .add_station(T, StationId(s), &format!("Station {s}"))
            .await?;
    }
    for c in 1..=COURIERS {
        store
            .add_courier(T, CourierId(c), &format!("Courier {c}"))
            .await?;
    }
    let mut packages = Vec::new();
    for p in 1..=PRODUCTS {
        store
            .add_product(T, &Product::new(ProductId(p), &format!("Product {p}"))?)
            .await?;
        for (k, period) in [
            Period::Deliveries(40),
            Period::Month,
            Period::Quarter,
            Period::Year,
        ]
        .into_iter()
        .enumerate()
        {
            let k = i64::try_from(k)?;
            let package = Package::new(
                PackageId(p * 10 + k),
                ProductId(p),
                1000,
                period,
                Pack::Single,
                Cents(1500),
            )?;
            store.add_package(T, &package).await?;
            packages.push(package);
        }
    }
    Ok(packages)
}

/// `count` households with one subscription each, bulk-loaded in chunks of 100,000. With
/// `daily_from_yesterday` every subscription is a daily yearly one started the day before
/// `day` (each gives one order on `day`); otherwise starts spread over the 90 days before
/// `day`, random packages, weekday patterns and quantities.
async fn load_book(
    store: &Store,
    rng: &mut Pcg64,
    packages: &[Package],
    count: i64,
    day: Date,
    daily_from_yesterday: bool,
) -> anyhow::Result<Vec<(Subscription, StationId, ProductId)>> {
    const CHUNK: i64 = 100_000;
    let mut book = Vec::with_capacity(usize::try_from(count)?);
    let mut first = 1;
    while first <= count {
        let last = (first + CHUNK - 1).min(count);
        let mut customers = Vec::new();
        let mut households = Vec::new();
        let mut subs = Vec::new();
        for id in first..=last {
            let station = StationId(rng.random_range(1..=STATIONS));
            customers.push(Customer::new(CustomerId(id), &format!("Customer {id}"))?);
            households.push(Household::new(
                HouseholdId(id),
                CustomerId(id),
                station,
                &format!("Street {id}"),
                GeoPoint::new(
                    47.0 + rng.random::<f64>() * 0.3,
                    9.4 + rng.random::<f64>() * 0.2,
                )?,
                DeliveryWindow::new(5 * 3600, 8 * 3600)?,
                QrToken::new(&format!("token-{id:08}-{}", rng.random::<u32>()))?,
            )?);
            let (package, start, quantity, weekdays) = if daily_from_yesterday {
                (&packages[3], day.add_days(-1), 1, WeekdayPattern::DAILY)
            } else {
                let package = &packages[rng.random_range(0..packages.len())];
                let start = day.add_days(-rng.random_range(0..90));
                let weekdays = match rng.random_range(0..4) {
                    0 | 1 => WeekdayPattern::DAILY,
                    _ => WeekdayPattern::from_bits(rng.random_range(1..128))?,
                };
                (package, start, rng.random_range(1..=3), weekdays)
            };
            let sub = Subscription::for_package(
                SubscriptionId(id),
                HouseholdId(id),
                package,
                start,
                quantity,
                weekdays,
            )?;
            book.push((sub.clone(), station, package.product));
            subs.push(sub);
        }
        store
            .import_households(T, &customers, &households)
            .await
            .context("households")?;
        store
            .import_subscriptions(T, &subs)
            .await
            .context("subscriptions")?;
        first = last + 1;
    }
    Ok(book)
}

/// `count` calendar operations on random subscriptions, requested three days before `day`:
/// pauses over `day`, swaps and quantity changes from `day` on, and extras on `day`.
async fn add_operations(
    store: &Store,
    rng: &mut Pcg64,
    book: &[(Subscription, StationId, ProductId)],
    count: i64,
    day: Date,
) -> anyhow::Result<Vec<Operation>> {
    let now = Moment::new(day.add_days(-3), 8 * 3600)?;
    let mut out = Vec::new();
    for _ in 0..count {
        let sub = &book[rng.random_range(0..book.len())].0;
        let product = ProductId(rng.random_range(1..=PRODUCTS));
        let kind = match rng.random_range(0..4) {
            0 => OperationKind::Pause {
                from: day.add_days(-1),
                to: day.add_days(rng.random_range(0..5)),
            },
            1 => OperationKind::Swap {
                product,
                from: day,
                until: None,
            },
            2 => OperationKind::ChangeQuantity {
                from: day,
                quantity: rng.random_range(1..=4),
            },
            _ => OperationKind::Extra {
                date: day,
                product,
                quantity: rng.random_range(1..=2),
            },
        };
        out.push(store.request_operation(T, sub.id, kind, now).await?);
    }
    Ok(out)
}
