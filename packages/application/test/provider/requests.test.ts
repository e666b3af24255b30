import { describe, expect, it } from 'vitest';
import { HOUR, locationOf, SECOND, START, world } from '../support/world.js';

/** Requests (SPEC sections 2, 3, 5, 6): drafting, changing, asking for a quote with or without a hint token. */

const iso = (ms: number) => new Date(START + ms).toISOString();

describe('drafting and changing a request (SPEC sections 2, 5)', () => {
  it('external_id and payment_authorization_code take text of up to 255 characters, refused at their pointer beyond', () => {
    const w = world();
    const payer = w.payer();
    const longest = 'x'.repeat(255);
    const made = w.service
      .createRequest(w.master, {
        portCode: 'ar_ars',
        payerId: payer.id,
        externalId: longest,
        paymentAuthorizationCode: longest,
      })
      ._unsafeUnwrap();
    expect(made).toMatchObject({ externalId: longest, paymentAuthorizationCode: longest });
    const tooLong = w.service
      .createRequest(w.master, { portCode: 'ar_ars', payerId: payer.id, externalId: `${longest}x` })
      ._unsafeUnwrapErr();
    expect(tooLong).toMatchObject({ type: 'unprocessable', status: 422, code: 'invalid_attribute' });
    expect(locationOf(tooLong)).toBe('/data/attributes/external_id');
    const notText = w.service
      .updateRequest(w.master, made.id, { paymentAuthorizationCode: 7 as unknown as string })
      ._unsafeUnwrapErr();
    expect(locationOf(notText)).toBe('/data/attributes/payment_authorization_code');
    expect(w.service.listRequests(w.master)._unsafeUnwrap().items).toHaveLength(1);
  });

  it('a PATCH of one attribute keeps the other; null clears it', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    w.service
      .updateRequest(w.master, request.id, { externalId: 'run-1', paymentAuthorizationCode: 'auth-1' })
      ._unsafeUnwrap();
    expect(
      w.service.updateRequest(w.master, request.id, { externalId: 'run-2' })._unsafeUnwrap(),
    ).toMatchObject({
      externalId: 'run-2',
      paymentAuthorizationCode: 'auth-1',
    });
    expect(
      w.service.updateRequest(w.master, request.id, { paymentAuthorizationCode: null })._unsafeUnwrap(),
    ).toMatchObject({ externalId: 'run-2', paymentAuthorizationCode: null });
    expect(w.request(request.id)).toMatchObject({ externalId: 'run-2', paymentAuthorizationCode: null });
  });

  it("lists the caller's requests filtered by state and by external_id", () => {
    const w = world();
    const payer = w.payer();
    const a = w.service
      .createRequest(w.master, { portCode: 'ar_ars', payerId: payer.id, externalId: 'a' })
      ._unsafeUnwrap();
    const b = w.service
      .createRequest(w.master, { portCode: 'ar_ars', payerId: payer.id, externalId: 'b' })
      ._unsafeUnwrap();
    w.service.cancelRequest(w.master, b.id)._unsafeUnwrap();
    const ids = (query: Parameters<typeof w.service.listRequests>[1]) =>
      w.service
        .listRequests(w.master, query)
        ._unsafeUnwrap()
        .items.map((r) => r.id);
    expect(ids({})).toEqual([a.id, b.id]);
    expect(ids({ state: 'draft' })).toEqual([a.id]);
    expect(ids({ state: 'cancelled' })).toEqual([b.id]);
    expect(ids({ externalId: 'b' })).toEqual([b.id]);
    expect(ids({ externalId: 'b', state: 'draft' })).toEqual([]);
  });
});

describe('asking for a quote with a hint token (SPEC sections 3, 6)', () => {
  const estimateFor = (w: ReturnType<typeof world>) =>
    w.service
      .createEstimate({
        portCode: 'ar_ars',
        outputs: [
          { portCode: 'cl_clp', amount: 5000 },
          { portCode: 'us_usd', amount: 10 },
        ],
      })
      ._unsafeUnwrap();

  it("is quoted at the estimate's prices one quote step later, even for a delayed destination", () => {
    const w = world();
    const estimate = estimateFor(w);
    expect(estimate.expiresAt).toBe(iso(10 * 60 * SECOND));
    const request = w.draft(w.payer().id);
    w.output(request.id, { port: 'cl_clp', amount: 5000 });
    w.output(request.id, { port: 'us_usd', amount: 10 });
    const asked = w.service
      .requestQuote(w.master, request.id, { hintToken: estimate.hintToken })
      ._unsafeUnwrap();
    expect(asked).toMatchObject({ state: 'quote_requested', eta: iso(0), totalToSpend: null });
    w.advance(SECOND - 1);
    expect(w.request(request.id).state).toBe('quote_requested');
    w.advance(1);
    expect(w.request(request.id)).toMatchObject({ state: 'quoted', totalToSpend: estimate.totalToSpend });
    w.advance(HOUR);
    expect(w.eventsOf(request.id).filter((e) => e.type === 'concierge_request_quoted')).toHaveLength(1);
  });

  it('an empty token is refused as malformed at /data/attributes/hint_token; the request stays a draft', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    w.output(request.id);
    const refused = w.service.requestQuote(w.master, request.id, { hintToken: '' })._unsafeUnwrapErr();
    expect(refused).toMatchObject({ type: 'unprocessable', status: 422, code: 'hint_token_malformed' });
    expect(locationOf(refused)).toBe('/data/attributes/hint_token');
    const unknown = w.service.requestQuote(w.master, request.id, { hintToken: 'nope' })._unsafeUnwrapErr();
    expect(unknown).toMatchObject({ type: 'unprocessable', code: 'hint_token_malformed' });
    expect(locationOf(unknown)).toBe('/data/attributes/hint_token');
    expect(w.request(request.id).state).toBe('draft');
  });

  it('a token on a request that is no longer a draft is refused with 409, before the token is looked at', () => {
    const w = world();
    const estimate = estimateFor(w);
    const request = w.draft(w.payer().id);
    w.output(request.id, { port: 'cl_clp', amount: 5000 });
    w.output(request.id, { port: 'us_usd', amount: 10 });
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    const refused = w.service
      .requestQuote(w.master, request.id, { hintToken: estimate.hintToken })
      ._unsafeUnwrapErr();
    expect(refused).toMatchObject({ type: 'conflict', status: 409 });
    expect(w.request(request.id)).toMatchObject({ state: 'quote_requested', eta: iso(HOUR) });
  });

  it('a quote request with every output rejected is refused with 409 (SPEC 3: at least one output not rejected)', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    w.output(request.id, { outcome: 'rejected' });
    w.advance(2 * SECOND);
    expect(w.service.requestQuote(w.master, request.id)._unsafeUnwrapErr()).toMatchObject({
      type: 'conflict',
      status: 409,
    });
    expect(w.request(request.id).state).toBe('draft');
  });
});

describe('estimates (SPEC section 6)', () => {
  it('refuse 0 or more than 1000 lines at /data/attributes/outputs, a line that is no object at its index', () => {
    const w = world();
    const line = { portCode: 'cl_clp', amount: 5000 };
    for (const outputs of [[], Array.from({ length: 1001 }, () => line)]) {
      const refused = w.service.createEstimate({ portCode: 'ar_ars', outputs })._unsafeUnwrapErr();
      expect(refused).toMatchObject({ type: 'unprocessable', code: 'invalid_attribute' });
      expect(locationOf(refused)).toBe('/data/attributes/outputs');
    }
    expect(
      w.service
        .createEstimate({ portCode: 'ar_ars', outputs: Array.from({ length: 1000 }, () => line) })
        .isOk(),
    ).toBe(true);
    const notObject = w.service
      .createEstimate({ portCode: 'ar_ars', outputs: [line, null as unknown as typeof line] })
      ._unsafeUnwrapErr();
    expect(locationOf(notObject)).toBe('/data/attributes/outputs/1');
    const badPort = w.service
      .createEstimate({ portCode: 'ar_ars', outputs: [line, { portCode: 'zz_zzz', amount: 1 }] })
      ._unsafeUnwrapErr();
    expect(locationOf(badPort)).toBe('/data/attributes/outputs/1/port_code');
    const badOrigin = w.service.createEstimate({ portCode: 'uy_uyu', outputs: [line] })._unsafeUnwrapErr();
    expect(badOrigin).toMatchObject({ type: 'unprocessable' });
    expect(locationOf(badOrigin)).toBe('/data/attributes/port_code');
  });

  it('price each line as SPEC section 6 says: amount given, budget rounded up; budget given, amount rounded down', () => {
    const w = world();
    const estimate = w.service
      .createEstimate({
        portCode: 'ar_ars',
        outputs: [
          { portCode: 'cl_clp', amount: 5000 },
          { portCode: 'mx_mxn', budget: '1000' },
        ],
      })
      ._unsafeUnwrap();
    // CLP: rate 0.5, all-in 0.495: 5000 / 0.495 = 10101.0101… → 10101.02 ARS; fee_and_cost = 10101.02 − 5000 / 0.5 = 101.02.
    // MXN: rate 0.02, all-in 0.0198: 1000 × 0.0198 = 19.80 MXN; fee_and_cost = 1000 − 19.8 / 0.02 = 10.
    expect(estimate.outputs.map((o) => [o.portCode, o.given, o.amount, o.budget, o.feeAndCost])).toEqual([
      [
        'cl_clp',
        'amount',
        { amount: 5000n, currency: 'CLP', scale: 0 },
        { amount: 1010102n, currency: 'ARS', scale: 2 },
        { amount: 10102n, currency: 'ARS', scale: 2 },
      ],
      [
        'mx_mxn',
        'budget',
        { amount: 1980n, currency: 'MXN', scale: 2 },
        { amount: 100000n, currency: 'ARS', scale: 2 },
        { amount: 1000n, currency: 'ARS', scale: 2 },
      ],
    ]);
    expect(estimate.totalToSpend).toEqual({ amount: 1110102n, currency: 'ARS', scale: 2 });
  });
});
