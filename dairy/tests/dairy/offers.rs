//! A customer takes a promotion's subscription offer (migration 0015), on both backends:
//! the subscription starts on the first open day at the promoted price (quantity one, every
//! day, the package's term) and keeps its promotion; taking it again answers the first
//! subscription; refusals name what is wrong: a household subscribed to the package already,
//! an extra's offer, an offer the customer was not told of, another tenant's offer, another
//! customer's household.
use crate::support;
use milkrun_dairy::calendar::Moment;
use milkrun_dairy::catalogue::{Pack, Package, Period};
use milkrun_dairy::money::Cents;
use milkrun_dairy::promotion::Offer;
use milkrun_dairy::segment::Segment;
use milkrun_dairy::store::StoreError;
use milkrun_dairy::subscription::Term;
use milkrun_dairy::{ids::*, DairyError};
use support::*;

fn refused(r: Result<milkrun_dairy::store::offers::TakenOffer, StoreError>) -> String {
    match r {
        Err(StoreError::Domain(DairyError::Invalid { field, .. })) => field.to_string(),
        Err(StoreError::NotFound { what, .. }) => format!("not found: {what}"),
        other => panic!("not refused: {other:?}"),
    }
}

async fn offers(b: Backend) -> TestResult {
    let db = TestDb::new(b, "offers").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    seed(&store, T2).await?;
    let monthly = Package::new(
        PackageId(2),
        SKIMMED,
        500,
        Period::Month,
        Pack::Single,
        Cents(3_100),
    )?;
    store.add_package(T1, &monthly).await?;
    let (from, to) = (date("2028-03-01")?, date("2028-03-07")?);
    let offer = |package, price| Offer::Subscribe {
        package: PackageId(package),
        price: Cents(price),
    };
    let new_package = store
        .create_promotion(T1, offer(2, 2_480), from, to, Segment::New, 0, 1)
        .await?;
    let same_package = store
        .create_promotion(T1, offer(1, 900), from, to, Segment::New, 0, 2)
        .await?;
    let extra = store
        .create_promotion(
            T1,
            Offer::Extra {
                product: MILK,
                free_units: 1,
            },
            from,
            to,
            Segment::New,
            0,
            3,
        )
        .await?;
    // Customer 1 was told of the three (a member at the push, not held out).
    for p in [new_package.id, same_package.id, extra.id] {
        sqlx::query(
            "INSERT INTO promotion_members (tenant_id, promotion_id, customer_id, holdout) \
             VALUES ($1, $2, $3, 0)",
        )
        .bind(T1.0)
        .bind(p.0)
        .bind(1_i64)
        .execute(store.pool())
        .await?;
    }
    let now = Moment::new(date("2028-03-02")?, 10 * 3600)?;
    let start = store.cutoff(T1).await?.first_open_date(now);
    let taken = store
        .take_subscription_offer(T1, CustomerId(1), new_package.id, HouseholdId(1), now)
        .await?;
    assert!(taken.created);
    let sub = &taken.subscription;
    assert_eq!(
        (sub.household, sub.package, sub.start, sub.quantity),
        (HouseholdId(1), PackageId(2), start, 1)
    );
    assert_eq!(
        sub.term,
        Term::Until(date("2028-04-02")?),
        "a month from {start}"
    );
    assert_eq!((taken.price, taken.deliveries), (Cents(2_480), 31));
    assert_eq!(taken.per_delivery, Some(Cents(80)));
    assert_eq!(store.subscription(T1, sub.id).await?, *sub);
    assert_eq!(
        store.subscription_price(T1, sub.id).await?,
        Some(Cents(2_480))
    );
    assert_eq!(store.subscription_price(T1, SubscriptionId(1)).await?, None);
    assert!(store
        .subscriptions_of_customer(T1, CustomerId(1))
        .await?
        .contains(sub));
    // Again: the first subscription, nothing written.
    let again = store
        .take_subscription_offer(T1, CustomerId(1), new_package.id, HouseholdId(1), now)
        .await?;
    assert_eq!((&again.subscription, again.created), (sub, false));
    assert_eq!(
        store
            .subscriptions_of_customer(T1, CustomerId(1))
            .await?
            .len(),
        2
    );
    // Subscription 1 (package 1) still runs then: already subscribed.
    let take = |customer, promotion: PromotionId, household, tenant| {
        let store = &store;
        async move {
            store
                .take_subscription_offer(
                    tenant,
                    CustomerId(customer),
                    promotion,
                    HouseholdId(household),
                    now,
                )
                .await
        }
    };
    assert_eq!(
        refused(take(1, same_package.id, 1, T1).await),
        "offer.package"
    );
    assert_eq!(refused(take(1, extra.id, 1, T1).await), "offer.kind");
    // Customer 2 was not told of it; tenant 2 has no such offer; household 2 is customer 2's.
    assert_eq!(
        refused(take(2, new_package.id, 2, T1).await),
        "not found: offer"
    );
    assert_eq!(
        refused(take(1, new_package.id, 1, T2).await),
        "not found: offer"
    );
    assert_eq!(
        refused(take(1, new_package.id, 2, T1).await),
        "not found: household"
    );
    assert_eq!(
        store
            .subscriptions_of_customer(T1, CustomerId(2))
            .await?
            .len(),
        1
    );
    assert_eq!(
        store
            .subscriptions_of_customer(T2, CustomerId(1))
            .await?
            .len(),
        1
    );
    store.close().await;
    Ok(())
}

on_both_backends!(offers);
