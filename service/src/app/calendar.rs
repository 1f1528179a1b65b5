//! The customer's page: a month of deliveries of the customer's subscriptions (the dairy
//! calendar's expansion after its operations), every change a customer may make to it (pause
//! a range, skip a day, swap the product for a day or from a day on, postpone, change the
//! quantity, add an extra) requested through
//! [`milkrun_dairy::store::Store::request_operation`], whose cut-off refusal is answered in
//! its own words (409: from when a change made now applies), the first day still open to
//! changes, the customer's consumption (the store's analysis of the last weeks, per product
//! and week, for the page's chart), the recommendations of
//! [`milkrun_dairy::store::Store::recommendations`], taking a subscription offer of a
//! promotion ([`milkrun_dairy::store::Store::take_subscription_offer`]: its product, days,
//! first day and price per delivery shown with the recommendation), renewing a subscription
//! ([`milkrun_dairy::store::Store::renew_subscription`]) and the complaints. A customer sees
//! only his own calendar: another customer's id, or a subscription that is not his, answers
//! not found. "Now" is the pages' open day at the pages' clock's time of day
//! ([`super::AppClock`]), as for the couriers' reports.
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use milkrun_calendar::{format_hms, Date};
use milkrun_dairy::calendar::{DeliveryLine, OperationKind};
use milkrun_dairy::catalogue::Package;
use milkrun_dairy::complaint::{ComplaintCategory, ComplaintFiling};
use milkrun_dairy::dedupe::DedupeKey;
use milkrun_dairy::ids::{CustomerId, HouseholdId, ProductId, PromotionId, SubscriptionId};
use milkrun_dairy::money::Cents;
use milkrun_dairy::promotion::price_per_delivery;
use milkrun_dairy::promotion::Offer;
use milkrun_dairy::recommend::{QuantityWhy, Recommendation, RECENT_WEEKS};
use milkrun_dairy::renewal::term_end;
use milkrun_dairy::store::offers::term_deliveries;
use milkrun_dairy::subscription::Term;
use serde::Deserialize;
use serde_json::{json, Value};

use super::reply::{body, now_on, open_day, store_error};
use super::{caller, same_origin, AppError, AppState, Caller};
use crate::serve::auth::Role;

/// The customer's routes.
pub fn router(app: Arc<AppState>) -> Router {
    Router::new()
        .route("/app/api/customers/{customer}/calendar", get(calendar))
        .route("/app/api/customers/{customer}/operations", post(operation))
        .route(
            "/app/api/customers/{customer}/consumption",
            get(consumption),
        )
        .route(
            "/app/api/customers/{customer}/complaints",
            get(complaints).post(complain),
        )
        .route(
            "/app/api/customers/{customer}/recommendations",
            get(recommendations),
        )
        .route("/app/api/customers/{customer}/renew", post(renew))
        .route(
            "/app/api/customers/{customer}/offers/{promotion}/take",
            post(take_offer),
        )
        .with_state(app)
}

/// The customer of a path: the session's own (any other answers not found).
fn customer_in_path(c: &Caller, customer: &str) -> Result<CustomerId, AppError> {
    let not_found = || AppError::new(StatusCode::NOT_FOUND, format!("no customer {customer}"));
    match &c.session.role {
        Role::Customer(own) if own.0 == customer => {
            customer.parse().map(CustomerId).map_err(|_| not_found())
        }
        _ => Err(not_found()),
    }
}

/// The prelude of a customer's change: a same-origin call, the session's caller, the
/// customer of the path (the caller's own) and the request's body.
fn customer_change<T: for<'de> Deserialize<'de>>(
    app: &AppState,
    headers: &HeaderMap,
    customer: &str,
    bytes: &[u8],
) -> Result<(Caller, CustomerId, T), AppError> {
    same_origin(headers)?;
    let c = caller(app, headers)?;
    let id = customer_in_path(&c, customer)?;
    let req = body(bytes)?;
    Ok((c, id, req))
}

#[derive(Debug, Deserialize)]
struct MonthQuery {
    /// `YYYY-MM`; default the month of the day after the open day.
    month: Option<String>,
}

/// The first day of a `YYYY-MM` month.
fn month_start(text: &str) -> Result<Date, AppError> {
    let bad = || {
        AppError::new(
            StatusCode::BAD_REQUEST,
            format!("month: `{text}` is not YYYY-MM"),
        )
    };
    if text.len() != 7 {
        return Err(bad());
    }
    Date::parse_iso(&format!("{text}-01")).map_err(|_| bad())
}

/// `GET /app/api/customers/{customer}/calendar?month=YYYY-MM`: the month's deliveries of
/// each of the customer's subscriptions, and the cut-off rule.
async fn calendar(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(customer): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Value>, AppError> {
    let c = caller(&app, &headers)?;
    let id = customer_in_path(&c, &customer)?;
    let day = open_day(&app, c.tenant).await?;
    let first = match q.month.as_deref() {
        Some(m) => month_start(m)?,
        None => {
            let t = day.add_days(1);
            t.add_days(1 - t.ymd().2 as i32)
        }
    };
    let (y, m, _) = first.ymd();
    let last = if m == 12 {
        Date::from_ymd(y + 1, 1, 1)
    } else {
        Date::from_ymd(y, m + 1, 1)
    }
    .map(|d| d.add_days(-1))
    .ok_or_else(|| AppError::new(StatusCode::BAD_REQUEST, "month: out of range"))?;
    let name = app
        .store
        .customer_name(c.tenant, id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, format!("no customer {customer}")))?;
    let products = app
        .store
        .product_names(c.tenant)
        .await
        .map_err(store_error)?;
    let product_name = |p| {
        products
            .iter()
            .find(|(id, _)| *id == p)
            .map_or_else(|| "?".to_string(), |(_, n)| n.clone())
    };
    let subs = app
        .store
        .subscriptions_of_customer(c.tenant, id)
        .await
        .map_err(store_error)?;
    let mut subscriptions = Vec::new();
    let mut deliveries = Vec::new();
    for s in &subs {
        let package = app
            .store
            .package(c.tenant, s.package)
            .await
            .map_err(store_error)?;
        let ops = app
            .store
            .operations(c.tenant, s.id)
            .await
            .map_err(store_error)?;
        let end = term_end(s, package.product, &ops, day)
            .map_err(|e| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        subscriptions.push(json!({
            "id": s.id.0, "household": s.household.0, "product": product_name(package.product),
            "product_id": package.product.0, "quantity": s.quantity,
            "start": s.start.to_string(), "term_end": end.map(|d| d.to_string()),
        }));
        for d in app
            .store
            .deliveries(c.tenant, s.id, first, last)
            .await
            .map_err(store_error)?
        {
            deliveries.push(json!({
                "date": d.date.to_string(),
                "subscription": d.subscription.0,
                "product": product_name(d.product),
                "quantity": d.quantity,
                "line": match d.line {
                    DeliveryLine::Regular => "regular",
                    DeliveryLine::Extra(_) => "extra",
                    DeliveryLine::MakeUp(_) => "make_up",
                },
            }));
        }
    }
    let cutoff = app.store.cutoff(c.tenant).await.map_err(store_error)?;
    let now = now_on(&app.clock, day)?;
    let first_open = cutoff.first_open_date(now);
    Ok(Json(json!({
        "customer": id.0,
        "name": name,
        "month": format!("{y:04}-{m:02}"),
        "first": first.to_string(),
        "last": last.to_string(),
        "today": day.to_string(),
        "now": format_hms(now.second_of_day),
        "cutoff": {"days_before": cutoff.days_before, "at": format_hms(cutoff.at_s)},
        "first_open": first_open.to_string(),
        "products": products.iter().map(|(id, n)| json!({"id": id.0, "name": n})).collect::<Vec<_>>(),
        "subscriptions": subscriptions,
        "deliveries": deliveries,
    })))
}

/// `GET /app/api/customers/{customer}/complaints`: the customer's complaints, newest first.
async fn complaints(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(customer): Path<String>,
) -> Result<Json<Value>, AppError> {
    let c = caller(&app, &headers)?;
    let id = customer_in_path(&c, &customer)?;
    let list = app
        .store
        .complaints_of_customer(c.tenant, id)
        .await
        .map_err(store_error)?;
    let when = |m: milkrun_dairy::calendar::Moment| {
        format!("{} {}", m.date, &format_hms(m.second_of_day)[..5])
    };
    Ok(Json(json!({
        "categories": ComplaintCategory::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "complaints": list.iter().map(|k| json!({
            "id": k.id.0, "household": k.household.0, "category": k.category.as_str(),
            "text": k.text, "state": k.state.as_str(), "filed_at": when(k.filed_at),
            "resolved_at": k.resolved_at.map(when),
        })).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComplaintRequest {
    /// The page's key for this filing (filing again with it gives the same complaint).
    key: String,
    category: String,
    text: String,
}

/// `POST /app/api/customers/{customer}/complaints {key, category, text}`: files a complaint
/// for the customer's household ([`milkrun_dairy::store::Store::file_complaint`]).
async fn complain(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(customer): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let (c, id, req): (_, _, ComplaintRequest) =
        customer_change(&app, &headers, &customer, &bytes)?;
    let household = app
        .store
        .subscriptions_of_customer(c.tenant, id)
        .await
        .map_err(store_error)?
        .first()
        .map(|s| s.household)
        .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "you have no household"))?;
    let category = ComplaintCategory::parse(&req.category)
        .map_err(|e| AppError::new(StatusCode::BAD_REQUEST, format!("category: {e}")))?;
    let filing = DedupeKey::new(&format!("app:{}:{}", id.0, req.key))
        .and_then(|key| ComplaintFiling::new(key, household, None, category, &req.text))
        .map_err(|e| AppError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    let day = open_day(&app, c.tenant).await?;
    let complaint = app
        .store
        .file_complaint(c.tenant, &filing, now_on(&app.clock, day)?)
        .await
        .map_err(store_error)?;
    Ok(Json(json!({"complaint": complaint.0})))
}

/// `GET /app/api/customers/{customer}/consumption`: the customer's units per week and
/// product over the [`RECENT_WEEKS`] weeks up to the open day, the trend and its class
/// ([`milkrun_dairy::store::Store::customer_consumption`]).
async fn consumption(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(customer): Path<String>,
) -> Result<Json<Value>, AppError> {
    let c = caller(&app, &headers)?;
    let id = customer_in_path(&c, &customer)?;
    let day = open_day(&app, c.tenant).await?;
    let from = day.add_days(1 - 7 * RECENT_WEEKS);
    let k = app
        .store
        .customer_consumption(c.tenant, id, from, day)
        .await
        .map_err(store_error)?;
    let products = app
        .store
        .product_names(c.tenant)
        .await
        .map_err(store_error)?;
    let name = |p| {
        products
            .iter()
            .find(|(id, _)| *id == p)
            .map_or_else(|| "?".to_string(), |(_, n)| n.clone())
    };
    let weeks: Vec<Value> = k
        .weeks
        .iter()
        .map(|w| {
            let per: serde_json::Map<String, Value> = w
                .per_product
                .iter()
                .map(|(p, n)| (name(*p), json!(n)))
                .collect();
            json!({"start": w.start.to_string(), "days": w.days, "units": w.units, "per_product": per})
        })
        .collect();
    let mut shown: Vec<String> = k
        .weeks
        .iter()
        .flat_map(|w| w.per_product.keys().map(|p| name(*p)))
        .collect();
    shown.sort();
    shown.dedup();
    Ok(Json(json!({
        "from": from.to_string(),
        "to": day.to_string(),
        "products": shown,
        "weeks": weeks,
        "slope_units_per_week": k.slope_units_per_week,
        "mean_units_per_week": k.mean_units_per_week,
        "delivered": k.delivered,
        "failed": k.failed,
        "cancelled": k.cancelled,
        "days_off": k.days_off,
        "class": k.class.as_str(),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperationRequest {
    subscription: i64,
    /// `skip`, `postpone` (with `date`), `pause` (with `from` and `to`),
    /// `change_quantity` (with `from` and `quantity`), `swap` (with `product` and `date` for
    /// one day, or `from` for every day from it on) or `extra` (with `date`, `product` and
    /// `quantity`).
    kind: String,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    quantity: Option<u32>,
    #[serde(default)]
    product: Option<i64>,
}

/// A date field of the request, named in the error.
fn date_field(value: Option<&String>, field: &str) -> Result<Date, AppError> {
    let text =
        value.ok_or_else(|| AppError::new(StatusCode::BAD_REQUEST, format!("{field}: missing")))?;
    Date::parse_iso(text)
        .map_err(|e| AppError::new(StatusCode::BAD_REQUEST, format!("{field}: {e}")))
}

/// The `quantity` field of a request.
fn quantity_field(q: Option<u32>) -> Result<u32, AppError> {
    q.ok_or_else(|| AppError::new(StatusCode::BAD_REQUEST, "quantity: missing"))
}

/// The `product` field of a request: one of the tenant's products.
async fn product_field(
    app: &AppState,
    tenant: milkrun_dairy::ids::TenantId,
    product: Option<i64>,
) -> Result<ProductId, AppError> {
    let id = product.ok_or_else(|| AppError::new(StatusCode::BAD_REQUEST, "product: missing"))?;
    let known = app
        .store
        .product_names(tenant)
        .await
        .map_err(store_error)?
        .iter()
        .any(|(p, _)| p.0 == id);
    if !known {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            format!("product: no product {id}"),
        ));
    }
    Ok(ProductId(id))
}

/// `POST /app/api/customers/{customer}/operations`: a change to one of the customer's
/// subscriptions; refused after the cut-off in the calendar's words.
async fn operation(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(customer): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let (c, id, req): (_, _, OperationRequest) =
        customer_change(&app, &headers, &customer, &bytes)?;
    let subscription = own_subscription(&app, &c, id, req.subscription).await?;
    let kind = match req.kind.as_str() {
        "skip" => OperationKind::Skip {
            date: date_field(req.date.as_ref(), "date")?,
        },
        "postpone" => OperationKind::Postpone {
            date: date_field(req.date.as_ref(), "date")?,
        },
        "pause" => OperationKind::Pause {
            from: date_field(req.from.as_ref(), "from")?,
            to: date_field(req.to.as_ref(), "to")?,
        },
        "change_quantity" => OperationKind::ChangeQuantity {
            from: date_field(req.from.as_ref(), "from")?,
            quantity: quantity_field(req.quantity)?,
        },
        "swap" => {
            let product = product_field(&app, c.tenant, req.product).await?;
            match (&req.date, &req.from) {
                (Some(_), None) => {
                    let date = date_field(req.date.as_ref(), "date")?;
                    OperationKind::Swap {
                        product,
                        from: date,
                        until: Some(date),
                    }
                }
                (None, Some(_)) => OperationKind::Swap {
                    product,
                    from: date_field(req.from.as_ref(), "from")?,
                    until: None,
                },
                _ => return Err(AppError::new(
                    StatusCode::BAD_REQUEST,
                    "date: a swap takes `date` (that day only) or `from` (every day from it on)",
                )),
            }
        }
        "extra" => OperationKind::Extra {
            date: date_field(req.date.as_ref(), "date")?,
            product: product_field(&app, c.tenant, req.product).await?,
            quantity: quantity_field(req.quantity)?,
        },
        other => {
            return Err(AppError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "kind: `{}` is not skip, postpone, pause, change_quantity, swap or extra",
                    other.chars().take(32).collect::<String>()
                ),
            ))
        }
    };
    let day = open_day(&app, c.tenant).await?;
    let op = app
        .store
        .request_operation(c.tenant, subscription, kind, now_on(&app.clock, day)?)
        .await
        .map_err(store_error)?;
    Ok(Json(json!({"operation": op.id.0, "kind": req.kind})))
}

/// A recommendation as JSON: its kind, the words' figures and the request that takes it
/// (`action`: the body of an operation or a renewal), so the page only shows and sends.
fn recommendation_json(
    r: &Recommendation,
    product_name: &dyn Fn(ProductId) -> String,
    subscribe_offer: &dyn Fn(PromotionId) -> Value,
) -> Value {
    match *r {
        Recommendation::Offer {
            promotion,
            offer,
            from,
            to,
        } => {
            let (what, action) = match offer {
                Offer::Extra {
                    product,
                    free_units,
                } => (
                    json!({"offer": "extra", "product": product_name(product),
                           "product_id": product.0, "free_units": free_units}),
                    json!({"kind": "extra", "date": from.to_string(), "product": product.0,
                           "quantity": free_units.max(1)}),
                ),
                Offer::Subscribe { .. } => (
                    subscribe_offer(promotion),
                    json!({"take_offer": promotion.0}),
                ),
            };
            json!({"kind": "offer", "promotion": promotion.0, "what": what,
                   "from": from.to_string(), "to": to.to_string(), "action": action})
        }
        Recommendation::Renew {
            subscription,
            term_end,
        } => json!({"kind": "renew", "subscription": subscription.0,
                    "term_end": term_end.to_string(),
                    "action": {"renew": subscription.0}}),
        Recommendation::Quantity {
            subscription,
            quantity,
            from,
            why,
        } => json!({"kind": "quantity", "subscription": subscription.0, "quantity": quantity,
                    "from": from.to_string(),
                    "why": match why { QuantityWhy::Growing => "growing", QuantityWhy::Declining => "declining" },
                    "action": {"kind": "change_quantity", "subscription": subscription.0,
                               "from": from.to_string(), "quantity": quantity}}),
    }
}

/// `GET /app/api/customers/{customer}/recommendations`: the dairy's recommendations for the
/// customer ([`milkrun_dairy::recommend`]), each with the request that takes it.
async fn recommendations(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(customer): Path<String>,
) -> Result<Json<Value>, AppError> {
    let c = caller(&app, &headers)?;
    let id = customer_in_path(&c, &customer)?;
    let day = open_day(&app, c.tenant).await?;
    let list = app
        .store
        .recommendations(c.tenant, id, now_on(&app.clock, day)?)
        .await
        .map_err(store_error)?;
    let products = app
        .store
        .product_names(c.tenant)
        .await
        .map_err(store_error)?;
    let name = |p: ProductId| {
        products
            .iter()
            .find(|(id, _)| *id == p)
            .map_or_else(|| "?".to_string(), |(_, n)| n.clone())
    };
    // A subscription offer as the customer takes it: its product, days, first day and price
    // per delivery.
    let now = now_on(&app.clock, day)?;
    let start = app
        .store
        .cutoff(c.tenant)
        .await
        .map_err(store_error)?
        .first_open_date(now);
    let mut subscribe = std::collections::HashMap::new();
    for r in &list {
        if let Recommendation::Offer {
            promotion,
            offer: Offer::Subscribe { package, price },
            ..
        } = *r
        {
            let package = app
                .store
                .package(c.tenant, package)
                .await
                .map_err(store_error)?;
            subscribe.insert(promotion, offer_json(&package, price, start, &name));
        }
    }
    let subscribe_offer = |p: PromotionId| subscribe.get(&p).cloned().unwrap_or(Value::Null);
    Ok(Json(json!({
        "recommendations": list
            .iter()
            .map(|r| recommendation_json(r, &name, &subscribe_offer))
            .collect::<Vec<_>>(),
    })))
}

/// A subscription offer of `package` at `price` taken now, starting on `start`: the product,
/// one unit every day of the package's term, the term's deliveries and the price of one.
fn offer_json(
    package: &Package,
    price: Cents,
    start: Date,
    product_name: &dyn Fn(ProductId) -> String,
) -> Value {
    let term = Term::from_period(start, package.period).ok();
    let deliveries = term.map(|t| term_deliveries(start, t));
    json!({
        "offer": "subscribe", "package_id": package.id.0,
        "product": product_name(package.product), "product_id": package.product.0,
        "size_ml": package.size_ml, "quantity": 1, "days": "every day",
        "start": start.to_string(),
        "last": term.and_then(|t| match t { Term::Until(d) => Some(d.to_string()), Term::Prepaid(_) => None }),
        "deliveries": deliveries,
        "price_cents": price.0,
        "per_delivery_cents": deliveries.and_then(|n| price_per_delivery(price, n)).map(|c| c.0),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TakeOfferRequest {
    /// The household delivered to; absent: the customer's first.
    #[serde(default)]
    household: Option<i64>,
}

/// `POST /app/api/customers/{customer}/offers/{promotion}/take {household}`: the customer
/// takes a subscription offer he was told of
/// ([`milkrun_dairy::store::Store::take_subscription_offer`]): a subscription from the first
/// open day at the promoted price, in his calendar from then on. Taking it again answers the
/// first subscription; refusals are named: an offer that is not his, another tenant's or
/// unknown (404), a household subscribed to the package already or an extra's offer (409).
async fn take_offer(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((customer, promotion)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let (c, id, req): (_, _, TakeOfferRequest) =
        customer_change(&app, &headers, &customer, &bytes)?;
    let promotion = promotion.parse::<i64>().map(PromotionId).map_err(|_| {
        AppError::new(
            StatusCode::NOT_FOUND,
            format!("promotion: no offer {promotion}"),
        )
    })?;
    let households = app
        .store
        .subscriptions_of_customer(c.tenant, id)
        .await
        .map_err(store_error)?;
    let household = match req.household {
        Some(h) => HouseholdId(h),
        None => households
            .iter()
            .map(|s| s.household)
            .min()
            .ok_or_else(|| {
                AppError::new(
                    StatusCode::BAD_REQUEST,
                    "household: you have no household with a subscription; name one",
                )
            })?,
    };
    let day = open_day(&app, c.tenant).await?;
    let taken = app
        .store
        .take_subscription_offer(c.tenant, id, promotion, household, now_on(&app.clock, day)?)
        .await
        .map_err(|e| match e {
            milkrun_dairy::store::StoreError::NotFound { what, id, .. } => AppError::new(
                StatusCode::NOT_FOUND,
                format!("{what}: no {what} {id} of yours"),
            ),
            other => store_error(other),
        })?;
    let s = &taken.subscription;
    Ok(Json(json!({
        "subscription": s.id.0,
        "household": s.household.0,
        "start": s.start.to_string(),
        "price_cents": taken.price.0,
        "deliveries": taken.deliveries,
        "per_delivery_cents": taken.per_delivery.map(|c| c.0),
        "created": taken.created,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RenewRequest {
    subscription: i64,
}

/// `POST /app/api/customers/{customer}/renew {subscription}`: renews one of the customer's
/// subscriptions ([`milkrun_dairy::store::Store::renew_subscription`]); renewing the same
/// term again answers the subscription made the first time.
async fn renew(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(customer): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let (c, id, req): (_, _, RenewRequest) = customer_change(&app, &headers, &customer, &bytes)?;
    let subscription = own_subscription(&app, &c, id, req.subscription).await?;
    let day = open_day(&app, c.tenant).await?;
    let (next, created) = app
        .store
        .renew_subscription(c.tenant, subscription, now_on(&app.clock, day)?)
        .await
        .map_err(store_error)?;
    Ok(Json(json!({
        "subscription": next.id.0,
        "start": next.start.to_string(),
        "created": created,
    })))
}

/// One of the customer's own subscriptions (any other id answers not found).
async fn own_subscription(
    app: &AppState,
    c: &Caller,
    customer: CustomerId,
    subscription: i64,
) -> Result<SubscriptionId, AppError> {
    let own = app
        .store
        .subscriptions_of_customer(c.tenant, customer)
        .await
        .map_err(store_error)?;
    own.iter()
        .map(|s| s.id)
        .find(|s| s.0 == subscription)
        .ok_or_else(|| {
            AppError::new(
                StatusCode::NOT_FOUND,
                format!("subscription: no subscription {subscription} of yours"),
            )
        })
}
