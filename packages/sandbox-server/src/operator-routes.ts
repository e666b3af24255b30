import { encodeLinkedRequest, encodeLoggedEvent, encodeOutput, encodeUser } from '@concierge-ts/adapter-http';
import {
  type ConciergeError,
  magicTable,
  type OperatorOutputAction,
  type SandboxOperator,
} from '@concierge-ts/application';
import type { ComplianceState } from '@concierge-ts/domain';
import { type Context, Hono } from 'hono';
import { err, ok, type Result } from 'neverthrow';
import type { Callers } from './caller.js';
import { withOutputs } from './linkage.js';
import { readJsonBody } from './request-body.js';
import { answer, sendError } from './respond.js';

/** Operator bodies are plain JSON objects (SPEC section 9); the service judges their fields. */
const plainObject = (json: unknown): Result<Record<string, unknown>, ConciergeError> =>
  json === undefined
    ? ok({})
    : typeof json === 'object' && json !== null && !Array.isArray(json)
      ? ok(json as Record<string, unknown>)
      : err({
          type: 'bad_request',
          status: 400,
          code: 'invalid_document',
          detail: 'the body must be a JSON object',
          field: { path: [] },
        });

/** The sandbox operator API of SPEC section 9 under /sandbox, with the same key as the API. */
export const operatorRoutes = (callers: Callers): Hono => {
  const sandbox = new Hono({ strict: false });

  /** Runs a handler with the caller's operator and plain JSON body, or answers the refusal. */
  const operate =
    (handler: (c: Context, operator: SandboxOperator, body: Record<string, unknown>) => Promise<Response>) =>
    async (c: Context): Promise<Response> => {
      const operator = callers.operator(c);
      if (operator.isErr()) return sendError(c, operator.error);
      const body = (await readJsonBody(c)).andThen(plainObject);
      return body.isOk() ? handler(c, operator.value, body.value) : sendError(c, body.error);
    };

  const id = (c: Context): string => c.req.param('id') ?? '';

  let mastersMade = 0;
  sandbox.post(
    '/masters',
    // A new tenant for a test: its own data, clock and events; the caller's stays as it is.
    operate(async (c, _operator, body) => {
      const email = body.email;
      if (email !== undefined && (typeof email !== 'string' || !/^[^\s@]{1,64}@[^\s@]{1,190}$/.test(email)))
        return sendError(c, {
          type: 'unprocessable',
          status: 422,
          code: 'invalid_attribute',
          detail: 'email must be an address such as qa@example.com',
          field: { path: ['email'] },
        });
      mastersMade += 1;
      const master = callers.createMaster(
        email ?? `master-${Date.now()}-${mastersMade}@sandbox.concierge.test`,
      );
      return c.json({ id: master.id, api_key: master.apiKey }, 201);
    }),
  );

  sandbox.post(
    '/users/:id/compliance',
    operate((c, operator, body) =>
      // The service checks the state at run time and names /state when it is wrong.
      answer(c, operator.setCompliance(id(c), body.state as ComplianceState), (u) => ({
        data: encodeUser(u),
      })),
    ),
  );

  sandbox.post(
    '/users/:id/deposits',
    operate((c, operator, body) =>
      answer(
        c,
        operator.deposit(id(c), {
          portCode: body.port_code as string,
          amount: body.amount as number | string,
        }),
        (u) => ({ data: encodeUser(u) }),
      ),
    ),
  );

  sandbox.post(
    '/concierge_requests/:id/quote',
    operate((c, operator) =>
      answer(
        c,
        callers
          .authenticate(c)
          .asyncAndThen(({ client }) =>
            operator.produceQuote(id(c)).andThen((request) => withOutputs(client, request)),
          ),
        (r) => ({ data: encodeLinkedRequest(r, c.req.url) }),
      ),
    ),
  );

  sandbox.post(
    '/concierge_request_outputs/:id/:action',
    operate((c, operator, body) =>
      answer(
        c,
        operator.outputAction(
          id(c),
          (c.req.param('action') ?? '') as OperatorOutputAction,
          body.reason === undefined ? {} : { reason: body.reason as string },
        ),
        (o) => ({ data: encodeOutput(o) }),
      ),
    ),
  );

  // `{ "now": ... }` is plain JSON, not a JSON:API document, and says so.
  const clockAnswer = async (c: Context, moved: ReturnType<SandboxOperator['advanceClock']>) => {
    const now = await moved;
    return now.isOk() ? c.json(now.value) : sendError(c, now.error);
  };
  sandbox.post(
    '/clock/advance',
    operate((c, operator, body) => clockAnswer(c, operator.advanceClock(body.seconds as number))),
  );
  sandbox.post(
    '/clock/run_until_idle',
    operate((c, operator) => clockAnswer(c, operator.runUntilIdle())),
  );

  // The magic values (SPEC section 9): the same for every tenant, so open to anyone, like the ports.
  const magic = magicTable();
  sandbox.get('/magic', (c) => c.json(magic));

  sandbox.get(
    '/events',
    // Each event with its resource as it was then (meta.snapshot) and when it was delivered (sent_at).
    operate((c, operator) => {
      const base = new URL(c.req.url).origin;
      return answer(c, operator.events(), (events) => ({
        data: events.map((event) => encodeLoggedEvent(event, base)),
      }));
    }),
  );

  sandbox.post(
    '/reset',
    operate(async (c, operator) => {
      const done = await operator.reset();
      return done.isOk() ? c.body(null, 204) : sendError(c, done.error);
    }),
  );

  return sandbox;
};
