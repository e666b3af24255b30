import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DocumentView } from '@concierge-ts/application';
import { afterEach, describe, expect, it } from 'vitest';
import { httpHarness } from './harness.js';
import { schemaErrors } from './json-api-schema.js';

/**
 * SPEC section 7 and 8 on the sandbox server over loopback: a request's receipt and credit
 * note, behind `receipt_url` and `credit_note_url`, as JSON:API documents that add up, and
 * the events that announce them.
 */

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const startReceiver = async () => {
  const bodies: string[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    bodies.push(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

const sum = (values: readonly bigint[]) => values.reduce((a, b) => a + b, 0n);

describe('receipts and credit notes', () => {
  it('exist from the charge and from the first money given back, validate as JSON:API, add up, and conserve money', async () => {
    const receiver = await startReceiver();
    closers.push(receiver.close);
    const setup = await httpHarness('loopback', {
      concierge: { seed: true },
      app: { webhooks: { initialDelayMs: 2, maxDelayMs: 10 } },
    });
    closers.push(() => setup.harness.dispose());
    const { client, operator } = setup.harness;
    const key = setup.concierge.apiKey;
    const raw = async (url: string) => {
      const response = await fetch(url, { headers: { authorization: key } });
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        json: JSON.parse(await response.text()),
      };
    };
    (await client.users.updateMe({ webhookUrl: receiver.url }))._unsafeUnwrap();
    const seeded = setup.concierge.seeded;
    if (!seeded) throw new Error('seeded');
    const payee = (port: string) => {
      const found = seeded.payees.find((p) => p.portCode === port);
      if (!found) throw new Error(port);
      return found;
    };
    const balance = async () =>
      (await client.users.get(seeded.payerId))._unsafeUnwrap().balances['ars']?.amount ?? 0n;

    const request = (
      await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
    )._unsafeUnwrap();
    const outputs: Record<string, string> = {};
    for (const [name, port, amount] of [
      ['settles', 'cl_clp', 5000],
      ['cancelled', 'mx_mxn', 500],
      ['returned', 'uy_uyu', 800],
    ] as const) {
      const p = payee(port);
      outputs[name] = (
        await client.outputs.create({
          requestId: request.id,
          payeeId: p.userId,
          withdrawalInstructionId: p.withdrawalInstructionId,
          portCode: port,
          amount,
        })
      )._unsafeUnwrap().id;
    }
    (await operator.advanceClock(2))._unsafeUnwrap();
    (await client.requests.requestQuote(request.id))._unsafeUnwrap();
    (await operator.advanceClock(1))._unsafeUnwrap();
    (await client.requests.acceptQuote(request.id))._unsafeUnwrap();
    const before = await balance();
    const requestUrl = `${setup.baseUrl}/api/concierge_requests/${request.id}`;
    // Not charged yet.
    const early = await raw(`${requestUrl}/receipt`);
    expect([early.status, schemaErrors(early.json)]).toEqual([404, []]);
    expect((await raw(requestUrl)).json.data.attributes).toMatchObject({
      receipt_url: null,
      credit_note_url: null,
    });

    // Charged: the receipt exists, at an absolute URL the request names.
    (await operator.advanceClock(1))._unsafeUnwrap();
    const working = (await raw(requestUrl)).json.data.attributes;
    expect(working).toMatchObject({
      state: 'working',
      receipt_url: `${requestUrl}/receipt`,
      credit_note_url: null,
    });
    const receipt = await raw(working.receipt_url);
    expect(receipt.status).toBe(200);
    expect(receipt.type).toBe('application/vnd.api+json');
    expect(schemaErrors(receipt.json)).toEqual([]);
    expect(receipt.json.data).toMatchObject({
      type: 'concierge_documents',
      id: `${request.id}-receipt`,
      attributes: { kind: 'receipt', request_state: 'working', port_code: 'ar_ars', currency: 'ARS' },
      relationships: { request: { data: { type: 'concierge_requests', id: request.id } } },
    });
    expect(receipt.json.data.attributes.totals.budget).toBe(working.total_to_spend);
    expect((await raw(`${requestUrl}/credit_note`)).status).toBe(404);

    // Money goes back: the provider cancels one payment, another fails and is returned.
    (await operator.outputAction(outputs['cancelled'] as string, 'cancel'))._unsafeUnwrap();
    const noted = (await raw(requestUrl)).json.data.attributes;
    expect(noted.credit_note_url).toBe(`${requestUrl}/credit_note`);
    for (const action of ['issue', 'fail', 'return'] as const)
      (await operator.outputAction(outputs['returned'] as string, action))._unsafeUnwrap();
    (await operator.runUntilIdle())._unsafeUnwrap();
    await setup.app.webhooks?.idle();

    const creditNote = await raw(noted.credit_note_url);
    expect([creditNote.status, schemaErrors(creditNote.json)]).toEqual([200, []]);
    const finalReceipt: DocumentView = (await client.requests.receipt(request.id))._unsafeUnwrap();
    const note: DocumentView = (await client.requests.creditNote(request.id))._unsafeUnwrap();
    expect(finalReceipt.requestState).toBe('finished');
    // Every line once, each total the exact sum of its lines.
    const r = finalReceipt.totals;
    expect(r.budget.amount).toBe(sum(finalReceipt.lines.map((l) => l.budget.amount)));
    expect(r.fees.amount).toBe(sum(finalReceipt.lines.map((l) => l.feeAndCost.amount)));
    expect(r.credited.amount).toBe(sum(finalReceipt.lines.map((l) => l.credited.amount)));
    expect(r.settled.amount + r.inFlight.amount + r.credited.amount + r.returnCosts.amount).toBe(
      r.budget.amount,
    );
    expect(note.lines.map((l) => [l.outputId, l.state]).sort()).toEqual(
      [
        [outputs['cancelled'], 'cancelled'],
        [outputs['returned'], 'returned'],
      ].sort(),
    );
    const cancelledLine = note.lines.find((l) => l.state === 'cancelled');
    expect(cancelledLine?.credited).toEqual(cancelledLine?.budget);
    const returnedLine = note.lines.find((l) => l.state === 'returned');
    expect(returnedLine?.returnCost.amount).toBeGreaterThan(0n);
    expect(note.totals.credited.amount + note.totals.returnCosts.amount).toBe(note.totals.budget.amount);
    expect([note.totals.credited, note.totals.returnCosts]).toEqual([r.credited, r.returnCosts]);
    // Money conserved: the payer paid the receipt, got the credit note back, nothing else.
    expect(await balance()).toBe(before - r.budget.amount + note.totals.credited.amount);

    // The events, in order: the receipt right after the request starts working, the credit
    // note right after the first money given back, the finish last.
    const log = (await operator.events())._unsafeUnwrap();
    const mine = log.filter(
      (e) => e.resourceId === request.id || Object.values(outputs).includes(e.resourceId),
    );
    const order = (type: string, id = request.id) =>
      mine.findIndex((e) => e.eventType === type && e.resourceId === id);
    expect(mine.filter((e) => e.resourceType === 'concierge_requests').map((e) => e.eventType)).toEqual([
      'concierge_request_draft',
      'concierge_request_quote_requested',
      'concierge_request_quoted',
      'concierge_request_quote_accepted',
      'concierge_request_working',
      'concierge_request_receipt_created',
      'concierge_request_credit_note_created',
      'concierge_request_finished',
    ]);
    expect(order('concierge_request_receipt_created')).toBe(order('concierge_request_working') + 1);
    expect(order('concierge_request_credit_note_created')).toBe(
      order('concierge_request_output_cancelled', outputs['cancelled']) + 1,
    );
    // Each with its snapshot: the request as it named its documents then.
    const hooks = receiver.bodies.map((b) => JSON.parse(b));
    for (const hook of hooks) expect(schemaErrors(hook)).toEqual([]);
    const hookOf = (type: string) => hooks.find((h) => h.data.attributes.event_type === type);
    expect(hookOf('concierge_request_receipt_created').included[0].attributes).toMatchObject({
      state: 'working',
      receipt_url: `${requestUrl}/receipt`,
      credit_note_url: null,
    });
    expect(hookOf('concierge_request_credit_note_created').included[0].attributes).toMatchObject({
      state: 'working',
      credit_note_url: `${requestUrl}/credit_note`,
      outputs_cancelled: 1,
    });
  });
});
