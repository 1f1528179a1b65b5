-- Operation ids from a counter row per tenant, taken with one atomic upsert
-- (INSERT … ON CONFLICT DO UPDATE … RETURNING, on SQLite and PostgreSQL alike), instead of
-- MAX(operation_id) + 1, which gave two concurrent requests the same id.
CREATE TABLE operation_counters (
    tenant_id BIGINT NOT NULL PRIMARY KEY REFERENCES tenants (tenant_id),
    last_operation_id BIGINT NOT NULL
);

INSERT INTO operation_counters (tenant_id, last_operation_id)
SELECT tenant_id, MAX(operation_id) FROM operations GROUP BY tenant_id;
