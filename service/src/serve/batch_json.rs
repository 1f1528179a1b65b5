//! The JSON face of the batch services (Forecast, Customers, Jobs): `POST /v1/<area>:<method>`
//! through [`json::decode_and_answer`](super::json::decode_and_answer), the same path and handler functions as gRPC. Jobs'
//! Watch is a stream: server-sent events at `/v1/jobs:watch` ([`super::sse`]).
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use axum::Router;

use super::json::{json_answer, route_fn};
use super::state::{ServiceState, MAX_REQUEST_BYTES};
use super::{customers, forecast, jobs};

route_fn!(
    json_answer,
    forecast_demand,
    forecast,
    forecast_demand,
    "milkrun.v1.Forecast/ForecastDemand"
);
route_fn!(
    json_answer,
    plan_orders,
    forecast,
    plan_orders,
    "milkrun.v1.Forecast/PlanOrders"
);
route_fn!(
    json_answer,
    check_stock,
    forecast,
    check_stock_call,
    "milkrun.v1.Forecast/CheckStock"
);
route_fn!(
    json_answer,
    analyze,
    customers,
    analyze,
    "milkrun.v1.Customers/Analyze"
);
route_fn!(json_answer, submit, jobs, submit, "milkrun.v1.Jobs/Submit");
route_fn!(json_answer, get, jobs, get, "milkrun.v1.Jobs/Get");
route_fn!(json_answer, cancel, jobs, cancel, "milkrun.v1.Jobs/Cancel");
route_fn!(json_answer, list, jobs, list, "milkrun.v1.Jobs/List");

/// The JSON routes of the batch services (path, method name).
pub const JSON_ROUTES: [(&str, &str); 8] = [
    (
        "/v1/forecast:forecastDemand",
        "milkrun.v1.Forecast/ForecastDemand",
    ),
    ("/v1/forecast:planOrders", "milkrun.v1.Forecast/PlanOrders"),
    ("/v1/forecast:checkStock", "milkrun.v1.Forecast/CheckStock"),
    ("/v1/customers:analyze", "milkrun.v1.Customers/Analyze"),
    ("/v1/jobs:submit", "milkrun.v1.Jobs/Submit"),
    ("/v1/jobs:get", "milkrun.v1.Jobs/Get"),
    ("/v1/jobs:cancel", "milkrun.v1.Jobs/Cancel"),
    ("/v1/jobs:list", "milkrun.v1.Jobs/List"),
];

/// The batch services' JSON router (body limit [`MAX_REQUEST_BYTES`]).
pub fn router(state: Arc<ServiceState>) -> Router {
    Router::new()
        .route("/v1/forecast:forecastDemand", post(forecast_demand))
        .route("/v1/forecast:planOrders", post(plan_orders))
        .route("/v1/forecast:checkStock", post(check_stock))
        .route("/v1/customers:analyze", post(analyze))
        .route("/v1/jobs:submit", post(submit))
        .route("/v1/jobs:get", post(get))
        .route("/v1/jobs:cancel", post(cancel))
        .route("/v1/jobs:list", post(list))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(state)
}
