//! Returnable bottles and the outbox through the store: replays record nothing twice. And
//! what goes out through the outbox: renewal reminders, complaints and their escalation,
//! alerts, and the webhook deliveries' store side (attempts, backoff, dead letters, restart).
use crate::support;

use milkrun_dairy::alert::SpikeRule;
use milkrun_dairy::bottles::{BottleBalance, BottleReturn};
use milkrun_dairy::care::CareSettings;
use milkrun_dairy::complaint::{ComplaintCategory, ComplaintFiling, ComplaintSla, ComplaintState};
use milkrun_dairy::dedupe::DedupeKey;
use milkrun_dairy::ids::*;
use milkrun_dairy::outbox::{OutboxMessage, Topic};
use milkrun_dairy::outcome::FailureReason;
use milkrun_dairy::store::outcomes::OutcomeReport;
use milkrun_dairy::store::webhooks::DueWebhook;
use milkrun_dairy::store::StoreError;
use milkrun_dairy::webhook::{
    AttemptResult, DeliveryState, RetryPolicy, WebhookEndpoint, WebhookSecret, WebhookUrl,
};
use milkrun_dairy::DairyError;
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

/// The seed's three subscriptions prepay 10 daily deliveries from 2028-02-27, so their last
/// delivery is 2028-03-07. With the tenant's notice at 3 days: nothing on 03-03, three
/// reminders on 03-04, none added by a rerun or on 03-05 (same key). Subscription 1 then skips
/// 03-06, which moves its end to 03-08: one new reminder, for the new end. The other tenant's
/// subscriptions are untouched.
async fn renewal_reminders_once_per_term_end(b: Backend) -> TestResult {
    use milkrun_dairy::calendar::OperationKind;
    let db = TestDb::new(b, "renewals").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    seed(&store, T2).await?;
    assert_eq!(store.care_settings(T1).await?, CareSettings::DEFAULT);
    let d = CareSettings::DEFAULT;
    store
        .set_care_settings(T1, &CareSettings::new(3, d.complaint_sla, d.spike)?)
        .await?;
    let run = store
        .enqueue_renewal_reminders(T1, date("2028-03-03")?)
        .await?;
    assert_eq!((run.due, run.enqueued), (0, 0));
    let run = store
        .enqueue_renewal_reminders(T1, date("2028-03-04")?)
        .await?;
    assert_eq!((run.due, run.enqueued), (3, 3));
    let run = store
        .enqueue_renewal_reminders(T1, date("2028-03-04")?)
        .await?;
    assert_eq!((run.due, run.enqueued), (3, 0));
    let run = store
        .enqueue_renewal_reminders(T1, date("2028-03-05")?)
        .await?;
    assert_eq!((run.due, run.enqueued), (3, 0));
    store
        .request_operation(
            T1,
            SubscriptionId(1),
            OperationKind::Skip {
                date: date("2028-03-06")?,
            },
            at("2028-03-05", "08:00:00")?,
        )
        .await?;
    let run = store
        .enqueue_renewal_reminders(T1, date("2028-03-05")?)
        .await?;
    assert_eq!((run.due, run.enqueued), (3, 1));
    let keys: Vec<String> = store
        .pending_messages(T1, 100)
        .await?
        .into_iter()
        .map(|m| m.key.as_str().to_owned())
        .collect();
    assert_eq!(
        keys,
        [
            "renewal:1:2028-03-07",
            "renewal:1:2028-03-08",
            "renewal:2:2028-03-07",
            "renewal:3:2028-03-07"
        ]
    );
    assert!(store.pending_messages(T2, 100).await?.is_empty());
    // After the last delivery nothing is due.
    let run = store
        .enqueue_renewal_reminders(T1, date("2028-03-09")?)
        .await?;
    assert_eq!(run.due, 0);
    store.close().await;
    Ok(())
}

/// A complaint about household 1's order and a general one; a replayed filing is the same
/// complaint; an order of another household, an unknown household and another tenant's
/// complaint are refused. With a 24-hour SLA, escalation at 23:59:59 after filing does nothing,
/// at 24:00:00 escalates the open one once (one outbox message however often it runs), and
/// leaves the resolved one alone.
async fn complaints_escalate_once(b: Backend) -> TestResult {
    let db = TestDb::new(b, "complaints").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    seed(&store, T2).await?;
    let d = CareSettings::DEFAULT;
    store
        .set_care_settings(
            T1,
            &CareSettings::new(3, ComplaintSla::new(86_400)?, d.spike)?,
        )
        .await?;
    let day = date("2028-02-29")?;
    store
        .freeze_day(T1, day, at("2028-02-28", "20:00:00")?)
        .await?;
    let orders = store.orders_on(T1, day).await?;
    let order_of = |h: i64| {
        orders
            .iter()
            .find(|o| o.household.0 == h)
            .map(|o| o.id)
            .ok_or("no order")
    };
    let filed = at("2028-02-29", "10:00:00")?;
    let about_order = ComplaintFiling::new(
        DedupeKey::new("app:h1:1")?,
        HouseholdId(1),
        Some(order_of(1)?),
        ComplaintCategory::Late,
        "The milk came at 10.",
    )?;
    let c1 = store.file_complaint(T1, &about_order, filed).await?;
    assert_eq!(store.file_complaint(T1, &about_order, filed).await?, c1);
    let general = ComplaintFiling::new(
        DedupeKey::new("app:h2:1")?,
        HouseholdId(2),
        None,
        ComplaintCategory::Billing,
        "Charged twice.",
    )?;
    let c2 = store.file_complaint(T1, &general, filed).await?;
    assert_ne!(c1, c2);
    let not_mine = ComplaintFiling::new(
        DedupeKey::new("app:h2:2")?,
        HouseholdId(2),
        Some(order_of(1)?),
        ComplaintCategory::Missing,
        "Nothing came.",
    )?;
    let err = store.file_complaint(T1, &not_mine, filed).await;
    assert!(
        matches!(
            err,
            Err(StoreError::Domain(DairyError::Invalid {
                field: "complaint.order_id",
                ..
            }))
        ),
        "{err:?}"
    );
    let stranger = ComplaintFiling::new(
        DedupeKey::new("app:h99:1")?,
        HouseholdId(99),
        None,
        ComplaintCategory::Other,
        "Hello.",
    )?;
    assert!(matches!(
        store.file_complaint(T1, &stranger, filed).await,
        Err(StoreError::NotFound {
            what: "household",
            ..
        })
    ));
    // Tenant 2 has no order of tenant 1 and cannot read tenant 1's complaint.
    assert!(store.file_complaint(T2, &about_order, filed).await.is_err());
    assert!(store.complaint(T2, c1).await.is_err());

    assert!(store.resolve_complaint(T1, c2, filed).await?);
    assert!(!store.resolve_complaint(T1, c2, filed).await?);
    assert!(store
        .escalate_overdue_complaints(T1, at("2028-03-01", "09:59:59")?)
        .await?
        .is_empty());
    let now = at("2028-03-01", "10:00:00")?;
    assert_eq!(store.escalate_overdue_complaints(T1, now).await?, [c1]);
    assert!(store.escalate_overdue_complaints(T1, now).await?.is_empty());
    let c = store.complaint(T1, c1).await?;
    assert_eq!(c.state, ComplaintState::Escalated);
    assert_eq!((c.filed_at, c.escalated_at), (filed, Some(now)));
    assert_eq!(
        store.complaint(T1, c2).await?.state,
        ComplaintState::Resolved
    );
    let escalations: Vec<_> = store
        .pending_messages(T1, 100)
        .await?
        .into_iter()
        .filter(|m| m.topic == Topic::ComplaintEscalated)
        .collect();
    assert_eq!(escalations.len(), 1);
    assert_eq!(
        escalations[0].key.as_str(),
        format!("complaint-escalated:{c1}")
    );
    assert!(store.resolve_complaint(T1, c1, now).await?);
    store.close().await;
    Ok(())
}

/// Households' windows end at 08:00. At 08:00:00 nothing is late; at 09:00 the two open orders
/// of the day raise one alert each (household 1's delivered order none), and a rerun adds
/// none. Complaint spikes: 1, 2 and 1 complaints on the three days before, 4 on the day: not
/// above the threshold 10, but above 1.5 times the median 1, so one alert, once.
async fn alerts_once_per_subject_and_day(b: Backend) -> TestResult {
    let db = TestDb::new(b, "alerts").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    let d = CareSettings::DEFAULT;
    store
        .set_care_settings(
            T1,
            &CareSettings::new(3, d.complaint_sla, SpikeRule::new(10, 150, 3)?)?,
        )
        .await?;
    let day = date("2028-02-29")?;
    store
        .freeze_day(T1, day, at("2028-02-28", "20:00:00")?)
        .await?;
    let orders = store.orders_on(T1, day).await?;
    let first = orders.iter().find(|o| o.household.0 == 1).ok_or("order")?;
    let scan = OutcomeReport::Delivered {
        courier: COURIER,
        at: at("2028-02-29", "06:00:00")?,
        scanned_household: first.household,
        scanned_token: token(1),
    };
    store.record_outcome(T1, first.id, &scan).await?;
    let run = store
        .raise_delay_alerts(T1, at("2028-02-29", "08:00:00")?)
        .await?;
    assert_eq!((run.due, run.enqueued), (0, 0));
    let run = store
        .raise_delay_alerts(T1, at("2028-02-29", "09:00:00")?)
        .await?;
    assert_eq!((run.due, run.enqueued), (2, 2));
    let run = store
        .raise_delay_alerts(T1, at("2028-02-29", "10:00:00")?)
        .await?;
    assert_eq!((run.due, run.enqueued), (2, 0));
    let alerts: Vec<String> = store
        .pending_messages(T1, 100)
        .await?
        .into_iter()
        .filter(|m| m.topic == Topic::Alert)
        .map(|m| m.key.as_str().to_owned())
        .collect();
    assert_eq!(alerts.len(), 2);
    assert!(alerts
        .iter()
        .all(|k| k.starts_with("alert:delivery_delay:order-") && k.ends_with(":2028-02-29")));

    let mut n = 0;
    for (day, count) in [
        ("2028-03-01", 1),
        ("2028-03-02", 2),
        ("2028-03-03", 1),
        ("2028-03-04", 4),
    ] {
        for _ in 0..count {
            n += 1;
            let f = ComplaintFiling::new(
                DedupeKey::new(&format!("app:{n}"))?,
                HouseholdId(1 + n % 3),
                None,
                ComplaintCategory::Other,
                "Not happy.",
            )?;
            store.file_complaint(T1, &f, at(day, "12:00:00")?).await?;
        }
    }
    let (spike, run) = store.raise_spike_alert(T1, date("2028-03-03")?).await?;
    assert_eq!((spike, run.enqueued), (None, 0));
    let (spike, run) = store.raise_spike_alert(T1, date("2028-03-04")?).await?;
    let spike = spike.ok_or("a spike on 03-04")?;
    assert_eq!((spike.count, spike.median_x2), (4, 2));
    assert!(spike.above_median && !spike.above_threshold);
    assert_eq!(run.enqueued, 1);
    let (_, run) = store.raise_spike_alert(T1, date("2028-03-04")?).await?;
    assert_eq!((run.due, run.enqueued), (1, 0));
    store.close().await;
    Ok(())
}

/// The store side of webhooks: two endpoints of tenant 1 (one inactive) and none of tenant 2.
/// Fan-out hands tenant 1's two messages to the active endpoint and marks them sent; tenant
/// 2's stay pending. Attempts: 500, then a transport error, then the store is closed and
/// reopened (a restart), the delivery is due again only at its backoff time, and a 204
/// delivers it. A replayed record changes nothing. The other message dies after the policy's
/// three attempts and is never due again.
async fn webhook_deliveries_resume_and_dead_letter(b: Backend) -> TestResult {
    let db = TestDb::new(b, "webhooks").await?;
    let store = db.open().await?;
    seed(&store, T1).await?;
    seed(&store, T2).await?;
    let secret = WebhookSecret::new("whsec_test_0123456789")?;
    let hook = |id, active| -> Result<WebhookEndpoint, DairyError> {
        Ok(WebhookEndpoint {
            id: EndpointId(id),
            url: WebhookUrl::parse(&format!("http://127.0.0.1:9/hook/{id}"))?,
            secret: secret.clone(),
            active,
        })
    };
    store.add_webhook_endpoint(T1, &hook(1, true)?).await?;
    store.add_webhook_endpoint(T1, &hook(2, false)?).await?;
    let m1 = OutboxMessage::new(DedupeKey::new("a:1")?, Topic::Alert, r#"{"n":1}"#.into())?;
    let m2 = OutboxMessage::new(DedupeKey::new("a:2")?, Topic::Alert, r#"{"n":2}"#.into())?;
    for m in [&m1, &m2] {
        store.enqueue(T1, m).await?;
        store.enqueue(T2, m).await?;
    }
    let t0 = 1_900_000_000;
    assert_eq!(store.fan_out_webhooks(t0, 100).await?, 2);
    assert_eq!(store.fan_out_webhooks(t0, 100).await?, 0);
    assert!(store.pending_messages(T1, 10).await?.is_empty());
    assert_eq!(store.pending_messages(T2, 10).await?.len(), 2);
    let due = store.due_webhooks(t0, 100).await?;
    assert_eq!(due.len(), 2);
    assert!(due
        .iter()
        .all(|w| w.tenant == T1 && w.endpoint == EndpointId(1) && w.attempt == 1));
    assert_eq!(due[0].payload, r#"{"n":1}"#);

    let policy = RetryPolicy::new(10, 40, 3)?;
    let seed_ = 42;
    let k1 = &m1.key;
    let s = store
        .record_webhook_attempt(
            T1,
            EndpointId(1),
            k1,
            1,
            t0,
            &AttemptResult::Status(500),
            policy,
            seed_,
        )
        .await?;
    let DeliveryState::Pending {
        next_attempt_s: t1, ..
    } = s
    else {
        return Err(format!("{s:?}").into());
    };
    assert_eq!(t1, t0 + policy.delay_s(seed_, k1, 1));
    // Replaying attempt 1 changes nothing.
    let again = store
        .record_webhook_attempt(
            T1,
            EndpointId(1),
            k1,
            1,
            t0,
            &AttemptResult::Status(500),
            policy,
            seed_,
        )
        .await?;
    assert_eq!(again, s);
    let s = store
        .record_webhook_attempt(
            T1,
            EndpointId(1),
            k1,
            2,
            t1,
            &AttemptResult::Transport("connection refused".into()),
            policy,
            seed_,
        )
        .await?;
    let DeliveryState::Pending {
        next_attempt_s: t2, ..
    } = s
    else {
        return Err(format!("{s:?}").into());
    };
    store.close().await;

    let store = db.open().await?;
    assert!(store
        .due_webhooks(t2 - 1, 100)
        .await?
        .iter()
        .all(|w| w.key != *k1));
    let due: Vec<DueWebhook> = store
        .due_webhooks(t2, 100)
        .await?
        .into_iter()
        .filter(|w| w.key == *k1)
        .collect();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].attempt, 3);
    let s = store
        .record_webhook_attempt(
            T1,
            EndpointId(1),
            k1,
            3,
            t2,
            &AttemptResult::Status(204),
            policy,
            seed_,
        )
        .await?;
    assert_eq!(
        s,
        DeliveryState::Delivered {
            attempts: 3,
            at_s: t2
        }
    );
    assert_eq!(store.webhook_delivery(T1, EndpointId(1), k1).await?, s);
    let attempts = store.webhook_attempts(T1, EndpointId(1), k1).await?;
    let results: Vec<AttemptResult> = attempts.into_iter().map(|a| a.result).collect();
    assert_eq!(
        results,
        [
            AttemptResult::Status(500),
            AttemptResult::Transport("connection refused".into()),
            AttemptResult::Status(204)
        ]
    );

    let k2 = &m2.key;
    let mut now = t0;
    let mut last = DeliveryState::Pending {
        attempts: 0,
        next_attempt_s: t0,
    };
    for attempt in 1..=3 {
        last = store
            .record_webhook_attempt(
                T1,
                EndpointId(1),
                k2,
                attempt,
                now,
                &AttemptResult::Status(503),
                policy,
                seed_,
            )
            .await?;
        if let DeliveryState::Pending { next_attempt_s, .. } = last {
            now = next_attempt_s;
        }
    }
    assert_eq!(last, DeliveryState::Dead { attempts: 3 });
    assert!(store.due_webhooks(now + 1_000_000, 100).await?.is_empty());
    assert!(store.due_webhooks(now, 0).await.is_err());
    // Tenant 2 sees none of tenant 1's deliveries.
    assert!(store.webhook_delivery(T2, EndpointId(1), k2).await.is_err());
    store.close().await;
    Ok(())
}

/// Stations on 2028-02-29 (tenant 1, frozen: station 1 has 2 milk and 2 skimmed extras to
/// deliver, station 2 has 1 milk). Station 1 holds 1 usable milk (and 4 expired the day
/// before), station 2 holds 10; skimmed has a threshold of 5. Low-stock alerts: station 1's
/// milk (1 < 2) and skimmed (0 < 2 and < 5), station 2's skimmed (0 < 5); one outbox message
/// each, also when checked twice. The transfer plan moves the 1 missing milk from station 2
/// (the only lane, 0.30); carried out, it moves the unit once, as a lot of its own (replayed:
/// nothing moves; more than the usable stock or another tenant's stations: refused, naming the
/// field). Station 1's order for the 29th: 1 milk (2 - 1 usable) and 2 skimmed
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
    // A history of days, not weeks: Poisson at its mean, the engine is not asked.
    let engine = crate::store::StandInEngine::default();
    let orders = store
        .station_orders(&engine, T1, s1, day, &params, 28, 0)
        .await?;
    let got: Vec<(ProductId, u64, u64, u64)> = orders
        .iter()
        .map(|o| (o.product, o.calendar_demand, o.booked_extras, o.order))
        .collect();
    assert_eq!(got, [(MILK, 2, 0, 1), (SKIMMED, 0, 2, 2)]);
    let next = store
        .station_orders(&engine, T1, s1, day.add_days(1), &params, 28, 0)
        .await?;
    assert_eq!((next[0].calendar_demand, next[0].order), (2, 1));
    assert!((next[1].extras_mean - 2.0).abs() < 1e-9, "{:?}", next[1]);
    assert!((1..=6).contains(&next[1].order), "{:?}", next[1]);

    // The plan carried out: the unit leaves station 2's lot and arrives at station 1 as a lot
    // of its own (the next lot id, 4; the same expiry); carried out again, nothing moves.
    let done = store.transfer_stock(T1, MILK, day, &t).await?;
    assert_eq!(done.moved, [(LotId(2), LotId(4), 1)]);
    assert_eq!(done.key.as_str(), "2028-02-29:1:2->1");
    let again = store.transfer_stock(T1, MILK, day, &t).await?;
    assert!(again.already && again.moved.is_empty(), "{again:?}");
    let lots1 = store.station_lots(T1, s1).await?;
    let arrived = lots1.iter().find(|l| l.lot.id == LotId(4)).unwrap();
    assert_eq!(
        (
            arrived.lot.product,
            arrived.lot.expiry,
            arrived.balance.on_hand
        ),
        (MILK, day.add_days(1), 1)
    );
    let lots2 = store.station_lots(T1, s2).await?;
    assert_eq!(lots2[0].balance.on_hand, 9);
    for (s, lots) in [(s1, &lots1), (s2, &lots2)] {
        let recount = store.recount_stock(T1, s).await?;
        for l in lots.iter() {
            assert_eq!(
                recount[&l.lot.id].balance(l.lot.id)?,
                l.balance,
                "lot {}",
                l.lot.id
            );
        }
    }
    let covered = store
        .plan_stock_transfers(T1, MILK, day, &[lane], Cents(500))
        .await?;
    assert!(covered.transfers.is_empty(), "{covered:?}");
    let back = milkrun_dairy::transfer::Transfer {
        from: s1,
        to: s2,
        quantity: 100,
        cost: Cents(0),
    };
    let short = store.transfer_stock(T1, MILK, day, &back).await;
    assert!(
        short
            .as_ref()
            .is_err_and(|e| e.to_string().contains("transfer.quantity")),
        "{short:?}"
    );
    let foreign = store.transfer_stock(T2, MILK, day, &t).await;
    assert!(
        foreign
            .as_ref()
            .is_err_and(|e| e.to_string().contains("transfer.from")),
        "{foreign:?}"
    );

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
    renewal_reminders_once_per_term_end,
    complaints_escalate_once,
    alerts_once_per_subject_and_day,
    webhook_deliveries_resume_and_dead_letter,
    alerts_transfers_and_station_orders,
);
