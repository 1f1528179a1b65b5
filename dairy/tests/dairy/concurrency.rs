//! The store under concurrent callers, on both backends: operation ids stay unique and a
//! remedy is still created exactly once when many calls race.
use crate::support;

use milkrun_dairy::calendar::OperationKind;
use milkrun_dairy::ids::*;
use milkrun_dairy::outcome::FailureReason;
use milkrun_dairy::store::outcomes::OutcomeReport;
use support::*;

/// How many calls race in each test.
const RACERS: i32 = 12;

/// Twelve calendar changes requested at once (four per subscription) all succeed and get
/// the distinct operation ids 1..=12, each stored once.
async fn concurrent_operations_get_distinct_ids(b: Backend) -> TestResult {
    let db = TestDb::new(b, "race_ops").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    let now = at("2028-02-27", "10:00:00")?;
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..RACERS {
        let store = store.clone();
        let kind = OperationKind::Extra {
            date: date("2028-03-01")?.add_days(i),
            product: SKIMMED,
            quantity: 1,
        };
        calls.spawn(async move {
            store
                .request_operation(T1, SubscriptionId(1 + i64::from(i % 3)), kind, now)
                .await
        });
    }
    let mut ids = Vec::new();
    while let Some(done) = calls.join_next().await {
        ids.push(done??.id.0);
    }
    ids.sort_unstable();
    assert_eq!(ids, (1..=i64::from(RACERS)).collect::<Vec<_>>());
    let mut stored = 0;
    for s in 1..=3 {
        stored += store.operations(T1, SubscriptionId(s)).await?.len();
    }
    assert_eq!(stored, 12);
    store.close().await;
    Ok(())
}

/// Twelve racing applications of the policy to one failed order (a late "not home": a
/// make-up) create one remedy, one make-up operation and one outbox message; every call
/// returns that same remedy.
async fn concurrent_remedies_are_created_once(b: Backend) -> TestResult {
    let db = TestDb::new(b, "race_remedy").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    let day = date("2028-02-29")?;
    store
        .freeze_day(T1, day, at("2028-02-28", "20:00:00")?)
        .await?;
    let order = store
        .orders_on(T1, day)
        .await?
        .into_iter()
        .find(|o| o.household == HouseholdId(1))
        .ok_or("no order")?;
    let fail = OutcomeReport::Failed {
        courier: COURIER,
        at: at("2028-02-29", "10:00:00")?,
        reason: FailureReason::NotHome,
    };
    store.record_outcome(T1, order.id, &fail).await?;
    let now = at("2028-02-29", "10:01:00")?;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..RACERS {
        let store = store.clone();
        calls.spawn(async move { store.apply_exception(T1, order.id, now).await });
    }
    let mut results = Vec::new();
    while let Some(done) = calls.join_next().await {
        results.push(done??);
    }
    assert_eq!(results.iter().filter(|r| r.created).count(), 1);
    let first = results[0];
    assert!(results
        .iter()
        .all(|r| (r.remedy, r.operation) == (first.remedy, first.operation)));
    assert_eq!(store.operations(T1, order.subscription).await?.len(), 1);
    assert_eq!(store.pending_messages(T1, 100).await?.len(), 1);
    store.close().await;
    Ok(())
}

on_both_backends!(
    concurrent_operations_get_distinct_ids,
    concurrent_remedies_are_created_once,
);
