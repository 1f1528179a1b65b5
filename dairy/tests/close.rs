//! Close of day and courier settlement through the store, on a hand-checked day.
mod support;

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

on_both_backends!(hand_checked_close_and_settlement,);
