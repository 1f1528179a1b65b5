//! The station dispatcher's page (`/app/station`, issue #22) in a real browser, on the store
//! a small `milkrun demo` wrote (its open day planned, nothing delivered yet), with one
//! Chromium for every step (the fixtures of [`crate::app_browser`]).
//!
//! What it shows, each against the store: every station's marker sits at the station's
//! stored point, with a legend; the dispatcher reports a jam from the page's form and the
//! re-plan appears in the feed and on the map without a reload, the store's routes agreeing
//! with the page's; a breakdown takes every pending stop off the courier (to another courier,
//! or none with the reason stored) and the page lists them; the alerts count what the store
//! holds; a courier, a customer and the read-only manager cannot use the controls, bad input
//! is refused naming its field; a courier's report moves his position marker to the door; a
//! late order from the form puts a household that was not on the day's plan on the map and
//! in the store (on a route, or without a courier with the reason); the customer rates the
//! delivery once and the courier sees it; the station filter shows one station's stops
//! only; the courier page shows the way to his next stop. Screenshots go to
//! `target/screenshots/`.
use std::collections::{HashMap, HashSet};

use milkrun_dairy::ids::{CourierId, HouseholdId, StationId};
use milkrun_dairy::round::{RoundStop, StopStatus};
use serde_json::{json, Value};

use crate::app_browser::{cookie_of, demo_store, http, Browser, KEY, TENANT};
use crate::serve_support::start;

/// Each household's courier and place in the store's plan of the day.
fn routes(stops: &[RoundStop]) -> HashMap<i64, (Option<i64>, Option<u32>)> {
    stops
        .iter()
        .map(|s| (s.household.0, (s.courier.map(|c| c.0), s.seq)))
        .collect()
}

/// A POST of the pages with `cookie`: status and body.
fn post(addr: &str, path: &str, cookie: &str, body: &Value) -> (u16, String) {
    let a = http(
        addr,
        "POST",
        path,
        &[
            ("Content-Type", "application/json"),
            ("x-milkrun-app", "1"),
            ("Cookie", cookie),
        ],
        &body.to_string(),
    );
    (a.status, a.body)
}

#[test]
fn the_dispatcher_reports_a_jam_and_a_breakdown() {
    let (_, db_text, rt, store, day) = demo_store("station");
    let board = rt.block_on(store.day_board(TENANT, day)).unwrap();
    let points = rt.block_on(store.station_points(TENANT)).unwrap();
    let stations = rt.block_on(store.stations(TENANT)).unwrap();
    assert_eq!(
        points.len(),
        stations.len(),
        "the demo stores every station's point"
    );
    // The station with the most couriers on routes is the one the controls work on.
    let mut per_station: HashMap<StationId, HashSet<CourierId>> = HashMap::new();
    for s in &board {
        if let Some(c) = s.courier {
            per_station.entry(s.station).or_default().insert(c);
        }
    }
    let (&station, couriers) = per_station
        .iter()
        .max_by_key(|(s, c)| (c.len(), std::cmp::Reverse(s.0)))
        .expect("a station with couriers");
    assert!(couriers.len() >= 2, "two couriers at station {station:?}");
    let mut couriers: Vec<CourierId> = couriers.iter().copied().collect();
    couriers.sort();

    let first_eta = board
        .iter()
        .filter(|s| s.station == station)
        .filter_map(|s| s.arrival_s)
        .min()
        .unwrap();
    // The pages' clock a minute after the first planned arrival, whatever the wall clock's
    // hour: the controls' jam and breakdown at that arrival come before every report.
    let server = start_server(&db_text, &milkrun_calendar::format_hms(first_eta + 60));
    let base = server.url();
    let addr = base.trim_start_matches("http://").to_string();
    let browser = Browser::start();

    // 1. The stations on the map, at their stored points, with a legend.
    browser.login(&base, "dispatcher", KEY);
    browser.wait_for(
        "location.pathname === '/app/station' && document.body.dataset.ready",
        "the station page",
    );
    for (id, p) in &points {
        let at = browser.js(
            "const e = document.getElementById('station-' + arguments[0]); \
             return e ? [+e.dataset.lat, +e.dataset.lon] : null;",
            json!([id.0]),
        );
        let (lat, lon) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
        assert!(
            (lat - p.lat).abs() < 1e-9 && (lon - p.lon).abs() < 1e-9,
            "station {}'s marker at its stored point: {at} vs {p:?}",
            id.0
        );
    }
    assert!(browser.text("#legend-station").contains("Station"));
    assert!(browser
        .text("#legend-position")
        .contains("Courier's last position"));
    assert!(
        !browser
            .js(
                "return document.getElementById('controls-box').hidden;",
                json!([])
            )
            .as_bool()
            .unwrap(),
        "the dispatcher sees the controls"
    );

    // 2. Who may not use the controls, and bad input named by its field.
    let jam_path = format!("/app/api/stations/{}/jam", station.0);
    let point = board
        .iter()
        .find(|s| s.station == station && s.courier == Some(couriers[0]))
        .unwrap()
        .point;
    let jam = |factor: f64, at: &str| {
        json!({"lat": point.lat, "lon": point.lon, "radius_m": 1500.0, "factor": factor,
               "minutes": 30, "at": at})
    };
    let at = milkrun_calendar::format_hms(first_eta)[..5].to_string();
    let courier_cookie = cookie_of(&addr, &format!("courier-{}", couriers[0].0));
    let customer_cookie = cookie_of(&addr, &format!("customer-{}", board[0].customer.0));
    let manager_cookie = cookie_of(&addr, "manager");
    for (who, cookie) in [
        ("a courier", &courier_cookie),
        ("a customer", &customer_cookie),
        ("the manager", &manager_cookie),
    ] {
        let (status, body) = post(&addr, &jam_path, cookie, &jam(2.0, &at));
        assert_eq!(status, 403, "{who}: {body}");
        let (status, _) = post(
            &addr,
            &format!("/app/api/stations/{}/breakdown", station.0),
            cookie,
            &json!({"courier": couriers[0].0, "at": at}),
        );
        assert_eq!(status, 403, "{who} reports no breakdown");
    }
    let dispatcher = cookie_of(&addr, "dispatcher");
    let no_header = http(
        &addr,
        "POST",
        &jam_path,
        &[
            ("Content-Type", "application/json"),
            ("Cookie", &dispatcher),
        ],
        &jam(2.0, &at).to_string(),
    );
    assert_eq!(no_header.status, 403, "a change without the pages' header");
    for (body, field) in [
        (jam(50.0, &at), "factor"),
        (jam(2.0, "25:00"), "at"),
        (
            json!({"lat": f64::MAX, "lon": 9.5, "radius_m": 100.0, "factor": 2.0, "minutes": 30, "at": at}),
            "jam.centre",
        ),
        (
            json!({"lat": point.lat, "lon": point.lon, "radius_m": -1.0, "factor": 2.0, "minutes": 30, "at": at}),
            "jam.radius_m",
        ),
    ] {
        let (status, text) = post(&addr, &jam_path, &dispatcher, &body);
        assert_eq!(status, 400, "{body}: {text}");
        assert!(text.contains(field), "{field} named in {text}");
    }
    let (status, text) = post(
        &addr,
        &format!("/app/api/stations/{}/breakdown", station.0),
        &dispatcher,
        &json!({"courier": 999_999_999, "at": at}),
    );
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("courier"), "{text}");
    let untouched = rt.block_on(store.day_board(TENANT, day)).unwrap();
    assert_eq!(
        routes(&untouched),
        routes(&board),
        "refused controls change nothing"
    );

    // 3. The dispatcher reports a jam from the form: the re-plan shows without a reload and
    // the store agrees with the page.
    browser.js(
        "document.getElementById('ctl-station').value = String(arguments[0]);",
        json!([station.0]),
    );
    browser.type_into("#jam-lat", &format!("{:.5}", point.lat));
    browser.type_into("#jam-lon", &format!("{:.5}", point.lon));
    browser.type_into("#jam-radius", "1500");
    browser.type_into("#jam-factor", "3");
    browser.js(
        "document.getElementById('jam-at').value = arguments[0];",
        json!([at]),
    );
    browser.js("window.milkrunLoaded = 1;", json!([]));
    browser.click("#jam-submit");
    browser.wait_for(
        "window.milkrunReplans.length === 1 && \
         document.getElementById('message').textContent.includes('Jam reported') && \
         document.getElementById('jam-area')",
        "the jam's re-plan, its message and its area",
    );
    assert_eq!(
        browser.js("return window.milkrunLoaded;", json!([])),
        json!(1),
        "no reload"
    );
    let feed = browser.text("#feed li.replan");
    assert!(feed.contains("Re-plan (jam)"), "{feed}");
    let after_jam = rt.block_on(store.day_board(TENANT, day)).unwrap();
    let page_board = browser.js_async(
        "fetch('/app/api/board').then(r => r.json()).then(arguments[0]);",
        json!([]),
    );
    let page: HashMap<i64, (Option<i64>, Option<u32>)> = page_board["stops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["household"].as_i64().unwrap(),
                (s["courier"].as_i64(), s["seq"].as_u64().map(|x| x as u32)),
            )
        })
        .collect();
    assert_eq!(
        page,
        routes(&after_jam),
        "the page's routes are the store's"
    );
    // Every route on the map is one courier's stops in the store's order.
    let drawn = browser
        .js(
            "return document.querySelectorAll('#map polyline.route').length;",
            json!([]),
        )
        .as_u64()
        .unwrap() as usize;
    let routed: HashSet<i64> = after_jam
        .iter()
        .filter_map(|s| s.courier.map(|c| c.0))
        .collect();
    assert_eq!(
        drawn,
        routed.len(),
        "one route drawn per courier with stops"
    );
    browser.screenshot("station-jam");

    // 4. A breakdown: every pending stop of the courier goes to another courier or to none,
    // with the reason stored; the feed lists each.
    let broken = couriers[0];
    let pending_before: Vec<i64> = after_jam
        .iter()
        .filter(|s| s.courier == Some(broken) && s.status == StopStatus::Pending)
        .map(|s| s.household.0)
        .collect();
    assert!(
        !pending_before.is_empty(),
        "courier {broken:?} has stops left"
    );
    browser.js(
        "document.getElementById('bd-courier').value = String(arguments[0]); \
         document.getElementById('bd-at').value = arguments[1];",
        json!([broken.0, at]),
    );
    browser.click("#bd-submit");
    browser.wait_for(
        "window.milkrunReplans.length === 2 && \
         document.getElementById('message').textContent.includes('Breakdown reported')",
        "the breakdown's re-plan and its message",
    );
    let after = rt.block_on(store.day_board(TENANT, day)).unwrap();
    let by_household: HashMap<i64, &RoundStop> = after.iter().map(|s| (s.household.0, s)).collect();
    let listed: HashSet<i64> = browser
        .js(
            "return [...document.querySelector('#feed li.replan') \
             .querySelectorAll('li[data-household]')].map(li => +li.dataset.household);",
            json!([]),
        )
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    for h in &pending_before {
        let s = by_household[h];
        assert_ne!(
            s.courier,
            Some(broken),
            "household {h} left the broken courier"
        );
        if s.courier.is_none() {
            assert!(
                s.replan_note
                    .as_deref()
                    .unwrap_or("")
                    .contains("broke down"),
                "household {h} without a courier says why: {:?}",
                s.replan_note
            );
        }
        assert!(listed.contains(h), "household {h} in the feed: {listed:?}");
        let stroke = browser.js(
            "const d = document.getElementById('dot-' + arguments[0]); return d && d.getAttribute('stroke');",
            json!([h]),
        );
        assert!(stroke.is_string(), "household {h} still on the map");
    }
    // The alerts count what the store holds.
    let unassigned = after.iter().filter(|s| s.courier.is_none()).count();
    let late = after.iter().filter(|s| s.is_late()).count();
    assert_eq!(browser.text("#alert-unassigned"), unassigned.to_string());
    assert_eq!(browser.text("#alert-late"), late.to_string());
    browser.screenshot("station-breakdown");

    // 5. A courier's report moves his position marker to the door, without a reload.
    let other = couriers[1];
    let next = after
        .iter()
        .filter(|s| s.courier == Some(other) && s.status == StopStatus::Pending)
        .min_by_key(|s| s.seq)
        .expect("the other courier has a stop");
    let token: String = {
        use sqlx::Row;
        rt.block_on(
            sqlx::query(
                "SELECT qr_token FROM households WHERE tenant_id = 1 AND household_id = $1",
            )
            .bind(next.household.0)
            .fetch_one(store.pool()),
        )
        .unwrap()
        .try_get("qr_token")
        .unwrap()
    };
    let other_cookie = cookie_of(&addr, &format!("courier-{}", other.0));
    let (status, body) = post(
        &addr,
        &format!(
            "/app/api/couriers/{}/stops/{}/deliver",
            other.0, next.household.0
        ),
        &other_cookie,
        &json!({"token": token}),
    );
    assert_eq!(status, 200, "{body}");
    browser.wait_for(
        &format!(
            "document.getElementById('pos-{}') && \
             document.getElementById('pos-{}').dataset.household === '{}'",
            other.0, other.0, next.household.0
        ),
        "the courier's position at the door",
    );
    let positions = milkrun_dairy::dispatcher::last_positions(
        &rt.block_on(store.day_board(TENANT, day)).unwrap(),
    );
    assert_eq!(
        positions.iter().find(|p| p.0 == other).map(|p| p.1 .0),
        Some(next.household.0),
        "the store's last report of the courier"
    );

    // A late order (the dispatcher's form): a household of the station that is not on the
    // day's plan joins a route (or is left without a courier, with the reason), on the map
    // and in the store.
    let (late_sub, late_household): (i64, i64) = {
        use sqlx::Row;
        let r = rt
            .block_on(
                sqlx::query(
                    "SELECT s.subscription_id, s.household_id FROM subscriptions s \
                     JOIN households h ON h.tenant_id = s.tenant_id \
                     AND h.household_id = s.household_id \
                     WHERE s.tenant_id = 1 AND h.station_id = $1 AND s.start_date <= $2 \
                     AND NOT EXISTS (SELECT 1 FROM night_stops n WHERE n.tenant_id = 1 \
                     AND n.household_id = s.household_id AND n.delivery_date = $2) \
                     ORDER BY s.subscription_id LIMIT 1",
                )
                .bind(station.0)
                .bind(day.to_string())
                .fetch_one(store.pool()),
            )
            .unwrap();
        (r.try_get(0).unwrap(), r.try_get(1).unwrap())
    };
    // The courier's report above moved the live day's clock to the pages' now: the late
    // order's time left empty is the pages' now too, after the report.
    browser.js(
        "document.getElementById('ctl-station').value = String(arguments[0]); \
         document.getElementById('late-at').value = '';",
        json!([station.0]),
    );
    browser.type_into("#late-subscription", &late_sub.to_string());
    browser.type_into("#late-quantity", "2");
    browser.click("#late-submit");
    browser.wait_for(
        &format!(
            "window.milkrunReplans.length === 3 && document.getElementById('dot-{late_household}')"
        ),
        "the late order's stop on the map",
    );
    let with_late = rt.block_on(store.day_board(TENANT, day)).unwrap();
    let late_stop = with_late
        .iter()
        .find(|s| s.household.0 == late_household)
        .expect("the late order's stop in the store");
    assert!(
        late_stop.courier.is_some() || late_stop.replan_note.is_some(),
        "on a route, or without a courier with the reason: {late_stop:?}"
    );
    assert_eq!(late_stop.orders.iter().map(|o| o.quantity).sum::<u32>(), 2);
    browser.screenshot("station-late-order");
    let after = with_late;

    // The customer rates the delivery: once, 1 to 5 stars, his own household only; the
    // courier who delivered it gets it.
    let rater = cookie_of(&addr, &format!("customer-{}", next.customer.0));
    let rate_path = format!("/app/api/customers/{}/ratings", next.customer.0);
    let rating = |stars: i64| json!({"household": next.household.0, "date": day.to_string(), "stars": stars});
    let (status, text) = post(&addr, &rate_path, &rater, &rating(6));
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("stars"), "{text}");
    let (status, text) = post(&addr, &rate_path, &rater, &rating(4));
    assert_eq!(status, 200, "{text}");
    let (status, text) = post(&addr, &rate_path, &rater, &rating(5));
    assert_eq!(status, 409, "rated once: {text}");
    let stranger = after
        .iter()
        .find(|s| s.customer != next.customer)
        .unwrap()
        .customer;
    let (status, _) = post(
        &addr,
        &format!("/app/api/customers/{}/ratings", stranger.0),
        &cookie_of(&addr, &format!("customer-{}", stranger.0)),
        &rating(1),
    );
    assert_eq!(status, 404, "another customer's household");
    let (status, _) = post(&addr, &rate_path, &other_cookie, &rating(1));
    assert_eq!(status, 403, "a courier rates nothing");
    let ratings = rt
        .block_on(store.courier_ratings(TENANT, other, day, day))
        .unwrap();
    assert_eq!((ratings.count, ratings.average), (1, Some(4.0)));

    // 6. The station filter: one station's stops only.
    browser.go(&format!("{base}/app/station?station={}", station.0));
    browser.wait_for("document.body.dataset.ready", "the filtered page");
    let dots = browser
        .js(
            "return document.querySelectorAll('#map circle.dot').length;",
            json!([]),
        )
        .as_u64()
        .unwrap() as usize;
    let of_station = after.iter().filter(|s| s.station == station).count();
    assert_eq!(dots, of_station, "the station's stops only");
    assert_eq!(
        browser.js(
            "const p = document.getElementById('pos-' + arguments[0]); return p && +p.dataset.household;",
            json!([other.0])
        ),
        json!(next.household.0),
        "the courier's position from the store's reports after a reload"
    );
    assert_eq!(
        browser
            .js(
                "return document.getElementById('station-pick').value;",
                json!([])
            )
            .as_str(),
        Some(station.0.to_string().as_str())
    );
    browser.screenshot("station-filtered");

    // 6b. A dispatcher bound to the station sees, hears and controls it only.
    bound_dispatcher(&browser, &base, &rt, &store, day, station);

    // 7. The manager sees the board without the controls.
    browser.login(&base, "manager", KEY);
    browser.wait_for("location.pathname === '/app/cockpit'", "the cockpit");
    browser.go(&format!("{base}/app/station"));
    browser.wait_for("document.body.dataset.ready", "the manager's board");
    assert_eq!(
        browser.js(
            "return document.getElementById('controls-box').hidden;",
            json!([])
        ),
        json!(true),
        "no controls for the manager"
    );

    // 8. The courier's way to his next stop.
    browser.screen(390, 844, true);
    browser.login(&base, &format!("courier-{}", other.0), KEY);
    browser.wait_for(
        "location.pathname === '/app/courier' && document.body.dataset.ready",
        "the courier page",
    );
    let round = rt
        .block_on(store.courier_round(TENANT, day, other))
        .unwrap();
    let upcoming = round
        .iter()
        .find(|s| s.status == StopStatus::Pending)
        .expect("a stop left");
    let hint = browser.text("#nav-hint");
    assert!(
        hint.contains(&upcoming.address) && hint.contains(" m ") && hint.contains("your last stop"),
        "{hint}"
    );
    let pay = browser.text("#pay-day");
    assert!(
        pay.contains("4.0 ★ (1)"),
        "today's rating on the courier page: {pay}"
    );
    browser.screenshot("courier-hint");
}

/// The pages' clock (`milkrun serve --app-clock-start`): started in the morning, a jam
/// reported now (no time given, as the page sends an empty time) re-plans with every stop
/// still on a route, as the store shows; a courier's report and a late order after it need
/// no time either (the late order is at the pages' now, after the report). A bad start is
/// refused naming the flag, before anything starts. No browser: the controls' API only.
#[test]
fn the_pages_clock_plays_the_morning() {
    for bad in ["25:00", "abc", "05:60", "5:00"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_milkrun"))
            .args(["serve", "--listen", "127.0.0.1:0", "--dev-key", KEY])
            .args(["--db", &crate::serve_support::temp_db("clock-bad")])
            .args(["--app-clock-start", bad])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{bad} refused: {err}");
        assert!(
            err.contains("--app-clock-start") && err.contains(bad),
            "the flag and the value named: {err}"
        );
    }

    let (_, db_text, rt, store, day) = demo_store("clock");
    let board = rt.block_on(store.day_board(TENANT, day)).unwrap();
    assert!(
        board.iter().all(|s| s.courier.is_some()),
        "the demo's plan has every stop on a route"
    );
    let first_eta = board.iter().filter_map(|s| s.arrival_s).min().unwrap();
    // The morning: ten minutes before the first planned arrival (after the shifts start,
    // when the live day opens).
    let start = milkrun_calendar::format_hms((first_eta - 600).max(0));
    let server = start_server(&db_text, &start);
    let addr = server.url().trim_start_matches("http://").to_string();
    let dispatcher = cookie_of(&addr, "dispatcher");

    let now = http(
        &addr,
        "GET",
        "/app/api/board",
        &[("Cookie", dispatcher.as_str())],
        "",
    );
    assert_eq!(now.status, 200, "{}", now.body);
    let now: Value = serde_json::from_str(&now.body).unwrap();
    let shown = now["now"].as_str().unwrap().to_string();
    assert!(
        shown.as_str() >= &start[..5]
            && shown.as_str() < milkrun_calendar::format_hms(first_eta).as_str(),
        "the board's now ({shown}) is the clock's, started at {start}"
    );

    let station = board[0].station;
    let point = board[0].point;
    let (status, body) = post(
        &addr,
        &format!("/app/api/stations/{}/jam", station.0),
        &dispatcher,
        &json!({"lat": point.lat, "lon": point.lon, "radius_m": 500.0, "factor": 1.5,
                "minutes": 30, "at": ""}),
    );
    assert_eq!(status, 200, "{body}");
    let replan: Value = serde_json::from_str(&body).unwrap();
    assert!(
        replan["at"].as_str().unwrap() >= &start[..5],
        "the jam at the clock's now: {replan}"
    );
    let after = rt.block_on(store.day_board(TENANT, day)).unwrap();
    assert_eq!(after.len(), board.len(), "the same stops");
    let unassigned: Vec<i64> = after
        .iter()
        .filter(|s| s.courier.is_none())
        .map(|s| s.household.0)
        .collect();
    assert!(
        unassigned.is_empty(),
        "a morning jam leaves no stop without a courier: {unassigned:?}"
    );
    assert_eq!(
        replan["unassigned"].as_array().map(Vec::len),
        Some(0),
        "the page is told the same: {replan}"
    );

    // A courier's report, then a late order at the pages' now (no time given).
    let next = after
        .iter()
        .filter(|s| s.station == station && s.status == StopStatus::Pending)
        .min_by_key(|s| (s.courier, s.seq))
        .unwrap();
    let courier = next.courier.unwrap();
    let token: String = {
        use sqlx::Row;
        rt.block_on(
            sqlx::query(
                "SELECT qr_token FROM households WHERE tenant_id = 1 AND household_id = $1",
            )
            .bind(next.household.0)
            .fetch_one(store.pool()),
        )
        .unwrap()
        .try_get("qr_token")
        .unwrap()
    };
    let (status, body) = post(
        &addr,
        &format!(
            "/app/api/couriers/{}/stops/{}/deliver",
            courier.0, next.household.0
        ),
        &cookie_of(&addr, &format!("courier-{}", courier.0)),
        &json!({"token": token}),
    );
    assert_eq!(status, 200, "{body}");
    let done = rt
        .block_on(store.day_board(TENANT, day))
        .unwrap()
        .into_iter()
        .find(|s| s.household == next.household)
        .unwrap();
    let done_at = done.done_s().expect("delivered with its time");
    assert!(
        done_at >= first_eta - 600 && done_at < first_eta,
        "delivered at the pages' morning, not the wall clock's: {done_at}"
    );
    let (late_sub, late_household): (i64, i64) = {
        use sqlx::Row;
        let r = rt
            .block_on(
                sqlx::query(
                    "SELECT s.subscription_id, s.household_id FROM subscriptions s \
                     JOIN households h ON h.tenant_id = s.tenant_id \
                     AND h.household_id = s.household_id \
                     WHERE s.tenant_id = 1 AND h.station_id = $1 AND s.start_date <= $2 \
                     AND NOT EXISTS (SELECT 1 FROM night_stops n WHERE n.tenant_id = 1 \
                     AND n.household_id = s.household_id AND n.delivery_date = $2) \
                     ORDER BY s.subscription_id LIMIT 1",
                )
                .bind(station.0)
                .bind(day.to_string())
                .fetch_one(store.pool()),
            )
            .unwrap();
        (r.try_get(0).unwrap(), r.try_get(1).unwrap())
    };
    let (status, body) = post(
        &addr,
        &format!("/app/api/stations/{}/late-order", station.0),
        &dispatcher,
        &json!({"subscription": late_sub, "quantity": 1}),
    );
    assert_eq!(status, 200, "the late order at the pages' now: {body}");
    let with_late = rt.block_on(store.day_board(TENANT, day)).unwrap();
    let late = with_late
        .iter()
        .find(|s| s.household.0 == late_household)
        .expect("the late order's stop in the store");
    assert!(
        late.courier.is_some(),
        "a morning late order rides on a route: {late:?}"
    );
    assert!(
        with_late.iter().all(|s| s.courier.is_some()),
        "still every stop on a route"
    );
    more_bottles_for_a_planned_household(&addr, &dispatcher, &rt, &store, day, station, next);
    customer_takes_a_subscription_offer(&addr, &rt, &store, day);
}

/// A customer takes a subscription offer from his page's API (issue #22's gap; the store's
/// rules are `dairy/tests/dairy/offers.rs`'): the recommendation shows the product, the days,
/// the first day and the price of a delivery with the request that takes it; taken, the
/// subscription is in his calendar from that day; taken again it is the same; refusals are
/// named: a package he subscribes to already (409), an unknown offer, another customer's
/// household (404).
fn customer_takes_a_subscription_offer(
    addr: &str,
    rt: &tokio::runtime::Runtime,
    store: &milkrun_dairy::store::Store,
    day: milkrun_calendar::Date,
) {
    use milkrun_dairy::ids::{CustomerId, PackageId};
    use milkrun_dairy::money::Cents;
    use milkrun_dairy::promotion::Offer;
    use milkrun_dairy::segment::Segment;
    use sqlx::Row;
    let (customer, household, subscribed): (i64, i64, i64) = {
        let r = rt
            .block_on(
                sqlx::query(
                    "SELECT h.customer_id, h.household_id, s.package_id FROM subscriptions s \
                     JOIN households h ON h.tenant_id = s.tenant_id \
                     AND h.household_id = s.household_id WHERE s.tenant_id = 1 \
                     ORDER BY s.subscription_id LIMIT 1",
                )
                .fetch_one(store.pool()),
            )
            .unwrap();
        (
            r.try_get(0).unwrap(),
            r.try_get(1).unwrap(),
            r.try_get(2).unwrap(),
        )
    };
    let own: Vec<PackageId> = rt
        .block_on(store.subscriptions_of_customer(TENANT, CustomerId(customer)))
        .unwrap()
        .iter()
        .map(|s| s.package)
        .collect();
    let other = rt
        .block_on(store.packages(TENANT))
        .unwrap()
        .into_iter()
        .find(|p| !own.contains(&p.id))
        .expect("a package the customer does not subscribe to");
    let promote = |package: PackageId, price| {
        let p = rt
            .block_on(store.create_promotion(
                TENANT,
                Offer::Subscribe {
                    package,
                    price: Cents(price),
                },
                day,
                day.add_days(7),
                Segment::New,
                0,
                9,
            ))
            .unwrap();
        rt.block_on(
            sqlx::query(
                "INSERT INTO promotion_members (tenant_id, promotion_id, customer_id, holdout) \
                 VALUES (1, $1, $2, 0)",
            )
            .bind(p.id.0)
            .bind(customer)
            .execute(store.pool()),
        )
        .unwrap();
        p.id.0
    };
    let fresh = promote(other.id, 1_234);
    let same = promote(PackageId(subscribed), 999);
    let cookie = cookie_of(addr, &format!("customer-{customer}"));
    let get = |path: &str| {
        let a = http(addr, "GET", path, &[("Cookie", cookie.as_str())], "");
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        a.json()
    };
    let recs = get(&format!("/app/api/customers/{customer}/recommendations"));
    let offer = recs["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["promotion"] == json!(fresh))
        .unwrap_or_else(|| panic!("the offer among {recs}"))
        .clone();
    let what = &offer["what"];
    assert_eq!(offer["action"], json!({"take_offer": fresh}), "{offer}");
    assert_eq!(
        (
            &what["offer"],
            &what["package_id"],
            &what["days"],
            &what["price_cents"]
        ),
        (
            &json!("subscribe"),
            &json!(other.id.0),
            &json!("every day"),
            &json!(1_234)
        ),
        "{offer}"
    );
    let deliveries = what["deliveries"].as_u64().unwrap();
    assert!(deliveries >= 1, "{offer}");
    assert_eq!(
        what["per_delivery_cents"].as_u64().unwrap(),
        (2 * 1_234 + deliveries) / (2 * deliveries),
        "{offer}"
    );
    let start = what["start"].as_str().unwrap().to_string();
    let take = |promotion: i64, body: Value| {
        post(
            addr,
            &format!("/app/api/customers/{customer}/offers/{promotion}/take"),
            &cookie,
            &body,
        )
    };
    let (status, body) = take(fresh, json!({}));
    assert_eq!(status, 200, "{body}");
    let taken: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(taken["created"], json!(true), "{taken}");
    assert_eq!(taken["start"], json!(start), "{taken}");
    assert_eq!(taken["household"], json!(household), "{taken}");
    let id = taken["subscription"].as_i64().unwrap();
    let cal = get(&format!(
        "/app/api/customers/{customer}/calendar?month={}",
        &start[..7]
    ));
    assert!(
        cal["subscriptions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == json!(id) && s["start"] == json!(start)),
        "{cal}"
    );
    let days: Vec<&str> = cal["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["subscription"] == json!(id))
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        days.first(),
        Some(&start.as_str()),
        "from the first open day"
    );
    // Again: the same subscription, nothing new.
    let (status, body) = take(fresh, json!({}));
    assert_eq!(status, 200, "{body}");
    let again: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (again["subscription"].as_i64(), &again["created"]),
        (Some(id), &json!(false))
    );
    // Refusals, named.
    let (status, body) = take(same, json!({}));
    assert_eq!(status, 409, "{body}");
    assert!(
        body.contains("offer.package") && body.contains("already"),
        "{body}"
    );
    let (status, body) = take(999_999, json!({}));
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("offer"), "{body}");
    let stranger: i64 = rt
        .block_on(
            sqlx::query(
                "SELECT household_id FROM households WHERE tenant_id = 1 AND customer_id <> $1 \
                 LIMIT 1",
            )
            .bind(customer)
            .fetch_one(store.pool()),
        )
        .unwrap()
        .try_get(0)
        .unwrap();
    let (status, body) = take(fresh, json!({ "household": stranger }));
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("household"), "{body}");
}

/// A late order for a household already on the day's plan (issue #22's gap): its stop in
/// the live day takes the order's units (sent once, as an `add_bottles` event stored with
/// the day) and stays on a route; the same order again (same key) grows nothing twice; a
/// late order for a household delivered already is refused naming it, and stores nothing.
fn more_bottles_for_a_planned_household(
    addr: &str,
    dispatcher: &str,
    rt: &tokio::runtime::Runtime,
    store: &milkrun_dairy::store::Store,
    day: milkrun_calendar::Date,
    station: StationId,
    delivered: &RoundStop,
) {
    let board = rt.block_on(store.day_board(TENANT, day)).unwrap();
    let sub_of = |h: i64| -> i64 {
        use sqlx::Row;
        rt.block_on(
            sqlx::query(
                "SELECT subscription_id FROM subscriptions WHERE tenant_id = 1 \
                 AND household_id = $1 AND start_date <= $2 ORDER BY subscription_id LIMIT 1",
            )
            .bind(h)
            .bind(day.to_string())
            .fetch_one(store.pool()),
        )
        .unwrap()
        .try_get(0)
        .unwrap()
    };
    let units = |stops: &[RoundStop], h: HouseholdId| -> (u32, usize) {
        let s = stops.iter().find(|s| s.household == h).unwrap();
        (s.orders.iter().map(|o| o.quantity).sum(), s.orders.len())
    };
    // The last stop of a route of the station: still pending, not the one a courier heads to.
    let last = board
        .iter()
        .filter(|s| s.station == station && s.status == StopStatus::Pending)
        .filter(|s| s.courier.is_some())
        .max_by_key(|s| (s.seq, s.household))
        .unwrap()
        .clone();
    let (before, orders) = units(&board, last.household);
    let request = json!({"subscription": sub_of(last.household.0), "quantity": 2, "at": "05:01"});
    let path = format!("/app/api/stations/{}/late-order", station.0);
    let (status, body) = post(addr, &path, dispatcher, &request);
    assert_eq!(status, 200, "{body}");
    let reply: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reply["new_stop"], json!(false), "{reply}");
    assert_eq!(reply["quantity"], json!(before + 2), "{reply}");
    let grown = rt.block_on(store.day_board(TENANT, day)).unwrap();
    assert_eq!(units(&grown, last.household), (before + 2, orders + 1));
    let stop = grown
        .iter()
        .find(|s| s.household == last.household)
        .unwrap();
    assert!(
        stop.courier.is_some(),
        "it still rides on a route: {stop:?}"
    );
    let sent = |stored: &milkrun_dairy::store::station_days::StoredStationDay| -> Vec<Value> {
        stored
            .events
            .iter()
            .map(|(e, _)| serde_json::from_str::<Value>(e).unwrap()["event"].clone())
            .filter(|e| e["kind"] == "add_bottles")
            .collect()
    };
    let stored = rt
        .block_on(store.station_day(TENANT, station, day))
        .unwrap()
        .unwrap();
    assert_eq!(sent(&stored).len(), 1, "one event to the live day");
    assert_eq!(sent(&stored)[0]["bottles"], json!(2));
    // The same late order again: the first order back, no more bottles.
    let (status, body) = post(addr, &path, dispatcher, &request);
    assert_eq!(status, 200, "{body}");
    let again: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(again["order"], reply["order"]);
    let board = rt.block_on(store.day_board(TENANT, day)).unwrap();
    assert_eq!(units(&board, last.household), (before + 2, orders + 1));
    let stored = rt
        .block_on(store.station_day(TENANT, station, day))
        .unwrap()
        .unwrap();
    assert_eq!(sent(&stored).len(), 1, "nothing sent twice");
    // A household delivered already: refused naming it; no order stored.
    let was = units(&board, delivered.household);
    let (status, body) = post(
        addr,
        &path,
        dispatcher,
        &json!({"subscription": sub_of(delivered.household.0), "quantity": 1, "at": "05:02"}),
    );
    assert_eq!(status, 409, "{body}");
    assert!(
        body.contains(&format!("household {}", delivered.household.0))
            && body.contains("delivered already"),
        "{body}"
    );
    let board = rt.block_on(store.day_board(TENANT, day)).unwrap();
    assert_eq!(units(&board, delivered.household), was);
}

/// `milkrun serve` on the demo's store with the pages' clock started at `start`.
fn start_server(db: &str, clock: &str) -> crate::serve_support::Server {
    start(&["--db", db, "--dev-key", KEY, "--app-clock-start", clock])
}

/// A household's door code in the demo's store.
fn token_of(rt: &tokio::runtime::Runtime, store: &milkrun_dairy::store::Store, h: i64) -> String {
    use sqlx::Row;
    rt.block_on(
        sqlx::query("SELECT qr_token FROM households WHERE tenant_id = 1 AND household_id = $1")
            .bind(h)
            .fetch_one(store.pool()),
    )
    .unwrap()
    .try_get("qr_token")
    .unwrap()
}

/// The next pending stop of a station's day (by courier and place), with its courier.
fn next_pending(stops: &[RoundStop], station: StationId, same: bool) -> &RoundStop {
    stops
        .iter()
        .filter(|s| (s.station == station) == same && s.status == StopStatus::Pending)
        .filter(|s| s.courier.is_some())
        .min_by_key(|s| (s.courier, s.seq))
        .expect("a pending stop on a route")
}

/// The demo user `dispatcher-<station>`: the board holds its station's stops and marker
/// only, the board of another station and every control on it are refused (403) naming that
/// station, a station that does not exist has no such user, and the page's push stream
/// carries its station's reports only (a report of another station, sent first, never
/// arrives), without the day-wide figures.
fn bound_dispatcher(
    browser: &Browser,
    base: &str,
    rt: &tokio::runtime::Runtime,
    store: &milkrun_dairy::store::Store,
    day: milkrun_calendar::Date,
    station: StationId,
) {
    let addr = base.trim_start_matches("http://").to_string();
    let user = format!("dispatcher-{}", station.0);
    let bound = cookie_of(&addr, &user);
    let now = rt.block_on(store.day_board(TENANT, day)).unwrap();
    let elsewhere = next_pending(&now, station, false).clone();
    let foreign = elsewhere.station;
    let board = http(
        &addr,
        "GET",
        "/app/api/board",
        &[("Cookie", bound.as_str())],
        "",
    );
    assert_eq!(board.status, 200, "{}", board.body);
    let board = board.json();
    let shown: Vec<i64> = board["stops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["station"].as_i64().unwrap())
        .collect();
    let of_station = now.iter().filter(|s| s.station == station).count();
    assert_eq!(shown.len(), of_station, "the station's stops, all of them");
    assert!(shown.iter().all(|s| *s == station.0), "no other station's");
    assert_eq!(
        board["stations"].as_array().map(Vec::len),
        Some(1),
        "{}",
        board["stations"]
    );
    assert_eq!(board["bound"], json!([station.0]));
    let named = |status: u16, text: &str, what: &str| {
        assert_eq!(status, 403, "{what}: {text}");
        assert!(
            text.contains(&format!("station {}", foreign.0)) && text.contains(&user),
            "{what}: the station and the user named: {text}"
        );
    };
    let other = http(
        &addr,
        "GET",
        &format!("/app/api/board?station={}", foreign.0),
        &[("Cookie", bound.as_str())],
        "",
    );
    named(other.status, &other.body, "another station's board");
    for (control, body) in [
        (
            "jam",
            json!({"lat": elsewhere.point.lat, "lon": elsewhere.point.lon,
                       "radius_m": 500.0, "factor": 2.0, "minutes": 30}),
        ),
        (
            "breakdown",
            json!({"courier": elsewhere.courier.unwrap().0}),
        ),
        ("late-order", json!({"subscription": 1, "quantity": 1})),
    ] {
        let (status, text) = post(
            &addr,
            &format!("/app/api/stations/{}/{control}", foreign.0),
            &bound,
            &body,
        );
        named(status, &text, control);
    }
    // Another station's courier: his round, his pay and his way to the next door are 403
    // naming that station (issue #22's gap); his own station's courier answers.
    let own_courier = next_pending(&now, station, true).courier.unwrap();
    for what in ["round", "pay", "directions"] {
        for (courier, mine) in [(elsewhere.courier.unwrap(), false), (own_courier, true)] {
            let r = http(
                &addr,
                "GET",
                &format!("/app/api/couriers/{}/{what}", courier.0),
                &[("Cookie", bound.as_str())],
                "",
            );
            if mine {
                assert_eq!(r.status, 200, "{what} of his own courier: {}", r.body);
            } else {
                named(r.status, &r.body, what);
            }
        }
    }
    let login = http(
        &addr,
        "POST",
        "/app/api/login",
        &[("Content-Type", "application/json"), ("x-milkrun-app", "1")],
        &json!({"user": "dispatcher-999999", "password": KEY}).to_string(),
    );
    assert_eq!(
        login.status, 401,
        "no dispatcher of a station that does not exist"
    );
    assert_eq!(
        rt.block_on(store.day_board(TENANT, day)).unwrap(),
        now,
        "refused controls change nothing"
    );

    browser.login(base, &user, KEY);
    browser.wait_for(
        "location.pathname === '/app/station' && document.body.dataset.ready",
        "the bound dispatcher's page",
    );
    let dots = browser.js(
        "return document.querySelectorAll('#map circle.dot').length;",
        json!([]),
    );
    assert_eq!(dots, json!(of_station), "the station's stops on the map");
    assert_eq!(
        browser.js(
            "return [...document.getElementById('station-pick').options].map((o) => o.value);",
            json!([])
        ),
        json!(["", station.0.to_string()]),
        "the filter offers the station only"
    );
    browser.js(
        "window.heard = []; const s = new EventSource('/app/api/board/events'); \
         s.addEventListener('ready', () => { window.heardReady = true; }); \
         s.addEventListener('stop', (e) => window.heard.push(JSON.parse(e.data)));",
        json!([]),
    );
    browser.wait_for("window.heardReady === true", "the bound page's push stream");
    let own = next_pending(&now, station, true).clone();
    for s in [&elsewhere, &own] {
        let courier = s.courier.unwrap();
        let (status, text) = post(
            &addr,
            &format!(
                "/app/api/couriers/{}/stops/{}/deliver",
                courier.0, s.household.0
            ),
            &cookie_of(&addr, &format!("courier-{}", courier.0)),
            &json!({"token": token_of(rt, store, s.household.0)}),
        );
        assert_eq!(status, 200, "{text}");
    }
    browser.wait_for(
        &format!(
            "window.heard.some((e) => e.stop.household === {})",
            own.household.0
        ),
        "the station's report pushed",
    );
    let heard = browser.js("return window.heard;", json!([]));
    let heard = heard.as_array().unwrap();
    assert!(
        heard
            .iter()
            .all(|e| e["stop"]["station"] == json!(station.0) && e["figures"].is_null()),
        "the station's reports only, without the day's figures: {heard:?}"
    );
    browser.screenshot("station-bound");
}

/// Seconds since midnight as `HH:MM`.
fn hm(s: i64) -> String {
    milkrun_calendar::format_hms(s)[..5].to_string()
}

/// A control before the station's live day opens applies from the opening (the reply says
/// so; a jam over by then is refused naming `minutes`), and a late order then joins the
/// day's plan; the live day survives a restart of `milkrun serve` in the middle of a jam:
/// the same controls on a copy of the store without a restart give the same re-plans (plan
/// version, moves) and the same routes in the store, the jam's end included (the refresh
/// the first control after it sends). No browser: the controls' API only.
#[test]
fn controls_before_the_opening_and_a_restart_mid_jam() {
    let db = crate::app_browser::small_demo("restart");
    let copy = db.with_file_name("reference");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(db.parent().unwrap()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name.starts_with("milkrun.db") {
            std::fs::copy(&path, copy.join(&name)).unwrap();
        }
    }
    let reference = copy.join("milkrun.db");
    let db_text = db.to_str().unwrap().to_string();
    let ref_text = reference.to_str().unwrap().to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let open = |path: &str| {
        rt.block_on(milkrun_dairy::store::Store::open(&format!("sqlite:{path}")))
            .unwrap()
    };
    let store = open(&db_text);
    let day = rt.block_on(store.open_day(TENANT)).unwrap().unwrap();
    let board = rt.block_on(store.day_board(TENANT, day)).unwrap();
    let station = board[0].station;
    let site = rt
        .block_on(store.station_site(TENANT, station))
        .unwrap()
        .expect("the demo's site");
    let opening = site.couriers.iter().map(|c| c.shift_start_s).min().unwrap();
    let mut couriers: Vec<CourierId> = board
        .iter()
        .filter(|s| s.station == station)
        .filter_map(|s| s.courier)
        .collect();
    couriers.sort();
    couriers.dedup();
    let point = board[0].point;
    let (late_sub, late_household): (i64, i64) = {
        use sqlx::Row;
        let r = rt
            .block_on(
                sqlx::query(
                    "SELECT s.subscription_id, s.household_id FROM subscriptions s \
                     JOIN households h ON h.tenant_id = s.tenant_id \
                     AND h.household_id = s.household_id \
                     WHERE s.tenant_id = 1 AND h.station_id = $1 AND s.start_date <= $2 \
                     AND NOT EXISTS (SELECT 1 FROM night_stops n WHERE n.tenant_id = 1 \
                     AND n.household_id = s.household_id AND n.delivery_date = $2) \
                     ORDER BY s.subscription_id LIMIT 1",
                )
                .bind(station.0)
                .bind(day.to_string())
                .fetch_one(store.pool()),
            )
            .unwrap();
        (r.try_get(0).unwrap(), r.try_get(1).unwrap())
    };
    let jam_path = format!("/app/api/stations/{}/jam", station.0);
    // Half an hour before the opening, a jam for an hour: it holds from the opening.
    let early = hm(opening - 1800);
    let jam = json!({"lat": point.lat, "lon": point.lon, "radius_m": 1500.0, "factor": 2.0,
                     "minutes": 60, "at": early});
    let late = json!({"subscription": late_sub, "quantity": 1, "at": hm(opening - 1200)});
    let breakdown = json!({"courier": couriers[0].0, "at": hm(opening + 600)});
    let jam2 = json!({"lat": point.lat, "lon": point.lon, "radius_m": 300.0, "factor": 1.5,
                      "minutes": 20, "at": hm(opening + 2400)});

    // The store restarted in the middle: before, the jam and the late order.
    let server = start_server(&db_text, &early);
    let addr = server.url().trim_start_matches("http://").to_string();
    let dispatcher = cookie_of(&addr, "dispatcher");
    let (status, body) = post(&addr, &jam_path, &dispatcher, &jam);
    assert_eq!(status, 200, "a jam before the opening: {body}");
    let first: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(first["at"], json!(early), "{first}");
    assert_eq!(first["applies_at"], json!(hm(opening)), "{first}");
    assert!(
        first["applies_note"]
            .as_str()
            .unwrap()
            .contains("before the live day opens: applies from the opening")
            && first["detail"]
                .as_str()
                .unwrap()
                .contains("applies from the opening"),
        "the reply and the feed say when it applies: {first}"
    );
    let over = json!({"lat": point.lat, "lon": point.lon, "radius_m": 500.0, "factor": 2.0,
                      "minutes": 10, "at": early});
    let (status, text) = post(&addr, &jam_path, &dispatcher, &over);
    assert_eq!(status, 409, "a jam over before the opening: {text}");
    assert!(
        text.contains("minutes") && text.contains("nothing to re-plan"),
        "{text}"
    );
    let late_path = format!("/app/api/stations/{}/late-order", station.0);
    let (status, text) = post(&addr, &late_path, &dispatcher, &late);
    assert_eq!(status, 200, "a late order before the opening: {text}");
    let placed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(placed["applies_at"], json!(hm(opening)), "{placed}");
    let joined = rt
        .block_on(store.day_board(TENANT, day))
        .unwrap()
        .into_iter()
        .find(|s| s.household.0 == late_household)
        .expect("the late order's stop");
    assert!(
        joined.courier.is_some(),
        "it joins the day's plan: {joined:?}"
    );
    drop(server);
    // After the restart, mid-jam: a breakdown, then a jam after the first one's end.
    let server = start_server(&db_text, &early);
    let addr = server.url().trim_start_matches("http://").to_string();
    let dispatcher = cookie_of(&addr, "dispatcher");
    let bd_path = format!("/app/api/stations/{}/breakdown", station.0);
    let (status, text) = post(&addr, &bd_path, &dispatcher, &breakdown);
    assert_eq!(status, 200, "{text}");
    let restarted_bd: Value = serde_json::from_str(&text).unwrap();
    let (status, text) = post(&addr, &jam_path, &dispatcher, &jam2);
    assert_eq!(status, 200, "{text}");
    let restarted_jam: Value = serde_json::from_str(&text).unwrap();
    drop(server);

    // The reference: the same controls, no restart.
    let server = start_server(&ref_text, &early);
    let addr = server.url().trim_start_matches("http://").to_string();
    let dispatcher = cookie_of(&addr, "dispatcher");
    for (path, body) in [(&jam_path, &jam), (&jam_path, &over), (&late_path, &late)] {
        post(&addr, path, &dispatcher, body);
    }
    let (status, text) = post(&addr, &bd_path, &dispatcher, &breakdown);
    assert_eq!(status, 200, "{text}");
    let reference_bd: Value = serde_json::from_str(&text).unwrap();
    let (status, text) = post(&addr, &jam_path, &dispatcher, &jam2);
    assert_eq!(status, 200, "{text}");
    let reference_jam: Value = serde_json::from_str(&text).unwrap();
    drop(server);
    for (what, a, b) in [
        ("the breakdown", &restarted_bd, &reference_bd),
        (
            "the jam after the first one's end",
            &restarted_jam,
            &reference_jam,
        ),
    ] {
        for field in ["plan_version", "moved", "unassigned", "stops"] {
            assert_eq!(a[field], b[field], "{what}: {field} after a restart");
        }
    }
    assert!(
        restarted_jam["plan_version"].as_u64() > restarted_bd["plan_version"].as_u64(),
        "{restarted_jam}"
    );
    let reference_store = open(&ref_text);
    let ours = rt.block_on(store.day_board(TENANT, day)).unwrap();
    let theirs = rt.block_on(reference_store.day_board(TENANT, day)).unwrap();
    type Place = (i64, Option<i64>, Option<u32>, Option<i64>);
    let plan = |b: &[RoundStop]| -> Vec<Place> {
        b.iter()
            .map(|s| (s.household.0, s.courier.map(|c| c.0), s.seq, s.arrival_s))
            .collect()
    };
    assert_eq!(plan(&ours), plan(&theirs), "the same routes in the store");
}
