import {
  FINAL_ROW_STATES,
  type ReportLine,
  ROW_STATES,
  type RowState,
  type RunStatus,
  type RunSummary,
} from '@concierge-ts/application';

/**
 * What the command prints about a run: `status --json` (SPEC section 10.4: snake_case
 * keys, exactly these), the report as CSV, and the lines a person reads.
 */

export interface StatusJson {
  readonly run_id: string;
  readonly state: RunStatus['state'];
  readonly rows: Readonly<Record<RowState | 'total', number>>;
  readonly requests: readonly {
    readonly external_id: string;
    readonly id: string | null;
    readonly state: string;
  }[];
  readonly reason?: string;
}

/** The object `payouts status RUN_ID --json` prints. */
export const statusJson = (status: RunStatus): StatusJson => ({
  run_id: status.runId,
  state: status.state,
  rows: Object.fromEntries(
    [...ROW_STATES, 'total'].map((s) => [s, status.rows[s as RowState | 'total']]),
  ) as Record<RowState | 'total', number>,
  requests: status.requests.map((r) => ({ external_id: r.externalId, id: r.id, state: r.state })),
  ...(status.reason === undefined ? {} : { reason: status.reason }),
});

/** The report's columns, in order (SPEC section 10.4). */
export const REPORT_COLUMNS = [
  'reference',
  'port_code',
  'amount',
  'budget',
  'rate',
  'all_in_rate',
  'fee_and_cost',
  'request_id',
  'output_id',
  'state',
  'reason',
  'attempts',
  'updated_at',
] as const;

const cellsOf = (line: ReportLine): readonly (string | number | null)[] => [
  line.reference,
  line.portCode,
  line.amount,
  line.budget,
  line.rate,
  line.allInRate,
  line.feeAndCost,
  line.requestId,
  line.outputId,
  line.state,
  line.reason,
  line.attempts,
  line.updatedAt,
];

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes
 * doubled. Written here because DESIGN.md's table has a CSV reader and no writer, and
 * this is the whole rule. A cell that a spreadsheet would run as a formula (=, +, -, @)
 * is left as it is: the report is data for scripts, and references are the integrator's.
 */
const csvCell = (value: string | number | null): string => {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** The report as CSV: a header line, then one line per row, each ending in CRLF (RFC 4180). */
export const reportCsv = (lines: readonly ReportLine[]): string =>
  [REPORT_COLUMNS.join(','), ...lines.map((line) => cellsOf(line).map(csvCell).join(','))]
    .map((l) => `${l}\r\n`)
    .join('');

/** Rows committed (in an accepted request, not final) and final, of all. */
export const rowProgress = (status: RunStatus): { committed: number; final: number; total: number } => {
  let final = 0;
  for (const state of ROW_STATES) if (FINAL_ROW_STATES.has(state)) final += status.rows[state];
  return { committed: status.rows.committed, final, total: status.rows.total };
};

/** `settled 23 · rejected 1 · returned 1`: the row states that have rows. */
export const rowCountsText = (status: RunStatus): string =>
  ROW_STATES.filter((s) => status.rows[s] > 0)
    .map((s) => `${s} ${status.rows[s]}`)
    .join(' · ') || 'no rows';

/** Where a run stands, for a person. */
export const statusLines = (status: RunStatus): string[] => {
  const lines = [
    `run ${status.runId}: ${status.state}`,
    `  rows: ${status.rows.total} (${rowCountsText(status)})`,
  ];
  if (status.reason !== undefined) lines.push(`  reason: ${status.reason}`);
  if (status.funds !== undefined)
    lines.push(
      `  waiting for funds: deposit ${status.funds.amount} ${status.funds.currency} before ${status.funds.before}`,
    );
  if (status.requests.length > 0) {
    lines.push('  requests:');
    for (const r of status.requests)
      lines.push(`    ${r.externalId.padEnd(24)} ${(r.id ?? '-').padStart(8)}  ${r.state}`);
  }
  return lines;
};

const pad = (text: string, width: number, right = false) =>
  right ? text.padStart(width) : text.padEnd(width);

/** A text table of columns (the last column not padded). */
export const table = (
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAligned: readonly number[] = [],
) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) =>
        i === cells.length - 1 && !rightAligned.includes(i)
          ? c
          : pad(c, widths[i] ?? 0, rightAligned.includes(i)),
      )
      .join('  ');
  return [line(header), ...rows.map(line)];
};

/** The runs of a journal, one line each. */
export const listLines = (runs: readonly RunSummary[]): string[] =>
  runs.length === 0
    ? ['no runs yet']
    : table(
        ['run', 'state', 'origin', 'rows', 'created', 'updated'],
        runs.map((r) => [r.runId, r.state, r.originPort, String(r.rows), r.createdAt, r.updatedAt]),
        [3],
      );

/** The report as a table for a person (the demo prints it). */
export const reportTable = (lines: readonly ReportLine[]): string[] =>
  table(
    ['reference', 'port', 'amount', 'budget', 'fee', 'request', 'output', 'state', 'attempts', 'reason'],
    lines.map((l) => [
      l.reference,
      l.portCode,
      l.amount ?? '',
      l.budget ?? '',
      l.feeAndCost ?? '',
      l.requestId ?? '',
      l.outputId ?? '',
      l.state,
      String(l.attempts),
      l.reason ?? '',
    ]),
    [2, 3, 4, 8],
  );
