import { describe, expect, it } from 'vitest';
import { MAGIC_VALUES, magicTable } from '../../src/index.js';
import { HOUR, SECOND, type World, world } from '../support/world.js';

/**
 * Magic values (SPEC section 9): documented test account identifiers that pass their
 * country's checks, one that settles, one that is rejected (`instruction_mismatch`), one
 * that fails once then settles, one that fails until it is returned; any other valid
 * identifier settles by itself. A new user is `enabled` unless the local part of its email
 * contains `+new`, `+disabled` or `+rejected`.
 */

describe('a new user’s compliance state by its email (SPEC section 9)', () => {
  it.each([
    ['ana+new@example.com', 'new'],
    ['ana+disabled@example.com', 'disabled'],
    ['ana+rejected@example.com', 'rejected'],
    ['x+rejected+y@example.com', 'rejected'],
    ['ana@example.com', 'enabled'],
    ['ana+other@example.com', 'enabled'],
    // Only the local part counts.
    ['ana@new+rejected.example.com', 'enabled'],
  ])('%s starts %s', (email, state) => {
    const w = world();
    expect(w.user(email).complianceState).toBe(state);
  });

  it('a user created without an email starts enabled', () => {
    const w = world();
    expect(w.service.createUser(w.master, {})._unsafeUnwrap().complianceState).toBe('enabled');
    expect(MAGIC_VALUES.initialCompliance(null)).toBe('enabled');
  });

  it('the table served says the same of emails', () => {
    expect(magicTable().emails).toEqual({ '+new': 'new', '+disabled': 'disabled', '+rejected': 'rejected' });
  });
});

const CURRENCY: Record<string, string> = { AR: 'ARS', CL: 'CLP', MX: 'MXN', US: 'USD', PY: 'PYG', UY: 'UYU' };
const PORT: Record<string, 'ar_ars' | 'cl_clp' | 'mx_mxn' | 'us_usd'> = {
  AR: 'ar_ars',
  CL: 'cl_clp',
  MX: 'mx_mxn',
  US: 'us_usd',
};
/** An amount within each port's limits. */
const AMOUNT: Record<string, number> = { AR: 5000, CL: 5000, MX: 500, US: 50 };

/** A domestic_bank body of `country` with the table's identifiers. */
const bodyOf = (country: string, identifiers: Readonly<Record<string, string>>) => ({
  payment_method: 'domestic_bank',
  country,
  currency: CURRENCY[country],
  name: 'Ana Pérez',
  bank: 'Banco de Prueba',
  account_type: 'savings',
  bank_account_number: '000123456789',
  ...identifiers,
});

/** Pays `body` from a funded ARS payer and runs the sandbox until idle; the output as it ends. */
const payTo = (w: World, country: string, body: ReturnType<typeof bodyOf>) => {
  const payer = w.payer({ portCode: 'ar_ars', amount: '100000000' });
  const payee = w.user(`payee-${country}-${Object.values(body).join('').length}@example.com`);
  const instruction = w.service
    .createWithdrawalInstruction(w.master, { userId: payee.id, label: 'magic', body })
    ._unsafeUnwrap();
  const request = w.draft(payer.id);
  const output = w.service
    .createOutput(w.master, {
      requestId: request.id,
      payeeId: payee.id,
      withdrawalInstructionId: instruction.id,
      portCode: PORT[country] as string,
      amount: AMOUNT[country] as number,
    })
    ._unsafeUnwrap();
  w.advance(2 * SECOND);
  if (w.outputOf(output.id).state === 'accepted') {
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    w.service.produceQuoteNow(w.master, request.id)._unsafeUnwrap();
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
  }
  w.service.runUntilIdle(w.clock)._unsafeUnwrap();
  return w.outputOf(output.id);
};

describe('the table of test identifiers (SPEC section 9)', () => {
  const table = magicTable();

  it('has a row per outcome for each country of the sandbox ports, and none for OTHER', () => {
    expect(Object.keys(table.withdrawal_instructions).sort()).toEqual(['AR', 'CL', 'MX', 'PY', 'US', 'UY']);
    for (const rows of Object.values(table.withdrawal_instructions))
      expect(Object.keys(rows).sort()).toEqual(['fails_once', 'fails_until_returned', 'rejected', 'settles']);
    expect(Object.keys(table.outcomes).sort()).toEqual([
      'any_other',
      'fails_once',
      'fails_until_returned',
      'rejected',
      'settles',
    ]);
  });

  it('every identifier passes its country’s checks: an instruction with it is created', () => {
    const w = world();
    const payee = w.user('payee@example.com');
    for (const [country, rows] of Object.entries(table.withdrawal_instructions))
      for (const identifiers of Object.values(rows)) {
        expect(Object.keys(identifiers).length).toBeGreaterThan(0);
        const made = w.service.createWithdrawalInstruction(w.master, {
          userId: payee.id,
          label: 'magic',
          body: bodyOf(country, identifiers),
        });
        expect(made.isOk(), `${country} ${JSON.stringify(identifiers)}`).toBe(true);
      }
  });

  for (const country of Object.keys(PORT)) {
    it(`${country}: each row has its outcome, on its own`, () => {
      const rows = table.withdrawal_instructions[country];
      if (!rows) throw new Error(`no row for ${country}`);
      const w = world();
      expect(payTo(w, country, bodyOf(country, rows.settles))).toMatchObject({
        state: 'settled',
        attempts: 1,
      });
      expect(payTo(w, country, bodyOf(country, rows.rejected))).toMatchObject({
        state: 'rejected',
        rejectionReason: 'instruction_mismatch',
      });
      expect(payTo(w, country, bodyOf(country, rows.fails_once))).toMatchObject({
        state: 'settled',
        attempts: 2,
      });
      expect(payTo(w, country, bodyOf(country, rows.fails_until_returned))).toMatchObject({
        state: 'returned',
        attempts: 3,
      });
    });
  }

  it('a rejected row accepted by the operator settles when it works', () => {
    const w = world();
    const rows = table.withdrawal_instructions.AR;
    if (!rows) throw new Error('no AR row');
    const payer = w.payer({ portCode: 'ar_ars', amount: '100000' });
    const payee = w.user('p@example.com');
    const wi = w.service
      .createWithdrawalInstruction(w.master, {
        userId: payee.id,
        label: 'x',
        body: bodyOf('AR', rows.rejected),
      })
      ._unsafeUnwrap();
    const request = w.draft(payer.id);
    const output = w.service
      .createOutput(w.master, {
        requestId: request.id,
        payeeId: payee.id,
        withdrawalInstructionId: wi.id,
        portCode: 'ar_ars',
        amount: 5000,
      })
      ._unsafeUnwrap();
    w.service.outputAction(w.master, output.id, 'accept')._unsafeUnwrap();
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    w.service.produceQuoteNow(w.master, request.id)._unsafeUnwrap();
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    w.service.runUntilIdle(w.clock)._unsafeUnwrap();
    expect(w.outputOf(output.id)).toMatchObject({ state: 'settled', attempts: 1 });
  });

  it('identifiers of two different rows mixed are no test account: they settle by themselves', () => {
    const rows = table.withdrawal_instructions.AR;
    if (!rows) throw new Error('no AR row');
    const w = world();
    const mixed = bodyOf('AR', { cbu: rows.fails_until_returned.cbu ?? '', cuit: rows.settles.cuit ?? '' });
    expect(payTo(w, 'AR', mixed)).toMatchObject({ state: 'settled', attempts: 1 });
  });

  it('the returned row is given up 4 hours into work', () => {
    const rows = table.withdrawal_instructions.MX;
    if (!rows) throw new Error('no MX row');
    const w = world();
    const before = w.clock.now();
    payTo(w, 'MX', bodyOf('MX', rows.fails_until_returned));
    // Checks at 2 s, quoted, accepted and working 1 s later, returned 4 h into work.
    expect(w.clock.now() - before).toBe(3 * SECOND + 4 * HOUR);
  });
});
