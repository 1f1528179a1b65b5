//! The store on both backends (a real SQLite file and a real PostgreSQL database): opening,
//! round trips, tenant isolation, calendar operations, the idempotent freeze, outcomes with QR
//! sign-off, the documented view, and the live days of the service.
use crate::support;

use milkrun_dairy::calendar::{DeliveryLine, OperationKind};
use milkrun_dairy::engine::{
    Engine, PlanAnswer, PlanCourier, PlanLimits, PlanRequest, PlannedRoute, PlannedVisit,
    Stability, TravelMatrix,
};
use milkrun_dairy::household::GeoPoint;
use milkrun_dairy::ids::*;
use milkrun_dairy::outbox::Topic;
use milkrun_dairy::outcome::{FailureReason, Outcome};
use milkrun_dairy::store::night::NightSettings;
use milkrun_dairy::store::outcomes::OutcomeReport;
use milkrun_dairy::store::StoreError;
use milkrun_dairy::subscription::Term;
use milkrun_dairy::DairyError;
use sqlx::Row;
use support::*;

/// Opening applies the schema (on SQLite: creates the file in WAL mode); opening it again
/// re-applies nothing and keeps the data.
async fn open_migrates_and_reopens(b: Backend) -> TestResult {
    let db = TestDb::new(b, "open").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    if b == Backend::Sqlite {
        let mode: String = sqlx::query("PRAGMA journal_mode")
            .fetch_one(store.pool())
            .await?
            .try_get(0)?;
        assert_eq!(mode, "wal");
    }
    store.close().await;
    if let Some(path) = &db.path {
        assert!(path.exists());
    }
    let store = db.open().await?;
    let sub = store.subscription(T1, SubscriptionId(2)).await?;
    assert_eq!(
        (sub.household, sub.term),
        (HouseholdId(2), Term::Prepaid(10))
    );
    let h = store.household(T1, HouseholdId(3)).await?;
    assert_eq!(
        (h.station, h.qr_token.as_str()),
        (StationId(2), token(3).as_str())
    );
    assert_eq!(store.package(T1, PackageId(1)).await?.price.0, 1500);
    assert_eq!(store.tenant(T1).await?.cutoff.at_s, 20 * 3600);
    store.close().await;
    Ok(())
}

/// Rows are keyed by tenant: another tenant sees none of them, and a row of tenant 2 cannot
/// reference tenant 1's customer (the composite foreign key refuses it).
async fn tenants_are_isolated(b: Backend) -> TestResult {
    let db = TestDb::new(b, "tenants").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    assert!(matches!(
        store.subscription(T2, SubscriptionId(1)).await,
        Err(StoreError::NotFound {
            what: "subscription",
            ..
        })
    ));
    seed(&store, T2).await?;
    let stray = milkrun_dairy::household::Household {
        id: HouseholdId(99),
        customer: CustomerId(42),
        ..store.household(T1, HouseholdId(1)).await?
    };
    store
        .add_customer(
            T1,
            &milkrun_dairy::household::Customer::new(CustomerId(42), "Only in 1")?,
        )
        .await?;
    assert!(matches!(
        store.add_household(T2, &stray).await,
        Err(StoreError::Db(_))
    ));
    store.add_household(T1, &stray).await?;
    store.close().await;
    Ok(())
}

/// Calendar operations go through the tenant's cut-off and show in the stored calendar.
async fn operations_through_the_store(b: Backend) -> TestResult {
    let db = TestDb::new(b, "ops").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    let sub = SubscriptionId(1);
    let skip = OperationKind::Skip {
        date: date("2028-02-29")?,
    };
    store
        .request_operation(T1, sub, skip, at("2028-02-28", "19:59:59")?)
        .await?;
    let swap = OperationKind::Swap {
        product: SKIMMED,
        from: date("2028-03-01")?,
        until: None,
    };
    let late = store
        .request_operation(T1, sub, swap, at("2028-02-29", "20:00:00")?)
        .await;
    match late {
        Err(StoreError::Domain(DairyError::LateChange { applies_from, .. })) => {
            assert_eq!(applies_from, date("2028-03-02")?)
        }
        other => panic!("expected a late change, got {other:?}"),
    }
    let skip_again = OperationKind::Skip {
        date: date("2028-02-29")?,
    };
    let nothing = store
        .request_operation(T1, sub, skip_again, at("2028-02-28", "10:00:00")?)
        .await;
    assert!(matches!(
        nothing,
        Err(StoreError::Domain(DairyError::Invalid {
            field: "skip.date",
            ..
        }))
    ));
    let swap = OperationKind::Swap {
        product: SKIMMED,
        from: date("2028-03-02")?,
        until: None,
    };
    let op = store
        .request_operation(T1, sub, swap, at("2028-02-29", "20:00:00")?)
        .await?;
    assert_eq!(
        store.operations(T1, sub).await?.last().map(|o| o.id),
        Some(op.id)
    );
    let days = store
        .deliveries(T1, sub, date("2028-02-28")?, date("2028-03-03")?)
        .await?;
    let got: Vec<(String, i64)> = days
        .iter()
        .map(|d| (d.date.to_string(), d.product.0))
        .collect();
    assert_eq!(
        got,
        [
            ("2028-02-28".into(), 1),
            ("2028-03-01".into(), 1),
            ("2028-03-02".into(), 2),
            ("2028-03-03".into(), 2),
        ]
    );
    store.close().await;
    Ok(())
}

/// The freeze is refused before the cut-off; after it, a second run inserts nothing and
/// gives the same orders; orders are grouped per station with deterministic ids; on SQLite
/// its relaxed sync level never reaches the pool.
async fn freeze_is_idempotent(b: Backend) -> TestResult {
    let db = TestDb::new(b, "freeze").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    let day = date("2028-02-29")?;
    let extra = OperationKind::Extra {
        date: day,
        product: SKIMMED,
        quantity: 2,
    };
    store
        .request_operation(T1, SubscriptionId(2), extra, at("2028-02-27", "10:00:00")?)
        .await?;
    assert!(store
        .freeze_day(T1, day, at("2028-02-28", "19:59:59")?)
        .await
        .is_err());
    let first = store
        .freeze_day(T1, day, at("2028-02-28", "20:00:00")?)
        .await?;
    assert_eq!(first.inserted, 4);
    let per_station: Vec<(i64, usize)> = first
        .stations
        .iter()
        .map(|s| (s.station.0, s.orders.len()))
        .collect();
    assert_eq!(per_station, [(1, 3), (2, 1)]);
    let again = store
        .freeze_day(T1, day, at("2028-02-28", "23:00:00")?)
        .await?;
    assert_eq!(again.inserted, 0);
    assert_eq!(again.stations, first.stations);
    let stored = store.orders_on(T1, day).await?;
    let mut ids: Vec<i64> = stored.iter().map(|o| o.id.0).collect();
    let mut expect: Vec<i64> = first
        .stations
        .iter()
        .flat_map(|s| s.orders.iter().map(|o| o.id.0))
        .collect();
    ids.sort();
    expect.sort();
    assert_eq!(ids, expect);
    assert_eq!(
        stored
            .iter()
            .filter(|o| matches!(o.line, DeliveryLine::Extra(_)))
            .count(),
        1
    );
    if matches!(b, Backend::Sqlite) {
        // The freeze commits with `synchronous = NORMAL` on a connection of its own, closed
        // afterwards: every connection the pool hands out still syncs FULL (2).
        let mut conns = Vec::new();
        for _ in 0..4 {
            conns.push(store.pool().acquire().await?);
        }
        for c in &mut conns {
            let level: i64 = sqlx::query("PRAGMA synchronous")
                .fetch_one(&mut **c)
                .await?
                .try_get(0)?;
            assert_eq!(level, 2);
        }
    }
    store.close().await;
    Ok(())
}

/// A delivery is signed off only with the household's token at the order's household; a
/// replay, even of a different report, keeps the first accepted outcome.
async fn outcomes_check_the_qr_token_and_keep_the_first(b: Backend) -> TestResult {
    let db = TestDb::new(b, "outcomes").await?;
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
    let now = at("2028-02-29", "06:10:00")?;
    let scan = |h: i64, t: String| OutcomeReport::Delivered {
        courier: COURIER,
        at: now,
        scanned_household: HouseholdId(h),
        scanned_token: t,
    };
    let wrong = store.record_outcome(T1, order.id, &scan(1, token(2))).await;
    assert!(matches!(
        wrong,
        Err(StoreError::Domain(DairyError::WrongToken { .. }))
    ));
    let elsewhere = store.record_outcome(T1, order.id, &scan(2, token(2))).await;
    assert!(matches!(
        elsewhere,
        Err(StoreError::Domain(DairyError::WrongHousehold { .. }))
    ));
    assert_eq!(store.outcome(T1, order.id).await?, None);
    let ok = store
        .record_outcome(T1, order.id, &scan(1, token(1)))
        .await?;
    assert!(ok.first);
    assert_eq!(
        ok.outcome,
        Outcome::Delivered {
            courier: COURIER,
            at: now
        }
    );
    let replay = store
        .record_outcome(T1, order.id, &scan(1, token(1)))
        .await?;
    assert_eq!((replay.first, replay.outcome), (false, ok.outcome));
    let late_fail = OutcomeReport::Failed {
        courier: COURIER,
        at: at("2028-02-29", "07:00:00")?,
        reason: FailureReason::NotHome,
    };
    let kept = store.record_outcome(T1, order.id, &late_fail).await?;
    assert_eq!((kept.first, kept.outcome), (false, ok.outcome));
    store.close().await;
    Ok(())
}

/// The documented view `v_order_outcomes` gives one row per order with its status, courier
/// and delivery time.
async fn order_outcomes_view_reads_back(b: Backend) -> TestResult {
    let db = TestDb::new(b, "view").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    let day = date("2028-02-29")?;
    store
        .freeze_day(T1, day, at("2028-02-28", "20:00:00")?)
        .await?;
    let orders = store.orders_on(T1, day).await?;
    let by_household = |h: i64| {
        orders
            .iter()
            .find(|o| o.household == HouseholdId(h))
            .map(|o| o.id)
            .ok_or("no order")
    };
    let delivered = OutcomeReport::Delivered {
        courier: COURIER,
        at: at("2028-02-29", "06:05:09")?,
        scanned_household: HouseholdId(1),
        scanned_token: token(1),
    };
    store
        .record_outcome(T1, by_household(1)?, &delivered)
        .await?;
    store
        .record_outcome(
            T1,
            by_household(3)?,
            &OutcomeReport::Cancelled {
                at: at("2028-02-29", "05:00:00")?,
            },
        )
        .await?;
    let rows = sqlx::query(
        "SELECT order_id, delivery_date, station_id, customer_id, product_id, quantity, status, \
         courier_id, delivered_at FROM v_order_outcomes WHERE tenant_id = $1 ORDER BY customer_id",
    )
    .bind(T1.0)
    .fetch_all(store.pool())
    .await?;
    let mut got = Vec::new();
    for r in &rows {
        let courier: Option<i64> = r.try_get("courier_id")?;
        let delivered_at: Option<String> = r.try_get("delivered_at")?;
        let status: String = r.try_get("status")?;
        let day: String = r.try_get("delivery_date")?;
        let (customer, station, product, quantity): (i64, i64, i64, i64) = (
            r.try_get("customer_id")?,
            r.try_get("station_id")?,
            r.try_get("product_id")?,
            r.try_get("quantity")?,
        );
        let order: i64 = r.try_get("order_id")?;
        assert_eq!(OrderId(order), by_household(customer)?);
        got.push(format!("{day} s{station} c{customer} p{product} x{quantity} {status} {courier:?} {delivered_at:?}"));
    }
    assert_eq!(
        got,
        [
            "2028-02-29 s1 c1 p1 x1 delivered Some(1) Some(\"2028-02-29 06:05:09\")",
            "2028-02-29 s1 c2 p1 x1 pending None None",
            "2028-02-29 s2 c3 p1 x1 cancelled None None",
        ]
    );
    store.close().await;
    Ok(())
}

/// A freeze cut short after one station's transaction (simulated by removing the other
/// station's orders) is completed by a re-run: only the missing orders are inserted, with
/// the same ids as the first run.
async fn interrupted_freeze_is_completed_by_a_rerun(b: Backend) -> TestResult {
    let db = TestDb::new(b, "rerun-freeze").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    let day = date("2028-02-29")?;
    let now = at("2028-02-28", "20:00:00")?;
    let first = store.freeze_day(T1, day, now).await?;
    sqlx::query("DELETE FROM orders WHERE tenant_id = $1 AND station_id = $2")
        .bind(T1.0)
        .bind(2_i64)
        .execute(store.pool())
        .await?;
    store.close().await;
    let store = db.open().await?;
    let rerun = store.freeze_day(T1, day, now).await?;
    assert_eq!(rerun.inserted, 1);
    assert_eq!(rerun.stations, first.stations);
    assert_eq!(store.orders_on(T1, day).await?.len(), 3);
    store.close().await;
    Ok(())
}

/// The service's live days: a day is stored with its matrix (number 1) and its opening
/// snapshot; events are logged by tenant and day, an event id once per day; the day's row,
/// its newest snapshot and its matrices read back after a reopen; closed days are not open.
/// An event's commit writes no matrix and no snapshot unless it brings one: the matrix table
/// holds one row per matrix change, a snapshot names its matrix by number and carries none,
/// and a snapshot drops the snapshots and matrices before it.
async fn live_days_log_events_by_tenant(b: Backend) -> TestResult {
    use milkrun_dairy::store::live_days::LiveEventWrite;
    let db = TestDb::new(b, "live_days").await?;
    let store = db.open().await?;
    // Bytes of every value, so that an encoding that is not byte-exact shows.
    let m1: Vec<u8> = (0..=255u8).chain([0, 0, 255]).collect();
    let m2: Vec<u8> = vec![7; 70_000];
    let m3: Vec<u8> = vec![0, 1, 2];
    let event = |id: &'static str, body: &'static str, version: i64| LiveEventWrite {
        epoch: 0,
        event_id: id,
        event: body,
        plan_version: version,
        matrix: None,
        snapshot: None,
    };
    store
        .create_live_day("acme", "d1", &m1, r#"{"v":1}"#)
        .await?;
    assert!(store
        .create_live_day("acme", "d1", &m1, "{}")
        .await
        .is_err());
    assert_eq!(
        store
            .append_live_event("acme", "d1", &event("e1", r#"{"a":1}"#, 2))
            .await?,
        1
    );
    // A traffic event: its matrix, no snapshot.
    let traffic = LiveEventWrite {
        epoch: 0,
        matrix: Some((2, &m2)),
        ..event("e2", r#"{"type":"traffic","matrix":2}"#, 3)
    };
    assert_eq!(store.append_live_event("acme", "d1", &traffic).await?, 2);
    // Plain events: the log row and the day's version, nothing else.
    for (i, id) in ["e3", "e4", "e5"].into_iter().enumerate() {
        store
            .append_live_event("acme", "d1", &event(id, r#"{"a":3}"#, 4 + i as i64))
            .await?;
    }
    assert_eq!(
        store.live_day_matrices("acme", "d1").await?,
        [(1, 0), (2, 2)]
    );
    let snap = store
        .live_day_snapshot("acme", "d1")
        .await?
        .expect("opened");
    assert_eq!(
        (
            snap.seq,
            snap.plan_version,
            snap.matrix,
            snap.state.as_str()
        ),
        (0, 1, 1, r#"{"v":1}"#)
    );
    // A snapshot naming a matrix the day does not have, a matrix number used before or
    // below 1: refused, nothing written.
    for bad in [
        LiveEventWrite {
            epoch: 0,
            snapshot: Some((9, "{}")),
            ..event("x1", "{}", 7)
        },
        LiveEventWrite {
            epoch: 0,
            matrix: Some((2, &m3)),
            ..event("x2", "{}", 7)
        },
        LiveEventWrite {
            epoch: 0,
            matrix: Some((0, &m3)),
            ..event("x3", "{}", 7)
        },
    ] {
        assert!(store.append_live_event("acme", "d1", &bad).await.is_err());
    }
    assert_eq!(store.live_day_events("acme", "d1").await?.len(), 5);
    // A snapshot after event 6, going with matrix 2: the opening snapshot and matrix 1 go.
    let snapshotted = LiveEventWrite {
        epoch: 0,
        snapshot: Some((2, r#"{"v":7}"#)),
        ..event("e6", r#"{"a":6}"#, 7)
    };
    assert_eq!(
        store.append_live_event("acme", "d1", &snapshotted).await?,
        6
    );
    assert!(store
        .append_live_event("acme", "d1", &event("e1", r#"{"a":9}"#, 8))
        .await
        .is_err());
    // The same event id on another tenant's day of the same id is that tenant's own.
    assert!(store
        .append_live_event("beta", "d1", &event("e3", "{}", 2))
        .await
        .is_err());
    store
        .create_live_day("beta", "d1", &m3, r#"{"v":"b"}"#)
        .await?;
    assert_eq!(
        store
            .append_live_event("beta", "d1", &event("e1", "{}", 2))
            .await?,
        1
    );
    store.close().await;
    let store = db.open().await?;
    let day = store.live_day("acme", "d1").await?.expect("stored");
    assert_eq!((day.open, day.plan_version, day.snapshot_seq), (true, 7, 6));
    let snap = store
        .live_day_snapshot("acme", "d1")
        .await?
        .expect("stored");
    assert_eq!(
        (
            snap.seq,
            snap.plan_version,
            snap.matrix,
            snap.state.as_str()
        ),
        (6, 7, 2, r#"{"v":7}"#)
    );
    assert_eq!(store.live_day_matrices("acme", "d1").await?, [(2, 2)]);
    assert_eq!(
        store.live_day_matrix("acme", "d1", 2).await?,
        Some(m2.clone())
    );
    assert_eq!(store.live_day_matrix("acme", "d1", 1).await?, None);
    assert_eq!(
        store.live_day_matrix("beta", "d1", 1).await?,
        Some(m3.clone())
    );
    assert_eq!(store.live_day_matrix("gamma", "d1", 1).await?, None);
    // One snapshot row per day, and no row of the day holds a matrix's bytes.
    let rows = sqlx::query("SELECT state FROM live_day_snapshots WHERE tenant = 'acme'")
        .fetch_all(store.pool())
        .await?;
    assert_eq!(rows.len(), 1);
    let events = store.live_day_events("acme", "d1").await?;
    let ids: Vec<_> = events
        .iter()
        .map(|e| (e.seq, e.event_id.as_str(), e.plan_version))
        .collect();
    assert_eq!(
        ids,
        [
            (1, "e1", 2),
            (2, "e2", 3),
            (3, "e3", 4),
            (4, "e4", 5),
            (5, "e5", 6),
            (6, "e6", 7)
        ]
    );
    assert_eq!(events[0].event, r#"{"a":1}"#);
    assert_eq!(store.live_day_events("beta", "d1").await?.len(), 1);
    assert!(store.live_day("gamma", "d1").await?.is_none());
    assert!(store.live_day_snapshot("gamma", "d1").await?.is_none());
    assert_eq!(store.open_live_days().await?.len(), 2);
    assert!(store.close_live_day("acme", "d1", 0).await?);
    assert!(!store.close_live_day("acme", "d1", 0).await?);
    assert!(store
        .append_live_event("acme", "d1", &event("e7", "{}", 8))
        .await
        .is_err());
    let open = store.open_live_days().await?;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].tenant, "beta");
    store.close().await;
    Ok(())
}

/// Live-day leases (issue #23): the replica that opens a day holds its lease at epoch 1;
/// another cannot claim it while it runs, and learns who holds it and for how long; once it
/// lapses the other takes it at epoch 2, and the first one's append and close carrying
/// epoch 1 are refused (fenced) with nothing written. Renewal says which days a replica
/// still holds; a forced claim takes a day at once; a released lease is free at once; a
/// closed day or another tenant's day has no lease to claim. The lapsed days a sweep takes
/// over are listed while lapsed (or released) only.
async fn live_day_leases_fence_a_takeover(b: Backend) -> TestResult {
    use milkrun_dairy::store::live_day_leases::{HeldLease, LeaseClaim};
    use milkrun_dairy::store::live_days::LiveEventWrite;
    let db = TestDb::new(b, "leases").await?;
    let store = db.open().await?;
    let write = |id: &'static str, epoch: i64, version: i64| LiveEventWrite {
        epoch,
        event_id: id,
        event: "{}",
        plan_version: version,
        matrix: None,
        snapshot: None,
    };
    let epoch = store
        .create_owned_live_day("acme", "d1", &[1, 2, 3], "{}", "replica-a", 60_000)
        .await?;
    assert_eq!(epoch, 1);
    assert!(
        store.lapsed_live_days(10).await?.is_empty(),
        "a running lease is not lapsed"
    );
    assert!(store.lapsed_live_days(0).await.is_err(), "limit 0 refused");
    match store
        .claim_live_day("acme", "d1", "replica-b", 60_000, false)
        .await?
    {
        Some(LeaseClaim::Elsewhere {
            owner,
            expires_in_ms,
        }) => {
            assert_eq!(owner, "replica-a");
            assert!(
                (50_000..=60_000).contains(&expires_in_ms),
                "{expires_in_ms}"
            );
        }
        other => panic!("held by replica-a, not {other:?}"),
    }
    assert_eq!(
        store
            .claim_live_day("acme", "d1", "replica-a", 200, false)
            .await?,
        Some(LeaseClaim::Held { epoch: 1 }),
        "its own lease, renewed at the same epoch"
    );
    assert_eq!(
        store
            .append_live_event("acme", "d1", &write("e1", 1, 2))
            .await?,
        1
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let lapsed = [("acme".to_string(), "d1".to_string())];
    assert_eq!(
        store.lapsed_live_days(10).await?,
        lapsed,
        "what a sweep takes over"
    );
    assert_eq!(
        store
            .claim_live_day("acme", "d1", "replica-b", 60_000, false)
            .await?,
        Some(LeaseClaim::Held { epoch: 2 }),
        "lapsed: taken over"
    );
    assert!(store.lapsed_live_days(10).await?.is_empty());
    let fenced = store
        .append_live_event("acme", "d1", &write("e2", 1, 3))
        .await;
    assert!(
        matches!(fenced, Err(StoreError::Fenced { epoch: 1, .. })),
        "{fenced:?}"
    );
    assert!(matches!(
        store.close_live_day("acme", "d1", 1).await,
        Err(StoreError::Fenced { .. })
    ));
    let day = store.live_day("acme", "d1").await?.ok_or("d1")?;
    assert!(day.open);
    assert_eq!(day.plan_version, 2, "nothing of the fenced writes");
    assert_eq!(store.live_day_events("acme", "d1").await?.len(), 1);
    assert!(store
        .renew_live_day_leases("replica-a", 60_000)
        .await?
        .is_empty());
    assert_eq!(
        store.renew_live_day_leases("replica-b", 60_000).await?,
        [HeldLease {
            tenant: "acme".into(),
            day_id: "d1".into(),
            epoch: 2
        }]
    );
    assert_eq!(
        store
            .append_live_event("acme", "d1", &write("e2", 2, 3))
            .await?,
        2
    );
    assert_eq!(
        store
            .claim_live_day("beta", "d1", "replica-b", 60_000, false)
            .await?,
        None,
        "another tenant's day"
    );
    assert_eq!(
        store
            .claim_live_day("acme", "d1", "replica-c", 60_000, true)
            .await?,
        Some(LeaseClaim::Held { epoch: 3 }),
        "forced"
    );
    assert_eq!(store.release_live_day_leases("replica-c").await?, 1);
    assert_eq!(
        store.lapsed_live_days(10).await?,
        lapsed,
        "a released lease is swept at once"
    );
    assert_eq!(
        store
            .claim_live_day("acme", "d1", "replica-b", 60_000, false)
            .await?,
        Some(LeaseClaim::Held { epoch: 4 }),
        "released: free at once"
    );
    assert_eq!(
        store.live_day_lease("acme", "d1").await?,
        Some(("replica-b".to_string(), 4))
    );
    assert!(store.close_live_day("acme", "d1", 4).await?);
    assert!(
        store.lapsed_live_days(10).await?.is_empty(),
        "a closed day is not swept"
    );
    assert_eq!(
        store
            .claim_live_day("acme", "d1", "replica-b", 60_000, false)
            .await?,
        None,
        "closed"
    );
    assert!(store
        .renew_live_day_leases("replica-b", 60_000)
        .await?
        .is_empty());
    assert!(store
        .claim_live_day("acme", "d1", "", 60_000, false)
        .await
        .is_err());
    assert!(store
        .claim_live_day("acme", "d1", "replica-b", 0, false)
        .await
        .is_err());
    store.close().await;
    Ok(())
}

/// Migration 0009 on a store holding live days of the old shape (the row with two JSON
/// snapshots): each day keeps its row, status, version and log, its newest snapshot moves
/// to the snapshot table with matrix number 0 (its JSON still carries the matrix), and
/// moving that matrix out gives matrix 1 and a small snapshot.
async fn migration_0009_moves_old_live_days(b: Backend) -> TestResult {
    use milkrun_dairy::store::Store;
    let db = TestDb::new(b, "live_days_0009").await?;
    let old = Store::open_migrated_to(&db.url(), 8).await?;
    for (day, status) in [("d1", "open"), ("d2", "closed")] {
        sqlx::query(
            "INSERT INTO live_days (tenant, day_id, status, plan_version, opening_snapshot, \
             snapshot, snapshot_seq, snapshot_version) \
             VALUES ('acme', $1, $2, 4, '{\"open\":1}', '{\"times\":[1,2]}', 2, 3)",
        )
        .bind(day)
        .bind(status)
        .execute(old.pool())
        .await?;
    }
    for seq in 1..=3i64 {
        sqlx::query(
            "INSERT INTO live_day_events (tenant, day_id, seq, event_id, event, plan_version) \
             VALUES ('acme', 'd1', $1, $2, '{}', $3)",
        )
        .bind(seq)
        .bind(format!("e{seq}"))
        .bind(seq + 1)
        .execute(old.pool())
        .await?;
    }
    old.close().await;
    let store = db.open().await?;
    let open = store.open_live_days().await?;
    assert_eq!(open.len(), 1);
    assert_eq!(
        (
            open[0].day_id.as_str(),
            open[0].plan_version,
            open[0].snapshot_seq
        ),
        ("d1", 4, 2)
    );
    let snap = store.live_day_snapshot("acme", "d1").await?.expect("moved");
    assert_eq!(
        (
            snap.seq,
            snap.plan_version,
            snap.matrix,
            snap.state.as_str()
        ),
        (2, 3, 0, r#"{"times":[1,2]}"#)
    );
    assert_eq!(store.live_day_events("acme", "d1").await?.len(), 3);
    assert!(store.live_day_matrices("acme", "d1").await?.is_empty());
    assert!(
        store
            .move_live_snapshot_matrix("acme", "d1", 2, &[1, 2], "{}")
            .await?
    );
    assert!(
        !store
            .move_live_snapshot_matrix("acme", "d1", 2, &[1, 2], "{}")
            .await?
    );
    let snap = store.live_day_snapshot("acme", "d1").await?.expect("kept");
    assert_eq!((snap.matrix, snap.state.as_str()), (1, "{}"));
    assert_eq!(
        store.live_day_matrix("acme", "d1", 1).await?,
        Some(vec![1, 2])
    );
    store.close().await;
    Ok(())
}

/// The service's jobs: a job is stored queued and read back with its bytes exactly; the same
/// request id of the tenant gives back the stored job and writes nothing (another tenant may
/// use it too); states move queued → running → succeeded, and a finished job never changes
/// again; a cancel request and a re-queue touch only unfinished jobs; a result over the
/// bound is refused; another tenant reads none of it; pruning drops only the oldest
/// finished jobs; everything survives a reopen.
async fn jobs_are_stored_by_tenant(b: Backend) -> TestResult {
    use milkrun_dairy::store::jobs::{JobEnd, JobState, NewJob, Submitted, MAX_JOB_RESULT_BYTES};
    let db = TestDb::new(b, "jobs").await?;
    let store = db.open().await?;
    let request: Vec<u8> = (0..=255u8).chain([0, 0, 255]).collect();
    let new = |tenant: &'static str, seq: i64, request_id: &'static str| NewJob {
        tenant,
        seq,
        request_id,
        digest: "d1",
        kind: "forecast",
        request: &[],
        progress_total: 2,
        submitted_ms: 1_000 + seq,
    };
    assert_eq!(
        store
            .insert_job(&NewJob {
                request: &request,
                ..new("acme", 1, "nightly-1")
            })
            .await?,
        Submitted::Inserted
    );
    let again = store
        .insert_job(&NewJob {
            digest: "d2",
            ..new("acme", 2, "nightly-1")
        })
        .await?;
    let Submitted::Existing(first) = again else {
        panic!("the request id is used: {again:?}");
    };
    assert_eq!((first.seq, first.digest.as_str()), (1, "d1"));
    assert_eq!(first.request, request, "the bytes come back exactly");
    assert_eq!(first.state, JobState::Queued);
    assert!(
        store.service_job("acme", 2).await?.is_none(),
        "nothing written"
    );
    // The same number again writes nothing (another replica took it); beta's own jobs may
    // reuse the request id.
    assert_eq!(
        store.insert_job(&new("acme", 1, "")).await?,
        Submitted::NumberTaken
    );
    assert_eq!(
        store.insert_job(&new("beta", 2, "nightly-1")).await?,
        Submitted::Inserted
    );
    assert_eq!(
        store.insert_job(&new("acme", 3, "")).await?,
        Submitted::Inserted
    );
    assert_eq!(
        store.insert_job(&new("acme", 4, "")).await?,
        Submitted::Inserted
    );
    assert!(
        store.service_job("beta", 1).await?.is_none(),
        "acme's job is not beta's"
    );
    assert!(store.mark_job_running("acme", 1, 5_000).await?);
    assert!(
        !store.mark_job_running("acme", 1, 5_001).await?,
        "already running"
    );
    let result = [7u8, 0, 9];
    let end = JobEnd {
        state: JobState::Succeeded,
        progress_done: 2,
        progress_total: 2,
        result: Some(&result),
        error: None,
        finished_ms: 6_000,
    };
    assert!(store.finish_job("acme", 1, &end).await?);
    assert!(
        !store
            .finish_job(
                "acme",
                1,
                &JobEnd {
                    state: JobState::Failed,
                    ..end
                }
            )
            .await?,
        "a finished job never changes"
    );
    assert!(!store.request_job_cancel("acme", 1).await?);
    assert!(!store.requeue_job("acme", 1).await?);
    let huge = vec![0u8; MAX_JOB_RESULT_BYTES + 1];
    assert!(store
        .finish_job(
            "acme",
            3,
            &JobEnd {
                result: Some(&huge),
                ..end
            }
        )
        .await
        .is_err());
    // Job 3: a cancel asked while queued, then cancelled. Job 4: running, then re-queued.
    assert!(store.request_job_cancel("acme", 3).await?);
    assert!(
        store
            .finish_job(
                "acme",
                3,
                &JobEnd {
                    state: JobState::Cancelled,
                    progress_done: 0,
                    result: None,
                    ..end
                }
            )
            .await?
    );
    assert!(store.mark_job_running("acme", 4, 7_000).await?);
    assert!(store.requeue_job("acme", 4).await?);
    assert!(
        store
            .finish_job(
                "beta",
                2,
                &JobEnd {
                    state: JobState::Failed,
                    progress_done: 0,
                    result: None,
                    error: Some(("INVALID_ARGUMENT", "bad series")),
                    ..end
                }
            )
            .await?
    );
    store.close().await;
    let store = db.open().await?;
    assert_eq!(store.last_job_seq().await?, 4);
    let acme = store.service_jobs("acme").await?;
    let got: Vec<_> = acme
        .iter()
        .map(|j| {
            (
                j.seq,
                j.state,
                j.cancel_requested,
                j.started_ms,
                j.finished_ms,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (1, JobState::Succeeded, false, 5_000, 6_000),
            (3, JobState::Cancelled, true, 0, 6_000),
            (4, JobState::Queued, false, 0, 0),
        ]
    );
    assert_eq!(acme[0].result.as_deref(), Some(&result[..]));
    assert_eq!(
        (acme[0].progress_done, acme[0].kind.as_str()),
        (2, "forecast")
    );
    assert_eq!(acme[1].result, None);
    let beta = store.service_jobs("beta").await?;
    assert_eq!(beta.len(), 1);
    let error = beta[0].error.as_ref().expect("an error");
    assert_eq!(
        (error.code.as_str(), error.message.as_str()),
        ("INVALID_ARGUMENT", "bad series")
    );
    // Keep one finished job of acme: job 1 goes, job 3 (newer) and the queued job 4 stay.
    assert_eq!(store.prune_jobs("acme", 1).await?, 1);
    assert_eq!(store.prune_jobs("acme", 1).await?, 0);
    let left: Vec<i64> = store
        .service_jobs("acme")
        .await?
        .iter()
        .map(|j| j.seq)
        .collect();
    assert_eq!(left, [3, 4]);
    assert_eq!(
        store.service_jobs("beta").await?.len(),
        1,
        "beta's are beta's"
    );
    store.close().await;
    Ok(())
}

/// A stand-in engine for the store's side of the night (the planning itself is tested on
/// real roads in `service/tests/service/serve.rs`): a household keeps its previous courier when it
/// had one, others go to the courier with the fewest stops; the `i`-th visit of a route
/// arrives at 05:00 + 10 min × i. It records every plan request.
#[derive(Default)]
pub(crate) struct StandInEngine {
    requests: std::sync::Mutex<Vec<PlanRequest>>,
}

impl Engine for StandInEngine {
    type Error = std::io::Error;

    fn snap(
        &self,
        points: &[GeoPoint],
        _max_snap_m: f64,
    ) -> impl std::future::Future<Output = Result<Vec<f64>, Self::Error>> + Send {
        std::future::ready(Ok(vec![0.0; points.len()]))
    }

    fn matrix(
        &self,
        points: &[GeoPoint],
        _max_snap_m: f64,
    ) -> impl std::future::Future<Output = Result<TravelMatrix, Self::Error>> + Send {
        let n = points.len();
        std::future::ready(Ok(TravelMatrix {
            size: n,
            travel_s: vec![0; n * n],
            dist_m: vec![0; n * n],
        }))
    }

    fn plan(
        &self,
        req: &PlanRequest,
    ) -> impl std::future::Future<Output = Result<PlanAnswer, Self::Error>> + Send {
        if let Ok(mut r) = self.requests.lock() {
            r.push(req.clone());
        }
        let mut routes: Vec<PlannedRoute> = req
            .couriers
            .iter()
            .map(|c| PlannedRoute {
                courier: c.id,
                visits: Vec::new(),
                dist_m: 0,
                travel_s: 0,
            })
            .collect();
        for (i, s) in req.stops.iter().enumerate() {
            let k = s
                .previous
                .and_then(|p| routes.iter().position(|r| r.courier == p.courier))
                .or_else(|| (0..routes.len()).min_by_key(|&k| routes[k].visits.len()))
                .unwrap_or(0);
            let arrival_s = 5 * 3600 + 600 * routes[k].visits.len() as i64;
            routes[k].visits.push(PlannedVisit {
                stop: i as u32,
                arrival_s,
            });
            routes[k].dist_m += 1000;
            routes[k].travel_s += 240;
        }
        std::future::ready(Ok(PlanAnswer {
            routes,
            unserved: Vec::new(),
        }))
    }

    fn open_day(
        &self,
        _day: &milkrun_dairy::engine::OpenDay,
    ) -> impl std::future::Future<
        Output = Result<
            (milkrun_dairy::engine::DayId, milkrun_dairy::engine::DayView),
            Self::Error,
        >,
    > + Send {
        std::future::ready(Err(no_live_day()))
    }

    fn apply_events(
        &self,
        _id: &milkrun_dairy::engine::DayId,
        _day: &milkrun_dairy::engine::OpenDay,
        _events: &[milkrun_dairy::engine::DayEvent],
    ) -> impl std::future::Future<Output = Result<milkrun_dairy::engine::AppliedEvents, Self::Error>>
           + Send {
        std::future::ready(Err(no_live_day()))
    }

    fn get_day(
        &self,
        _id: &milkrun_dairy::engine::DayId,
        _day: &milkrun_dairy::engine::OpenDay,
    ) -> impl std::future::Future<Output = Result<milkrun_dairy::engine::DayView, Self::Error>> + Send
    {
        std::future::ready(Err(no_live_day()))
    }

    fn close_day(
        &self,
        _id: &milkrun_dairy::engine::DayId,
        _day: &milkrun_dairy::engine::OpenDay,
    ) -> impl std::future::Future<Output = Result<milkrun_dairy::engine::DayView, Self::Error>> + Send
    {
        std::future::ready(Err(no_live_day()))
    }

    fn forecast_demand(
        &self,
        _req: &milkrun_dairy::engine::ForecastRequest,
    ) -> impl std::future::Future<
        Output = Result<Vec<milkrun_dairy::engine::ForecastDay>, Self::Error>,
    > + Send {
        std::future::ready(Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "the stand-in engine does not forecast",
        )))
    }
}

/// The stand-in plans nights only (the live day and the forecasts run on real engines in
/// `service/tests/service/dairy_remote.rs`).
fn no_live_day() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "the stand-in engine has no live day",
    )
}

/// The night's plan is stored with each household's courier and promised window and one
/// outbox message per order; a re-run returns the stored plan without asking the engine and
/// enqueues nothing twice; the next day's request carries yesterday's courier and arrival of
/// every household (and the day is marked stable); another tenant sees no plan.
async fn night_plan_is_stored_once_and_stable(b: Backend) -> TestResult {
    let db = TestDb::new(b, "night").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    store.add_courier(T1, CourierId(2), "Ben").await?;
    let engine = StandInEngine::default();
    let settings = NightSettings {
        depot: GeoPoint::new(47.14, 9.52)?,
        couriers: [COURIER, CourierId(2)]
            .into_iter()
            .map(|id| PlanCourier {
                id,
                capacity: 50,
                shift_start_s: 4 * 3600,
                shift_end_s: 9 * 3600,
            })
            .collect(),
        service_s: 30,
        max_snap_m: 500.0,
        stability: Some(Stability::default()),
        limits: PlanLimits::default(),
    };
    let day1 = date("2028-02-28")?;
    store
        .freeze_day(T1, day1, at("2028-02-27", "20:00:00")?)
        .await?;
    let first = store
        .plan_night(&engine, T1, StationId(1), day1, &settings)
        .await?;
    assert!(first.planned_now && !first.plan.stable);
    assert_eq!(first.messages, 2);
    type Row = (i64, Option<i64>, Option<(i64, i64)>);
    let got: Vec<Row> = first
        .plan
        .stops
        .iter()
        .map(|p| {
            (
                p.household.0,
                p.courier.map(|c| c.0 .0),
                p.promise.map(|w| (w.start_s, w.end_s)),
            )
        })
        .collect();
    // 05:00 arrivals are promised 05:00-05:15 (the window opens at 05:00).
    assert_eq!(
        got,
        [
            (1, Some(1), Some((18_000, 18_900))),
            (2, Some(2), Some((18_000, 18_900)))
        ]
    );
    let rerun = store
        .plan_night(&engine, T1, StationId(1), day1, &settings)
        .await?;
    assert!(!rerun.planned_now);
    assert_eq!((rerun.messages, &rerun.plan), (0, &first.plan));
    let pending = store.pending_messages(T1, 100).await?;
    assert_eq!(pending.len(), 2);
    assert!(pending.iter().all(|m| m.topic == Topic::ArrivalWindow
        && m.key.as_str().starts_with("arrival:")
        && m.payload.contains("\"from\":\"05:00:00\"")));
    let day2 = date("2028-02-29")?;
    store
        .freeze_day(T1, day2, at("2028-02-28", "20:00:00")?)
        .await?;
    let second = store
        .plan_night(&engine, T1, StationId(1), day2, &settings)
        .await?;
    assert!(second.planned_now && second.plan.stable);
    let requests = engine.requests.lock().map_err(|_| "poisoned")?.clone();
    assert_eq!(requests.len(), 2, "the re-run did not ask the engine");
    let previous: Vec<Option<(i64, i64)>> = requests[1]
        .stops
        .iter()
        .map(|s| s.previous.map(|p| (p.courier.0, p.arrival_s)))
        .collect();
    assert_eq!(previous, [Some((1, 18_000)), Some((2, 18_000))]);
    assert_eq!(store.pending_messages(T1, 100).await?.len(), 4);
    assert_eq!(store.night_plan(T2, day1, StationId(1)).await?, None);
    store.close().await;
    Ok(())
}

/// The night settings of the stand-in engine: couriers 1 and 2 from the depot in Vaduz.
fn stand_in_settings() -> Result<NightSettings, Box<dyn std::error::Error>> {
    Ok(NightSettings {
        depot: GeoPoint::new(47.14, 9.52)?,
        couriers: [COURIER, CourierId(2)]
            .into_iter()
            .map(|id| PlanCourier {
                id,
                capacity: 50,
                shift_start_s: 4 * 3600,
                shift_end_s: 9 * 3600,
            })
            .collect(),
        service_s: 30,
        max_snap_m: 500.0,
        stability: Some(Stability::default()),
        limits: PlanLimits::default(),
    })
}

/// Freezes `day` (at 20:00 the day before) and plans stations 1 and 2 with the stand-in
/// engine; returns each household's planned courier.
async fn freeze_and_plan(
    store: &milkrun_dairy::store::Store,
    t: TenantId,
    day: &str,
) -> Result<std::collections::BTreeMap<HouseholdId, CourierId>, Box<dyn std::error::Error>> {
    let d = date(day)?;
    store
        .freeze_day(t, d, at(&d.add_days(-1).to_string(), "20:00:00")?)
        .await?;
    let settings = stand_in_settings()?;
    let engine = StandInEngine::default();
    let mut couriers = std::collections::BTreeMap::new();
    for station in [StationId(1), StationId(2)] {
        let r = store.plan_night(&engine, t, station, d, &settings).await?;
        for s in &r.plan.stops {
            if let Some((c, _)) = s.courier {
                couriers.insert(s.household, c);
            }
        }
    }
    Ok(couriers)
}

/// Delivers `order` to its own door by `courier` at `hms` on its day.
async fn deliver(
    store: &milkrun_dairy::store::Store,
    t: TenantId,
    order: &milkrun_dairy::freeze::Order,
    courier: CourierId,
    hms: &str,
) -> TestResult {
    let scan = OutcomeReport::Delivered {
        courier,
        at: at(&order.date.to_string(), hms)?,
        scanned_household: order.household,
        scanned_token: token(order.household.0),
    };
    store.record_outcome(t, order.id, &scan).await?;
    Ok(())
}

/// Customer 1 prepays 10 daily deliveries from Sunday 2028-02-27, skips the leap day, orders
/// 2 skimmed as an extra on 03-06, and the delivery of 03-01 fails. Over the three whole
/// weeks from 02-27: week 1 has 27, 28, 02, 03, 04 delivered (5 units), week 2 has 05 to 08
/// and the extra (4 milk + 2 skimmed = 6), week 3 nothing (the prepaid count is used up):
/// slope (0 - 5) / 2 = -2.5 units a week against a mean of 11/3, declining; 10 orders
/// delivered, 1 failed, 1 day off. Another tenant's customer is not found.
async fn consumption_per_customer(b: Backend) -> TestResult {
    use milkrun_dairy::consumption::ConsumptionClass;
    let db = TestDb::new(b, "consumption").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    let before = at("2028-02-26", "08:00:00")?;
    for kind in [
        OperationKind::Skip {
            date: date("2028-02-29")?,
        },
        OperationKind::Extra {
            date: date("2028-03-06")?,
            product: SKIMMED,
            quantity: 2,
        },
    ] {
        store
            .request_operation(T1, SubscriptionId(1), kind, before)
            .await?;
    }
    let first = date("2028-02-27")?;
    for i in 0..12 {
        let day = first.add_days(i);
        store
            .freeze_day(T1, day, at(&day.add_days(-1).to_string(), "20:00:00")?)
            .await?;
        for o in store.orders_on(T1, day).await? {
            if o.household != HouseholdId(1) {
                continue;
            }
            if day == date("2028-03-01")? {
                let fail = OutcomeReport::Failed {
                    courier: COURIER,
                    at: at("2028-03-01", "06:00:00")?,
                    reason: FailureReason::NotHome,
                };
                store.record_outcome(T1, o.id, &fail).await?;
            } else {
                deliver(&store, T1, &o, COURIER, "06:00:00").await?;
            }
        }
    }
    let c = store
        .customer_consumption(T1, CustomerId(1), first, date("2028-03-18")?)
        .await?;
    let units: Vec<u64> = c.weeks.iter().map(|w| w.units).collect();
    assert_eq!(units, [5, 6, 0]);
    assert_eq!(c.weeks[1].per_product[&MILK], 4);
    assert_eq!(c.weeks[1].per_product[&SKIMMED], 2);
    assert_eq!(
        (c.delivered, c.failed, c.cancelled, c.days_off),
        (10, 1, 0, 1)
    );
    assert!((c.slope_units_per_week + 2.5).abs() < 1e-9);
    assert_eq!(c.class, ConsumptionClass::Declining);
    let other = store
        .customer_consumption(T2, CustomerId(1), first, date("2028-03-18")?)
        .await;
    assert!(matches!(
        other,
        Err(StoreError::NotFound {
            what: "customer",
            ..
        })
    ));
    store.close().await;
    Ok(())
}

/// Ten customers of tenant 1, all delivered to on 02-28 and 02-29, are segmented `new`. A
/// promotion of skimmed milk as an extra to them with a 20 % holdout targets 8 and holds 2
/// out; its push enqueues one message per targeted customer and one per courier serving
/// them (listing exactly their targeted households); a second push adds no row. Three
/// targeted customers and one held out take the offer within the validity (one more extra
/// of milk and one of skimmed after the validity do not count): 3/8 against 1/2. Tenant 2
/// cannot read, push or count tenant 1's promotion.
async fn promotions_push_once_and_convert(b: Backend) -> TestResult {
    use milkrun_dairy::promotion::{Offer, Promotion};
    use milkrun_dairy::segment::Segment;
    use milkrun_dairy::store::promotions::PushReport;
    let db = TestDb::new(b, "promotions").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    seed(&store, T2).await?;
    seed_many(&store, T1, 2, 7).await?;
    store.add_courier(T1, CourierId(2), "Ben").await?;
    let mut planned = Default::default();
    for day in ["2028-02-28", "2028-02-29"] {
        planned = freeze_and_plan(&store, T1, day).await?;
        for o in store.orders_on(T1, date(day)?).await? {
            deliver(&store, T1, &o, planned[&o.household], "05:05:00").await?;
        }
    }
    let segments = store.assign_segments(T1, date("2028-02-29")?, 28).await?;
    assert_eq!(segments.len(), 10);
    assert!(segments.iter().all(|s| s.segment == Segment::New));
    let promo = Promotion::new(
        PromotionId(1),
        Offer::Extra {
            product: SKIMMED,
            free_units: 1,
        },
        date("2028-02-29")?,
        date("2028-03-13")?,
        Segment::New,
        20,
        7,
    )?;
    assert!(store.add_promotion(T1, &promo).await?);
    assert!(!store.add_promotion(T1, &promo).await?);
    let other = Promotion { seed: 8, ..promo };
    assert!(matches!(
        store.add_promotion(T1, &other).await,
        Err(StoreError::Domain(DairyError::Invalid {
            field: "promotion.id",
            ..
        }))
    ));
    let unchecked = Promotion {
        holdout_pct: 90,
        ..promo
    };
    assert!(matches!(
        store.add_promotion(T1, &unchecked).await,
        Err(StoreError::Domain(DairyError::Invalid {
            field: "promotion.holdout_pct",
            ..
        }))
    ));
    let late = store
        .push_promotion(T1, promo.id, date("2028-03-14")?)
        .await;
    assert!(matches!(
        late,
        Err(StoreError::Domain(DairyError::Invalid {
            field: "promotion.today",
            ..
        }))
    ));
    let push = store
        .push_promotion(T1, promo.id, date("2028-02-29")?)
        .await?;
    let members = store.promotion_members(T1, promo.id).await?;
    let targeted: Vec<CustomerId> = members.iter().filter(|m| !m.1).map(|m| m.0).collect();
    let held: Vec<CustomerId> = members.iter().filter(|m| m.1).map(|m| m.0).collect();
    assert_eq!((targeted.len(), held.len()), (8, 2));
    // Customer c lives in household c in the fixtures.
    let mut per_courier: std::collections::BTreeMap<CourierId, Vec<i64>> = Default::default();
    for c in &targeted {
        per_courier
            .entry(planned[&HouseholdId(c.0)])
            .or_default()
            .push(c.0);
    }
    assert_eq!(
        push,
        PushReport {
            targeted: 8,
            held_out: 2,
            couriers: per_courier.len(),
            enqueued: 8 + per_courier.len(),
        }
    );
    let promo_messages = |all: Vec<milkrun_dairy::outbox::OutboxMessage>| {
        all.into_iter()
            .filter(|m| matches!(m.topic, Topic::Promotion | Topic::PromotionCourier))
            .collect::<Vec<_>>()
    };
    let sent = promo_messages(store.pending_messages(T1, 1000).await?);
    assert_eq!(sent.len(), 8 + per_courier.len());
    for (courier, households) in &per_courier {
        let key = format!("promo:1:courier:{courier}");
        let m = sent
            .iter()
            .find(|m| m.key.as_str() == key)
            .ok_or("a courier message")?;
        let list: Vec<String> = households.iter().map(|h| h.to_string()).collect();
        assert!(m.payload.ends_with(&format!("[{}]}}", list.join(","))));
    }
    for c in &held {
        let key = format!("promo:1:customer:{c}");
        assert!(sent.iter().all(|m| m.key.as_str() != key));
    }
    let again = store
        .push_promotion(T1, promo.id, date("2028-03-01")?)
        .await?;
    assert_eq!(again.enqueued, 0);
    assert_eq!(
        promo_messages(store.pending_messages(T1, 1000).await?),
        sent
    );

    let now = at("2028-03-01", "08:00:00")?;
    let extra = |product, day: &str| -> Result<OperationKind, Box<dyn std::error::Error>> {
        Ok(OperationKind::Extra {
            date: date(day)?,
            product,
            quantity: 1,
        })
    };
    let takes = [
        (targeted[0], extra(SKIMMED, "2028-03-02")?),
        (targeted[1], extra(SKIMMED, "2028-03-13")?),
        (targeted[2], extra(SKIMMED, "2028-03-05")?),
        (targeted[2], extra(SKIMMED, "2028-03-06")?),
        (targeted[3], extra(MILK, "2028-03-05")?),
        (targeted[4], extra(SKIMMED, "2028-03-14")?),
        (held[0], extra(SKIMMED, "2028-03-03")?),
    ];
    for (c, kind) in takes {
        // Subscription c belongs to household c of customer c in the fixtures.
        store
            .request_operation(T1, SubscriptionId(c.0), kind, now)
            .await?;
    }
    let conv = store.promotion_conversion(T1, promo.id).await?;
    assert_eq!(
        (
            conv.targeted,
            conv.targeted_taken,
            conv.holdout,
            conv.holdout_taken
        ),
        (8, 3, 2, 1)
    );
    assert_eq!(conv.rate(), Some(0.375));
    assert_eq!(conv.uplift(), Some(-0.125));

    for r in [
        store.promotion(T2, promo.id).await.map(|_| ()),
        store
            .push_promotion(T2, promo.id, date("2028-03-01")?)
            .await
            .map(|_| ()),
        store.promotion_conversion(T2, promo.id).await.map(|_| ()),
    ] {
        assert!(matches!(
            r,
            Err(StoreError::NotFound {
                what: "promotion",
                id: 1,
                ..
            })
        ));
    }
    assert!(promo_messages(store.pending_messages(T2, 1000).await?).is_empty());
    let foreign = Promotion {
        offer: Offer::Extra {
            product: ProductId(99),
            free_units: 0,
        },
        ..promo
    };
    assert!(matches!(
        store.add_promotion(T2, &foreign).await,
        Err(StoreError::NotFound {
            what: "product",
            ..
        })
    ));
    store.close().await;
    Ok(())
}

/// Two days of tenant 1 (stations 1 "Oberland" and 2 "Unterland", couriers 1 and 2 from the
/// stand-in plan, promised 05:00-05:15): on 02-28 household 1 is delivered at 05:05 (on
/// time), household 2 at 06:00 (late) and household 3 fails; on 02-29 household 1 is
/// cancelled, household 2 delivered at 05:05 and household 3 left pending. The totals are
/// hand-checked; every single dimension and all six together sum to them; the drill-down
/// company -> region -> station -> courier -> that courier's days sums at every level to the
/// row above. Tenant 2's orders stay out of tenant 1's answer and the other way round.
async fn bi_cube_drills_down(b: Backend) -> TestResult {
    use milkrun_dairy::cube::{CubeFilter, CubeQuery, DimValue, Dimension, Measures};
    let db = TestDb::new(b, "cube").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    seed(&store, T2).await?;
    store.add_courier(T1, CourierId(2), "Ben").await?;
    store
        .set_station_region(T1, StationId(1), "Oberland")
        .await?;
    store
        .set_station_region(T1, StationId(2), "Unterland")
        .await?;
    assert!(matches!(
        store.set_station_region(T1, StationId(9), "Oberland").await,
        Err(StoreError::NotFound {
            what: "station",
            ..
        })
    ));
    for day in ["2028-02-28", "2028-02-29"] {
        let planned = freeze_and_plan(&store, T1, day).await?;
        for o in store.orders_on(T1, date(day)?).await? {
            let c = planned[&o.household];
            match (day, o.household.0) {
                ("2028-02-28", 1) | ("2028-02-29", 2) => {
                    deliver(&store, T1, &o, c, "05:05:00").await?
                }
                ("2028-02-28", 2) => deliver(&store, T1, &o, c, "06:00:00").await?,
                ("2028-02-28", _) => {
                    let fail = OutcomeReport::Failed {
                        courier: c,
                        at: at(day, "06:00:00")?,
                        reason: FailureReason::NotHome,
                    };
                    store.record_outcome(T1, o.id, &fail).await?;
                }
                ("2028-02-29", 1) => {
                    let cancel = OutcomeReport::Cancelled {
                        at: at(day, "04:00:00")?,
                    };
                    store.record_outcome(T1, o.id, &cancel).await?;
                }
                _ => {}
            }
        }
    }
    store
        .freeze_day(T2, date("2028-02-28")?, at("2028-02-27", "20:00:00")?)
        .await?;
    store.assign_segments(T1, date("2028-02-29")?, 28).await?;
    let days = CubeFilter::days(date("2028-02-28")?, date("2028-02-29")?);
    let query = |dimensions: Vec<Dimension>, filter: &CubeFilter| CubeQuery {
        dimensions,
        filter: filter.clone(),
    };
    let total = store.cube(T1, &query(vec![], &days)).await?;
    assert_eq!(total.len(), 1);
    let t = total[0].measures;
    assert_eq!(
        t,
        Measures {
            orders: 6,
            delivered: 3,
            failed: 1,
            cancelled: 1,
            pending: 1,
            units: 6,
            units_delivered: 3,
            promised: 3,
            on_time: 2,
        }
    );
    for d in Dimension::ALL {
        let rows = store.cube(T1, &query(vec![d], &days)).await?;
        assert_eq!(Measures::total(&rows)?, t, "{d:?}");
    }
    let all = store
        .cube(T1, &query(Dimension::ALL.to_vec(), &days))
        .await?;
    assert_eq!(Measures::total(&all)?, t);
    assert_eq!(all.len(), 6, "{all:?}");

    // company -> region -> station -> courier -> one courier's days
    let regions = store
        .cube(T1, &query(vec![Dimension::Region], &days))
        .await?;
    let keys: Vec<&DimValue> = regions.iter().map(|r| &r.key[0]).collect();
    assert_eq!(
        keys,
        [
            &DimValue::Region(Some("Oberland".into())),
            &DimValue::Region(Some("Unterland".into()))
        ]
    );
    assert_eq!(
        (regions[0].measures.orders, regions[1].measures.orders),
        (4, 2)
    );
    let ober = CubeFilter {
        region: Some("Oberland".into()),
        ..days.clone()
    };
    let stations = store
        .cube(T1, &query(vec![Dimension::Station], &ober))
        .await?;
    assert_eq!(Measures::total(&stations)?, regions[0].measures);
    assert_eq!(stations.len(), 1);
    let station1 = CubeFilter {
        station: Some(StationId(1)),
        ..ober.clone()
    };
    let couriers = store
        .cube(T1, &query(vec![Dimension::Courier], &station1))
        .await?;
    assert_eq!(Measures::total(&couriers)?, stations[0].measures);
    for row in &couriers {
        let DimValue::Courier(Some(c)) = row.key[0] else {
            return Err(format!("a planned courier: {row:?}").into());
        };
        let one = CubeFilter {
            courier: Some(c),
            ..station1.clone()
        };
        let per_day = store.cube(T1, &query(vec![Dimension::Day], &one)).await?;
        assert_eq!(Measures::total(&per_day)?, row.measures);
        assert!(per_day.len() <= 2);
    }
    // Tenant isolation: tenant 2 sees its 3 pending orders only, and no region of tenant 1.
    let t2 = store.cube(T2, &query(vec![], &days)).await?;
    assert_eq!((t2[0].measures.orders, t2[0].measures.pending), (3, 3));
    let t2_ober = store
        .cube(T2, &query(vec![Dimension::Station], &ober))
        .await?;
    assert!(t2_ober.is_empty());
    let bad = query(vec![Dimension::Day, Dimension::Day], &days);
    assert!(store.cube(T1, &bad).await.is_err());
    store.close().await;
    Ok(())
}

/// The day's rounds for the pages: the open day is the latest planned one; the board holds
/// every planned stop with its order; a courier's round holds only his stops in route order,
/// and another courier's household is not found on it; a wrong door code records nothing, the
/// right one delivers the stop (on time inside its promise); a failure applies the tenant's
/// remedy; the figures and the courier's pay follow; empty bottles are recorded once per stop;
/// another tenant sees no day.
async fn rounds_for_the_pages(b: Backend) -> TestResult {
    use milkrun_dairy::money::Cents;
    use milkrun_dairy::round::{RoundFigures, StopStatus};
    use milkrun_dairy::settlement::RateTable;
    let db = TestDb::new(b, "rounds").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    store.add_courier(T1, CourierId(2), "Ben").await?;
    store
        .set_rates(T1, RateTable::new(Cents(100), Cents(10))?)
        .await?;
    assert_eq!(store.open_day(T1).await?, None);
    let planned = freeze_and_plan(&store, T1, "2028-02-28").await?;
    let day = date("2028-02-28")?;
    assert_eq!(store.open_day(T1).await?, Some(day));
    assert_eq!(store.open_day(T2).await?, None);
    let board = store.day_board(T1, day).await?;
    assert_eq!(board.len(), 3);
    for s in &board {
        assert_eq!(s.status, StopStatus::Pending);
        assert_eq!(s.orders.len(), 1);
        assert_eq!(s.courier, planned.get(&s.household).copied());
    }
    assert_eq!(RoundFigures::of(&board).left, 3);
    let mine = store.courier_round(T1, day, COURIER).await?;
    assert!(!mine.is_empty() && mine.iter().all(|s| s.courier == Some(COURIER)));
    assert!(mine.windows(2).all(|w| w[0].seq <= w[1].seq), "route order");
    let theirs = board
        .iter()
        .find(|s| s.courier == Some(CourierId(2)))
        .ok_or("a stop of courier 2")?
        .household;
    match store.round_stop(T1, day, COURIER, theirs).await {
        Err(StoreError::NotFound { .. }) => {}
        other => panic!("another courier's stop: {other:?}"),
    }
    let h = mine[0].household;
    match store
        .deliver_stop(
            T1,
            day,
            COURIER,
            h,
            "not-the-code",
            at("2028-02-28", "05:05:00")?,
        )
        .await
    {
        Err(StoreError::Domain(DairyError::WrongToken { .. })) => {}
        other => panic!("a wrong code: {other:?}"),
    }
    assert_eq!(
        store.round_stop(T1, day, COURIER, h).await?.status,
        StopStatus::Pending
    );
    let done = store
        .deliver_stop(
            T1,
            day,
            COURIER,
            h,
            &token(h.0),
            at("2028-02-28", "05:05:00")?,
        )
        .await?;
    assert_eq!(done.status, StopStatus::Delivered);
    assert!(done.on_time(), "{done:?}");
    let failed = store
        .fail_stop(
            T1,
            day,
            CourierId(2),
            theirs,
            FailureReason::Refused,
            at("2028-02-28", "06:00:00")?,
        )
        .await?;
    assert_eq!(failed.status, StopStatus::Failed);
    assert!(store.remedy(T1, failed.orders[0].order).await?.is_some());
    let f = RoundFigures::of(&store.day_board(T1, day).await?);
    assert_eq!(
        (f.done, f.delivered, f.failed, f.on_time, f.left),
        (2, 1, 1, 1, 1)
    );
    let pay = store
        .courier_pay(T1, COURIER, day.add_days(-3), day)
        .await?;
    assert_eq!((pay.drops, pay.bottles, pay.pay), (1, 1, Cents(110)));
    assert!(store.collect_bottles(T1, day, COURIER, h, 2).await?);
    assert!(
        !store.collect_bottles(T1, day, COURIER, h, 3).await?,
        "once per stop"
    );
    assert!(matches!(
        store.collect_bottles(T1, day, COURIER, theirs, 1).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store.courier_round(T2, day, COURIER).await?.is_empty());
    store.close().await;
    Ok(())
}

/// A runner in another process takes a job through its row: a queued job is claimed
/// (running, from 0), a running one again after its runner died; progress is stored and
/// answers whether a cancel was asked; a job cancelled while queued is not claimed but ends
/// cancelled; a finished or unknown job, or another tenant's number, is gone.
async fn jobs_are_claimed_through_their_row(b: Backend) -> TestResult {
    use milkrun_dairy::store::jobs::{Claim, JobEnd, JobState, NewJob};
    let db = TestDb::new(b, "claims").await?;
    let store = db.open().await?;
    let new = |seq: i64| NewJob {
        tenant: "acme",
        seq,
        request_id: "",
        digest: "d",
        kind: "forecast",
        request: &[1, 2],
        progress_total: 4,
        submitted_ms: 1_000,
    };
    for seq in 1..=3 {
        store.insert_job(&new(seq)).await?;
    }
    assert_eq!(store.claim_job("acme", 1, 2_000).await?, Claim::Run);
    assert!(
        !store.job_progress("acme", 1, 3, 4).await?,
        "no cancel asked"
    );
    let row = store.service_job("acme", 1).await?.ok_or("job 1")?;
    assert_eq!(
        (row.state, row.progress_done, row.started_ms),
        (JobState::Running, 3, 2_000)
    );
    // Its runner died: the message delivered again claims it again, from 0.
    assert_eq!(store.claim_job("acme", 1, 3_000).await?, Claim::Run);
    let row = store.service_job("acme", 1).await?.ok_or("job 1")?;
    assert_eq!((row.progress_done, row.started_ms), (0, 3_000));
    assert_eq!(store.claim_job("beta", 1, 3_000).await?, Claim::Gone);
    assert!(store.request_job_cancel("acme", 1).await?);
    assert!(
        store.job_progress("acme", 1, 1, 4).await?,
        "the cancel is seen"
    );
    // Cancelled while queued: never runs.
    assert!(store.request_job_cancel("acme", 2).await?);
    assert_eq!(store.claim_job("acme", 2, 4_000).await?, Claim::Cancelled);
    let row = store.service_job("acme", 2).await?.ok_or("job 2")?;
    assert_eq!((row.state, row.finished_ms), (JobState::Cancelled, 4_000));
    assert_eq!(store.claim_job("acme", 2, 5_000).await?, Claim::Gone);
    let end = JobEnd {
        state: JobState::Succeeded,
        progress_done: 4,
        progress_total: 4,
        result: Some(&[9]),
        error: None,
        finished_ms: 6_000,
    };
    assert_eq!(store.claim_job("acme", 3, 5_000).await?, Claim::Run);
    assert!(store.finish_job("acme", 3, &end).await?);
    assert_eq!(store.claim_job("acme", 3, 7_000).await?, Claim::Gone);
    assert!(
        store.job_progress("acme", 3, 0, 4).await?,
        "finished: nothing left to do"
    );
    assert!(
        store.job_progress("acme", 99, 0, 4).await?,
        "unknown: nothing to do"
    );
    let row = store.service_job("acme", 3).await?.ok_or("job 3")?;
    assert_eq!((row.state, row.progress_done), (JobState::Succeeded, 4));
    store.close().await;
    Ok(())
}

on_both_backends!(
    open_migrates_and_reopens,
    tenants_are_isolated,
    operations_through_the_store,
    freeze_is_idempotent,
    outcomes_check_the_qr_token_and_keep_the_first,
    order_outcomes_view_reads_back,
    interrupted_freeze_is_completed_by_a_rerun,
    live_days_log_events_by_tenant,
    live_day_leases_fence_a_takeover,
    migration_0009_moves_old_live_days,
    jobs_are_stored_by_tenant,
    jobs_are_claimed_through_their_row,
    night_plan_is_stored_once_and_stable,
    consumption_per_customer,
    promotions_push_once_and_convert,
    bi_cube_drills_down,
    rounds_for_the_pages,
);
