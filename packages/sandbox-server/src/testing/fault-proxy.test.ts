import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpConciergeClient } from '@concierge-ts/adapter-http';
import { createInMemoryConcierge } from '@concierge-ts/adapter-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandboxApp } from '../app.js';
import { listenOnLoopback } from '../listen.js';
import { FAULT_KINDS, type FaultKind, type ProxyFault, scheduledFaults } from './fault-plan.js';
import { type FaultProxyOptions, startFaultProxy } from './fault-proxy.js';

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Whether the test's client had already given up when the request arrived. */
  readonly clientGaveUp: boolean;
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

/** An upstream that records what reaches it and answers 201 with a JSON echo. */
const startUpstream = async () => {
  const received: Received[] = [];
  const state = { clientGaveUp: false };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        clientGaveUp: state.clientGaveUp,
      });
      res.writeHead(201, { 'content-type': 'application/vnd.api+json', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ data: { echo: body, n: received.length } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstream = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  open.push(upstream);
  return upstream;
};

const proxyFor = async (upstream: { url: string }, options: Omit<FaultProxyOptions, 'upstream'> = {}) => {
  const proxy = await startFaultProxy({ upstream: upstream.url, ...options });
  open.push(proxy);
  return proxy;
};

const only = (fault: ProxyFault) => ({ rules: [{ fault }] });

const post = (url: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${url}/api/things?x=1`, {
    method: 'POST',
    headers: { authorization: 'key-1', 'content-type': 'application/vnd.api+json' },
    body: JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });

/** What a fetch ended with: its status, or the error it failed with. */
type Settled =
  | { readonly status: number; readonly headers: Headers; readonly text: string }
  | { readonly error: Error };
const settle = async (call: Promise<Response>): Promise<Settled> => {
  try {
    const response = await call;
    return { status: response.status, headers: response.headers, text: await response.text() };
  } catch (thrown) {
    return { error: thrown as Error };
  }
};

const deferred = () => {
  let release = () => {};
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
};

/** Waits (turn by turn, no clock) until a condition holds. */
const eventually = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
};

/** A client's timeout without a timer: it gives up once the proxy holds its request. */
const giveUpOnceHeld = (proxy: { exchanges(): readonly unknown[] }) => {
  const controller = new AbortController();
  void eventually(() => proxy.exchanges().length > 0).then(() => controller.abort());
  return controller.signal;
};

describe('fault proxy', () => {
  it('passes a request through whole: method, path, query, headers, body, and the answer back', async () => {
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream);
    const got = await settle(post(proxy.url, { hello: 'world' }));
    expect(got).toMatchObject({ status: 201 });
    if (!('status' in got)) throw new Error('no answer');
    expect(got.headers.get('x-upstream')).toBe('yes');
    expect(JSON.parse(got.text)).toEqual({ data: { echo: '{"hello":"world"}', n: 1 } });
    expect(upstream.received).toHaveLength(1);
    expect(upstream.received[0]).toMatchObject({
      method: 'POST',
      path: '/api/things?x=1',
      body: '{"hello":"world"}',
    });
    expect(upstream.received[0]?.headers.authorization).toBe('key-1');
    expect(proxy.injected()).toBe(0);
    expect(proxy.forwarded()).toBe(1);
    expect(proxy.exchanges()).toEqual([
      {
        n: 1,
        method: 'POST',
        path: '/api/things?x=1',
        fault: 'pass',
        reachedUpstream: true,
        upstreamStatus: 201,
        client: 'answered',
        status: 201,
      },
    ]);
  });

  it('answers 502 when the upstream cannot be reached, and says it did not reach it', async () => {
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream);
    await upstream.close();
    const got = await settle(post(proxy.url, {}));
    expect(got).toMatchObject({ status: 502 });
    if (!('status' in got)) throw new Error('no answer');
    expect(JSON.parse(got.text).errors[0]).toMatchObject({ code: 'upstream_unreachable' });
    expect(proxy.exchanges()[0]).toMatchObject({ fault: 'pass', reachedUpstream: false, status: 502 });
    expect(proxy.forwarded()).toBe(0);
  });

  it('answers 429 with Retry-After without asking the upstream', async () => {
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream, only({ kind: 'rate_limited', retryAfterSeconds: 3 }));
    const got = await settle(post(proxy.url, {}));
    expect(got).toMatchObject({ status: 429 });
    if (!('status' in got)) throw new Error('no answer');
    expect(got.headers.get('retry-after')).toBe('3');
    expect(JSON.parse(got.text).errors[0]).toMatchObject({ status: '429', code: 'rate_limited' });
    expect(upstream.received).toHaveLength(0);
    expect(proxy.counts().rate_limited).toBe(1);
  });

  it('answers a 5xx before the upstream, or after it acted', async () => {
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream, {
      rules: [
        { nth: 1, fault: { kind: 'server_error', status: 503 } },
        { nth: 2, fault: { kind: 'server_error_after', status: 502 } },
      ],
    });
    expect(await settle(post(proxy.url, { a: 1 }))).toMatchObject({ status: 503 });
    expect(upstream.received).toHaveLength(0);
    expect(await settle(post(proxy.url, { a: 2 }))).toMatchObject({ status: 502 });
    expect(upstream.received.map((r) => r.body)).toEqual(['{"a":2}']);
    expect(proxy.counts()).toMatchObject({ server_error: 1, server_error_after: 1 });
  });

  it('resets the connection before the request reaches the upstream', async () => {
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream, only({ kind: 'reset_before' }));
    const got = await settle(post(proxy.url, {}));
    expect(got).toHaveProperty('error');
    expect(upstream.received).toHaveLength(0);
    expect(proxy.exchanges()[0]).toMatchObject({
      fault: 'reset_before',
      reachedUpstream: false,
      client: 'reset',
    });
  });

  it('resets the connection after the upstream acted', async () => {
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream, only({ kind: 'reset_after' }));
    const got = await settle(post(proxy.url, {}));
    expect(got).toHaveProperty('error');
    expect(upstream.received).toHaveLength(1);
    expect(proxy.exchanges()[0]).toMatchObject({
      fault: 'reset_after',
      reachedUpstream: true,
      client: 'reset',
    });
  });

  it('drops the answer after the upstream acted: the client waits until it gives up', async () => {
    const upstream = await startUpstream();
    const client = new AbortController();
    // The client gives up once the upstream has acted (its "timeout", without a timer).
    const proxy = await proxyFor(upstream, {
      ...only({ kind: 'drop_answer' }),
      onForwarded: () => client.abort(),
    });
    const got = await settle(post(proxy.url, {}, client.signal));
    expect(got).toHaveProperty('error');
    await proxy.idle();
    expect(upstream.received).toHaveLength(1);
    expect(proxy.exchanges()[0]).toMatchObject({
      fault: 'drop_answer',
      reachedUpstream: true,
      client: 'left',
    });
  });

  it('delivers a request late: only after its client gave up', async () => {
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream, only({ kind: 'late', afterMs: 10 }));
    const got = await settle(post(proxy.url, { late: true }, giveUpOnceHeld(proxy)));
    upstream.state.clientGaveUp = true;
    expect(got).toHaveProperty('error');
    await proxy.idle();
    expect(upstream.received).toHaveLength(1);
    expect(upstream.received[0]).toMatchObject({ body: '{"late":true}', clientGaveUp: true });
    expect(proxy.lateDelivered()).toBe(1);
    expect(proxy.exchanges()[0]).toMatchObject({ fault: 'late', reachedUpstream: true, client: 'left' });
  });

  it('holds a late request until the test releases it', async () => {
    const upstream = await startUpstream();
    const gate = deferred();
    const proxy = await proxyFor(upstream, only({ kind: 'late', until: () => gate.promise }));
    expect(await settle(post(proxy.url, {}, giveUpOnceHeld(proxy)))).toHaveProperty('error');
    // Whatever the proxy has done since the client left, the gate is shut: nothing went on.
    expect(upstream.received).toHaveLength(0);
    gate.release();
    await proxy.idle();
    expect(upstream.received).toHaveLength(1);
  });

  it('drops, on close, a request still held for a signal that never came', async () => {
    const upstream = await startUpstream();
    const proxy = await startFaultProxy({
      upstream: upstream.url,
      rules: [{ fault: { kind: 'late', until: () => new Promise(() => {}) } }],
    });
    expect(await settle(post(proxy.url, {}, giveUpOnceHeld(proxy)))).toHaveProperty('error');
    await proxy.close();
    expect(upstream.received).toHaveLength(0);
    expect(proxy.exchanges()[0]).toMatchObject({ fault: 'late', reachedUpstream: false });
  });

  it('adds latency, and can hold a request until released, then answers it', async () => {
    const upstream = await startUpstream();
    const gate = deferred();
    const proxy = await proxyFor(upstream, {
      rules: [
        { nth: 1, fault: { kind: 'latency', ms: 5 } },
        { nth: 2, fault: { kind: 'latency', ms: 0, until: () => gate.promise } },
      ],
    });
    expect(await settle(post(proxy.url, { n: 1 }))).toMatchObject({ status: 201 });
    const held = settle(post(proxy.url, { n: 2 }));
    await eventually(() => proxy.exchanges().length === 2);
    expect(upstream.received.map((r) => r.body)).toEqual(['{"n":1}']);
    gate.release();
    expect(await held).toMatchObject({ status: 201 });
    expect(upstream.received.map((r) => r.body)).toEqual(['{"n":1}', '{"n":2}']);
    expect(proxy.counts().latency).toBe(2);
  });

  it('tells the test once the upstream acted, before the client gets anything', async () => {
    const upstream = await startUpstream();
    let answered = false;
    let answeredWhenTold: boolean | null = null;
    const proxy = await proxyFor(upstream, {
      onForwarded: async (exchange) => {
        expect(exchange).toMatchObject({ reachedUpstream: true, upstreamStatus: 201, client: 'pending' });
        await new Promise((resolve) => setImmediate(resolve));
        answeredWhenTold = answered;
      },
    });
    const next = proxy.nextForwarded((e) => e.method === 'POST');
    await post(proxy.url, { x: 1 }).then(() => {
      answered = true;
    });
    expect(answeredWhenTold).toBe(false);
    expect(await next).toMatchObject({ n: 1, method: 'POST', reachedUpstream: true });
  });

  it('applies rules to the n-th matching request, by method and path prefix or pattern', async () => {
    const upstream = await startUpstream();
    const proxy = await proxyFor(upstream, {
      rules: [
        {
          method: 'POST',
          path: '/api/things',
          nth: [2, 3],
          fault: { kind: 'rate_limited', retryAfterSeconds: 0 },
        },
        { path: /x=1$/, nth: 4, fault: { kind: 'server_error', status: 500 } },
      ],
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const got = await settle(post(proxy.url, { i }));
      statuses.push('status' in got ? got.status : 0);
    }
    const read = await fetch(`${proxy.url}/api/things`);
    expect(statuses).toEqual([201, 429, 429, 500, 201]);
    expect(read.status).toBe(201);
    expect(proxy.counts()).toMatchObject({ rate_limited: 2, server_error: 1 });
  });

  it('drives the project client into its documented outcomes in front of the sandbox server', async () => {
    const concierge = createInMemoryConcierge();
    const seeded = concierge.seeded;
    if (!seeded) throw new Error('seeded sandbox expected');
    const app = createSandboxApp(concierge, { rateLimit: 0, webhooks: false });
    const sandbox = await listenOnLoopback(app);
    open.push({
      close: async () => {
        app.close();
        await sandbox.close();
      },
    });
    const outputs = '/api/concierge_request_outputs';
    const proxy = await proxyFor(sandbox, {
      rules: [
        { method: 'POST', path: outputs, nth: 1, fault: { kind: 'reset_before' } },
        { method: 'POST', path: outputs, nth: 2, fault: { kind: 'late', afterMs: 0 } },
      ],
    });
    const client = createHttpConciergeClient({
      baseUrl: proxy.url,
      apiKey: concierge.apiKey,
      timeoutMs: 150,
      rateLimit: 0,
    });
    const request = (
      await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
    )._unsafeUnwrap();
    const payee = seeded.payees.find((p) => p.portCode === 'cl_clp');
    if (!payee) throw new Error('cl_clp payee expected');
    const input = {
      requestId: request.id,
      payeeId: payee.userId,
      withdrawalInstructionId: payee.withdrawalInstructionId,
      portCode: 'cl_clp',
      amount: 5000,
    };
    const count = async () =>
      (await concierge.client.outputs.list({ requestId: request.id }))._unsafeUnwrap().items.length;
    // Reset before the service: nothing made; the client cannot know, so it says "unknown".
    expect((await client.outputs.create(input))._unsafeUnwrapErr()).toMatchObject({
      type: 'connection',
      outcome: 'unknown',
    });
    expect(await count()).toBe(0);
    // Late: the client times out; the create lands afterwards.
    expect((await client.outputs.create(input))._unsafeUnwrapErr()).toMatchObject({
      type: 'timeout',
      outcome: 'unknown',
    });
    await proxy.idle();
    expect(await count()).toBe(1);
    expect(proxy.lateDelivered()).toBe(1);
  });
});

describe('seeded fault schedule', () => {
  const kindsOf = (
    seed: number,
    n: number,
    chances = { late: 0.1, reset_before: 0.1, rate_limited: 0.1 },
  ) => {
    const plan = scheduledFaults({ seed, chances, stormLength: [1, 4] });
    return Array.from(
      { length: n },
      (_, i) => plan({ n: i + 1, method: 'POST', path: '/api/x' })?.kind ?? 'pass',
    );
  };

  it('gives the same faults for the same seed, other faults for another', () => {
    expect(kindsOf(7, 500)).toEqual(kindsOf(7, 500));
    expect(kindsOf(7, 500)).not.toEqual(kindsOf(8, 500));
  });

  it('draws each kind about as often as asked', () => {
    const plan = scheduledFaults({ seed: 42, chances: { drop_answer: 0.2, reset_after: 0.05 } });
    const drawn = Array.from({ length: 20_000 }, (_, i) => plan({ n: i, method: 'GET', path: '/' })?.kind);
    const share = (k: FaultKind) => drawn.filter((d) => d === k).length / drawn.length;
    expect(share('drop_answer')).toBeGreaterThan(0.18);
    expect(share('drop_answer')).toBeLessThan(0.22);
    expect(share('reset_after')).toBeGreaterThan(0.04);
    expect(share('reset_after')).toBeLessThan(0.06);
    expect(drawn.filter((d) => d === undefined).length / drawn.length).toBeGreaterThan(0.72);
  });

  it('makes storms: a drawn 429 or 5xx repeats for the storm length', () => {
    const plan = scheduledFaults({ seed: 3, chances: { rate_limited: 0.05 }, stormLength: [3, 3] });
    const drawn = Array.from(
      { length: 5_000 },
      (_, i) => plan({ n: i, method: 'GET', path: '/' })?.kind ?? 'pass',
    );
    const runs: number[] = [];
    let run = 0;
    for (const kind of [...drawn, 'pass']) {
      if (kind === 'rate_limited') run += 1;
      else if (run > 0) {
        runs.push(run);
        run = 0;
      }
    }
    expect(runs.length).toBeGreaterThan(20);
    // Storms of three, end to end when a new one starts as the last ends.
    for (const length of runs) expect(length % 3).toBe(0);
  });

  it('leaves alone the requests it does not apply to, and refuses chances over 1', () => {
    const plan = scheduledFaults({
      seed: 1,
      chances: { server_error: 1 },
      appliesTo: (r) => r.method === 'POST',
    });
    expect(plan({ n: 1, method: 'GET', path: '/' })).toBeUndefined();
    expect(plan({ n: 2, method: 'POST', path: '/' })?.kind).toBe('server_error');
    expect(() => scheduledFaults({ seed: 1, chances: { late: 0.6, reset_after: 0.6 } })).toThrow(RangeError);
    expect(FAULT_KINDS).toHaveLength(8);
  });
});
