-- milkrun-dairy schema, portable between SQLite and PostgreSQL: BIGINT, TEXT and DOUBLE
-- PRECISION columns only, dates as ISO TEXT (YYYY-MM-DD), times as seconds since midnight.
-- Every primary key starts with tenant_id and every foreign key is (tenant_id, id), so no
-- row can reference another tenant's row.

CREATE TABLE tenants (
    tenant_id BIGINT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    cutoff_days_before BIGINT NOT NULL,
    cutoff_at_s BIGINT NOT NULL,
    retry_before_s BIGINT,
    remedy_otherwise TEXT NOT NULL,
    remedy_otherwise_amount BIGINT NOT NULL,
    remedy_refused TEXT NOT NULL,
    remedy_refused_amount BIGINT NOT NULL
);

CREATE TABLE stations (
    tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
    station_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (tenant_id, station_id)
);

CREATE TABLE couriers (
    tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
    courier_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (tenant_id, courier_id)
);

CREATE TABLE products (
    tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
    product_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (tenant_id, product_id)
);

CREATE TABLE packages (
    tenant_id BIGINT NOT NULL,
    package_id BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    size_ml BIGINT NOT NULL,
    period TEXT NOT NULL,
    period_deliveries BIGINT,
    pack_units BIGINT NOT NULL,
    price_cents BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, package_id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, product_id)
);

CREATE TABLE customers (
    tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
    customer_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
);

CREATE TABLE households (
    tenant_id BIGINT NOT NULL,
    household_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    station_id BIGINT NOT NULL,
    address TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    window_start_s BIGINT NOT NULL,
    window_end_s BIGINT NOT NULL,
    qr_token TEXT NOT NULL,
    PRIMARY KEY (tenant_id, household_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, station_id)
);

CREATE TABLE subscriptions (
    tenant_id BIGINT NOT NULL,
    subscription_id BIGINT NOT NULL,
    household_id BIGINT NOT NULL,
    package_id BIGINT NOT NULL,
    start_date TEXT NOT NULL,
    prepaid BIGINT,
    end_date TEXT,
    quantity BIGINT NOT NULL,
    weekdays BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, subscription_id),
    FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, household_id),
    FOREIGN KEY (tenant_id, package_id) REFERENCES packages (tenant_id, package_id)
);

-- Calendar operations; kind is pause, skip, swap, postpone, change_quantity, extra, make_up
-- or extension. Operations apply in operation_id order.
CREATE TABLE operations (
    tenant_id BIGINT NOT NULL,
    operation_id BIGINT NOT NULL,
    subscription_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    date_from TEXT,
    date_to TEXT,
    product_id BIGINT,
    quantity BIGINT,
    PRIMARY KEY (tenant_id, operation_id),
    FOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, subscription_id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, product_id)
);
CREATE INDEX operations_by_subscription ON operations (tenant_id, subscription_id);

-- Frozen orders. order_id is derived from (tenant, subscription, date, line), so the natural
-- key and the id agree and a re-run freeze inserts nothing new.
CREATE TABLE orders (
    tenant_id BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    subscription_id BIGINT NOT NULL,
    household_id BIGINT NOT NULL,
    station_id BIGINT NOT NULL,
    delivery_date TEXT NOT NULL,
    line BIGINT NOT NULL,
    line_kind TEXT NOT NULL,
    product_id BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, order_id),
    UNIQUE (tenant_id, subscription_id, delivery_date, line),
    FOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, subscription_id),
    FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, household_id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, station_id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, product_id)
);
CREATE INDEX orders_by_date ON orders (tenant_id, delivery_date, station_id);

-- The first accepted outcome of an order; a replay inserts nothing.
CREATE TABLE order_outcomes (
    tenant_id BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    courier_id BIGINT,
    outcome_date TEXT NOT NULL,
    outcome_s BIGINT NOT NULL,
    outcome_hms TEXT NOT NULL,
    PRIMARY KEY (tenant_id, order_id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id),
    FOREIGN KEY (tenant_id, courier_id) REFERENCES couriers (tenant_id, courier_id)
);

-- What each failed order became, at most one row per failed order (exactly once).
-- remedy is same_day_retry, make_up, extension, coupon or points.
CREATE TABLE remedies (
    tenant_id BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    remedy TEXT NOT NULL,
    operation_id BIGINT,
    retry_order_id BIGINT,
    amount BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, order_id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id),
    FOREIGN KEY (tenant_id, operation_id) REFERENCES operations (tenant_id, operation_id),
    FOREIGN KEY (tenant_id, retry_order_id) REFERENCES orders (tenant_id, order_id)
);

-- For BI and ERP readers: one row per frozen order (documented in the crate doc).
CREATE VIEW v_order_outcomes AS
SELECT
    o.tenant_id AS tenant_id,
    o.order_id AS order_id,
    o.delivery_date AS delivery_date,
    o.station_id AS station_id,
    h.customer_id AS customer_id,
    o.product_id AS product_id,
    o.quantity AS quantity,
    COALESCE(r.status, 'pending') AS status,
    r.courier_id AS courier_id,
    CASE WHEN r.status = 'delivered' THEN r.outcome_date || ' ' || r.outcome_hms END AS delivered_at
FROM orders o
JOIN households h ON h.tenant_id = o.tenant_id AND h.household_id = o.household_id
LEFT JOIN order_outcomes r ON r.tenant_id = o.tenant_id AND r.order_id = o.order_id;
