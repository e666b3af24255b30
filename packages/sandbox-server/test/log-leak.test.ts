import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createHttpConciergeClient,
  createHttpSandboxOperator,
  type FetchLike,
  webhookSignature,
} from '@concierge-ts/adapter-http';
import { createInMemoryConcierge, type InMemoryConcierge } from '@concierge-ts/adapter-memory';
import { checkIdentifier, type IdentifierKind } from '@concierge-ts/domain';
import fc from 'fast-check';
import type { Result } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import {
  createSandboxApp,
  createSandboxLogger,
  inProcessFetch,
  type SandboxApp,
  startSandbox,
} from '../src/index.js';

/**
 * The logging issue's promise: a debug-level run of the sandbox through a full flow
 * leaves no API key (nor its WEBHOOK-AUTH signature) and no full account number in its
 * output; the last 4 characters of an account number may show.
 */

interface Secrets {
  readonly apiKey: string;
  /** A second master's key, known to the server once it calls. */
  readonly otherKey: string;
  /** A key no one has: answered 401, only ever seen in an Authorization header. */
  readonly wrongKey: string;
  readonly accountNumber: string;
  readonly cbu: string;
  readonly iban: string;
  readonly taxId: string;
}

const DIGITS = [...'0123456789'];
const isDefined = <T>(value: T | undefined): value is T => value !== undefined;

/**
 * The identifier `write` makes with the first check digits (one or two, 0 to 9) that
 * pass the domain's check of `kind`: what is tested here is redaction, not the checks.
 */
const withCheckDigits = (
  kind: IdentifierKind,
  write: (a: string, b: string) => string,
): string | undefined => {
  for (const a of DIGITS)
    for (const b of DIGITS) {
      const value = write(a, b);
      if (checkIdentifier(kind, value).isOk()) return value;
    }
  return undefined;
};

/** API keys as the sandbox accepts them (CONCIERGE_SANDBOX_API_KEY): printable ASCII, no spaces. */
const keyArb = fc
  .tuple(
    fc.constantFrom('sk_', 'sk_test_', 'sk_live_', ''),
    fc.oneof(
      fc.stringMatching(/^[0-9a-f]{24,48}$/),
      fc.base64String({ minLength: 24, maxLength: 48 }),
      fc.stringMatching(/^[\x21-\x7e]{20,60}$/),
    ),
  )
  .map(([prefix, body]) => prefix + body);

const secretsArb: fc.Arbitrary<Secrets> = fc
  .record({
    apiKey: keyArb,
    otherKey: keyArb,
    wrongKey: keyArb,
    accountNumber: fc.stringMatching(/^[1-9]\d{11,19}$/),
    // Identifiers that pass their checks (the service refuses others), in the compact
    // form the service keeps and answers them in.
    cbu: fc
      .tuple(fc.stringMatching(/^\d{7}$/), fc.stringMatching(/^\d{13}$/))
      .map(([bankBranch, account]) => withCheckDigits('cbu', (a, b) => `${bankBranch}${a}${account}${b}`))
      .filter(isDefined),
    iban: fc
      .stringMatching(/^\d{18}$/)
      .map((bban) => withCheckDigits('iban', (a, b) => `DE${a}${b}${bban}`))
      .filter(isDefined),
    taxId: fc
      .tuple(fc.constantFrom('20', '23', '27', '30'), fc.stringMatching(/^\d{8}$/))
      .map(([type, dni]) => withCheckDigits('cuit', (a) => `${type}${dni}${a}`))
      .filter(isDefined),
  })
  .filter((s) => new Set([s.apiKey, s.otherKey, s.wrongKey]).size === 3);

/** What must never be written, and what shows the bodies were logged (masked) at all. */
const checkOutput = (output: string, s: Secrets): void => {
  const forbidden = [
    s.apiKey,
    webhookSignature(s.apiKey),
    s.otherKey,
    webhookSignature(s.otherKey),
    s.wrongKey,
    s.accountNumber,
    s.cbu,
    s.iban,
    s.taxId,
  ];
  for (const value of forbidden) {
    expect(output).not.toContain(value);
    // As it would look inside a JSON string.
    expect(output).not.toContain(JSON.stringify(value).slice(1, -1));
  }
  for (const value of [s.accountNumber, s.cbu, s.iban, s.taxId])
    expect(output).toContain(`****${value.slice(-4)}`);
  expect(output).toContain('[redacted]');
};

/**
 * A full flow over HTTP with the HTTP client: webhooks on, a payee with a withdrawal
 * instruction carrying every kind of account number, a request with an output, quote,
 * accept, operator actions; a second master; a wrong key; keys where they do not belong.
 */
/** HTTP requests `runFlow` makes (the client does not retry). */
const FLOW_REQUESTS = 25;

/** The value of a step that must succeed; a failure names the step and the error. */
const must = <T, E>(result: Result<T, E>, step: string): T => {
  if (result.isErr()) throw new Error(`${step} failed: ${JSON.stringify(result.error)}`);
  return result.value;
};

const runFlow = async (
  baseUrl: string,
  fetch: FetchLike | undefined,
  concierge: InMemoryConcierge,
  s: Secrets,
  webhookUrl: string,
) => {
  const connect = (apiKey: string) => {
    const options = { baseUrl, apiKey, rateLimit: 0 as const, retries: 0, ...(fetch ? { fetch } : {}) };
    return { client: createHttpConciergeClient(options), operator: createHttpSandboxOperator(options) };
  };
  const { client, operator } = connect(s.apiKey);
  const payerId = concierge.seeded?.payerId ?? '';

  must(await client.users.updateMe({ webhookUrl }), 'users.updateMe');
  const payee = must(
    await client.users.create({ email: `payee.${s.taxId.slice(-4)}@example.com`, name: 'Payee' }),
    'users.create',
  );
  const instruction = must(
    await client.withdrawalInstructions.create({
      userId: payee.id,
      label: 'payee bank account',
      // An Argentine account with every kind of account number it may carry.
      body: {
        payment_method: 'international_bank',
        country: 'AR',
        currency: 'ARS',
        name: 'Payee',
        bank_account_number: s.accountNumber,
        cbu: s.cbu,
        iban: s.iban,
        cuit: s.taxId,
      },
    }),
    'withdrawalInstructions.create',
  );
  must(await client.withdrawalInstructions.get(instruction.id), 'withdrawalInstructions.get');
  must(await client.withdrawalInstructions.list({ userId: payee.id }), 'withdrawalInstructions.list');

  const request = must(
    await client.requests.create({ portCode: 'ar_ars', payerId, externalId: 'leak-test' }),
    'requests.create',
  );
  const output = must(
    await client.outputs.create({
      requestId: request.id,
      payeeId: payee.id,
      withdrawalInstructionId: instruction.id,
      portCode: 'ar_ars',
      amount: 1000,
    }),
    'outputs.create',
  );
  must(await client.requests.requestQuote(request.id), 'requests.requestQuote');
  // The sandbox quotes at once unless told otherwise: producing it again is refused (409), and logged.
  await operator.produceQuote(request.id);
  must(await client.requests.acceptQuote(request.id), 'requests.acceptQuote');
  must(await operator.setCompliance(payee.id, 'enabled'), 'operator.setCompliance');
  must(await operator.deposit(payerId, { portCode: 'ar_ars', amount: 500 }), 'operator.deposit');
  // Whether these apply depends on the state the output is in by now (refused ones are logged too).
  for (const action of ['accept', 'issue', 'settle'] as const)
    await operator.outputAction(output.id, action, { reason: 'operator test' });
  must(await operator.advanceClock(60), 'operator.advanceClock');
  must(await client.requests.getWithOutputs(request.id), 'requests.getWithOutputs');
  must(await client.outputs.list({ requestId: request.id }), 'outputs.list');
  must(await operator.events(), 'operator.events');

  // Another master, and a key nobody has.
  const other = connect(s.otherKey).client;
  must(await other.users.me(), 'other users.me');
  must(await other.users.create({ email: 'someone@example.com' }), 'other users.create');
  expect((await connect(s.wrongKey).client.users.me())._unsafeUnwrapErr()).toMatchObject({
    type: 'authentication',
    status: 401,
  });

  // Keys where they do not belong: a query string, a request id, a body that is not JSON.
  const raw = fetch ?? globalThis.fetch;
  const sendRaw = async (path: string, init: RequestInit) => {
    const response = await raw(`${baseUrl}${path}`, init);
    await response.text();
    return response;
  };
  await sendRaw(`/api/users/me?api_key=${encodeURIComponent(s.apiKey)}`, {});
  const echoed = await sendRaw('/api/users/me', {
    headers: { authorization: s.otherKey, 'x-request-id': s.otherKey.slice(0, 60) },
  });
  expect(echoed.headers.get('x-request-id')).not.toContain(s.otherKey.slice(0, 8));
  await sendRaw('/api/withdrawal_instructions', {
    method: 'POST',
    headers: { authorization: s.apiKey, 'content-type': 'application/json' },
    body: `{"cbu": "${s.cbu}", "api_key": "${s.apiKey}",`,
  });
};

/** A webhook receiver standing in for the master's endpoint: answers 200, keeps what came. */
const webhookStub = () => {
  const signatures: string[] = [];
  const fetch = async (_url: string, init: RequestInit) => {
    signatures.push(new Headers(init.headers).get('webhook-auth') ?? '');
    return new Response(null, { status: 200 });
  };
  return { signatures, fetch };
};

describe('a debug-level sandbox run', () => {
  it('never logs an API key, its WEBHOOK-AUTH or a full account number (in-process, property)', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(secretsArb, async (s) => {
        runs += 1;
        const text: string[] = [];
        const concierge = createInMemoryConcierge({ masterApiKey: s.apiKey });
        concierge.addMaster('other@example.com', s.otherKey);
        const hooks = webhookStub();
        // The logger `pnpm sandbox` makes at CONCIERGE_LOG_LEVEL=debug.
        const logger = createSandboxLogger({
          level: 'debug',
          apiKey: concierge.apiKey,
          destination: { write: (line: string) => text.push(line) },
        });
        const app: SandboxApp = createSandboxApp(concierge, {
          rateLimit: 0,
          logger,
          webhooks: { fetch: hooks.fetch, initialDelayMs: 1, maxDelayMs: 2 },
        });
        try {
          await runFlow('http://sandbox.test', inProcessFetch(app), concierge, s, 'https://hooks.test/in');
          await app.webhooks?.idle();
        } finally {
          app.close();
        }
        // Webhooks went out, signed with the key's SHA-256.
        expect(hooks.signatures.length).toBeGreaterThan(0);
        expect(new Set(hooks.signatures)).toEqual(new Set([webhookSignature(s.apiKey)]));
        const output = text.join('');
        const requests = output.split('\n').filter((l) => l.includes('"msg":"request completed"'));
        expect(requests).toHaveLength(FLOW_REQUESTS);
        checkOutput(output, s);
      }),
      { numRuns: 40 },
    );
    expect(runs).toBe(40);
  });

  it('never logs them through the wiring of `pnpm sandbox` either: a socket and a real receiver', async () => {
    const s = fc.sample(secretsArb, { numRuns: 1, seed: Date.now() })[0] as Secrets;
    const received: string[] = [];
    const receiver = createServer((req, res) => {
      received.push(String(req.headers['webhook-auth']));
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

    const logText: string[] = [];
    const banner: string[] = [];
    const started = await startSandbox({
      env: {
        PORT: '0',
        CONCIERGE_SANDBOX_API_KEY: s.apiKey,
        CONCIERGE_SANDBOX_RATE_LIMIT: '0',
        CONCIERGE_LOG_LEVEL: 'debug',
      },
      logDestination: { write: (line: string) => logText.push(line) },
      print: (line) => banner.push(line),
    });
    const sandbox = must(started, 'startSandbox');
    try {
      sandbox.concierge.addMaster('other@example.com', s.otherKey);
      await runFlow(sandbox.url, undefined, sandbox.concierge, s, hookUrl);
      await sandbox.app.webhooks?.idle();
    } finally {
      await sandbox.close();
      await new Promise<void>((resolve) => {
        receiver.close(() => resolve());
        receiver.closeAllConnections();
      });
    }
    expect(received.length).toBeGreaterThan(0);
    expect(new Set(received)).toEqual(new Set([webhookSignature(s.apiKey)]));
    // The banner shows the key once, on purpose; the log lines never do.
    expect(banner.join('\n')).toContain(`master API key: ${s.apiKey}`);
    const output = logText.join('');
    const lines = output
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ msg: 'sandbox listening', logLevel: 'debug', name: 'sandbox' });
    expect(lines.some((l) => l.op === 'webhook.deliver' && l.outcome === 'delivered')).toBe(true);
    // One line per request of the flow, each with its id.
    const requests = lines.filter((l) => l.msg === 'request completed');
    expect(requests).toHaveLength(FLOW_REQUESTS);
    expect(new Set(requests.map((l) => l.requestId)).size).toBe(FLOW_REQUESTS);
    checkOutput(output, s);
  });
});
