import { createInMemoryConcierge } from '@concierge-ts/adapter-memory';
import { type ConciergeClient, conciergeError, type Logger } from '@concierge-ts/application';
import { errAsync, ok, okAsync, ResultAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { createRecordingLogger, type LogEntry } from './recording-logger.js';
import { REDACTED } from './redact.js';
import { withLogging, withOperatorLogging } from './with-logging.js';

const KEY = 'sk_test_withlogging_0123456789';

const setup = (level: 'trace' | 'debug' | 'info' | 'warn' = 'debug') => {
  const concierge = createInMemoryConcierge({ masterApiKey: KEY });
  const logger = createRecordingLogger({ level, secrets: [KEY] });
  const client = withLogging(concierge.client, logger);
  const seeded = concierge.seeded;
  if (seeded === null) throw new Error('expected a seeded sandbox');
  const payee = seeded.payees.find((p) => p.portCode === 'cl_clp');
  if (payee === undefined) throw new Error('expected a cl_clp payee');
  return { concierge, logger, client, seeded, payee };
};

const summaries = (entries: readonly LogEntry[], op?: string) =>
  entries.filter((e) => e.message === e.fields.op && (op === undefined || e.fields.op === op));

/** A logger whose every method throws. */
const throwingLogger: Logger = {
  get level(): never {
    throw new Error('level');
  },
  isLevelEnabled: () => true,
  trace: () => {
    throw new Error('trace');
  },
  debug: () => {
    throw new Error('debug');
  },
  info: () => {
    throw new Error('info');
  },
  warn: () => {
    throw new Error('warn');
  },
  error: () => {
    throw new Error('error');
  },
  fatal: () => {
    throw new Error('fatal');
  },
  child: () => {
    throw new Error('child');
  },
};

describe('withLogging', () => {
  it('logs op, ids, duration and outcome of a successful call at info', async () => {
    const { logger, client, seeded } = setup('info');
    const request = (
      await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
    )._unsafeUnwrap();
    const [line, ...others] = logger.entries;
    expect(others).toEqual([]);
    expect(line?.level).toBe('info');
    expect(line?.message).toBe('requests.create');
    expect(line?.fields).toMatchObject({
      op: 'requests.create',
      ids: { requestId: request.id, payerId: seeded.payerId },
      outcome: 'ok',
    });
    expect(line?.fields.durationMs).toBeTypeOf('number');
    expect(line?.fields.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('logs the ids of positional arguments and of inputs', async () => {
    const { logger, client, seeded, payee } = setup('info');
    const request = (
      await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
    )._unsafeUnwrap();
    const output = (
      await client.outputs.create({
        requestId: request.id,
        payeeId: payee.userId,
        withdrawalInstructionId: payee.withdrawalInstructionId,
        portCode: 'cl_clp',
        amount: 10_000,
      })
    )._unsafeUnwrap();
    await client.requests.requestQuote(request.id);
    await client.outputs.get(output.id);
    const byOp = Object.fromEntries(summaries(logger.entries).map((e) => [e.fields.op, e.fields]));
    expect(byOp['outputs.create']?.ids).toMatchObject({
      outputId: output.id,
      requestId: request.id,
      payeeId: payee.userId,
      withdrawalInstructionId: payee.withdrawalInstructionId,
    });
    expect(byOp['requests.requestQuote']?.ids).toMatchObject({ requestId: request.id });
    expect(byOp['outputs.get']?.ids).toMatchObject({ outputId: output.id, requestId: request.id });
  });

  it('logs an error at warn with its code, status and type', async () => {
    const { logger, client } = setup('info');
    const result = await client.requests.get('999999');
    expect(result._unsafeUnwrapErr().code).toBe('not_found');
    expect(logger.entries).toHaveLength(1);
    expect(logger.entries[0]).toMatchObject({
      level: 'warn',
      fields: {
        op: 'requests.get',
        ids: { requestId: '999999' },
        outcome: 'not_found',
        status: 404,
        errorType: 'not_found',
      },
    });
  });

  it('logs a refusal with its own code', async () => {
    const { logger, client, seeded } = setup('info');
    const request = (
      await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId })
    )._unsafeUnwrap();
    await client.requests.acceptQuote(request.id);
    const line = summaries(logger.entries, 'requests.acceptQuote')[0];
    expect(line?.level).toBe('warn');
    expect(line?.fields.status).toBe(409);
    expect(typeof line?.fields.outcome).toBe('string');
    expect(line?.fields.outcome).not.toBe('ok');
  });

  it('logs an authentication failure', async () => {
    const { concierge } = setup();
    const logger = createRecordingLogger();
    await withLogging(concierge.clientFor('sk_wrong_key_000000'), logger).users.me();
    expect(logger.entries.at(-1)?.fields).toMatchObject({
      op: 'users.me',
      outcome: 'unauthorized',
      status: 401,
    });
  });

  it('logs the input and the result at debug, redacted', async () => {
    const { logger, client, seeded } = setup('debug');
    const cbu = '2850590940904181352016';
    await client.withdrawalInstructions.create({
      userId: seeded.payerId,
      label: 'main account',
      body: { payment_method: 'domestic_bank', country: 'AR', currency: 'ARS', cbu, cuit: '20123456786' },
    });
    const bodies = logger.entries.find((e) => e.message === 'withdrawalInstructions.create bodies');
    expect(bodies?.level).toBe('debug');
    expect(bodies?.fields).toMatchObject({
      op: 'withdrawalInstructions.create',
      input: { userId: seeded.payerId, body: { cbu: '****2016', cuit: '****6786' } },
      result: { userId: seeded.payerId, body: { cbu: '****2016', cuit: '****6786' } },
    });
    // A body the service refuses (a secret is no field of it) is logged as given, redacted.
    await client.withdrawalInstructions.create({
      userId: seeded.payerId,
      body: { payment_method: 'domestic_bank', country: 'AR', currency: 'ARS', cbu, api_key: KEY },
    });
    const refused = logger.entries.filter((e) => e.message === 'withdrawalInstructions.create bodies').at(-1);
    expect(refused?.fields).toMatchObject({ input: { body: { cbu: '****2016', api_key: REDACTED } } });
    expect(JSON.stringify(logger.entries)).not.toContain(cbu);
    expect(JSON.stringify(logger.entries)).not.toContain(KEY);
  });

  it('writes no bodies at info, and nothing at all when silent', async () => {
    const { logger, client } = setup('info');
    await client.ports.list();
    expect(logger.entries.map((e) => e.level)).toEqual(['info']);
    expect(logger.entries[0]?.fields.count).toBe(8);

    const quiet = createRecordingLogger({ level: 'silent' });
    await withLogging(setup().concierge.client, quiet).ports.list();
    expect(quiet.entries).toEqual([]);
  });

  it('counts the items of a page', async () => {
    const { logger, client } = setup('info');
    await client.users.list();
    expect(logger.entries[0]?.fields).toMatchObject({ op: 'users.list', outcome: 'ok' });
    expect(logger.entries[0]?.fields.count).toBeGreaterThan(1);
  });

  it('returns the same results as the client it wraps', async () => {
    const plain = createInMemoryConcierge({ masterApiKey: KEY });
    const logged = setup();
    const run = async (client: ConciergeClient, payerId: string) => {
      const created = await client.requests.create({ portCode: 'ar_ars', payerId, externalId: 'batch-1' });
      const id = created.isOk() ? created.value.id : '';
      return [
        created,
        await client.requests.get(id),
        await client.requests.get('nope'),
        await client.requests.list({ externalId: 'batch-1' }),
        // Hint tokens are random: compare the rest.
        (
          await client.estimates.create({
            portCode: 'ar_ars',
            outputs: [{ portCode: 'cl_clp', amount: 10_000 }],
          })
        ).map((e) => ({ ...e, hintToken: typeof e.hintToken })),
        await client.users.me(),
      ];
    };
    expect(await run(logged.client, logged.seeded.payerId)).toEqual(
      await run(plain.client, plain.seeded?.payerId ?? ''),
    );
  });

  it('hands back the very values the client returned, as a ResultAsync', async () => {
    const value = { id: 'r1' };
    const error = conciergeError.notFound('request', 'r2');
    const stub = {
      requests: { get: (id: string) => (id === 'r1' ? okAsync(value) : errAsync(error)) },
    } as unknown as ConciergeClient;
    const client = withLogging(stub, createRecordingLogger());
    const found = client.requests.get('r1');
    expect(found).toBeInstanceOf(ResultAsync);
    expect((await found)._unsafeUnwrap()).toBe(value);
    expect((await client.requests.get('r2'))._unsafeUnwrapErr()).toBe(error);
    expect((await found.map((v) => v.id))._unsafeUnwrap()).toBe('r1');
  });

  it('never lets a throwing logger break a call', async () => {
    const { concierge, seeded } = setup();
    const client = withLogging(concierge.client, throwingLogger);
    const created = await client.requests.create({ portCode: 'ar_ars', payerId: seeded.payerId });
    expect(created.isOk()).toBe(true);
    expect((await client.requests.get('nope')).isErr()).toBe(true);
  });

  it('never lets a logger whose level check throws break a call', async () => {
    const { concierge } = setup();
    const logger = Object.create(throwingLogger, {
      isLevelEnabled: {
        value: () => {
          throw new Error('isLevelEnabled');
        },
      },
    }) as Logger;
    expect((await withLogging(concierge.client, logger).ports.list()).isOk()).toBe(true);
  });

  it('wraps any implementation: class resources, frozen resources, extra members', async () => {
    class Requests {
      constructor(private readonly prefix: string) {}
      get(id: string) {
        return okAsync({ id: `${this.prefix}${id}` });
      }
      getWithOutputs(id: string) {
        return this.get(id);
      }
    }
    const stub = {
      requests: new Requests('req_'),
      users: Object.freeze({ me: () => okAsync({ id: 'u1' }) }),
      version: '1.2.3',
    };
    const logger = createRecordingLogger();
    const client = withLogging(stub as unknown as ConciergeClient & { version: string }, logger);
    expect((await client.requests.get('1'))._unsafeUnwrap()).toEqual({ id: 'req_1' });
    expect((await client.requests.getWithOutputs('2'))._unsafeUnwrap()).toEqual({ id: 'req_2' });
    expect((await client.users.me())._unsafeUnwrap()).toEqual({ id: 'u1' });
    expect(client.version).toBe('1.2.3');
    // A method calling another of its resource is logged once.
    expect(summaries(logger.entries).map((e) => e.fields.op)).toEqual([
      'requests.get',
      'requests.getWithOutputs',
      'users.me',
    ]);
    expect(summaries(logger.entries, 'users.me')[0]?.fields.ids).toEqual({ userId: 'u1' });
  });

  it('logs a call that throws at error and lets the throw through', () => {
    const boom = new Error('bug');
    const stub = {
      ports: {
        list: () => {
          throw boom;
        },
      },
    } as unknown as ConciergeClient;
    const logger = createRecordingLogger();
    expect(() => withLogging(stub, logger).ports.list()).toThrow(boom);
    expect(logger.entries.at(-1)).toMatchObject({
      level: 'error',
      fields: { op: 'ports.list', outcome: 'thrown', error: { type: 'Error', message: 'bug' } },
    });
  });

  it('logs a ResultAsync that rejects and lets the rejection through', async () => {
    const stub = {
      ports: { list: () => new ResultAsync(Promise.reject(new Error('lost'))) },
    } as unknown as ConciergeClient;
    const logger = createRecordingLogger();
    await expect(withLogging(stub, logger).ports.list()).rejects.toThrow('lost');
    expect(logger.entries.at(-1)?.fields).toMatchObject({ op: 'ports.list', outcome: 'thrown' });
  });

  it('takes other levels', async () => {
    const { concierge } = setup();
    const logger = createRecordingLogger();
    const client = withLogging(concierge.client, logger, {
      okLevel: 'debug',
      errorLevel: 'error',
      bodiesLevel: null,
    });
    await client.ports.list();
    await client.requests.get('nope');
    expect(logger.entries.map((e) => e.level)).toEqual(['debug', 'error']);
  });

  it('keeps synchronous Results synchronous', () => {
    const stub = { ports: { list: () => ok([]) } } as unknown as ConciergeClient;
    const logger = createRecordingLogger();
    const result = withLogging(stub, logger).ports.list() as unknown as ReturnType<typeof ok>;
    expect(result.isOk()).toBe(true);
    expect(logger.entries.at(-1)?.fields).toMatchObject({ op: 'ports.list', outcome: 'ok', count: 0 });
  });
});

describe('withOperatorLogging', () => {
  it('logs operator commands with their ids', async () => {
    const { concierge, seeded } = setup();
    const logger = createRecordingLogger();
    const operator = withOperatorLogging(concierge.operator, logger);
    await operator.deposit(seeded.payerId, { portCode: 'ar_ars', amount: 1000 });
    await operator.produceQuote('nope');
    const lines = summaries(logger.entries);
    expect(lines[0]?.fields).toMatchObject({
      op: 'operator.deposit',
      ids: { userId: seeded.payerId },
      outcome: 'ok',
    });
    expect(lines[1]?.fields).toMatchObject({ op: 'operator.produceQuote', ids: { requestId: 'nope' } });
    expect(lines[1]?.level).toBe('warn');
  });
});
