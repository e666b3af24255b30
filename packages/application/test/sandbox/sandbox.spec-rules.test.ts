import { describe, expect, it } from 'vitest';
import { NO_MAGIC, parseLogLevel, serviceOperator } from '../../src/index.js';
import { HOUR, locationOf, MINUTE, SECOND, type World, world } from '../support/world.js';

/**
 * The sandbox (SPEC section 9): outputs move on by themselves on the sandbox clock as their
 * account's magic value says (issued 10 minutes after work starts, settled 1 hour after
 * issue; a failed one retried 10 minutes later, given up only for the account that fails
 * until it is returned), an output with no scripted outcome waits for the operator, and the
 * operator's calls refuse bad input as the API does.
 */

const FUNDS = { portCode: 'ar_ars', amount: '1000000' };

/** Working from START + 4 s (quote asked at 2 s, produced and accepted at 3 s, funds found at 4 s). */
const T0 = 4 * SECOND;
const working = (w: World, outcome: Parameters<World['output']>[1] = {}) => {
  const payer = w.payer(FUNDS);
  const request = w.draft(payer.id);
  const output = w.output(request.id, outcome);
  w.advance(2 * SECOND);
  w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
  w.advance(SECOND);
  w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
  w.advance(SECOND);
  expect(w.request(request.id).state).toBe('working');
  return { payer, request, output };
};

const afterAccepted = (w: World, outputId: string) =>
  w.eventsOf(outputId).filter((e) => !['accepting', 'accepted'].some((s) => e.type.endsWith(`_${s}`)));

describe('scripted outcomes (SPEC section 9)', () => {
  it('an output retried by the operator is issued 10 minutes after the retry and settled 1 hour after issue', () => {
    const w = world();
    const { output } = working(w, { outcome: 'settles' });
    w.advance(10 * MINUTE);
    expect(w.outputOf(output.id).state).toBe('settling');
    w.advance(20 * MINUTE);
    w.service.outputAction(w.master, output.id, 'fail')._unsafeUnwrap();
    w.service.outputAction(w.master, output.id, 'retry')._unsafeUnwrap();
    w.advance(3 * HOUR);
    expect(w.outputOf(output.id)).toMatchObject({ state: 'settled', attempts: 2 });
    expect(afterAccepted(w, output.id)).toEqual([
      { type: 'concierge_request_output_working', at: T0 },
      { type: 'concierge_request_output_settling', at: T0 + 10 * MINUTE },
      { type: 'concierge_request_output_failed', at: T0 + 30 * MINUTE },
      { type: 'concierge_request_output_working', at: T0 + 30 * MINUTE },
      { type: 'concierge_request_output_settling', at: T0 + 40 * MINUTE },
      { type: 'concierge_request_output_settled', at: T0 + 100 * MINUTE },
    ]);
  });

  it('an account that settles, failed by the operator, is retried by itself: only the fails-until-returned account is given up', () => {
    // One attempt is all a fails-until-returned account would get here.
    const w = world({ maxAttempts: 1 });
    const { output } = working(w, { outcome: 'settles' });
    w.advance(30 * MINUTE);
    w.service.outputAction(w.master, output.id, 'fail')._unsafeUnwrap();
    w.advance(3 * HOUR);
    expect(w.outputOf(output.id)).toMatchObject({ state: 'settled', attempts: 2 });
    expect(afterAccepted(w, output.id).map((e) => e.type.replace('concierge_request_output_', ''))).toEqual([
      'working',
      'settling',
      'failed',
      'working',
      'settling',
      'settled',
    ]);
  });

  it('every output of a large request moves on by itself, however many take the same step at once', () => {
    const w = world();
    const payer = w.payer({ portCode: 'ar_ars', amount: '20000000' });
    const request = w.draft(payer.id);
    const payee = w.user('payee@example.com');
    const wi = w.instruction(payee.id, 'cl_clp', 'settles');
    const count = 1100;
    for (let i = 0; i < count; i += 1)
      w.service
        .createOutput(w.master, {
          requestId: request.id,
          payeeId: payee.id,
          withdrawalInstructionId: wi.id,
          portCode: 'cl_clp',
          amount: 5000,
        })
        ._unsafeUnwrap();
    w.advance(2 * SECOND);
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(SECOND);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(SECOND);
    expect(w.request(request.id).counters.working).toBe(count);
    w.advance(70 * MINUTE);
    expect(w.request(request.id)).toMatchObject({ state: 'finished' });
    expect(w.request(request.id).counters.settled).toBe(count);
  });

  it('without magic values, a working output waits for the operator: nothing is due, and running until idle moves no clock', () => {
    const w = world({ policy: NO_MAGIC });
    const { output } = working(w);
    const idle = w.service.runUntilIdle(w.clock)._unsafeUnwrap();
    expect(idle.advancedMs).toBe(0);
    expect(w.outputOf(output.id).state).toBe('working');
    w.advance(24 * HOUR);
    expect(w.outputOf(output.id).state).toBe('working');
  });
});

describe('deposits (SPEC sections 3 and 9)', () => {
  it('the funds are looked for 1 s after an accept or a deposit: a deposit before the accept does not hurry the start of work', () => {
    const w = world();
    const payer = w.payer(FUNDS);
    const request = w.draft(payer.id);
    w.quoteRequested(request.id);
    w.advance(SECOND);
    expect(w.request(request.id).state).toBe('quoted');
    w.advance(500);
    w.service.deposit(w.master, payer.id, { portCode: 'ar_ars', amount: '1' })._unsafeUnwrap();
    w.advance(400);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    // 1 s after the deposit, 0.6 s after the accept: the funds are not looked for yet.
    w.advance(600);
    expect(w.request(request.id).state).toBe('quote_accepted');
    w.advance(400);
    expect(w.request(request.id).state).toBe('working');
    expect(w.eventsOf(request.id).filter((e) => e.type === 'concierge_request_working')).toEqual([
      { type: 'concierge_request_working', at: 4900 },
    ]);
  });
});

describe('the operator refuses bad input as the API does (SPEC section 9)', () => {
  it('a clock advance that is no number of seconds is invalid_attribute at /seconds', async () => {
    const w = world();
    const operator = serviceOperator(w.service, w.clock, w.master.apiKey as string);
    const refused = (await operator.advanceClock(-1))._unsafeUnwrapErr();
    expect(refused).toMatchObject({ type: 'unprocessable', status: 422, code: 'invalid_attribute' });
    expect(locationOf(refused)).toBe('/seconds');
  });
});

describe('the sandbox log level (CONCIERGE_LOG_LEVEL, README of the sandbox server)', () => {
  it('reads the levels trace, debug, info, warn, error, fatal and silent, in any case, around spaces', () => {
    expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].map(parseLogLevel)).toEqual([
      'trace',
      'debug',
      'info',
      'warn',
      'error',
      'fatal',
      'silent',
    ]);
    expect(parseLogLevel(' Debug ')).toBe('debug');
    expect(parseLogLevel('WARN')).toBe('warn');
  });

  it('anything else, or nothing, is no level', () => {
    for (const value of [undefined, '', ' ', 'verbose', '30', 'de bug', 'infos'])
      expect(parseLogLevel(value)).toBeUndefined();
  });
});
