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

/// Stations on 2028-02-29 (tenant 1, frozen: station 1 has 2 milk and 2 skimmed extras to
/// deliver, station 2 has 1 milk). Station 1 holds 1 usable milk (and 4 expired the day
/// before), station 2 holds 10; skimmed has a threshold of 5. Low-stock alerts: station 1's
/// milk (1 < 2) and skimmed (0 < 2 and < 5), station 2's skimmed (0 < 5); one outbox message
/// each, also when checked twice. The transfer plan moves the 1 missing milk from station 2
/// (the only lane, 0.30). Station 1's order for the 29th: 1 milk (2 - 1 usable) and 2 skimmed
/// (the booked extras; no history of extras before); for 1 March (not frozen: calendars
/// expanded) 1 milk again, and skimmed from the extras history (2 on the 29th: Poisson(2)).
/// Another tenant sees none of it.
async fn alerts_transfers_and_station_orders(b: Backend) -> TestResult {
    use milkrun_dairy::calendar::OperationKind;
    use milkrun_dairy::money::Cents;
    use milkrun_dairy::stock::Lot;
    use milkrun_dairy::store::StoreError;
    use milkrun_dairy::transfer::TransferCost;
    use milkrun_forecast::ordering::{Costs, MonteCarlo, PackRule, ReviewParams};

    let db = TestDb::new(b, "stations").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    let day = date("2028-02-29")?;
    let extra = OperationKind::Extra {
        date: day,
        product: SKIMMED,
        quantity: 2,
    };
    store
        .request_operation(T1, SubscriptionId(1), extra, at("2028-02-27", "09:00:00")?)
        .await?;
    store
        .freeze_day(T1, day, at("2028-02-28", "20:00:00")?)
        .await?;
    store.set_stock_threshold(T1, SKIMMED, 5).await?;
    let (s1, s2) = (StationId(1), StationId(2));
    let yesterday = day.add_days(-1);
    for lot in [
        Lot::new(LotId(1), s1, MILK, yesterday, day.add_days(1), 1)?,
        Lot::new(LotId(2), s2, MILK, yesterday, day.add_days(1), 10)?,
        Lot::new(LotId(3), s1, MILK, yesterday.add_days(-1), yesterday, 4)?,
    ] {
        store.receive_lot(T1, &lot).await?;
    }
    for _ in 0..2 {
        let low = store.check_low_stock(T1, s1, day).await?;
        let got: Vec<(ProductId, u64, u64)> = low
            .iter()
            .map(|l| (l.product, l.usable, l.demand))
            .collect();
        assert_eq!(got, [(MILK, 1, 2), (SKIMMED, 0, 2)]);
        let low = store.check_low_stock(T1, s2, day).await?;
        assert_eq!(low.len(), 1);
        assert_eq!((low[0].product, low[0].threshold), (SKIMMED, Some(5)));
    }
    let alerts = store.pending_messages(T1, 100).await?;
    let keys: Vec<&str> = alerts
        .iter()
        .filter(|m| m.topic == Topic::LowStock)
        .map(|m| m.key.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "low_stock:1:1:2028-02-29",
            "low_stock:1:2:2028-02-29",
            "low_stock:2:2:2028-02-29"
        ]
    );

    let lane = TransferCost {
        from: s2,
        to: s1,
        per_unit: Cents(30),
    };
    let plan = store
        .plan_stock_transfers(T1, MILK, day, &[lane], Cents(500))
        .await?;
    assert_eq!(plan.transfers.len(), 1);
    let t = plan.transfers[0];
    assert_eq!((t.from, t.to, t.quantity, t.cost), (s2, s1, 1, Cents(30)));
    assert!(plan.unmet.is_empty());

    let params = ReviewParams {
        lead_time_days: 0,
        review_days: 1,
        shelf_life_days: 2,
        costs: Costs::from_prices(0.90, 1.60, 0.0, 1.00)?,
        pack: PackRule::units(),
        monte_carlo: MonteCarlo::default(),
    };
    let orders = store.station_orders(T1, s1, day, &params, 28, 0).await?;
    let got: Vec<(ProductId, u64, u64, u64)> = orders
        .iter()
        .map(|o| (o.product, o.calendar_demand, o.booked_extras, o.order))
        .collect();
    assert_eq!(got, [(MILK, 2, 0, 1), (SKIMMED, 0, 2, 2)]);
    let next = store
        .station_orders(T1, s1, day.add_days(1), &params, 28, 0)
        .await?;
    assert_eq!((next[0].calendar_demand, next[0].order), (2, 1));
    assert!((next[1].extras_mean - 2.0).abs() < 1e-9, "{:?}", next[1]);
    assert!((1..=6).contains(&next[1].order), "{:?}", next[1]);

    let day_orders = store.orders_on(T1, day).await?;
    let twice = [(day_orders[0].id, COURIER), (day_orders[0].id, COURIER)];
    let refused = store
        .load_orders(T1, day_orders[0].station, day, &twice)
        .await;
    assert!(refused.is_err_and(|e| e.to_string().contains("listed twice")));
    assert!(store.station_lots(T2, s1).await?.is_empty());
    let order = store.orders_on(T1, day).await?[0].id;
    let foreign = store.load_orders(T2, s1, day, &[(order, COURIER)]).await;
    assert!(
        matches!(foreign, Err(StoreError::NotFound { .. })),
        "{foreign:?}"
    );
    store.close().await;
    Ok(())
}

on_both_backends!(
    bottles_issued_versus_collected,
    outbox_dedupes,
    alerts_transfers_and_station_orders,
);
