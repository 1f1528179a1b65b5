//! The exception policy through the store: each branch, and exactly once under replays and
//! re-runs.
use crate::support;

use milkrun_dairy::calendar::{DeliveryLine, OperationKind};
use milkrun_dairy::exception::{Credit, Remedy};
use milkrun_dairy::freeze::Order;
use milkrun_dairy::ids::*;
use milkrun_dairy::money::Cents;
use milkrun_dairy::outcome::FailureReason;
use milkrun_dairy::store::outcomes::OutcomeReport;
use milkrun_dairy::store::{Store, StoreError};
use support::*;

/// Opens a seeded store for tenant `t` with 2028-02-29 frozen, and returns the order of
/// household `h` after failing it at `hms` for `reason`.
async fn failed(
    db: &TestDb,
    t: TenantId,
    h: i64,
    hms: &str,
    reason: FailureReason,
) -> Result<(Store, Order), Box<dyn std::error::Error>> {
    let store = db.open().await?;
    seed(&store, t).await?;
    let day = date("2028-02-29")?;
    store
        .freeze_day(t, day, at("2028-02-28", "20:00:00")?)
        .await?;
    let order = store
        .orders_on(t, day)
        .await?
        .into_iter()
        .find(|o| o.household == HouseholdId(h))
        .ok_or("no order")?;
    let report = OutcomeReport::Failed {
        courier: COURIER,
        at: at("2028-02-29", hms)?,
        reason,
    };
    store.record_outcome(t, order.id, &report).await?;
    Ok((store, order))
}

/// An early "not home" is retried the same day: a new order on the failed order's day, once;
/// a replay returns the same retry and adds no order.
async fn same_day_retry_once(b: Backend) -> TestResult {
    let db = TestDb::new(b, "retry").await?;
    let (store, order) = failed(&db, T1, 1, "07:00:00", FailureReason::NotHome).await?;
    let now = at("2028-02-29", "07:01:00")?;
    let first = store.apply_exception(T1, order.id, now).await?;
    assert_eq!((first.remedy, first.created), (Remedy::SameDayRetry, true));
    let retry_id = first.retry_order.ok_or("no retry order")?;
    let retry = store.order(T1, retry_id).await?;
    assert_eq!(
        (retry.date, retry.household, retry.quantity),
        (order.date, order.household, order.quantity)
    );
    assert!(matches!(retry.line, DeliveryLine::MakeUp(_)));
    let again = store.apply_exception(T1, order.id, now).await?;
    assert_eq!(
        (again.created, again.retry_order, again.operation),
        (false, first.retry_order, first.operation)
    );
    assert_eq!(store.orders_on(T1, order.date).await?.len(), 4);
    // Re-freezing the day gives the retry order its same id: nothing new.
    assert_eq!(store.freeze_day(T1, order.date, now).await?.inserted, 0);
    store.close().await;
    Ok(())
}

/// A late failure is made up on the next delivery day as its own line, and the prepaid count
/// is not used up by it: ten regular deliveries plus the make-up.
async fn make_up_on_the_next_delivery_day(b: Backend) -> TestResult {
    let db = TestDb::new(b, "makeup").await?;
    let (store, order) = failed(&db, T1, 2, "10:00:00", FailureReason::AccessClosed).await?;
    let applied = store
        .apply_exception(T1, order.id, at("2028-02-29", "10:05:00")?)
        .await?;
    assert_eq!(applied.remedy, Remedy::MakeUpNextDay);
    let ops = store.operations(T1, order.subscription).await?;
    assert_eq!(ops.len(), 1);
    assert!(
        matches!(ops[0].kind, OperationKind::MakeUp { date, .. } if date == order.date.add_days(1))
    );
    let all = store
        .deliveries(
            T1,
            order.subscription,
            date("2028-02-01")?,
            date("2028-04-30")?,
        )
        .await?;
    let regular = all
        .iter()
        .filter(|d| d.line == DeliveryLine::Regular)
        .count();
    let make_ups: Vec<String> = all
        .iter()
        .filter(|d| d.line != DeliveryLine::Regular)
        .map(|d| d.date.to_string())
        .collect();
    assert_eq!((regular, make_ups), (10, vec!["2028-03-01".to_string()]));
    store.close().await;
    Ok(())
}

/// A refusal is credited (points for tenant 1, a coupon for tenant 2); a credit adds no
/// operation and no order.
async fn refusals_are_credited(b: Backend) -> TestResult {
    let db = TestDb::new(b, "credit").await?;
    let (store, order) = failed(&db, T1, 3, "06:00:00", FailureReason::Refused).await?;
    let applied = store
        .apply_exception(T1, order.id, at("2028-02-29", "06:01:00")?)
        .await?;
    assert_eq!(
        (applied.remedy, applied.operation),
        (Remedy::Credit(Credit::Points(50)), None)
    );
    assert!(store.operations(T1, order.subscription).await?.is_empty());
    store.close().await;
    let db = TestDb::new(b, "coupon").await?;
    let (store, order) = failed(&db, T2, 3, "06:00:00", FailureReason::AddressWrong).await?;
    let applied = store
        .apply_exception(T2, order.id, at("2028-02-29", "06:01:00")?)
        .await?;
    assert_eq!(applied.remedy, Remedy::Credit(Credit::Coupon(Cents(200))));
    store.close().await;
    Ok(())
}

/// Tenant 2 extends the subscription by one delivery: eleven regular deliveries in all.
async fn extension_adds_a_delivery_at_the_end(b: Backend) -> TestResult {
    let db = TestDb::new(b, "extend").await?;
    let (store, order) = failed(&db, T2, 1, "06:00:00", FailureReason::NotHome).await?;
    let applied = store
        .apply_exception(T2, order.id, at("2028-02-29", "06:01:00")?)
        .await?;
    assert_eq!(applied.remedy, Remedy::ExtendOneDay);
    let all = store
        .deliveries(
            T2,
            order.subscription,
            date("2028-02-01")?,
            date("2028-04-30")?,
        )
        .await?;
    assert_eq!(all.len(), 11);
    assert_eq!(
        all.last().map(|d| d.date.to_string()),
        Some("2028-03-08".into())
    );
    store.close().await;
    Ok(())
}

/// Exactly once: the sweep of a day's failures after a crash (simulated by a reopen) creates
/// only what is missing, and a second sweep creates nothing; an order that did not fail gets
/// no remedy.
async fn replays_and_reruns_create_nothing_twice(b: Backend) -> TestResult {
    let db = TestDb::new(b, "rerun").await?;
    let (store, order) = failed(&db, T1, 2, "10:00:00", FailureReason::NotHome).await?;
    let day = order.date;
    let other = store
        .orders_on(T1, day)
        .await?
        .into_iter()
        .find(|o| o.household == HouseholdId(1))
        .ok_or("no order")?;
    let report = OutcomeReport::Failed {
        courier: COURIER,
        at: at("2028-02-29", "11:00:00")?,
        reason: FailureReason::Damaged,
    };
    store.record_outcome(T1, other.id, &report).await?;
    let now = at("2028-02-29", "12:00:00")?;
    store.apply_exception(T1, order.id, now).await?;
    store.close().await;
    let store = db.open().await?;
    let swept = store.resolve_failures(T1, day, now).await?;
    assert_eq!(
        swept.iter().map(|r| r.order).collect::<Vec<_>>(),
        [other.id]
    );
    assert!(store.resolve_failures(T1, day, now).await?.is_empty());
    for o in [order.id, other.id] {
        store.apply_exception(T1, o, now).await?;
    }
    let mut ops = 0;
    for s in 1..=3 {
        ops += store.operations(T1, SubscriptionId(s)).await?.len();
    }
    assert_eq!(ops, 2);
    let untouched = store
        .orders_on(T1, day)
        .await?
        .into_iter()
        .find(|o| o.household == HouseholdId(3))
        .ok_or("no order")?;
    assert!(matches!(
        store.apply_exception(T1, untouched.id, now).await,
        Err(StoreError::Domain(_))
    ));
    store.close().await;
    Ok(())
}

on_both_backends!(
    same_day_retry_once,
    make_up_on_the_next_delivery_day,
    refusals_are_credited,
    extension_adds_a_delivery_at_the_end,
    replays_and_reruns_create_nothing_twice,
);
