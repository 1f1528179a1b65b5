-- The station pages' live days (issue #22: the dispatcher's jam, breakdown and late-order
-- controls on /app/station), kept so that a restart of `milkrun serve` reopens each day as it
-- was: the day as opened on the engine (opening: the service's JSON of the station's stops,
-- couriers and the night's routes), the reported jam's end (jam_until_s, NULL: no jam
-- waiting for its end), and every event sent to the day's engine in order (event: the
-- service's JSON; household_id: the household of a courier's report, which the engine then
-- has; NULL for a dispatcher's incident). Replaying the events on the opening gives the day
-- back, plan version and all.
CREATE TABLE station_live_days (
    tenant_id BIGINT NOT NULL,
    station_id BIGINT NOT NULL,
    delivery_date TEXT NOT NULL,
    opening TEXT NOT NULL,
    jam_until_s BIGINT,
    PRIMARY KEY (tenant_id, station_id, delivery_date),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, station_id)
);

CREATE TABLE station_live_events (
    tenant_id BIGINT NOT NULL,
    station_id BIGINT NOT NULL,
    delivery_date TEXT NOT NULL,
    seq BIGINT NOT NULL,
    event TEXT NOT NULL,
    household_id BIGINT,
    PRIMARY KEY (tenant_id, station_id, delivery_date, seq),
    FOREIGN KEY (tenant_id, station_id, delivery_date)
        REFERENCES station_live_days (tenant_id, station_id, delivery_date)
);
