-- The service's batch jobs (milkrun serve, Jobs): one row per job, keyed by the service's
-- tenant id (text, from its tenants file) and the job's number. request_id is the client's
-- idempotency key ('' for none), unique per tenant when given; digest is the SHA-256 (hex) of
-- the work that request id names. request and result are protobuf bytes, hex-encoded (a
-- SubmitJobRequest; a Job holding only its result). state is one of queued, running,
-- succeeded, failed, cancelled; times are milliseconds since 1970-01-01 UTC (0: not yet).
CREATE TABLE service_jobs (
    tenant TEXT NOT NULL,
    job_seq BIGINT NOT NULL,
    request_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    kind TEXT NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    cancel_requested BIGINT NOT NULL,
    progress_done BIGINT NOT NULL,
    progress_total BIGINT NOT NULL,
    result TEXT,
    error_code TEXT,
    error_message TEXT,
    submitted_ms BIGINT NOT NULL,
    started_ms BIGINT NOT NULL,
    finished_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant, job_seq)
);

-- A request id names one job of its tenant.
CREATE UNIQUE INDEX service_jobs_request ON service_jobs (tenant, request_id)
    WHERE request_id <> '';
