import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../src/index.js';

/**
 * Tenants (SPEC section 9) over real HTTP on loopback, as two test suites sharing one
 * `pnpm sandbox` would meet them: a second master made with POST /sandbox/masters can
 * neither read nor change the first one's data, clock or events, and a restarted server
 * hands out no id it gave before.
 */
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

const start = async (env: Record<string, string> = {}) => {
  const started = await startSandbox({
    env: { PORT: '0', CONCIERGE_SANDBOX_RATE_LIMIT: '0', CONCIERGE_LOG_LEVEL: 'silent', ...env },
    print: () => {},
  });
  if (started.isErr()) throw new Error(started.error.message);
  stops.push(() => started.value.close());
  return started.value;
};

const http = (base: string) => async (method: string, path: string, key: string, body?: unknown) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: key,
      ...(body === undefined ? {} : { 'content-type': 'application/vnd.api+json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
};

const receiver = async () => {
  const bodies: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stops.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
};

describe('tenants on one sandbox server', () => {
  it("a second master neither reads nor changes the first one's data, clock or events", async () => {
    const sandbox = await start();
    const call = http(sandbox.url);
    const first = sandbox.concierge.apiKey;
    const made = await call('POST', '/sandbox/masters', first, { email: 'second@example.com' });
    expect(made.status).toBe(201);
    const second = made.json.api_key as string;
    expect(second).not.toBe(first);
    expect(made.json.id).not.toBe(sandbox.concierge.id);

    // The first master's world: a webhook receiver, a draft with an output.
    const hook = await receiver();
    await call('PATCH', '/api/users/me', first, {
      data: { type: 'users', attributes: { webhook_url: hook.url } },
    });
    const seeded = sandbox.concierge.seeded;
    if (!seeded) throw new Error('seeded');
    const payee = seeded.payees.find((p) => p.portCode === 'cl_clp');
    if (!payee) throw new Error('payee');
    const request = await call('POST', '/api/concierge_requests', first, {
      data: {
        type: 'concierge_requests',
        attributes: { port_code: 'ar_ars' },
        relationships: { user: { data: { type: 'users', id: seeded.payerId } } },
      },
    });
    const requestId = request.json.data.id as string;
    const output = await call('POST', '/api/concierge_request_outputs', first, {
      data: {
        type: 'concierge_request_outputs',
        attributes: { port_code: 'cl_clp', amount: 5000 },
        relationships: {
          request: { data: { type: 'concierge_requests', id: requestId } },
          user: { data: { type: 'users', id: payee.userId } },
          withdrawal_instruction: {
            data: { type: 'withdrawal_instructions', id: payee.withdrawalInstructionId },
          },
        },
      },
    });
    expect(output.json.data.attributes.state).toBe('accepting');
    const outputId = output.json.data.id as string;
    const firstEvents = (await call('GET', '/sandbox/events', first)).json.data.length;

    // Reads: nothing of the first master is visible.
    expect((await call('GET', `/api/concierge_requests/${requestId}`, second)).status).toBe(404);
    expect((await call('GET', `/api/concierge_request_outputs/${outputId}`, second)).status).toBe(404);
    expect((await call('GET', `/api/users/${seeded.payerId}`, second)).status).toBe(404);
    expect((await call('GET', '/api/concierge_requests', second)).json.data).toEqual([]);
    const theirUsers = (await call('GET', '/api/users', second)).json.data.map((u: { id: string }) => u.id);
    expect(theirUsers).not.toContain(seeded.payerId);
    expect(theirUsers).not.toContain(payee.userId);
    // Writes: refused, and nothing changed.
    expect((await call('POST', `/api/concierge_requests/${requestId}/cancel`, second)).status).toBe(404);
    expect((await call('POST', `/sandbox/concierge_request_outputs/${outputId}/reject`, second)).status).toBe(
      404,
    );
    expect(
      (
        await call('POST', `/sandbox/users/${seeded.payerId}/deposits`, second, {
          port_code: 'ar_ars',
          amount: 5,
        })
      ).status,
    ).toBe(404);
    // Events: the second master has none of the first one's.
    expect((await call('GET', '/sandbox/events', second)).json.data).toEqual([]);
    // Clock: the second master's clock moves alone; the first one's output is still accepting.
    const moved = await call('POST', '/sandbox/clock/advance', second, { seconds: 3600 });
    expect(moved.status).toBe(200);
    await call('POST', '/sandbox/clock/run_until_idle', second);
    expect(
      (await call('GET', `/api/concierge_request_outputs/${outputId}`, first)).json.data.attributes.state,
    ).toBe('accepting');
    // Reset: the second master's reset empties the second tenant only.
    expect((await call('POST', '/sandbox/reset', second)).status).toBe(204);
    expect((await call('GET', `/api/concierge_requests/${requestId}`, first)).status).toBe(200);
    expect((await call('GET', '/sandbox/events', first)).json.data.length).toBe(firstEvents);
    // Webhooks: the first master's receiver got only the first master's events.
    await sandbox.app.webhooks?.idle();
    const about = hook.bodies.map((b) => JSON.parse(b).data.relationships.resource.data.id as string);
    expect(about.length).toBeGreaterThan(0);
    for (const id of about) expect([requestId, outputId]).toContain(id);
  });

  it('reset empties the caller’s tenant and seeds it again', async () => {
    const sandbox = await start();
    const call = http(sandbox.url);
    const key = sandbox.concierge.apiKey;
    const before = (await call('GET', '/api/users', key)).json.data.length;
    await call('POST', '/api/users', key, {
      data: { type: 'users', attributes: { email: 'extra@example.com' } },
    });
    expect((await call('GET', '/api/users', key)).json.data.length).toBe(before + 1);
    expect((await call('POST', '/sandbox/reset', key)).status).toBe(204);
    const after = (await call('GET', '/api/users', key)).json.data;
    // The seeded payer and payees are there again (new ids), the extra user is gone.
    expect(after.length).toBe(before);
    expect(after.map((u: { attributes: { email: string } }) => u.attributes.email)).not.toContain(
      'extra@example.com',
    );
  });

  it('a restarted server hands out no id it gave before', async () => {
    const first = await start();
    const call = http(first.url);
    const key = first.concierge.apiKey;
    const ids = new Set<string>();
    for (let i = 0; i < 5; i += 1) {
      const user = await call('POST', '/api/users', key, {
        data: { type: 'users', attributes: { email: `u${i}@example.com` } },
      });
      ids.add(user.json.data.id);
    }
    for (const u of (await call('GET', '/api/users', key)).json.data) ids.add(u.id);
    await stops.pop()?.();
    const second = await start();
    const again = http(second.url);
    const key2 = second.concierge.apiKey;
    const fresh: string[] = [];
    for (let i = 0; i < 5; i += 1)
      fresh.push(
        (
          await again('POST', '/api/users', key2, {
            data: { type: 'users', attributes: { email: `v${i}@example.com` } },
          })
        ).json.data.id,
      );
    for (const u of (await again('GET', '/api/users', key2)).json.data) fresh.push(u.id);
    for (const id of fresh) expect(ids.has(id), `id ${id} reused`).toBe(false);
  });
});
