-- Courier pay rates, returnable bottles and the outbox (portable SQL, as 0001).

-- The tenant's courier rate table: pay = drops x per_drop_cents + bottles x per_bottle_cents
-- (either may be 0).
CREATE TABLE courier_rates (
    tenant_id BIGINT NOT NULL PRIMARY KEY REFERENCES tenants (tenant_id),
    per_drop_cents BIGINT NOT NULL,
    per_bottle_cents BIGINT NOT NULL
);

-- Empty bottles collected at a door; event_key (from the courier's device) makes a replayed
-- event insert nothing.
CREATE TABLE bottle_returns (
    tenant_id BIGINT NOT NULL,
    event_key TEXT NOT NULL,
    household_id BIGINT NOT NULL,
    courier_id BIGINT NOT NULL,
    return_date TEXT NOT NULL,
    bottles BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, event_key),
    FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, household_id),
    FOREIGN KEY (tenant_id, courier_id) REFERENCES couriers (tenant_id, courier_id)
);

-- Messages to customers, couriers and webhooks. dedupe_key is unique per tenant, so a
-- message enqueued twice (a replay, a crash re-run) is one row; sent is 0 or 1.
CREATE TABLE outbox (
    tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
    dedupe_key TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    sent BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, dedupe_key)
);
