import {
  createHttpConciergeClient,
  type HttpConciergeClientOptions,
  type RetryInfo,
} from '@concierge-ts/adapter-http';
import { createInMemoryConcierge, type InMemoryConcierge } from '@concierge-ts/adapter-memory';
import { allItems, type CreateOutputInput, mayHaveTakenEffect } from '@concierge-ts/application';
import { moneyText } from '@concierge-ts/domain';
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

  describe('a create whose outcome is unknown: said so, never sent again, never guessed', () => {
    const lost: [string, Fault, number][] = [
      ['the connection is reset after the server acted', { kind: 'commit_then_destroy' }, 1],
      ['the connection is reset after the request reached the server', { kind: 'destroy' }, 0],
      ['the answer is slower than the timeout', { kind: 'commit_then_stall', ms: 1_000 }, 1],
      ['the server gives up on the request when the client does', { kind: 'hold_until_client_leaves' }, 0],
    ];
    for (const [name, fault, made] of lost)
      it(`${name}: ${made === 1 ? 'the output exists' : 'nothing was made'}, and the client says it cannot know`, async () => {
        const { concierge, client, chaos, retries } = await setup([
          { method: 'POST', prefix: OUTPUTS, faults: [fault] },
        ]);
        const { request, input } = await draftWithOutput(concierge);
        const error = (await client.outputs.create(input))._unsafeUnwrapErr();
        assert(error.type === 'connection' || error.type === 'timeout');
        expect(error.outcome).toBe('unknown');
        expect(mayHaveTakenEffect(error)).toBe(true);
        await chaos.idle();
        expect((await outputsOf(concierge, request.id)).length).toBe(made);
        expect(chaos.count('POST', OUTPUTS)).toBe(1);
        // It does not look for a matching output to adopt: that would be a guess.
        expect(chaos.count('GET', OUTPUTS)).toBe(0);
        expect(retries).toEqual([]);
      });

    it('a 500 after the server acted: a server error that may have taken effect, not sent again', async () => {
      const { concierge, client, chaos } = await setup(
        [{ method: 'POST', prefix: OUTPUTS, faults: [{ kind: 'commit_then_answer', status: 500 }] }],
        { timeoutMs: 5_000 },
      );
      const { request, input } = await draftWithOutput(concierge);
      const error = (await client.outputs.create(input))._unsafeUnwrapErr();
      assert(error.type === 'server');
      expect(error.status).toBe(500);
      expect(mayHaveTakenEffect(error)).toBe(true);
      expect(chaos.count('POST', OUTPUTS)).toBe(1);
      expect((await outputsOf(concierge, request.id)).length).toBe(1);
    });

    it('a create delivered late, after the client timed out: one output, and the client said unknown', async () => {
      const { concierge, client, chaos } = await setup([
        { method: 'POST', prefix: OUTPUTS, faults: [{ kind: 'commit_after_client_leaves' }] },
      ]);
      const { request, input } = await draftWithOutput(concierge);
      const error = (await client.outputs.create(input))._unsafeUnwrapErr();
      assert(error.type === 'timeout');
      expect(error.outcome).toBe('unknown');
      // The client has answered; now the server acts on the request it held.
      await chaos.idle();
      const made = (await concierge.client.outputs.list({ requestId: request.id }))._unsafeUnwrap().items;
      expect(made.map((o) => [o.payeeId, o.portCode])).toEqual([[input.payeeId, 'cl_clp']]);
      expect(chaos.count('POST', OUTPUTS)).toBe(1);
    });

    const secondLost: [string, Fault][] = [
      ['after the server acted', { kind: 'commit_then_destroy' }],
      ['before the server acted', { kind: 'destroy' }],
    ];
    for (const [when, fault] of secondLost)
      for (const fresh of [false, true])
        it(`two identical creates, the second lost ${when} (${fresh ? 'a fresh client' : 'the same client'}): unknown, never the first output`, async () => {
          const { concierge, client, chaos } = await setup(
            [{ method: 'POST', prefix: OUTPUTS, faults: [{ kind: 'pass' }, fault] }],
            { timeoutMs: 5_000 },
          );
          const { request, input } = await draftWithOutput(concierge);
          const first = (await client.outputs.create(input))._unsafeUnwrap();
          const second = fresh
            ? createHttpConciergeClient({ baseUrl: chaos.url, apiKey: concierge.apiKey, rateLimit: 0 })
            : client;
          const result = await second.outputs.create(input);
          expect(result.isOk() ? result.value.id : null).toBeNull();
          const error = result._unsafeUnwrapErr();
          assert(error.type === 'connection');
          expect(error.outcome).toBe('unknown');
          const held = await outputsOf(concierge, request.id);
          expect(held[0]).toBe(first.id);
          expect(held.length).toBe(fault.kind === 'commit_then_destroy' ? 2 : 1);
          expect(chaos.count('POST', OUTPUTS)).toBe(2);
        });

    it('a create that never left (connection refused) is sent again, and says not_sent when it gives up', async () => {
      const { concierge, client, chaos, retries } = await setup([]);
      const { input } = await draftWithOutput(concierge);
      await chaos.close();
      const error = (await client.outputs.create(input))._unsafeUnwrapErr();
      assert(error.type === 'connection');
      expect(error.outcome).toBe('not_sent');
      expect(mayHaveTakenEffect(error)).toBe(false);
      expect(retries.map((r) => r.error.type)).toEqual(['connection', 'connection']);
    });

    it('a batch through a flaky connection never pays anyone twice, and each unknown is told', async () => {
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
      const { concierge, client, chaos } = await setup([{ method: 'POST', prefix: OUTPUTS, faults: flaky }], {
        retries: 4,
        timeoutMs: 5_000,
      });
      const { request, input, seeded } = await draftWithOutput(concierge);
      const payees = seeded.payees.filter((p) =>
        ['cl_clp', 'ar_ars', 'mx_mxn', 'uy_uyu'].includes(p.portCode),
      );
      const amounts: Record<string, number> = { cl_clp: 5000, ar_ars: 1000, mx_mxn: 100, uy_uyu: 500 };
      const answered: string[] = [];
      let unknown = 0;
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
        if (result.isOk()) answered.push(result.value.id);
        else {
          assert(result.error.type === 'connection');
          expect(result.error.outcome).toBe('unknown');
          unknown += 1;
        }
      }
      const held = (await concierge.client.outputs.list({ requestId: request.id }))._unsafeUnwrap().items;
      // Every row at most once: each row has its own amount.
      const rows = held.map((o) => `${o.portCode} ${o.amount === null ? '' : moneyText(o.amount)}`);
      expect(new Set(rows).size).toBe(rows.length);
      // What the client answered is there; the rest are exactly the creates the server acted on unseen.
      for (const id of answered) expect(held.map((o) => o.id)).toContain(id);
      const actedUnseen = chaos.seen.filter((s) => s.method === 'POST' && s.fault === 'commit_then_destroy');
      expect(held.length).toBe(answered.length + actedUnseen.length);
      expect(unknown).toBe(
        chaos.seen.filter((s) => s.method === 'POST' && s.fault !== 'pass' && s.fault !== 'answer').length,
      );
      expect(unknown).toBeGreaterThan(0);
    });
  });

  describe('other calls that are not idempotent', () => {
    it('a draft whose answer is lost is not sent again: unknown, and found by its external_id', async () => {
      const { concierge, client, chaos } = await setup(
        [{ method: 'POST', prefix: REQUESTS, faults: [{ kind: 'commit_then_destroy' }] }],
        { timeoutMs: 5_000 },
      );
      const payerId = concierge.seeded?.payerId ?? '';
      const error = (
        await client.requests.create({ portCode: 'ar_ars', payerId, externalId: 'batch-7' })
      )._unsafeUnwrapErr();
      assert(error.type === 'connection');
      expect(error.outcome).toBe('unknown');
      expect(chaos.count('POST', REQUESTS)).toBe(1);
      expect(chaos.count('GET', REQUESTS)).toBe(0);
      // Finding it is the integrator's move (a payout run reads by external_id before drafting again).
      const found = (await client.requests.list({ externalId: 'batch-7' }))._unsafeUnwrap().items;
      expect(found.map((r) => r.externalId)).toEqual(['batch-7']);
    });

    it('a user or an instruction whose answer is lost: unknown, not sent again', async () => {
      const { concierge, client, chaos } = await setup(
        [{ method: 'POST', prefix: '/api/users', faults: [{ kind: 'commit_then_destroy' }] }],
        { timeoutMs: 5_000 },
      );
      const error = (await client.users.create({ email: 'ana@example.com' }))._unsafeUnwrapErr();
      assert(error.type === 'connection');
      expect(error.outcome).toBe('unknown');
      expect(chaos.count('POST', '/api/users')).toBe(1);
      const users = (await allItems((page) => concierge.client.users.list({ page })))._unsafeUnwrap();
      expect(users.filter((u) => u.email === 'ana@example.com').length).toBe(1);
    });

    it('accept_quote whose answer is lost reports the accepted request, read from its state, not a 409', async () => {
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

    it('request_quote lost before the server acted: the draft state shows it, so it is sent again once', async () => {
      const { concierge, client, chaos } = await setup([
        { method: 'POST', prefix: REQUESTS, faults: [{ kind: 'destroy' }] },
      ]);
      const { request, input } = await draftWithOutput(concierge);
      (await concierge.client.outputs.create(input))._unsafeUnwrap();
      const quoting = (await client.requests.requestQuote(request.id))._unsafeUnwrap();
      expect(quoting.state).toBe('quote_requested');
      expect(chaos.count('POST', REQUESTS)).toBe(2);
    });
  });

  describe('connections', () => {
    it('a refused connection is a typed connection error that was not sent, retried', async () => {
      const { client, chaos, retries } = await setup([]);
      await chaos.close();
      const error = (await client.users.me())._unsafeUnwrapErr();
      assert(error.type === 'connection');
      expect(error.outcome).toBe('not_sent');
      expect(retries.length).toBe(2);
    });

    it('a timeout is typed, and may have reached the service', async () => {
      const { client } = await setup([
        { method: 'GET', prefix: ME, faults: [{ kind: 'commit_then_stall', ms: 2_000 }] },
      ]);
      const error = (await client.users.me({ retries: 0 }))._unsafeUnwrapErr();
      assert(error.type === 'timeout');
      expect(error.outcome).toBe('unknown');
    });

    it('an idempotent call keeps an earlier unknown outcome when a later attempt never left', async () => {
      const concierge = createInMemoryConcierge();
      const { request } = await draftWithOutput(concierge);
      const staller = await startChaosServer(
        createSandboxApp(concierge, { rateLimit: 0, webhooks: false }),
        faultsFor([
          { method: 'PATCH', prefix: REQUESTS, faults: [{ kind: 'commit_then_stall', ms: 2_000 }] },
        ]),
      );
      open.push(staller);
      const client = createHttpConciergeClient({
        baseUrl: staller.url,
        apiKey: concierge.apiKey,
        timeoutMs: 250,
        backoff: { initialMs: 5, maxMs: 20 },
        rateLimit: 0,
        retries: 1,
        // The first attempt timed out; the service is gone before the retry.
        onRetry: () => void staller.close(),
      });
      const error = (await client.requests.update(request.id, { externalId: 'renamed' }))._unsafeUnwrapErr();
      assert(error.type === 'connection');
      expect(error.outcome).toBe('unknown');
      expect((await concierge.client.requests.get(request.id))._unsafeUnwrap().externalId).toBe('renamed');
    });

    it('an aborted call stops at once with a typed error; sent or not, it says', async () => {
      const { client, chaos } = await setup([
        { method: 'GET', prefix: ME, faults: times(5, { kind: 'commit_then_stall', ms: 2_000 }) },
      ]);
      const controller = new AbortController();
      const pending = client.users.me({ signal: controller.signal, timeoutMs: 5_000 });
      setTimeout(() => controller.abort(), 20);
      expect((await pending)._unsafeUnwrapErr()).toMatchObject({
        type: 'connection',
        code: 'aborted',
        outcome: 'unknown',
      });
      const before = chaos.count('GET', ME);
      const early = client.users.me({ signal: AbortSignal.abort() });
      expect((await early)._unsafeUnwrapErr()).toMatchObject({
        type: 'connection',
        code: 'aborted',
        outcome: 'not_sent',
      });
      expect(chaos.count('GET', ME)).toBe(before);
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
