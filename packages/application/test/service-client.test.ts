import { describe, expect, it, vi } from 'vitest';
import { serviceClient } from '../src/index.js';
import { SECOND, world } from './support/world.js';

/**
 * The in-process client: the same answers and refusals as the API (SPEC section 7), as the
 * master user its API key belongs to; nothing it is asked throws.
 */

describe('the in-process client', () => {
  it('acts as the master its key belongs to, through every resource', async () => {
    const w = world();
    const client = serviceClient(w.service, w.master.apiKey as string);
    const payer = (await client.users.create({ email: 'payer@example.com' }))._unsafeUnwrap();
    expect((await client.users.get(payer.id))._unsafeUnwrap().email).toBe('payer@example.com');
    expect((await client.users.me())._unsafeUnwrap().id).toBe(w.master.id);
    expect((await client.users.list())._unsafeUnwrap().items.map((u) => u.id)).toEqual([
      w.master.id,
      payer.id,
    ]);
    const updated = (
      await client.users.updateMe({ webhookUrl: 'https://example.com/hooks' })
    )._unsafeUnwrap();
    expect(updated.webhookUrl).toBe('https://example.com/hooks');

    const request = (await client.requests.create({ portCode: 'ar_ars', payerId: payer.id }))._unsafeUnwrap();
    expect(request.state).toBe('draft');
    const output = w.output(request.id);
    expect((await client.outputs.get(output.id))._unsafeUnwrap().id).toBe(output.id);
    expect((await client.outputs.list({ requestId: request.id }))._unsafeUnwrap().items).toHaveLength(1);
    expect((await client.requests.get(request.id))._unsafeUnwrap().counters.total).toBe(1);
    expect(
      (await client.requests.getWithOutputs(request.id))._unsafeUnwrap().outputs.map((o) => o.id),
    ).toEqual([output.id]);
    expect(
      (await client.requests.update(request.id, { externalId: 'run-1' }))._unsafeUnwrap().externalId,
    ).toBe('run-1');
    expect(
      (await client.requests.list({ externalId: 'run-1' }))._unsafeUnwrap().items.map((r) => r.id),
    ).toEqual([request.id]);
    w.advance(2 * SECOND);
    expect((await client.requests.requestQuote(request.id))._unsafeUnwrap().state).toBe('quote_requested');
    w.advance(SECOND);
    expect((await client.requests.acceptQuote(request.id))._unsafeUnwrap().state).toBe('quote_accepted');
    expect((await client.requests.receipt(request.id))._unsafeUnwrapErr()).toMatchObject({ status: 404 });
    expect((await client.requests.creditNote(request.id))._unsafeUnwrapErr()).toMatchObject({ status: 404 });
    const other = (await client.requests.create({ portCode: 'ar_ars', payerId: payer.id }))._unsafeUnwrap();
    expect((await client.requests.cancel(other.id))._unsafeUnwrap()).toMatchObject({
      state: 'cancelled',
      cancellationReason: 'cancelled_by_user',
    });

    const wi = (
      await client.withdrawalInstructions.create({
        userId: payer.id,
        label: 'x',
        body: (await client.withdrawalInstructions.get(output.withdrawalInstructionId))._unsafeUnwrap().body,
      })
    )._unsafeUnwrap();
    expect(
      (await client.withdrawalInstructions.list({ userId: payer.id }))._unsafeUnwrap().items.map((i) => i.id),
    ).toEqual([wi.id]);
    expect((await client.withdrawalInstructions.delete(wi.id)).isOk()).toBe(true);
    expect((await client.withdrawalInstructions.get(wi.id))._unsafeUnwrapErr()).toMatchObject({
      status: 404,
    });
  });

  it('lists ports and estimates without a known key; everything else answers 401', async () => {
    const w = world();
    const client = serviceClient(w.service, 'not-a-key');
    expect((await client.ports.list())._unsafeUnwrap().map((p) => p.code)).toContain('ar_ars');
    const estimate = await client.estimates.create({
      portCode: 'ar_ars',
      outputs: [{ portCode: 'cl_clp', amount: 5000 }],
    });
    expect(estimate._unsafeUnwrap().totalToSpend).toEqual({ amount: 1010102n, currency: 'ARS', scale: 2 });
    expect((await client.requests.list())._unsafeUnwrapErr()).toMatchObject({
      type: 'authentication',
      status: 401,
    });
    expect((await client.users.me())._unsafeUnwrapErr()).toMatchObject({
      type: 'authentication',
      status: 401,
    });
  });

  it('a call the service did not expect (a thrown bug) answers a server error and reports the thrown value', async () => {
    const w = world();
    const thrown: unknown[] = [];
    const boom = new Error('repository exploded');
    w.repos.requests.listByOwner = () => {
      throw boom;
    };
    const client = serviceClient(w.service, w.master.apiKey as string, (t) => thrown.push(t));
    const answer = await client.requests.list();
    expect(answer._unsafeUnwrapErr()).toMatchObject({ type: 'server', status: 500, code: 'server_error' });
    // Its message stays inside: it may name internals.
    expect(JSON.stringify(answer._unsafeUnwrapErr())).not.toContain('exploded');
    expect(thrown).toEqual([boom]);
  });

  it('without a place to report it, a thrown bug is written to the console as an error', async () => {
    const w = world();
    const boom = new Error('repository exploded');
    w.repos.requests.listByOwner = () => {
      throw boom;
    };
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const answer = await serviceClient(w.service, w.master.apiKey as string).requests.list();
      expect(answer._unsafeUnwrapErr()).toMatchObject({ type: 'server', status: 500 });
      expect(logged).toHaveBeenCalledTimes(1);
      expect(logged.mock.calls[0]?.[1]).toBe(boom);
    } finally {
      logged.mockRestore();
    }
  });

  it('a bug in an open call is caught the same way', async () => {
    const w = world();
    const thrown: unknown[] = [];
    const boom = new Error('catalog exploded');
    const service = Object.assign(Object.create(Object.getPrototypeOf(w.service)), w.service, {
      listPorts: () => {
        throw boom;
      },
    });
    const client = serviceClient(service, w.master.apiKey as string, (t) => thrown.push(t));
    expect((await client.ports.list())._unsafeUnwrapErr()).toMatchObject({ type: 'server', status: 500 });
    expect(thrown).toEqual([boom]);
  });
});
