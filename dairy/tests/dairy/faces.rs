//! What the customer's and the company's pages call in the store, on both backends: renewing a
//! subscription, creating and listing promotions, the cockpit's watch list and daily trend.
use crate::support;

use milkrun_dairy::complaint::{ComplaintCategory, ComplaintFiling};
use milkrun_dairy::dedupe::DedupeKey;
use milkrun_dairy::ids::*;
use milkrun_dairy::promotion::Offer;
use milkrun_dairy::segment::Segment;
use milkrun_dairy::store::StoreError;
use milkrun_dairy::subscription::Term;
use milkrun_dairy::watch::Watch;
use milkrun_dairy::DairyError;
use support::*;

/// Subscription 1 of the fixtures (10 daily deliveries from 2028-02-27) ends on 2028-03-07;
/// renewed on 03-01 it gets the next id (4), starts on 03-08 with the same household,
/// package, quantity and weekdays and 10 more deliveries; renewing again answers the same
/// subscription and adds none; another tenant's renewal counts its own ids; an unknown
/// subscription is not found.
async fn renewal_makes_the_next_term_once(b: Backend) -> TestResult {
    let db = TestDb::new(b, "renewal").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    seed(&store, T2).await?;
    let now = at("2028-03-01", "08:00:00")?;
    let (next, created) = store.renew_subscription(T1, SubscriptionId(1), now).await?;
    assert!(created);
    let old = store.subscription(T1, SubscriptionId(1)).await?;
    assert_eq!(next.id, SubscriptionId(4));
    assert_eq!(next.start, date("2028-03-08")?);
    assert_eq!(
        (next.household, next.package, next.quantity, next.weekdays),
        (old.household, old.package, old.quantity, old.weekdays)
    );
    assert_eq!(next.term, Term::Prepaid(10));
    assert_eq!(store.subscription(T1, next.id).await?, next);
    let (again, created) = store.renew_subscription(T1, SubscriptionId(1), now).await?;
    assert!(!created);
    assert_eq!(again, next);
    assert_eq!(
        store
            .subscriptions_of_customer(T1, CustomerId(1))
            .await?
            .len(),
        2
    );
    let (theirs, _) = store.renew_subscription(T2, SubscriptionId(2), now).await?;
    assert_eq!(theirs.id, SubscriptionId(4));
    assert!(matches!(
        store.renew_subscription(T1, SubscriptionId(99), now).await,
        Err(StoreError::NotFound { .. })
    ));
    store.close().await;
    Ok(())
}

/// Promotions created from the cockpit take the tenant's next ids (1, 2), are listed by id,
/// are checked by the dairy crate (a holdout over 50 % is refused naming the field), and are
/// the tenant's own; nobody is offered a promotion before its push.
async fn promotions_are_created_with_the_next_id(b: Backend) -> TestResult {
    let db = TestDb::new(b, "create-promotions").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    seed(&store, T2).await?;
    let offer = Offer::Extra {
        product: SKIMMED,
        free_units: 1,
    };
    let (from, to) = (date("2028-03-01")?, date("2028-03-07")?);
    let a = store
        .create_promotion(T1, offer, from, to, Segment::New, 20, 1)
        .await?;
    let b2 = store
        .create_promotion(T1, offer, from, to, Segment::Loyal, 0, 2)
        .await?;
    assert_eq!((a.id, b2.id), (PromotionId(1), PromotionId(2)));
    assert_eq!(store.promotions(T1).await?, vec![a, b2]);
    assert!(store.promotions(T2).await?.is_empty());
    assert!(matches!(
        store
            .create_promotion(T1, offer, from, to, Segment::New, 60, 1)
            .await,
        Err(StoreError::Domain(DairyError::Invalid {
            field: "promotion.holdout_pct",
            ..
        }))
    ));
    assert!(store
        .offers_for_customer(T1, CustomerId(1), from)
        .await?
        .is_empty());
    store.close().await;
    Ok(())
}

/// 2028-02-28 frozen and never accounted for: on 02-29 the watch list shows its open
/// orders per station (2 at station 1, 1 at station 2); a complaint filed on 02-27 at 09:00
/// is open too long on 02-29 at 10:00 under the 48-hour SLA, one filed that morning is not;
/// tenant 2 sees nothing of it. The daily trend has every day of the range, the frozen day's
/// 3 orders and no waste; a range backwards is refused naming the field.
async fn watch_list_and_trend(b: Backend) -> TestResult {
    let db = TestDb::new(b, "watch").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    seed(&store, T2).await?;
    store
        .freeze_day(T1, date("2028-02-28")?, at("2028-02-27", "20:00:00")?)
        .await?;
    let file = |key: &str, household: i64| {
        ComplaintFiling::new(
            DedupeKey::new(key).map_err(|e| e.to_string())?,
            HouseholdId(household),
            None,
            ComplaintCategory::Late,
            "late again",
        )
        .map_err(|e| e.to_string())
    };
    let old = store
        .file_complaint(T1, &file("k1", 1)?, at("2028-02-27", "09:00:00")?)
        .await?;
    store
        .file_complaint(T1, &file("k2", 2)?, at("2028-02-29", "07:00:00")?)
        .await?;
    let now = at("2028-02-29", "10:00:00")?;
    let (from, to) = (date("2028-02-27")?, date("2028-02-29")?);
    let list = store.watch(T1, from, to, now).await?;
    assert_eq!(
        list,
        vec![
            Watch::Unaccounted {
                station: StationId(1),
                day: date("2028-02-28")?,
                orders: 2
            },
            Watch::Unaccounted {
                station: StationId(2),
                day: date("2028-02-28")?,
                orders: 1
            },
            Watch::ComplaintOpen {
                complaint: old,
                open_s: 2 * 86_400 + 3600
            },
        ]
    );
    assert!(store.watch(T2, from, to, now).await?.is_empty());
    let trend = store.daily_trend(T1, from, to).await?;
    let days: Vec<String> = trend.iter().map(|t| t.day.to_string()).collect();
    assert_eq!(days, ["2028-02-27", "2028-02-28", "2028-02-29"]);
    assert_eq!(
        trend
            .iter()
            .map(|t| (t.measures.orders, t.wasted))
            .collect::<Vec<_>>(),
        [(0, 0), (3, 0), (0, 0)]
    );
    assert!(matches!(
        store.daily_trend(T1, to, from).await,
        Err(StoreError::Domain(DairyError::Invalid {
            field: "cube.filter.to",
            ..
        }))
    ));
    store.close().await;
    Ok(())
}

on_both_backends!(
    renewal_makes_the_next_term_once,
    promotions_are_created_with_the_next_id,
    watch_list_and_trend,
);
