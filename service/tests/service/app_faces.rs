//! The customer's and the company's pages (`/app/customer`, `/app/cockpit`, issue #22) in a
//! real browser, with the fixtures of [`crate::app_browser`] (Debian's headless Chromium
//! through chromedriver, a small `milkrun demo`'s store, `milkrun serve` on loopback). One
//! browser serves every step, in order, each checked against the store:
//! 1. the manager recomputes the segments, creates a promotion of an extra for a segment and
//!    pushes it, then a subscription offer (a package at a promoted price) from the same form;
//! 2. a targeted customer sees the offer among the recommendations; a swap for one day and a
//!    pause from the page change the store; a late change shows the cut-off's words and is
//!    offered again from the first open day; taking the offer adds the extra (and the offer
//!    leaves the recommendations); renewing makes the next term once; the demo's short
//!    history makes no quantity recommendation; the customer rates a delivered day once from
//!    the page, and a second rating or a day not delivered is refused in words;
//! 3. the customer cannot see or change another customer, by editing ids in requests, nor
//!    read the cockpit, nor rate another customer's delivery;
//! 4. the manager sees the promotions' conversion (the subscription offer's too, once a
//!    targeted customer subscribes to the package), the alerts and the trend, and drills down
//!    from the company to one courier's day, which matches the store's round;
//! 5. a courier's page at 390×844 lists the way to his next stop along the roads, the
//!    manoeuvres of the engine's own route from his station (no horizontal scroll);
//! 6. a session that expires under an open page (a server whose logins last 4 seconds) says
//!    so when the next change is tried, and the change is not made.
//!
//! (A skip before the cut-off taking the delivery out of the day's manifest is shown by
//! `app_browser`.) Screenshots go to `target/screenshots/faces-*.png`.
use std::time::Duration;

use milkrun_calendar::Date;
use milkrun_dairy::calendar::{DeliveryLine, OperationKind};
use milkrun_dairy::ids::{CourierId, CustomerId, ProductId, SubscriptionId};
use milkrun_dairy::money::Cents;
use milkrun_dairy::promotion::Offer;
use milkrun_dairy::recommend::Recommendation;
use milkrun_dairy::round::StopStatus;
use milkrun_dairy::segment::Segment;
use milkrun_dairy::subscription::Subscription;
use milkrun_engine::maneuvers::route_maneuvers;
use milkrun_engine::{import_pbf_file, LatLon, PointOptions, Profile, RoadEngine};
use serde_json::{json, Value};

use crate::app_browser::{demo_store, Browser, KEY, TENANT};
use crate::serve_support::start;

/// The status of a request made by the page's own code (its cookie, the pages' header).
fn status_of(b: &Browser, method: &str, path: &str, body: Value) -> u64 {
    b.js_async(
        "const [method, path, body, done] = arguments;
         fetch(path, {method, headers: {'x-milkrun-app': '1', 'content-type': 'application/json'},
                      body: method === 'GET' ? undefined : JSON.stringify(body)})
           .then(r => done(r.status), e => done(String(e)));",
        json!([method, path, body]),
    )
    .as_u64()
    .unwrap_or_else(|| panic!("{method} {path}: no status"))
}

/// The status and the body of a request made by the page's own code.
fn reply_of(b: &Browser, method: &str, path: &str, body: Value) -> (u64, String) {
    let v = b.js_async(
        "const [method, path, body, done] = arguments;
         fetch(path, {method, headers: {'x-milkrun-app': '1', 'content-type': 'application/json'},
                      body: method === 'GET' ? undefined : JSON.stringify(body)})
           .then(async r => done([r.status, await r.text()]), e => done([0, String(e)]));",
        json!([method, path, body]),
    );
    (
        v[0].as_u64().unwrap_or(0),
        v[1].as_str().unwrap_or_default().to_string(),
    )
}

/// Sets a form field's value (dates, selects) as a person would, with its change event.
fn set(b: &Browser, selector: &str, value: &str) {
    b.js(
        "const e = document.querySelector(arguments[0]); e.value = arguments[1];
         e.dispatchEvent(new Event('change'));",
        json!([selector, value]),
    );
}

fn message_has(b: &Browser, words: &str) {
    b.wait_for(
        &format!(
            "document.getElementById('message').textContent.includes({})",
            json!(words)
        ),
        words,
    );
}

#[test]
fn customer_and_cockpit_in_a_real_browser() {
    let (db, db_text, rt, store, day) = demo_store("faces");
    let server = start(&["--db", &db_text, "--dev-key", KEY]);
    let base = server.url();
    let browser = Browser::start();

    // 1. The manager: segments, a promotion of an extra for the largest segment, pushed.
    browser.screen(1280, 900, false);
    browser.login(&base, "manager", KEY);
    browser.wait_for(
        "location.pathname === '/app/cockpit' && document.body.dataset.ready",
        "the cockpit",
    );
    browser.click("#assign-segments");
    message_has(&browser, "Segments recomputed");
    let sizes: Vec<(Segment, usize)> = Segment::ALL
        .iter()
        .map(|s| {
            (
                *s,
                rt.block_on(store.segment_members(TENANT, *s))
                    .unwrap()
                    .len(),
            )
        })
        .collect();
    let (segment, size) = *sizes.iter().max_by_key(|(_, n)| *n).unwrap();
    assert!(size >= 10, "a segment to target: {sizes:?}");
    browser.wait_for(
        &format!(
            "document.getElementById('segments-summary').textContent.includes({})",
            json!(format!(" {size}"))
        ),
        "the segments' sizes",
    );
    let products = rt.block_on(store.product_names(TENANT)).unwrap();
    let offered: ProductId = products[0].0;
    set(&browser, "#promo-segment", segment.as_str());
    set(&browser, "#promo-product", &offered.0.to_string());
    set(&browser, "#promo-free", "1");
    set(&browser, "#promo-from", &day.to_string());
    set(&browser, "#promo-to", &day.add_days(7).to_string());
    set(&browser, "#promo-holdout", "20");
    browser.click("#new-promotion button[type=submit]");
    message_has(&browser, "created for the");
    let promos = rt.block_on(store.promotions(TENANT)).unwrap();
    let promo = promos.last().expect("the promotion is stored");
    assert_eq!(
        (promo.segment, promo.holdout_pct, promo.valid_to),
        (segment, 20, day.add_days(7))
    );
    let id = promo.id;
    browser.click(&format!("#promotion-{} button.push", id.0));
    message_has(&browser, &format!("Promotion {} pushed", id.0));
    let members = rt.block_on(store.promotion_members(TENANT, id)).unwrap();
    assert_eq!(members.len(), size, "the segment's members are fixed");
    let held = members.iter().filter(|m| m.1).count();
    assert_eq!(held, (size * 20 + 50) / 100, "the seeded holdout");
    // A subscription offer from the same form: a package at a promoted price, pushed.
    let package = rt.block_on(store.packages(TENANT)).unwrap()[0].clone();
    set(&browser, "#promo-offer", "subscribe");
    browser.wait_for(
        "document.getElementById('offer-subscribe').offsetParent !== null \
         && document.getElementById('offer-extra').offsetParent === null",
        "the subscription offer's fields",
    );
    set(&browser, "#promo-package", &package.id.0.to_string());
    set(&browser, "#promo-price", "9.99");
    browser.click("#new-promotion button[type=submit]");
    message_has(&browser, "created for the");
    let promos = rt.block_on(store.promotions(TENANT)).unwrap();
    let sub_promo = *promos.last().expect("the subscription offer is stored");
    assert!(sub_promo.id != id);
    assert_eq!(
        (sub_promo.offer, sub_promo.segment, sub_promo.valid_to),
        (
            Offer::Subscribe {
                package: package.id,
                price: Cents(999)
            },
            segment,
            day.add_days(7)
        )
    );
    browser.click(&format!("#promotion-{} button.push", sub_promo.id.0));
    message_has(&browser, &format!("Promotion {} pushed", sub_promo.id.0));
    let offer_text = browser.text(&format!("#promotion-{} td", sub_promo.id.0));
    assert!(
        offer_text.starts_with("subscription to ") && offer_text.contains(" at 9.99"),
        "{offer_text}"
    );
    browser.js(
        "document.getElementById('promo-title').scrollIntoView();",
        json!([]),
    );
    browser.screenshot("faces-cockpit-promotion");

    // 2. A targeted customer with deliveries on each of the next days.
    let mut pick = None;
    'members: for (c, held) in &members {
        if *held
            || rt
                .block_on(store.delivered_days(TENANT, *c, day.add_days(-13), day))
                .unwrap()
                .is_empty()
        {
            continue;
        }
        for sub in rt
            .block_on(store.subscriptions_of_customer(TENANT, *c))
            .unwrap()
        {
            let days = rt
                .block_on(store.deliveries(TENANT, sub.id, day.add_days(2), day.add_days(5)))
                .unwrap();
            if days
                .iter()
                .filter(|d| d.line == DeliveryLine::Regular)
                .count()
                == 4
            {
                pick = Some((*c, sub.id, days[0].product));
                break 'members;
            }
        }
    }
    let (customer, sub, product): (CustomerId, SubscriptionId, ProductId) =
        pick.expect("a targeted customer delivered every day");
    let other_product = products
        .iter()
        .map(|p| p.0)
        .find(|p| *p != product)
        .expect("a second product");
    browser.click("#logout");
    browser.wait_for("location.pathname === '/app/login'", "the login");
    browser.screen(390, 844, true);
    browser.login(&base, &format!("customer-{}", customer.0), KEY);
    browser.wait_for(
        "location.pathname === '/app/customer' && document.body.dataset.ready",
        "the customer page",
    );
    set(&browser, "#subscription", &sub.0.to_string());
    // The offer is among the recommendations, from the dairy crate's rules.
    let recs = rt
        .block_on(store.recommendations(
            TENANT,
            customer,
            milkrun_dairy::calendar::Moment::new(day, 0).unwrap(),
        ))
        .unwrap();
    assert!(!recs.is_empty());
    // One simulated day is too short a history for a trend: no quantity suggestion.
    assert!(
        !recs
            .iter()
            .any(|r| matches!(r, Recommendation::Quantity { .. })),
        "{recs:?}"
    );
    let offer_li = format!(
        "#recommendations li[data-kind=offer][data-promotion='{}']",
        id.0
    );
    browser.wait_for(
        &format!("document.querySelector({})", json!(offer_li)),
        "the offer",
    );

    assert_eq!(
        browser.js(
            "return document.querySelectorAll('#recommendations li[data-kind=quantity]').length;",
            json!([])
        ),
        json!(0),
        "no quantity suggestion on the page"
    );

    // Rating a delivered day from the page: once, 1 to 5; the refusals in the server's words.
    let delivered = rt
        .block_on(store.delivered_days(TENANT, customer, day.add_days(-13), day))
        .unwrap();
    let rated = *delivered
        .iter()
        .find(|d| d.stars.is_none())
        .expect("a delivered day not rated yet");
    let li = format!("#rate-{}-{}", rated.household.0, rated.date);
    browser.wait_for(
        &format!("document.querySelector({})", json!(li)),
        "the delivered day to rate",
    );
    set(
        &browser,
        &format!("#stars-{}-{}", rated.household.0, rated.date),
        "4",
    );
    browser.click(&format!("{li} button[type=submit]"));
    message_has(
        &browser,
        &format!("the delivery of {} rated 4 of 5", rated.date),
    );
    browser.wait_for(
        &format!(
            "document.querySelector({}).dataset.stars === '4'",
            json!(li)
        ),
        "the stars shown",
    );
    let stored = rt
        .block_on(store.delivered_days(TENANT, customer, rated.date, rated.date))
        .unwrap();
    assert!(
        stored
            .iter()
            .any(|d| d.household == rated.household && d.stars == Some(4)),
        "{stored:?}"
    );
    let ratings = format!("/app/api/customers/{}/ratings", customer.0);
    let (st, text) = reply_of(
        &browser,
        "POST",
        &ratings,
        json!({"household": rated.household.0, "date": rated.date.to_string(), "stars": 1}),
    );
    assert_eq!(st, 409, "{text}");
    assert!(text.contains("rated already"), "{text}");
    let (st, text) = reply_of(
        &browser,
        "POST",
        &ratings,
        json!({"household": rated.household.0, "date": day.add_days(3).to_string(), "stars": 5}),
    );
    assert_eq!(st, 409, "{text}");
    assert!(text.contains("nothing was delivered"), "{text}");
    let (st, text) = reply_of(
        &browser,
        "POST",
        &ratings,
        json!({"household": rated.household.0, "date": rated.date.to_string(), "stars": 6}),
    );
    assert_eq!(st, 400, "{text}");
    assert!(text.contains("stars"), "{text}");
    let stored = rt
        .block_on(store.delivered_days(TENANT, customer, rated.date, rated.date))
        .unwrap();
    assert!(
        stored
            .iter()
            .any(|d| d.household == rated.household && d.stars == Some(4)),
        "the first rating stands: {stored:?}"
    );
    browser.js(
        "document.getElementById('rate-title').scrollIntoView();",
        json!([]),
    );
    browser.screenshot("faces-customer-rating");

    // A swap for one day, from the page: that day's delivery is the other product.
    let swap_day = day.add_days(3);
    set(&browser, "#day-date", &swap_day.to_string());
    set(&browser, "#day-kind", "swap");
    set(&browser, "#day-product", &other_product.0.to_string());
    browser.click("#day-change button[type=submit]");
    message_has(&browser, &format!("On {swap_day}"));
    let swapped = rt
        .block_on(store.deliveries(TENANT, sub, swap_day, swap_day))
        .unwrap();
    assert_eq!(swapped.len(), 1, "{swapped:?}");
    assert_eq!(swapped[0].product, other_product, "the swapped product");
    let next = rt
        .block_on(store.deliveries(TENANT, sub, swap_day.add_days(1), swap_day.add_days(1)))
        .unwrap();
    assert_eq!(next[0].product, product, "one day only");

    // A pause of two days, from the page: no delivery on them.
    let (p_from, p_to) = (day.add_days(4), day.add_days(5));
    set(&browser, "#pause-from", &p_from.to_string());
    set(&browser, "#pause-to", &p_to.to_string());
    browser.click("#pause button[type=submit]");
    message_has(&browser, &format!("Paused from {p_from}"));
    let paused = rt
        .block_on(store.deliveries(TENANT, sub, p_from, p_to))
        .unwrap();
    assert!(paused.is_empty(), "{paused:?}");
    let ops = rt.block_on(store.operations(TENANT, sub)).unwrap();
    assert!(ops.iter().any(|o| o.kind
        == OperationKind::Pause {
            from: p_from,
            to: p_to
        }));

    // A late change: the cut-off's words, and the offer to apply it from the first open day.
    let first_open = browser
        .js("return document.body.dataset.firstOpen;", json!([]))
        .as_str()
        .map(|d| Date::parse_iso(d).unwrap())
        .expect("the first open day");
    assert!(first_open > day, "the open day is closed to changes");
    let before = rt.block_on(store.operations(TENANT, sub)).unwrap().len();
    set(&browser, "#day-date", &day.to_string());
    set(&browser, "#day-kind", "skip");
    browser.click("#day-change button[type=submit]");
    message_has(&browser, "too late to change");
    message_has(&browser, &format!("applies from {first_open}"));
    set(&browser, "#from-kind", "change_quantity");
    set(&browser, "#from-date", &day.to_string());
    set(&browser, "#from-quantity", "2");
    browser.click("#from-change button[type=submit]");
    message_has(&browser, "too late to change");
    assert_eq!(
        rt.block_on(store.operations(TENANT, sub)).unwrap().len(),
        before,
        "late changes record nothing"
    );
    browser.screenshot("faces-customer-late");
    browser.click("#retry-from-open");
    message_has(&browser, &format!("From {first_open}: 2 per delivery"));
    let ops = rt.block_on(store.operations(TENANT, sub)).unwrap();
    assert_eq!(
        ops.last().map(|o| o.kind),
        Some(OperationKind::ChangeQuantity {
            from: first_open,
            quantity: 2
        })
    );

    // Taking the offer adds the promoted extra.
    browser.click(&format!("{offer_li} button.take"));
    message_has(&browser, "Done: Offer");
    browser.wait_for(
        &format!("!document.querySelector({})", json!(offer_li)),
        "the offer gone once taken",
    );
    let ops = rt.block_on(store.operations(TENANT, sub)).unwrap();
    assert!(
        ops.iter().any(|o| matches!(o.kind,
            OperationKind::Extra { product: p, date, .. } if p == offered && date == first_open)),
        "{ops:?}"
    );
    let conv = rt.block_on(store.promotion_conversion(TENANT, id)).unwrap();
    assert!(conv.targeted_taken >= 1, "{conv:?}");
    // Renewing: the next term as a new subscription, once.
    browser.click(&format!("#sub-{} button.renew", sub.0));
    message_has(&browser, "Renewed: subscription #");
    let subs = rt
        .block_on(store.subscriptions_of_customer(TENANT, customer))
        .unwrap();
    let old = subs.iter().find(|s| s.id == sub).unwrap();
    let renewed = subs.iter().max_by_key(|s| s.id).unwrap();
    assert!(renewed.id != sub && renewed.household == old.household);
    assert_eq!(
        (renewed.package, renewed.quantity),
        (old.package, old.quantity)
    );
    assert!(
        renewed.start > first_open,
        "after the current term: {renewed:?}"
    );
    browser.click(&format!("#sub-{} button.renew", sub.0));
    message_has(&browser, "Already renewed");
    assert_eq!(
        rt.block_on(store.subscriptions_of_customer(TENANT, customer))
            .unwrap()
            .len(),
        subs.len(),
        "renewing twice makes one subscription"
    );
    // The consumption chart: dated axis, a legend, the server's weeks.
    let weeks = browser.js(
        "return document.querySelectorAll('#use-chart svg .x-tick').length;",
        json!([]),
    );
    assert!(weeks.as_u64().unwrap() >= 2, "dated ticks: {weeks}");
    let scroll = browser.js("return document.documentElement.scrollWidth;", json!([]));
    assert!(scroll.as_u64().unwrap() <= 390, "scrollWidth {scroll}");
    browser.js(
        "document.getElementById('recs-title').scrollIntoView();",
        json!([]),
    );
    browser.screenshot("faces-customer-chart");
    browser.js("window.scrollTo(0, 0);", json!([]));
    browser.screenshot("faces-customer");

    // 3. Another customer, by editing ids: not found; the cockpit: forbidden.
    let other = members
        .iter()
        .map(|m| m.0)
        .find(|c| *c != customer)
        .unwrap();
    let other_sub = rt
        .block_on(store.subscriptions_of_customer(TENANT, other))
        .unwrap()[0]
        .id;
    let other_ops = rt
        .block_on(store.operations(TENANT, other_sub))
        .unwrap()
        .len();
    let other_household = rt
        .block_on(store.subscriptions_of_customer(TENANT, other))
        .unwrap()[0]
        .household;
    let rate_other = json!({"household": other_household.0,
                            "date": day.add_days(-1).to_string(), "stars": 1});
    let skip = json!({"subscription": other_sub.0, "kind": "skip",
                      "date": first_open.add_days(2).to_string()});
    let me = customer.0;
    let o = other.0;
    for (method, path, body, want) in [
        (
            "GET",
            format!("/app/api/customers/{o}/calendar"),
            json!(null),
            404,
        ),
        (
            "GET",
            format!("/app/api/customers/{o}/consumption"),
            json!(null),
            404,
        ),
        (
            "GET",
            format!("/app/api/customers/{o}/recommendations"),
            json!(null),
            404,
        ),
        (
            "GET",
            format!("/app/api/customers/{o}/complaints"),
            json!(null),
            404,
        ),
        (
            "POST",
            format!("/app/api/customers/{o}/operations"),
            skip.clone(),
            404,
        ),
        (
            "POST",
            format!("/app/api/customers/{me}/operations"),
            skip.clone(),
            404,
        ),
        (
            "POST",
            format!("/app/api/customers/{me}/renew"),
            json!({"subscription": other_sub.0}),
            404,
        ),
        (
            "GET",
            format!("/app/api/customers/{o}/ratings"),
            json!(null),
            404,
        ),
        (
            "POST",
            format!("/app/api/customers/{o}/ratings"),
            rate_other.clone(),
            404,
        ),
        (
            "POST",
            format!("/app/api/customers/{me}/ratings"),
            rate_other.clone(),
            404,
        ),
        ("GET", "/app/api/cube?by=station".into(), json!(null), 403),
        (
            "GET",
            "/app/api/cockpit/promotions".into(),
            json!(null),
            403,
        ),
        ("GET", "/app/api/cockpit/watch".into(), json!(null), 403),
        (
            "POST",
            format!("/app/api/cockpit/promotions/{}/push", id.0),
            json!(null),
            403,
        ),
    ] {
        assert_eq!(
            status_of(&browser, method, &path, body),
            want,
            "{method} {path}"
        );
    }
    assert_eq!(
        rt.block_on(store.operations(TENANT, other_sub))
            .unwrap()
            .len(),
        other_ops,
        "the other customer's calendar is untouched"
    );

    // A targeted member of the subscription offer subscribes to its package within the
    // validity (through the office or the API; the page has no way to take it): the
    // conversion counts it.
    let sub_members = rt
        .block_on(store.promotion_members(TENANT, sub_promo.id))
        .unwrap();
    let taker = sub_members
        .iter()
        .find(|m| !m.1)
        .map(|m| m.0)
        .expect("a targeted member");
    let base_sub = rt
        .block_on(store.subscriptions_of_customer(TENANT, taker))
        .unwrap()[0]
        .clone();
    let taken = Subscription::for_package(
        SubscriptionId(9_000_001),
        base_sub.household,
        &package,
        day.add_days(2),
        1,
        base_sub.weekdays,
    )
    .unwrap();
    rt.block_on(store.add_subscription(TENANT, &taken)).unwrap();

    // 4. The manager: the conversion, the alerts, the trend and the drill-down.
    browser.js("document.getElementById('logout').click();", json!([]));
    browser.wait_for("location.pathname === '/app/login'", "the login");
    browser.screen(1280, 900, false);
    browser.login(&base, "manager", KEY);
    browser.wait_for(
        "location.pathname === '/app/cockpit' && document.body.dataset.ready",
        "the cockpit",
    );
    let conv = rt.block_on(store.promotion_conversion(TENANT, id)).unwrap();
    let row = format!("#promotion-{}", id.0);
    browser.wait_for(
        &format!("document.querySelector({})", json!(row)),
        "the promotion's row",
    );
    let shown = browser.js(
        "const d = document.querySelector(arguments[0]).dataset;
         return [+d.targeted, +d.targetedTaken, +d.holdout, +d.holdoutTaken];",
        json!([row]),
    );
    assert_eq!(
        shown,
        json!([
            conv.targeted,
            conv.targeted_taken,
            conv.holdout,
            conv.holdout_taken
        ]),
        "the conversion as the store counts it"
    );
    let taken_text = browser.text(&format!("{row} td.taken"));
    assert!(
        taken_text.starts_with(&format!("{} of {}", conv.targeted_taken, conv.targeted)),
        "{taken_text}"
    );
    // The subscription offer's conversion, as the store counts it.
    let sconv = rt
        .block_on(store.promotion_conversion(TENANT, sub_promo.id))
        .unwrap();
    assert!(sconv.targeted_taken >= 1, "{sconv:?}");
    let srow = format!("#promotion-{}", sub_promo.id.0);
    let shown = browser.js(
        "const d = document.querySelector(arguments[0]).dataset;
         return [+d.targeted, +d.targetedTaken, +d.holdout, +d.holdoutTaken];",
        json!([srow]),
    );
    assert_eq!(
        shown,
        json!([
            sconv.targeted,
            sconv.targeted_taken,
            sconv.holdout,
            sconv.holdout_taken
        ]),
        "the subscription offer's conversion"
    );
    let taken_text = browser.text(&format!("{srow} td.taken"));
    assert!(
        taken_text.starts_with(&format!("{} of {}", sconv.targeted_taken, sconv.targeted)),
        "{taken_text}"
    );
    // The trend: one row per day of the week before the open day and the open day, with the
    // store's figures.
    let trend = rt
        .block_on(store.daily_trend(TENANT, day.add_days(-7), day))
        .unwrap();
    browser.wait_for(
        &format!(
            "document.querySelectorAll('#trend-table tbody tr').length === {}",
            trend.len()
        ),
        "the trend's days",
    );
    let shown = browser.js(
        "return [...document.querySelectorAll('#trend-table tbody tr')].map(tr =>
           [...tr.children].map(c => c.textContent));",
        json!([]),
    );
    let want: Vec<Vec<String>> = trend
        .iter()
        .map(|t| {
            vec![
                t.day.to_string(),
                t.measures.delivered.to_string(),
                t.measures.failed.to_string(),
                t.measures.on_time.to_string(),
                t.wasted.to_string(),
            ]
        })
        .collect();
    assert_eq!(shown, json!(want), "the daily figures");
    assert_eq!(
        browser.js(
            "return document.querySelectorAll('#trend svg .legend text').length;",
            json!([])
        ),
        json!(4),
        "the trend's legend"
    );
    // The alerts: the store's watch list, one item each (or the quiet line).
    let watch = rt
        .block_on(store.watch(
            TENANT,
            day.add_days(-7),
            day,
            milkrun_dairy::calendar::Moment::new(day, 0).unwrap(),
        ))
        .unwrap();
    let kinds: Vec<&str> = watch.iter().map(|w| w.kind()).collect();
    browser.wait_for("document.querySelector('#watch li')", "the alerts");
    let shown = browser.js(
        "return [...document.querySelectorAll('#watch li[data-kind]')].map(li => li.dataset.kind);",
        json!([]),
    );
    // Complaints age with the wall clock between the two reads: compare the other kinds.
    let steady = |v: Vec<String>| -> Vec<String> {
        v.into_iter().filter(|k| k != "complaint_open").collect()
    };
    let shown: Vec<String> = serde_json::from_value(shown).unwrap();
    assert_eq!(
        steady(shown),
        steady(kinds.iter().map(|k| k.to_string()).collect()),
        "the alerts"
    );
    // Drill down: station -> courier -> day -> the courier's stops of the open day.
    browser.click("#cube tbody tr button.link");
    browser.wait_for(
        "document.getElementById('key-head').textContent === 'Courier'",
        "the couriers",
    );
    browser.click("#cube tbody tr button.link");
    browser.wait_for(
        "document.getElementById('key-head').textContent === 'Day'",
        "the courier's days",
    );
    browser.click(&format!(
        "#cube tbody tr button.day-link[aria-label$='on {day}: the stops']"
    ));
    browser.wait_for(
        "!document.getElementById('courier-day').hidden \
         && document.querySelectorAll('#courier-stops tbody tr').length > 0",
        "the courier's day",
    );
    let courier: i64 = browser
        .js(
            "return +document.getElementById('courier-day').dataset.courier;",
            json!([]),
        )
        .as_i64()
        .unwrap();
    let round = rt
        .block_on(store.courier_round(TENANT, day, milkrun_dairy::ids::CourierId(courier)))
        .unwrap();
    let shown = browser.js(
        "return [...document.querySelectorAll('#courier-stops tbody tr')].map(tr =>
           [+tr.dataset.household, tr.dataset.status]);",
        json!([]),
    );
    let want: Vec<(i64, &str)> = round
        .iter()
        .map(|s| (s.household.0, s.status.as_str()))
        .collect();
    assert_eq!(shown, json!(want), "the courier's day as the store has it");
    browser.screenshot("faces-cockpit-courier-day");

    // 5. A courier with his round ahead: the way to his next stop along the roads, the
    // manoeuvres of the engine's route from his station.
    browser.js("document.getElementById('logout').click();", json!([]));
    browser.wait_for("location.pathname === '/app/login'", "the login");
    let board = rt.block_on(store.day_board(TENANT, day)).unwrap();
    let mut couriers: Vec<CourierId> = board.iter().filter_map(|s| s.courier).collect();
    couriers.sort();
    couriers.dedup();
    let (rider, round) = couriers
        .iter()
        .find_map(|c| {
            let r = rt.block_on(store.courier_round(TENANT, day, *c)).unwrap();
            (!r.is_empty() && r.iter().all(|s| s.status == StopStatus::Pending)).then_some((*c, r))
        })
        .expect("a courier with his round ahead");
    browser.screen(390, 844, true);
    browser.login(&base, &format!("courier-{}", rider.0), KEY);
    browser.wait_for(
        "location.pathname === '/app/courier' && document.body.dataset.ready \
         && document.querySelector('#nav-steps li')",
        "the courier's way to his next stop",
    );
    let d = browser.js_async(
        "const [id, done] = arguments;
         fetch('/app/api/couriers/' + id + '/directions').then(r => r.json()).then(done, e => done(String(e)));",
        json!([rider.0]),
    );
    let next = &round[0];
    assert_eq!(d["next"]["household"], json!(next.household.0), "{d}");
    assert_eq!(d["from"], json!("the station"), "{d}");
    let site = rt
        .block_on(store.station_site(TENANT, next.station))
        .unwrap()
        .expect("the station's site");
    assert_eq!(d["from_point"], json!([site.point.lat, site.point.lon]));
    let osm = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../datasets/data/osm/liechtenstein.osm.pbf");
    let (graph, _) = import_pbf_file(&osm, Profile::Bike).unwrap();
    let engine = RoadEngine::prepare(graph);
    let opts = PointOptions {
        departure_s: Some(d["departure_s"].as_u64().unwrap() as u32),
        max_snap_m: site.max_snap_m,
        ..PointOptions::default()
    };
    let route = engine
        .route_with(
            LatLon {
                lat: site.point.lat,
                lon: site.point.lon,
            },
            LatLon {
                lat: next.point.lat,
                lon: next.point.lon,
            },
            &opts,
        )
        .unwrap()
        .expect("a road to the first stop");
    let want: Vec<(&str, i64)> = route_maneuvers(engine.graph(), &route)
        .iter()
        .map(|m| (m.kind.as_str(), m.distance_m.round() as i64))
        .collect();
    let shown = browser.js(
        "return [...document.querySelectorAll('#nav-steps li')].map(li => [li.dataset.kind, +li.dataset.distance]);",
        json!([]),
    );
    assert_eq!(shown, json!(want), "the engine's manoeuvres on the page");
    assert_eq!(
        d["distance_m"],
        json!((f64::from(route.dist_dm) / 10.0).round() as i64)
    );
    let first = browser.text("#nav-steps li:first-child");
    let last = browser.text("#nav-steps li:last-child");
    assert!(first.starts_with("Set off heading "), "{first}");
    assert!(last.contains(&next.address), "{last}");
    let scroll = browser.js("return document.documentElement.scrollWidth;", json!([]));
    assert!(scroll.as_u64().unwrap() <= 390, "scrollWidth {scroll}");
    browser.screenshot("faces-courier-directions");

    // 6. A session that expires under an open page: a server whose logins last 4 seconds.
    let config = db.parent().unwrap().join("short-sessions.json");
    std::fs::write(&config, r#"{"app": {"session_s": 4}}"#).unwrap();
    let short = start(&[
        "--db",
        &db_text,
        "--dev-key",
        KEY,
        "--config",
        config.to_str().unwrap(),
    ]);
    browser.screen(390, 844, true);
    let logged_in = std::time::Instant::now();
    browser.login(&short.url(), &format!("customer-{}", customer.0), KEY);
    browser.wait_for(
        "location.pathname === '/app/customer' && document.body.dataset.ready",
        "the customer page",
    );
    let before = rt.block_on(store.operations(TENANT, sub)).unwrap().len();
    std::thread::sleep(Duration::from_millis(5_200).saturating_sub(logged_in.elapsed()));
    set(&browser, "#subscription", &sub.0.to_string());
    set(&browser, "#day-date", &first_open.add_days(1).to_string());
    set(&browser, "#day-kind", "skip");
    browser.click("#day-change button[type=submit]");
    browser.wait_for(
        "document.getElementById('message').textContent.includes('the session has expired: log in again') \
         && document.querySelector('#message a[href=\"/app/login\"]')",
        "the expired session",
    );
    assert_eq!(
        rt.block_on(store.operations(TENANT, sub)).unwrap().len(),
        before,
        "nothing changed after the session ended"
    );
    browser.screenshot("faces-session-expired");

    rt.block_on(store.close());
    drop(browser);
    drop(short);
    drop(server);
    let _ = std::fs::remove_dir_all(db.parent().unwrap());
}
