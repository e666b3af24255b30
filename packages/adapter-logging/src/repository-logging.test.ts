import { inMemoryRepositories } from '@concierge-ts/adapter-memory';
import type { UserRecord } from '@concierge-ts/application';
import { describe, expect, it } from 'vitest';
import { createRecordingLogger } from './recording-logger.js';
import { REDACTED } from './redact.js';
import { withRepositoryLogging } from './repository-logging.js';

const user = (id: string, apiKey: string | null): UserRecord => ({
  id,
  email: `${id}@example.com`,
  name: null,
  role: 'master',
  masterId: null,
  complianceState: 'enabled',
  apiKey,
  webhookUrl: null,
  createdAt: 0,
});

describe('withRepositoryLogging', () => {
  it('logs get, save and list at debug with ids, duration, found and count', () => {
    const logger = createRecordingLogger({ level: 'debug' });
    const repositories = withRepositoryLogging(inMemoryRepositories(), logger);
    repositories.users.save(user('7', 'sk_repo_key_0123456789'));
    expect(repositories.users.get('7')?.id).toBe('7');
    expect(repositories.users.get('8')).toBeUndefined();
    expect(repositories.users.listByMaster('7')).toEqual([]);
    expect(logger.entries.map((e) => e.fields)).toMatchObject([
      { op: 'repositories.users.save', ids: { id: '7' }, outcome: 'ok' },
      { op: 'repositories.users.get', ids: { id: '7' }, outcome: 'ok', found: true },
      { op: 'repositories.users.get', ids: { id: '8' }, outcome: 'ok', found: false },
      { op: 'repositories.users.listByMaster', ids: { masterId: '7' }, outcome: 'ok', count: 0 },
    ]);
    for (const entry of logger.entries) {
      expect(entry.level).toBe('debug');
      expect(entry.fields.durationMs).toBeTypeOf('number');
    }
  });

  it('logs entities at trace, with the API key redacted everywhere', () => {
    const logger = createRecordingLogger({ level: 'trace' });
    const repositories = withRepositoryLogging(inMemoryRepositories(), logger);
    repositories.users.save(user('7', 'sk_repo_key_0123456789'));
    repositories.users.findByApiKey('sk_repo_key_0123456789');
    const out = JSON.stringify(logger.entries);
    expect(out).not.toContain('sk_repo_key_0123456789');
    const save = logger.entries.find((e) => e.message === 'repositories.users.save bodies');
    expect(save?.level).toBe('trace');
    expect(save?.fields).toMatchObject({ input: { entity: { id: '7', apiKey: REDACTED } } });
    const find = logger.entries.find((e) => e.message === 'repositories.users.findByApiKey bodies');
    expect(find?.fields).toMatchObject({ input: { apiKey: REDACTED }, result: { apiKey: REDACTED } });
  });

  it('names the arguments of a balance lookup', () => {
    const logger = createRecordingLogger({ level: 'debug' });
    const repositories = withRepositoryLogging(inMemoryRepositories(), logger);
    repositories.balances.get('3', 'ARS');
    expect(logger.entries[0]?.fields).toMatchObject({
      op: 'repositories.balances.get',
      ids: { userId: '3' },
      found: false,
    });
  });

  it('leaves a lazy list unread', () => {
    const logger = createRecordingLogger({ level: 'trace' });
    const repositories = withRepositoryLogging(inMemoryRepositories(), logger);
    const active = repositories.requests.listActive();
    expect([...active]).toEqual([]);
    expect(
      logger.entries.find((e) => e.fields.op === 'repositories.requests.listActive')?.fields.count,
    ).toBeUndefined();
  });

  it('costs one level check when debug is off', () => {
    const logger = createRecordingLogger({ level: 'info' });
    const repositories = withRepositoryLogging(inMemoryRepositories(), logger);
    repositories.users.save(user('1', null));
    repositories.users.get('1');
    expect(logger.entries).toEqual([]);
  });
});
