-- Customers and the company, the analysis side (issue #21 part 9): stations' regions, the
-- customers' RFM segments, promotions targeted at a segment with their targets and holdout
-- (portable SQL, as 0001).

-- The region a station belongs to, for BI; a station without a row has no region.
CREATE TABLE station_regions (
    tenant_id BIGINT NOT NULL,
    station_id BIGINT NOT NULL,
    region TEXT NOT NULL,
    PRIMARY KEY (tenant_id, station_id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, station_id)
);

-- Each customer's segment as of the last assignment (one snapshot per tenant, replaced
-- whole): segment is loyal, new, occasional, at_risk or lapsed (segment::Segment); the RFM
-- values it was computed from: weeks since the last delivery, delivery days in the window,
-- units per delivery day (x1000, integer).
CREATE TABLE customer_segments (
    tenant_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    segment TEXT NOT NULL,
    as_of TEXT NOT NULL,
    days_since_last BIGINT NOT NULL,
    delivery_days BIGINT NOT NULL,
    milli_units_per_day BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, customer_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id)
);
CREATE INDEX customer_segments_by_segment ON customer_segments (tenant_id, segment);

-- A promotion: offer_kind is subscribe (package_id at price_cents) or extra (product_id as
-- an extra delivery, free_units of it free); valid_from..=valid_to; targeted at segment, of
-- which holdout_pct percent (chosen by seed) is a control group that is not told.
CREATE TABLE promotions (
    tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
    promotion_id BIGINT NOT NULL,
    offer_kind TEXT NOT NULL,
    package_id BIGINT,
    product_id BIGINT,
    price_cents BIGINT,
    free_units BIGINT,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    segment TEXT NOT NULL,
    holdout_pct BIGINT NOT NULL,
    seed BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, promotion_id),
    FOREIGN KEY (tenant_id, package_id) REFERENCES packages (tenant_id, package_id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, product_id)
);

-- The segment's members when the promotion was first pushed, fixed from then on; holdout
-- is 1 for the control group (not told), 0 for the targeted customers.
CREATE TABLE promotion_members (
    tenant_id BIGINT NOT NULL,
    promotion_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    holdout BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, promotion_id, customer_id),
    FOREIGN KEY (tenant_id, promotion_id) REFERENCES promotions (tenant_id, promotion_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id)
);
