import { describe, expect, it } from 'vitest';
import { runDemo } from './demo.js';

describe('the demo', () => {
  it('pays its payroll as a payout run with the planned outcomes, and conserves money', async () => {
    const lines: string[] = [];
    const summary = await runDemo({ pauseMs: 0, live: false, print: (line) => lines.push(line) });
    expect(summary.exit).toBe(0);
    expect(summary.runState).toBe('finished');
    expect(summary.rows).toMatchObject({
      total: 25,
      settled: 23,
      rejected: 1,
      returned: 1,
      pending: 0,
      committed: 0,
    });
    // One report line per row, in file order, each with its request and output.
    expect(summary.report.map((l) => l.reference)).toEqual(
      Array.from({ length: 25 }, (_, i) => `emp-${String(i + 1).padStart(3, '0')}`),
    );
    expect(summary.report.every((l) => l.requestId !== null && l.outputId !== null)).toBe(true);
    expect(summary.report.find((l) => l.state === 'returned')?.attempts).toBe(2);
    // Chunks of 10 rows: three requests, each with an external id of the run.
    expect(summary.requests.filter((r) => r.state === 'finished').map((r) => r.externalId)).toEqual(
      expect.arrayContaining(['payroll-2026-01/1', 'payroll-2026-01/2', 'payroll-2026-01/3']),
    );
    expect(summary.conserved).toBe(true);
    expect(summary.inFlight.amount).toBe(0n);
    expect(summary.returnCosts.amount).toBeGreaterThan(0n);
    expect(summary.deposited.amount).toBe(
      summary.balanceAfter.amount + summary.spent.amount + summary.returnCosts.amount,
    );
    expect(lines.some((l) => l.startsWith('Money conserved') && l.endsWith('yes ✓'))).toBe(true);
    // Without a terminal, one line per step of the run.
    expect(lines.some((l) => /: working · rows committed \d+, final \d+ of 25/.test(l))).toBe(true);
  });
});
