import { LOG_LEVELS, type LogLevel, parseLogLevel } from '@concierge-ts/application';
import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';

/** What `pnpm sandbox` reads from the environment (SPEC section 9). */
export interface SandboxConfig {
  readonly port: number;
  /** The seeded master's key; undefined: a random one. */
  readonly apiKey: string | undefined;
  /** Requests per second per key; 0 turns limiting off. */
  readonly rateLimit: number;
  /** Level of the log lines on standard output (`CONCIERGE_LOG_LEVEL`, default `info`). */
  readonly logLevel: LogLevel;
  /** How many times faster than real time the sandbox clock runs (`CONCIERGE_SANDBOX_CLOCK_SPEED`, default 1). */
  readonly clockSpeed: number;
}

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const env = z.object({
  PORT: wholeNumber(0, 65_535).optional(),
  CONCIERGE_SANDBOX_API_KEY: z
    .string()
    .trim()
    .min(8, 'expected at least 8 characters')
    .max(200, 'expected at most 200 characters')
    .regex(/^[\x21-\x7e]+$/, 'expected printable ASCII without spaces (it travels in a header)')
    .optional(),
  CONCIERGE_SANDBOX_RATE_LIMIT: wholeNumber(0, 1_000_000).optional(),
  CONCIERGE_SANDBOX_CLOCK_SPEED: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'expected a number such as 1 or 60')
    .transform(Number)
    .pipe(z.number().gt(0, 'expected a number above 0').max(1_000_000, 'expected at most 1000000'))
    .optional(),
  CONCIERGE_LOG_LEVEL: z
    .string()
    .transform((value, ctx) => {
      const level = parseLogLevel(value);
      if (level === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected one of ${LOG_LEVELS.join(', ')}` });
        return z.NEVER;
      }
      return level;
    })
    .optional(),
});

/** Reads the configuration; an invalid value is refused with a message naming its variable. */
export const readConfig = (source: NodeJS.ProcessEnv): Result<SandboxConfig, string> => {
  const present = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = env.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    return err(
      `${name}=${JSON.stringify(present[name] ?? '')} is invalid: ${issue?.message ?? 'unknown problem'}`,
    );
  }
  return ok({
    port: parsed.data.PORT ?? 4100,
    apiKey: parsed.data.CONCIERGE_SANDBOX_API_KEY,
    rateLimit: parsed.data.CONCIERGE_SANDBOX_RATE_LIMIT ?? 5,
    logLevel: parsed.data.CONCIERGE_LOG_LEVEL ?? 'info',
    clockSpeed: parsed.data.CONCIERGE_SANDBOX_CLOCK_SPEED ?? 1,
  });
};
