//! # milkrun-dairy
//!
//! The dairy platform of issue #21: the catalogue, customers and households, subscriptions,
//! the delivery calendar, the night freeze into orders, order outcomes and the exception
//! policy, with their store.
//!
//! ## Concepts and modules
//! - [`ids`]: one newtype per kind of row (`TenantId`, `SubscriptionId`, `OrderId`, …).
//! - [`money`]: [`money::Cents`], integer cents with checked arithmetic.
//! - [`catalogue`]: products and packages (product × size × period, single or family pack).
//! - [`household`]: customers and households (address, point, delivery window, QR token).
//! - [`subscription`]: a household's package, start, term (prepaid count or end date),
//!   quantity and weekday pattern.
//! - [`calendar`]: calendar operations (pause, skip, swap, postpone, change quantity, extra),
//!   the tenant's cut-off, and the expansion into the deliveries of any date range.
//! - [`freeze`]: tomorrow's deliveries as orders with deterministic ids, grouped per station.
//! - [`engine`]: the one interface to the engine (snap, matrix, plan a morning, the
//!   morning's live day, demand forecasts), generic; implemented in-process by
//!   `milkrun-station` and over gRPC by the service.
//! - [`night`]: the night's plan: orders to stops, the answer to each household's courier and
//!   promised arrival window, and the outbox messages telling customers.
//! - [`outcome`]: delivered (signed off with the door's QR token), failed with a reason, or
//!   cancelled.
//! - [`exception`]: what a failed delivery becomes under the tenant's policy.
//! - [`tenant`]: a dairy company with its cut-off and exception policy.
//! - [`close`]: close of day: every order delivered, failed (and what became of it) or
//!   cancelled; an order left open is an error.
//! - [`settlement`]: courier pay per drop and per bottle from the tenant's rate table.
//! - [`bottles`]: returnable bottles issued versus collected, per household and courier.
//! - [`outbox`]: messages with a dedupe key ([`dedupe::DedupeKey`]).
//! - [`stock`]: stock per station and lot: lots with expiry, the append-only movement ledger
//!   (received, loaded, delivered, returned, wasted) with checked balances that never go
//!   negative, first-expiry-first-out loading, the movements of an order's outcome, and
//!   low-stock alerts.
//! - [`transfer`]: the cheapest transfers between stations that cover shortages, a linear
//!   program (good_lp) with unmet shortage priced so it is always feasible.
//! - [`station_order`]: tomorrow's order per station and product: calendar demand + a
//!   forecast of extras (the demand models, through the engine interface; Poisson for a short
//!   history) through the perishable ordering policy (`milkrun_forecast::ordering`), net of
//!   usable stock.
//! - [`care`]: a tenant's settings for renewals, complaints and complaint-spike alerts.
//! - [`renewal`]: when a subscription's term ends given its calendar, and its reminder.
//! - [`complaint`]: complaints (open, escalated, resolved) and the tenant's SLA.
//! - [`alert`]: delivery delays and complaint spikes, once per (kind, subject, day).
//! - [`consumption`]: a customer's units per product and week, the trend, days off, failed
//!   deliveries and a plain class (steady, growing, declining, lapsing).
//! - [`segment`]: customer segments by an RFM rule over delivered orders.
//! - [`promotion`]: promotions targeted at a segment, a seeded holdout, the outbox messages
//!   to customers and couriers, and the conversion against the holdout.
//! - [`cube`]: multi-dimensional BI queries (region, station, courier, product, segment,
//!   day) with drill-down.
//! - [`watch`]: the cockpit's watch list (stations late too often, orders of past days
//!   without an outcome, stock drift, complaints open too long).
//! - [`recommend`]: a customer's recommendations (offers told of, terms ending, quantity
//!   from the consumption trend).
//! - [`round`]: a day's rounds as people see them: planned stops with their orders and
//!   outcomes, a stop's status (pending, delivered, failed, made up) and the day's figures.
//! - [`dispatcher`]: the station dispatcher's live day: a station's stops and its site
//!   (point, couriers' shifts) opened on the engine's live day, the couriers' reports as its
//!   events, a jam or a breakdown, and the re-plan read back into the night's stops.
//! - [`webhook`]: endpoints, HMAC-SHA256 signatures, retries with backoff and jitter, dead
//!   letters.
//! - [`store`]: the only module that does I/O: sqlx, migrations embedded, one file per
//!   aggregate.
//!
//! Everything outside [`store`] is pure: no I/O and no clock ("now" is a parameter).
//!
//! ## The store and its backends
//! The store uses `sqlx::Any` (an [`sqlx::AnyPool`]): the backend is chosen at run time from
//! the URL, so SQLite (the embedded default: one file, WAL, foreign keys on) and PostgreSQL
//! go through the same store code and the same migrations (`dairy/migrations/`). That needs
//! SQL both understand, so the queries use `$1`-style placeholders, `BIGINT`, `TEXT` and
//! `DOUBLE PRECISION` columns only (no booleans: flags are `BIGINT` 0/1), dates as ISO
//! `TEXT`, and `INSERT … ON CONFLICT … DO NOTHING` for idempotent writes; nothing
//! SQLite-only appears in a query. A per-backend split (two pools, two sets of query
//! functions) was the alternative; `Any` keeps one copy of every query, at the cost of
//! `Any`'s smaller type set, which the schema above stays inside.
//!
//! Concurrent writers are safe on both: every write that must happen once is guarded by a
//! primary or unique key (`ON CONFLICT`), operation ids come from a per-tenant counter row
//! bumped by one atomic upsert, and on SQLite a writing transaction takes the write lock at
//! its start (`BEGIN IMMEDIATE`); PostgreSQL runs at its default READ COMMITTED. The store
//! tests run every case on both backends (`dairy/tests/support`: a fresh SQLite file, or a
//! fresh database on the server named by `MILKRUN_TEST_POSTGRES_URL`, which `scripts/test`
//! starts; without it the PostgreSQL cases fail rather than skip).
//!
//! Every table's primary key starts with `tenant_id`, and every foreign key is composite
//! `(tenant_id, id)`, so no row can reference another tenant's row.
//!
//! ## The view `v_order_outcomes`
//! For BI and ERP readers, one row per frozen order:
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `tenant_id` | BIGINT | the tenant |
//! | `order_id` | BIGINT | the order's deterministic id |
//! | `delivery_date` | TEXT | `YYYY-MM-DD` |
//! | `station_id` | BIGINT | the station serving the household |
//! | `customer_id` | BIGINT | the paying customer |
//! | `product_id` | BIGINT | the product delivered |
//! | `quantity` | BIGINT | units |
//! | `status` | TEXT | `pending` (no outcome yet), `delivered`, `failed`, `cancelled` |
//! | `courier_id` | BIGINT | the courier who recorded the outcome, NULL if none |
//! | `delivered_at` | TEXT | `YYYY-MM-DD HH:MM:SS` of the delivery, NULL unless delivered |
//!
//! ## Example
//! ```
//! use milkrun_calendar::Date;
//! use milkrun_dairy::calendar::deliveries;
//! use milkrun_dairy::ids::{HouseholdId, PackageId, ProductId, SubscriptionId};
//! use milkrun_dairy::subscription::{Subscription, Term, WeekdayPattern};
//!
//! let start = Date::parse_iso("2028-02-28")?;
//! let sub = Subscription::new(
//!     SubscriptionId(1),
//!     HouseholdId(1),
//!     PackageId(1),
//!     start,
//!     Term::Prepaid(3),
//!     1,
//!     WeekdayPattern::DAILY,
//! )?;
//! let days = deliveries(&sub, ProductId(7), &[], start, start.add_days(10))?;
//! let dates: Vec<String> = days.iter().map(|d| d.date.to_string()).collect();
//! assert_eq!(dates, ["2028-02-28", "2028-02-29", "2028-03-01"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

pub mod alert;
pub mod bottles;
pub mod calendar;
pub mod care;
pub mod catalogue;
pub mod close;
pub mod complaint;
pub mod consumption;
pub mod cube;
pub mod dedupe;
pub mod dispatcher;
pub mod engine;
pub mod error;
pub mod exception;
pub mod freeze;
pub mod household;
pub mod ids;
pub mod late_order;
pub mod money;
pub mod night;
pub mod outbox;
pub mod outcome;
pub mod promotion;
pub mod recommend;
pub mod renewal;
pub mod round;
pub mod segment;
pub mod settlement;
pub mod station_order;
pub mod stock;
pub mod store;
pub mod subscription;
pub mod tenant;
pub mod transfer;
pub mod watch;
pub mod webhook;

pub use error::DairyError;
