import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventLedger, type ReceivedEvent, verifyWebhook } from '@concierge-ts/adapter-http';
import { createInMemoryConcierge, testInstructionBody } from '@concierge-ts/adapter-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandboxApp, type DeliveryAttempt, type SandboxApp } from '../src/index.js';
import { httpHarness } from './harness.js';
import { DocumentCheck, schemaErrors } from './json-api-schema.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly answered: number;
}

/** A webhook receiver on loopback: answers `status(n, body)` to the n-th POST (0-based). */
const startReceiver = async (status: (n: number, body: string) => number | Promise<number> = () => 200) => {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const n = received.length;
    const entry = { headers: req.headers, body, answered: 0 };
    received.push(entry);
    const answer = await status(n, body);
    (entry as { answered: number }).answered = answer;
    res.writeHead(answer).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** Runs a payout through the HTTP API that settles by itself (seeded payees' accounts end in 0000), to its end on the sandbox clock. */
const runPayout = async (setup: Awaited<ReturnType<typeof httpHarness>>) => {
  const { client } = setup.harness;
  const seeded = setup.concierge.seeded;
  if (!seeded) throw new Error('seeded sandbox expected');
  const request = (
    await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
  )._unsafeUnwrap();
  for (const port of ['cl_clp', 'mx_mxn', 'uy_uyu']) {
    const payee = seeded.payees.find((p) => p.portCode === port);
    if (!payee) throw new Error(`payee for ${port}`);
    (
      await client.outputs.create({
        requestId: request.id,
        payeeId: payee.userId,
        withdrawalInstructionId: payee.withdrawalInstructionId,
        portCode: port,
        amount: port === 'cl_clp' ? 5000 : 500,
      })
    )._unsafeUnwrap();
  }
  (await setup.harness.operator.advanceClock(2))._unsafeUnwrap();
  (await client.requests.requestQuote(request.id))._unsafeUnwrap();
  (await setup.harness.operator.advanceClock(1))._unsafeUnwrap();
  (await client.requests.acceptQuote(request.id))._unsafeUnwrap();
  (await setup.harness.operator.runUntilIdle())._unsafeUnwrap();
  return request.id;
};

const harnessWithWebhooks = async (attempts: DeliveryAttempt[], maxAttempts = 5, check?: DocumentCheck) => {
  const setup = await httpHarness('in-process', {
    ...(check === undefined ? {} : { check }),
    concierge: { seed: true },
    app: {
      webhooks: {
        initialDelayMs: 2,
        maxDelayMs: 10,
        maxAttempts,
        timeoutMs: 2_000,
        onAttempt: (a) => attempts.push(a),
      },
    },
  });
  closers.push(() => setup.harness.dispose());
  return setup;
};

const eventsOf = (received: readonly Received[], apiKey: string): ReceivedEvent[] =>
  received.map((r) => verifyWebhook(r.body, r.headers, apiKey)._unsafeUnwrap());

describe('webhook delivery', () => {
  it('POSTs every event, signed, as JSON with its resource, in order per resource', async () => {
    const receiver = await startReceiver();
    closers.push(receiver.close);
    const attempts: DeliveryAttempt[] = [];
    const check = new DocumentCheck();
    const setup = await harnessWithWebhooks(attempts, 5, check);
    (await setup.harness.client.users.updateMe({ webhookUrl: receiver.url }))._unsafeUnwrap();
    // The seed's events (its instructions created) came before there was a webhook_url.
    const seeded = (await setup.harness.operator.events())._unsafeUnwrap().length;
    const requestId = await runPayout(setup);
    await setup.app.webhooks?.idle();
    expect(check.violations).toEqual([]);

    const log = (await setup.harness.operator.events())._unsafeUnwrap().slice(seeded);
    for (const r of receiver.received) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-auth']).toMatch(/^[0-9a-f]{64}$/);
      // An event document is a JSON:API document too; a request in it names its outputs.
      const document = JSON.parse(r.body);
      expect(schemaErrors(document)).toEqual([]);
      for (const resource of document.included)
        if (resource.type === 'concierge_requests')
          expect(resource.relationships.outputs.data).toHaveLength(resource.attributes.outputs_total);
    }
    const delivered = eventsOf(receiver.received, setup.concierge.apiKey);
    expect(delivered.map((e) => e.id).sort((a, b) => Number(a) - Number(b))).toEqual(log.map((e) => e.id));
    for (const e of delivered) {
      expect(e.resource?.id).toBe(e.resourceId);
      expect(e.sentAt).not.toBeNull();
    }
    const perResource = new Map<string, number[]>();
    for (const e of delivered) {
      const key = `${e.resourceType}|${e.resourceId}`;
      perResource.set(key, [...(perResource.get(key) ?? []), Number(e.id)]);
    }
    for (const ids of perResource.values()) expect(ids).toEqual([...ids].sort((a, b) => a - b));

    // A receiver applying them ends where the service is.
    const ledger = new EventLedger();
    for (const e of delivered) ledger.apply(e);
    expect(ledger.request(requestId)?.state).toBe('finished');
    const outputs = (await setup.harness.client.outputs.list({ requestId }))._unsafeUnwrap().items;
    for (const o of outputs) expect(ledger.output(o.id)?.state).toBe(o.state);
    expect(attempts.every((a) => a.outcome === 'delivered')).toBe(true);
  });

  it('POSTs user_disabled and user_enabled with the user in included, as the provider does', async () => {
    const receiver = await startReceiver();
    closers.push(receiver.close);
    const attempts: DeliveryAttempt[] = [];
    const check = new DocumentCheck();
    const setup = await harnessWithWebhooks(attempts, 5, check);
    const { client, operator } = setup.harness;
    (await client.users.updateMe({ webhookUrl: receiver.url }))._unsafeUnwrap();
    const payee = (await client.users.create({ name: 'Dora' }))._unsafeUnwrap();
    (await operator.setCompliance(payee.id, 'disabled'))._unsafeUnwrap();
    await setup.app.webhooks?.idle();
    (await operator.setCompliance(payee.id, 'enabled'))._unsafeUnwrap();
    await setup.app.webhooks?.idle();
    expect(check.violations).toEqual([]);
    for (const r of receiver.received) expect(schemaErrors(JSON.parse(r.body))).toEqual([]);
    const delivered = eventsOf(receiver.received, setup.concierge.apiKey);
    expect(delivered.map((e) => [e.eventType, e.resourceType, e.resourceId])).toEqual([
      ['user_disabled', 'users', payee.id],
      ['user_enabled', 'users', payee.id],
    ]);
    expect(delivered.map((e) => e.resource)).toMatchObject([
      { id: payee.id, name: 'Dora', complianceState: 'disabled' },
      { id: payee.id, name: 'Dora', complianceState: 'enabled' },
    ]);
    // A receiver that follows requests and outputs accepts them and moves nothing.
    const ledger = new EventLedger();
    expect(delivered.map((e) => ledger.apply(e))).toEqual(['ignored', 'ignored']);
    const log = (await operator.events())._unsafeUnwrap();
    expect(log.filter((e) => e.resourceType === 'users').map((e) => e.id)).toEqual(
      delivered.map((e) => e.id),
    );
  });

  it('POSTs withdrawal_instruction_created with the instruction, and _destroyed when it is deleted', async () => {
    const receiver = await startReceiver();
    closers.push(receiver.close);
    const attempts: DeliveryAttempt[] = [];
    const check = new DocumentCheck();
    const setup = await harnessWithWebhooks(attempts, 5, check);
    const { client, operator } = setup.harness;
    (await client.users.updateMe({ webhookUrl: receiver.url }))._unsafeUnwrap();
    const payee = (await client.users.create({ name: 'Eva' }))._unsafeUnwrap();
    const instruction = (
      await client.withdrawalInstructions.create({
        userId: payee.id,
        label: 'Eva, Banorte',
        body: testInstructionBody('mx_mxn', 'other'),
      })
    )._unsafeUnwrap();
    await setup.app.webhooks?.idle();
    (await client.withdrawalInstructions.delete(instruction.id))._unsafeUnwrap();
    await setup.app.webhooks?.idle();
    expect(check.violations).toEqual([]);
    for (const r of receiver.received) expect(schemaErrors(JSON.parse(r.body))).toEqual([]);
    const delivered = eventsOf(receiver.received, setup.concierge.apiKey);
    expect(delivered.map((e) => [e.eventType, e.resourceType, e.resourceId])).toEqual([
      ['withdrawal_instruction_created', 'withdrawal_instructions', instruction.id],
      ['withdrawal_instruction_destroyed', 'withdrawal_instructions', instruction.id],
    ]);
    // Each carries the instruction as it was when the event happened: destroyed, as it was
    // before (SPEC section 8), though the API no longer shows it.
    expect(delivered[0]?.resource).toEqual(instruction);
    expect(delivered[1]?.resource).toEqual(instruction);
    expect((await client.withdrawalInstructions.get(instruction.id))._unsafeUnwrapErr().type).toBe(
      'not_found',
    );
    const ledger = new EventLedger();
    expect(delivered.map((e) => ledger.apply(e))).toEqual(['ignored', 'ignored']);
    // The log has these two after the seed's (created before there was a webhook_url).
    const log = (await operator.events())._unsafeUnwrap();
    expect(
      log
        .filter((e) => e.resourceType === 'withdrawal_instructions')
        .slice(-2)
        .map((e) => e.id),
    ).toEqual(delivered.map((e) => e.id));
  });

  it('retries anything but a 200, and keeps later events of the same resource behind it', async () => {
    const failedOnce = new Set<string>();
    const receiver = await startReceiver((_, body) => {
      const id = String(JSON.parse(body).data.id);
      // Every third event fails twice before it is accepted.
      if (Number(id) % 3 === 0 && !failedOnce.has(`${id}#2`)) {
        failedOnce.add(failedOnce.has(id) ? `${id}#2` : id);
        return failedOnce.has(`${id}#2`) ? 202 : 500;
      }
      return 200;
    });
    closers.push(receiver.close);
    const attempts: DeliveryAttempt[] = [];
    const setup = await harnessWithWebhooks(attempts);
    (await setup.harness.client.users.updateMe({ webhookUrl: receiver.url }))._unsafeUnwrap();
    // The seed's events (its instructions created) came before there was a webhook_url.
    const seeded = (await setup.harness.operator.events())._unsafeUnwrap().length;
    await runPayout(setup);
    await setup.app.webhooks?.idle();

    const accepted = receiver.received.filter((r) => r.answered === 200);
    const events = eventsOf(accepted, setup.concierge.apiKey);
    const log = (await setup.harness.operator.events())._unsafeUnwrap().slice(seeded);
    expect(events.map((e) => e.id).sort((a, b) => Number(a) - Number(b))).toEqual(log.map((e) => e.id));
    const retried = attempts.filter((a) => a.outcome === 'retrying');
    expect(retried.length).toBe(2 * log.filter((e) => Number(e.id) % 3 === 0).length);
    expect(new Set(retried.map((a) => a.status))).toEqual(new Set([500, 202]));
    // Per resource, what the receiver accepted is in event order despite the retries.
    const seen = new Map<string, number>();
    for (const e of events) {
      const key = `${e.resourceType}|${e.resourceId}`;
      expect(Number(e.id)).toBeGreaterThan(seen.get(key) ?? 0);
      seen.set(key, Number(e.id));
    }
  });

  it('gives up after the last attempt, and never blocks the API while a receiver hangs', async () => {
    let release: () => void = () => {};
    const hanging = new Promise<void>((resolve) => {
      release = resolve;
    });
    const receiver = await startReceiver(async (n) => {
      if (n === 0) await hanging;
      return 503;
    });
    closers.push(receiver.close);
    const attempts: DeliveryAttempt[] = [];
    const setup = await harnessWithWebhooks(attempts, 2);
    (await setup.harness.client.users.updateMe({ webhookUrl: receiver.url }))._unsafeUnwrap();
    // The seed's events (its instructions created) came before there was a webhook_url.
    const seeded = (await setup.harness.operator.events())._unsafeUnwrap().length;
    // The first delivery hangs; the whole payout still goes through the API.
    const requestId = await runPayout(setup);
    expect((await setup.harness.client.requests.get(requestId))._unsafeUnwrap().state).toBe('finished');
    release();
    await setup.app.webhooks?.idle();
    const log = (await setup.harness.operator.events())._unsafeUnwrap().slice(seeded);
    expect(attempts.filter((a) => a.outcome === 'gave_up').length).toBe(log.length);
    expect(attempts.length).toBe(2 * log.length);
  });

  it('delivers nothing to a master without a webhook_url', async () => {
    const attempts: DeliveryAttempt[] = [];
    const setup = await harnessWithWebhooks(attempts);
    await runPayout(setup);
    await setup.app.webhooks?.idle();
    expect(attempts).toEqual([]);
  });

  it("reaches an in-process master's webhook once the app knows its key", async () => {
    const receiver = await startReceiver();
    closers.push(receiver.close);
    const concierge = createInMemoryConcierge();
    const app: SandboxApp = createSandboxApp(concierge, {
      rateLimit: 0,
      webhooks: { initialDelayMs: 1, maxDelayMs: 5 },
    });
    closers.push(() => app.close());
    const other = concierge.addMaster('third@example.com');
    app.registerMaster(other);
    (await other.client.users.updateMe({ webhookUrl: receiver.url }))._unsafeUnwrap();
    const payer = (await other.client.users.create({ email: 'payer@example.com' }))._unsafeUnwrap();
    (await other.client.requests.create({ portCode: 'ar_ars', payerId: payer.id }))._unsafeUnwrap();
    await app.webhooks?.idle();
    const events = eventsOf(receiver.received, other.apiKey);
    expect(events.map((e) => e.eventType)).toEqual(['concierge_request_draft']);
  });

  it('with a ticker, a quote that falls due is sent without anyone polling', async () => {
    const receiver = await startReceiver();
    closers.push(receiver.close);
    const concierge = createInMemoryConcierge();
    const app = createSandboxApp(concierge, {
      rateLimit: 0,
      webhooks: { initialDelayMs: 1 },
      tickEveryMs: 5,
    });
    closers.push(() => app.close());
    const seeded = concierge.seeded;
    const us = seeded?.payees.find((p) => p.portCode === 'us_usd');
    if (!seeded || !us) throw new Error('seeded us_usd payee expected');
    (await concierge.client.users.updateMe({ webhookUrl: receiver.url }))._unsafeUnwrap();
    const request = (
      await concierge.client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
    )._unsafeUnwrap();
    (
      await concierge.client.outputs.create({
        requestId: request.id,
        payeeId: us.userId,
        withdrawalInstructionId: us.withdrawalInstructionId,
        portCode: 'us_usd',
        amount: 100,
      })
    )._unsafeUnwrap();
    expect((await concierge.client.requests.requestQuote(request.id))._unsafeUnwrap().state).toBe(
      'quote_requested',
    );
    const quoted = new Promise<void>((resolve) =>
      concierge.events.subscribe((events) => {
        if (events.some((e) => e.eventType === 'concierge_request_quoted')) resolve();
      }),
    );
    // The clock moves past the eta, and nobody calls the API.
    concierge.clock.advance(3_600_000);
    await quoted;
    await app.webhooks?.idle();
    const types = eventsOf(receiver.received, concierge.apiKey).map((e) => e.eventType);
    expect(types).toContain('concierge_request_quoted');
  });
});
