import type {
  AmountInput,
  BadRequestError,
  ConflictError,
  CreateOutputInput,
  CreateRequestInput,
  CreateUserInput,
  CreateWithdrawalInstructionInput,
  EstimateInput,
  Field,
  PermissionError,
  UnprocessableError,
  UpdateMeInput,
  UpdateRequestInput,
} from '@concierge-ts/application';
import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';
import { fieldAt, pointerOf, RESOURCE_TYPES, toOne, valueAt, wireId } from './json-api.js';

/**
 * Bodies a server receives (SPEC sections 5 and 7), both ways: decoders for the server,
 * encoders for the client. The decoders check the JSON:API structure and the JSON type
 * of each attribute; the values themselves (is this port active, does this amount fit
 * its currency) are the service's to judge, so that the HTTP API and the in-process
 * client refuse the same input with the same code at the same field.
 *
 * Structure (not an object, no `data`, no `type`, ids that are not strings or
 * integers) is refused with 400; attributes and relationships with 422, naming the
 * field (rendered as its JSON pointer). As JSON:API 1.0 has it, a resource object of another type
 * than the endpoint's is a conflict (409), and a resource to create that comes with its
 * own `id` is refused with 403: ids are the server's to give.
 */

const money = z.union([z.number(), z.string()]).nullable();
const text = z.string().nullable();

/** Wire codes for an attribute of the wrong JSON type, the same as the service's for a bad value. */
const ATTRIBUTE_CODES: Readonly<Record<string, string>> = {
  port_code: 'invalid_port_code',
  amount: 'invalid_amount',
  budget: 'invalid_amount',
  hint_token: 'hint_token_malformed',
};

const resourceBody = <A extends z.core.$ZodLooseShape, R extends z.core.$ZodLooseShape>(
  type: string,
  attributes: A,
  relationships: R,
) =>
  z.looseObject({
    data: z.looseObject({
      type: z.literal(type),
      id: wireId.optional(),
      // prefault: an absent member is read as {} and its required fields are then named one by one.
      attributes: z.strictObject(attributes).prefault({} as never),
      relationships: z.strictObject(relationships).prefault({} as never),
    }),
  });

/** How a request body is refused: always with the field at fault. */
export type BodyRefusal = (BadRequestError | ConflictError | PermissionError | UnprocessableError) & {
  readonly field: Field;
};

const refuse400 = (code: string, detail: string, at: Field): BodyRefusal => ({
  type: 'bad_request',
  status: 400,
  code,
  detail,
  field: at,
});

const conflict409 = (code: string, detail: string, at: Field): BodyRefusal => ({
  type: 'conflict',
  status: 409,
  code,
  detail,
  field: at,
});

const refuse422 = (code: string, detail: string, at: Field): BodyRefusal => ({
  type: 'unprocessable',
  status: 422,
  code,
  detail,
  field: at,
});

/** The refusal for one zod issue, by where in the document it is. */
const refusalOf = (issue: z.core.$ZodIssue, json: unknown, type: string): BodyRefusal => {
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const path = unknownKey === undefined ? issue.path : [...issue.path, unknownKey];
  const pointer = pointerOf(path);
  const at = fieldAt(path);
  const [root, section] = path;
  const detail = (what: string) => `${pointer}: ${what}`;
  if (root !== 'data' || section === undefined)
    return refuse400(
      'invalid_document',
      detail(`expected a JSON:API document {"data": {"type": "${type}", ...}}`),
      at,
    );
  if (section === 'type')
    return typeof valueAt(json, path) === 'string'
      ? conflict409('wrong_type', detail(`expected type "${type}"`), at)
      : refuse400('wrong_type', detail(`expected type "${type}"`), at);
  if (section === 'id') return refuse400('invalid_id', detail('an id is a string or an integer'), at);
  if (section === 'attributes') {
    if (path.length === 2) return refuse400('invalid_document', detail('attributes must be an object'), at);
    if (unknownKey !== undefined)
      return refuse422('unknown_attribute', detail(`${type} has no attribute ${unknownKey}`), at);
    // An estimate's lines are judged field by field; anything else by its attribute.
    const name = path[2] === 'outputs' && typeof path[4] === 'string' ? path[4] : String(path[2]);
    return refuse422(ATTRIBUTE_CODES[name] ?? 'invalid_attribute', detail(issue.message), at);
  }
  if (section === 'relationships') {
    if (unknownKey !== undefined && path.length === 3)
      return refuse422('unknown_relationship', detail(`${type} has no relationship ${unknownKey}`), at);
    if (path.length === 2)
      return refuse400('invalid_document', detail('relationships must be an object'), at);
    if (path.length === 3 && valueAt(json, path) === undefined)
      return refuse422('missing_relationship', detail(`the ${String(path[2])} relationship is required`), at);
    const last = path[path.length - 1];
    if (last === 'type') return refuse400('wrong_type', detail(issue.message), at);
    if (last === 'id') return refuse400('invalid_id', detail('an id is a string or an integer'), at);
    return refuse400(
      'invalid_document',
      detail('expected a relationship {"data": {"type": ..., "id": ...}}'),
      at,
    );
  }
  return refuse400('invalid_document', detail(issue.message), at);
};

const decodeBody =
  <S extends z.ZodType, T>(type: string, schema: S, build: (body: z.output<S>) => T) =>
  (json: unknown): Result<T, BodyRefusal> => {
    const parsed = schema.safeParse(json);
    if (parsed.success) return ok(build(parsed.data));
    const issue = parsed.error.issues[0];
    return err(
      issue
        ? refusalOf(issue, json, type)
        : refuse400('invalid_document', 'the body is not a JSON:API document', fieldAt([])),
    );
  };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A body that creates a resource: as `decodeBody`, and an `id` of the client's own is refused (403). */
const decodeCreationBody =
  <S extends z.ZodType, T>(type: string, schema: S, build: (body: z.output<S>) => T) =>
  (json: unknown): Result<T, BodyRefusal> => {
    const data = isObject(json) ? json.data : undefined;
    if (isObject(data) && Object.hasOwn(data, 'id'))
      return err({
        type: 'permission',
        status: 403,
        code: 'client_generated_id',
        detail: `/data/id: the server gives ${type} their ids; send the resource without one`,
        field: fieldAt(['data', 'id']),
      });
    return decodeBody(type, schema, build)(json);
  };

/** `null` and absent mean the same for optional attributes of a create. */
const present = <K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } =>
  (value === null || value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

// ---------------------------------------------------------------- requests

const createRequestSchema = resourceBody(
  RESOURCE_TYPES.request,
  {
    port_code: z.string(),
    external_id: text.optional(),
    payment_authorization_code: text.optional(),
  },
  { user: toOne(RESOURCE_TYPES.user) },
);

/** `POST /api/concierge_requests`: the payer is the `user` relationship (SPEC section 2). */
export const decodeCreateRequestBody = decodeCreationBody(
  RESOURCE_TYPES.request,
  createRequestSchema,
  ({ data: { attributes: a, relationships: r } }): CreateRequestInput => ({
    portCode: a.port_code,
    payerId: r.user.data.id,
    ...present('externalId', a.external_id),
    ...present('paymentAuthorizationCode', a.payment_authorization_code),
  }),
);

export const encodeCreateRequestBody = (input: CreateRequestInput) => ({
  data: {
    type: RESOURCE_TYPES.request,
    attributes: {
      port_code: input.portCode,
      ...(input.externalId === undefined ? {} : { external_id: input.externalId }),
      ...(input.paymentAuthorizationCode === undefined
        ? {}
        : { payment_authorization_code: input.paymentAuthorizationCode }),
    },
    relationships: { user: { data: { type: RESOURCE_TYPES.user, id: input.payerId } } },
  },
});

const updateRequestSchema = resourceBody(
  RESOURCE_TYPES.request,
  { external_id: text.optional(), payment_authorization_code: text.optional() },
  {},
);

/** `PATCH /api/concierge_requests/:id`; `id`, when given, is the body's `data.id` for the caller to check. */
export const decodeUpdateRequestBody = decodeBody(
  RESOURCE_TYPES.request,
  updateRequestSchema,
  ({ data: { id, attributes: a } }): UpdateRequestInput & { readonly id?: string } => ({
    ...(id === undefined ? {} : { id }),
    ...(a.external_id === undefined ? {} : { externalId: a.external_id }),
    ...(a.payment_authorization_code === undefined
      ? {}
      : { paymentAuthorizationCode: a.payment_authorization_code }),
  }),
);

export const encodeUpdateRequestBody = (id: string, input: UpdateRequestInput) => ({
  data: {
    type: RESOURCE_TYPES.request,
    id,
    attributes: {
      ...(input.externalId === undefined ? {} : { external_id: input.externalId }),
      ...(input.paymentAuthorizationCode === undefined
        ? {}
        : { payment_authorization_code: input.paymentAuthorizationCode }),
    },
  },
});

const requestQuoteSchema = resourceBody(RESOURCE_TYPES.request, { hint_token: z.string().optional() }, {});

/** `POST .../request_quote`: an empty body, or one with the estimate's `hint_token`. */
export const decodeRequestQuoteBody = (
  json: unknown,
): Result<{ readonly hintToken?: string }, BodyRefusal> =>
  json === undefined
    ? ok({})
    : decodeBody(RESOURCE_TYPES.request, requestQuoteSchema, ({ data: { attributes: a } }) =>
        present('hintToken', a.hint_token),
      )(json);

export const encodeRequestQuoteBody = (input: { readonly hintToken?: string }) =>
  input.hintToken === undefined
    ? undefined
    : { data: { type: RESOURCE_TYPES.request, attributes: { hint_token: input.hintToken } } };

// ---------------------------------------------------------------- outputs

const createOutputSchema = resourceBody(
  RESOURCE_TYPES.output,
  { port_code: z.string(), amount: money.optional(), budget: money.optional() },
  {
    request: toOne(RESOURCE_TYPES.request),
    user: toOne(RESOURCE_TYPES.user),
    withdrawal_instruction: toOne(RESOURCE_TYPES.withdrawalInstruction),
  },
);

/** `POST /api/concierge_request_outputs`; ids may be integers, as the provider's guide sends them. */
export const decodeCreateOutputBody = decodeCreationBody(
  RESOURCE_TYPES.output,
  createOutputSchema,
  ({ data: { attributes: a, relationships: r } }): CreateOutputInput => ({
    requestId: r.request.data.id,
    payeeId: r.user.data.id,
    withdrawalInstructionId: r.withdrawal_instruction.data.id,
    portCode: a.port_code,
    ...present('amount', a.amount),
    ...present('budget', a.budget),
  }),
);

/**
 * An amount for the wire: a JSON number when the number says exactly what was given,
 * else the text as given (the server reads decimal text exactly and refuses what is not
 * an amount with the same reason as the in-process service).
 */
export const amountToWire = (amount: AmountInput): number | string => {
  if (typeof amount === 'number') return Number.isFinite(amount) ? amount : String(amount);
  if (typeof amount !== 'string') return amount;
  const trimmed = amount.trim();
  const n = Number(trimmed);
  return trimmed !== '' && Number.isFinite(n) && String(n) === trimmed ? n : amount;
};

export const encodeCreateOutputBody = (input: CreateOutputInput) => ({
  data: {
    type: RESOURCE_TYPES.output,
    attributes: {
      port_code: input.portCode,
      ...(input.amount === undefined ? {} : { amount: amountToWire(input.amount) }),
      ...(input.budget === undefined ? {} : { budget: amountToWire(input.budget) }),
    },
    relationships: {
      request: { data: { type: RESOURCE_TYPES.request, id: input.requestId } },
      user: { data: { type: RESOURCE_TYPES.user, id: input.payeeId } },
      withdrawal_instruction: {
        data: { type: RESOURCE_TYPES.withdrawalInstruction, id: input.withdrawalInstructionId },
      },
    },
  },
});

// ---------------------------------------------------------------- estimates

const estimateLine = z.strictObject({
  port_code: z.string(),
  amount: money.optional(),
  budget: money.optional(),
});
const estimateSchema = resourceBody(
  RESOURCE_TYPES.estimate,
  { port_code: z.string(), outputs: z.array(estimateLine) },
  {},
);

/** `POST /api/concierge_estimates`. */
export const decodeEstimateBody = decodeCreationBody(
  RESOURCE_TYPES.estimate,
  estimateSchema,
  ({ data: { attributes: a } }): EstimateInput => ({
    portCode: a.port_code,
    outputs: a.outputs.map((line) => ({
      portCode: line.port_code,
      ...present('amount', line.amount),
      ...present('budget', line.budget),
    })),
  }),
);

export const encodeEstimateBody = (input: EstimateInput) => ({
  data: {
    type: RESOURCE_TYPES.estimate,
    attributes: {
      port_code: input.portCode,
      outputs: input.outputs.map((line) => ({
        port_code: line.portCode,
        ...(line.amount === undefined ? {} : { amount: amountToWire(line.amount) }),
        ...(line.budget === undefined ? {} : { budget: amountToWire(line.budget) }),
      })),
    },
  },
});

// ---------------------------------------------------------------- users

const createUserSchema = resourceBody(
  RESOURCE_TYPES.user,
  { email: text.optional(), name: text.optional() },
  {},
);

/** `POST /api/users`: a payer or payee managed by the caller; `{"data": {"type": "users"}}` is enough. */
export const decodeCreateUserBody = decodeCreationBody(
  RESOURCE_TYPES.user,
  createUserSchema,
  ({ data: { attributes: a } }): CreateUserInput => ({
    ...present('email', a.email),
    ...present('name', a.name),
  }),
);

export const encodeCreateUserBody = (input: CreateUserInput) => ({
  data: {
    type: RESOURCE_TYPES.user,
    attributes: {
      ...(input.email === undefined ? {} : { email: input.email }),
      ...(input.name === undefined ? {} : { name: input.name }),
    },
  },
});

const updateMeSchema = resourceBody(RESOURCE_TYPES.user, { webhook_url: text.optional() }, {});

/** `PATCH /api/users/me`: where webhooks go (null stops them). */
export const decodeUpdateMeBody = decodeBody(
  RESOURCE_TYPES.user,
  updateMeSchema,
  ({ data: { attributes: a } }): UpdateMeInput =>
    a.webhook_url === undefined ? {} : { webhookUrl: a.webhook_url },
);

export const encodeUpdateMeBody = (input: UpdateMeInput) => ({
  data: {
    type: RESOURCE_TYPES.user,
    attributes: input.webhookUrl === undefined ? {} : { webhook_url: input.webhookUrl },
  },
});

// ---------------------------------------------------------------- withdrawal instructions

const createInstructionSchema = resourceBody(
  RESOURCE_TYPES.withdrawalInstruction,
  // The service judges both, at their fields, as the in-process client does.
  { label: z.unknown().optional(), body: z.unknown().optional() },
  // Optional: without it the instruction is the caller's own, as the published client sends it.
  { user: toOne(RESOURCE_TYPES.user).optional() },
);

/** `POST /api/withdrawal_instructions`. */
export const decodeCreateWithdrawalInstructionBody = decodeCreationBody(
  RESOURCE_TYPES.withdrawalInstruction,
  createInstructionSchema,
  ({ data: { attributes: a, relationships: r } }): CreateWithdrawalInstructionInput => ({
    ...(r.user === undefined ? {} : { userId: r.user.data.id }),
    // As received: the service checks the label's text and the body's shape and identifiers.
    ...(a.label === undefined ? {} : { label: a.label as string | null }),
    body: a.body as CreateWithdrawalInstructionInput['body'],
  }),
);

export const encodeCreateWithdrawalInstructionBody = (input: CreateWithdrawalInstructionInput) => ({
  data: {
    type: RESOURCE_TYPES.withdrawalInstruction,
    attributes: {
      ...(input.label === undefined ? {} : { label: input.label }),
      body: { ...input.body },
    },
    ...(input.userId === undefined
      ? {}
      : { relationships: { user: { data: { type: RESOURCE_TYPES.user, id: input.userId } } } }),
  },
});
