import { createInMemoryConcierge } from '@concierge-ts/adapter-memory';
import { ConciergeService, serviceClient } from '@concierge-ts/application';
import { describe, expect, it } from 'vitest';
import { createRecordingLogger } from './recording-logger.js';
import { REDACTED } from './redact.js';
import { withServiceLogging } from './service-logging.js';

const KEY = 'sk_test_service_logging_abcdef0123';

const setup = (level: 'trace' | 'debug' | 'info' = 'debug') => {
  const concierge = createInMemoryConcierge({ masterApiKey: KEY });
  const logger = createRecordingLogger({ level });
  const service = withServiceLogging(concierge.service, logger);
  const payerId = concierge.seeded?.payerId ?? '';
  return { concierge, logger, service, payerId };
};

describe('withServiceLogging', () => {
  it('is still a ConciergeService', () => {
    expect(setup().service).toBeInstanceOf(ConciergeService);
  });

  it('logs a command with the caller by id and the new resource id', () => {
    const { logger, service, payerId } = setup('info');
    const caller = service.authenticate(KEY)._unsafeUnwrap();
    const request = service.createRequest(caller, { portCode: 'ar_ars', payerId })._unsafeUnwrap();
    const line = logger.entries.find((e) => e.fields.op === 'service.createRequest');
    expect(line?.level).toBe('info');
    expect(line?.fields).toMatchObject({
      op: 'service.createRequest',
      ids: { callerId: caller.id, payerId, requestId: request.id },
      outcome: 'ok',
    });
    expect(line?.fields.durationMs).toBeTypeOf('number');
  });

  it('never shows the API key: not the argument of authenticate, not the caller record', () => {
    const { logger, service } = setup('trace');
    const caller = service.authenticate(KEY)._unsafeUnwrap();
    service.me(caller);
    service.createMasterUser({ email: 'second@example.com', apiKey: 'sk_test_second_master_99999' });
    const out = JSON.stringify(logger.entries);
    expect(out).not.toContain(KEY);
    expect(out).not.toContain('sk_test_second_master_99999');
    const auth = logger.entries.find((e) => e.message === 'service.authenticate bodies');
    expect(auth?.fields).toMatchObject({
      input: { apiKey: REDACTED },
      result: { apiKey: REDACTED, id: caller.id },
    });
  });

  it('logs a refusal at warn with its code', () => {
    const { logger, service } = setup('info');
    expect(service.authenticate('sk_unknown_000000').isErr()).toBe(true);
    expect(logger.entries.at(-1)).toMatchObject({
      level: 'warn',
      fields: { op: 'service.authenticate', outcome: 'unauthorized', status: 401 },
    });
    const caller = service.authenticate(KEY)._unsafeUnwrap();
    service.getOutput(caller, '424242');
    expect(logger.entries.at(-1)?.fields).toMatchObject({
      op: 'service.getOutput',
      ids: { callerId: caller.id, outputId: '424242' },
      outcome: 'not_found',
    });
  });

  it('logs the operator commands and plain-value queries', () => {
    const { logger, service, payerId } = setup('info');
    const caller = service.authenticate(KEY)._unsafeUnwrap();
    service.deposit(caller, payerId, { portCode: 'ar_ars', amount: 10 });
    service.listPorts();
    const ops = logger.entries.map((e) => [e.fields.op, e.fields.outcome, e.fields.count]);
    expect(ops).toContainEqual(['service.deposit', 'ok', undefined]);
    expect(ops).toContainEqual(['service.listPorts', 'ok', 8]);
    expect(logger.entries.find((e) => e.fields.op === 'service.deposit')?.fields.ids).toMatchObject({
      userId: payerId,
    });
  });

  it('passes the clock through and logs the tick at debug only', () => {
    const { logger, service } = setup('debug');
    expect(service.now()).toBe(Date.UTC(2026, 0, 5, 12));
    service.tick();
    expect(logger.entries.map((e) => [e.level, e.message])).toEqual([
      ['debug', 'service.tick bodies'],
      ['debug', 'service.tick'],
    ]);
  });

  it('serves a client with the same answers', async () => {
    const { service, payerId } = setup();
    const client = serviceClient(service, KEY);
    const created = await client.requests.create({ portCode: 'ar_ars', payerId });
    expect(created.isOk()).toBe(true);
    expect((await client.requests.get(created._unsafeUnwrap().id))._unsafeUnwrap()).toEqual(
      created._unsafeUnwrap(),
    );
  });
});
