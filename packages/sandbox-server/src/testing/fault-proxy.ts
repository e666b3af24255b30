import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  FAULT_KINDS,
  type FaultKind,
  type FaultPlan,
  type FaultRule,
  type FaultSchedule,
  firstOf,
  type ProxyFault,
  type ProxyRequest,
  ruleFaults,
  scheduledFaults,
} from './fault-plan.js';

/** What became of one request through the proxy. */
export interface ProxyExchange extends ProxyRequest {
  /** The fault it got (`pass`: none). */
  readonly fault: FaultKind | 'pass';
  /** It reached the upstream, which may have acted on it. */
  readonly reachedUpstream: boolean;
  /** The upstream's status, once it answered. */
  readonly upstreamStatus: number | null;
  /**
   * What the client got: `answered` (a status, the upstream's or an injected one),
   * `reset`, `dropped` (closed without an answer), `left` (the client gave up first), or
   * `pending` while the proxy still handles it.
   */
  readonly client: 'answered' | 'reset' | 'dropped' | 'left' | 'pending';
  /** The status the client got, when it got one. */
  readonly status: number | null;
}

export interface FaultProxyOptions {
  /** Where requests go, e.g. the sandbox server's `http://127.0.0.1:4100`. */
  readonly upstream: string;
  /** Port on 127.0.0.1 (default 0: a free one). */
  readonly port?: number;
  /** Per-request rules, tried first (see `FaultRule`). */
  readonly rules?: readonly FaultRule[];
  /** A seeded schedule for the requests no rule decided. */
  readonly schedule?: FaultSchedule;
  /** A plan of one's own, asked after the rules and before the schedule. */
  readonly plan?: FaultPlan;
  /**
   * Told once the upstream has answered a forwarded request (it has acted), before
   * anything goes back to the client: the client gets nothing until this settles. A test
   * kills its process here to die "right after the request was sent".
   */
  readonly onForwarded?: (exchange: ProxyExchange) => void | Promise<void>;
  /** Longest time a `late` or `drop_answer` waits for the client to give up (default 30 s). */
  readonly maxHoldMs?: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: give it to the client instead of the upstream's URL. */
  readonly url: string;
  /** Faults injected so far, by kind. */
  counts(): Readonly<Record<FaultKind, number>>;
  /** Faults injected so far, every kind. */
  injected(): number;
  /** Every request so far, in arrival order. */
  exchanges(): readonly ProxyExchange[];
  /** Requests that reached the upstream. */
  forwarded(): number;
  /** `late` requests that reached the upstream (after their client gave up). */
  lateDelivered(): number;
  /** Resolves with the next exchange that reaches the upstream and matches, once the upstream answered. */
  nextForwarded(match?: (exchange: ProxyExchange) => boolean): Promise<ProxyExchange>;
  /** Resolves once every request received so far is handled (late ones delivered). */
  idle(): Promise<void>;
  /**
   * Stops listening, drops open connections, and waits for the requests in hand; a request
   * still held for a test's `until` is dropped, not forwarded.
   */
  close(): Promise<void>;
}

/** Headers that belong to one connection, never passed on (RFC 9110 section 7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);

const endToEnd = (headers: IncomingHttpHeaders): OutgoingHttpHeaders => {
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  return kept;
};

interface UpstreamAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

const errorDocument = (status: number, code: string, detail: string) =>
  JSON.stringify({ errors: [{ status: String(status), code, title: code.replaceAll('_', ' '), detail }] });

/**
 * A real HTTP proxy on loopback in front of a Concierge API (the sandbox server, or
 * anything that speaks it), injecting the faults real networks have, request by request,
 * by rules or a seeded schedule, and counting what it injected. Requests are read whole,
 * then forwarded with their method, path, query, headers and body; answers are relayed
 * whole. A fault that forwards (everything but `reset_before`, `rate_limited`,
 * `server_error`) lets the upstream act whatever the client then sees.
 */
export const startFaultProxy = async (options: FaultProxyOptions): Promise<FaultProxy> => {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true });
  const decide = firstOf(
    options.rules === undefined ? undefined : ruleFaults(options.rules),
    options.plan,
    options.schedule === undefined ? undefined : scheduledFaults(options.schedule),
  );
  const maxHoldMs = options.maxHoldMs ?? 30_000;
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const exchanges: { -readonly [K in keyof ProxyExchange]: ProxyExchange[K] }[] = [];
  const waiting = new Set<{
    readonly match: (e: ProxyExchange) => boolean;
    readonly resolve: (e: ProxyExchange) => void;
  }>();
  const handling = new Set<Promise<void>>();
  // Closing lets go of requests held for a test's signal: they are dropped, never forwarded.
  let closing = false;
  let letGo: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    letGo = resolve;
  });
  /** Waits for a test's signal; false when the proxy closed first. */
  const signalled = async (until: (() => Promise<unknown>) | undefined): Promise<boolean> => {
    if (until !== undefined) await Promise.race([until(), closed]);
    return !closing;
  };
  let arrivals = 0;
  let forwardedCount = 0;
  let lateCount = 0;

  const forward = (req: IncomingMessage, body: Buffer): Promise<UpstreamAnswer> =>
    new Promise((resolve, reject) => {
      const headers: OutgoingHttpHeaders = { ...endToEnd(req.headers), host: upstream.host };
      if (body.length > 0 || (req.method !== 'GET' && req.method !== 'HEAD'))
        headers['content-length'] = String(body.length);
      const outgoing = httpRequest(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers,
          agent,
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () =>
            resolve({
              status: answer.statusCode ?? 502,
              headers: answer.headers,
              body: Buffer.concat(chunks),
            }),
          );
          answer.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // The client leaving before the answer is complete: its timeout, or its death.
    let left = false;
    const gone = new Promise<void>((resolve) => {
      res.once('close', () => {
        if (!res.writableFinished) left = true;
        resolve();
      });
    });
    const body = await readBody(req).catch(() => null);
    arrivals += 1;
    const request: ProxyRequest = { n: arrivals, method: req.method ?? 'GET', path: req.url ?? '/' };
    const fault: ProxyFault = body === null ? { kind: 'pass' } : decide(request);
    const exchange: (typeof exchanges)[number] = {
      ...request,
      fault: fault.kind,
      reachedUpstream: false,
      upstreamStatus: null,
      client: 'pending',
      status: null,
    };
    exchanges.push(exchange);
    if (fault.kind !== 'pass') counts[fault.kind] += 1;
    if (body === null) {
      exchange.client = 'left';
      return;
    }

    const holdUntilClientLeaves = async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([gone, new Promise<void>((resolve) => (timer = setTimeout(resolve, maxHoldMs)))]);
      clearTimeout(timer);
    };
    const answer = (status: number, headers: OutgoingHttpHeaders, text: Buffer | string) => {
      if (left || res.destroyed || res.writableEnded) {
        exchange.client = 'left';
        return;
      }
      const bytes = typeof text === 'string' ? Buffer.from(text) : text;
      res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
      res.end(bytes);
      exchange.client = 'answered';
      exchange.status = status;
    };
    const reset = () => {
      exchange.client = left ? 'left' : 'reset';
      if (!req.socket.destroyed) req.socket.resetAndDestroy();
    };
    /** Forwards; null when the upstream could not be reached (the client then gets a 502). */
    const reach = async (): Promise<UpstreamAnswer | null> => {
      let got: UpstreamAnswer;
      try {
        got = await forward(req, body);
      } catch (thrown) {
        answer(
          502,
          { 'content-type': 'application/vnd.api+json' },
          errorDocument(
            502,
            'upstream_unreachable',
            thrown instanceof Error ? thrown.message : String(thrown),
          ),
        );
        return null;
      }
      exchange.reachedUpstream = true;
      exchange.upstreamStatus = got.status;
      forwardedCount += 1;
      for (const w of [...waiting])
        if (w.match(exchange)) {
          waiting.delete(w);
          w.resolve({ ...exchange });
        }
      await options.onForwarded?.({ ...exchange });
      return got;
    };
    const relay = (got: UpstreamAnswer) => answer(got.status, endToEnd(got.headers), got.body);

    switch (fault.kind) {
      case 'pass': {
        const got = await reach();
        if (got) relay(got);
        return;
      }
      case 'latency': {
        await sleep(fault.ms);
        if (!(await signalled(fault.until))) return reset();
        const got = await reach();
        if (got) relay(got);
        return;
      }
      case 'late': {
        await holdUntilClientLeaves();
        await sleep(fault.afterMs ?? 0);
        if (!(await signalled(fault.until))) return reset();
        const got = await reach();
        if (got) lateCount += 1;
        if (got) relay(got);
        return;
      }
      case 'drop_answer': {
        if (!(await reach())) return;
        await holdUntilClientLeaves();
        exchange.client = left ? 'left' : 'dropped';
        req.socket.destroy();
        return;
      }
      case 'reset_before':
        return reset();
      case 'reset_after':
        if (await reach()) reset();
        return;
      case 'rate_limited':
        return answer(
          429,
          { 'content-type': 'application/vnd.api+json', 'retry-after': String(fault.retryAfterSeconds) },
          errorDocument(429, 'rate_limited', 'too many requests (injected by the fault proxy)'),
        );
      case 'server_error':
        return answer(
          fault.status,
          { 'content-type': 'text/plain' },
          `${fault.status} (injected by the fault proxy)`,
        );
      case 'server_error_after':
        if (await reach())
          answer(
            fault.status,
            { 'content-type': 'text/plain' },
            `${fault.status} (injected after the upstream acted)`,
          );
        return;
      default: {
        const unreachable: never = fault;
        return unreachable;
      }
    }
  };

  const server = createServer((req, res) => {
    const handled = handle(req, res).catch(() => {
      // A socket that broke under us: nothing left to answer.
      if (!res.destroyed) res.destroy();
    });
    handling.add(handled);
    void handled.finally(() => handling.delete(handled));
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const idle = async () => {
    while (handling.size > 0) await Promise.allSettled([...handling]);
  };
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    injected: () => Object.values(counts).reduce((sum, n) => sum + n, 0),
    exchanges: () => exchanges.map((e) => ({ ...e })),
    forwarded: () => forwardedCount,
    lateDelivered: () => lateCount,
    nextForwarded: (match = () => true) =>
      new Promise((resolve) => {
        waiting.add({ match, resolve });
      }),
    idle,
    close: async () => {
      closing = true;
      letGo();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await idle();
      agent.destroy();
    },
  };
};
