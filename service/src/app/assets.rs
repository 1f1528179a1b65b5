//! The pages' static files, embedded in the binary (`assets/`: plain HTML, CSS and
//! JavaScript modules; nothing to build). Every answer carries a content security policy that
//! allows this origin only (no inline script, no other host) and forbids framing.
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// The policy of every page and file: this origin only.
pub const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; \
     connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// (path, content type, body) of every embedded file.
pub const FILES: [(&str, &str, &str); 14] = [
    ("/app/login", HTML, include_str!("assets/login.html")),
    ("/app/courier", HTML, include_str!("assets/courier.html")),
    ("/app/station", HTML, include_str!("assets/station.html")),
    ("/app/customer", HTML, include_str!("assets/customer.html")),
    ("/app/cockpit", HTML, include_str!("assets/cockpit.html")),
    (
        "/app/assets/cockpit.js",
        JS,
        include_str!("assets/cockpit.js"),
    ),
    (
        "/app/assets/customer.js",
        JS,
        include_str!("assets/customer.js"),
    ),
    ("/app/assets/app.css", CSS, include_str!("assets/app.css")),
    (
        "/app/assets/common.js",
        JS,
        include_str!("assets/common.js"),
    ),
    ("/app/assets/login.js", JS, include_str!("assets/login.js")),
    (
        "/app/assets/courier.js",
        JS,
        include_str!("assets/courier.js"),
    ),
    (
        "/app/assets/station.js",
        JS,
        include_str!("assets/station.js"),
    ),
    ("/app/assets/map.js", JS, include_str!("assets/map.js")),
    ("/app/assets/chart.js", JS, include_str!("assets/chart.js")),
];

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// A file's answer.
fn file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::REFERRER_POLICY, "same-origin"),
        ],
        body,
    )
        .into_response()
}

/// The routes of the embedded files, and `/app` and `/app/` to the login.
pub fn router() -> Router {
    let mut r = Router::new()
        .route("/app", get(|| async { Redirect::to("/app/login") }))
        .route("/app/", get(|| async { Redirect::to("/app/login") }));
    for (path, content_type, body) in FILES {
        r = r.route(path, get(move || async move { file(content_type, body) }));
    }
    r
}
