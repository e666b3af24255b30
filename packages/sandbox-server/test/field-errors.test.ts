import { testInstructionBody } from '@concierge-ts/adapter-memory';
import type { ConciergeClient, ConciergeError } from '@concierge-ts/application';
import type { ResultAsync } from 'neverthrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHarness } from './harness.js';

/**
 * A refusal is the same `ConciergeError` whether the in-process client made it or the HTTP
 * client read it from the wire: the server renders the field as `source.pointer`, the
 * client reads the pointer back into the field. Both clients here talk to one concierge
 * (refusals create nothing, so each call meets the same state).
 */
describe('a refused field is the same value in-process and over loopback HTTP', () => {
  let h: Awaited<ReturnType<typeof httpHarness>>;
  beforeAll(async () => {
    h = await httpHarness('loopback', { concierge: { seed: true } });
  });
  afterAll(() => h.harness.dispose());

  const refusal = async <T>(call: ResultAsync<T, ConciergeError>): Promise<ConciergeError> => {
    const result = await call;
    if (result.isOk()) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`);
    return result.error;
  };

  /** The same call by both clients: the two errors, the in-process one first. */
  const both = async (call: (client: ConciergeClient) => ResultAsync<unknown, ConciergeError>) => {
    const inProcess = await refusal(call(h.concierge.client));
    const overHttp = await refusal(call(h.harness.client));
    return { inProcess, overHttp };
  };

  const seeded = () => {
    const seed = h.concierge.seeded;
    const ar = seed?.payees.find((p) => p.portCode === 'ar_ars');
    const cl = seed?.payees.find((p) => p.portCode === 'cl_clp');
    if (!seed || !ar || !cl) throw new Error('the sandbox seeds a payer and payees in ar_ars and cl_clp');
    return { payerId: seed.payerId, ar, cl };
  };

  it('a CBU with a wrong check digit: the attribute body.cbu', async () => {
    const { ar } = seeded();
    const body = testInstructionBody('ar_ars', 'other');
    const cbu = String(body.cbu);
    const wrong = `${cbu.slice(0, -1)}${(Number(cbu.at(-1)) + 1) % 10}`;
    const { inProcess, overHttp } = await both((client) =>
      client.withdrawalInstructions.create({ userId: ar.userId, body: { ...body, cbu: wrong } }),
    );
    expect(inProcess).toMatchObject({
      type: 'unprocessable',
      status: 422,
      code: 'invalid_check_digit',
      field: { attribute: ['body', 'cbu'] },
    });
    expect(overHttp).toEqual(inProcess);
  });

  it('an unknown port: the attribute port_code', async () => {
    const { payerId } = seeded();
    const { inProcess, overHttp } = await both((client) =>
      client.requests.create({ portCode: 'ar_xyz', payerId }),
    );
    expect(inProcess).toMatchObject({ type: 'unprocessable', field: { attribute: ['port_code'] } });
    expect(overHttp).toEqual(inProcess);
  });

  it('an unknown withdrawal instruction: the relationship withdrawal_instruction', async () => {
    const { payerId, cl } = seeded();
    const draft = await h.concierge.client.requests.create({ portCode: 'ar_ars', payerId });
    const requestId = draft._unsafeUnwrap().id;
    const { inProcess, overHttp } = await both((client) =>
      client.outputs.create({
        requestId,
        payeeId: cl.userId,
        withdrawalInstructionId: '987654',
        portCode: 'cl_clp',
        amount: 1000,
      }),
    );
    expect(inProcess).toMatchObject({
      type: 'unprocessable',
      code: 'unknown_withdrawal_instruction',
      field: { relationship: 'withdrawal_instruction' },
    });
    expect(overHttp).toEqual(inProcess);
  });

  it("an estimate output's amount: the attribute outputs[1].amount, its index a number", async () => {
    const { inProcess, overHttp } = await both((client) =>
      client.estimates.create({
        portCode: 'ar_ars',
        outputs: [
          { portCode: 'cl_clp', amount: 1000 },
          // CLP has no decimals.
          { portCode: 'cl_clp', amount: 1500.5 },
        ],
      }),
    );
    expect(inProcess).toMatchObject({
      type: 'unprocessable',
      code: 'invalid_amount',
      field: { attribute: ['outputs', 1, 'amount'] },
    });
    expect(overHttp).toEqual(inProcess);
  });

  it('a bad page parameter: the query parameter by its name', async () => {
    const { inProcess, overHttp } = await both((client) => client.requests.list({ page: { size: 0 } }));
    expect(inProcess).toMatchObject({ type: 'bad_request', field: { parameter: 'page[size]' } });
    expect(overHttp).toEqual(inProcess);
  });

  it('on the wire, the fields are the pointers the API has always sent', async () => {
    const { payerId } = seeded();
    const answer = await fetch(`${h.baseUrl}/api/concierge_requests`, {
      method: 'POST',
      headers: { authorization: h.concierge.apiKey, 'content-type': 'application/vnd.api+json' },
      body: JSON.stringify({
        data: {
          type: 'concierge_requests',
          attributes: { port_code: 'ar_xyz' },
          relationships: { user: { data: { type: 'users', id: payerId } } },
        },
      }),
    });
    expect(answer.status).toBe(422);
    const document = (await answer.json()) as { errors: { source?: unknown }[] };
    expect(document.errors[0]?.source).toEqual({ pointer: '/data/attributes/port_code' });
  });
});
