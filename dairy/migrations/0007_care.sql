-- Customers and the company, and webhooks (issue #21 parts 9 and 10): the tenant's care
-- settings, complaints, webhook endpoints, deliveries and attempts (portable SQL, as 0001).

-- Per-tenant settings of renewal reminders, complaint escalation and complaint-spike alerts.
-- A tenant without a row uses the defaults of `care::CareSettings::DEFAULT`.
CREATE TABLE care_settings (
    tenant_id BIGINT NOT NULL PRIMARY KEY REFERENCES tenants (tenant_id),
    renewal_days_before BIGINT NOT NULL,
    complaint_sla_s BIGINT NOT NULL,
    spike_threshold BIGINT NOT NULL,
    spike_factor_pct BIGINT NOT NULL,
    spike_trailing_days BIGINT NOT NULL
);

-- Complaint ids from a counter row per tenant, as operation ids.
CREATE TABLE complaint_counters (
    tenant_id BIGINT NOT NULL PRIMARY KEY REFERENCES tenants (tenant_id),
    last_complaint_id BIGINT NOT NULL
);

-- A household's complaint, about one of its orders or in general. request_key (from the
-- customer's app) makes a replayed filing the same complaint. state is open, escalated or
-- resolved; times are the tenant's local date and seconds since 1970-01-01 local midnight.
CREATE TABLE complaints (
    tenant_id BIGINT NOT NULL,
    complaint_id BIGINT NOT NULL,
    request_key TEXT NOT NULL,
    household_id BIGINT NOT NULL,
    order_id BIGINT,
    category TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    filed_date TEXT NOT NULL,
    filed_at_s BIGINT NOT NULL,
    escalated_at_s BIGINT,
    resolved_at_s BIGINT,
    PRIMARY KEY (tenant_id, complaint_id),
    UNIQUE (tenant_id, request_key),
    FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, household_id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id)
);
CREATE INDEX complaints_by_state ON complaints (tenant_id, state, filed_at_s);
CREATE INDEX complaints_by_day ON complaints (tenant_id, filed_date);

-- Where a tenant's outbox messages are posted; active is 0 or 1.
CREATE TABLE webhook_endpoints (
    tenant_id BIGINT NOT NULL REFERENCES tenants (tenant_id),
    endpoint_id BIGINT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    active BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, endpoint_id)
);

-- One outbox message to one endpoint. state is pending, delivered or dead; next_attempt_s
-- and delivered_at_s are UNIX seconds.
CREATE TABLE webhook_deliveries (
    tenant_id BIGINT NOT NULL,
    endpoint_id BIGINT NOT NULL,
    dedupe_key TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_s BIGINT NOT NULL,
    delivered_at_s BIGINT,
    PRIMARY KEY (tenant_id, endpoint_id, dedupe_key),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, endpoint_id),
    FOREIGN KEY (tenant_id, dedupe_key) REFERENCES outbox (tenant_id, dedupe_key)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_s);

-- Every attempt at a delivery: the HTTP status, or the transport error (at most 500 bytes).
CREATE TABLE webhook_attempts (
    tenant_id BIGINT NOT NULL,
    endpoint_id BIGINT NOT NULL,
    dedupe_key TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    at_s BIGINT NOT NULL,
    http_status BIGINT,
    error TEXT,
    PRIMARY KEY (tenant_id, endpoint_id, dedupe_key, attempt),
    FOREIGN KEY (tenant_id, endpoint_id, dedupe_key)
        REFERENCES webhook_deliveries (tenant_id, endpoint_id, dedupe_key)
);
