-- Live-day failover (issue #23): exactly one replica of `milkrun serve` owns each live day,
-- through a lease row per day. owner is the replica's id ('' : nobody), expires_ms the end
-- of the lease in the database's clock (milliseconds since 1970, so replicas' clocks do not
-- matter), epoch the fencing token: it grows by one at every takeover, and every write of the
-- day (an event's log row, its close) checks it in its own transaction, so a replica that
-- lost the day can no longer write to it.
CREATE TABLE live_day_leases (
    tenant TEXT NOT NULL,
    day_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant, day_id),
    FOREIGN KEY (tenant, day_id) REFERENCES live_days (tenant, day_id)
);

-- Days stored before: a free lease at epoch 0, taken by the first replica that asks.
INSERT INTO live_day_leases (tenant, day_id, owner, epoch, expires_ms)
SELECT tenant, day_id, '', 0, 0 FROM live_days;
