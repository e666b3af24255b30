import { moneyText } from '@concierge-ts/domain';
import { ok, type ResultAsync } from 'neverthrow';
import type {
  ComplianceState,
  ConciergeClient,
  ConciergeError,
  OutputView,
  RequestView,
  SandboxOperator,
  UserView,
} from '../index.js';
import { allItems, allPages, isConciergeError } from '../index.js';
import type { ContractRunner } from './runner.js';

/** What the contract suite needs: a master's client and operator, and a second master in the same sandbox. */
export interface ContractHarness {
  readonly client: ConciergeClient;
  readonly operator: SandboxOperator;
  readonly other: { readonly client: ConciergeClient; readonly operator: SandboxOperator };
  dispose(): Promise<void>;
}

const value = async <T>(call: ResultAsync<T, ConciergeError>): Promise<T> => {
  const result = await call;
  if (result.isErr()) throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  return result.value;
};

const failure = async <T>(call: ResultAsync<T, ConciergeError>): Promise<ConciergeError> => {
  const result = await call;
  if (result.isOk())
    throw new Error(
      `expected a refusal, got ${JSON.stringify(result.value, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
    );
  // Every client refuses with the same kinds, each with the fields its kind always has.
  if (!isConciergeError(result.error))
    throw new Error(`not a well-formed ConciergeError: ${JSON.stringify(result.error)}`);
  return result.error;
};

const ACCOUNTS = {
  waits: '12345678',
  settles: '99990000',
  rejected: '99990002',
  failsOnce: '99990004',
  returned: '99990006',
};

/** A small world: a funded payer and payees in a few ports, created through the client like an integrator would. */
const makeWorld = async (h: { client: ConciergeClient; operator: SandboxOperator }, funds = 50_000_000) => {
  const payer = await value(h.client.users.create({ email: 'payer@example.com', name: 'Payer' }));
  if (funds > 0) await value(h.operator.deposit(payer.id, { portCode: 'ar_ars', amount: funds }));
  const payee = async (
    port: string,
    account = ACCOUNTS.waits,
    email = `payee.${port}.${account}@example.com`,
  ) => {
    const [country = '', currency = ''] = port.split('_');
    const user = await value(h.client.users.create({ email }));
    const instruction = await value(
      h.client.withdrawalInstructions.create({
        userId: user.id,
        label: `${port} account`,
        body: {
          payment_method: 'bank_transfer',
          country: country.toUpperCase(),
          currency: currency.toUpperCase(),
          account_number: account,
          holder_name: 'Ana Pérez',
        },
      }),
    );
    return { user, instruction, port };
  };
  const draft = (externalId?: string) =>
    value(
      h.client.requests.create({
        portCode: 'ar_ars',
        payerId: payer.id,
        ...(externalId ? { externalId } : {}),
      }),
    );
  const output = (
    request: RequestView,
    to: Awaited<ReturnType<typeof payee>>,
    target: { amount: number | string } | { budget: number | string },
  ) =>
    h.client.outputs.create({
      requestId: request.id,
      payeeId: to.user.id,
      withdrawalInstructionId: to.instruction.id,
      portCode: to.port,
      ...target,
    });
  return { payer, payee, draft, output };
};

/**
 * Lets `seconds` pass on the sandbox clock: the service makes its own moves later, as the
 * real one does (SPEC section 9): checks 2 s after an output is created, a quote 1 s after
 * it is requested, work 1 s after the funds are there.
 */
const pass = (h: { operator: SandboxOperator }, seconds: number) => value(h.operator.advanceClock(seconds));

const balanceOf = (user: UserView, currency = 'ars'): bigint => user.balances[currency]?.amount ?? 0n;

const allUsers = (client: ConciergeClient): Promise<UserView[]> =>
  value(allItems((page) => client.users.list({ page })));

/**
 * The behaviour every `ConciergeClient` must have (SPEC sections 2 to 9), written once
 * and run against each implementation: the in-process client, the HTTP client talking
 * to the sandbox in-process, and over loopback. Registers its tests with `runner`
 * (`describeConciergeClient` of `./vitest` or `./node` passes theirs).
 */
export const describeConciergeClientWith = (
  runner: ContractRunner,
  name: string,
  factory: () => Promise<ContractHarness>,
): void => {
  const { describe, it, beforeEach, afterEach, expect } = runner;
  describe(`ConciergeClient contract: ${name}`, () => {
    let h: ContractHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.dispose();
    });

    describe('ports', () => {
      it('lists the catalog with currencies and limits', async () => {
        const ports = await value(h.client.ports.list());
        const codes = ports.map((p) => p.code);
        expect(codes).toEqual(expect.arrayContaining(['ar_ars', 'cl_clp', 'mx_mxn', 'us_usd']));
        const ars = ports.find((p) => p.code === 'ar_ars');
        expect(ars).toMatchObject({ country: 'AR', currency: 'ARS', active: true });
        expect(ports.find((p) => p.code === 'us_usd')?.quoteDelaySeconds).toBe(3600);
      });
    });

    describe('users and withdrawal instructions', () => {
      it('creates managed users, enabled unless the email says +new, +disabled or +rejected', async () => {
        const ana = await value(h.client.users.create({ email: 'ana@example.com', name: 'Ana' }));
        expect(ana).toMatchObject({
          email: 'ana@example.com',
          name: 'Ana',
          complianceState: 'enabled',
          master: false,
        });
        const stateOf = async (email: string) =>
          (await value(h.client.users.create({ email }))).complianceState;
        expect(await stateOf('bo+new@example.com')).toBe('new');
        expect(await stateOf('bea+disabled@example.com')).toBe('disabled');
        expect(await stateOf('cy+rejected@example.com')).toBe('rejected');
        expect((await value(h.client.users.get(ana.id))).id).toBe(ana.id);
        const listed = await value(h.client.users.list());
        expect(listed.items.map((u) => u.email)).toEqual(expect.arrayContaining(['ana@example.com']));
      });

      it('creates a user with no attributes, as the published guide does', async () => {
        const bare = await value(h.client.users.create());
        expect(bare).toMatchObject({ email: null, name: null, complianceState: 'enabled', master: false });
        const named = await value(h.client.users.create({ name: 'Eve' }));
        expect(named).toMatchObject({ email: null, name: 'Eve' });
        expect(await value(h.client.users.get(bare.id))).toMatchObject({ id: bare.id, email: null });
      });

      it('lists the caller first, then the users it manages, as published', async () => {
        const me = await value(h.client.users.me());
        const ana = await value(h.client.users.create({ email: 'ana@example.com' }));
        const bo = await value(h.client.users.create());
        const ids = (await allUsers(h.client)).map((u) => u.id);
        expect(ids[0]).toBe(me.id);
        expect(ids.slice(-2)).toEqual([ana.id, bo.id]);
        expect(new Set(ids).size).toBe(ids.length);
        const first = (await value(h.client.users.list())).items[0];
        expect(first).toMatchObject({ id: me.id, master: true, complianceState: 'enabled' });
        // The other master is not one of them.
        const theirs = await value(h.other.client.users.me());
        expect(ids).not.toContain(theirs.id);
      });

      it('refuses a bad email naming the field, and an unknown user with not found', async () => {
        const bad = await failure(h.client.users.create({ email: 'not-an-email' }));
        expect(bad).toMatchObject({ type: 'unprocessable', status: 422, pointer: '/data/attributes/email' });
        expect(await failure(h.client.users.get('999999'))).toMatchObject({ type: 'not_found', status: 404 });
      });

      it('shows the master user as me, and sets its webhook_url', async () => {
        const me = await value(h.client.users.me());
        expect(me.master).toBe(true);
        const updated = await value(
          h.client.users.updateMe({ webhookUrl: 'https://hooks.example.com/concierge' }),
        );
        expect(updated.webhookUrl).toBe('https://hooks.example.com/concierge');
        const refused = await failure(h.client.users.updateMe({ webhookUrl: 'ftp://nope' }));
        expect(refused).toMatchObject({ type: 'unprocessable', pointer: '/data/attributes/webhook_url' });
        expect((await value(h.client.users.me())).webhookUrl).toBe('https://hooks.example.com/concierge');
      });

      it('creates, shows and lists withdrawal instructions; refuses bad bodies naming the field', async () => {
        const user = await value(h.client.users.create({ email: 'dee@example.com' }));
        const body = {
          payment_method: 'bank_transfer',
          country: 'CL',
          currency: 'CLP',
          account_number: '1234',
        };
        const created = await value(
          h.client.withdrawalInstructions.create({ userId: user.id, label: 'main', body }),
        );
        expect(created).toMatchObject({ userId: user.id, label: 'main', body });
        expect(await value(h.client.withdrawalInstructions.get(created.id))).toMatchObject({
          id: created.id,
        });
        const list = await value(h.client.withdrawalInstructions.list({ userId: user.id }));
        expect(list.items.map((i) => i.id)).toEqual([created.id]);
        const badCountry = await failure(
          h.client.withdrawalInstructions.create({
            userId: user.id,
            label: 'x',
            body: { ...body, country: 'Chile' },
          }),
        );
        expect(badCountry).toMatchObject({ type: 'unprocessable', pointer: '/data/attributes/body/country' });
        const unknownUser = await failure(
          h.client.withdrawalInstructions.create({ userId: '999999', label: 'x', body }),
        );
        expect(unknownUser).toMatchObject({ type: 'unprocessable', pointer: '/data/relationships/user' });
        expect(await failure(h.client.withdrawalInstructions.get('999999'))).toMatchObject({
          type: 'not_found',
        });
      });
    });

    describe('drafting requests', () => {
      it('drafts a request with zero counters, shows and lists it', async () => {
        const w = await makeWorld(h);
        const request = await w.draft('batch-1');
        expect(request).toMatchObject({
          state: 'draft',
          portCode: 'ar_ars',
          payerId: w.payer.id,
          externalId: 'batch-1',
        });
        expect(request.counters).toEqual({
          accepting: 0,
          accepted: 0,
          rejected: 0,
          working: 0,
          settling: 0,
          settled: 0,
          failed: 0,
          returned: 0,
          cancelled: 0,
          total: 0,
        });
        expect(request.totalToSpend).toBeNull();
        expect(request.eta).toBeNull();
        expect((await value(h.client.requests.get(request.id))).id).toBe(request.id);
        const byExternal = await value(h.client.requests.list({ externalId: 'batch-1' }));
        expect(byExternal.items.map((r) => r.id)).toEqual([request.id]);
        const byState = await value(h.client.requests.list({ state: 'quoted' }));
        expect(byState.items).toEqual([]);
      });

      it('refuses an unknown port, an unknown payer, and shows unknown ids as not found', async () => {
        const w = await makeWorld(h, 0);
        expect(
          await failure(h.client.requests.create({ portCode: 'zz_zzz', payerId: w.payer.id })),
        ).toMatchObject({
          type: 'unprocessable',
          pointer: '/data/attributes/port_code',
        });
        expect(
          await failure(h.client.requests.create({ portCode: 'AR-ARS', payerId: w.payer.id })),
        ).toMatchObject({
          type: 'unprocessable',
          code: 'invalid_port_code',
        });
        expect(
          await failure(h.client.requests.create({ portCode: 'ar_ars', payerId: '999999' })),
        ).toMatchObject({
          type: 'unprocessable',
          pointer: '/data/relationships/user',
        });
        expect(await failure(h.client.requests.get('999999'))).toMatchObject({
          type: 'not_found',
          status: 404,
        });
        expect((await value(h.client.requests.list())).items).toEqual([]);
      });

      it('changes external_id and payment_authorization_code with update', async () => {
        const w = await makeWorld(h, 0);
        const request = await w.draft();
        const updated = await value(
          h.client.requests.update(request.id, { externalId: 'ext-9', paymentAuthorizationCode: 'PAC-1' }),
        );
        expect(updated).toMatchObject({
          externalId: 'ext-9',
          paymentAuthorizationCode: 'PAC-1',
          state: 'draft',
        });
      });

      it('paginates lists with next pages, and walks them with allPages', async () => {
        const w = await makeWorld(h, 0);
        const ids = [];
        for (let i = 0; i < 5; i += 1) ids.push((await w.draft(`p-${i}`)).id);
        const first = await value(h.client.requests.list({ page: { number: 1, size: 2 } }));
        expect(first.items.map((r) => r.id)).toEqual(ids.slice(0, 2));
        expect(first.next).toBe(2);
        const last = await value(h.client.requests.list({ page: { number: 3, size: 2 } }));
        expect(last.items.map((r) => r.id)).toEqual(ids.slice(4));
        expect(last.next).toBeNull();
        const walked = [];
        for await (const r of allPages((page) => h.client.requests.list({ page }), 2))
          walked.push(r.map((request) => request.id));
        expect(walked).toEqual(ids.map((id) => ok(id)));
        const all = await value(allItems((page) => h.client.requests.list({ page }), 2));
        expect(all.map((r) => r.id)).toEqual(ids);
        const refused = [];
        for await (const r of allPages((page) => h.client.requests.list({ page: { ...page, number: 0 } }), 2))
          refused.push(r);
        expect(refused).toHaveLength(1);
        expect(refused[0]?._unsafeUnwrapErr()).toMatchObject({
          type: 'bad_request',
          pointer: 'page[number]',
        });
        expect(await failure(h.client.requests.list({ page: { number: 0, size: 2 } }))).toMatchObject({
          type: 'bad_request',
        });
      });
    });

    describe('outputs', () => {
      it('adds outputs by amount or by budget; checks accept them', async () => {
        const w = await makeWorld(h);
        const cl = await w.payee('cl_clp');
        const mx = await w.payee('mx_mxn');
        const request = await w.draft();
        const byAmount = await value(w.output(request, cl, { amount: 150000 }));
        // Created accepting: the checks have not run yet, as the provider answers.
        expect(byAmount).toMatchObject({
          state: 'accepting',
          portCode: 'cl_clp',
          given: 'amount',
          requestId: request.id,
        });
        expect(byAmount.amount && moneyText(byAmount.amount)).toBe('150000');
        const byBudget = await value(w.output(request, mx, { budget: '25000.50' }));
        expect(byBudget).toMatchObject({ state: 'accepting', given: 'budget' });
        expect(byBudget.budget && moneyText(byBudget.budget)).toBe('25000.50');
        expect((await value(h.client.requests.get(request.id))).counters).toMatchObject({ accepting: 2 });
        await pass(h, 1);
        expect((await value(h.client.outputs.get(byAmount.id))).state).toBe('accepting');
        await pass(h, 1);
        const after = await value(h.client.requests.get(request.id));
        expect(after.counters).toMatchObject({ accepted: 2, total: 2 });
        const listed = await value(h.client.outputs.list({ requestId: request.id }));
        expect(listed.items.map((o) => o.id)).toEqual([byAmount.id, byBudget.id]);
        expect((await value(h.client.outputs.get(byAmount.id))).id).toBe(byAmount.id);
        const withOutputs = await value(h.client.requests.getWithOutputs(request.id));
        expect(withOutputs.outputs.map((o) => o.id)).toEqual([byAmount.id, byBudget.id]);
      });

      it('refuses bad amounts naming the field, and changes nothing', async () => {
        const w = await makeWorld(h);
        const cl = await w.payee('cl_clp');
        const mx = await w.payee('mx_mxn');
        const request = await w.draft();
        const cases: [Parameters<typeof w.output>[2], Awaited<ReturnType<typeof w.payee>>, string, string][] =
          [
            [{ amount: 1500.5 }, cl, '/data/attributes/amount', 'invalid_amount'],
            [{ amount: 0 }, cl, '/data/attributes/amount', 'invalid_amount'],
            [{ amount: -10 }, mx, '/data/attributes/amount', 'invalid_amount'],
            [{ amount: 10.001 }, mx, '/data/attributes/amount', 'invalid_amount'],
            [{ amount: 'ten' }, mx, '/data/attributes/amount', 'invalid_amount'],
            [{ budget: 1e30 }, mx, '/data/attributes/budget', 'invalid_amount'],
            [{ amount: 100, budget: 100 } as never, mx, '/data/attributes/amount', 'amount_or_budget'],
            [{} as never, mx, '/data/attributes/amount', 'amount_or_budget'],
          ];
        for (const [target, to, pointer, code] of cases) {
          const refused = await failure(w.output(request, to, target));
          expect(refused, JSON.stringify(target)).toMatchObject({
            type: 'unprocessable',
            status: 422,
            pointer,
            code,
          });
        }
        expect((await value(h.client.requests.get(request.id))).counters.total).toBe(0);
        expect((await value(h.client.outputs.list({ requestId: request.id }))).items).toEqual([]);
      });

      it('refuses unknown references naming the relationship, and outputs on a request that is not a draft', async () => {
        const w = await makeWorld(h);
        const cl = await w.payee('cl_clp');
        const request = await w.draft();
        const base = {
          requestId: request.id,
          payeeId: cl.user.id,
          withdrawalInstructionId: cl.instruction.id,
          portCode: 'cl_clp',
          amount: 5000,
        };
        expect(await failure(h.client.outputs.create({ ...base, requestId: '999999' }))).toMatchObject({
          pointer: '/data/relationships/request',
        });
        expect(await failure(h.client.outputs.create({ ...base, payeeId: '999999' }))).toMatchObject({
          pointer: '/data/relationships/user',
        });
        expect(
          await failure(h.client.outputs.create({ ...base, withdrawalInstructionId: '999999' })),
        ).toMatchObject({
          pointer: '/data/relationships/withdrawal_instruction',
        });
        expect(await failure(h.client.outputs.create({ ...base, portCode: 'cl_xyz' }))).toMatchObject({
          pointer: '/data/attributes/port_code',
        });
        await value(h.client.outputs.create(base));
        await value(h.client.requests.requestQuote(request.id));
        expect(await failure(h.client.outputs.create(base))).toMatchObject({
          type: 'conflict',
          status: 409,
          code: 'invalid_transition',
        });
        expect(await failure(h.client.outputs.get('999999'))).toMatchObject({ type: 'not_found' });
      });

      it('runs the acceptance checks: compliance, instruction, limits; a new payee waits until enabled', async () => {
        const w = await makeWorld(h);
        const request = await w.draft();
        const rejectedPayee = await w.payee('cl_clp', ACCOUNTS.waits, 'no+rejected@example.com');
        const newPayee = await w.payee('cl_clp', ACCOUNTS.waits, 'wait+new@example.com');
        const cl = await w.payee('cl_clp');
        const mx = await w.payee('mx_mxn');
        const compliance = await value(w.output(request, rejectedPayee, { amount: 5000 }));
        const mismatch = await value(
          h.client.outputs.create({
            requestId: request.id,
            payeeId: cl.user.id,
            withdrawalInstructionId: cl.instruction.id,
            portCode: 'mx_mxn',
            amount: 100,
          }),
        );
        const othersInstruction = await value(
          h.client.outputs.create({
            requestId: request.id,
            payeeId: mx.user.id,
            withdrawalInstructionId: cl.instruction.id,
            portCode: 'cl_clp',
            amount: 5000,
          }),
        );
        const tooMuch = await value(w.output(request, mx, { amount: 5_000_000 }));
        const waiting = await value(w.output(request, newPayee, { amount: 5000 }));
        for (const o of [compliance, mismatch, othersInstruction, tooMuch, waiting])
          expect(o.state).toBe('accepting');
        await pass(h, 2);
        const get = (o: OutputView) => value(h.client.outputs.get(o.id));
        expect(await get(compliance)).toMatchObject({
          state: 'rejected',
          rejectionReason: 'compliance_rejected',
        });
        expect(await get(mismatch)).toMatchObject({
          state: 'rejected',
          rejectionReason: 'instruction_mismatch',
        });
        expect(await get(othersInstruction)).toMatchObject({
          state: 'rejected',
          rejectionReason: 'instruction_mismatch',
        });
        expect(await get(tooMuch)).toMatchObject({
          state: 'rejected',
          rejectionReason: 'amount_out_of_range',
        });
        expect((await get(waiting)).state).toBe('accepting');
        // Still under review however long it takes: the output keeps accepting.
        await pass(h, 3600);
        expect((await get(waiting)).state).toBe('accepting');
        const enabled = await value(h.operator.setCompliance(newPayee.user.id, 'enabled'));
        expect(enabled).toMatchObject({ id: newPayee.user.id, complianceState: 'enabled' });
        expect((await value(h.client.users.get(newPayee.user.id))).complianceState).toBe('enabled');
        expect((await get(waiting)).state).toBe('accepted');
        const counters = (await value(h.client.requests.get(request.id))).counters;
        expect(counters).toMatchObject({ rejected: 4, accepted: 1, accepting: 0, total: 5 });
      });

      it("keeps a disabled payee's payments waiting until enabled, and rejects a rejected payee's", async () => {
        const w = await makeWorld(h);
        const request = await w.draft();
        const payee = await w.payee('cl_clp');
        const later = await w.payee('mx_mxn', ACCOUNTS.waits, 'later+disabled@example.com');
        expect(later.user.complianceState).toBe('disabled');
        const disabled = await value(h.operator.setCompliance(payee.user.id, 'disabled'));
        expect(disabled.complianceState).toBe('disabled');
        const first = await value(w.output(request, payee, { amount: 5000 }));
        const second = await value(w.output(request, later, { amount: 500 }));
        await pass(h, 2);
        const get = (o: OutputView) => value(h.client.outputs.get(o.id));
        expect((await get(first)).state).toBe('accepting');
        expect((await get(second)).state).toBe('accepting');
        // Enabled again: its payments continue where they waited.
        await value(h.operator.setCompliance(payee.user.id, 'enabled'));
        expect((await get(first)).state).toBe('accepted');
        expect((await get(second)).state).toBe('accepting');
        // Rejected is permanent: the waiting payment is rejected, and so is every new one.
        await value(h.operator.setCompliance(later.user.id, 'rejected'));
        expect(await get(second)).toMatchObject({
          state: 'rejected',
          rejectionReason: 'compliance_rejected',
        });
        const third = await value(w.output(request, later, { amount: 500 }));
        await pass(h, 2);
        expect(await get(third)).toMatchObject({ state: 'rejected', rejectionReason: 'compliance_rejected' });
        expect((await value(h.client.requests.get(request.id))).counters).toMatchObject({
          accepted: 1,
          rejected: 2,
          accepting: 0,
        });
      });
    });

    describe('quotes', () => {
      it('refuses a quote with no payable output, and accept_quote on a draft', async () => {
        const w = await makeWorld(h);
        const request = await w.draft();
        expect(await failure(h.client.requests.requestQuote(request.id))).toMatchObject({
          type: 'conflict',
          code: 'no_payable_outputs',
        });
        expect(await failure(h.client.requests.acceptQuote(request.id))).toMatchObject({
          type: 'conflict',
          code: 'invalid_transition',
        });
        const rejected = await w.payee('cl_clp', ACCOUNTS.waits, 'x+rejected@example.com');
        await value(w.output(request, rejected, { amount: 5000 }));
        await pass(h, 2);
        expect(await failure(h.client.requests.requestQuote(request.id))).toMatchObject({
          code: 'no_payable_outputs',
        });
        expect((await value(h.client.requests.get(request.id))).state).toBe('draft');
      });

      it('quotes non-delayed destinations one quote step later: total_to_spend is the sum of budgets', async () => {
        const w = await makeWorld(h);
        const cl = await w.payee('cl_clp');
        const mx = await w.payee('mx_mxn');
        const request = await w.draft();
        await value(w.output(request, cl, { amount: 150000 }));
        await value(w.output(request, mx, { budget: 25000 }));
        await pass(h, 2);
        const requested = await value(h.client.requests.requestQuote(request.id));
        // The published answer: quote_requested, eta now, nothing priced or funded yet.
        expect(requested).toMatchObject({ state: 'quote_requested', totalToSpend: null, quotedAt: null });
        expect(requested.eta).toBe(requested.quoteRequestedAt);
        expect(requested.fundsAvailable === null || requested.fundsAvailable.amount === 0n).toBe(true);
        await pass(h, 1);
        const quoted = await value(h.client.requests.get(request.id));
        expect(quoted.state).toBe('quoted');
        expect(Date.parse(quoted.quotedAt ?? '') - Date.parse(quoted.quoteRequestedAt ?? '')).toBe(1000);
        const outputs = (await value(h.client.outputs.list({ requestId: request.id }))).items;
        const sum = outputs.reduce((total, o) => total + (o.budget?.amount ?? 0n), 0n);
        expect(quoted.totalToSpend?.amount).toBe(sum);
        expect(quoted.totalToSpend?.currency).toBe('ARS');
        for (const o of outputs) {
          expect(o.rate).not.toBeNull();
          expect(o.allInRate).not.toBeNull();
          expect(o.feeAndCost?.currency).toBe('ARS');
        }
        const acceptBefore = Date.parse(quoted.acceptQuoteBefore ?? '');
        const fundsBefore = Date.parse(quoted.provisionFundsBefore ?? '');
        expect(acceptBefore - Date.parse(quoted.quotedAt ?? '')).toBe(10 * 60_000);
        expect(fundsBefore - Date.parse(quoted.quotedAt ?? '')).toBe(12 * 3_600_000);
      });

      it('delays quotes to us_usd until the eta, then quotes', async () => {
        const w = await makeWorld(h);
        const us = await w.payee('us_usd');
        const request = await w.draft();
        await value(w.output(request, us, { amount: 100 }));
        const requested = await value(h.client.requests.requestQuote(request.id));
        expect(requested.state).toBe('quote_requested');
        expect(Date.parse(requested.eta ?? '') - Date.parse(requested.quoteRequestedAt ?? '')).toBe(
          3_600_000,
        );
        expect(await failure(h.client.requests.acceptQuote(request.id))).toMatchObject({
          code: 'invalid_transition',
        });
        await value(h.operator.advanceClock(3600));
        const quoted = await value(h.client.requests.get(request.id));
        expect(quoted.state).toBe('quoted');
        expect(quoted.quotedAt).toBe(requested.eta);
      });

      it('lets the operator produce a quote now', async () => {
        const w = await makeWorld(h);
        const us = await w.payee('us_usd');
        const request = await w.draft();
        await value(w.output(request, us, { amount: 100 }));
        await value(h.client.requests.requestQuote(request.id));
        expect((await value(h.operator.produceQuote(request.id))).state).toBe('quoted');
        expect(await failure(h.operator.produceQuote(request.id))).toMatchObject({ type: 'conflict' });
      });

      it('cancels a quote not accepted within 10 minutes (quote_not_accepted)', async () => {
        const w = await makeWorld(h);
        const cl = await w.payee('cl_clp');
        const request = await w.draft();
        const out = await value(w.output(request, cl, { amount: 5000 }));
        await value(h.client.requests.requestQuote(request.id));
        await pass(h, 1);
        expect((await value(h.client.requests.get(request.id))).state).toBe('quoted');
        await pass(h, 599);
        expect((await value(h.client.requests.get(request.id))).state).toBe('quoted');
        await pass(h, 1);
        const expired = await value(h.client.requests.get(request.id));
        expect(expired).toMatchObject({ state: 'cancelled', cancellationReason: 'quote_not_accepted' });
        expect((await value(h.client.outputs.get(out.id))).state).toBe('cancelled');
        expect(await failure(h.client.requests.acceptQuote(request.id))).toMatchObject({ type: 'conflict' });
      });

      it('prices at an estimate’s prices at once with its hint_token, and refuses a token that does not match', async () => {
        const w = await makeWorld(h);
        const us = await w.payee('us_usd');
        const cl = await w.payee('cl_clp');
        const estimate = await value(
          h.client.estimates.create({
            portCode: 'ar_ars',
            outputs: [
              { portCode: 'us_usd', amount: 100 },
              { portCode: 'cl_clp', budget: 20000 },
            ],
          }),
        );
        expect(estimate.hintToken.length).toBeGreaterThan(0);
        expect(estimate.totalToSpend.amount).toBe(estimate.outputs.reduce((t, o) => t + o.budget.amount, 0n));
        const request = await w.draft();
        await value(w.output(request, cl, { budget: 20000 }));
        const other = await w.draft();
        await value(w.output(other, us, { amount: 101 }));
        await value(w.output(other, cl, { budget: 20000 }));
        expect(
          await failure(h.client.requests.requestQuote(request.id, { hintToken: estimate.hintToken })),
        ).toMatchObject({
          type: 'unprocessable',
          code: 'hint_token_mismatch',
          pointer: '/data/attributes/hint_token',
        });
        expect(
          await failure(h.client.requests.requestQuote(other.id, { hintToken: estimate.hintToken })),
        ).toMatchObject({
          code: 'hint_token_mismatch',
        });
        await value(w.output(request, us, { amount: 100 }));
        const requested = await value(
          h.client.requests.requestQuote(request.id, { hintToken: estimate.hintToken }),
        );
        expect(requested).toMatchObject({ state: 'quote_requested', totalToSpend: null });
        await pass(h, 1);
        const quoted = await value(h.client.requests.get(request.id));
        expect(quoted.state).toBe('quoted');
        expect(quoted.totalToSpend).toEqual(estimate.totalToSpend);
        expect(
          await failure(h.client.requests.requestQuote(other.id, { hintToken: 'hint_unknown' })),
        ).toMatchObject({
          type: 'unprocessable',
        });
      });

      it('refuses an expired hint_token and leaves the request a draft', async () => {
        const w = await makeWorld(h);
        const cl = await w.payee('cl_clp');
        const estimate = await value(
          h.client.estimates.create({ portCode: 'ar_ars', outputs: [{ portCode: 'cl_clp', amount: 5000 }] }),
        );
        const request = await w.draft();
        await value(w.output(request, cl, { amount: 5000 }));
        await value(h.operator.advanceClock(600));
        expect(
          await failure(h.client.requests.requestQuote(request.id, { hintToken: estimate.hintToken })),
        ).toMatchObject({
          code: 'hint_token_expired',
        });
        expect((await value(h.client.requests.get(request.id))).state).toBe('draft');
      });

      it('refuses estimates with bad input naming the field', async () => {
        expect(
          await failure(
            h.client.estimates.create({ portCode: 'ar_ars', outputs: [{ portCode: 'cl_clp', amount: 1.5 }] }),
          ),
        ).toMatchObject({ type: 'unprocessable', pointer: '/data/attributes/outputs/0/amount' });
        expect(await failure(h.client.estimates.create({ portCode: 'ar_ars', outputs: [] }))).toMatchObject({
          type: 'unprocessable',
          pointer: '/data/attributes/outputs',
        });
      });
    });

    describe('funds, work and outcomes', () => {
      it('waits for funds, starts working on deposit, and debits total_to_spend', async () => {
        const w = await makeWorld(h, 0);
        const cl = await w.payee('cl_clp');
        const request = await w.draft();
        await value(w.output(request, cl, { amount: 150000 }));
        await pass(h, 2);
        await value(h.client.requests.requestQuote(request.id));
        await pass(h, 1);
        const quoted = await value(h.client.requests.get(request.id));
        const accepted = await value(h.client.requests.acceptQuote(request.id));
        expect(accepted.state).toBe('quote_accepted');
        await pass(h, 60);
        expect((await value(h.client.requests.get(request.id))).state).toBe('quote_accepted');
        const total = quoted.totalToSpend?.amount ?? 0n;
        await value(h.operator.deposit(w.payer.id, { portCode: 'ar_ars', amount: 1_000_000 }));
        // Funds are noticed later, never inside an answer.
        expect((await value(h.client.requests.get(request.id))).state).toBe('quote_accepted');
        await pass(h, 1);
        const working = await value(h.client.requests.get(request.id));
        expect(working.state).toBe('working');
        expect(working.fundsAvailable).toEqual(quoted.totalToSpend);
        expect(working.counters).toMatchObject({ working: 1, accepted: 0 });
        expect(balanceOf(await value(h.client.users.get(w.payer.id)))).toBe(100_000_000n - total);
        expect(await failure(h.client.requests.cancel(request.id))).toMatchObject({
          type: 'conflict',
          code: 'invalid_transition',
        });
      });

      it('cancels a request whose funds do not arrive within 12 hours (payment_not_received)', async () => {
        const w = await makeWorld(h, 0);
        const cl = await w.payee('cl_clp');
        const request = await w.draft();
        await value(w.output(request, cl, { amount: 150000 }));
        await value(h.client.requests.requestQuote(request.id));
        await pass(h, 1);
        await value(h.client.requests.acceptQuote(request.id));
        await pass(h, 12 * 3600);
        expect(await value(h.client.requests.get(request.id))).toMatchObject({
          state: 'cancelled',
          cancellationReason: 'payment_not_received',
        });
      });

      it('cancels a draft: accepting and accepted outputs are cancelled, rejected ones stay', async () => {
        const w = await makeWorld(h);
        const request = await w.draft();
        const ok1 = await value(w.output(request, await w.payee('cl_clp'), { amount: 5000 }));
        const pend = await value(
          w.output(request, await w.payee('cl_clp', ACCOUNTS.waits, 'p+new@example.com'), {
            amount: 5000,
          }),
        );
        const rej = await value(
          w.output(request, await w.payee('cl_clp', ACCOUNTS.waits, 'r+rejected@example.com'), {
            amount: 5000,
          }),
        );
        await pass(h, 2);
        const cancelled = await value(h.client.requests.cancel(request.id));
        expect(cancelled).toMatchObject({ state: 'cancelled', cancellationReason: 'cancelled_by_user' });
        expect(cancelled.counters).toMatchObject({
          cancelled: 2,
          rejected: 1,
          accepted: 0,
          accepting: 0,
          total: 3,
        });
        expect((await value(h.client.outputs.get(ok1.id))).state).toBe('cancelled');
        expect((await value(h.client.outputs.get(pend.id))).state).toBe('cancelled');
        expect((await value(h.client.outputs.get(rej.id))).state).toBe('rejected');
        expect(await failure(h.client.requests.cancel(request.id))).toMatchObject({
          code: 'invalid_transition',
        });
      });

      it('moves outputs through the operator: issue, settle, fail, retry, return; finishes; conserves money', async () => {
        const w = await makeWorld(h);
        const settles = await value(w.output(await w.draft(), await w.payee('cl_clp'), { amount: 5000 }));
        const request = await value(h.client.requests.get(settles.requestId));
        const returns = await value(w.output(request, await w.payee('mx_mxn'), { amount: 300 }));
        const cancels = await value(w.output(request, await w.payee('uy_uyu'), { amount: 1000 }));
        await pass(h, 2);
        await value(h.client.requests.requestQuote(request.id));
        await pass(h, 1);
        await value(h.client.requests.acceptQuote(request.id));
        await pass(h, 1);
        const before = balanceOf(await value(h.client.users.get(w.payer.id)));
        expect(before).toBe(
          50_000_000_00n - ((await value(h.client.requests.get(request.id))).totalToSpend?.amount ?? 0n),
        );

        expect(await failure(h.operator.outputAction(settles.id, 'settle'))).toMatchObject({
          type: 'conflict',
          code: 'invalid_transition',
        });
        await value(h.operator.outputAction(settles.id, 'issue'));
        const settled = await value(h.operator.outputAction(settles.id, 'settle'));
        expect(settled.state).toBe('settled');

        await value(h.operator.outputAction(returns.id, 'issue'));
        const failed = await value(h.operator.outputAction(returns.id, 'fail', { reason: 'account_closed' }));
        expect(failed).toMatchObject({ state: 'failed', failureReason: 'account_closed', attempts: 1 });
        const retried = await value(h.operator.outputAction(returns.id, 'retry'));
        expect(retried).toMatchObject({ state: 'working', attempts: 2 });
        await value(h.operator.outputAction(returns.id, 'issue'));
        await value(h.operator.outputAction(returns.id, 'fail'));
        const returned = await value(h.operator.outputAction(returns.id, 'return'));
        expect(returned.state).toBe('returned');
        expect((await value(h.client.requests.get(request.id))).state).toBe('working');

        const cancelled = await value(h.operator.outputAction(cancels.id, 'cancel'));
        expect(cancelled.state).toBe('cancelled');
        const finished = await value(h.client.requests.get(request.id));
        expect(finished.state).toBe('finished');
        expect(finished.counters).toMatchObject({ settled: 1, returned: 1, cancelled: 1, total: 3 });

        // Money is conserved: the payer paid the settled budget and the return cost, nothing else.
        const ports = await value(h.client.ports.list());
        const mxn = ports.find((p) => p.code === 'mx_mxn');
        const out = (id: string) => value(h.client.outputs.get(id));
        const settledBudget = (await out(settles.id)).budget?.amount ?? 0n;
        const returnedOutput = await out(returns.id);
        const rate = returnedOutput.rate?.units ?? 1n;
        // Return cost in ARS: the port's cost at the output's rate, rounded up to the cent.
        const costMinor = mxn ? mxn.returnCost.amount : 0n;
        const cost = (costMinor * 10n ** 8n + rate - 1n) / rate;
        const after = balanceOf(await value(h.client.users.get(w.payer.id)));
        expect(after).toBe(50_000_000_00n - settledBudget - cost);
      });

      it('follows the magic account numbers: 0000 settles, 0002 rejected, 0004 fails once, 0006 returned', async () => {
        const w = await makeWorld(h);
        const request = await w.draft();
        const settles = await value(
          w.output(request, await w.payee('cl_clp', ACCOUNTS.settles), { amount: 5000 }),
        );
        const rejected = await value(
          w.output(request, await w.payee('cl_clp', ACCOUNTS.rejected), { amount: 5000 }),
        );
        const once = await value(
          w.output(request, await w.payee('cl_clp', ACCOUNTS.failsOnce), { amount: 5000 }),
        );
        const returned = await value(
          w.output(request, await w.payee('cl_clp', ACCOUNTS.returned), { amount: 5000 }),
        );
        await pass(h, 2);
        const get = (o: OutputView) => value(h.client.outputs.get(o.id));
        expect(await get(rejected)).toMatchObject({
          state: 'rejected',
          rejectionReason: 'instruction_mismatch',
        });
        await value(h.client.requests.requestQuote(request.id));
        await pass(h, 1);
        const accepted = await value(h.client.requests.acceptQuote(request.id));
        // Nothing settles inside an answer: the outputs move on the sandbox clock.
        expect(accepted.state).toBe('quote_accepted');
        await pass(h, 1);
        expect((await get(settles)).state).toBe('working');
        await value(h.operator.runUntilIdle());
        expect((await get(settles)).state).toBe('settled');
        expect(await get(once)).toMatchObject({ state: 'settled', attempts: 2 });
        expect((await get(returned)).state).toBe('returned');
        expect((await value(h.client.requests.get(request.id))).state).toBe('finished');
        const states = (await value(h.client.outputs.list({ requestId: request.id, state: 'settled' })))
          .items;
        expect(states.map((o) => o.id).sort()).toEqual([settles.id, once.id].sort());
      });

      it('records every state change as an event with increasing ids', async () => {
        const w = await makeWorld(h);
        const request = await w.draft();
        await value(w.output(request, await w.payee('cl_clp', ACCOUNTS.settles), { amount: 5000 }));
        await pass(h, 2);
        await value(h.client.requests.requestQuote(request.id));
        await pass(h, 1);
        await value(h.client.requests.acceptQuote(request.id));
        await value(h.operator.runUntilIdle());
        const events = await value(h.operator.events());
        const mine = events.filter(
          (e) => e.resourceType === 'concierge_requests' && e.resourceId === request.id,
        );
        expect(mine.map((e) => e.eventType)).toEqual([
          'concierge_request_draft',
          'concierge_request_quote_requested',
          'concierge_request_quoted',
          'concierge_request_quote_accepted',
          'concierge_request_working',
          'concierge_request_finished',
        ]);
        const outputEvents = events
          .filter((e) => e.resourceType === 'concierge_request_outputs')
          .map((e) => e.eventType);
        expect(outputEvents).toEqual([
          'concierge_request_output_accepting',
          'concierge_request_output_accepted',
          'concierge_request_output_working',
          'concierge_request_output_settling',
          'concierge_request_output_settled',
        ]);
        const ids = events.map((e) => BigInt(e.id));
        expect(ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? 0n))).toBe(true);
      });

      it('records user_disabled and user_enabled when a user becomes disabled or enabled, before the checks it lets pass', async () => {
        const w = await makeWorld(h);
        const payee = await w.payee('cl_clp', ACCOUNTS.waits, 'rev+new@example.com');
        const request = await w.draft();
        const waiting = await value(w.output(request, payee, { amount: 5000 }));
        await pass(h, 2);
        const before = (await value(h.operator.events())).length;
        await value(h.operator.setCompliance(payee.user.id, 'disabled'));
        // The same state again changes nothing: no event.
        await value(h.operator.setCompliance(payee.user.id, 'disabled'));
        await value(h.operator.setCompliance(payee.user.id, 'enabled'));
        await value(h.operator.setCompliance(payee.user.id, 'rejected'));
        const after = (await value(h.operator.events())).slice(before);
        expect(after.map((e) => [e.eventType, e.resourceType, e.resourceId])).toEqual([
          ['user_disabled', 'users', payee.user.id],
          ['user_enabled', 'users', payee.user.id],
          ['concierge_request_output_accepted', 'concierge_request_outputs', waiting.id],
        ]);
        const ids = after.map((e) => BigInt(e.id));
        expect(ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? 0n))).toBe(true);
      });

      it('refuses bad operator input naming the field', async () => {
        const w = await makeWorld(h, 0);
        expect(
          await failure(h.operator.deposit(w.payer.id, { portCode: 'ar_ars', amount: -5 })),
        ).toMatchObject({
          type: 'unprocessable',
          pointer: '/amount',
        });
        expect(
          await failure(h.operator.deposit(w.payer.id, { portCode: 'zz_zzz', amount: 5 })),
        ).toMatchObject({
          type: 'unprocessable',
          pointer: '/port_code',
        });
        expect(await failure(h.operator.advanceClock(-1))).toMatchObject({
          type: 'unprocessable',
          pointer: '/seconds',
        });
        expect(await failure(h.operator.outputAction('999999', 'settle'))).toMatchObject({
          type: 'not_found',
        });
        expect(await failure(h.operator.setCompliance('999999', 'enabled'))).toMatchObject({
          type: 'not_found',
        });
        expect(
          await failure(h.operator.setCompliance(w.payer.id, 'approved' as ComplianceState)),
        ).toMatchObject({ type: 'unprocessable', pointer: '/state' });
        expect((await value(h.client.users.get(w.payer.id))).complianceState).toBe('enabled');
      });
    });

    describe('tenant isolation', () => {
      it("never shows or changes another master's requests, outputs, users or instructions", async () => {
        const w = await makeWorld(h);
        const cl = await w.payee('cl_clp');
        const request = await w.draft('mine');
        const out = await value(w.output(request, cl, { amount: 5000 }));
        const o = h.other;
        expect(await failure(o.client.requests.get(request.id))).toMatchObject({ type: 'not_found' });
        expect(await failure(o.client.outputs.get(out.id))).toMatchObject({ type: 'not_found' });
        expect(await failure(o.client.users.get(w.payer.id))).toMatchObject({ type: 'not_found' });
        expect(await failure(o.client.withdrawalInstructions.get(cl.instruction.id))).toMatchObject({
          type: 'not_found',
        });
        expect(await failure(o.client.requests.cancel(request.id))).toMatchObject({ type: 'not_found' });
        expect(await failure(o.client.requests.update(request.id, { externalId: 'theirs' }))).toMatchObject({
          type: 'not_found',
        });
        expect((await value(o.client.requests.list())).items).toEqual([]);
        expect((await value(o.client.outputs.list())).items).toEqual([]);
        expect((await value(o.client.outputs.list({ requestId: request.id }))).items).toEqual([]);
        // Their list of users is themselves alone.
        const theirs = await value(o.client.users.list());
        expect(theirs.items.map((u) => u.id)).toEqual([(await value(o.client.users.me())).id]);
        expect((await value(o.client.withdrawalInstructions.list())).items).toEqual([]);
        expect(
          await failure(
            o.client.outputs.create({
              requestId: request.id,
              payeeId: cl.user.id,
              withdrawalInstructionId: cl.instruction.id,
              portCode: 'cl_clp',
              amount: 5000,
            }),
          ),
        ).toMatchObject({ type: 'unprocessable', pointer: '/data/relationships/request' });
        expect(
          await failure(o.client.requests.create({ portCode: 'ar_ars', payerId: w.payer.id })),
        ).toMatchObject({
          pointer: '/data/relationships/user',
        });
        expect(await failure(o.operator.outputAction(out.id, 'reject'))).toMatchObject({ type: 'not_found' });
        expect(
          await failure(o.operator.deposit(w.payer.id, { portCode: 'ar_ars', amount: 5 })),
        ).toMatchObject({
          type: 'not_found',
        });
        expect((await value(o.operator.events())).length).toBe(0);
        const still = await value(h.client.requests.get(request.id));
        expect(still).toMatchObject({ state: 'draft', externalId: 'mine' });
        expect((await value(h.client.outputs.get(out.id))).state).toBe('accepting');
      });
    });
  });
};
