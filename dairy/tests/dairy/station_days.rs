//! The station pages' live days (migration 0014), on both backends: the day as opened and
//! its events kept in order with the jam's end, an append after another count of events
//! refused (nothing written), a new opening replacing the day and its events, keyed by
//! tenant, station and date.
use crate::support;
use milkrun_dairy::ids::*;
use milkrun_dairy::store::StoreError;
use milkrun_dairy::DairyError;
use support::*;

fn field_of(e: StoreError) -> &'static str {
    match e {
        StoreError::Domain(DairyError::Invalid { field, .. }) => field,
        other => panic!("not a refused field: {other}"),
    }
}

async fn station_days(b: Backend) -> TestResult {
    let db = TestDb::new(b, "station-days").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    seed(&store, T2).await?;
    let day = date("2026-03-02")?;
    let s = StationId(1);
    assert_eq!(store.station_day(T1, s, day).await?, None);
    let none = store
        .append_station_events(T1, s, day, 0, &[("e".into(), None)], None)
        .await
        .unwrap_err();
    assert_eq!(field_of(none), "station", "no day opened");
    store.open_station_day(T1, s, day, "opening-1").await?;
    let first = vec![
        ("report".to_string(), Some(HouseholdId(1))),
        ("jam".to_string(), None),
    ];
    store
        .append_station_events(T1, s, day, 0, &first, Some(30_000))
        .await?;
    store
        .append_station_events(T1, s, day, 2, &[("refresh".into(), None)], None)
        .await?;
    let stored = store.station_day(T1, s, day).await?.expect("stored");
    assert_eq!(stored.opening, "opening-1");
    assert_eq!(
        stored.jam_until_s, None,
        "the jam's end cleared by the last append"
    );
    let texts: Vec<&str> = stored.events.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(texts, ["report", "jam", "refresh"]);
    assert_eq!(stored.events[0].1, Some(HouseholdId(1)));
    // Another count of events: a second writer; nothing written.
    let stale = store
        .append_station_events(T1, s, day, 2, &[("late".into(), None)], Some(1))
        .await
        .unwrap_err();
    assert_eq!(field_of(stale), "events");
    let negative = store
        .append_station_events(T1, s, day, -1, &[], None)
        .await
        .unwrap_err();
    assert_eq!(field_of(negative), "events");
    assert_eq!(store.station_day(T1, s, day).await?, Some(stored.clone()));
    // Keyed by tenant, station and date.
    assert_eq!(store.station_day(T2, s, day).await?, None);
    assert_eq!(store.station_day(T1, s, date("2026-03-03")?).await?, None);
    // A new opening replaces the day and its events.
    store.open_station_day(T1, s, day, "opening-2").await?;
    let again = store.station_day(T1, s, day).await?.expect("stored");
    assert_eq!(
        (again.opening.as_str(), again.events.len()),
        ("opening-2", 0)
    );
    store.close().await;
    Ok(())
}

on_both_backends!(station_days);
