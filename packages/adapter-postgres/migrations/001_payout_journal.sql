-- The payout journal (SPEC 10.3): runs, their rows, the builds of their chunks, every
-- call with an effect (intent, then outcome), and the payees and instructions found or
-- created. Money is numeric (exact); the same SQL runs on PGlite and on a PostgreSQL server.

CREATE TABLE payout_runs (
  run_id         text PRIMARY KEY,
  origin_port    text NOT NULL,
  payer_id       text NOT NULL,
  chunk_size     integer NOT NULL CHECK (chunk_size > 0),
  max_total      numeric,
  tolerance      numeric NOT NULL CHECK (tolerance >= 0),
  source_name    text NOT NULL,
  source_digest  text NOT NULL,
  row_count      integer NOT NULL,
  state          text NOT NULL,
  reason         text,
  funds_amount   numeric,
  funds_currency text,
  funds_before   text,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  -- Bumped by every write: a write that read an older version is refused (another worker went first).
  version        bigint NOT NULL
);

CREATE TABLE payout_rows (
  run_id                    text NOT NULL REFERENCES payout_runs (run_id) ON DELETE CASCADE,
  row_index                 integer NOT NULL,
  line                      integer NOT NULL,
  reference                 text NOT NULL,
  port_code                 text NOT NULL,
  amount                    numeric,
  budget                    numeric,
  payee                     jsonb NOT NULL,
  payee_id                  text,
  withdrawal_instruction_id text,
  chunk                     integer NOT NULL,
  state                     text NOT NULL,
  reason                    text,
  request_id                text,
  output_id                 text,
  quoted_amount             numeric,
  quoted_budget             numeric,
  rate                      numeric,
  all_in_rate               numeric,
  fee_and_cost              numeric,
  attempts                  integer NOT NULL DEFAULT 0,
  updated_at                timestamptz NOT NULL,
  PRIMARY KEY (run_id, row_index),
  UNIQUE (run_id, reference)
);

CREATE TABLE payout_chunks (
  run_id                 text NOT NULL REFERENCES payout_runs (run_id) ON DELETE CASCADE,
  chunk                  integer NOT NULL,
  attempt                integer NOT NULL,
  external_id            text NOT NULL,
  request_id             text,
  stage                  text NOT NULL,
  request_state          text,
  reason                 text,
  on_cancelled           text,
  estimate_total         numeric,
  hint_token             text,
  quote_total            numeric,
  provision_funds_before text,
  updated_at             timestamptz NOT NULL,
  PRIMARY KEY (run_id, chunk, attempt),
  UNIQUE (external_id)
);

CREATE TABLE payout_calls (
  run_id      text NOT NULL REFERENCES payout_runs (run_id) ON DELETE CASCADE,
  call_key    text NOT NULL,
  kind        text NOT NULL,
  state       text NOT NULL,
  resource_id text,
  detail      text,
  at          timestamptz NOT NULL,
  PRIMARY KEY (run_id, call_key)
);

CREATE TABLE payout_parties (
  run_id    text NOT NULL REFERENCES payout_runs (run_id) ON DELETE CASCADE,
  party_key text NOT NULL,
  kind      text NOT NULL,
  id        text NOT NULL,
  origin    text NOT NULL,
  PRIMARY KEY (run_id, party_key)
);
