-- The night's plan per station and day (portable SQL, as 0001): the routes and each
-- household's promised arrival window. One plan per (tenant, day, station): a re-run of the
-- night finds it and changes nothing.
CREATE TABLE night_plans (
    tenant_id BIGINT NOT NULL,
    delivery_date TEXT NOT NULL,
    station_id BIGINT NOT NULL,
    dist_m BIGINT NOT NULL,
    travel_s BIGINT NOT NULL,
    stable BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, delivery_date, station_id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, station_id)
);

-- One row per household with an order that day. courier_id, seq, arrival_s and the promise
-- are NULL when no courier can serve it. seq is the 0-based place in the courier's route.
CREATE TABLE night_stops (
    tenant_id BIGINT NOT NULL,
    delivery_date TEXT NOT NULL,
    station_id BIGINT NOT NULL,
    household_id BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    courier_id BIGINT,
    seq BIGINT,
    arrival_s BIGINT,
    promise_start_s BIGINT,
    promise_end_s BIGINT,
    PRIMARY KEY (tenant_id, delivery_date, household_id),
    FOREIGN KEY (tenant_id, delivery_date, station_id)
        REFERENCES night_plans (tenant_id, delivery_date, station_id),
    FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, household_id),
    FOREIGN KEY (tenant_id, courier_id) REFERENCES couriers (tenant_id, courier_id)
);
CREATE INDEX night_stops_by_station ON night_stops (tenant_id, station_id, delivery_date);
