//! Close of day and courier settlement through the store, on a hand-checked day.
use crate::support;

use milkrun_dairy::calendar::OperationKind;
use milkrun_dairy::close::DayAccount;
use milkrun_dairy::ids::*;
use milkrun_dairy::money::Cents;
use milkrun_dairy::outcome::FailureReason;
use milkrun_dairy::settlement::{CourierPay, RateTable};
use milkrun_dairy::store::outcomes::OutcomeReport;
use milkrun_dairy::store::StoreError;
use milkrun_dairy::DairyError;
use support::*;

/// 2028-02-29 for tenant 1: households 1 and 2 get one bottle each and household 2 an extra
/// two bottles; courier 1 delivers households 1 and 2 (2 drops, 4 bottles); household 3 is not
/// home at 10:00. Closing with household 3's order still open is an error naming it; once it
/// has failed, close makes it up and every order is accounted for, and the courier earns
/// 2 × 1.20 + 4 × 0.15 = 3.00. Closing again gives the same accounts.
async fn hand_checked_close_and_settlement(b: Backend) -> TestResult {
    let db = TestDb::new(b, "close").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    store
        .set_rates(T1, RateTable::new(Cents(120), Cents(15))?)
        .await?;
    let day = date("2028-02-29")?;
    let extra = OperationKind::Extra {
        date: day,
        product: SKIMMED,
        quantity: 2,
    };
    store
        .request_operation(T1, SubscriptionId(2), extra, at("2028-02-27", "09:00:00")?)
        .await?;
    store
        .freeze_day(T1, day, at("2028-02-28", "20:00:00")?)
        .await?;
    let orders = store.orders_on(T1, day).await?;
    for o in orders.iter().filter(|o| o.household != HouseholdId(3)) {
        let scan = OutcomeReport::Delivered {
            courier: COURIER,
            at: at("2028-02-29", "06:30:00")?,
            scanned_household: o.household,
            scanned_token: token(o.household.0),
        };
        store.record_outcome(T1, o.id, &scan).await?;
    }
    let open = orders
        .iter()
        .find(|o| o.household == HouseholdId(3))
        .ok_or("no order")?;
    let close_at = at("2028-02-29", "18:00:00")?;
    match store.close_day(T1, day, close_at).await {
        Err(StoreError::Domain(DairyError::Unaccounted { count, first, .. })) => {
            assert_eq!((count, first), (1, vec![open.id]))
        }
        other => panic!("expected unaccounted orders, got {other:?}"),
    }
    let fail = OutcomeReport::Failed {
        courier: COURIER,
        at: at("2028-02-29", "10:00:00")?,
        reason: FailureReason::NotHome,
    };
    store.record_outcome(T1, open.id, &fail).await?;
    let account = store.close_day(T1, day, close_at).await?;
    let expect = DayAccount {
        orders: 4,
        delivered: 3,
        made_up: 1,
        ..DayAccount::default()
    };
    assert_eq!(account, expect);
    assert_eq!(store.close_day(T1, day, close_at).await?, expect);
    assert_eq!(store.operations(T1, SubscriptionId(3)).await?.len(), 1);
    assert_eq!(
        store.settle_day(T1, day).await?,
        [CourierPay {
            courier: COURIER,
            drops: 2,
            bottles: 4,
            pay: Cents(300)
        }]
    );
    store
        .set_rates(T1, RateTable::new(Cents(0), Cents(25))?)
        .await?;
    assert_eq!(store.settle_day(T1, day).await?[0].pay, Cents(100));
    store.close().await;
    Ok(())
}

/// The test's own account of one station's stock, from what it did (received lots, loaded
/// orders and their outcomes) and the units the close found on expiring lots.
#[derive(Debug, Default, Clone, Copy)]
struct Books {
    received: u64,
    delivered: u64,
    wasted: u64,
    in_vehicles: u64,
}

/// Zero drift at `station`: every lot's stored balance equals the ledger's recount, and the
/// station's on hand equals received − delivered − wasted − in vehicles from the test's books
/// (whose in-vehicle units equal the stored ones too).
async fn assert_no_drift(
    store: &milkrun_dairy::store::Store,
    station: StationId,
    books: &Books,
    when: &str,
) -> TestResult {
    let lots = store.station_lots(T1, station).await?;
    let recount = store.recount_stock(T1, station).await?;
    assert_eq!(lots.len(), recount.len(), "{when}: lots with movements");
    let (mut on_hand, mut in_vehicles) = (0, 0);
    for l in &lots {
        assert_eq!(
            recount[&l.lot.id].balance(l.lot.id)?,
            l.balance,
            "{when}: lot {} stored balance vs ledger",
            l.lot.id
        );
        on_hand += l.balance.on_hand;
        in_vehicles += l.balance.in_vehicles;
    }
    assert_eq!(
        in_vehicles, books.in_vehicles,
        "{when}: station {station} in vehicles"
    );
    assert_eq!(
        on_hand + books.delivered + books.wasted + books.in_vehicles,
        books.received,
        "{when}: station {station} on hand {on_hand} vs first principles {books:?}"
    );
    Ok(())
}

/// A simulated week through the real store: 50 daily subscriptions over two stations (one
/// courier each), extras of skimmed milk on some days. Every day: freeze, receive a lot per
/// station and product (2-day shelf life; station 1 gets half its milk on the 4th day, so
/// FEFO draws on the day-old lot and orders the stock cannot cover are cancelled), load the
/// day's orders (and again, a replay), deliver most, fail one in eight (a third of those
/// damaged: wasted in the vehicle; the rest brought back), replay some outcomes, close (which
/// wastes what expires). Stock never drifts: checked after loading, after the outcomes and
/// after the close, every day; replays move nothing.
async fn stock_week_without_drift(b: Backend) -> TestResult {
    use milkrun_dairy::calendar::{Moment, OperationKind};
    use milkrun_dairy::stock::Lot;

    let db = TestDb::new(b, "stock_week").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    seed_many(&store, T1, 2, 47).await?;
    let courier_of = |s: StationId| CourierId(s.0);
    store.add_courier(T1, CourierId(2), "Ben").await?;
    let stations = [StationId(1), StationId(2)];
    let first = date("2028-02-28")?;
    for k in 0..7 {
        let day = first.add_days(k);
        let extra = OperationKind::Extra {
            date: day,
            product: SKIMMED,
            quantity: 2,
        };
        let sub = SubscriptionId(1000 + i64::from(k) * 3);
        store
            .request_operation(T1, sub, extra, Moment::new(first.add_days(-1), 9 * 3600)?)
            .await?;
    }
    let mut books = [Books::default(); 2];
    for k in 0..7 {
        let day = first.add_days(k);
        let t = |h: i64| Moment::new(day, h * 3600);
        store
            .freeze_day(T1, day, Moment::new(day.add_days(-1), 20 * 3600)?)
            .await?;
        for (i, &station) in stations.iter().enumerate() {
            for product in [MILK, SKIMMED] {
                let demand = store
                    .frozen_demand(T1, station, day)
                    .await?
                    .get(&product)
                    .copied()
                    .unwrap_or(0);
                let quantity = if k == 3 && i == 0 && product == MILK {
                    demand / 2
                } else {
                    demand + 3
                };
                if quantity == 0 {
                    continue;
                }
                let id = LotId(i64::from(k) * 100 + station.0 * 10 + product.0);
                let lot = Lot::new(
                    id,
                    station,
                    product,
                    day,
                    day.add_days(1),
                    u32::try_from(quantity)?,
                )?;
                assert!(store.receive_lot(T1, &lot).await?);
                assert!(!store.receive_lot(T1, &lot).await?, "a lot received twice");
                books[i].received += quantity;
            }
        }
        let orders = store.orders_on(T1, day).await?;
        for (i, &station) in stations.iter().enumerate() {
            let mine: Vec<_> = orders.iter().filter(|o| o.station == station).collect();
            let assignment: Vec<(OrderId, CourierId)> =
                mine.iter().map(|o| (o.id, courier_of(station))).collect();
            let report = store.load_orders(T1, station, day, &assignment).await?;
            assert_eq!(report.loaded.len() + report.short.len(), mine.len());
            assert_eq!(
                report.short.is_empty(),
                !(k == 3 && i == 0),
                "day {k}: {report:?}"
            );
            let replay = store.load_orders(T1, station, day, &assignment).await?;
            assert_eq!(
                replay.already, report.loaded,
                "a replayed loading moves nothing"
            );
            for o in &mine {
                if report.loaded.contains(&o.id) {
                    books[i].in_vehicles += u64::from(o.quantity);
                }
            }
            assert_no_drift(&store, station, &books[i], &format!("day {k} loaded")).await?;
            for o in &mine {
                let q = u64::from(o.quantity);
                if report.short.contains(&o.id) {
                    let cancel = OutcomeReport::Cancelled { at: t(6)? };
                    store.record_outcome(T1, o.id, &cancel).await?;
                    continue;
                }
                let roll = o.id.0 as u64;
                let outcome = if roll.is_multiple_of(8) {
                    let damaged = (roll / 8).is_multiple_of(3);
                    books[i].in_vehicles -= q;
                    if damaged {
                        books[i].wasted += q;
                    }
                    OutcomeReport::Failed {
                        courier: courier_of(station),
                        at: t(10)?,
                        reason: if damaged {
                            FailureReason::Damaged
                        } else {
                            FailureReason::NotHome
                        },
                    }
                } else {
                    books[i].in_vehicles -= q;
                    books[i].delivered += q;
                    OutcomeReport::Delivered {
                        courier: courier_of(station),
                        at: t(7)?,
                        scanned_household: o.household,
                        scanned_token: token(o.household.0),
                    }
                };
                assert!(store.record_outcome(T1, o.id, &outcome).await?.first);
                if roll.is_multiple_of(5) {
                    assert!(!store.record_outcome(T1, o.id, &outcome).await?.first);
                }
            }
            assert_no_drift(&store, station, &books[i], &format!("day {k} outcomes")).await?;
            let expiring: u64 = store
                .station_lots(T1, station)
                .await?
                .iter()
                .filter(|l| l.lot.expiry <= day)
                .map(|l| l.balance.on_hand)
                .sum();
            books[i].wasted += expiring;
        }
        store.close_day(T1, day, t(18)?).await?;
        assert_eq!(store.waste_expired(T1, day).await?, 0, "expired twice");
        for (i, &station) in stations.iter().enumerate() {
            assert_no_drift(&store, station, &books[i], &format!("day {k} closed")).await?;
            for l in store.station_lots(T1, station).await? {
                if l.lot.expiry <= day {
                    assert_eq!(l.balance.on_hand, 0, "lot {} expired", l.lot.id);
                }
            }
        }
    }
    for (i, b) in books.iter().enumerate() {
        assert!(b.delivered > 0 && b.wasted > 0, "station {i}: {b:?}");
        assert_eq!(b.in_vehicles, 0);
    }
    store.close().await;
    Ok(())
}

on_both_backends!(hand_checked_close_and_settlement, stock_week_without_drift,);
