//! The pages of `milkrun serve` (`/app/`, issue #22) in a real browser: Debian's headless
//! Chromium driven through WebDriver (`chromedriver`, started here on a free loopback port
//! and stopped by pid), on the store a small `milkrun demo` wrote (its open day: the day
//! after the run, planned, nothing delivered yet). One browser serves every step.
//!
//! What it shows, each against the store: a courier logs in and sees his stops in route
//! order; the page fits 390×844 without horizontal scroll; a wrong door code is refused and
//! records nothing; the right one delivers; another courier's round answers not found; the
//! dispatcher's map shows every stop and, without a reload, each courier report (50 of them
//! timed from the report to the screen: p50 and p99 printed, no timed assertion); the
//! manager reads but cannot report; a change without the pages' header is refused; a forged
//! session is refused with a message, and a session that ends under an open page says so on
//! the next change; a customer sees his month of deliveries, skips a day
//! before the cut-off (the day's manifest then lacks it), is refused after it, and cannot see
//! another customer; the manager's cockpit shows the store's cube and drills down; another
//! dairy tenant's users cannot log in; guessed passwords run into the tenant's rate quota.
//! Screenshots go to `target/screenshots/`.
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use milkrun_dairy::ids::{CourierId, TenantId};
use milkrun_dairy::round::{RoundStop, StopStatus};
use milkrun_dairy::store::Store;
use serde_json::{json, Value};

use crate::serve_support::start;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub(crate) const KEY: &str = "app-test-key";
pub(crate) const TENANT: TenantId = TenantId(1);

/// A plain HTTP/1.1 answer: status, headers (lower-case names), body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`), the body read to the
/// end (chunked bodies decoded).
pub(crate) fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    // Read the head, then the body by its length or its chunks (a server may keep the
    // connection open whatever the request said).
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "{method} {path}: the connection closed before the head"
        );
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let mut rest = raw[head_end + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut more = |rest: &mut Vec<u8>| {
        let n = s.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "{method} {path}: the connection closed inside the body"
        );
        rest.extend_from_slice(&buf[..n]);
    };
    let body: Vec<u8> = if let Some(len) = find("content-length") {
        let len: usize = len.parse().expect("a length");
        while rest.len() < len {
            more(&mut rest);
        }
        rest[..len].to_vec()
    } else if find("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            let line_end = loop {
                if let Some(i) = rest[at..].windows(2).position(|w| w == b"\r\n") {
                    break at + i;
                }
                more(&mut rest);
            };
            let size = String::from_utf8_lossy(&rest[at..line_end]).to_string();
            let n = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            while rest.len() < line_end + 2 + n + 2 {
                more(&mut rest);
            }
            out.extend_from_slice(&rest[line_end + 2..line_end + 2 + n]);
            at = line_end + 2 + n + 2;
        }
        out
    } else {
        let _ = s.read_to_end(&mut rest);
        rest
    };
    let body = String::from_utf8_lossy(&body).to_string();
    Answer {
        status,
        headers,
        body,
    }
}

/// A free loopback port (bound, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver and one Chromium session, both ended by pid on drop.
pub(crate) struct Browser {
    driver: Child,
    addr: String,
    session: String,
    profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let path = format!("/session/{}", self.session);
        let _ = TcpStream::connect(&self.addr).map(|_| http(&self.addr, "DELETE", &path, &[], ""));
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium session.
    pub(crate) fn start() -> Browser {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(tool).is_file(),
                "{tool} is missing: the browser tests need Debian's `chromium` and \
                 `chromium-driver` (scripts/test installs them with apt-get)"
            );
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect(&addr).is_ok()
                && http(&addr, "GET", "/status", &[], "").json()["value"]["ready"] == true
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        // One profile per browser: the module's tests may run side by side in one process.
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let profile =
            std::env::temp_dir().join(format!("milkrun-chromium-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.display())],
            },
        }}});
        let mut b = Browser {
            driver,
            addr,
            session: String::new(),
            profile,
        };
        let r = b.call("POST", "/session", caps);
        b.session = r["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {r}"))
            .to_string();
        b
    }

    /// A WebDriver command; its `value`, or the driver's error.
    pub(crate) fn try_call(&self, method: &str, path: &str, body: Value) -> Result<Value, Value> {
        let path = if path == "/session" {
            path.to_string()
        } else {
            format!("/session/{}{path}", self.session)
        };
        let body = if method == "GET" {
            String::new()
        } else {
            body.to_string()
        };
        let a = http(
            &self.addr,
            method,
            &path,
            &[("Content-Type", "application/json")],
            &body,
        );
        let v = a.json();
        if a.status == 200 {
            Ok(v["value"].clone())
        } else {
            Err(v)
        }
    }

    /// A WebDriver command that must succeed; its `value`.
    pub(crate) fn call(&self, method: &str, path: &str, body: Value) -> Value {
        self.try_call(method, path, body.clone())
            .unwrap_or_else(|e| panic!("WebDriver {method} {path} {body}: {e}"))
    }

    pub(crate) fn go(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url}));
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns its value.
    pub(crate) fn js(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": args}),
        )
    }

    /// Runs an async script (its last argument is the callback).
    pub(crate) fn js_async(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/async",
            json!({"script": script, "args": args}),
        )
    }

    /// Waits until `condition` (a JS expression) is true.
    pub(crate) fn wait_for(&self, condition: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // A page between two loads answers an error: try again.
            let script = json!({"script": format!("return !!({condition});"), "args": []});
            if self.try_call("POST", "/execute/sync", script) == Ok(json!(true)) {
                return;
            }
            if Instant::now() > deadline {
                let text = self.try_call(
                    "POST",
                    "/execute/sync",
                    json!({"script": "return document.body.innerText;", "args": []}),
                );
                panic!("timed out waiting for {what} ({condition}); the page says: {text:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Emulates a screen of `width`×`height` CSS pixels (a phone when `mobile`) through the
    /// DevTools protocol: a headless window is at least 500 pixels wide.
    pub(crate) fn screen(&self, width: u32, height: u32, mobile: bool) {
        self.call(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}}),
        );
    }

    /// Types into the element `selector` (cleared first).
    pub(crate) fn type_into(&self, selector: &str, text: &str) {
        let id = self.element(selector);
        self.call("POST", &format!("/element/{id}/clear"), json!({}));
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            json!({"text": text}),
        );
    }

    pub(crate) fn click(&self, selector: &str) {
        let id = self.element(selector);
        self.call("POST", &format!("/element/{id}/click"), json!({}));
    }

    pub(crate) fn element(&self, selector: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            json!({"using": "css selector", "value": selector}),
        );
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {selector}: {v}"))
            .to_string()
    }

    pub(crate) fn text(&self, selector: &str) -> String {
        self.js(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            json!([selector]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Saves a screenshot as `target/screenshots/NAME.png`.
    pub(crate) fn screenshot(&self, name: &str) {
        use base64::Engine as _;
        let png = self.call("GET", "/screenshot", json!({}));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("base64 PNG"))
            .unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }

    pub(crate) fn login(&self, base: &str, user: &str, password: &str) {
        self.go(&format!("{base}/app/login"));
        self.wait_for("document.getElementById('user')", "the login form");
        self.type_into("#user", user);
        self.type_into("#password", password);
        self.click("#submit");
    }
}

/// The session cookie of a user, logged in over plain HTTP.
pub(crate) fn cookie_of(addr: &str, user: &str) -> String {
    let a = http(
        addr,
        "POST",
        "/app/api/login",
        &[("Content-Type", "application/json"), ("x-milkrun-app", "1")],
        &json!({"user": user, "password": KEY}).to_string(),
    );
    assert_eq!(a.status, 200, "{user}: {}", a.body);
    let set = a.header("set-cookie").expect("a session cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Max-Age="),
        "{set}"
    );
    set.split(';').next().unwrap().to_string()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A small demo of its own ([`small_demo`]) opened: its path and the path as text, a
/// runtime, its store and the open day.
pub(crate) fn demo_store(
    tag: &str,
) -> (
    PathBuf,
    String,
    tokio::runtime::Runtime,
    Store,
    milkrun_calendar::Date,
) {
    let db = small_demo(tag);
    let db_text = db.to_str().unwrap().to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = rt
        .block_on(Store::open(&format!("sqlite:{db_text}")))
        .unwrap();
    let day = rt
        .block_on(store.open_day(TENANT))
        .unwrap()
        .expect("an open day");
    (db, db_text, rt, store, day)
}

/// Runs a small demo in a folder named after `tag` and returns its store's path: one
/// simulated day, then the open day.
pub(crate) fn small_demo(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("milkrun-{tag}-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_milkrun"))
        .args([
            "demo",
            "--days",
            "1",
            "--subscriptions",
            "240",
            "--quiet",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("milkrun.db")
}

fn p(sorted: &[u64], q: f64) -> u64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[test]
fn pages_in_a_real_browser() {
    let (db, db_text, rt, store, day) = demo_store("app");
    let board = rt.block_on(store.day_board(TENANT, day)).unwrap();
    assert!(
        board.iter().all(|s| s.status == StopStatus::Pending),
        "the open day starts with nothing delivered"
    );
    let mut couriers: Vec<CourierId> = board.iter().filter_map(|s| s.courier).collect();
    couriers.sort();
    couriers.dedup();
    assert!(couriers.len() >= 2, "at least two couriers: {couriers:?}");
    let token_of = |h: i64| -> String {
        use sqlx::Row;
        rt.block_on(
            sqlx::query(
                "SELECT qr_token FROM households WHERE tenant_id = 1 AND household_id = $1",
            )
            .bind(h)
            .fetch_one(store.pool()),
        )
        .unwrap()
        .try_get("qr_token")
        .unwrap()
    };

    let server = start(&["--db", &db_text, "--dev-key", KEY]);
    let base = server.url();
    let browser = Browser::start();
    browser.screen(390, 844, true);

    // Nobody logged in: the courier page sends the browser to the login, which says why.
    browser.go(&format!("{base}/app/courier"));
    browser.wait_for(
        "location.pathname === '/app/login'",
        "the redirect to the login",
    );
    browser.wait_for(
        "document.getElementById('message').textContent.includes('not logged in')",
        "why",
    );
    browser.screenshot("login");
    // A wrong password is refused with a message.
    browser.login(&base, "dispatcher", "wrong");
    browser.wait_for(
        "document.getElementById('message').textContent.includes('wrong user name or password')",
        "the refusal",
    );

    // 1. The courier's round, in route order, against the store.
    let c1 = couriers[0];
    let c2 = couriers[1];
    let round: Vec<RoundStop> = rt.block_on(store.courier_round(TENANT, day, c1)).unwrap();
    assert!(round.len() >= 3);
    browser.login(&base, &format!("courier-{}", c1.0), KEY);
    browser.wait_for(
        "location.pathname === '/app/courier' && document.body.dataset.ready",
        "the courier page",
    );
    let shown: Vec<i64> = browser
        .js("return [...document.querySelectorAll('#stops > li')].map(li => +li.dataset.household);", json!([]))
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = round.iter().map(|s| s.household.0).collect();
    assert_eq!(
        shown, expected,
        "the courier's stops in the store's route order"
    );
    let first = &round[0];
    let first_text = browser.text(&format!("#stop-{}", first.household.0));
    assert!(first_text.contains(&first.address), "{first_text}");
    let eta = milkrun_calendar::format_hms(first.arrival_s.unwrap());
    assert!(first_text.contains(&eta[..5]), "ETA {eta} in {first_text}");
    // The phone-sized page has no horizontal scroll.
    let (w, h) = (
        browser.js("return window.innerWidth;", json!([])),
        browser.js("return window.innerHeight;", json!([])),
    );
    let scroll = browser.js("return document.documentElement.scrollWidth;", json!([]));
    assert_eq!((&w, &h), (&json!(390), &json!(844)), "the phone's viewport");
    assert!(
        scroll.as_u64().unwrap() <= 390,
        "scrollWidth {scroll} at {w}×{h}"
    );
    browser.screenshot("courier");

    // A wrong door code is refused and records nothing.
    let h1 = first.household.0;
    browser.type_into(&format!("#code-{h1}"), "not-the-code");
    browser.click(&format!("#stop-{h1} form.deliver button[type=submit]"));
    browser.wait_for(
        "document.getElementById('message').textContent.includes('Not signed off')",
        "the refusal",
    );
    let again = rt
        .block_on(store.round_stop(TENANT, day, c1, first.household))
        .unwrap();
    assert_eq!(
        again.status,
        StopStatus::Pending,
        "a wrong code records nothing"
    );
    // The right one delivers.
    browser.type_into(&format!("#code-{h1}"), &token_of(h1));
    browser.click(&format!("#stop-{h1} form.deliver button[type=submit]"));
    browser.wait_for(
        &format!("document.querySelector('#stop-{h1}.status-delivered')"),
        "the delivered stop",
    );
    let done = rt
        .block_on(store.round_stop(TENANT, day, c1, first.household))
        .unwrap();
    assert_eq!(done.status, StopStatus::Delivered);
    // Empty bottles collected at the delivered door: recorded once for the stop.
    browser.type_into(&format!("#bottles-{h1}"), "2");
    browser.click(&format!("#stop-{h1} form.bottles button[type=submit]"));
    browser.wait_for(
        "document.getElementById('message').textContent.includes('Recorded 2 empty bottles')",
        "the bottles",
    );
    let collected: i64 = {
        use sqlx::Row;
        rt.block_on(
            sqlx::query(
                "SELECT SUM(bottles) AS n FROM bottle_returns WHERE tenant_id = 1 \
                 AND household_id = $1 AND courier_id = $2",
            )
            .bind(h1)
            .bind(c1.0)
            .fetch_one(store.pool()),
        )
        .unwrap()
        .try_get("n")
        .unwrap()
    };
    assert_eq!(collected, 2);
    // A failure with a reason.
    let h2 = round[1].household.0;
    browser.js(
        "document.getElementById('reason-' + arguments[0]).value = 'refused';",
        json!([h2]),
    );
    browser.click(&format!("#stop-{h2} form.fail button[type=submit]"));
    browser.wait_for(
        &format!("document.querySelector('#stop-{h2}.status-failed')"),
        "the failed stop",
    );
    let failed = rt
        .block_on(store.round_stop(TENANT, day, c1, round[1].household))
        .unwrap();
    assert_eq!(failed.status, StopStatus::Failed);
    // Deliveries and pay so far (today, this week, this month), as the store settles them.
    let monday = day.add_days(-(day.weekday() as i32));
    for (row, from) in [("day", day), ("week", monday)] {
        let p = rt
            .block_on(store.courier_pay(TENANT, c1, from, day))
            .unwrap();
        let cents = format!("{}.{:02}", p.pay.0 / 100, p.pay.0 % 100);
        let want = format!("{}{}{}", p.drops, p.bottles, cents);
        browser.wait_for(
            &format!(
                "[...document.querySelectorAll('#pay-{row} td:not(.rating)')].map(t => t.textContent).join('') === '{want}'"
            ),
            &format!("the pay of the {row}: {p:?}"),
        );
    }
    let today = rt
        .block_on(store.courier_pay(TENANT, c1, day, day))
        .unwrap();
    assert_eq!(
        (today.drops, today.bottles),
        (1, first.orders.iter().map(|o| o.quantity).sum())
    );
    browser.click("details.pay summary");
    browser.screenshot("courier-after");

    // Another courier's round and stops answer not found, from the courier's own browser.
    let other = browser.js_async(
        "const done = arguments[arguments.length - 1];
         Promise.all([
           fetch('/app/api/couriers/' + arguments[0] + '/round').then(r => r.status),
           fetch('/app/api/couriers/' + arguments[0] + '/stops/' + arguments[1] + '/deliver',
                 {method: 'POST', headers: {'x-milkrun-app': '1', 'content-type': 'application/json'},
                  body: JSON.stringify({token: 'x'})}).then(r => r.status),
           fetch('/app/api/board').then(r => r.status),
         ]).then(done);",
        json!([c2.0, h1]),
    );
    assert_eq!(
        other,
        json!([404, 404, 403]),
        "another courier's round, his stop, the board"
    );

    // A session that ends while the page is open: the next change says so, with a link to
    // the login, and records nothing.
    browser.call("DELETE", "/cookie/milkrun_app", json!({}));
    let h3 = round[2].household.0;
    browser.type_into(&format!("#code-{h3}"), &token_of(h3));
    browser.click(&format!("#stop-{h3} form.deliver button[type=submit]"));
    browser.wait_for(
        "document.getElementById('message').textContent.includes('not logged in: log in first') \
         && document.querySelector('#message a[href=\"/app/login\"]')",
        "the ended session",
    );
    let untouched = rt
        .block_on(store.round_stop(TENANT, day, c1, round[2].household))
        .unwrap();
    assert_eq!(untouched.status, StopStatus::Pending);

    // 2. The dispatcher's board: every stop on the map, by status, against the store.
    browser.click("#logout");
    browser.wait_for(
        "location.pathname === '/app/login'",
        "the login after logout",
    );
    browser.screen(1280, 900, false);
    browser.login(&base, "dispatcher", KEY);
    browser.wait_for(
        "location.pathname === '/app/station' && document.body.dataset.ready",
        "the station page",
    );
    browser.wait_for(
        "document.getElementById('live').textContent === 'live'",
        "the live feed",
    );
    let board = rt.block_on(store.day_board(TENANT, day)).unwrap();
    let dots = browser.js(
        "return document.querySelectorAll('circle.dot').length;",
        json!([]),
    );
    assert_eq!(
        dots.as_u64().unwrap() as usize,
        board.len(),
        "one dot per stop"
    );
    for (status, n) in [
        ("delivered", 1),
        ("failed", 1),
        ("pending", board.len() - 2),
    ] {
        let shown = browser.js(
            "return document.querySelectorAll('circle.dot[data-status=\"' + arguments[0] + '\"]').length;",
            json!([status]),
        );
        assert_eq!(shown.as_u64().unwrap() as usize, n, "{status} dots");
    }
    assert_eq!(browser.text("#kpi-done"), "2");
    browser.wait_for("document.querySelector('.roads path')", "the roads");

    // 3. Courier reports reach the open board without a reload: 50 of them, timed.
    let marker = browser.js("window.milkrunMarker = 1; return 1;", json!([]));
    assert_eq!(marker, 1);
    let pending: Vec<&RoundStop> = board
        .iter()
        .filter(|s| s.status == StopStatus::Pending && s.courier.is_some())
        .take(50)
        .collect();
    assert_eq!(pending.len(), 50, "50 pending stops for the timing");
    let mut cookies = std::collections::HashMap::new();
    let mut sent = Vec::new();
    for s in &pending {
        let c = s.courier.unwrap();
        let cookie = cookies
            .entry(c)
            .or_insert_with(|| cookie_of(&server.addr, &format!("courier-{}", c.0)))
            .clone();
        let token = token_of(s.household.0);
        let t0 = now_ms();
        let a = http(
            &server.addr,
            "POST",
            &format!("/app/api/couriers/{}/stops/{}/deliver", c.0, s.household.0),
            &[
                ("Content-Type", "application/json"),
                ("x-milkrun-app", "1"),
                ("Cookie", &cookie),
            ],
            &json!({"token": token}).to_string(),
        );
        assert_eq!(a.status, 200, "{}", a.body);
        sent.push((s.household.0, t0));
    }
    browser.wait_for(
        &format!(
            "Object.keys(window.milkrunApplied).length >= {}",
            sent.len()
        ),
        "every report on the board",
    );
    let applied = browser.js("return window.milkrunApplied;", json!([]));
    assert_eq!(
        browser.js("return window.milkrunMarker;", json!([])),
        1,
        "no reload"
    );
    let mut lat: Vec<u64> = sent
        .iter()
        .map(|(h, t0)| applied[h.to_string()].as_u64().unwrap().saturating_sub(*t0))
        .collect();
    lat.sort_unstable();
    eprintln!(
        "report to screen over {} events: p50 {} ms, p99 {} ms, max {} ms",
        lat.len(),
        p(&lat, 0.5),
        p(&lat, 0.99),
        lat[lat.len() - 1]
    );
    // Each reported stop shows delivered (or made up: a make-up of the demo's last day).
    let shown = browser.js(
        "return arguments[0].map(h => document.getElementById('dot-' + h).dataset.status);",
        json!([sent.iter().map(|(h, _)| h).collect::<Vec<_>>()]),
    );
    for (status, (h, _)) in shown.as_array().unwrap().iter().zip(&sent) {
        assert!(
            status == "delivered" || status == "made_up",
            "household {h}: {status}"
        );
    }
    assert_eq!(browser.text("#kpi-done"), "52");
    let stored = rt.block_on(store.day_board(TENANT, day)).unwrap();
    let stored_done = stored
        .iter()
        .filter(|s| s.status != StopStatus::Pending)
        .count();
    assert_eq!(stored_done, 52, "the store agrees with the screen");
    // Each courier's row follows his reports.
    for c in &couriers {
        let own: Vec<&RoundStop> = stored.iter().filter(|s| s.courier == Some(*c)).collect();
        let done = own
            .iter()
            .filter(|s| s.status != StopStatus::Pending)
            .count();
        let row = format!("#courier-{} .n-done", c.0);
        assert_eq!(browser.text(&row), done.to_string(), "courier {c:?} done");
    }
    browser.screenshot("station");

    // 4. The manager reads the board but cannot report; changes need the pages' header; a
    // forged session is refused with words.
    let manager = cookie_of(&server.addr, "manager");
    let a = http(
        &server.addr,
        "GET",
        "/app/api/board",
        &[("Cookie", &manager)],
        "",
    );
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["stops"].as_array().unwrap().len(), board.len());
    let s = pending[0];
    let path = format!(
        "/app/api/couriers/{}/stops/{}/fail",
        s.courier.unwrap().0,
        s.household.0
    );
    let a = http(
        &server.addr,
        "POST",
        &path,
        &[("Cookie", &manager), ("x-milkrun-app", "1")],
        r#"{"reason":"not_home"}"#,
    );
    assert_eq!(a.status, 403, "{}", a.body);
    let courier = cookie_of(&server.addr, &format!("courier-{}", s.courier.unwrap().0));
    let a = http(
        &server.addr,
        "POST",
        &path,
        &[("Cookie", &courier)],
        r#"{"reason":"not_home"}"#,
    );
    assert_eq!(a.status, 403, "no header: {}", a.body);
    assert!(a.body.contains("x-milkrun-app"), "{}", a.body);
    let a = http(
        &server.addr,
        "POST",
        &path,
        &[
            ("Cookie", &courier),
            ("x-milkrun-app", "1"),
            ("Origin", "http://evil.example"),
        ],
        r#"{"reason":"not_home"}"#,
    );
    assert_eq!(a.status, 403, "another origin: {}", a.body);
    let forged = format!("{}x", courier);
    let a = http(
        &server.addr,
        "GET",
        "/app/api/me",
        &[("Cookie", &forged)],
        "",
    );
    assert_eq!(a.status, 401);
    assert!(
        a.json()["error"].as_str().unwrap().contains("log in again"),
        "{}",
        a.body
    );
    let a = http(
        &server.addr,
        "POST",
        &path,
        &[("Cookie", &courier), ("x-milkrun-app", "1")],
        r#"{"reason":"bored"}"#,
    );
    assert_eq!(a.status, 400);
    assert!(a.body.contains("reason"), "{}", a.body);

    // 5. A customer's month: the page shows the store's deliveries; a skip before the
    // cut-off takes the delivery out of that day's manifest; a change after it is refused
    // in the calendar's words; another customer answers not found.
    let skip_day = day.add_days(2);
    let mut pick = None;
    let mut customers: Vec<_> = stored.iter().map(|s| s.customer).collect();
    customers.sort();
    customers.dedup();
    for cu in &customers {
        let subs = rt
            .block_on(store.subscriptions_of_customer(TENANT, *cu))
            .unwrap();
        for sub in subs {
            let d = rt
                .block_on(store.deliveries(TENANT, sub.id, skip_day, skip_day))
                .unwrap();
            if d.iter()
                .any(|d| d.line == milkrun_dairy::calendar::DeliveryLine::Regular)
            {
                pick = Some((*cu, sub.id));
                break;
            }
        }
        if pick.is_some() {
            break;
        }
    }
    let (customer, sub) = pick.expect("a customer with a delivery two days on");
    browser.click("#logout");
    browser.wait_for(
        "location.pathname === '/app/login'",
        "the login after logout",
    );
    browser.screen(390, 844, true);
    browser.login(&base, &format!("customer-{}", customer.0), KEY);
    browser.wait_for(
        "location.pathname === '/app/customer' && document.body.dataset.ready",
        "the customer page",
    );
    browser.js(
        "const s = document.getElementById('subscription'); s.value = String(arguments[0]);
         s.dispatchEvent(new Event('change'));",
        json!([sub.0]),
    );
    // The consumption of the last 8 weeks, as the store analyses it.
    let use_ = rt
        .block_on(store.customer_consumption(TENANT, customer, day.add_days(1 - 7 * 8), day))
        .unwrap();
    let want: Vec<u64> = use_.weeks.iter().map(|w| w.units).collect();
    browser.wait_for(
        &format!(
            "document.querySelectorAll('#use tbody tr').length === {}",
            want.len()
        ),
        "the consumption table",
    );
    let shown_units: Vec<u64> = browser
        .js(
            "return [...document.querySelectorAll('#use tbody tr td')].map(td => +td.textContent);",
            json!([]),
        )
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(shown_units, want, "units per week");
    let shown_month = browser.text("#month");
    assert_eq!(
        shown_month,
        skip_day.to_string()[..7],
        "the month of tomorrow"
    );
    let (y, m, _) = skip_day.ymd();
    let first_of_month = milkrun_calendar::Date::from_ymd(y, m, 1).unwrap();
    let last_of_month = milkrun_calendar::Date::from_ymd(y, m + 1, 1)
        .unwrap()
        .add_days(-1);
    let expected: Vec<String> = rt
        .block_on(store.deliveries(TENANT, sub, first_of_month, last_of_month))
        .unwrap()
        .iter()
        .map(|d| d.date.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let shown = browser.js(
        "return [...document.querySelectorAll('#calendar td.has')].map(td => td.dataset.date);",
        json!([]),
    );
    assert_eq!(
        shown,
        json!(expected),
        "the month's delivery days of the subscription"
    );
    let scroll = browser.js("return document.documentElement.scrollWidth;", json!([]));
    assert!(
        scroll.as_u64().unwrap() <= 390,
        "customer page scrollWidth {scroll}"
    );
    browser.click(&format!("#day-{skip_day} button.skip"));
    browser.wait_for(
        "document.getElementById('message').textContent.includes('Skipped')",
        "the skip",
    );
    browser.wait_for(
        &format!("!document.querySelector('#day-{skip_day}.has')"),
        "the skipped day",
    );
    let left = rt
        .block_on(store.deliveries(TENANT, sub, skip_day, skip_day))
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
    // A pause from the open day (frozen, past its cut-off) is refused where it bites.
    browser.js(
        "document.getElementById('pause-from').value = arguments[0];
         document.getElementById('pause-to').value = arguments[1];",
        json!([day.to_string(), skip_day.to_string()]),
    );
    browser.click("#pause button[type=submit]");
    browser.wait_for(
        "document.getElementById('message').textContent.includes('too late to change')",
        "the cut-off",
    );
    // A complaint, filed and listed with its state, as the store has it.
    browser.js(
        "document.getElementById('complaint-category').value = 'late';",
        json!([]),
    );
    browser.type_into("#complaint-text", "The milk came after eight.");
    browser.click("#complain button[type=submit]");
    browser.wait_for(
        "document.getElementById('message').textContent.includes('complaint is filed')",
        "the complaint",
    );
    let filed: Vec<_> = rt
        .block_on(store.complaints_of_customer(TENANT, customer))
        .unwrap()
        .into_iter()
        .filter(|k| k.text == "The milk came after eight.")
        .collect();
    assert_eq!(filed.len(), 1);
    assert_eq!(filed[0].category.as_str(), "late");
    let shown = browser.js(
        "const li = document.getElementById('complaint-' + arguments[0]); return li ? li.dataset.state : null;",
        json!([filed[0].id.0]),
    );
    assert_eq!(shown, json!(filed[0].state.as_str()));
    browser.js("window.scrollTo(0, 0);", json!([]));
    browser.screenshot("customer");
    let other = customers.iter().find(|c| **c != customer).unwrap();
    let answers = browser.js_async(
        "const done = arguments[arguments.length - 1];
         Promise.all([
           fetch('/app/api/customers/' + arguments[0] + '/calendar').then(r => r.status),
           fetch('/app/api/couriers/' + arguments[1] + '/round').then(r => r.status),
           fetch('/app/api/board').then(r => r.status),
         ]).then(done);",
        json!([other.0, c1.0]),
    );
    assert_eq!(
        answers,
        json!([404, 404, 403]),
        "another customer, a courier, the board"
    );
    // The skipped day's manifest (its freeze) has no order of the skipped subscription.
    let cutoff = rt.block_on(store.cutoff(TENANT)).unwrap();
    rt.block_on(store.freeze_day(TENANT, skip_day, cutoff.deadline(skip_day)))
        .unwrap();
    let manifest = rt.block_on(store.orders_on(TENANT, skip_day)).unwrap();
    assert!(!manifest.is_empty());
    assert!(
        manifest.iter().all(|o| o.subscription != sub),
        "the skipped delivery is not in the manifest"
    );

    // 6. The manager's cockpit: the cube by station, as the store answers it, and a drill
    // down into one station's couriers.
    browser.js("document.getElementById('logout').click();", json!([]));
    browser.wait_for(
        "location.pathname === '/app/login'",
        "the login after logout",
    );
    browser.screen(1280, 900, false);
    browser.login(&base, "manager", KEY);
    browser.wait_for(
        "location.pathname === '/app/cockpit' && document.body.dataset.ready",
        "the cockpit",
    );
    use milkrun_dairy::cube::{CubeFilter, CubeQuery, Dimension};
    let query = |by: Dimension, station: Option<milkrun_dairy::ids::StationId>| {
        let mut filter = CubeFilter::days(day.add_days(-7), day);
        filter.station = station;
        let q = CubeQuery {
            dimensions: vec![by],
            filter,
        };
        rt.block_on(store.cube(TENANT, &q)).unwrap()
    };
    let table = |b: &Browser| -> Vec<u64> {
        b.js(
            "return [...document.querySelectorAll('#cube tbody tr')].map(tr => +tr.children[1].textContent);",
            json!([]),
        )
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
    };
    let by_station = query(Dimension::Station, None);
    let want: Vec<u64> = by_station.iter().map(|r| r.measures.orders).collect();
    assert_eq!(table(&browser), want, "orders by station");
    browser.click("#cube tbody tr button.link");
    browser.wait_for(
        "document.getElementById('key-head').textContent === 'Courier'",
        "the drill down",
    );
    let station = match by_station[0].key[0] {
        milkrun_dairy::cube::DimValue::Station(s) => s,
        ref other => panic!("{other:?}"),
    };
    let by_courier = query(Dimension::Courier, Some(station));
    let want: Vec<u64> = by_courier.iter().map(|r| r.measures.orders).collect();
    assert_eq!(
        table(&browser),
        want,
        "orders by courier of station {station:?}"
    );
    browser.screenshot("cockpit");

    // 7. Another dairy tenant in the same store: its courier and customer cannot log in as
    // the dev tenant's users, and its courier is not found by the dev dispatcher.
    {
        use milkrun_dairy::calendar::CutOff;
        use milkrun_dairy::exception::{Credit, ExceptionPolicy, Remedy};
        use milkrun_dairy::household::Customer;
        use milkrun_dairy::ids::CustomerId;
        use milkrun_dairy::money::Cents;
        use milkrun_dairy::tenant::Tenant;
        let other = TenantId(2);
        let policy = ExceptionPolicy::new(
            None,
            Remedy::MakeUpNextDay,
            Remedy::Credit(Credit::Coupon(Cents(100))),
        )
        .unwrap();
        let tenant = Tenant::new(
            other,
            "Other Dairy",
            CutOff::new(1, 72_000).unwrap(),
            policy,
        );
        rt.block_on(store.add_tenant(&tenant.unwrap())).unwrap();
        rt.block_on(store.add_courier(other, CourierId(9001), "Zed"))
            .unwrap();
        let customer = Customer::new(CustomerId(9001), "Zoe").unwrap();
        rt.block_on(store.add_customer(other, &customer)).unwrap();
    }
    for user in ["courier-9001", "customer-9001"] {
        let a = http(
            &server.addr,
            "POST",
            "/app/api/login",
            &[("Content-Type", "application/json"), ("x-milkrun-app", "1")],
            &json!({"user": user, "password": KEY}).to_string(),
        );
        assert_eq!(a.status, 401, "{user} of another tenant: {}", a.body);
    }
    let dispatcher = cookie_of(&server.addr, "dispatcher");
    let a = http(
        &server.addr,
        "GET",
        "/app/api/couriers/9001/round",
        &[("Cookie", &dispatcher)],
        "",
    );
    assert_eq!(a.status, 404, "another tenant's courier: {}", a.body);
    // Guessing passwords runs into the tenant's rate quota (50 a second, bursts of 100).
    let mut answers = Vec::new();
    for _ in 0..400 {
        let a = http(
            &server.addr,
            "POST",
            "/app/api/login",
            &[("Content-Type", "application/json"), ("x-milkrun-app", "1")],
            &json!({"user": "dispatcher", "password": "guess"}).to_string(),
        );
        answers.push(a.status);
        if a.status == 429 {
            assert!(a.body.contains("slow down"), "{}", a.body);
            break;
        }
    }
    assert_eq!(answers.last(), Some(&429), "{answers:?}");
    assert!(answers[..answers.len() - 1].iter().all(|&s| s == 401));

    rt.block_on(store.close());
    drop(browser);
    drop(server);
    let _ = std::fs::remove_dir_all(db.parent().unwrap());
}
