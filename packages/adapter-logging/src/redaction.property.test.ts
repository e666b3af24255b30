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
import { checkIdentifier, type IdentifierKind } from '@concierge-ts/domain';
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

const digits = (length: number) => fc.stringMatching(new RegExp(`^[0-9]{${length}}$`));

/**
 * `prefix` followed by the first of `candidates` (a check digit, or two) that makes it a
 * valid `kind`: valid identifiers to log, their check digits found by the domain's own
 * checks (what is tested here is redaction, not the checks).
 */
const completed = (kind: IdentifierKind, candidates: readonly string[]) => (prefix: string) =>
  candidates.map((c) => `${prefix}${c}`).find((v) => checkIdentifier(kind, v).isOk());
const ONE_DIGIT = [...'0123456789'];
const TWO_DIGITS = ONE_DIGIT.flatMap((a) => ONE_DIGIT.map((b) => `${a}${b}`));
const defined = <T>(value: T | undefined): value is T => value !== undefined;

/**
 * Account details that pass their country's checks (the service refuses any other), long
 * enough that no other part of a log line (a time stamp, an amount, an id) can contain
 * one by chance.
 */
const accountsArb = fc.record({
  bank_account_number: digits(14).chain((head) => digits(6).map((tail) => head + tail)),
  // Bank and branch with its check digit, then the account with its own.
  cbu: fc
    .tuple(digits(7), digits(13))
    .map(([bankBranch, account]) =>
      ONE_DIGIT.map((d) => `${bankBranch}${d}${account}`)
        .flatMap((head) => ONE_DIGIT.map((d) => `${head}${d}`))
        .find((v) => checkIdentifier('cbu', v).isOk()),
    )
    .filter(defined),
  cuit: fc
    .tuple(fc.constantFrom('20', '23', '27', '30', '33'), digits(8))
    .map(([type, dni]) => completed('cuit', ONE_DIGIT)(type + dni))
    .filter(defined),
  clabe: digits(11)
    .map((account) => completed('clabe', ONE_DIGIT)(`002180${account}`))
    .filter(defined),
  rut: fc
    .integer({ min: 10_000_000, max: 99_999_999 })
    .map((n) => completed('rut', [...ONE_DIGIT, 'K'])(String(n)))
    .filter(defined),
  iban: digits(18)
    .map((bban) =>
      TWO_DIGITS.map((check) => `DE${check}${bban}`).find((v) => checkIdentifier('iban', v).isOk()),
    )
    .filter(defined),
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

/** An Argentine account, valid: a CBU, the holder's CUIT and an account number. */
const argentineBody = (accounts: Accounts) => ({
  payment_method: 'domestic_bank',
  country: 'AR',
  currency: 'ARS',
  name: 'Ana Payee',
  cbu: accounts.cbu,
  cuit: accounts.cuit,
  bank_account_number: accounts.bank_account_number,
});

/** Instructions for the other identifiers: a CLABE in Mexico, a RUT in Chile, an IBAN elsewhere. */
const otherBodies = (accounts: Accounts) => [
  { payment_method: 'domestic_bank', country: 'MX', currency: 'MXN', clabe: accounts.clabe },
  { payment_method: 'domestic_bank', country: 'CL', currency: 'CLP', rut: accounts.rut },
  { payment_method: 'international_bank', country: 'OTHER', currency: 'EUR', iban: accounts.iban },
];

/** A body with secrets among its fields: refused (they are no fields of it), and logged all the same. */
const bodyWithSecrets = (key: string, accounts: Accounts) => ({
  ...argentineBody(accounts),
  clabe: accounts.clabe,
  iban: accounts.iban,
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
      body: argentineBody(accounts),
    })
  )._unsafeUnwrap();
  for (const body of otherBodies(accounts))
    (await client.withdrawalInstructions.create({ userId: payee.id, body }))._unsafeUnwrap();
  const refused = await client.withdrawalInstructions.create({
    userId: payee.id,
    body: bodyWithSecrets(key, accounts),
  });
  expect(refused.isErr()).toBe(true);
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
      body: argentineBody(accounts),
    })
  )._unsafeUnwrap();
  for (const body of otherBodies(accounts))
    (await client.withdrawalInstructions.create({ userId: payee.id, body }))._unsafeUnwrap();
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
