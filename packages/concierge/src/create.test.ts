import { createRecordingLogger } from '@concierge-ts/adapter-logging';
import { createInMemoryConcierge, testInstructionBody } from '@concierge-ts/adapter-memory';
import { createSandboxApp } from '@concierge-ts/sandbox-server';
import { describe, expect, it } from 'vitest';
import { type Concierge, createConcierge } from './create.js';

/** The same small payout, whatever the mode: the point of one entry point. */
const payOne = async (concierge: Concierge) => {
  const { client, operator } = concierge;
  const payer = (await client.users.create({ email: 'payer@example.com' }))._unsafeUnwrap();
  (await operator.deposit(payer.id, { portCode: 'ar_ars', amount: 1_000_000 }))._unsafeUnwrap();
  const payee = (await client.users.create({ email: 'ana@example.com' }))._unsafeUnwrap();
  const body = testInstructionBody('cl_clp', 'settles');
  const account = (
    await client.withdrawalInstructions.create({ userId: payee.id, label: 'cl', body })
  )._unsafeUnwrap();
  const request = (await client.requests.create({ portCode: 'ar_ars', payerId: payer.id }))._unsafeUnwrap();
  (
    await client.outputs.create({
      requestId: request.id,
      payeeId: payee.id,
      withdrawalInstructionId: account.id,
      portCode: 'cl_clp',
      amount: 100_000,
    })
  )._unsafeUnwrap();
  // The sandbox moves on its own clock: checks, then the quote, then the work.
  (await operator.advanceClock(2))._unsafeUnwrap();
  (await client.requests.requestQuote(request.id))._unsafeUnwrap();
  (await operator.advanceClock(1))._unsafeUnwrap();
  expect((await client.requests.acceptQuote(request.id))._unsafeUnwrap().state).toBe('quote_accepted');
  (await operator.runUntilIdle())._unsafeUnwrap();
  return (await client.requests.get(request.id))._unsafeUnwrap();
};

describe('createConcierge', () => {
  it('in memory: the in-process sandbox behind the ConciergeClient', async () => {
    const concierge = createConcierge({ mode: 'memory', seed: false })._unsafeUnwrap();
    expect(concierge.sandbox).toBeDefined();
    const finished = await payOne(concierge);
    expect(finished).toMatchObject({ state: 'finished', counters: { settled: 1 } });
  });

  it('over HTTP: the same calls against a sandbox server, switched by one option', async () => {
    const sandbox = createInMemoryConcierge({ seed: false, masterApiKey: 'sk_test_entry_point' });
    const app = createSandboxApp(sandbox, { rateLimit: 0, webhooks: false });
    const concierge = createConcierge({
      mode: 'http',
      baseUrl: 'http://sandbox.test',
      apiKey: 'sk_test_entry_point',
      rateLimit: 0,
      fetch: async (input, init) => app.fetch(new Request(input, init)),
    })._unsafeUnwrap();
    expect(concierge.sandbox).toBeUndefined();
    const finished = await payOne(concierge);
    expect(finished).toMatchObject({ state: 'finished', counters: { settled: 1 } });
    app.close();
  });

  it('logs every call through the given logger, without the API key', async () => {
    const logger = createRecordingLogger({ level: 'debug' });
    const concierge = createConcierge({
      mode: 'memory',
      seed: false,
      masterApiKey: 'sk_secret_key_1234',
      logger,
    })._unsafeUnwrap();
    await payOne(concierge);
    const text = JSON.stringify(logger.entries);
    expect(text).toContain('outputs.create');
    expect(text).not.toContain('sk_secret_key_1234');
  });

  it('refuses bad options naming the field', () => {
    const cases: [unknown, string][] = [
      [{ mode: 'cloud' }, 'mode'],
      [{ mode: 'http', baseUrl: 'not a url', apiKey: 'k' }, 'baseUrl'],
      [{ mode: 'http', baseUrl: 'ftp://x.example', apiKey: 'k' }, 'baseUrl'],
      [{ mode: 'http', baseUrl: 'https://api.example', apiKey: '' }, 'apiKey'],
      [{ mode: 'http', baseUrl: 'https://api.example', apiKey: 'k', retries: -1 }, 'retries'],
      [{ mode: 'memory', logger: 'console' }, 'logger'],
      [{ mode: 'memory', extra: true }, 'extra'],
    ];
    for (const [options, option] of cases) {
      const result = createConcierge(options as never);
      expect(result.isErr(), JSON.stringify(options)).toBe(true);
      if (result.isErr()) {
        expect(result.error).toMatchObject({ type: 'bad_request', code: 'invalid_config' });
        expect(result.error.field, JSON.stringify(options)).toEqual({ path: [option] });
      }
    }
  });
});
