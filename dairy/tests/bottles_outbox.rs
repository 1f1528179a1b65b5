//! Returnable bottles and the outbox through the store: replays record nothing twice.
mod support;

use milkrun_dairy::bottles::{BottleBalance, BottleReturn};
use milkrun_dairy::dedupe::DedupeKey;
use milkrun_dairy::ids::*;
use milkrun_dairy::outbox::{OutboxMessage, Topic};
use milkrun_dairy::outcome::FailureReason;
use milkrun_dairy::store::outcomes::OutcomeReport;
use support::*;

/// Households 1 and 2 get one bottle each from courier 1; household 1 hands back two
/// empties (one event, sent twice) and household 2 one. The report per household and per
/// courier counts the replayed event once.
async fn bottles_issued_versus_collected(b: Backend) -> TestResult {
    let db = TestDb::new(b, "bottles").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    let day = date("2028-02-29")?;
    store
        .freeze_day(T1, day, at("2028-02-28", "20:00:00")?)
        .await?;
    for o in store
        .orders_on(T1, day)
        .await?
        .iter()
        .filter(|o| o.household.0 <= 2)
    {
        let scan = OutcomeReport::Delivered {
            courier: COURIER,
            at: at("2028-02-29", "06:00:00")?,
            scanned_household: o.household,
            scanned_token: token(o.household.0),
        };
        store.record_outcome(T1, o.id, &scan).await?;
    }
    let back = BottleReturn::new(DedupeKey::new("dev1:17")?, HouseholdId(1), COURIER, day, 2)?;
    assert!(store.record_bottle_return(T1, &back).await?);
    assert!(!store.record_bottle_return(T1, &back).await?);
    let back2 = BottleReturn::new(DedupeKey::new("dev1:18")?, HouseholdId(2), COURIER, day, 1)?;
    assert!(store.record_bottle_return(T1, &back2).await?);
    let r = store.bottle_report(T1, day, day).await?;
    assert_eq!(
        r.per_household[&HouseholdId(1)],
        BottleBalance {
            issued: 1,
            collected: 2
        }
    );
    assert_eq!(
        r.per_household[&HouseholdId(2)],
        BottleBalance {
            issued: 1,
            collected: 1
        }
    );
    assert_eq!(
        r.per_courier[&COURIER],
        BottleBalance {
            issued: 2,
            collected: 3
        }
    );
    assert!(!r.per_household.contains_key(&HouseholdId(3)));
    assert!(
        BottleReturn::new(DedupeKey::new("dev1:19")?, HouseholdId(2), COURIER, day, 0).is_err()
    );
    store.close().await;
    Ok(())
}

/// A message enqueued twice is one row; marking it sent takes it out of the pending list
/// once. A failed order's remedy puts exactly one `missed_delivery` message in the outbox,
/// however often the policy is replayed.
async fn outbox_dedupes(b: Backend) -> TestResult {
    let db = TestDb::new(b, "outbox").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    let key = DedupeKey::new("renewal:1:2028-03-01")?;
    let m = OutboxMessage::new(
        key.clone(),
        Topic::RenewalReminder,
        "{\"subscription_id\":1}".into(),
    )?;
    assert!(store.enqueue(T1, &m).await?);
    assert!(!store.enqueue(T1, &m).await?);
    assert_eq!(
        store.pending_messages(T1, 10).await?,
        std::slice::from_ref(&m)
    );
    assert!(store.mark_sent(T1, &key).await?);
    assert!(!store.mark_sent(T1, &key).await?);
    assert!(!store.enqueue(T1, &m).await?);
    assert!(store.pending_messages(T1, 10).await?.is_empty());
    assert!(store.pending_messages(T1, 1_000_000).await.is_err());

    let day = date("2028-02-29")?;
    store
        .freeze_day(T1, day, at("2028-02-28", "20:00:00")?)
        .await?;
    let order = store
        .orders_on(T1, day)
        .await?
        .into_iter()
        .next()
        .ok_or("no order")?;
    let fail = OutcomeReport::Failed {
        courier: COURIER,
        at: at("2028-02-29", "06:00:00")?,
        reason: FailureReason::Refused,
    };
    store.record_outcome(T1, order.id, &fail).await?;
    let now = at("2028-02-29", "06:01:00")?;
    for _ in 0..3 {
        store.apply_exception(T1, order.id, now).await?;
    }
    store.resolve_failures(T1, day, now).await?;
    let pending = store.pending_messages(T1, 10).await?;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].topic, Topic::MissedDelivery);
    assert_eq!(pending[0].key.as_str(), format!("missed:{}", order.id));
    assert!(pending[0].payload.contains("\"remedy\":\"points\""));
    store.close().await;
    Ok(())
}

on_both_backends!(bottles_issued_versus_collected, outbox_dedupes,);
