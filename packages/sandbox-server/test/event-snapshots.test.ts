import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ReceivedEvent, verifyWebhook } from '@concierge-ts/adapter-http';
import type { OutputView, RequestView } from '@concierge-ts/application';
import { afterEach, describe, expect, it } from 'vitest';
import { httpHarness } from './harness.js';
import { schemaErrors } from './json-api-schema.js';

/**
 * SPEC section 8 over real HTTP: webhooks POSTed by the sandbox server on loopback to a
 * receiver on loopback carry their resource as it was when the event happened, an output's
 * working event its earlier failures, and the event log says when each was delivered.
 */

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A receiver on loopback: `answer` decides each POST's status (it may wait). */
const startReceiver = async (answer: (body: string, n: number) => number | Promise<number> = () => 200) => {
  const received: Received[] = [];
  const arrivals: (() => void)[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const n = received.length;
    received.push({ headers: req.headers, body });
    for (const arrived of arrivals.splice(0)) arrived();
    res.writeHead(await answer(body, n)).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    /** Resolves once `count` POSTs have arrived. */
    arrived: (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => (received.length >= count ? resolve() : arrivals.push(check));
        check();
      }),
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

/** The sandbox server on loopback (seeded: its payees settle by themselves), webhooks to `receiverUrl`. */
const sandbox = async (receiverUrl: string) => {
  const setup = await httpHarness('loopback', {
    concierge: { seed: true },
    app: { webhooks: { initialDelayMs: 2, maxDelayMs: 10, maxAttempts: 5, timeoutMs: 5_000 } },
  });
  closers.push(() => setup.harness.dispose());
  (await setup.harness.client.users.updateMe({ webhookUrl: receiverUrl }))._unsafeUnwrap();
  return setup;
};

type Setup = Awaited<ReturnType<typeof sandbox>>;

/** A request with one output to the seeded cl_clp payee, quoted, accepted, and working (its funds found). */
const workingRequest = async (setup: Setup) => {
  const { client, operator } = setup.harness;
  const seeded = setup.concierge.seeded;
  const payee = seeded?.payees.find((p) => p.portCode === 'cl_clp');
  if (!seeded || !payee) throw new Error('a seeded cl_clp payee');
  const request = (
    await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
  )._unsafeUnwrap();
  const output = (
    await client.outputs.create({
      requestId: request.id,
      payeeId: payee.userId,
      withdrawalInstructionId: payee.withdrawalInstructionId,
      portCode: 'cl_clp',
      amount: 5000,
    })
  )._unsafeUnwrap();
  (await operator.advanceClock(2))._unsafeUnwrap();
  (await client.requests.requestQuote(request.id))._unsafeUnwrap();
  (await operator.advanceClock(1))._unsafeUnwrap();
  (await client.requests.acceptQuote(request.id))._unsafeUnwrap();
  // The funds are looked for a second after the accept: work starts.
  (await operator.advanceClock(1))._unsafeUnwrap();
  return { requestId: request.id, outputId: output.id };
};

const verified = (setup: Setup, received: readonly Received[]): ReceivedEvent[] =>
  received.map((r) => verifyWebhook(r.body, r.headers, setup.concierge.apiKey)._unsafeUnwrap());

const eventOf = (events: readonly ReceivedEvent[], type: string, resourceId: string): ReceivedEvent => {
  const found = events.filter((e) => e.eventType === type && e.resourceId === resourceId);
  if (found.length !== 1) throw new Error(`${found.length} ${type} events of ${resourceId}`);
  return found[0] as ReceivedEvent;
};

/** The raw included resource of a webhook body (read without this project's decoder). */
const includedOf = (received: readonly Received[], eventId: string) => {
  const body = received.map((r) => JSON.parse(r.body)).find((b) => b.data.id === eventId);
  return body?.included?.[0];
};

describe('webhooks carry their resource as it was when the event happened', () => {
  it('an output that went working → settling → settled in one call: each webhook shows its own state, not settled', async () => {
    const states = new Map<string, string>();
    let setup: Setup | undefined;
    const receiver = await startReceiver(async (body) => {
      // What the output is while its webhook arrives.
      const event = JSON.parse(body).data;
      if (event.relationships.resource.data.type === 'concierge_request_outputs' && setup)
        states.set(
          event.attributes.event_type,
          (await setup.concierge.client.outputs.get(event.relationships.resource.data.id))._unsafeUnwrap()
            .state,
        );
      return 200;
    });
    closers.push(receiver.close);
    setup = await sandbox(receiver.url);
    const { client, operator } = setup.harness;
    const seeded = setup.concierge.seeded;
    const payee = seeded?.payees.find((p) => p.portCode === 'mx_mxn');
    if (!seeded || !payee) throw new Error('a seeded mx_mxn payee');
    const request = (
      await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
    )._unsafeUnwrap();
    const output = (
      await client.outputs.create({
        requestId: request.id,
        payeeId: payee.userId,
        withdrawalInstructionId: payee.withdrawalInstructionId,
        portCode: 'mx_mxn',
        amount: 500,
      })
    )._unsafeUnwrap();
    (await operator.advanceClock(2))._unsafeUnwrap();
    (await client.requests.requestQuote(request.id))._unsafeUnwrap();
    (await operator.advanceClock(1))._unsafeUnwrap();
    (await client.requests.acceptQuote(request.id))._unsafeUnwrap();
    // One call: work starts, the payment is issued, then settled, the request finished.
    (await operator.runUntilIdle())._unsafeUnwrap();
    await setup.app.webhooks?.idle();

    const events = verified(setup, receiver.received);
    for (const r of receiver.received) expect(schemaErrors(JSON.parse(r.body))).toEqual([]);
    // By the time any of them arrived, the output was settled...
    expect(states.get('concierge_request_output_working')).toBe('settled');
    // ...and each carries the output as it was at its own event.
    for (const state of ['accepting', 'accepted', 'working', 'settling', 'settled']) {
      const event = eventOf(events, `concierge_request_output_${state}`, output.id);
      expect(event.resource).toMatchObject({ id: output.id, state });
      expect(includedOf(receiver.received, event.id)?.attributes.state).toBe(state);
    }
    const accepted = eventOf(events, 'concierge_request_output_accepted', output.id).resource as OutputView;
    expect([accepted.attempts, accepted.budget]).toEqual([0, null]);
    const working = eventOf(events, 'concierge_request_output_working', output.id).resource as OutputView;
    expect(working.attempts).toBe(1);
    expect(working.budget).not.toBeNull();
    // The request too: working while its output moved on, finished at the end.
    const requestWorking = eventOf(events, 'concierge_request_working', request.id).resource as RequestView;
    expect(requestWorking).toMatchObject({ state: 'working', counters: { accepted: 1, settled: 0 } });
    expect(requestWorking.fundsAvailable).toEqual(requestWorking.totalToSpend);
    expect(eventOf(events, 'concierge_request_finished', request.id).resource).toMatchObject({
      state: 'finished',
      counters: { settled: 1 },
    });
    // The event log shows the same snapshots.
    const log = (await operator.events())._unsafeUnwrap();
    for (const event of events) {
      const logged = log.find((e) => e.id === event.id);
      expect(logged?.resource).toEqual(event.resource);
    }
  });

  it('an output failed then retried: each working webhook names its earlier failures, the failed one keeps its reason', async () => {
    const receiver = await startReceiver();
    closers.push(receiver.close);
    const setup = await sandbox(receiver.url);
    const { operator } = setup.harness;
    const { outputId } = await workingRequest(setup);
    for (const reason of ['account_closed', 'name_mismatch']) {
      (await operator.outputAction(outputId, 'issue'))._unsafeUnwrap();
      (await operator.outputAction(outputId, 'fail', { reason }))._unsafeUnwrap();
      (await operator.outputAction(outputId, 'retry'))._unsafeUnwrap();
    }
    (await operator.runUntilIdle())._unsafeUnwrap();
    await setup.app.webhooks?.idle();

    const events = verified(setup, receiver.received).filter((e) => e.resourceId === outputId);
    const working = events.filter((e) => e.eventType === 'concierge_request_output_working');
    expect(working.map((e) => e.failures)).toEqual([
      [],
      [`${outputId}-1`],
      [`${outputId}-1`, `${outputId}-2`],
    ]);
    expect(working.map((e) => (e.resource as OutputView).attempts)).toEqual([1, 2, 3]);
    // On the wire, as the provider's handler reads it: relationships.failures.data, a to-many linkage.
    const raw = receiver.received.map((r) => JSON.parse(r.body)).find((b) => b.data.id === working[2]?.id);
    expect(raw.data.relationships.failures).toEqual({
      data: [
        { type: 'concierge_request_output_failures', id: `${outputId}-1` },
        { type: 'concierge_request_output_failures', id: `${outputId}-2` },
      ],
    });
    for (const r of receiver.received) expect(schemaErrors(JSON.parse(r.body))).toEqual([]);
    // The failed events keep their reasons, though the retries cleared them from the output.
    const failed = events.filter((e) => e.eventType === 'concierge_request_output_failed');
    expect(failed.map((e) => (e.resource as OutputView).failureReason)).toEqual([
      'account_closed',
      'name_mismatch',
    ]);
    expect((await setup.harness.client.outputs.get(outputId))._unsafeUnwrap()).toMatchObject({
      state: 'settled',
      failureReason: null,
      attempts: 3,
    });
    // Other events carry no failures relationship.
    expect(events.filter((e) => e.failures !== undefined)).toEqual(working);
  });
});

describe('sent_at', () => {
  it('is null in the event log until the receiver answers 200, then the time of the attempt it accepted', async () => {
    let release: (status: number) => void = () => {};
    const held = new Promise<number>((resolve) => {
      release = resolve;
    });
    // The first POST waits, then fails; every later one is accepted.
    const receiver = await startReceiver((_, n) => (n === 0 ? held : 200));
    closers.push(receiver.close);
    const setup = await sandbox(receiver.url);
    const { client, operator } = setup.harness;
    const seeded = setup.concierge.seeded;
    if (!seeded) throw new Error('seeded');
    const request = (
      await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
    )._unsafeUnwrap();
    await receiver.arrived(1);
    const draftOf = async () =>
      (await operator.events())._unsafeUnwrap().find((e) => e.eventType === 'concierge_request_draft');
    expect(await draftOf()).toMatchObject({ resourceId: request.id, sentAt: null });
    // The sandbox clock moves before the answer: the retry goes out a minute later.
    (await operator.advanceClock(60))._unsafeUnwrap();
    release(500);
    await setup.app.webhooks?.idle();
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received.map((r) => JSON.parse(r.body).data.attributes.sent_at);
    expect(Date.parse(second) - Date.parse(first)).toBe(60_000);
    // The attempt the receiver accepted, not the one it refused.
    expect((await draftOf())?.sentAt).toBe(second);
  });

  it('stays null for an event never delivered', async () => {
    const receiver = await startReceiver(() => 503);
    closers.push(receiver.close);
    const setup = await sandbox(receiver.url);
    const seeded = setup.concierge.seeded;
    if (!seeded) throw new Error('seeded');
    (
      await setup.harness.client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
    )._unsafeUnwrap();
    await setup.app.webhooks?.idle();
    expect(receiver.received).toHaveLength(5);
    const log = (await setup.harness.operator.events())._unsafeUnwrap();
    expect(log.find((e) => e.eventType === 'concierge_request_draft')?.sentAt).toBeNull();
    // The seed's events went out before there was a webhook_url: never delivered either.
    expect(log.map((e) => e.sentAt)).toEqual(log.map(() => null));
  });
});
