-- The live days' travel matrices and snapshots leave the day's row, so that an event's
-- commit writes its log row and a small UPDATE of the day only (issue #20: the row held two
-- JSON snapshots with the whole matrix, and SQLite rewrote it at every event).
--
-- One row per matrix a day had: number 1 at open, one more at each change (traffic, a new
-- address); seq is the event that brought it (0: the open). cells is the matrix in the
-- dispatch crate's binary form (MatrixState::to_bytes), opaque here.
CREATE TABLE live_day_matrices (
    tenant TEXT NOT NULL,
    day_id TEXT NOT NULL,
    matrix_no BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    cells BYTEA NOT NULL,
    PRIMARY KEY (tenant, day_id, matrix_no),
    FOREIGN KEY (tenant, day_id) REFERENCES live_days (tenant, day_id)
);

-- A day's newest snapshot (the store keeps only that one): the state after the event
-- numbered seq (0: the day as opened), at plan_version, without its matrix (JSON), which is
-- matrix number matrix_no of the day. matrix_no 0: a snapshot stored before this migration,
-- whose JSON still carries its matrix (the service moves it out when it restores the day).
CREATE TABLE live_day_snapshots (
    tenant TEXT NOT NULL,
    day_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    plan_version BIGINT NOT NULL,
    matrix_no BIGINT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (tenant, day_id, seq),
    FOREIGN KEY (tenant, day_id) REFERENCES live_days (tenant, day_id)
);

INSERT INTO live_day_snapshots (tenant, day_id, seq, plan_version, matrix_no, state)
SELECT tenant, day_id, snapshot_seq, snapshot_version, 0, snapshot FROM live_days;

-- The day's row keeps its small columns: status, plan_version and snapshot_seq (the seq of
-- its newest snapshot).
ALTER TABLE live_days DROP COLUMN opening_snapshot;
ALTER TABLE live_days DROP COLUMN snapshot;
ALTER TABLE live_days DROP COLUMN snapshot_version;
