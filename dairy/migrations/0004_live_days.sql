-- The service's live days (milkrun serve, Dispatch): one row per day and an append-only log
-- of the events it accepted. Keyed by the service's tenant id (text, from its tenants file).
-- snapshot is the newest state of the day (JSON), taken after the event numbered
-- snapshot_seq (0: the day as opened, opening_snapshot); the events after it are re-applied
-- on a restart. status is 'open' or 'closed'.
CREATE TABLE live_days (
    tenant TEXT NOT NULL,
    day_id TEXT NOT NULL,
    status TEXT NOT NULL,
    plan_version BIGINT NOT NULL,
    opening_snapshot TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    snapshot_seq BIGINT NOT NULL,
    snapshot_version BIGINT NOT NULL,
    PRIMARY KEY (tenant, day_id)
);

-- One row per accepted event, written before the event is acknowledged; event_id (from the
-- client) is unique per day, so a replayed event is never logged twice.
CREATE TABLE live_day_events (
    tenant TEXT NOT NULL,
    day_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    event TEXT NOT NULL,
    plan_version BIGINT NOT NULL,
    PRIMARY KEY (tenant, day_id, seq),
    UNIQUE (tenant, day_id, event_id),
    FOREIGN KEY (tenant, day_id) REFERENCES live_days (tenant, day_id)
);
