import { webhookSignature } from '@concierge-ts/adapter-http';
import { createRecordingLogger } from '@concierge-ts/adapter-logging';
import { createInMemoryConcierge } from '@concierge-ts/adapter-memory';
import type { Logger, LogLevel } from '@concierge-ts/application';
import { describe, expect, it, vi } from 'vitest';
import {
  createSandboxApp,
  createSandboxLogger,
  type SandboxApp,
  type SandboxAppOptions,
} from '../src/index.js';

interface Line {
  readonly level: number;
  readonly msg?: string;
  readonly requestId?: string;
  readonly method?: string;
  readonly path?: string;
  readonly status?: number;
  readonly durationMs?: number;
  readonly request?: { headers?: Record<string, string>; query?: unknown; body?: unknown };
  readonly response?: { headers?: Record<string, string>; body?: unknown };
  readonly [field: string]: unknown;
}

const raise = (message: string): never => {
  throw new Error(message);
};

/** The sandbox with the logger of `pnpm sandbox` writing to a buffer. */
const setup = (level: LogLevel = 'info', options: SandboxAppOptions = {}) => {
  const concierge = createInMemoryConcierge();
  const text: string[] = [];
  const logger = createSandboxLogger({
    level,
    apiKey: concierge.apiKey,
    destination: { write: (line: string) => text.push(line) },
  });
  const app = createSandboxApp(concierge, { rateLimit: 0, webhooks: false, logger, ...options });
  const lines = (): Line[] =>
    text
      .join('')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  return { concierge, app, text, lines, seeded: concierge.seeded ?? raise('seeded sandbox expected') };
};

const call = async (
  app: SandboxApp,
  method: string,
  path: string,
  init: { key?: string; body?: string; headers?: Record<string, string> } = {},
) => {
  const headers = new Headers(init.headers);
  if (init.key !== undefined) headers.set('authorization', init.key);
  if (init.body !== undefined && !headers.has('content-type'))
    headers.set('content-type', 'application/json');
  const response = await app.fetch(
    new Request(`http://sandbox.test${path}`, {
      method,
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
    }),
  );
  await response.text();
  return { status: response.status, requestId: response.headers.get('x-request-id') };
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const instructionBody = (userId: string, body: Record<string, string>) =>
  JSON.stringify({
    data: {
      type: 'withdrawal_instructions',
      attributes: { label: 'main account', body },
      relationships: { user: { data: { type: 'users', id: userId } } },
    },
  });

describe('request logging', () => {
  it('writes one line per request: method, path, status, duration and request id', async () => {
    const { app, concierge, lines, seeded } = setup('info');
    const key = concierge.apiKey;
    const calls = [
      ['GET', '/api/concierge_ports', {}],
      ['GET', '/api/users/me?page[size]=1&api_key=secret_in_query', { key }],
      ['POST', '/api/withdrawal_instructions', { key, body: instructionBody(seeded.payerId, {}) }],
      ['GET', '/api/users/me', {}],
      ['GET', '/nowhere', {}],
      ['POST', '/api/concierge_requests', { key, body: '{not json' }],
      [
        'POST',
        '/api/concierge_requests',
        {
          key,
          body: JSON.stringify({
            data: {
              type: 'concierge_requests',
              attributes: { port_code: 'ar_ars' },
              relationships: { user: { data: { type: 'users', id: seeded.payerId } } },
            },
          }),
        },
      ],
    ] as const;
    const answers: Awaited<ReturnType<typeof call>>[] = [];
    for (const [method, path, init] of calls) answers.push(await call(app, method, path, init));
    // A parameter the endpoint does not take is refused (JSON:API), and logged like any refusal.
    expect(answers.map((a) => a.status)).toEqual([200, 400, 422, 401, 404, 400, 201]);

    const logged = lines();
    expect(logged).toHaveLength(calls.length);
    logged.forEach((line, i) => {
      const [method, path] = calls[i] ?? raise('call');
      const answer = answers[i] ?? raise('answer');
      expect(line).toMatchObject({
        name: 'sandbox',
        method,
        path: path.split('?')[0],
        status: answer.status,
        requestId: answer.requestId,
      });
      expect(line.requestId).toMatch(UUID);
      expect(typeof line.durationMs).toBe('number');
      expect(line.durationMs).toBeGreaterThanOrEqual(0);
      expect(typeof line.time).toBe('number');
      // Refusals at warn, the rest at info; no bodies below debug.
      expect(line.level).toBe(answer.status >= 400 ? 40 : 30);
      expect(line.msg).toBe('request completed');
      expect(line.request).toBeUndefined();
      expect(line.response).toBeUndefined();
    });
    expect(new Set(logged.map((l) => l.requestId)).size).toBe(calls.length);
    expect(JSON.stringify(logged)).not.toContain('secret_in_query');
  });

  it('logs a bug at error, with the request id on both lines', async () => {
    const { app, concierge, lines } = setup('info');
    concierge.service.authenticate = () => raise('boom at line 42');
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const answer = await call(app, 'GET', '/api/users/me', { key: concierge.apiKey });
      expect(answer.status).toBe(500);
      const logged = lines();
      expect(logged.map((l) => [l.level, l.msg])).toEqual([
        [50, 'sandbox: unexpected error'],
        [50, 'request failed'],
      ]);
      expect(logged.every((l) => l.requestId === answer.requestId)).toBe(true);
      expect(logged[0]?.error).toMatchObject({ type: 'Error', message: 'boom at line 42' });
      expect(logged[1]).toMatchObject({ status: 500, path: '/api/users/me' });
      // Reported through the logger, not the console.
      expect(error).not.toHaveBeenCalled();
    } finally {
      error.mockRestore();
    }
  });

  it('keeps a short safe X-Request-Id and replaces anything else', async () => {
    const { app, concierge, lines } = setup('info');
    const key = concierge.apiKey;
    const kept = await call(app, 'GET', '/api/concierge_ports', {
      headers: { 'x-request-id': 'trace-42.a:b_c' },
    });
    expect(kept.requestId).toBe('trace-42.a:b_c');
    for (const incoming of [
      'has spaces in it',
      'x'.repeat(65),
      '{"json":1}',
      'line\tbreak',
      '-leading-dash',
      key,
      `req-${key}`,
      key.slice(0, 24),
    ]) {
      const replaced = await call(app, 'GET', '/api/users/me', {
        key,
        headers: { 'x-request-id': incoming },
      });
      expect(replaced.requestId).toMatch(UUID);
    }
    const logged = lines();
    expect(logged[0]?.requestId).toBe('trace-42.a:b_c');
    expect(logged.slice(1).every((l) => UUID.test(l.requestId ?? ''))).toBe(true);
    expect(
      lines()
        .map((l) => JSON.stringify(l))
        .join('\n'),
    ).not.toContain(key.slice(0, 24));
  });

  it('at debug, adds the request and the response, redacted: headers, query, JSON bodies', async () => {
    const { app, concierge, lines, seeded } = setup('debug');
    const key = concierge.apiKey;
    const body = {
      payment_method: 'domestic_bank',
      country: 'AR',
      currency: 'ARS',
      cbu: '0170099220000067797370',
      cuit: '20123456786',
    };
    // The server refuses a parameter it does not know; the log still masks its value.
    const refused = await call(app, 'POST', '/api/withdrawal_instructions?api_key=in_the_query_123', {
      key,
      body: instructionBody(seeded.payerId, body),
    });
    expect(refused.status).toBe(400);
    const created = await call(app, 'POST', '/api/withdrawal_instructions', {
      key,
      body: instructionBody(seeded.payerId, body),
    });
    expect(created.status).toBe(201);
    const [first, line] = lines();
    expect(first).toMatchObject({
      level: 40,
      status: 400,
      request: {
        headers: { authorization: '[redacted]', 'content-type': 'application/json' },
        query: { api_key: '[redacted]' },
        body: { data: { attributes: { body: { cbu: '****7370', cuit: '****6786', country: 'AR' } } } },
      },
      response: { body: { errors: [{ code: 'invalid_parameter', source: { parameter: 'api_key' } }] } },
    });
    expect(line).toMatchObject({
      level: 30,
      status: 201,
      request: {
        headers: { authorization: '[redacted]', 'content-type': 'application/json' },
        body: { data: { attributes: { body: { cbu: '****7370', cuit: '****6786', country: 'AR' } } } },
      },
      response: {
        headers: { 'x-request-id': created.requestId },
        body: { data: { type: 'withdrawal_instructions', attributes: { body: { cbu: '****7370' } } } },
      },
    });
    const out = lines()
      .map((l) => JSON.stringify(l))
      .join('\n');
    for (const secret of [
      key,
      webhookSignature(key),
      '0170099220000067797370',
      '20123456786',
      'in_the_query_123',
    ])
      expect(out).not.toContain(secret);
  });

  it('never writes a body that is not JSON: free text has no keys to find account numbers by', async () => {
    const { app, concierge, lines } = setup('debug');
    await call(app, 'POST', '/api/users', {
      key: concierge.apiKey,
      body: '{"cbu": "0170099220000067797370", oops',
    });
    await call(app, 'POST', '/api/users', {
      key: concierge.apiKey,
      body: 'cbu=0170099220000067797370',
      headers: { 'content-type': 'text/plain' },
    });
    const logged = lines();
    expect(logged.map((l) => l.status)).toEqual([400, 415]);
    expect(logged[0]?.request?.body).toMatch(/not JSON, not logged/);
    expect(JSON.stringify(logged)).not.toContain('0170099220000067797370');
  });

  it('masks the keys of every master it has seen, in any text', async () => {
    const { app, concierge, lines } = setup('debug');
    const other = concierge.addMaster('other@example.com');
    // A careless integrator names a user after its key: structural rules cannot know.
    const answer = await call(app, 'POST', '/api/users', {
      key: other.apiKey,
      body: JSON.stringify({
        data: { type: 'users', attributes: { email: 'payee@example.com', name: `key ${other.apiKey}` } },
      }),
    });
    expect(answer.status).toBe(201);
    const out = lines()
      .map((l) => JSON.stringify(l))
      .join('\n');
    expect(out).toContain('key [redacted]');
    expect(out).not.toContain(other.apiKey);
  });

  it('logs each webhook attempt, without its WEBHOOK-AUTH', async () => {
    let n = 0;
    const sent: Headers[] = [];
    const { app, concierge, lines } = setup('debug', {
      webhooks: {
        initialDelayMs: 1,
        maxDelayMs: 2,
        fetch: async (_url, init) => {
          sent.push(new Headers(init.headers));
          n += 1;
          return new Response(null, { status: n === 1 ? 503 : 200 });
        },
      },
    });
    const key = concierge.apiKey;
    await call(app, 'PATCH', '/api/users/me', {
      key,
      body: JSON.stringify({
        data: { type: 'users', attributes: { webhook_url: 'https://hooks.example.com/in?token=abc123xyz' } },
      }),
    });
    (
      await concierge.client.requests.create({ portCode: 'ar_ars', payerId: concierge.seeded?.payerId ?? '' })
    )._unsafeUnwrap();
    await app.webhooks?.idle();
    app.close();
    const attempts = lines().filter((l) => l.op === 'webhook.deliver');
    expect(attempts.map((a) => [a.level, a.outcome, a.status, a.attempt])).toEqual([
      [40, 'retrying', 503, 1],
      [30, 'delivered', 200, 2],
    ]);
    expect(attempts[0]).toMatchObject({ msg: 'webhook retrying', eventType: expect.any(String) });
    expect(attempts[0]?.url).toMatch(/^https:\/\/hooks\.example\.com\/in\?token=\[redacted\]$/);
    expect(sent[0]?.get('webhook-auth')).toBe(webhookSignature(key));
    const out = lines()
      .map((l) => JSON.stringify(l))
      .join('\n');
    expect(out).not.toContain(webhookSignature(key));
    expect(out).not.toContain('abc123xyz');
  });

  it('is silent by default, and a throwing logger never breaks a request', async () => {
    const concierge = createInMemoryConcierge();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const quiet = createSandboxApp(concierge, { rateLimit: 0, webhooks: false });
      const answer = await call(quiet, 'GET', '/api/users/me', { key: concierge.apiKey });
      expect(answer.status).toBe(200);
      expect(answer.requestId).toMatch(UUID);
      expect(log).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
    const throwing = createRecordingLogger();
    const broken: Logger = {
      ...throwing,
      info: () => raise('logger down'),
      warn: () => raise('logger down'),
      child: () => broken,
    };
    const app = createSandboxApp(concierge, { rateLimit: 0, webhooks: false, logger: broken });
    expect((await call(app, 'GET', '/api/users/me', { key: concierge.apiKey })).status).toBe(200);
    expect((await call(app, 'GET', '/api/users/me')).status).toBe(401);
  });
});
