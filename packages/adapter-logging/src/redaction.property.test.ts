import {
  createInMemoryConcierge,
  DEFAULT_PRICE_TABLE,
  defaultCatalog,
  InMemoryEventStore,
  InMemoryHintTokens,
  inMemoryRepositories,
  MAGIC_VALUES,
  ManualClock,
  SequentialIds,
  staticCatalog,
  tablePricing,
} from '@concierge-ts/adapter-memory';
import {
  type ConciergeClient,
  ConciergeService,
  type Logger,
  type LogLevel,
  serviceClient,
} from '@concierge-ts/application';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createConsoleLogger } from './console-logger.js';
import { createPinoLogger } from './pino-logger.js';
import { MASKED_KEYS, maskTail, REDACTED, redact, SECRET_KEYS } from './redact.js';
import { withRepositoryLogging } from './repository-logging.js';
import { withServiceLogging } from './service-logging.js';
import { silentLogger } from './silent-logger.js';
import { withLogging } from './with-logging.js';

// ------------------------------------------------------------------ arbitraries

/** API keys as providers issue them: a prefix, then hex or base64. */
const apiKeyArb = fc
  .tuple(
    fc.constantFrom('sk_', 'sk_live_', 'sk_test_', 'sk_sandbox_'),
    fc.oneof(fc.stringMatching(/^[0-9a-f]{16,48}$/), fc.base64String({ minLength: 16, maxLength: 48 })),
  )
  .map(([prefix, body]) => prefix + body);

/**
 * Account details. Long or punctuated enough that no other part of a log line (a time
 * stamp, an amount, an id) can contain one by chance.
 */
const accountsArb = fc.record({
  account_number: fc.stringMatching(/^[0-9]{14,20}$/),
  cbu: fc.stringMatching(/^[0-9]{22}$/),
  clabe: fc.stringMatching(/^[0-9]{18}$/),
  iban: fc.stringMatching(/^[A-Z]{2}[0-9]{2}[A-Z0-9]{12,30}$/),
  tax_id: fc.oneof(
    fc.stringMatching(/^(20|23|27|30|33)-[0-9]{8}-[0-9]$/), // CUIT
    fc.stringMatching(/^[0-9]{1,2}\.[0-9]{3}\.[0-9]{3}-[0-9K]$/), // RUT
    fc.stringMatching(/^[A-Z]{4}[0-9]{6}[A-Z0-9]{3}$/), // RFC
  ),
});
type Accounts = typeof accountsArb extends fc.Arbitrary<infer A> ? A : never;

// ------------------------------------------------------------------ capture

interface Capture {
  readonly name: string;
  readonly logger: Logger;
  readonly output: () => string;
  /** Whether this logger writes bodies (so masked tails must show up). */
  readonly writes: boolean;
}

const pinoCapture = (level: LogLevel, secrets: readonly string[]): Capture => {
  const lines: string[] = [];
  return {
    name: 'pino',
    logger: createPinoLogger({ level, secrets, destination: { write: (line) => lines.push(line) } }),
    output: () => lines.join(''),
    writes: true,
  };
};

const consoleCapture = (level: LogLevel, secrets: readonly string[]): Capture => {
  const lines: string[] = [];
  return {
    name: 'console',
    logger: createConsoleLogger({ level, secrets, write: (line) => lines.push(line) }),
    output: () => lines.join('\n'),
    writes: true,
  };
};

/** The silent logger has no buffer of its own: capture whatever reaches the console or the process streams. */
const silentCapture = (): Capture => {
  const chunks: string[] = [];
  const record = (...args: unknown[]) => {
    chunks.push(args.map(String).join(' '));
    return true;
  };
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const)
    vi.spyOn(console, method).mockImplementation(record);
  vi.spyOn(process.stdout, 'write').mockImplementation(record);
  vi.spyOn(process.stderr, 'write').mockImplementation(record);
  return { name: 'silent', logger: silentLogger, output: () => chunks.join('\n'), writes: false };
};

afterEach(() => {
  vi.restoreAllMocks();
});

const expectNothingLeaks = (capture: Capture, key: string, accounts: Accounts): void => {
  const out = capture.output();
  expect(out, `${capture.name}: API key`).not.toContain(key);
  expect(out, `${capture.name}: encoded API key`).not.toContain(encodeURIComponent(key));
  for (const [field, value] of Object.entries(accounts)) {
    expect(out, `${capture.name}: ${field}`).not.toContain(value);
    // Proof that the bodies were written, masked rather than dropped.
    if (capture.writes) expect(out, `${capture.name}: masked ${field}`).toContain(maskTail(value));
  }
  if (capture.writes) {
    expect(out).toContain('withdrawalInstructions.create');
    expect(out).toContain(REDACTED);
  }
};

// ------------------------------------------------------------------ scenarios

const instructionBody = (key: string, accounts: Accounts) => ({
  payment_method: 'bank_transfer',
  country: 'AR',
  currency: 'ARS',
  holder_name: 'Ana Payee',
  ...accounts,
  api_key: key,
  authorization: `Bearer ${key}`,
  'webhook-auth': key,
});

/** Calls that carry the key and the account details, structurally and inside free text. */
const runCarryingEverything = async (client: ConciergeClient, key: string, accounts: Accounts) => {
  const payer = (
    await client.users.create({ email: 'payer@example.com', name: `Payer of ${key}` })
  )._unsafeUnwrap();
  const payee = (
    await client.users.create({ email: 'payee@example.com', name: 'Ana Payee' })
  )._unsafeUnwrap();
  const instruction = (
    await client.withdrawalInstructions.create({
      userId: payee.id,
      label: `main ${key}`,
      body: instructionBody(key, accounts),
    })
  )._unsafeUnwrap();
  await client.withdrawalInstructions.get(instruction.id);
  await client.withdrawalInstructions.list({ userId: payee.id });
  const request = (
    await client.requests.create({
      portCode: 'ar_ars',
      payerId: payer.id,
      externalId: key,
      paymentAuthorizationCode: key,
    })
  )._unsafeUnwrap();
  (
    await client.outputs.create({
      requestId: request.id,
      payeeId: payee.id,
      withdrawalInstructionId: instruction.id,
      portCode: 'ar_ars',
      amount: 1000,
    })
  )._unsafeUnwrap();
  await client.requests.update(request.id, { externalId: `${key}-2` });
  await client.requests.requestQuote(request.id, { hintToken: key });
  await client.requests.requestQuote(request.id);
  await client.requests.getWithOutputs(request.id);
  await client.requests.list({ externalId: `${key}-2` });
  await client.outputs.list({ requestId: request.id });
  await client.estimates.create({ portCode: 'ar_ars', outputs: [{ portCode: 'cl_clp', amount: 10_000 }] });
  await client.users.updateMe({
    webhookUrl: `https://hooks.example.com/concierge?token=${encodeURIComponent(key)}`,
  });
  await client.users.me();
  await client.requests.get(key);
  await client.withdrawalInstructions.get(key);
  await client.users.get(`${key}/x`);
};

/** Calls that carry the key and account details only where their structure says so: no free text. */
const runCarryingStructurally = async (client: ConciergeClient, key: string, accounts: Accounts) => {
  const payer = (await client.users.create({ email: 'payer@example.com', name: 'Payer' }))._unsafeUnwrap();
  const payee = (
    await client.users.create({ email: 'payee@example.com', name: 'Ana Payee' })
  )._unsafeUnwrap();
  const instruction = (
    await client.withdrawalInstructions.create({
      userId: payee.id,
      label: 'main',
      body: instructionBody(key, accounts),
    })
  )._unsafeUnwrap();
  await client.withdrawalInstructions.list();
  const request = (await client.requests.create({ portCode: 'ar_ars', payerId: payer.id }))._unsafeUnwrap();
  await client.outputs.create({
    requestId: request.id,
    payeeId: payee.id,
    withdrawalInstructionId: instruction.id,
    portCode: 'ar_ars',
    amount: 1000,
  });
  await client.requests.requestQuote(request.id, { hintToken: key });
  await client.requests.requestQuote(request.id);
  await client.requests.getWithOutputs(request.id);
  await client.users.me();
};

// ------------------------------------------------------------------ properties

describe('redaction, end to end', () => {
  it('a logged client never writes the API key or a full account number, with any of the three loggers', async () => {
    await fc.assert(
      fc.asyncProperty(apiKeyArb, accountsArb, async (key, accounts) => {
        const captures = [
          () => pinoCapture('debug', [key]),
          () => consoleCapture('debug', [key]),
          () => silentCapture(),
        ];
        for (const make of captures) {
          const capture = make();
          try {
            const concierge = createInMemoryConcierge({ seed: false, masterApiKey: key });
            await runCarryingEverything(withLogging(concierge.client, capture.logger), key, accounts);
          } finally {
            vi.restoreAllMocks();
          }
          expectNothingLeaks(capture, key, accounts);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('client, service and repositories logged at trace never write the key, even unconfigured', async () => {
    await fc.assert(
      fc.asyncProperty(apiKeyArb, accountsArb, async (key, accounts) => {
        for (const make of [() => pinoCapture('trace', []), () => consoleCapture('trace', [])]) {
          const capture = make();
          const service = withServiceLogging(
            new ConciergeService({
              repositories: withRepositoryLogging(inMemoryRepositories(), capture.logger),
              catalog: staticCatalog(defaultCatalog()),
              pricing: tablePricing(DEFAULT_PRICE_TABLE),
              clock: new ManualClock(),
              ids: new SequentialIds(),
              events: new InMemoryEventStore(),
              hints: new InMemoryHintTokens(),
              policy: MAGIC_VALUES,
            }),
            capture.logger,
          );
          service.createMasterUser({ email: 'master@example.com', apiKey: key });
          await runCarryingStructurally(
            withLogging(serviceClient(service, key), capture.logger),
            key,
            accounts,
          );
          expectNothingLeaks(capture, key, accounts);
          const out = capture.output();
          expect(out).toContain('service.authenticate');
          expect(out).toContain('repositories.users.findByApiKey');
          expect(out).toContain('repositories.withdrawalInstructions.save');
        }
      }),
      { numRuns: 100 },
    );
  });
});

/** A key name of a given kind, in the spellings callers use: camelCase, snake_case, kebab, upper. */
const spelled = (keys: readonly string[]) =>
  fc
    .tuple(fc.constantFrom(...keys), fc.constantFrom('lower', 'upper', 'snake', 'kebab'))
    .map(([key, style]) => {
      if (style === 'upper') return key.toUpperCase();
      if (style === 'snake') return key.replace(/(key|number|id|auth|token|secret)$/, '_$1');
      if (style === 'kebab') return key.replace(/(key|number|id|auth|token|secret)$/, '-$1');
      return key;
    });

const pathArb = fc.array(fc.constantFrom('data', 'attributes', 'body', 'items', 'headers', 'meta'), {
  maxLength: 4,
});

const setAt = (root: Record<string, unknown>, path: readonly string[], key: string, value: unknown) => {
  let node = root;
  for (const step of path) {
    const next = node[step];
    node[step] = typeof next === 'object' && next !== null && !Array.isArray(next) ? { ...next } : {};
    node = node[step] as Record<string, unknown>;
  }
  node[key] = value;
};

describe('redact', () => {
  it('removes a secret under a secret key, at any depth, among any other data', () => {
    fc.assert(
      fc.property(fc.object(), pathArb, spelled(SECRET_KEYS), apiKeyArb, (filler, path, key, secret) => {
        const root = { ...filler };
        setAt(root, path, key, secret);
        const out = JSON.stringify(redact(root));
        expect(out).not.toContain(secret);
      }),
      { numRuns: 500 },
    );
  });

  it('masks an account number under a masked key to its last 4 characters, at any depth', () => {
    fc.assert(
      fc.property(
        fc.object(),
        pathArb,
        spelled(MASKED_KEYS),
        fc.stringMatching(/^[0-9]{14,30}$/),
        (filler, path, key, account) => {
          const root = { ...filler };
          setAt(root, path, key, account);
          const out = JSON.stringify(redact(root));
          expect(out).not.toContain(account);
          expect(out).toContain(maskTail(account));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('removes a configured secret from any text around it', () => {
    fc.assert(
      fc.property(fc.string(), apiKeyArb, fc.string(), (before, secret, after) => {
        const out = JSON.stringify(redact({ message: `${before}${secret}${after}` }, { secrets: [secret] }));
        expect(out).not.toContain(secret);
      }),
      { numRuns: 500 },
    );
  });

  it('turns any value into something JSON can write, without throwing', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withBoxedValues: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withObjectString: true,
          withSparseArray: true,
          withTypedArray: true,
        }),
        (value) => {
          expect(() => JSON.stringify(redact({ value }))).not.toThrow();
        },
      ),
      { numRuns: 500 },
    );
  });
});
