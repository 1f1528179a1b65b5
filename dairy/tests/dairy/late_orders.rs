//! A dispatcher's late order through the store: written as an extra of the frozen day with
//! its order, once per key; refused with the field named when it is early, huge, for
//! another day or reuses a key; and accounted for at close of day like any other order.
use crate::support;

use milkrun_dairy::close::DayAccount;
use milkrun_dairy::dedupe::DedupeKey;
use milkrun_dairy::ids::*;
use milkrun_dairy::late_order::LateOrder;
use milkrun_dairy::store::outcomes::OutcomeReport;
use milkrun_dairy::store::StoreError;
use milkrun_dairy::DairyError;
use support::*;

fn field(r: Result<impl std::fmt::Debug, StoreError>) -> &'static str {
    match r {
        Err(StoreError::Domain(DairyError::Invalid { field, .. })) => field,
        other => panic!("expected a refusal naming a field, got {other:?}"),
    }
}

/// 2028-02-29, frozen; at 06:10 the dispatcher adds two bottles for household 1 (milk, its
/// package's product): a second order of the household that day, loaded, delivered and
/// counted by the close with nothing unaccounted. The same key again gives the same order
/// and writes nothing; bad late orders are refused naming the field.
async fn late_order_is_an_order_of_the_day(b: Backend) -> TestResult {
    let db = TestDb::new(b, "late").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    let day = date("2028-02-29")?;
    store
        .freeze_day(T1, day, at("2028-02-28", "20:00:00")?)
        .await?;
    assert_eq!(store.orders_on(T1, day).await?.len(), 3);
    let late = LateOrder {
        subscription: SubscriptionId(1),
        date: day,
        quantity: 2,
        placed: at("2028-02-29", "06:10:00")?,
        key: DedupeKey::new("late:2028-02-29:1")?,
    };
    let placed = store.place_late_order(T1, &late).await?;
    assert!(placed.created);
    let o = placed.order;
    assert_eq!(
        (o.household, o.station, o.product, o.quantity, o.date),
        (HouseholdId(1), StationId(1), MILK, 2, day)
    );
    let again = store.place_late_order(T1, &late).await?;
    assert!(!again.created);
    assert_eq!(again.order, o);
    let orders = store.orders_on(T1, day).await?;
    assert_eq!(orders.len(), 4, "one order more, once");
    assert!(orders.contains(&o));
    // A re-run freeze finds it and adds nothing.
    let rerun = store
        .freeze_day(T1, day, at("2028-02-29", "06:20:00")?)
        .await?;
    assert_eq!(rerun.inserted, 0);
    // Refused, naming the field; nothing written.
    let reused = LateOrder {
        quantity: 3,
        ..late.clone()
    };
    assert_eq!(
        field(store.place_late_order(T1, &reused).await),
        "late_order.key"
    );
    let key = |k: &str| DedupeKey::new(k);
    let huge = LateOrder {
        quantity: u32::MAX,
        key: key("late:huge")?,
        ..late.clone()
    };
    assert_eq!(
        field(store.place_late_order(T1, &huge).await),
        "late_order.quantity"
    );
    let early = LateOrder {
        date: date("2028-03-01")?,
        placed: at("2028-02-29", "06:10:00")?,
        key: key("late:early")?,
        ..late.clone()
    };
    assert_eq!(
        field(store.place_late_order(T1, &early).await),
        "late_order.date"
    );
    let unknown = LateOrder {
        subscription: SubscriptionId(99),
        key: key("late:unknown")?,
        ..late.clone()
    };
    assert!(store.place_late_order(T1, &unknown).await.is_err());
    // Another tenant's key space and subscriptions: tenant 2 has no subscription 1 yet.
    assert!(store.place_late_order(T2, &late).await.is_err());
    assert_eq!(store.orders_on(T1, day).await?.len(), 4);
    // The day: the late order loaded and delivered with the others; the close counts it.
    for o in &orders {
        let scan = OutcomeReport::Delivered {
            courier: COURIER,
            at: at("2028-02-29", "06:30:00")?,
            scanned_household: o.household,
            scanned_token: token(o.household.0),
        };
        store.record_outcome(T1, o.id, &scan).await?;
    }
    let account = store
        .close_day(T1, day, at("2028-02-29", "18:00:00")?)
        .await?;
    assert_eq!(
        account,
        DayAccount {
            orders: 4,
            delivered: 4,
            ..DayAccount::default()
        }
    );
    store.close().await;
    Ok(())
}

on_both_backends!(late_order_is_an_order_of_the_day,);
