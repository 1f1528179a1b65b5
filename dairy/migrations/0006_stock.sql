-- Stock per station and lot (issue #21 part 8), portable SQL as 0001.

-- A lot: one product received at one station, with its expiry (the last day it may be
-- delivered). on_hand (at the station) and in_vehicles (loaded, not yet delivered, returned
-- or wasted) are the running balance, updated in the same transaction as every movement;
-- movements counts the movements applied (the lot's version: an update expects it unchanged).
CREATE TABLE stock_lots (
    tenant_id BIGINT NOT NULL,
    lot_id BIGINT NOT NULL,
    station_id BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    received_date TEXT NOT NULL,
    expiry_date TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    on_hand BIGINT NOT NULL,
    in_vehicles BIGINT NOT NULL,
    movements BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, lot_id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, station_id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, product_id)
);
CREATE INDEX stock_lots_by_station ON stock_lots (tenant_id, station_id, product_id, expiry_date);

-- The append-only movement ledger. movement_key is deterministic (the event and the lot,
-- e.g. load:<order>:<lot>), so a replayed event inserts nothing and moves nothing. kind is
-- received, loaded, delivered, returned, wasted_station or wasted_vehicle.
CREATE TABLE stock_movements (
    tenant_id BIGINT NOT NULL,
    movement_key TEXT NOT NULL,
    lot_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    movement_date TEXT NOT NULL,
    order_id BIGINT,
    courier_id BIGINT,
    PRIMARY KEY (tenant_id, movement_key),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES stock_lots (tenant_id, lot_id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id),
    FOREIGN KEY (tenant_id, courier_id) REFERENCES couriers (tenant_id, courier_id)
);
CREATE INDEX stock_movements_by_lot ON stock_movements (tenant_id, lot_id);
CREATE INDEX stock_movements_by_order ON stock_movements (tenant_id, order_id);

-- The tenant's low-stock threshold per product (units usable tomorrow at a station).
CREATE TABLE stock_thresholds (
    tenant_id BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    min_units BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, product_id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, product_id)
);
