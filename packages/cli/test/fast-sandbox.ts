import { createInMemoryConcierge, type InMemoryConcierge, OffsetClock } from '@concierge-ts/adapter-memory';
import { allItems } from '@concierge-ts/application';
import { createSandboxApp, type SandboxApp } from '@concierge-ts/sandbox-server';

export const TEST_KEY = 'sk_cli_test_key';

/**
 * A seeded sandbox on real time (a run waits for the service's `eta` by its own clock, so
 * the two must agree), applying what is due every 20 ms, whose provider is played by
 * `startProvider`: outputs accepted and quotes produced as soon as they are asked for,
 * payments issued and settled as soon as they are working, so a run goes from draft to settled in seconds.
 */
export const testSandbox = (): { concierge: InMemoryConcierge; app: SandboxApp } => {
  const concierge = createInMemoryConcierge({
    masterApiKey: TEST_KEY,
    clock: new OffsetClock(Date.now, 1),
    newClock: () => new OffsetClock(Date.now, 1),
  });
  const app = createSandboxApp(concierge, { rateLimit: 0, webhooks: false, tickEveryMs: 20 });
  return { concierge, app };
};

/** Plays the provider every `everyMs` until stopped; refused moves (raced by the scheduler) are skipped. */
export const startProvider = (concierge: InMemoryConcierge, everyMs = 25): (() => Promise<void>) => {
  const { client, operator } = concierge;
  let running = true;
  const round = async () => {
    for (const r of (
      await allItems((page) => client.requests.list({ state: 'quote_requested', page }), 500)
    )._unsafeUnwrap()) {
      const quoted = await operator.produceQuote(r.id);
      if (quoted.isErr() && quoted.error.type !== 'conflict') throw quoted.error;
    }
    for (const [state, action] of [
      ['accepting', 'accept'],
      ['working', 'issue'],
      ['settling', 'settle'],
    ] as const)
      for (const o of (await allItems((page) => client.outputs.list({ state, page }), 500))._unsafeUnwrap()) {
        const moved = await operator.outputAction(o.id, action);
        if (moved.isErr() && moved.error.type !== 'conflict') throw moved.error;
      }
  };
  const loop = (async () => {
    while (running) {
      await round();
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
};

export const raise = (message: string): never => {
  throw new Error(message);
};

/** A file paying the seeded payees: `rows` lines of `[reference, port, amount]`. */
export const seededFile = (
  concierge: InMemoryConcierge,
  rows: readonly (readonly [reference: string, port: string, amount: string])[],
): string => {
  const seeded = concierge.seeded ?? raise('a seeded sandbox');
  const lines = ['reference,port_code,amount,payee_id,withdrawal_instruction_id'];
  for (const [reference, port, amount] of rows) {
    const payee = seeded.payees.find((p) => p.portCode === port) ?? raise(`a seeded payee at ${port}`);
    lines.push(`${reference},${port},${amount},${payee.userId},${payee.withdrawalInstructionId}`);
  }
  return `${lines.join('\n')}\n`;
};
