import { OffsetClock } from '@concierge-ts/adapter-memory';
import { describe, expect, it } from 'vitest';
import { NO_MAGIC } from '../../src/index.js';
import { type Scheduler, type TimedMove, TimerQueue } from '../../src/provider/scheduler.js';
import { HOUR, locationOf, MINUTE, SECOND, START, world } from '../support/world.js';

/**
 * Rules of SPEC sections 4, 5, 7 and 9 for the provider's users, withdrawal instructions,
 * requests, acceptance checks and timed moves: the codes and pointers of refusals, who may
 * see what, and that every planned move happens. Expected values are written here by hand.
 */

describe('users (SPEC sections 1, 7)', () => {
  it('an API key of a user who is not a master is refused with 403 (SPEC 7: 403 not a master user)', () => {
    const w = world();
    const payee = w.user('payee@example.com');
    const record = w.repos.users.get(payee.id);
    if (!record) throw new Error('the user was not saved');
    w.repos.users.save({ ...record, apiKey: 'managed-key' });
    expect(w.service.authenticate('managed-key')._unsafeUnwrapErr()).toMatchObject({
      type: 'permission',
      status: 403,
    });
    expect(w.service.authenticate('unknown-key')._unsafeUnwrapErr()).toMatchObject({ status: 401 });
    expect(w.service.authenticate(undefined)._unsafeUnwrapErr()).toMatchObject({ status: 401 });
    expect(w.service.authenticate(w.master.apiKey)._unsafeUnwrap().id).toBe(w.master.id);
  });

  it('an email must be one whole address: text before or after it is refused at /data/attributes/email', () => {
    const w = world();
    for (const email of ['ana maria@example.com', 'ana@example.com and more', 'ana@example']) {
      const refused = w.service.createUser(w.master, { email })._unsafeUnwrapErr();
      expect(refused).toMatchObject({ type: 'unprocessable', status: 422, code: 'invalid_attribute' });
      expect(locationOf(refused)).toBe('/data/attributes/email');
    }
    expect(w.service.listUsers(w.master)._unsafeUnwrap().items).toHaveLength(1);
  });

  it('email and name are optional on creation: null is as good as absent; a name that is no text is refused at its pointer', () => {
    const w = world();
    const made = w.service.createUser(w.master, { email: null, name: null } as never)._unsafeUnwrap();
    expect(made).toMatchObject({ email: null, name: null, complianceState: 'enabled' });
    const refused = w.service.createUser(w.master, { name: 7 } as never)._unsafeUnwrapErr();
    expect(refused).toMatchObject({ type: 'unprocessable', status: 422 });
    expect(locationOf(refused)).toBe('/data/attributes/name');
  });

  it('a master may read itself by id as well as its managed users; an unknown id is 404', () => {
    const w = world();
    expect(w.service.getUser(w.master, w.master.id)._unsafeUnwrap()).toMatchObject({
      id: w.master.id,
      email: 'master@example.com',
    });
    expect(w.service.getUser(w.master, 'u999')._unsafeUnwrapErr()).toMatchObject({
      type: 'not_found',
      status: 404,
    });
  });

  it('a user managed by another master is not visible: 404 by id, 422 unknown_user as a payer', () => {
    const w = world();
    const other = w.service.createMasterUser({ email: 'other@example.com' });
    const theirs = w.user('theirs@example.com', other);
    expect(w.service.getUser(w.master, theirs.id)._unsafeUnwrapErr()).toMatchObject({ status: 404 });
    expect(w.service.getUser(w.master, other.id)._unsafeUnwrapErr()).toMatchObject({ status: 404 });
    const refused = w.service
      .createRequest(w.master, { portCode: 'ar_ars', payerId: theirs.id })
      ._unsafeUnwrapErr();
    expect(refused).toMatchObject({ type: 'unprocessable', status: 422, code: 'unknown_user' });
    expect(locationOf(refused)).toBe('/data/relationships/user');
  });

  it('webhook_url: absent keeps it, null clears it, http and https are taken, anything else is refused at its pointer', () => {
    const w = world();
    const http = 'http://hooks.example.com/concierge';
    expect(w.service.updateMe(w.master, { webhookUrl: http })._unsafeUnwrap()).toMatchObject({
      webhookUrl: http,
    });
    expect(w.service.updateMe(w.master, {})._unsafeUnwrap()).toMatchObject({ webhookUrl: http });
    const https = 'https://hooks.example.com/concierge';
    expect(w.service.updateMe(w.master, { webhookUrl: https })._unsafeUnwrap()).toMatchObject({
      webhookUrl: https,
    });
    expect(w.service.updateMe(w.master, { webhookUrl: null })._unsafeUnwrap()).toMatchObject({
      webhookUrl: null,
    });
    for (const bad of ['ftp://hooks.example.com/x', 'not a url', ['http://hooks.example.com/x'], 7]) {
      const refused = w.service.updateMe(w.master, { webhookUrl: bad as never })._unsafeUnwrapErr();
      expect(refused).toMatchObject({ type: 'unprocessable', status: 422, code: 'invalid_attribute' });
      expect(locationOf(refused)).toBe('/data/attributes/webhook_url');
    }
    expect(w.service.me(w.master)._unsafeUnwrap()).toMatchObject({ webhookUrl: null });
  });

  it('webhook_url: at most 2,048 characters, the longest URL browsers and proxies carry everywhere', () => {
    const w = world();
    const base = 'https://hooks.example.com/';
    const longest = base + 'a'.repeat(2048 - base.length);
    expect(w.service.updateMe(w.master, { webhookUrl: longest })._unsafeUnwrap().webhookUrl).toBe(longest);
    const refused = w.service.updateMe(w.master, { webhookUrl: `${longest}a` })._unsafeUnwrapErr();
    expect(refused).toMatchObject({ status: 422, code: 'invalid_attribute' });
    expect(locationOf(refused)).toBe('/data/attributes/webhook_url');
    expect(w.service.me(w.master)._unsafeUnwrap().webhookUrl).toBe(longest);
  });
});

describe('withdrawal instructions (SPEC sections 5, 7.1)', () => {
  it('a body is required: absent or null is refused with missing_field at /data/attributes/body, nothing created', () => {
    const w = world();
    const payee = w.user('payee@example.com');
    for (const body of [undefined, null]) {
      const refused = w.service
        .createWithdrawalInstruction(w.master, { userId: payee.id, label: 'x', body } as never)
        ._unsafeUnwrapErr();
      expect(refused).toMatchObject({ type: 'unprocessable', status: 422, code: 'missing_field' });
      expect(locationOf(refused)).toBe('/data/attributes/body');
    }
    expect(w.service.listWithdrawalInstructions(w.master)._unsafeUnwrap().items).toHaveLength(0);
  });

  it("another master's instruction is not visible: 404 to read or delete, 422 unknown_withdrawal_instruction on an output", () => {
    const w = world();
    const other = w.service.createMasterUser({ email: 'other@example.com' });
    const theirPayee = w.user('theirs@example.com', other);
    const theirs = w.instruction(theirPayee.id, 'cl_clp', 'other', other);
    expect(w.service.getWithdrawalInstruction(w.master, theirs.id)._unsafeUnwrapErr()).toMatchObject({
      type: 'not_found',
      status: 404,
    });
    expect(w.service.deleteWithdrawalInstruction(w.master, theirs.id)._unsafeUnwrapErr()).toMatchObject({
      status: 404,
    });
    expect(w.service.getWithdrawalInstruction(other, theirs.id).isOk()).toBe(true);
    const request = w.draft(w.payer().id);
    const payee = w.user('payee@example.com');
    const refused = w.service
      .createOutput(w.master, {
        requestId: request.id,
        payeeId: payee.id,
        withdrawalInstructionId: theirs.id,
        portCode: 'cl_clp',
        amount: 5000,
      })
      ._unsafeUnwrapErr();
    expect(refused).toMatchObject({
      type: 'unprocessable',
      status: 422,
      code: 'unknown_withdrawal_instruction',
    });
    expect(locationOf(refused)).toBe('/data/relationships/withdrawal_instruction');
  });
});

describe('requests (SPEC sections 3, 5, 7)', () => {
  it('payment_authorization_code on creation and external_id on change are refused at their own pointers', () => {
    const w = world();
    const payer = w.payer();
    const code = w.service
      .createRequest(w.master, {
        portCode: 'ar_ars',
        payerId: payer.id,
        paymentAuthorizationCode: 7 as unknown as string,
      })
      ._unsafeUnwrapErr();
    expect(code).toMatchObject({ type: 'unprocessable', status: 422, code: 'invalid_attribute' });
    expect(locationOf(code)).toBe('/data/attributes/payment_authorization_code');
    const request = w.draft(payer.id);
    const external = w.service
      .updateRequest(w.master, request.id, { externalId: 7 as unknown as string })
      ._unsafeUnwrapErr();
    expect(external).toMatchObject({ type: 'unprocessable', status: 422, code: 'invalid_attribute' });
    expect(locationOf(external)).toBe('/data/attributes/external_id');
  });

  it('an output for an unknown request is refused with unknown_request at /data/relationships/request', () => {
    const w = world();
    const payee = w.user('payee@example.com');
    const wi = w.instruction(payee.id, 'cl_clp');
    const refused = w.service
      .createOutput(w.master, {
        requestId: 'r999',
        payeeId: payee.id,
        withdrawalInstructionId: wi.id,
        portCode: 'cl_clp',
        amount: 5000,
      })
      ._unsafeUnwrapErr();
    expect(refused).toMatchObject({ type: 'unprocessable', status: 422, code: 'unknown_request' });
    expect(locationOf(refused)).toBe('/data/relationships/request');
  });

  it('a hint_token that is empty is an invalid attribute (422) whatever the state; a well-formed one on a non-draft is 409', () => {
    const w = world();
    const estimate = w.service
      .createEstimate({ portCode: 'ar_ars', outputs: [{ portCode: 'cl_clp', amount: 5000 }] })
      ._unsafeUnwrap();
    const request = w.draft(w.payer().id);
    w.output(request.id, { port: 'cl_clp', amount: 5000 });
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    const empty = w.service.requestQuote(w.master, request.id, { hintToken: '' })._unsafeUnwrapErr();
    expect(empty).toMatchObject({ type: 'unprocessable', status: 422, code: 'hint_token_malformed' });
    expect(locationOf(empty)).toBe('/data/attributes/hint_token');
    // The token has expired by now: the request's state is what is wrong, and it is named.
    w.advance(11 * MINUTE);
    const late = w.service
      .requestQuote(w.master, request.id, { hintToken: estimate.hintToken })
      ._unsafeUnwrapErr();
    expect(late).toMatchObject({ type: 'conflict', status: 409, code: 'invalid_transition' });
  });
});

/** A draft, and the fields of an output to a new payee in cl_clp, without its target. */
const draftWithLine = (w: ReturnType<typeof world>) => {
  const request = w.draft(w.payer().id);
  const payee = w.user('payee@example.com');
  const wi = w.instruction(payee.id, 'cl_clp');
  const line = {
    requestId: request.id,
    payeeId: payee.id,
    withdrawalInstructionId: wi.id,
    portCode: 'cl_clp',
  };
  return { request, line };
};

describe('output targets (SPEC section 5: exactly one of amount or budget)', () => {
  it('a null amount or budget is one not given: the other one is the target', () => {
    const w = world();
    const { line } = draftWithLine(w);
    const byBudget = w.service.createOutput(w.master, { ...line, amount: null, budget: 1000 } as never);
    expect(byBudget._unsafeUnwrap()).toMatchObject({
      budget: { amount: 100000n, currency: 'ARS', scale: 2 },
    });
    const byAmount = w.service.createOutput(w.master, { ...line, amount: 5000, budget: null } as never);
    expect(byAmount._unsafeUnwrap()).toMatchObject({ amount: { amount: 5000n, currency: 'CLP', scale: 0 } });
    const neither = w.service
      .createOutput(w.master, { ...line, amount: null, budget: null } as never)
      ._unsafeUnwrapErr();
    expect(neither).toMatchObject({ type: 'unprocessable', status: 422, code: 'amount_or_budget' });
    expect(locationOf(neither)).toBe('/data/attributes/amount');
  });
});

describe('output amounts (SPEC section 5: a JSON number or a plain decimal string, nothing else)', () => {
  it('a string amount or budget with a sign, an exponent or spaces is refused at its pointer and creates nothing', () => {
    const w = world();
    const { request, line } = draftWithLine(w);
    for (const [field, given] of [
      ['amount', '+5000'],
      ['amount', '5e3'],
      ['amount', ' 5000'],
      ['budget', '1000.00 '],
      ['budget', '.5'],
    ] as const) {
      const refused = w.service
        .createOutput(w.master, { ...line, [field]: given } as never)
        ._unsafeUnwrapErr();
      expect(refused).toMatchObject({ type: 'unprocessable', status: 422, code: 'invalid_amount' });
      expect(locationOf(refused)).toBe(`/data/attributes/${field}`);
    }
    expect(w.service.listOutputs(w.master, { requestId: request.id })._unsafeUnwrap().items).toEqual([]);
    const plain = w.service.createOutput(w.master, { ...line, amount: '5000' } as never)._unsafeUnwrap();
    expect(plain).toMatchObject({ amount: { amount: 5000n, currency: 'CLP', scale: 0 } });
  });
});

describe('acceptance checks (SPEC sections 4, 9)', () => {
  it('an output priced by its quote is checked at its quoted amount: the rate source is not needed again', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const output = w.output(request.id, { port: 'cl_clp', amount: 5000 });
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(SECOND);
    expect(w.request(request.id).state).toBe('quoted');
    expect(w.outputOf(output.id).state).toBe('accepting');
    w.pricing.down = true;
    w.advance(SECOND);
    expect(w.outputOf(output.id).state).toBe('accepted');
    expect(w.failures).toEqual([]);
  });

  it('checks planned together still run for the outputs left accepting when one of them was moved first', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const first = w.output(request.id);
    const second = w.output(request.id);
    w.service.outputAction(w.master, first.id, 'reject', { reason: 'compliance_rejected' })._unsafeUnwrap();
    expect(w.service.runUntilIdle(w.clock).isOk()).toBe(true);
    // Idle, the draft is pruned in the end (24 h); the second output was accepted 2 s in, before that.
    expect(w.eventsOf(second.id)).toEqual([
      { type: 'concierge_request_output_accepting', at: 0 },
      { type: 'concierge_request_output_accepted', at: 2 * SECOND },
      { type: 'concierge_request_output_cancelled', at: 24 * HOUR },
    ]);
    expect(w.outputOf(first.id).state).toBe('rejected');
  });
});

describe('running until idle (SPEC section 9)', () => {
  it('a step planned for an earlier attempt of a retried output is not due: the clock does not move to it', () => {
    // The first attempt settles by itself; from the retry on, the operator decides (no script).
    let scripted = true;
    const w = world({ policy: { ...NO_MAGIC, outcomeScript: () => (scripted ? 'settle' : null) } });
    const request = w.draft(w.payer({ portCode: 'ar_ars', amount: '1000000' }).id);
    const output = w.output(request.id);
    w.advance(2 * SECOND);
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(SECOND);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(SECOND);
    expect(w.outputOf(output.id)).toMatchObject({ state: 'working', attempts: 1 });
    // Its issue is planned 10 minutes into work; the operator issues and fails it at once, and retries it.
    w.service.outputAction(w.master, output.id, 'issue')._unsafeUnwrap();
    w.service.outputAction(w.master, output.id, 'fail')._unsafeUnwrap();
    scripted = false;
    w.service.outputAction(w.master, output.id, 'retry')._unsafeUnwrap();
    expect(w.outputOf(output.id)).toMatchObject({ state: 'working', attempts: 2 });
    expect(w.service.runUntilIdle(w.clock)._unsafeUnwrap()).toEqual({ advancedMs: 0 });
    expect(w.outputOf(output.id)).toMatchObject({ state: 'working', attempts: 2 });
  });
});

describe('the timer queue (SPEC section 9: everything due fires, in order)', () => {
  it('gives back at its instant every output of every check planned then, however many', () => {
    const queue = new TimerQueue();
    const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => `o${from + i}`);
    const at = START + 2 * SECOND;
    const planned = [ids(0, 1000), ids(1000, 100), ids(1100, 2000), ids(3100, 1)];
    for (const outputIds of planned) queue.schedule(at, { kind: 'run_checks', requestId: 'r1', outputIds });
    queue.schedule(at, { kind: 'run_checks', requestId: 'r2', outputIds: ['p1'] });
    expect(queue.size()).toBe(3102);
    const due = queue.takeDue(at);
    const taken = (due?.moves ?? []).flatMap((m: TimedMove) =>
      m.kind === 'run_checks' ? m.outputIds.map((id) => `${m.requestId}/${id}`) : [],
    );
    expect(taken).toEqual([...planned.flat().map((id) => `r1/${id}`), 'r2/p1']);
    expect(queue.size()).toBe(0);
  });
});

describe('runUntilIdle on a clock that moves by itself (SPEC section 9: the sandbox server’s clock)', () => {
  it('a whole payment runs to its end and the clock never has to go back, however much time passes between two readings', () => {
    for (const perReading of [
      1,
      999,
      1000,
      1001,
      MINUTE,
      10 * MINUTE,
      30 * MINUTE,
      59 * MINUTE,
      HOUR,
      2 * HOUR,
    ]) {
      // Real time as the sandbox server reads it: still while the payment is set up, then
      // passing `perReading` ms at every reading while runUntilIdle works.
      let t = START;
      let step = 0;
      const clock = new OffsetClock(() => {
        t += step;
        return t;
      });
      const w = world({ clock });
      const request = w.draft(w.payer({ portCode: 'ar_ars', amount: '1000000' }).id);
      const output = w.output(request.id, { outcome: 'settles' });
      w.advance(2 * SECOND);
      w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
      w.advance(SECOND);
      w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
      step = perReading;
      const ran = w.service.runUntilIdle(clock);
      expect(ran.isOk(), `${perReading} ms per reading`).toBe(true);
      expect(w.outputOf(output.id).state).toBe('settled');
      expect(w.service.nextDueAt()).toBeNull();
    }
  });
});

describe('runUntilIdle on a schedule that never empties', () => {
  it('gives up after a million instants with a server error, instead of running forever', () => {
    // Always something due a millisecond from now, and never anything to take: a stuck schedule.
    let readings = 0;
    const stuck: Scheduler = {
      schedule: () => undefined,
      nextDueAt: () => {
        readings += 1;
        return Number.MAX_SAFE_INTEGER;
      },
      takeDue: () => undefined,
      size: () => 1,
      clear: () => undefined,
    };
    const w = world({ scheduler: stuck });
    const refused = w.service.runUntilIdle(w.clock)._unsafeUnwrapErr();
    expect(refused).toMatchObject({ type: 'server', status: 500 });
    // One look at the schedule per instant tried, and the one that found it still not empty.
    expect(readings).toBe(1_000_001);
    expect(w.clock.now()).toBe(START);
  });
});
