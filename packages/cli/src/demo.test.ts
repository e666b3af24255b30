import { describe, expect, it } from 'vitest';
import { runDemo } from './demo.js';

describe('the demo', () => {
  it('finishes the request with the planned outcomes and conserves money', async () => {
    const lines: string[] = [];
    const summary = await runDemo({ pauseMs: 0, live: false, print: (line) => lines.push(line) });
    expect(summary.requestState).toBe('finished');
    expect(summary.counters).toMatchObject({ total: 25, settled: 23, rejected: 1, returned: 1, working: 0 });
    expect(summary.conserved).toBe(true);
    expect(summary.inFlight.amount).toBe(0n);
    expect(summary.returnCosts.amount).toBeGreaterThan(0n);
    expect(summary.deposited.amount).toBe(
      summary.balanceAfter.amount + summary.spent.amount + summary.returnCosts.amount,
    );
    expect(lines.some((l) => l.startsWith('Money conserved') && l.endsWith('yes ✓'))).toBe(true);
    expect(lines.some((l) => /round +\d+: .*settling/.test(l))).toBe(true);
  });
});
