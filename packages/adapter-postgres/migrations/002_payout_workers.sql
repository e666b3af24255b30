-- Several workers on one PostgreSQL server (SPEC 10.3): which API key a queued run is
-- worked with (a hash of it, never the key), its latest pg-boss job and the worker that
-- holds it; every claim a worker took, to see who worked a run when; and one rate-limit
-- slot row per API key hash, shared by every worker of that key.

CREATE TABLE payout_queue (
  run_id       text PRIMARY KEY REFERENCES payout_runs (run_id) ON DELETE CASCADE,
  key_hash     text NOT NULL,
  queue        text NOT NULL,
  job_id       text,
  -- The claim being worked now, by which worker, since when (null between claims).
  claim        text,
  claimed_by   text,
  claimed_at   timestamptz,
  submitted_at timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);

CREATE TABLE payout_claims (
  claim      text PRIMARY KEY,
  run_id     text NOT NULL REFERENCES payout_runs (run_id) ON DELETE CASCADE,
  job_id     text NOT NULL,
  worker     text NOT NULL,
  -- The job's retry count when claimed: 0 for a job worked for the first time.
  retry      integer NOT NULL,
  started_at timestamptz NOT NULL,
  -- Null while the claim is held (or when its worker died holding it).
  ended_at   timestamptz,
  outcome    text,
  steps      integer NOT NULL DEFAULT 0,
  error      text
);

CREATE INDEX payout_claims_run ON payout_claims (run_id, started_at);

-- GCRA: the theoretical arrival time of the key's next request; a worker takes a slot by
-- moving it one interval on, in one statement.
CREATE TABLE payout_rate_limits (
  key_hash text PRIMARY KEY,
  tat      timestamptz NOT NULL
);
