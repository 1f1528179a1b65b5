-- A dispatcher's late orders (issue #21: "new orders re-plan the routes"): the order it
-- wrote (an extra on the frozen day, with its operation), keyed by the dispatcher's dedupe
-- key so placing it again writes nothing (portable SQL, as 0001).
CREATE TABLE late_orders (
    tenant_id BIGINT NOT NULL,
    dedupe_key TEXT NOT NULL,
    order_id BIGINT NOT NULL,
    placed_date TEXT NOT NULL,
    placed_s BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, dedupe_key),
    UNIQUE (tenant_id, order_id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id)
);
