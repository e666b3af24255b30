import {
  createHttpConciergeClient,
  type HttpConciergeClientOptions,
  type RetryInfo,
} from '@concierge-ts/adapter-http';
import { createInMemoryConcierge, type InMemoryConcierge } from '@concierge-ts/adapter-memory';
import type { CreateOutputInput } from '@concierge-ts/application';
import { afterEach, assert, describe, expect, it } from 'vitest';
import { createSandboxApp } from '../src/index.js';
import { type Fault, faultsFor, startChaosServer } from './chaos-server.js';

const OUTPUTS = '/api/concierge_request_outputs';
const REQUESTS = '/api/concierge_requests';
const ME = '/api/users/me';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const server of open.splice(0)) await server.close();
});

/** A seeded sandbox behind a chaos server, and an HTTP client with small timeouts. */
const setup = async (
  routes: Parameters<typeof faultsFor>[0],
  options: Partial<HttpConciergeClientOptions> = {},
) => {
  const concierge = createInMemoryConcierge();
  const app = createSandboxApp(concierge, { rateLimit: 0, webhooks: false });
  const chaos = await startChaosServer(app, faultsFor(routes));
  open.push(chaos);
  const retries: RetryInfo[] = [];
  const client = createHttpConciergeClient({
    baseUrl: chaos.url,
    apiKey: concierge.apiKey,
    timeoutMs: 250,
    backoff: { initialMs: 5, maxMs: 20 },
    rateLimit: 0,
    onRetry: (r) => retries.push(r),
    ...options,
  });
  return { concierge, chaos, client, retries };
};

/** A draft request (made in-process, outside the chaos) and an output to add to it. */
const draftWithOutput = async (concierge: InMemoryConcierge, externalId?: string) => {
  const seeded = concierge.seeded;
  if (!seeded) throw new Error('seeded sandbox expected');
  const request = (
    await concierge.client.requests.create({
      portCode: 'ar_ars',
      payerId: seeded.payerId,
      ...(externalId === undefined ? {} : { externalId }),
    })
  )._unsafeUnwrap();
  const payee = seeded.payees.find((p) => p.portCode === 'cl_clp');
  if (!payee) throw new Error('cl_clp payee expected');
  const input: CreateOutputInput = {
    requestId: request.id,
    payeeId: payee.userId,
    withdrawalInstructionId: payee.withdrawalInstructionId,
    portCode: 'cl_clp',
    amount: 5000,
  };
  return { request, input, seeded };
};

const outputsOf = async (concierge: InMemoryConcierge, requestId: string) =>
  (await concierge.client.outputs.list({ requestId })).map((p) => p.items.map((o) => o.id))._unsafeUnwrap();

const times = (n: number, fault: Fault): Fault[] => Array.from({ length: n }, () => fault);
const rateLimited = (retryAfter: string): Fault => ({
  kind: 'answer',
  status: 429,
  headers: { 'retry-after': retryAfter },
});

describe('HTTP client against a misbehaving server', () => {
  describe('429 storms', () => {
    it('waits as Retry-After says and gets through', async () => {
      const { client, chaos, retries } = await setup(
        [{ method: 'GET', prefix: ME, faults: times(3, rateLimited('0.01')) }],
        { retries: 3 },
      );
      const me = await client.users.me();
      expect(me.isOk()).toBe(true);
      expect(chaos.count('GET', ME)).toBe(4);
      expect(retries.map((r) => r.error.type)).toEqual(['rate_limited', 'rate_limited', 'rate_limited']);
      for (const r of retries) expect(r.delayMs).toBeGreaterThanOrEqual(10);
    });

    it('gives up with a typed rate_limited error carrying Retry-After once retries run out', async () => {
      const { client, chaos } = await setup([
        { method: 'GET', prefix: ME, faults: times(10, rateLimited('0')) },
      ]);
      const refused = (await client.users.me())._unsafeUnwrapErr();
      expect(refused).toMatchObject({ type: 'rate_limited', status: 429, retryAfterMs: 0 });
      expect(chaos.count('GET', ME)).toBe(3);
    });

    it('does not wait past 60 s: a longer Retry-After is handed to the caller', async () => {
      const { client, chaos } = await setup([{ method: 'GET', prefix: ME, faults: [rateLimited('120')] }]);
      expect((await client.users.me())._unsafeUnwrapErr()).toMatchObject({
        type: 'rate_limited',
        retryAfterMs: 120_000,
      });
      expect(chaos.count('GET', ME)).toBe(1);
    });

    it('retries a POST refused with 429: nothing was done', async () => {
      const { concierge, client, chaos } = await setup([
        { method: 'POST', prefix: OUTPUTS, faults: [rateLimited('0')] },
      ]);
      const { request, input } = await draftWithOutput(concierge);
      const created = (await client.outputs.create(input))._unsafeUnwrap();
      expect(await outputsOf(concierge, request.id)).toEqual([created.id]);
      expect(chaos.count('POST', OUTPUTS)).toBe(2);
      expect(chaos.count('GET', OUTPUTS)).toBe(0);
    });
  });

  describe('server errors', () => {
    it('retries 500s and succeeds', async () => {
      const { client, chaos } = await setup([
        { method: 'GET', prefix: ME, faults: times(2, { kind: 'answer', status: 500 }) },
      ]);
      expect((await client.users.me()).isOk()).toBe(true);
      expect(chaos.count('GET', ME)).toBe(3);
    });

    it('returns a typed server error after the last retry, even for a non-JSON page', async () => {
      const { client } = await setup([
        { method: 'GET', prefix: ME, faults: times(3, { kind: 'commit_then_answer', status: 502 }) },
      ]);
      expect((await client.users.me())._unsafeUnwrapErr()).toMatchObject({ type: 'server', status: 502 });
    });

    it('never retries a refusal: 4xx come back at once', async () => {
      const { client, chaos } = await setup([]);
      expect((await client.requests.get('999'))._unsafeUnwrapErr()).toMatchObject({ type: 'not_found' });
      expect(chaos.count('GET', REQUESTS)).toBe(1);
    });
  });

  describe('answers slower than the timeout', () => {
    it('times out with a typed error after its retries', async () => {
      const { client, chaos, retries } = await setup(
        [{ method: 'GET', prefix: ME, faults: times(5, { kind: 'commit_then_stall', ms: 2_000 }) }],
        { retries: 1 },
      );
      expect((await client.users.me())._unsafeUnwrapErr()).toMatchObject({
        type: 'timeout',
        code: 'timeout',
      });
      // Counted on the client: under load an attempt may time out before reaching the server.
      expect(retries.map((r) => r.error.type)).toEqual(['timeout']);
      expect(chaos.count('GET', ME)).toBeLessThanOrEqual(2);
    });

    it('retries a slow read and gets the answer', async () => {
      const { client } = await setup([
        { method: 'GET', prefix: ME, faults: [{ kind: 'commit_then_stall', ms: 2_000 }] },
      ]);
      expect((await client.users.me()).isOk()).toBe(true);
    });

    it('honours a per-call timeout and retry count', async () => {
      const { client, chaos, retries } = await setup([
        { method: 'GET', prefix: ME, faults: times(5, { kind: 'commit_then_stall', ms: 2_000 }) },
      ]);
      expect((await client.users.me({ timeoutMs: 100, retries: 0 }))._unsafeUnwrapErr().type).toBe('timeout');
      expect(retries).toEqual([]);
      expect(chaos.count('GET', ME)).toBeLessThanOrEqual(1);
    });
  });

  describe('creating outputs when the answer is lost: no duplicate, no lost output', () => {
    const cases: [string, Fault][] = [
      ['connection destroyed after the server committed', { kind: 'commit_then_destroy' }],
      ['a 500 after the server committed', { kind: 'commit_then_answer', status: 500 }],
      ['an answer slower than the timeout', { kind: 'commit_then_stall', ms: 2_000 }],
    ];
    for (const [name, fault] of cases)
      it(`${name}: finds the output instead of sending again`, async () => {
        const { concierge, client, chaos } = await setup([
          { method: 'POST', prefix: OUTPUTS, faults: [fault] },
        ]);
        const { request, input } = await draftWithOutput(concierge);
        const created = (await client.outputs.create(input))._unsafeUnwrap();
        expect(await outputsOf(concierge, request.id)).toEqual([created.id]);
        expect(created).toMatchObject({ payeeId: input.payeeId, portCode: 'cl_clp', requestId: request.id });
        expect(chaos.count('POST', OUTPUTS)).toBe(1);
        expect(chaos.count('GET', OUTPUTS)).toBeGreaterThanOrEqual(1);
      });

    it('connection destroyed before the server acted: checks, then sends again, once', async () => {
      const { concierge, client, chaos } = await setup([
        { method: 'POST', prefix: OUTPUTS, faults: [{ kind: 'destroy' }] },
      ]);
      const { request, input } = await draftWithOutput(concierge);
      const created = (await client.outputs.create(input))._unsafeUnwrap();
      expect(await outputsOf(concierge, request.id)).toEqual([created.id]);
      expect(chaos.count('POST', OUTPUTS)).toBe(2);
    });

    it('a server that gives up on a slow request: sends again once it knows nothing was made', async () => {
      const { concierge, client, chaos } = await setup([
        { method: 'POST', prefix: OUTPUTS, faults: [{ kind: 'hold_until_client_leaves' }] },
      ]);
      const { request, input } = await draftWithOutput(concierge);
      const created = (await client.outputs.create(input))._unsafeUnwrap();
      expect(await outputsOf(concierge, request.id)).toEqual([created.id]);
      expect(chaos.count('POST', OUTPUTS)).toBe(2);
    });

    it('an identical output the client already knows is not mistaken for the lost one', async () => {
      const { concierge, client } = await setup([
        { method: 'POST', prefix: OUTPUTS, faults: [{ kind: 'pass' }, { kind: 'destroy' }] },
      ]);
      const { request, input } = await draftWithOutput(concierge);
      const first = (await client.outputs.create(input))._unsafeUnwrap();
      const second = (await client.outputs.create(input))._unsafeUnwrap();
      expect(second.id).not.toBe(first.id);
      expect(await outputsOf(concierge, request.id)).toEqual([first.id, second.id]);
    });

    it('…and the lost one is found next to the known one', async () => {
      const { concierge, client, chaos } = await setup([
        { method: 'POST', prefix: OUTPUTS, faults: [{ kind: 'pass' }, { kind: 'commit_then_destroy' }] },
      ]);
      const { request, input } = await draftWithOutput(concierge);
      const first = (await client.outputs.create(input))._unsafeUnwrap();
      const second = (await client.outputs.create(input))._unsafeUnwrap();
      expect(await outputsOf(concierge, request.id)).toEqual([first.id, second.id]);
      expect(chaos.count('POST', OUTPUTS)).toBe(2);
    });

    it('when the check fails too, says the outcome is unknown and does not send again', async () => {
      const { concierge, client, chaos } = await setup([
        { method: 'POST', prefix: OUTPUTS, faults: [{ kind: 'commit_then_destroy' }] },
        { method: 'GET', prefix: OUTPUTS, faults: times(10, { kind: 'answer', status: 503 }) },
      ]);
      const { request, input } = await draftWithOutput(concierge);
      const error = (await client.outputs.create(input))._unsafeUnwrapErr();
      expect(error).toMatchObject({ type: 'connection', outcome: 'unknown' });
      expect(chaos.count('POST', OUTPUTS)).toBe(1);
      expect((await outputsOf(concierge, request.id)).length).toBe(1);
    });

    it('a batch through a flaky connection pays everyone exactly once', async () => {
      const flaky: Fault[] = [];
      for (let i = 0; i < 40; i += 1)
        flaky.push(
          i % 4 === 1
            ? { kind: 'commit_then_destroy' }
            : i % 4 === 3
              ? { kind: 'destroy' }
              : i % 7 === 0
                ? rateLimited('0')
                : { kind: 'pass' },
        );
      const { concierge, client } = await setup([{ method: 'POST', prefix: OUTPUTS, faults: flaky }], {
        retries: 4,
      });
      const { request, input, seeded } = await draftWithOutput(concierge);
      const payees = seeded.payees.filter((p) =>
        ['cl_clp', 'ar_ars', 'mx_mxn', 'uy_uyu'].includes(p.portCode),
      );
      const amounts: Record<string, number> = { cl_clp: 5000, ar_ars: 1000, mx_mxn: 100, uy_uyu: 500 };
      const created: string[] = [];
      for (let i = 0; i < 12; i += 1) {
        const payee = payees[i % payees.length];
        if (!payee) throw new Error('payee expected');
        const result = await client.outputs.create({
          ...input,
          payeeId: payee.userId,
          withdrawalInstructionId: payee.withdrawalInstructionId,
          portCode: payee.portCode,
          amount: (amounts[payee.portCode] ?? 100) + i,
        });
        created.push(result._unsafeUnwrap().id);
      }
      expect(await outputsOf(concierge, request.id)).toEqual(created);
    });
  });

  describe('other calls that are not idempotent', () => {
    it('a draft with an external_id is found again after a lost answer', async () => {
      const { concierge, client, chaos } = await setup([
        { method: 'POST', prefix: REQUESTS, faults: [{ kind: 'commit_then_destroy' }] },
      ]);
      const payerId = concierge.seeded?.payerId ?? '';
      const draft = (
        await client.requests.create({ portCode: 'ar_ars', payerId, externalId: 'batch-7' })
      )._unsafeUnwrap();
      const all = (await concierge.client.requests.list({ externalId: 'batch-7' }))._unsafeUnwrap().items;
      expect(all.map((r) => r.id)).toEqual([draft.id]);
      expect(chaos.count('POST', REQUESTS)).toBe(1);
    });

    it('a draft without an external_id is not sent again: the caller gets a typed error', async () => {
      const { concierge, client, chaos } = await setup([
        { method: 'POST', prefix: REQUESTS, faults: [{ kind: 'commit_then_destroy' }] },
      ]);
      const payerId = concierge.seeded?.payerId ?? '';
      const error = (await client.requests.create({ portCode: 'ar_ars', payerId }))._unsafeUnwrapErr();
      expect(error).toMatchObject({ type: 'connection' });
      expect(chaos.count('POST', REQUESTS)).toBe(1);
    });

    it('accept_quote whose answer is lost reports the accepted request, not a 409', async () => {
      const { concierge, client, chaos } = await setup([
        { method: 'POST', prefix: REQUESTS, faults: [{ kind: 'commit_then_destroy' }] },
      ]);
      const { request, input } = await draftWithOutput(concierge);
      (await concierge.client.outputs.create(input))._unsafeUnwrap();
      (await concierge.client.requests.requestQuote(request.id))._unsafeUnwrap();
      (await concierge.operator.advanceClock(1))._unsafeUnwrap();
      const accepted = (await client.requests.acceptQuote(request.id))._unsafeUnwrap();
      expect(['quote_accepted', 'working', 'finished']).toContain(accepted.state);
      expect(chaos.count('POST', REQUESTS)).toBe(1);
    });
  });

  describe('connections', () => {
    it('a refused connection is a typed connection error, retried', async () => {
      const { client, chaos, retries } = await setup([]);
      await chaos.close();
      const error = (await client.users.me())._unsafeUnwrapErr();
      expect(error.type).toBe('connection');
      expect(retries.length).toBe(2);
    });

    it('an aborted call stops at once with a typed error', async () => {
      const { client } = await setup([
        { method: 'GET', prefix: ME, faults: times(5, { kind: 'commit_then_stall', ms: 2_000 }) },
      ]);
      const controller = new AbortController();
      const pending = client.users.me({ signal: controller.signal, timeoutMs: 5_000 });
      setTimeout(() => controller.abort(), 20);
      expect((await pending)._unsafeUnwrapErr()).toMatchObject({ type: 'connection', code: 'aborted' });
    });
  });

  describe('client-side rate limit', () => {
    it('keeps a well-behaved integrator under the server limit: no 429 at all', async () => {
      const concierge = createInMemoryConcierge();
      const app = createSandboxApp(concierge, { rateLimit: 20, webhooks: false });
      const chaos = await startChaosServer(app);
      open.push(chaos);
      const retries: RetryInfo[] = [];
      const client = createHttpConciergeClient({
        baseUrl: chaos.url,
        apiKey: concierge.apiKey,
        rateLimit: 20,
        onRetry: (r) => retries.push(r),
      });
      const calls = await Promise.all(Array.from({ length: 30 }, () => client.users.me()));
      expect(calls.every((c) => c.isOk())).toBe(true);
      expect(retries).toEqual([]);
    });

    it('without it, the same burst meets the server limit (429 with Retry-After)', async () => {
      const concierge = createInMemoryConcierge();
      const app = createSandboxApp(concierge, { rateLimit: 20, webhooks: false });
      const chaos = await startChaosServer(app);
      open.push(chaos);
      const client = createHttpConciergeClient({
        baseUrl: chaos.url,
        apiKey: concierge.apiKey,
        rateLimit: 0,
        retries: 0,
      });
      const calls = await Promise.all(Array.from({ length: 60 }, () => client.users.me()));
      const limited = calls.filter((c) => c.isErr()).map((c) => c._unsafeUnwrapErr());
      expect(limited.length).toBeGreaterThan(0);
      for (const error of limited) expect(error).toMatchObject({ type: 'rate_limited', status: 429 });
      const first = limited[0];
      assert(first?.type === 'rate_limited');
      expect(first.retryAfterMs).toBeGreaterThan(0);
    });
  });
});
