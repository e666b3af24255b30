import type { Logger, LogLevel } from '@concierge-ts/application';
import { describe, expect, it, vi } from 'vitest';
import { createConsoleLogger } from './console-logger.js';
import { createPinoLogger } from './pino-logger.js';
import { createRecordingLogger } from './recording-logger.js';
import { REDACTED, type RedactionOptions } from './redact.js';
import { silentLogger } from './silent-logger.js';

interface Captured {
  readonly logger: Logger;
  readonly lines: string[];
}

const pinoCapture = (level: LogLevel, options: RedactionOptions = {}): Captured => {
  const lines: string[] = [];
  return {
    lines,
    logger: createPinoLogger({ level, destination: { write: (line) => lines.push(line) }, ...options }),
  };
};

const consoleCapture = (level: LogLevel, options: RedactionOptions = {}): Captured => {
  const lines: string[] = [];
  return { lines, logger: createConsoleLogger({ level, write: (line) => lines.push(line), ...options }) };
};

const recordingCapture = (level: LogLevel, options: RedactionOptions = {}): Captured => {
  const lines: string[] = [];
  const logger = createRecordingLogger({ level, ...options });
  // Each entry as a JSON line, read live.
  const live = new Proxy(lines, {
    get: (_target, key) =>
      Reflect.get(
        logger.entries.map((e) => JSON.stringify(e)),
        key,
      ),
  });
  return { logger, lines: live };
};

const WRITERS = [
  ['pino', pinoCapture],
  ['console', consoleCapture],
  ['recording', recordingCapture],
] as const;

describe.each(WRITERS)('the %s logger', (_name, capture) => {
  it('redacts fields, bindings and messages the same way', () => {
    const key = 'sk_live_Zx9QwErTy0123456';
    const { logger, lines } = capture('trace', { secrets: [key] });
    logger.child({ apiKey: key, service: 'concierge' }).info(
      {
        headers: { Authorization: `Bearer ${key}`, 'WEBHOOK-AUTH': 'hook' },
        body: { cbu: '0170099220000067797370' },
      },
      `called with ${key}`,
    );
    const out = lines.join('\n');
    expect(out).not.toContain(key);
    expect(out).not.toContain('0170099220000067797370');
    expect(out).not.toContain('"hook"');
    expect(out).toContain('****7370');
    expect(out).toContain(REDACTED);
    expect(out).toContain('concierge');
  });

  it('writes only at or above its level', () => {
    const { logger, lines } = capture('warn');
    expect(logger.level).toBe('warn');
    expect(logger.isLevelEnabled('info')).toBe(false);
    expect(logger.isLevelEnabled('warn')).toBe(true);
    logger.trace({ n: 1 });
    logger.debug({ n: 2 });
    logger.info({ n: 3 });
    logger.warn({ n: 4 });
    logger.error({ n: 5 });
    logger.fatal({ n: 6 });
    expect(lines).toHaveLength(3);
  });

  it('writes nothing at silent', () => {
    const { logger, lines } = capture('silent');
    logger.fatal({ n: 1 }, 'x');
    expect(logger.isLevelEnabled('fatal')).toBe(false);
    expect(lines).toHaveLength(0);
  });

  it('writes bigint, cycles and errors without throwing', () => {
    const { logger, lines } = capture('info');
    const cyclic: Record<string, unknown> = { amount: 10n };
    cyclic.self = cyclic;
    logger.info({ cyclic, err: new Error('boom') }, 'odd values');
    const out = lines.join('\n');
    expect(out).toContain('"10"');
    expect(out).toContain('[circular]');
    expect(out).toContain('boom');
  });

  it('keeps a message with printf placeholders as it is', () => {
    const { logger, lines } = capture('info');
    logger.info({}, '100% done %s %d');
    expect(lines.join('\n')).toContain('100% done %s %d');
  });
});

describe('createPinoLogger', () => {
  it('writes one JSON line per entry with level, time, message and fields', () => {
    const { logger, lines } = pinoCapture('debug');
    logger.debug({ op: 'outputs.create', durationMs: 1.5 }, 'outputs.create');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ level: 20, msg: 'outputs.create', op: 'outputs.create', durationMs: 1.5 });
    expect(typeof line.time).toBe('number');
  });

  it('takes a name and replaces the base fields', () => {
    const lines: string[] = [];
    const logger = createPinoLogger({
      name: 'concierge',
      base: null,
      destination: { write: (line) => lines.push(line) },
    });
    logger.info({ a: 1 });
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line.name).toBe('concierge');
    expect(line.pid).toBeUndefined();
    expect(line.hostname).toBeUndefined();
  });

  it('redacts its base fields', () => {
    const lines: string[] = [];
    const logger = createPinoLogger({
      base: { apiKey: 'sk_x_1234567' },
      destination: { write: (l) => lines.push(l) },
    });
    logger.info({});
    expect(lines.join('')).not.toContain('sk_x_1234567');
  });

  it('defaults to info', () => {
    expect(createPinoLogger({ destination: { write: () => {} } }).level).toBe('info');
  });
});

describe('createConsoleLogger', () => {
  it('writes a text line: time, level, message, fields', () => {
    const lines: string[] = [];
    const logger = createConsoleLogger({
      write: (line) => lines.push(line),
      now: () => Date.UTC(2026, 0, 5, 12),
    });
    logger.info({ op: 'requests.get' }, 'requests.get');
    expect(lines).toEqual(['2026-01-05T12:00:00.000Z INFO  requests.get {"op":"requests.get"}']);
  });

  it('writes JSON lines on request, with child bindings', () => {
    const lines: string[] = [];
    const logger = createConsoleLogger({
      format: 'json',
      write: (line) => lines.push(line),
      now: () => Date.UTC(2026, 0, 5, 12),
    });
    logger.child({ component: 'client' }).child({ attempt: 2 }).warn({ op: 'x' });
    expect(JSON.parse(lines[0] ?? '{}')).toEqual({
      level: 'warn',
      time: '2026-01-05T12:00:00.000Z',
      component: 'client',
      attempt: 2,
      op: 'x',
    });
  });

  it('goes to the console by default, errors to console.error', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const logger = createConsoleLogger({ level: 'trace' });
      logger.info({});
      logger.warn({});
      logger.fatal({});
      expect(log).toHaveBeenCalledTimes(1);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(error).toHaveBeenCalledTimes(1);
    } finally {
      log.mockRestore();
      warn.mockRestore();
      error.mockRestore();
    }
  });
});

describe('silentLogger', () => {
  it('is silent at every level, and so are its children', () => {
    const log = vi.spyOn(console, 'log');
    expect(silentLogger.level).toBe('silent');
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) {
      expect(silentLogger.isLevelEnabled(level)).toBe(false);
      silentLogger[level]({ apiKey: 'k' }, 'm');
    }
    const child = silentLogger.child({ a: 1 });
    child.info({});
    expect(child.isLevelEnabled('fatal')).toBe(false);
    expect(log).not.toHaveBeenCalled();
    log.mockRestore();
  });
});

describe('createRecordingLogger', () => {
  it('keeps entries with bindings merged, and forgets them on clear', () => {
    const logger = createRecordingLogger();
    logger.child({ a: 1 }).debug({ b: 2 }, 'm');
    expect(logger.entries).toEqual([{ level: 'debug', fields: { a: 1, b: 2 }, message: 'm' }]);
    logger.clear();
    expect(logger.entries).toEqual([]);
  });
});
