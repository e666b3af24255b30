import type { ReportLine, RunStatus } from '@concierge-ts/application';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { RequestMeter, TimeLeft } from './progress.js';
import { generateRunId, isRunId } from './settings.js';
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

describe('progress figures', () => {
  it('counts requests per second over a window', () => {
    let now = 0;
    const meter = new RequestMeter(() => now);
    for (let i = 0; i < 10; i++) meter.record();
    now = 1000;
    expect(meter.perSecond(5000)).toBe(2);
    now = 7000;
    expect(meter.perSecond(5000)).toBe(0);
    expect(meter.total).toBe(10);
  });

  it('tells the time left from the pace since the count first moved', () => {
    let now = 0;
    const left = new TimeLeft(() => now);
    expect(left.update(0, 100)).toBe('-');
    now = 10_000;
    expect(left.update(10, 100)).toBe('-');
    now = 20_000;
    // 10 rows in 10 s: 80 left take 80 s.
    expect(left.update(20, 100)).toBe('1m20s');
    expect(left.update(100, 100)).toBe('0s');
  });
});

describe('run ids', () => {
  it('generates ids the run accepts, from the time', () => {
    const id = generateRunId(new Date('2026-01-05T12:34:56.789Z'), () => 0.5);
    expect(id).toMatch(/^run-20260105-123456-[a-z2-9]{6}$/);
    expect(isRunId(id)).toBe(true);
  });
});
