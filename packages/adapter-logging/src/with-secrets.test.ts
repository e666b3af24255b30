import { describe, expect, it } from 'vitest';
import { createRecordingLogger } from './recording-logger.js';
import { REDACTED } from './redact.js';
import { silentLogger } from './silent-logger.js';
import { withSecrets } from './with-secrets.js';

describe('withSecrets', () => {
  it('masks the given values anywhere, then applies the inner logger redaction', () => {
    const inner = createRecordingLogger();
    const logger = withSecrets(inner, ['sk_other_master_0001']);
    logger.info(
      {
        note: 'called by sk_other_master_0001',
        nested: { list: ['x sk_other_master_0001 y'] },
        cbu: '0170099220000067797370',
      },
      'key sk_other_master_0001 again',
    );
    const out = JSON.stringify(inner.entries);
    expect(out).not.toContain('sk_other_master_0001');
    expect(out).toContain(REDACTED);
    expect(out).toContain('****7370');
    expect(inner.entries[0]?.message).toBe(`key ${REDACTED} again`);
  });

  it('reads a function of secrets at each line, so keys learnt later are masked too', () => {
    const inner = createRecordingLogger();
    const keys: string[] = [];
    const logger = withSecrets(inner, () => keys);
    logger.info({ text: 'late_key_123456' });
    keys.push('late_key_123456');
    logger.info({ text: 'late_key_123456' });
    expect(inner.entries.map((e) => e.fields.text)).toEqual(['late_key_123456', REDACTED]);
  });

  it('masks child bindings and keeps the level of the logger it wraps', () => {
    const inner = createRecordingLogger({ level: 'info' });
    const logger = withSecrets(inner, ['s3cr3t_value_42']);
    expect(logger.level).toBe('info');
    expect(logger.isLevelEnabled('debug')).toBe(false);
    logger.child({ who: 's3cr3t_value_42' }).info({ n: 1 });
    logger.debug({ n: 2 });
    expect(inner.entries).toEqual([{ level: 'info', fields: { who: REDACTED, n: 1 }, message: undefined }]);
  });

  it('does no work for a disabled level', () => {
    let reads = 0;
    const logger = withSecrets(silentLogger, () => {
      reads += 1;
      return ['x'];
    });
    logger.error({ a: 1 }, 'm');
    expect(reads).toBe(0);
  });
});
