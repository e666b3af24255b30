import { MAX_CHUNK_SIZE } from '@concierge-ts/application';
import { moneyText, type ParsedPortCode, parseMoney, parsePortCode } from '@concierge-ts/domain';
import { Option } from 'commander';
import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';

/**
 * The options of `concierge payouts` (SPEC section 10.4), each also an environment
 * variable: a flag wins over its variable, which wins over the default. Every value is
 * checked here, and a refusal names the flag (or the variable) it came from.
 */

/** Where runs are kept by default: a directory in the working directory (SPEC section 10.3). */
export const DEFAULT_DB = '.concierge';

/** 1 to 80 letters, digits, dots, dashes, underscores or colons, starting with a letter or digit. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/;

const decimalNumber = (what: string, min: number, max: number, minInclusive = true) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, `expected ${what}`)
    .transform(Number)
    .refine((n) => (minInclusive ? n >= min : n > min) && n <= max, `expected ${what}`);

const wholeNumber = (what: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `expected ${what}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected ${what}`);

const SCHEMAS = {
  api: z
    .string()
    .trim()
    .refine((text) => {
      if (!URL.canParse(text)) return false;
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '';
    }, 'expected an http or https URL such as http://127.0.0.1:4100'),
  key: z
    .string()
    .trim()
    .min(1, 'expected your API key')
    .max(200, 'expected at most 200 characters')
    .regex(/^[\x21-\x7e]+$/, 'expected printable ASCII without spaces (it travels in a header)'),
  db: z.string().trim().min(1, 'expected a directory or a postgres:// URL'),
  runId: z
    .string()
    .trim()
    .regex(
      RUN_ID,
      'expected 1 to 80 letters, digits, dots, dashes, underscores or colons, starting with a letter or digit',
    ),
  origin: z
    .string()
    .trim()
    .transform((text, ctx): ParsedPortCode => {
      const parsed = parsePortCode(text);
      if (parsed.isErr()) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a port code such as ar_ars (${parsed.error.message})`,
        });
        return z.NEVER;
      }
      return parsed.value;
    }),
  payer: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, "expected the payer's user id, such as 2"),
  rateLimit: decimalNumber('requests per second: a number from 0 (no limit) to 1000', 0, 1000),
  chunkSize: wholeNumber(`rows per request: a whole number from 1 to ${MAX_CHUNK_SIZE}`, 1, MAX_CHUNK_SIZE),
  maxTotal: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'expected an amount in the origin currency, such as 250000.50'),
  tolerance: decimalNumber('a fraction such as 0.02 (2 %), from 0 to 1', 0, 1).transform(String),
  timeout: decimalNumber('seconds: a number above 0, at most 600', 0, 600, false),
  claimTimeout: wholeNumber('seconds: a whole number from 3 to 3600', 3, 3600),
  out: z.string().min(1, 'expected a file name'),
  detach: z.boolean(),
  yes: z.boolean(),
  json: z.boolean(),
} as const;

export type SettingName = keyof typeof SCHEMAS;
export type SettingValues = { [K in SettingName]: z.output<(typeof SCHEMAS)[K]> };

interface Spec {
  readonly flags: string;
  readonly env: string;
  readonly help: string;
  readonly default?: string;
}

/** Every option: its flag, its variable, what it is, its default. */
export const SETTINGS: Readonly<Record<SettingName, Spec>> = {
  api: {
    flags: '--api <url>',
    env: 'CONCIERGE_API_URL',
    help: 'where the Concierge API is',
    default: 'http://127.0.0.1:4100',
  },
  key: { flags: '--key <key>', env: 'CONCIERGE_API_KEY', help: 'your API key' },
  db: {
    flags: '--db <path|url>',
    env: 'CONCIERGE_DB',
    help: 'where runs are kept: a directory (created if missing) or a postgres:// URL',
    default: DEFAULT_DB,
  },
  runId: {
    flags: '--run-id <id>',
    env: 'CONCIERGE_RUN_ID',
    help: 'the run id (default: generated and printed first); every request external_id starts with it',
  },
  origin: {
    flags: '--origin <port>',
    env: 'CONCIERGE_ORIGIN',
    help: 'the origin port the payer pays from, e.g. ar_ars',
  },
  payer: { flags: '--payer <user-id>', env: 'CONCIERGE_PAYER', help: 'the paying user' },
  rateLimit: {
    flags: '--rate-limit <n>',
    env: 'CONCIERGE_RATE_LIMIT',
    help: 'requests per second to the API (0: no limit)',
    default: '5',
  },
  chunkSize: {
    flags: '--chunk-size <n>',
    env: 'CONCIERGE_CHUNK_SIZE',
    help: 'rows per request',
    default: '250',
  },
  maxTotal: {
    flags: '--max-total <amount>',
    env: 'CONCIERGE_MAX_TOTAL',
    help: 'the most the whole run may spend, in the origin currency',
  },
  tolerance: {
    flags: '--tolerance <fraction>',
    env: 'CONCIERGE_TOLERANCE',
    help: 'how much a quote may exceed its estimate',
    default: '0.02',
  },
  timeout: {
    flags: '--timeout <seconds>',
    env: 'CONCIERGE_TIMEOUT',
    help: 'the longest a request waits for an answer',
    default: '10',
  },
  claimTimeout: {
    flags: '--claim-timeout <seconds>',
    env: 'CONCIERGE_CLAIM_TIMEOUT',
    help: "worker: how long it holds a run without letting it go; a dead worker's run is taken over after this",
    default: '30',
  },
  out: {
    flags: '--out <file>',
    env: 'CONCIERGE_REPORT_OUT',
    help: 'write the report to this file (default: standard output)',
  },
  detach: {
    flags: '--detach',
    env: 'CONCIERGE_DETACH',
    help: 'return once every chunk is accepted instead of following every row to its end',
  },
  yes: { flags: '--yes', env: 'CONCIERGE_YES', help: 'no confirmation prompt' },
  json: {
    flags: '--json',
    env: 'CONCIERGE_JSON',
    help: 'JSON output (one object per line while a run is worked)',
  },
};

const isFlag = (name: SettingName): boolean => !SETTINGS[name].flags.includes('<');

/** The commander option of a setting; its help names the variable and the default. */
export const optionOf = (name: SettingName): Option => {
  const spec = SETTINGS[name];
  const tail = [
    `env ${spec.env}${isFlag(name) ? '=1' : ''}`,
    spec.default === undefined ? '' : `default ${spec.default}`,
  ]
    .filter((part) => part !== '')
    .join(', ');
  return new Option(spec.flags, `${spec.help} (${tail})`);
};

/** A refused option: what to tell the user. */
export interface UsageProblem {
  readonly setting: SettingName | 'arguments';
  readonly message: string;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['', '0', 'false', 'no', 'off']);

/**
 * The settings of a command: each from its flag, else its variable, else its default;
 * a setting with none of them is left out. Every problem is reported, each naming where
 * its value came from.
 */
export const readSettings = <N extends SettingName>(
  names: readonly N[],
  flags: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
): Result<Partial<Pick<SettingValues, N>>, UsageProblem[]> => {
  const values: Partial<Record<SettingName, unknown>> = {};
  const problems: UsageProblem[] = [];
  for (const name of names) {
    const spec = SETTINGS[name];
    const fromFlag = flags[name];
    const fromEnv = env[spec.env];
    let raw: unknown;
    let source: string;
    if (fromFlag !== undefined) {
      raw = fromFlag;
      source = isFlag(name) ? spec.flags : `${spec.flags.split(' ')[0]} ${JSON.stringify(fromFlag)}`;
    } else if (fromEnv !== undefined && (fromEnv !== '' || isFlag(name))) {
      source = `${spec.env}=${JSON.stringify(fromEnv)}`;
      if (isFlag(name)) {
        const lower = fromEnv.trim().toLowerCase();
        if (!TRUE.has(lower) && !FALSE.has(lower)) {
          problems.push({ setting: name, message: `${source}: expected 1 or 0 (true or false)` });
          continue;
        }
        raw = TRUE.has(lower);
      } else raw = fromEnv;
    } else if (spec.default !== undefined) {
      raw = spec.default;
      source = `the default of ${spec.flags.split(' ')[0]}`;
    } else if (isFlag(name)) {
      raw = false;
      source = spec.flags;
    } else continue;
    const parsed = SCHEMAS[name].safeParse(raw);
    if (parsed.success) values[name] = parsed.data;
    else
      problems.push({ setting: name, message: `${source}: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
  }
  return problems.length > 0 ? err(problems) : ok(values as Partial<Pick<SettingValues, N>>);
};

/** A setting the command cannot do without. */
export const required = (name: SettingName): UsageProblem => {
  const spec = SETTINGS[name];
  return { setting: name, message: `${spec.flags.split(' ')[0]} (or ${spec.env}) is required: ${spec.help}` };
};

/** `--max-total` as exact text of the origin currency, or why not. */
export const maxTotalIn = (text: string, origin: ParsedPortCode): Result<string, UsageProblem> =>
  parseMoney(text, origin.currency.code).match(
    (money) => ok(moneyText(money)),
    (error) =>
      err({ setting: 'maxTotal' as const, message: `--max-total ${JSON.stringify(text)}: ${error.message}` }),
  );

/** A run id for a run started without `--run-id`: the time and a few random letters. */
export const generateRunId = (now: Date, random: () => number = Math.random): string => {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .replace('T', '-');
  const letters = 'abcdefghijkmnpqrstuvwxyz23456789';
  let tail = '';
  for (let i = 0; i < 6; i++) tail += letters[Math.floor(random() * letters.length)] ?? 'x';
  return `run-${stamp}-${tail}`;
};

export const isRunId = (text: string): boolean => RUN_ID.test(text);
