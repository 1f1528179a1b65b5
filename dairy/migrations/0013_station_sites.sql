-- Where each station stands and how its live day runs (issue #22): the station's point on
-- the map, the service time at a door and the snap limit of its households; the couriers
-- riding from it with their trike's capacity and their shift. Written when a station is set
-- up (the demo and the sim write them); read by the station's page (the marker on the map)
-- and by the dispatcher's controls, which open the station's live day on the engine.
CREATE TABLE station_sites (
    tenant_id BIGINT NOT NULL,
    station_id BIGINT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    service_s BIGINT NOT NULL,
    max_snap_m DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant_id, station_id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES stations (tenant_id, station_id)
);

CREATE TABLE station_couriers (
    tenant_id BIGINT NOT NULL,
    station_id BIGINT NOT NULL,
    courier_id BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    shift_start_s BIGINT NOT NULL,
    shift_end_s BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, courier_id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES station_sites (tenant_id, station_id),
    FOREIGN KEY (tenant_id, courier_id) REFERENCES couriers (tenant_id, courier_id)
);

-- Why a re-plan of the live day left a stop without a courier (NULL: it has one, or the
-- night's plan left it so).
ALTER TABLE night_stops ADD COLUMN replan_note TEXT;

-- A customer's rating of a delivery (1 to 5 stars), once per household and day, given to
-- the courier who delivered it; the courier page shows the average and the count.
CREATE TABLE delivery_ratings (
    tenant_id BIGINT NOT NULL,
    household_id BIGINT NOT NULL,
    delivery_date TEXT NOT NULL,
    customer_id BIGINT NOT NULL,
    courier_id BIGINT NOT NULL,
    stars BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, household_id, delivery_date),
    FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, household_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id),
    FOREIGN KEY (tenant_id, courier_id) REFERENCES couriers (tenant_id, courier_id)
);
CREATE INDEX delivery_ratings_by_courier ON delivery_ratings (tenant_id, courier_id, delivery_date);
