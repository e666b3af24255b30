import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  amountToWire,
  type BodyRefusal,
  decodeCreateOutputBody,
  decodeCreateRequestBody,
  decodeCreateUserBody,
  decodeCreateWithdrawalInstructionBody,
  decodeEstimateBody,
  decodeRequestQuoteBody,
  decodeUpdateMeBody,
  decodeUpdateRequestBody,
  encodeCreateOutputBody,
  encodeCreateRequestBody,
  encodeCreateUserBody,
  encodeCreateWithdrawalInstructionBody,
  encodeEstimateBody,
  encodeRequestQuoteBody,
  encodeUpdateMeBody,
  encodeUpdateRequestBody,
} from './body.codec.js';
import { sourceOfField } from './json-api.js';

const wire = (body: unknown): unknown => JSON.parse(JSON.stringify(body));

/** A refusal with the pointer the server answers for its field (`source.pointer`). */
const rendered = (refusal: BodyRefusal) => ({ ...refusal, ...sourceOfField(refusal.field) });

/** The body of the provider's guide (seed/create-a-concierge-request.md): integer ids. */
const GUIDE_OUTPUT = JSON.parse(`{
  "data": {
    "type": "concierge_request_outputs",
    "attributes": { "port_code": "cl_clp", "amount": 1000 },
    "relationships": {
      "request": { "data": { "id": 1, "type": "concierge_requests" } },
      "withdrawal_instruction": { "data": { "id": 1, "type": "withdrawal_instructions" } },
      "user": { "data": { "id": 5, "type": "users" } }
    }
  }
}`);

describe('request bodies a server receives', () => {
  it("accepts the provider guide's output body, integer ids included", () => {
    expect(decodeCreateOutputBody(GUIDE_OUTPUT)._unsafeUnwrap()).toEqual({
      requestId: '1',
      payeeId: '5',
      withdrawalInstructionId: '1',
      portCode: 'cl_clp',
      amount: 1000,
    });
  });

  it('round-trips every body the client sends', () => {
    const id = fc.integer({ min: 1, max: 1e6 }).map(String);
    const amount = fc.oneof(fc.integer({ min: 1, max: 1e9 }), fc.constantFrom('12.50', '0.1', '1e3'));
    fc.assert(
      fc.property(id, id, id, id, fc.constantFrom('amount', 'budget'), amount, (r, u, w, p, kind, value) => {
        const input = {
          requestId: r,
          payeeId: u,
          withdrawalInstructionId: w,
          portCode: 'cl_clp',
          [kind]: value,
        };
        const back = decodeCreateOutputBody(wire(encodeCreateOutputBody(input)))._unsafeUnwrap();
        expect(back).toEqual({ ...input, [kind]: amountToWire(value) });
        const request = { portCode: 'ar_ars', payerId: p, externalId: `x-${r}` };
        expect(decodeCreateRequestBody(wire(encodeCreateRequestBody(request)))._unsafeUnwrap()).toEqual(
          request,
        );
      }),
    );
    const update = { externalId: null, paymentAuthorizationCode: 'PAC' };
    expect(decodeUpdateRequestBody(wire(encodeUpdateRequestBody('4', update)))._unsafeUnwrap()).toEqual({
      id: '4',
      ...update,
    });
    expect(decodeRequestQuoteBody(wire(encodeRequestQuoteBody({ hintToken: 'h' })))._unsafeUnwrap()).toEqual({
      hintToken: 'h',
    });
    expect(decodeRequestQuoteBody(encodeRequestQuoteBody({}))._unsafeUnwrap()).toEqual({});
    const estimate = {
      portCode: 'ar_ars',
      outputs: [
        { portCode: 'cl_clp', amount: 5 },
        { portCode: 'us_usd', budget: 9.5 },
      ],
    };
    expect(decodeEstimateBody(wire(encodeEstimateBody(estimate)))._unsafeUnwrap()).toEqual(estimate);
    const user = { email: 'a@b.co', name: 'A' };
    expect(decodeCreateUserBody(wire(encodeCreateUserBody(user)))._unsafeUnwrap()).toEqual(user);
    expect(decodeUpdateMeBody(wire(encodeUpdateMeBody({ webhookUrl: null })))._unsafeUnwrap()).toEqual({
      webhookUrl: null,
    });
    const instruction = { userId: '3', label: 'main', body: { country: 'CL', currency: 'CLP' } };
    expect(
      decodeCreateWithdrawalInstructionBody(
        wire(encodeCreateWithdrawalInstructionBody(instruction)),
      )._unsafeUnwrap(),
    ).toEqual(instruction);
    // No user (the caller's own) and no label travel as absent members.
    const own = { body: { country: 'CL', currency: 'CLP' } };
    expect(encodeCreateWithdrawalInstructionBody(own)).toEqual({
      data: { type: 'withdrawal_instructions', attributes: { body: own.body } },
    });
    expect(
      decodeCreateWithdrawalInstructionBody(wire(encodeCreateWithdrawalInstructionBody(own)))._unsafeUnwrap(),
    ).toEqual(own);
  });

  it('sends amounts as JSON numbers when exact, as the text given otherwise', () => {
    expect(amountToWire(1500.25)).toBe(1500.25);
    expect(amountToWire('1500.25')).toBe(1500.25);
    expect(amountToWire('1500.50')).toBe('1500.50');
    expect(amountToWire('12345678901234567890')).toBe('12345678901234567890');
    expect(amountToWire(Number.NaN)).toBe('NaN');
    expect(amountToWire(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });

  it('refuses structure with 400, another type with 409, an id with 403 and attributes with 422, naming the field', () => {
    // biome-ignore lint/suspicious/noExplicitAny: the cases bend the document in every way
    const output = (patch: (d: Record<string, any>) => void) => {
      const body = structuredClone(GUIDE_OUTPUT);
      patch(body.data);
      return body;
    };
    const cases: [unknown, number, string, string][] = [
      // The whole document: the empty pointer (RFC 6901).
      [null, 400, 'invalid_document', ''],
      [[], 400, 'invalid_document', ''],
      [{ data: 'x' }, 400, 'invalid_document', '/data'],
      [output((d) => (d.type = 'users')), 409, 'wrong_type', '/data/type'],
      [output((d) => (d.type = '')), 409, 'wrong_type', '/data/type'],
      [output((d) => delete d.type), 400, 'wrong_type', '/data/type'],
      [output((d) => (d.type = 7)), 400, 'wrong_type', '/data/type'],
      [output((d) => (d.id = '12')), 403, 'client_generated_id', '/data/id'],
      [output((d) => (d.id = { x: 1 })), 403, 'client_generated_id', '/data/id'],
      [output((d) => (d.id = null)), 403, 'client_generated_id', '/data/id'],
      [output((d) => (d.attributes = [])), 400, 'invalid_document', '/data/attributes'],
      [output((d) => (d.attributes.amount = true)), 422, 'invalid_amount', '/data/attributes/amount'],
      [output((d) => (d.attributes.budget = {})), 422, 'invalid_amount', '/data/attributes/budget'],
      [output((d) => (d.attributes.port_code = 7)), 422, 'invalid_port_code', '/data/attributes/port_code'],
      [output((d) => delete d.attributes.port_code), 422, 'invalid_port_code', '/data/attributes/port_code'],
      [output((d) => (d.attributes.colour = 'red')), 422, 'unknown_attribute', '/data/attributes/colour'],
      [output((d) => delete d.relationships.user), 422, 'missing_relationship', '/data/relationships/user'],
      [output((d) => delete d.relationships), 422, 'missing_relationship', '/data/relationships/request'],
      [output((d) => (d.relationships.owner = {})), 422, 'unknown_relationship', '/data/relationships/owner'],
      [
        output((d) => (d.relationships.user.data.id = 1.5)),
        400,
        'invalid_id',
        '/data/relationships/user/data/id',
      ],
      [
        output((d) => (d.relationships.user.data.id = '')),
        400,
        'invalid_id',
        '/data/relationships/user/data/id',
      ],
      [
        output((d) => (d.relationships.user.data.type = 'people')),
        400,
        'wrong_type',
        '/data/relationships/user/data/type',
      ],
      [
        output((d) => (d.relationships.user.data = null)),
        400,
        'invalid_document',
        '/data/relationships/user/data',
      ],
      [output((d) => (d.relationships.user = 5)), 400, 'invalid_document', '/data/relationships/user'],
    ];
    for (const [json, status, code, pointer] of cases) {
      const error = rendered(decodeCreateOutputBody(json)._unsafeUnwrapErr());
      expect(error, JSON.stringify(json)).toMatchObject({ status, code, pointer });
    }
  });

  it('refuses a client-generated id on every creation, and takes one where the resource exists', () => {
    const creations: [(json: unknown) => { isErr(): boolean }, unknown][] = [
      [decodeCreateOutputBody, GUIDE_OUTPUT],
      [decodeCreateRequestBody, wire(encodeCreateRequestBody({ portCode: 'ar_ars', payerId: '5' }))],
      [decodeCreateUserBody, wire(encodeCreateUserBody({ email: 'a@example.com' }))],
      [
        decodeCreateWithdrawalInstructionBody,
        wire(encodeCreateWithdrawalInstructionBody({ userId: '5', label: 'x', body: { cbu: '1' } })),
      ],
      [decodeEstimateBody, wire(encodeEstimateBody({ portCode: 'ar_ars', outputs: [] }))],
    ];
    for (const [decode, body] of creations) {
      expect(decode(body).isErr(), JSON.stringify(body)).toBe(false);
      const withId = structuredClone(body) as { data: Record<string, unknown> };
      withId.data.id = '99';
      const refused = decode(withId) as unknown as { error: BodyRefusal };
      expect(rendered(refused.error)).toMatchObject({
        type: 'permission',
        status: 403,
        code: 'client_generated_id',
        pointer: '/data/id',
      });
    }
    // An update names the resource it changes; another type there is a conflict too.
    expect(
      decodeUpdateRequestBody(wire(encodeUpdateRequestBody('7', { externalId: 'x' })))._unsafeUnwrap(),
    ).toEqual({ id: '7', externalId: 'x' });
    expect(
      rendered(
        decodeUpdateRequestBody({ data: { type: 'users', id: '7', attributes: {} } })._unsafeUnwrapErr(),
      ),
    ).toMatchObject({ status: 409, code: 'wrong_type', pointer: '/data/type' });
    expect(
      decodeUpdateMeBody({ data: { type: 'users', id: '1', attributes: { webhook_url: null } } }).isOk(),
    ).toBe(true);
  });

  it('judges estimate lines field by field; passes an instruction body and label on for the service to judge', () => {
    const estimate = (outputs: unknown) => ({
      data: { type: 'concierge_estimates', attributes: { port_code: 'ar_ars', outputs } },
    });
    expect(rendered(decodeEstimateBody(estimate('all'))._unsafeUnwrapErr())).toMatchObject({
      status: 422,
      code: 'invalid_attribute',
      pointer: '/data/attributes/outputs',
    });
    expect(
      rendered(decodeEstimateBody(estimate([{ port_code: 'cl_clp', amount: [1] }]))._unsafeUnwrapErr()),
    ).toMatchObject({
      code: 'invalid_amount',
      pointer: '/data/attributes/outputs/0/amount',
    });
    expect(rendered(decodeEstimateBody(estimate([7]))._unsafeUnwrapErr())).toMatchObject({
      code: 'invalid_attribute',
      pointer: '/data/attributes/outputs/0',
    });
    // The domain checks a body field by field (the same refusal in-process and over HTTP):
    // the decoder keeps what it was given.
    const instruction = {
      data: {
        type: 'withdrawal_instructions',
        attributes: { label: 7, body: { amount: 5 } },
        relationships: { user: { data: { type: 'users', id: 1 } } },
      },
    };
    expect(decodeCreateWithdrawalInstructionBody(instruction)._unsafeUnwrap()).toEqual({
      userId: '1',
      label: 7,
      body: { amount: 5 },
    });
    // As the provider's own client sends one: no user (the caller's own), and attributes are still known by name.
    expect(
      decodeCreateWithdrawalInstructionBody({
        data: { type: 'withdrawal_instructions', attributes: { label: 'Local Bank', body: {} } },
      })._unsafeUnwrap(),
    ).toEqual({ label: 'Local Bank', body: {} });
    expect(
      rendered(
        decodeCreateWithdrawalInstructionBody({
          data: { type: 'withdrawal_instructions', attributes: { body: {}, schema: 'bitex' } },
        })._unsafeUnwrapErr(),
      ),
    ).toMatchObject({ status: 422, code: 'unknown_attribute', pointer: '/data/attributes/schema' });
  });

  it('never throws, whatever the input', () => {
    const decoders = [
      decodeCreateOutputBody,
      decodeCreateRequestBody,
      decodeUpdateRequestBody,
      decodeRequestQuoteBody,
      decodeEstimateBody,
      decodeCreateUserBody,
      decodeUpdateMeBody,
      decodeCreateWithdrawalInstructionBody,
    ];
    fc.assert(
      fc.property(fc.constantFrom(...decoders), fc.jsonValue(), (decode, json) => {
        const result = decode(json);
        if (result.isErr()) expect([400, 403, 409, 422]).toContain(result.error.status);
      }),
      { numRuns: 2000 },
    );
  });
});
