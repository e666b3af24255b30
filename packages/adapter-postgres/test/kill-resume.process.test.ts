import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInMemoryConcierge, OffsetClock } from '@concierge-ts/adapter-memory';
import { checkGuarantee, moneyConserved } from '@concierge-ts/adapter-memory/testing';
import type { PayoutRowInput, RunPlanInput } from '@concierge-ts/application';
import { createSandboxApp, listenOnLoopback } from '@concierge-ts/sandbox-server';
import { describe, expect, it } from 'vitest';
import { openJournal } from '../src/open-journal.js';

const CHILD = fileURLToPath(new URL('./pay-child.mjs', import.meta.url));

/** Starts the child; resolves with its exit code, or `killed` when the test killed it after `killAfterSteps` steps. */
const runChild = (args: string[], killAfterSteps: number | null) =>
  new Promise<{ readonly code: number | null; readonly killed: boolean; readonly out: string }>((resolve) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let killed = false;
    child.stdout.on('data', (d) => {
      out += String(d);
      // Killed in the middle of a step: right after it reports the step before.
      if (killAfterSteps !== null && !killed && out.split('\n').length > killAfterSteps)
        killed = child.kill('SIGKILL');
    });
    child.stderr.on('data', (d) => {
      out += String(d);
    });
    child.on('exit', (code) => {
      resolve({ code, killed, out });
    });
  });

describe('a payout run in a real process, killed with SIGKILL and started again, over real HTTP', () => {
  it('pays every row exactly once', async () => {
    // The sandbox's clock runs ten minutes a second, so outputs settle while the test waits; a
    // quote may be accepted for two sandbox hours (12 s here), as restarts take seconds.
    const concierge = createInMemoryConcierge({
      clock: new OffsetClock(Date.now, 600),
      windows: { acceptQuoteMs: 2 * 3_600_000, provisionFundsMs: 12 * 3_600_000 },
    });
    const seeded = concierge.seeded;
    if (!seeded) throw new Error('no seed');
    const app = createSandboxApp(concierge, { rateLimit: 0, webhooks: false });
    const listening = await listenOnLoopback(app);
    const dir = mkdtempSync(join(tmpdir(), 'concierge-kill-'));
    try {
      const payees = seeded.payees.filter((p) => ['cl_clp', 'mx_mxn', 'uy_uyu'].includes(p.portCode));
      const rows: PayoutRowInput[] = Array.from({ length: 40 }, (_, i) => {
        const p = payees[i % payees.length] as (typeof payees)[number];
        return {
          line: i + 2,
          reference: `inv-${i}`,
          portCode: p.portCode,
          // Identical rows on purpose: every fifth repeats the one before.
          amount: String(
            p.portCode === 'cl_clp'
              ? 5_000 + (i - (i % 5 === 4 ? 1 : 0))
              : 1_000 + (i - (i % 5 === 4 ? 1 : 0)),
          ),
          payeeId: p.userId,
          withdrawalInstructionId: p.withdrawalInstructionId,
        };
      });
      const plan: RunPlanInput = {
        runId: 'killed-run',
        originPort: 'ar_ars',
        payerId: seeded.payerId,
        chunkSize: 10,
        source: { name: 'payroll.csv', digest: 'sha-kill' },
        rows,
      };
      const planFile = join(dir, 'plan.json');
      writeFileSync(planFile, JSON.stringify(plan));
      const args = [listening.url, concierge.apiKey, join(dir, 'journal'), planFile];
      const kills: number[] = [];
      let last = { code: null as number | null, killed: true, out: '' };
      // Killed at random moments, then left to finish.
      for (let life = 0; life < 12 && (last.killed || last.code !== 0); life += 1) {
        const killAfter = life < 5 ? 1 + Math.floor(Math.random() * 8) : null;
        last = await runChild(args, killAfter);
        if (last.killed) kills.push(killAfter as number);
      }
      expect(last.code, last.out).toBe(0);
      expect(last.out).toContain('done finished');
      const journal = (await openJournal(join(dir, 'journal')))._unsafeUnwrap();
      const check = await checkGuarantee(concierge.client, journal, 'killed-run', rows);
      await journal.close();
      console.log(
        `child process: ${kills.length} SIGKILLs after ${kills.join(', ')} steps; ${check.acceptedOutputs} outputs accepted for ${rows.length} rows`,
      );
      expect(check.violations).toEqual([]);
      expect(check.duplicates).toBe(0);
      expect(check.acceptedOutputs).toBe(40);
      const money = await moneyConserved(
        concierge.client,
        'killed-run',
        seeded.payerId,
        10_000_000_000n,
        'ars',
      );
      expect(money.conserved, money.detail).toBe(true);
    } finally {
      app.close();
      await listening.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
