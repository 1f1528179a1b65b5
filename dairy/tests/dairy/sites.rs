//! Where a station stands and its couriers' shifts (migration 0013), on both backends: set,
//! read back, replaced, checked field by field, keyed by tenant; and the live day's re-plan
//! written back to the night's stops.
use crate::support;
use milkrun_dairy::dispatcher::{Replanned, StationSite};
use milkrun_dairy::engine::PlanCourier;
use milkrun_dairy::household::GeoPoint;
use milkrun_dairy::ids::*;
use milkrun_dairy::store::StoreError;
use milkrun_dairy::DairyError;
use support::*;

fn site(lat: f64) -> Result<StationSite, DairyError> {
    Ok(StationSite {
        point: GeoPoint::new(lat, 9.52)?,
        service_s: 40,
        max_snap_m: 500.0,
        couriers: vec![PlanCourier {
            id: COURIER,
            capacity: 120,
            shift_start_s: 5 * 3600,
            shift_end_s: 10 * 3600,
        }],
    })
}

fn field_of(e: StoreError) -> &'static str {
    match e {
        StoreError::Domain(DairyError::Invalid { field, .. }) => field,
        other => panic!("not a refused field: {other}"),
    }
}

/// A site is stored and read back, replaced whole, refused field by field (nothing written),
/// and another tenant sees none of it.
async fn station_sites(b: Backend) -> TestResult {
    let db = TestDb::new(b, "sites").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    seed(&store, T2).await?;
    assert_eq!(store.station_site(T1, StationId(1)).await?, None);
    store
        .set_station_site(T1, StationId(1), &site(47.14)?)
        .await?;
    assert_eq!(
        store.station_site(T1, StationId(1)).await?,
        Some(site(47.14)?)
    );
    store
        .set_station_site(T1, StationId(1), &site(47.15)?)
        .await?;
    let points = store.station_points(T1).await?;
    assert_eq!(points, vec![(StationId(1), GeoPoint::new(47.15, 9.52)?)]);
    // The station a courier rides from: its site's, keyed by tenant.
    assert_eq!(
        store.courier_station(T1, COURIER).await?,
        Some(StationId(1))
    );
    assert_eq!(store.courier_station(T2, COURIER).await?, None);
    assert_eq!(store.courier_station(T1, CourierId(999)).await?, None);
    assert!(
        store.station_points(T2).await?.is_empty(),
        "keyed by tenant"
    );
    let mut bad = site(47.2)?;
    bad.service_s = -1;
    let e = store
        .set_station_site(T1, StationId(1), &bad)
        .await
        .unwrap_err();
    assert_eq!(field_of(e), "site.service_s");
    let mut bad = site(47.2)?;
    bad.max_snap_m = f64::NAN;
    let e = store
        .set_station_site(T1, StationId(1), &bad)
        .await
        .unwrap_err();
    assert_eq!(field_of(e), "site.max_snap_m");
    let mut bad = site(47.2)?;
    bad.couriers[0].shift_end_s = bad.couriers[0].shift_start_s;
    let e = store
        .set_station_site(T1, StationId(1), &bad)
        .await
        .unwrap_err();
    assert_eq!(field_of(e), "couriers[].shift");
    let mut bad = site(47.2)?;
    bad.couriers.clear();
    let e = store
        .set_station_site(T1, StationId(1), &bad)
        .await
        .unwrap_err();
    assert_eq!(field_of(e), "site.couriers");
    // A courier the tenant does not have: the foreign key refuses it, nothing is written.
    let mut stranger = site(47.2)?;
    stranger.couriers[0].id = CourierId(999);
    assert!(store
        .set_station_site(T1, StationId(1), &stranger)
        .await
        .is_err());
    assert_eq!(
        store.station_site(T1, StationId(1)).await?,
        Some(site(47.15)?),
        "refused sites change nothing"
    );
    // A re-plan names a household of the station's day, or nothing is written.
    let day = date("2026-03-02")?;
    let none = store
        .write_replan(
            T1,
            day,
            StationId(1),
            &[Replanned {
                household: HouseholdId(1),
                route: None,
                note: Some("gone".into()),
            }],
        )
        .await
        .unwrap_err();
    assert_eq!(field_of(none), "household");
    // Ratings: 1 to 5 stars, a day with a delivery, the customer's own household.
    let h = store.household(T1, HouseholdId(1)).await?;
    let stars = store
        .rate_delivery(T1, h.customer, h.id, day, 0)
        .await
        .unwrap_err();
    assert_eq!(field_of(stars), "stars");
    let nothing = store
        .rate_delivery(T1, h.customer, h.id, day, 4)
        .await
        .unwrap_err();
    assert_eq!(field_of(nothing), "date");
    let stranger = store
        .rate_delivery(T1, CustomerId(h.customer.0 + 1000), h.id, day, 4)
        .await
        .unwrap_err();
    assert!(
        matches!(stranger, StoreError::NotFound { .. }),
        "{stranger}"
    );
    let none = store.courier_ratings(T1, COURIER, day, day).await?;
    assert_eq!((none.count, none.average), (0, None));
    store.close().await;
    Ok(())
}

on_both_backends!(station_sites);
