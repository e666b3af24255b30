import {
  checkIdentifier,
  type IdentifierKind,
  isSandboxPortCode,
  moneyText,
  OTHER_TEST_IDENTIFIERS,
  PORT_REQUIRED_FIELDS,
  type SandboxPortCode,
  TEST_OUTCOMES,
  type TestOutcome,
  testInstructionBody,
} from '@concierge-ts/domain';
import { ok, type ResultAsync } from 'neverthrow';
import type {
  ComplianceState,
  ConciergeClient,
  ConciergeError,
  Field,
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

/** The sandbox port a contract test pays to (a port of the default catalog). */
const sandboxPort = (port: string): SandboxPortCode => {
  if (!isSandboxPortCode(port)) throw new Error(`${port} is not a port of the sandbox's catalog`);
  return port;
};

/** A small world: a funded payer and payees in a few ports, created through the client like an integrator would. */
const makeWorld = async (h: { client: ConciergeClient; operator: SandboxOperator }, funds = 50_000_000) => {
  const payer = await value(h.client.users.create({ email: 'payer@example.com', name: 'Payer' }));
  if (funds > 0) await value(h.operator.deposit(payer.id, { portCode: 'ar_ars', amount: funds }));
  /**
   * A payee paid at `port` and its instruction, whose identifiers pick `outcome` in the
   * sandbox (`other`: no test identifier, settles by itself as any real account).
   */
  const payee = async (
    port: string,
    outcome: TestOutcome | 'other' = 'other',
    email = `payee.${port}.${outcome}@example.com`,
  ) => {
    const user = await value(h.client.users.create({ email }));
    const instruction = await value(
      h.client.withdrawalInstructions.create({
        userId: user.id,
        label: `${port} account`,
        body: testInstructionBody(sandboxPort(port), outcome),
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

      it('serves with each port the withdrawal instruction fields it requires', async () => {
        const ports = await value(h.client.ports.list());
        const fields = Object.fromEntries(ports.map((p) => [p.code, p.withdrawalInstructionFields]));
        expect(fields.ar_ars).toEqual(['cbu', 'cuit']);
        expect(fields.mx_mxn).toEqual(['clabe']);
        for (const port of ports)
          if (isSandboxPortCode(port.code))
            expect(port.withdrawalInstructionFields).toEqual(PORT_REQUIRED_FIELDS[port.code]);
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
        expect(bad).toMatchObject({ type: 'unprocessable', status: 422, field: { attribute: ['email'] } });
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
        expect(refused).toMatchObject({ type: 'unprocessable', field: { attribute: ['webhook_url'] } });
        expect((await value(h.client.users.me())).webhookUrl).toBe('https://hooks.example.com/concierge');
      });

      it("accepts each country's valid identifiers, keeps them compact, shows and lists the instruction", async () => {
        const user = await value(h.client.users.create({ email: 'dee@example.com' }));
        const made: string[] = [];
        for (const port of Object.keys(PORT_REQUIRED_FIELDS) as SandboxPortCode[])
          for (const outcome of [...TEST_OUTCOMES, 'other' as const]) {
            const body = testInstructionBody(port, outcome);
            const created = await value(
              h.client.withdrawalInstructions.create({ userId: user.id, label: `${port} ${outcome}`, body }),
            );
            expect(created).toMatchObject({ userId: user.id, label: `${port} ${outcome}`, body });
            made.push(created.id);
          }
        // Identifiers as people write them: spaces, dashes, dots; kept in their compact form.
        const written = await value(
          h.client.withdrawalInstructions.create({
            userId: user.id,
            body: {
              payment_method: 'domestic_bank',
              country: 'ar',
              currency: 'ars',
              cbu: '2850590-9 4090418135201-6',
              cuit: '20-12345678-6',
            },
          }),
        );
        expect(written.label).toBeNull();
        expect(written.body).toEqual({
          payment_method: 'domestic_bank',
          country: 'AR',
          currency: 'ARS',
          cbu: OTHER_TEST_IDENTIFIERS.AR.cbu,
          cuit: OTHER_TEST_IDENTIFIERS.AR.cuit,
        });
        const chilean = await value(
          h.client.withdrawalInstructions.create({
            userId: user.id,
            body: { ...testInstructionBody('cl_clp', 'other'), rut: '12.345.678-5' },
          }),
        );
        expect(chilean.body.rut).toBe(OTHER_TEST_IDENTIFIERS.CL.rut);
        made.push(written.id, chilean.id);
        expect(await value(h.client.withdrawalInstructions.get(written.id))).toEqual(written);
        const listed = await value(
          allItems((page) => h.client.withdrawalInstructions.list({ userId: user.id, page })),
        );
        expect(listed.map((i) => i.id)).toEqual(made);
      });

      it('refuses a wrong check digit, an unknown or missing field and a bad label at its field, creating nothing', async () => {
        const user = await value(h.client.users.create({ email: 'eli@example.com' }));
        const before = (await value(h.client.withdrawalInstructions.list())).items.length;
        /** An identifier with its last digit changed: the same length and characters, a wrong check digit. */
        const wrongLast = (identifier: string) =>
          `${identifier.slice(0, -1)}${(Number(identifier.at(-1)) + 1) % 10}`;
        const refused = (body: Readonly<Record<string, string>>, label?: string) =>
          failure(
            h.client.withdrawalInstructions.create({
              userId: user.id,
              ...(label === undefined ? {} : { label }),
              body,
            }),
          );
        const cases: [SandboxPortCode, IdentifierKind, string][] = [
          ['ar_ars', 'cbu', OTHER_TEST_IDENTIFIERS.AR.cbu],
          ['ar_ars', 'cuit', OTHER_TEST_IDENTIFIERS.AR.cuit],
          ['mx_mxn', 'clabe', OTHER_TEST_IDENTIFIERS.MX.clabe],
          ['cl_clp', 'rut', OTHER_TEST_IDENTIFIERS.CL.rut],
          ['us_usd', 'routing_number', OTHER_TEST_IDENTIFIERS.US.routing_number],
        ];
        for (const [port, field, valid] of cases) {
          const wrong = wrongLast(valid);
          // The altered identifier fails its check by the library, not only here.
          expect(checkIdentifier(field, wrong).isErr()).toBe(true);
          expect(await refused({ ...testInstructionBody(port, 'other'), [field]: wrong })).toMatchObject({
            type: 'unprocessable',
            status: 422,
            code: 'invalid_check_digit',
            field: { attribute: ['body', field] },
          });
        }
        const iban = await refused({
          payment_method: 'international_bank',
          country: 'OTHER',
          currency: 'EUR',
          iban: 'DE88370400440532013000',
        });
        expect(iban).toMatchObject({ code: 'invalid_check_digit', field: { attribute: ['body', 'iban'] } });
        expect(await refused({ ...testInstructionBody('ar_ars'), cbu: '1234123412341234' })).toMatchObject({
          code: 'invalid_length',
          field: { attribute: ['body', 'cbu'] },
        });
        // The free-text fields of before are not part of the published shape.
        expect(
          await refused({ ...testInstructionBody('cl_clp'), account_number: '1234', holder_name: 'Ana' }),
        ).toMatchObject({ code: 'unknown_field', field: { attribute: ['body', 'account_number'] } });
        const { currency: _, ...noCurrency } = testInstructionBody('mx_mxn');
        expect(await refused(noCurrency)).toMatchObject({
          code: 'missing_field',
          field: { attribute: ['body', 'currency'] },
        });
        expect(
          await refused({ ...testInstructionBody('mx_mxn'), payment_method: 'bank_transfer' }),
        ).toMatchObject({ code: 'unsupported_value', field: { attribute: ['body', 'payment_method'] } });
        expect(await refused({ ...testInstructionBody('mx_mxn'), country: 'Mexico' })).toMatchObject({
          code: 'unsupported_value',
          field: { attribute: ['body', 'country'] },
        });
        expect(await refused(testInstructionBody('mx_mxn'), 'x'.repeat(101))).toMatchObject({
          code: 'too_long',
          field: { attribute: ['label'] },
        });
        const unknownUser = await failure(
          h.client.withdrawalInstructions.create({
            userId: '999999',
            label: 'x',
            body: testInstructionBody('mx_mxn'),
          }),
        );
        expect(unknownUser).toMatchObject({ type: 'unprocessable', field: { relationship: 'user' } });
        expect((await value(h.client.withdrawalInstructions.list())).items.length).toBe(before);
        expect(await failure(h.client.withdrawalInstructions.get('999999'))).toMatchObject({
          type: 'not_found',
        });
      });

      it('belongs to the caller when no user is named, as the published client creates them', async () => {
        const me = await value(h.client.users.me());
        const own = await value(
          h.client.withdrawalInstructions.create({
            label: 'Local Bank',
            body: testInstructionBody('ar_ars'),
          }),
        );
        expect(own).toMatchObject({ userId: me.id, label: 'Local Bank' });
        expect((await value(h.client.withdrawalInstructions.list({ userId: me.id }))).items).toEqual([own]);
      });

      it('deletes an instruction no live output pays to, refuses one that pays a live output (409), and records both events', async () => {
        const w = await makeWorld(h);
        const cl = await w.payee('cl_clp');
        const spare = await value(
          h.client.withdrawalInstructions.create({
            userId: cl.user.id,
            label: 'spare',
            body: testInstructionBody('cl_clp', 'settles'),
          }),
        );
        const request = await w.draft();
        const out = await value(w.output(request, cl, { amount: 5000 }));
        // Accepting in a draft: the payment is on its way, its instruction stays.
        expect(await failure(h.client.withdrawalInstructions.delete(cl.instruction.id))).toMatchObject({
          type: 'conflict',
          status: 409,
          code: 'instruction_in_use',
        });
        expect(await value(h.client.withdrawalInstructions.get(cl.instruction.id))).toEqual(cl.instruction);
        await value(h.client.withdrawalInstructions.delete(spare.id));
        expect(await failure(h.client.withdrawalInstructions.get(spare.id))).toMatchObject({
          type: 'not_found',
        });
        expect(await failure(h.client.withdrawalInstructions.delete(spare.id))).toMatchObject({
          type: 'not_found',
        });
        expect(
          (await value(h.client.withdrawalInstructions.list({ userId: cl.user.id }))).items.map((i) => i.id),
        ).toEqual([cl.instruction.id]);
        // No output may pay to a deleted instruction.
        expect(
          await failure(
            h.client.outputs.create({
              requestId: request.id,
              payeeId: cl.user.id,
              withdrawalInstructionId: spare.id,
              portCode: 'cl_clp',
              amount: 5000,
            }),
          ),
        ).toMatchObject({ type: 'unprocessable', field: { relationship: 'withdrawal_instruction' } });
        // Once its output is final (cancelled with the draft), it may go.
        await value(h.client.requests.cancel(request.id));
        expect((await value(h.client.outputs.get(out.id))).state).toBe('cancelled');
        await value(h.client.withdrawalInstructions.delete(cl.instruction.id));
        const events = (await value(h.operator.events())).filter(
          (e) => e.resourceType === 'withdrawal_instructions',
        );
        expect(events.map((e) => [e.eventType, e.resourceId])).toEqual([
          ['withdrawal_instruction_created', cl.instruction.id],
          ['withdrawal_instruction_created', spare.id],
          ['withdrawal_instruction_destroyed', spare.id],
          ['withdrawal_instruction_destroyed', cl.instruction.id],
        ]);
        const ids = events.map((e) => BigInt(e.id));
        expect(ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? 0n))).toBe(true);
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
          field: { attribute: ['port_code'] },
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
          field: { relationship: 'user' },
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
          field: { parameter: 'page[number]' },
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
        const cases: [Parameters<typeof w.output>[2], Awaited<ReturnType<typeof w.payee>>, Field, string][] =
          [
            [{ amount: 1500.5 }, cl, { attribute: ['amount'] }, 'invalid_amount'],
            [{ amount: 0 }, cl, { attribute: ['amount'] }, 'invalid_amount'],
            [{ amount: -10 }, mx, { attribute: ['amount'] }, 'invalid_amount'],
            [{ amount: 10.001 }, mx, { attribute: ['amount'] }, 'invalid_amount'],
            [{ amount: 'ten' }, mx, { attribute: ['amount'] }, 'invalid_amount'],
            [{ budget: 1e30 }, mx, { attribute: ['budget'] }, 'invalid_amount'],
            [{ amount: 100, budget: 100 } as never, mx, { attribute: ['amount'] }, 'amount_or_budget'],
            [{} as never, mx, { attribute: ['amount'] }, 'amount_or_budget'],
          ];
        for (const [target, to, at, code] of cases) {
          const refused = await failure(w.output(request, to, target));
          expect(refused, JSON.stringify(target)).toMatchObject({
            type: 'unprocessable',
            status: 422,
            field: at,
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
          field: { relationship: 'request' },
        });
        expect(await failure(h.client.outputs.create({ ...base, payeeId: '999999' }))).toMatchObject({
          field: { relationship: 'user' },
        });
        expect(
          await failure(h.client.outputs.create({ ...base, withdrawalInstructionId: '999999' })),
        ).toMatchObject({
          field: { relationship: 'withdrawal_instruction' },
        });
        expect(await failure(h.client.outputs.create({ ...base, portCode: 'cl_xyz' }))).toMatchObject({
          field: { attribute: ['port_code'] },
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

      it('refuses an output whose instruction lacks a field its port requires, at the instruction, creating nothing', async () => {
        const w = await makeWorld(h);
        const request = await w.draft();
        const ar = await w.payee('ar_ars');
        const { cuit: _, ...withoutCuit } = testInstructionBody('ar_ars');
        const noCuit = await value(
          h.client.withdrawalInstructions.create({ userId: ar.user.id, label: 'no cuit', body: withoutCuit }),
        );
        const refused = await failure(
          h.client.outputs.create({
            requestId: request.id,
            payeeId: ar.user.id,
            withdrawalInstructionId: noCuit.id,
            portCode: 'ar_ars',
            amount: 1000,
          }),
        );
        expect(refused).toMatchObject({
          type: 'unprocessable',
          status: 422,
          code: 'instruction_mismatch',
          field: { relationship: 'withdrawal_instruction' },
        });
        expect(refused.detail).toContain('cuit');
        // A peso instruction does not pay dollars either, though ar_usd requires the same fields.
        expect(
          await failure(
            h.client.outputs.create({
              requestId: request.id,
              payeeId: ar.user.id,
              withdrawalInstructionId: ar.instruction.id,
              portCode: 'ar_usd',
              amount: 10,
            }),
          ),
        ).toMatchObject({
          code: 'instruction_mismatch',
          field: { relationship: 'withdrawal_instruction' },
        });
        expect((await value(h.client.requests.get(request.id))).counters.total).toBe(0);
        const fits = await value(
          h.client.outputs.create({
            requestId: request.id,
            payeeId: ar.user.id,
            withdrawalInstructionId: ar.instruction.id,
            portCode: 'ar_ars',
            amount: 1000,
          }),
        );
        expect(fits.state).toBe('accepting');
      });

      it('runs the acceptance checks: compliance, instruction, limits; a new payee waits until enabled', async () => {
        const w = await makeWorld(h);
        const request = await w.draft();
        const rejectedPayee = await w.payee('cl_clp', 'other', 'no+rejected@example.com');
        const newPayee = await w.payee('cl_clp', 'other', 'wait+new@example.com');
        const cl = await w.payee('cl_clp');
        const mx = await w.payee('mx_mxn');
        const compliance = await value(w.output(request, rejectedPayee, { amount: 5000 }));
        // An instruction for another country never reaches the checks: refused at once.
        expect(
          await failure(
            h.client.outputs.create({
              requestId: request.id,
              payeeId: cl.user.id,
              withdrawalInstructionId: cl.instruction.id,
              portCode: 'mx_mxn',
              amount: 100,
            }),
          ),
        ).toMatchObject({
          type: 'unprocessable',
          code: 'instruction_mismatch',
          field: { relationship: 'withdrawal_instruction' },
        });
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
        for (const o of [compliance, othersInstruction, tooMuch, waiting]) expect(o.state).toBe('accepting');
        await pass(h, 2);
        const get = (o: OutputView) => value(h.client.outputs.get(o.id));
        expect(await get(compliance)).toMatchObject({
          state: 'rejected',
          rejectionReason: 'compliance_rejected',
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
        expect(counters).toMatchObject({ rejected: 3, accepted: 1, accepting: 0, total: 4 });
      });

      it("keeps a disabled payee's payments waiting until enabled, and rejects a rejected payee's", async () => {
        const w = await makeWorld(h);
        const request = await w.draft();
        const payee = await w.payee('cl_clp');
        const later = await w.payee('mx_mxn', 'other', 'later+disabled@example.com');
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
        const rejected = await w.payee('cl_clp', 'other', 'x+rejected@example.com');
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
          field: { attribute: ['hint_token'] },
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
        ).toMatchObject({ type: 'unprocessable', field: { attribute: ['outputs', 0, 'amount'] } });
        expect(await failure(h.client.estimates.create({ portCode: 'ar_ars', outputs: [] }))).toMatchObject({
          type: 'unprocessable',
          field: { attribute: ['outputs'] },
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
          w.output(request, await w.payee('cl_clp', 'other', 'p+new@example.com'), {
            amount: 5000,
          }),
        );
        const rej = await value(
          w.output(request, await w.payee('cl_clp', 'other', 'r+rejected@example.com'), {
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
        expect(settled.failures).toEqual([]);

        await value(h.operator.outputAction(returns.id, 'issue'));
        const failed = await value(h.operator.outputAction(returns.id, 'fail', { reason: 'account_closed' }));
        expect(failed).toMatchObject({ state: 'failed', failureReason: 'account_closed', attempts: 1 });
        // Each failure is listed in the output's `failures` relationship (SPEC section 4).
        expect(failed.failures).toEqual([`${returns.id}-1`]);
        const retried = await value(h.operator.outputAction(returns.id, 'retry'));
        expect(retried).toMatchObject({ state: 'working', attempts: 2 });
        expect(retried.failures).toEqual([`${returns.id}-1`]);
        await value(h.operator.outputAction(returns.id, 'issue'));
        await value(h.operator.outputAction(returns.id, 'fail'));
        const returned = await value(h.operator.outputAction(returns.id, 'return'));
        expect(returned.state).toBe('returned');
        const twice = [`${returns.id}-1`, `${returns.id}-2`];
        expect(returned.failures).toEqual(twice);
        expect((await value(h.client.outputs.get(returns.id))).failures).toEqual(twice);
        const listed = await value(h.client.outputs.list({ requestId: request.id }));
        expect(listed.items.find((o) => o.id === returns.id)?.failures).toEqual(twice);
        const withOutputs = await value(h.client.requests.getWithOutputs(request.id));
        expect(withOutputs.outputs.find((o) => o.id === returns.id)?.failures).toEqual(twice);
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

      it('follows the magic identifiers of every country: settles, rejected, fails once, returned; any other settles', async () => {
        const w = await makeWorld(h);
        const request = await w.draft();
        const outcomes = [...TEST_OUTCOMES, 'other' as const];
        const made: { port: string; outcome: TestOutcome | 'other'; output: OutputView }[] = [];
        for (const port of Object.keys(PORT_REQUIRED_FIELDS))
          for (const outcome of outcomes) {
            // 20,000 ARS each: within every port's limits at the sandbox's rates.
            const output = await value(w.output(request, await w.payee(port, outcome), { budget: 20_000 }));
            made.push({ port, outcome, output });
          }
        await pass(h, 2);
        const get = (o: OutputView) => value(h.client.outputs.get(o.id));
        for (const { output, outcome } of made)
          expect(await get(output)).toMatchObject(
            outcome === 'rejected'
              ? { state: 'rejected', rejectionReason: 'instruction_mismatch' }
              : { state: 'accepted' },
          );
        await value(h.client.requests.requestQuote(request.id));
        // us_usd is quoted an hour later.
        await pass(h, 3600);
        const accepted = await value(h.client.requests.acceptQuote(request.id));
        // Nothing settles inside an answer: the outputs move on the sandbox clock.
        expect(accepted.state).toBe('quote_accepted');
        await pass(h, 1);
        const working = made.find((m) => m.outcome === 'other');
        expect(working && (await get(working.output)).state).toBe('working');
        await value(h.operator.runUntilIdle());
        const expected: Record<TestOutcome | 'other', Partial<OutputView>> = {
          settles: { state: 'settled', attempts: 1 },
          rejected: { state: 'rejected' },
          fails_once: { state: 'settled', attempts: 2 },
          fails_until_returned: { state: 'returned', attempts: 3 },
          other: { state: 'settled', attempts: 1 },
        };
        for (const { port, outcome, output } of made)
          expect({ port, outcome, ...(await get(output)) }).toMatchObject({
            port,
            outcome,
            ...expected[outcome],
          });
        expect((await value(h.client.requests.get(request.id))).state).toBe('finished');
      });

      it('issues a receipt when the payer is charged and a credit note when money first goes back (SPEC section 7)', async () => {
        const w = await makeWorld(h);
        const request = await w.draft();
        const settles = await value(w.output(request, await w.payee('cl_clp', 'settles'), { amount: 5000 }));
        const returned = await value(
          w.output(request, await w.payee('mx_mxn', 'fails_until_returned'), { amount: 500 }),
        );
        await pass(h, 2);
        await value(h.client.requests.requestQuote(request.id));
        await pass(h, 1);
        await value(h.client.requests.acceptQuote(request.id));
        // Accepted, not charged yet: no receipt.
        expect(await failure(h.client.requests.receipt(request.id))).toMatchObject({ type: 'not_found' });
        await pass(h, 1);
        const working = await value(h.client.requests.get(request.id));
        expect(working.state).toBe('working');
        expect(working.receiptUrl).toMatch(new RegExp(`/api/concierge_requests/${request.id}/receipt$`));
        expect(working.creditNoteUrl).toBeNull();
        const receipt = await value(h.client.requests.receipt(request.id));
        expect(receipt).toMatchObject({ kind: 'receipt', requestId: request.id, requestState: 'working' });
        expect(receipt.totals.budget).toEqual(working.totalToSpend);
        expect(receipt.lines.map((l) => l.outputId).sort()).toEqual([settles.id, returned.id].sort());
        expect(await failure(h.client.requests.creditNote(request.id))).toMatchObject({ type: 'not_found' });

        await value(h.operator.runUntilIdle());
        const finished = await value(h.client.requests.get(request.id));
        expect(finished.state).toBe('finished');
        expect(finished.creditNoteUrl).toMatch(
          new RegExp(`/api/concierge_requests/${request.id}/credit_note$`),
        );
        const note = await value(h.client.requests.creditNote(request.id));
        expect(note.lines.map((l) => [l.outputId, l.state])).toEqual([[returned.id, 'returned']]);
        const line = note.lines[0] as (typeof note.lines)[number];
        expect(line.returnCost.amount).toBeGreaterThan(0n);
        expect(line.credited.amount + line.returnCost.amount).toBe(line.budget.amount);
        const final = await value(h.client.requests.receipt(request.id));
        const t = final.totals;
        expect([t.inFlight.amount, t.settled.amount + t.credited.amount + t.returnCosts.amount]).toEqual([
          0n,
          t.budget.amount,
        ]);
        expect(t.credited).toEqual(note.totals.credited);
        // The payer paid what the receipt charged, less what the credit note gave back.
        const payer = await value(h.client.users.get(w.payer.id));
        expect(balanceOf(payer)).toBe(50_000_000_00n - t.budget.amount + note.totals.credited.amount);
        // Another master sees neither.
        expect(await failure(h.other.client.requests.receipt(request.id))).toMatchObject({
          type: 'not_found',
        });
      });

      it('records every state change as an event with increasing ids', async () => {
        const w = await makeWorld(h);
        const request = await w.draft();
        await value(w.output(request, await w.payee('cl_clp', 'settles'), { amount: 5000 }));
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
          'concierge_request_receipt_created',
          'concierge_request_finished',
        ]);
        const outputEvents = events.filter((e) => e.resourceType === 'concierge_request_outputs');
        expect(outputEvents.map((e) => e.eventType)).toEqual([
          'concierge_request_output_accepting',
          'concierge_request_output_accepted',
          'concierge_request_output_working',
          'concierge_request_output_settling',
          'concierge_request_output_settled',
        ]);
        const ids = events.map((e) => BigInt(e.id));
        expect(ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? 0n))).toBe(true);
        // Each carries its resource as it was then (SPEC section 8), not as it ended.
        const states = [...mine, ...outputEvents].map((e) => [
          e.eventType,
          e.resource && 'state' in e.resource ? e.resource.state : undefined,
        ]);
        expect(states).toEqual(
          [...mine, ...outputEvents].map((e) => [
            e.eventType,
            e.eventType === 'concierge_request_receipt_created'
              ? 'working'
              : e.eventType.replace(/^concierge_request_(output_)?/, ''),
          ]),
        );
        const receipt = mine.find((e) => e.eventType === 'concierge_request_receipt_created');
        expect(receipt?.resource).toMatchObject({ receiptUrl: expect.stringMatching(/\/receipt$/) });
        expect(
          outputEvents.find((e) => e.eventType === 'concierge_request_output_working')?.failures,
        ).toEqual([]);
      });

      it('records user_disabled and user_enabled when a user becomes disabled or enabled, before the checks it lets pass', async () => {
        const w = await makeWorld(h);
        const payee = await w.payee('cl_clp', 'other', 'rev+new@example.com');
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
          field: { path: ['amount'] },
        });
        expect(
          await failure(h.operator.deposit(w.payer.id, { portCode: 'zz_zzz', amount: 5 })),
        ).toMatchObject({
          type: 'unprocessable',
          field: { path: ['port_code'] },
        });
        expect(await failure(h.operator.advanceClock(-1))).toMatchObject({
          type: 'unprocessable',
          field: { path: ['seconds'] },
        });
        expect(await failure(h.operator.outputAction('999999', 'settle'))).toMatchObject({
          type: 'not_found',
        });
        expect(await failure(h.operator.setCompliance('999999', 'enabled'))).toMatchObject({
          type: 'not_found',
        });
        expect(
          await failure(h.operator.setCompliance(w.payer.id, 'approved' as ComplianceState)),
        ).toMatchObject({ type: 'unprocessable', field: { path: ['state'] } });
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
        expect(await failure(o.client.withdrawalInstructions.delete(cl.instruction.id))).toMatchObject({
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
        ).toMatchObject({ type: 'unprocessable', field: { relationship: 'request' } });
        expect(
          await failure(o.client.requests.create({ portCode: 'ar_ars', payerId: w.payer.id })),
        ).toMatchObject({
          field: { relationship: 'user' },
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
