//! Exactly once across crashes: a child process (this test binary re-invoked with
//! [`CHILD_ENV`] naming its step) freezes a day or closes it, and is killed with SIGKILL
//! part-way, several times; the step is then rerun in-process and the database must equal a
//! second one where the step ran uninterrupted: the same orders (ids and contents), the same
//! remedies, operations and outbox rows (no duplicate make-ups, credits or messages), and
//! nothing unaccounted. On both backends.
use crate::support;

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use milkrun_dairy::calendar::Moment;
use milkrun_dairy::outcome::FailureReason;
use milkrun_dairy::store::outcomes::OutcomeReport;
use milkrun_dairy::store::Store;
use sqlx::Row;
use support::*;

/// Set in the child: the step it runs (`freeze` or `close`).
const CHILD_ENV: &str = "MILKRUN_DAIRY_CRASH_STEP";
/// Set in the child: the store URL.
const URL_ENV: &str = "MILKRUN_DAIRY_CRASH_URL";
/// The day frozen and closed.
const DAY: &str = "2028-02-29";
/// How long a child may run before the test gives up on it.
const CHILD_LIMIT: Duration = Duration::from_secs(120);

fn freeze_at() -> Result<Moment, Box<dyn std::error::Error>> {
    at("2028-02-28", "20:00:00")
}

fn close_at() -> Result<Moment, Box<dyn std::error::Error>> {
    at(DAY, "18:00:00")
}

/// Runs the step named by [`CHILD_ENV`] when this process is a child; `None` otherwise.
async fn child_step() -> Option<TestResult> {
    let step = std::env::var(CHILD_ENV).ok()?;
    let run = async {
        let url = std::env::var(URL_ENV)?;
        let store = Store::open(&url).await?;
        match step.as_str() {
            "freeze" => {
                store.freeze_day(T1, date(DAY)?, freeze_at()?).await?;
            }
            "close" => {
                store.close_day(T1, date(DAY)?, close_at()?).await?;
            }
            other => return Err(format!("unknown step {other}").into()),
        }
        store.close().await;
        Ok(())
    };
    Some(run.await)
}

/// Starts this test binary again as a child running `step` on `url`, inside the test `name`
/// of this module (the harness names it by its path below the binary's root).
fn spawn_child(name: &str, step: &str, url: &str) -> std::io::Result<Child> {
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    let test = format!("{module}::{name}");
    Command::new(std::env::current_exe()?)
        .args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, step)
        .env(URL_ENV, url)
        .stdout(std::process::Stdio::null())
        .spawn()
}

/// How many rows `sql` (a `SELECT COUNT(*)`) counts.
async fn count(store: &Store, sql: &str) -> Result<i64, Box<dyn std::error::Error>> {
    Ok(sqlx::query(sql).fetch_one(store.pool()).await?.try_get(0)?)
}

/// Runs the child on `db` once per threshold, killing it with SIGKILL as soon as `sql` counts
/// at least that many rows; returns how many kills left the step part-done (fewer than
/// `total` rows counted at the kill).
async fn crash_repeatedly(
    db: &TestDb,
    name: &str,
    step: &str,
    sql: &str,
    thresholds: &[i64],
    total: i64,
) -> Result<usize, Box<dyn std::error::Error>> {
    let watcher = db.open().await?;
    let mut partial = 0;
    for &threshold in thresholds {
        let mut child = spawn_child(name, step, &db.url())?;
        let started = Instant::now();
        loop {
            if child.try_wait()?.is_some() {
                break;
            }
            let seen = count(&watcher, sql).await?;
            if seen >= threshold {
                child.kill()?;
                child.wait()?;
                if count(&watcher, sql).await? < total {
                    partial += 1;
                }
                break;
            }
            if started.elapsed() > CHILD_LIMIT {
                child.kill()?;
                child.wait()?;
                return Err(format!("the {step} child ran over {CHILD_LIMIT:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    watcher.close().await;
    eprintln!(
        "{name}: {partial} of {} kills landed part-way",
        thresholds.len()
    );
    Ok(partial)
}

/// Every row of the tables a freeze or a close writes, as text, in key order.
async fn snapshot(store: &Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let queries = [
        "SELECT 'order', order_id, subscription_id, household_id, station_id, delivery_date, \
         line, line_kind, product_id, quantity FROM orders ORDER BY order_id",
        "SELECT 'operation', operation_id, subscription_id, kind, date_from, date_to, \
         product_id, quantity FROM operations ORDER BY operation_id",
        "SELECT 'remedy', order_id, remedy, operation_id, retry_order_id, amount FROM remedies \
         ORDER BY order_id",
        "SELECT 'outbox', dedupe_key, topic, payload, sent FROM outbox ORDER BY dedupe_key",
    ];
    let mut out = Vec::new();
    for sql in queries {
        for row in sqlx::query(sql).fetch_all(store.pool()).await? {
            let mut line = Vec::with_capacity(row.len());
            for i in 0..row.len() {
                let cell = match row.try_get::<Option<i64>, _>(i) {
                    Ok(v) => format!("{v:?}"),
                    Err(_) => format!("{:?}", row.try_get::<Option<String>, _>(i)?),
                };
                line.push(cell);
            }
            out.push(line.join("|"));
        }
    }
    Ok(out)
}

/// Subscriptions added to the seed: 8 stations of 2,000 orders each.
const FREEZE_SUBS: i64 = 16_000;

/// SIGKILL during the night's freeze, after 1, 3 and 5 of 8 stations' transactions: a
/// rerun completes it, and the orders (ids and contents) equal an uninterrupted freeze's.
async fn kill_during_freeze(b: Backend) -> TestResult {
    let name = match b {
        Backend::Sqlite => "kill_during_freeze::sqlite",
        Backend::Postgres => "kill_during_freeze::postgres",
    };
    if let Some(child) = child_step().await {
        return child;
    }
    let crashed = TestDb::new(b, "crash_freeze").await?;
    let reference = TestDb::new(b, "crash_freeze_ref").await?;
    for db in [&crashed, &reference] {
        let store = db.open().await?;
        seed(&store, T1).await?;
        seed_many(&store, T1, 8, FREEZE_SUBS).await?;
        store.close().await;
    }
    let total = FREEZE_SUBS + 3;
    let per_station = FREEZE_SUBS / 8;
    let partial = crash_repeatedly(
        &crashed,
        name,
        "freeze",
        "SELECT COUNT(*) FROM orders",
        &[1, 3 * per_station, 5 * per_station],
        total,
    )
    .await?;
    assert!(partial >= 1, "no kill landed part-way through the freeze");
    let store = crashed.open().await?;
    let rerun = store.freeze_day(T1, date(DAY)?, freeze_at()?).await?;
    let reference_store = reference.open().await?;
    let full = reference_store
        .freeze_day(T1, date(DAY)?, freeze_at()?)
        .await?;
    assert_eq!(full.inserted, u64::try_from(total)?);
    assert_eq!(rerun.stations, full.stations);
    assert_eq!(snapshot(&store).await?, snapshot(&reference_store).await?);
    store.close().await;
    reference_store.close().await;
    Ok(())
}

/// Subscriptions added to the seed for the close: 2,000 orders.
const CLOSE_SUBS: i64 = 2_000;

/// Freezes the day and records an outcome for every order: by order id, a quarter fail "not
/// home" at 07:00 (a same-day retry, itself later delivered), a quarter are refused at 10:00
/// (points), a quarter fail "access closed" at 10:00 (a make-up), the rest are delivered.
/// Returns how many failed.
async fn day_with_failures(store: &Store) -> Result<i64, Box<dyn std::error::Error>> {
    let day = date(DAY)?;
    store.freeze_day(T1, day, freeze_at()?).await?;
    let mut failed = 0;
    for (i, o) in store.orders_on(T1, day).await?.iter().enumerate() {
        let failure = match i % 4 {
            0 => Some(("07:00:00", FailureReason::NotHome)),
            1 => Some(("10:00:00", FailureReason::Refused)),
            2 => Some(("10:00:00", FailureReason::AccessClosed)),
            _ => None,
        };
        let report = match failure {
            Some((hms, reason)) => {
                failed += 1;
                OutcomeReport::Failed {
                    courier: COURIER,
                    at: at(DAY, hms)?,
                    reason,
                }
            }
            None => OutcomeReport::Delivered {
                courier: COURIER,
                at: at(DAY, "06:30:00")?,
                scanned_household: o.household,
                scanned_token: token(o.household.0),
            },
        };
        store.record_outcome(T1, o.id, &report).await?;
    }
    Ok(failed)
}

/// Delivers every same-day retry order of the day (they have no outcome after the close's
/// remedies created them).
async fn deliver_retries(store: &Store) -> TestResult {
    let day = date(DAY)?;
    for o in store.orders_on(T1, day).await? {
        if store.outcome(T1, o.id).await?.is_none() {
            let scan = OutcomeReport::Delivered {
                courier: COURIER,
                at: at(DAY, "12:00:00")?,
                scanned_household: o.household,
                scanned_token: token(o.household.0),
            };
            store.record_outcome(T1, o.id, &scan).await?;
        }
    }
    Ok(())
}

/// SIGKILL during close of day (while it turns failures into remedies, operations, retry
/// orders and outbox messages), at three points: a rerun leaves exactly the rows of an
/// uninterrupted close (one remedy and one message per failed order, no duplicate make-up or
/// credit), and once the retries are delivered nothing is unaccounted.
async fn kill_during_close(b: Backend) -> TestResult {
    let name = match b {
        Backend::Sqlite => "kill_during_close::sqlite",
        Backend::Postgres => "kill_during_close::postgres",
    };
    if let Some(child) = child_step().await {
        return child;
    }
    let crashed = TestDb::new(b, "crash_close").await?;
    let reference = TestDb::new(b, "crash_close_ref").await?;
    let mut failures = Vec::new();
    for db in [&crashed, &reference] {
        let store = db.open().await?;
        seed(&store, T1).await?;
        seed_many(&store, T1, 2, CLOSE_SUBS).await?;
        failures.push(day_with_failures(&store).await?);
        store.close().await;
    }
    let failed = failures[0];
    assert_eq!(failures, [failed, failed]);
    let partial = crash_repeatedly(
        &crashed,
        name,
        "close",
        "SELECT COUNT(*) FROM remedies",
        &[failed / 10, failed / 3, failed * 2 / 3],
        failed,
    )
    .await?;
    assert!(partial >= 1, "no kill landed part-way through the close");
    let day = date(DAY)?;
    let store = crashed.open().await?;
    let reference_store = reference.open().await?;
    for s in [&store, &reference_store] {
        // The same-day retries are new orders without an outcome: close refuses the day
        // until they have one.
        assert!(s.close_day(T1, day, close_at()?).await.is_err());
        deliver_retries(s).await?;
    }
    let account = store.close_day(T1, day, close_at()?).await?;
    assert_eq!(
        account,
        reference_store.close_day(T1, day, close_at()?).await?
    );
    assert_eq!(snapshot(&store).await?, snapshot(&reference_store).await?);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM remedies").await?,
        failed
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM outbox").await?, failed);
    let failed = u64::try_from(failed)?;
    assert_eq!(
        account.retried + account.made_up + account.extended + account.credited,
        failed
    );
    assert_eq!(
        account.orders,
        account.delivered
            + account.retried
            + account.made_up
            + account.extended
            + account.credited
            + account.cancelled
    );
    store.close().await;
    reference_store.close().await;
    Ok(())
}

on_both_backends!(kill_during_freeze, kill_during_close);
