import type { ReportLine, RunStatus } from '@concierge-ts/application';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { REPORT_COLUMNS, reportCsv, statusJson } from './views.js';

const status = (extra: Partial<RunStatus> = {}): RunStatus => ({
  runId: 'r',
  state: 'stopped',
  rows: { pending: 1, committed: 2, settled: 3, rejected: 0, returned: 0, cancelled: 0, failed: 1, total: 7 },
  requests: [{ chunk: 1, externalId: 'r/1', id: '9', state: 'working' }],
  reason: 'the quote is over --max-total',
  funds: { amount: '10.00', currency: 'ARS', before: '2026-01-05T12:00:00.000Z' },
  ...extra,
});

describe('status --json', () => {
  it('is the object of SPEC 10.4: snake_case keys, rows by state, requests per chunk, the reason when there is one', () => {
    expect(statusJson(status())).toEqual({
      run_id: 'r',
      state: 'stopped',
      rows: {
        pending: 1,
        committed: 2,
        settled: 3,
        rejected: 0,
        returned: 0,
        cancelled: 0,
        failed: 1,
        total: 7,
      },
      requests: [{ external_id: 'r/1', id: '9', state: 'working' }],
      reason: 'the quote is over --max-total',
    });
    const { reason: _, ...rest } = status();
    expect(Object.keys(statusJson(rest))).toEqual(['run_id', 'state', 'rows', 'requests']);
  });
});

describe('the report CSV', () => {
  it('has the columns of SPEC 10.4, and reads back to its lines whatever the references hold', () => {
    const line = (reference: string, extra: Partial<ReportLine> = {}): ReportLine => ({
      reference,
      portCode: 'cl_clp',
      amount: '1000',
      budget: null,
      rate: null,
      allInRate: null,
      feeAndCost: null,
      requestId: null,
      outputId: null,
      state: 'failed',
      reason: 'payee refused: "email", twice',
      attempts: 0,
      updatedAt: '2026-01-05T12:00:00.000Z',
      ...extra,
    });
    const lines = [
      line('plain'),
      line('a, "quoted"\nreference'),
      line('=1+2', { rate: '0.00135317', attempts: 2 }),
    ];
    const read = parse(reportCsv(lines), { columns: true }) as Record<string, string>[];
    expect(Object.keys(read[0] ?? {})).toEqual([...REPORT_COLUMNS]);
    expect(read.map((r) => [r['reference'], r['reason'], r['budget'], r['rate'], r['attempts']])).toEqual([
      ['plain', 'payee refused: "email", twice', '', '', '0'],
      ['a, "quoted"\nreference', 'payee refused: "email", twice', '', '', '0'],
      ['=1+2', 'payee refused: "email", twice', '', '0.00135317', '2'],
    ]);
  });
});
