import { describe, expect, it } from 'vitest';
import { generateRunId, isRunId, readSettings } from './settings.js';

describe('run ids', () => {
  it('generates ids the run accepts, from the time', () => {
    const id = generateRunId(new Date('2026-01-05T12:34:56.789Z'), () => 0.5);
    expect(id).toMatch(/^run-20260105-123456-[a-z2-9]{6}$/);
    expect(isRunId(id)).toBe(true);
  });
});

describe('settings', () => {
  it('take the defaults of SPEC 10.4 when neither a flag nor a variable is given', () => {
    const read = readSettings(
      ['api', 'db', 'rateLimit', 'chunkSize', 'timeout', 'tolerance', 'detach', 'yes', 'json', 'key'],
      {},
      {},
    );
    expect(read._unsafeUnwrap()).toEqual({
      api: 'http://127.0.0.1:4100',
      db: '.concierge',
      rateLimit: 5,
      chunkSize: 250,
      timeout: 10,
      tolerance: '0.02',
      detach: false,
      yes: false,
      json: false,
    });
  });

  it('take a flag over its variable, and a variable over the default', () => {
    const env = {
      CONCIERGE_RATE_LIMIT: '2',
      CONCIERGE_API_URL: 'https://api.example.com',
      CONCIERGE_YES: 'true',
    };
    const read = readSettings(['api', 'rateLimit', 'yes'], { rateLimit: '0.5' }, env)._unsafeUnwrap();
    expect(read).toEqual({ api: 'https://api.example.com', rateLimit: 0.5, yes: true });
  });

  it('report every bad value, each naming where it came from', () => {
    const read = readSettings(
      ['api', 'chunkSize', 'runId'],
      { runId: 'a b' },
      { CONCIERGE_API_URL: 'ftp://x', CONCIERGE_CHUNK_SIZE: '1001' },
    );
    expect(read._unsafeUnwrapErr().map((p) => p.message.split(':')[0])).toEqual([
      'CONCIERGE_API_URL="ftp',
      'CONCIERGE_CHUNK_SIZE="1001"',
      '--run-id "a b"',
    ]);
  });
});
