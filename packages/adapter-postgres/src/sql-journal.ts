import {
  type CallRecord,
  type ChunkRecord,
  type JournalWrite,
  type PartyRecord,
  type PayoutError,
  type PayoutJournal,
  payoutError,
  type RowRecord,
  type RunRecord,
  type RunSnapshot,
} from '@concierge-ts/application';
import { ResultAsync } from 'neverthrow';

/** What the journal needs of a PostgreSQL connection: PGlite and `pg` both have it. */
export interface SqlQueryable {
  query<T>(sql: string, params?: unknown[]): Promise<{ readonly rows: T[] }>;
}

export interface SqlDatabase extends SqlQueryable {
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T>;
}

type ColumnType = 'text' | 'integer' | 'numeric' | 'jsonb' | 'timestamptz';

interface Column<R> {
  readonly column: string;
  readonly type: ColumnType;
  readonly read: (record: R) => unknown;
}

interface Table<R> {
  readonly name: string;
  readonly key: readonly string[];
  readonly columns: readonly Column<R>[];
}

const col = <R>(column: string, type: ColumnType, read: (record: R) => unknown): Column<R> => ({
  column,
  type,
  read,
});

/** How a column comes back: money and time as text (exact, ISO 8601 UTC with milliseconds). */
const selectExpression = (c: { column: string; type: ColumnType }): string =>
  c.type === 'numeric'
    ? `${c.column}::text AS ${c.column}`
    : c.type === 'timestamptz'
      ? `to_char(${c.column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${c.column}`
      : c.column;

const ROWS: Table<RowRecord> = {
  name: 'payout_rows',
  key: ['run_id', 'row_index'],
  columns: [
    col('run_id', 'text', (r) => r.runId),
    col('row_index', 'integer', (r) => r.index),
    col('line', 'integer', (r) => r.line),
    col('reference', 'text', (r) => r.reference),
    col('port_code', 'text', (r) => r.portCode),
    col('amount', 'numeric', (r) => r.amount),
    col('budget', 'numeric', (r) => r.budget),
    col('payee', 'jsonb', (r) => r.payee),
    col('payee_id', 'text', (r) => r.payeeId),
    col('withdrawal_instruction_id', 'text', (r) => r.withdrawalInstructionId),
    col('chunk', 'integer', (r) => r.chunk),
    col('state', 'text', (r) => r.state),
    col('reason', 'text', (r) => r.reason),
    col('request_id', 'text', (r) => r.requestId),
    col('output_id', 'text', (r) => r.outputId),
    col('quoted_amount', 'numeric', (r) => r.quotedAmount),
    col('quoted_budget', 'numeric', (r) => r.quotedBudget),
    col('rate', 'numeric', (r) => r.rate),
    col('all_in_rate', 'numeric', (r) => r.allInRate),
    col('fee_and_cost', 'numeric', (r) => r.feeAndCost),
    col('attempts', 'integer', (r) => r.attempts),
    col('updated_at', 'timestamptz', (r) => r.updatedAt),
  ],
};

const CHUNKS: Table<ChunkRecord> = {
  name: 'payout_chunks',
  key: ['run_id', 'chunk', 'attempt'],
  columns: [
    col('run_id', 'text', (c) => c.runId),
    col('chunk', 'integer', (c) => c.chunk),
    col('attempt', 'integer', (c) => c.attempt),
    col('external_id', 'text', (c) => c.externalId),
    col('request_id', 'text', (c) => c.requestId),
    col('stage', 'text', (c) => c.stage),
    col('request_state', 'text', (c) => c.requestState),
    col('reason', 'text', (c) => c.reason),
    col('on_cancelled', 'text', (c) => c.onCancelled),
    col('estimate_total', 'numeric', (c) => c.estimateTotal),
    col('hint_token', 'text', (c) => c.hintToken),
    col('quote_total', 'numeric', (c) => c.quoteTotal),
    col('provision_funds_before', 'text', (c) => c.provisionFundsBefore),
    col('updated_at', 'timestamptz', (c) => c.updatedAt),
  ],
};

const CALLS: Table<CallRecord> = {
  name: 'payout_calls',
  key: ['run_id', 'call_key'],
  columns: [
    col('run_id', 'text', (c) => c.runId),
    col('call_key', 'text', (c) => c.key),
    col('kind', 'text', (c) => c.kind),
    col('state', 'text', (c) => c.state),
    col('resource_id', 'text', (c) => c.resourceId),
    col('detail', 'text', (c) => c.detail),
    col('at', 'timestamptz', (c) => c.at),
  ],
};

const PARTIES: Table<PartyRecord> = {
  name: 'payout_parties',
  key: ['run_id', 'party_key'],
  columns: [
    col('run_id', 'text', (p) => p.runId),
    col('party_key', 'text', (p) => p.key),
    col('kind', 'text', (p) => p.kind),
    col('id', 'text', (p) => p.id),
    col('origin', 'text', (p) => p.origin),
  ],
};

/**
 * Writes many records in one statement: the records travel as one JSON array, opened by
 * `jsonb_to_recordset`, and replace those with the same key.
 */
const upsert = async <R>(db: SqlQueryable, table: Table<R>, records: readonly R[]): Promise<void> => {
  if (records.length === 0) return;
  const names = table.columns.map((c) => c.column);
  const updates = names.filter((n) => !table.key.includes(n)).map((n) => `${n} = EXCLUDED.${n}`);
  const sql = `INSERT INTO ${table.name} (${names.join(', ')})
    SELECT ${names.join(', ')} FROM jsonb_to_recordset($1::jsonb)
      AS x(${table.columns.map((c) => `${c.column} ${c.type}`).join(', ')})
    ON CONFLICT (${table.key.join(', ')}) DO ${updates.length === 0 ? 'NOTHING' : `UPDATE SET ${updates.join(', ')}`}`;
  const json = records.map((r) =>
    Object.fromEntries(table.columns.map((c) => [c.column, c.read(r) ?? null])),
  );
  await db.query(sql, [JSON.stringify(json)]);
};

const selectAll = <R>(table: Table<R>, order: string) =>
  `SELECT ${table.columns.map(selectExpression).join(', ')} FROM ${table.name} WHERE run_id = $1 ORDER BY ${order}`;

type Raw = Record<string, unknown>;
const text = (v: unknown): string => String(v);
const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const int = (v: unknown): number => Number(v);

const RUN_COLUMNS = [
  'run_id',
  'origin_port',
  'payer_id',
  'chunk_size',
  'max_total::text AS max_total',
  'tolerance::text AS tolerance',
  'source_name',
  'source_digest',
  'row_count',
  'state',
  'reason',
  'funds_amount::text AS funds_amount',
  'funds_currency',
  'funds_before',
  selectExpression({ column: 'created_at', type: 'timestamptz' }),
  selectExpression({ column: 'updated_at', type: 'timestamptz' }),
  'version::text AS version',
].join(', ');

const runOf = (r: Raw): RunRecord => ({
  runId: text(r.run_id),
  originPort: text(r.origin_port),
  payerId: text(r.payer_id),
  chunkSize: int(r.chunk_size),
  maxTotal: textOrNull(r.max_total),
  tolerance: text(r.tolerance),
  source: { name: text(r.source_name), digest: text(r.source_digest) },
  rowCount: int(r.row_count),
  state: text(r.state) as RunRecord['state'],
  reason: textOrNull(r.reason),
  funds:
    r.funds_amount === null || r.funds_amount === undefined
      ? null
      : { amount: text(r.funds_amount), currency: text(r.funds_currency), before: text(r.funds_before) },
  createdAt: text(r.created_at),
  updatedAt: text(r.updated_at),
  version: int(r.version),
});

const rowOf = (r: Raw): RowRecord => ({
  runId: text(r.run_id),
  index: int(r.row_index),
  line: int(r.line),
  reference: text(r.reference),
  portCode: text(r.port_code),
  amount: textOrNull(r.amount),
  budget: textOrNull(r.budget),
  payee: (typeof r.payee === 'string' ? JSON.parse(r.payee) : r.payee) as RowRecord['payee'],
  payeeId: textOrNull(r.payee_id),
  withdrawalInstructionId: textOrNull(r.withdrawal_instruction_id),
  chunk: int(r.chunk),
  state: text(r.state) as RowRecord['state'],
  reason: textOrNull(r.reason),
  requestId: textOrNull(r.request_id),
  outputId: textOrNull(r.output_id),
  quotedAmount: textOrNull(r.quoted_amount),
  quotedBudget: textOrNull(r.quoted_budget),
  rate: textOrNull(r.rate),
  allInRate: textOrNull(r.all_in_rate),
  feeAndCost: textOrNull(r.fee_and_cost),
  attempts: int(r.attempts),
  updatedAt: text(r.updated_at),
});

const chunkOf = (r: Raw): ChunkRecord => ({
  runId: text(r.run_id),
  chunk: int(r.chunk),
  attempt: int(r.attempt),
  externalId: text(r.external_id),
  requestId: textOrNull(r.request_id),
  stage: text(r.stage) as ChunkRecord['stage'],
  requestState: textOrNull(r.request_state),
  reason: textOrNull(r.reason),
  onCancelled: textOrNull(r.on_cancelled) as ChunkRecord['onCancelled'],
  estimateTotal: textOrNull(r.estimate_total),
  hintToken: textOrNull(r.hint_token),
  quoteTotal: textOrNull(r.quote_total),
  provisionFundsBefore: textOrNull(r.provision_funds_before),
  updatedAt: text(r.updated_at),
});

const callOf = (r: Raw): CallRecord => ({
  runId: text(r.run_id),
  key: text(r.call_key),
  kind: text(r.kind) as CallRecord['kind'],
  state: text(r.state) as CallRecord['state'],
  resourceId: textOrNull(r.resource_id),
  detail: textOrNull(r.detail),
  at: text(r.at),
});

const partyOf = (r: Raw): PartyRecord => ({
  runId: text(r.run_id),
  key: text(r.party_key),
  kind: text(r.kind) as PartyRecord['kind'],
  id: text(r.id),
  origin: text(r.origin) as PartyRecord['origin'],
});

/** Thrown inside a transaction to roll it back with a journal error. */
class Refusal extends Error {
  constructor(readonly error: PayoutError) {
    super(error.message);
  }
}

const failed = (doing: string) => (thrown: unknown) =>
  thrown instanceof Refusal
    ? thrown.error
    : payoutError.journal(`${doing}: ${thrown instanceof Error ? thrown.message : String(thrown)}`);

/**
 * The payout journal in SQL. Every write is one transaction that locks the run's row
 * (`SELECT ... FOR UPDATE`) and checks its version: two workers on one PostgreSQL server
 * cannot both write an intent from the same reading of a run.
 */
export const sqlJournal = (db: SqlDatabase): PayoutJournal => {
  const getRun = (q: SqlQueryable, runId: string, lock = false) =>
    q
      .query<Raw>(`SELECT ${RUN_COLUMNS} FROM payout_runs WHERE run_id = $1${lock ? ' FOR UPDATE' : ''}`, [
        runId,
      ])
      .then((r) => (r.rows[0] === undefined ? null : runOf(r.rows[0])));

  return {
    createRun: (run, rows) =>
      ResultAsync.fromPromise(
        db.transaction(async (tx) => {
          const inserted = await tx.query<Raw>(
            `INSERT INTO payout_runs (run_id, origin_port, payer_id, chunk_size, max_total, tolerance, source_name,
               source_digest, row_count, state, reason, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5::numeric, $6::numeric, $7, $8, $9, $10, $11, $12::timestamptz, $12::timestamptz, 1)
             ON CONFLICT (run_id) DO NOTHING RETURNING run_id`,
            [
              run.runId,
              run.originPort,
              run.payerId,
              run.chunkSize,
              run.maxTotal,
              run.tolerance,
              run.source.name,
              run.source.digest,
              run.rowCount,
              run.state,
              run.reason,
              run.createdAt,
            ],
          );
          const created = inserted.rows.length > 0;
          if (created) await upsert(tx, ROWS, rows);
          const found = await getRun(tx, run.runId);
          if (found === null)
            throw new Refusal(payoutError.journal(`run ${run.runId} vanished while being created`));
          return { created, run: found };
        }),
        failed(`creating run ${run.runId}`),
      ),

    getRun: (runId) => ResultAsync.fromPromise(getRun(db, runId), failed(`reading run ${runId}`)),

    loadRun: (runId) =>
      ResultAsync.fromPromise(
        db.transaction(async (tx): Promise<RunSnapshot | null> => {
          const run = await getRun(tx, runId);
          if (run === null) return null;
          const [rows, chunks, calls, parties] = [
            await tx.query<Raw>(selectAll(ROWS, 'row_index'), [runId]),
            await tx.query<Raw>(selectAll(CHUNKS, 'chunk, attempt'), [runId]),
            await tx.query<Raw>(selectAll(CALLS, 'call_key'), [runId]),
            await tx.query<Raw>(selectAll(PARTIES, 'party_key'), [runId]),
          ];
          return {
            run,
            rows: rows.rows.map(rowOf),
            chunks: chunks.rows.map(chunkOf),
            calls: calls.rows.map(callOf),
            parties: parties.rows.map(partyOf),
          };
        }),
        failed(`reading run ${runId}`),
      ),

    listRuns: () =>
      ResultAsync.fromPromise(
        db
          .query<Raw>(`SELECT ${RUN_COLUMNS} FROM payout_runs ORDER BY created_at, run_id`)
          .then((r) => r.rows.map(runOf)),
        failed('listing runs'),
      ),

    write: (runId, change: JournalWrite) =>
      ResultAsync.fromPromise(
        db.transaction(async (tx) => {
          const run = await getRun(tx, runId, true);
          if (run === null) throw new Refusal(payoutError.runNotFound(runId));
          if (run.version !== change.expectedVersion)
            throw new Refusal(
              payoutError.journal(
                `run ${runId} moved (version ${run.version}, expected ${change.expectedVersion})`,
                true,
              ),
            );
          const next = { ...run, ...change.run };
          await tx.query(
            `UPDATE payout_runs SET state = $2, reason = $3, funds_amount = $4::numeric, funds_currency = $5,
               funds_before = $6, updated_at = $7::timestamptz, version = version + 1
             WHERE run_id = $1`,
            [
              runId,
              next.state,
              next.reason,
              next.funds?.amount ?? null,
              next.funds?.currency ?? null,
              next.funds?.before ?? null,
              change.at,
            ],
          );
          await upsert(tx, ROWS, change.rows ?? []);
          await upsert(tx, CHUNKS, change.chunks ?? []);
          await upsert(tx, CALLS, change.calls ?? []);
          await upsert(tx, PARTIES, change.parties ?? []);
          const written = await getRun(tx, runId);
          if (written === null) throw new Refusal(payoutError.runNotFound(runId));
          return written;
        }),
        failed(`writing run ${runId}`),
      ),
  };
};
