import type { LogFields } from '@concierge-ts/application';

/**
 * Redaction: the one place that decides what a log line may show. Every logger of this
 * package (pino, console, recording, silent) runs its fields and message through a
 * `Redactor` before anything is written, so a secret cannot reach one sink and not
 * another. Written by hand because pino's `redact` only knows fixed paths: it cannot
 * find a key at any depth, mask to the last 4 characters, or find a secret inside free text.
 */

/** What replaces a secret. */
export const REDACTED = '[redacted]';

/** Keys whose values are secrets, compared without case, `-` or `_`. */
export const SECRET_KEYS: readonly string[] = [
  'apikey',
  'xapikey',
  'authorization',
  'proxyauthorization',
  'webhookauth',
  'password',
  'passwd',
  'secret',
  'clientsecret',
  'token',
  'hinttoken',
  'accesstoken',
  'refreshtoken',
  'privatekey',
  'cookie',
  'setcookie',
];

/** Key endings that make any key secret: `bankApiKey`, `webhook_secret`, `sessionToken`. */
const SECRET_SUFFIXES = ['apikey', 'secret', 'password', 'token'];

/** Keys whose values identify an account or a person: shown as `****` and the last 4 characters. */
export const MASKED_KEYS: readonly string[] = [
  'accountnumber',
  'accountno',
  'cbu',
  'cvu',
  'clabe',
  'iban',
  'taxid',
  'cuit',
  'cuil',
  'rut',
  'ruc',
  'rfc',
  'curp',
  'cpf',
  'cnpj',
  'ssn',
  'documentnumber',
];

const MASKED_SUFFIXES = ['accountnumber', 'iban', 'taxid'];

const SECRET_SET = new Set(SECRET_KEYS);
const MASKED_SET = new Set(MASKED_KEYS);

export type KeyKind = 'secret' | 'masked' | 'plain';

const normalise = (key: string): string => key.toLowerCase().replace(/[-_\s.]/g, '');

/** How a value stored under this key is shown. */
export const classifyKey = (key: string): KeyKind => {
  const k = normalise(key);
  if (SECRET_SET.has(k) || SECRET_SUFFIXES.some((s) => k.endsWith(s))) return 'secret';
  if (MASKED_SET.has(k) || MASKED_SUFFIXES.some((s) => k.endsWith(s))) return 'masked';
  return 'plain';
};

/** `****` and the last 4 characters; only `****` when there are 4 or fewer. */
export const maskTail = (value: string): string => (value.length > 4 ? `****${value.slice(-4)}` : '****');

// `api_key=...`, `"token": "..."`, `Authorization: Bearer ...`, `WEBHOOK-AUTH: ...` inside text.
const KEY_VALUE_IN_TEXT =
  /((?:api[-_]?key|authorization|webhook[-_]auth|password|passwd|secret|[a-z_-]*token)["']?\s*[:=]\s*["']?)(?:(bearer|basic|token)\s+)?([^\s"'&,;}]+)/gi;
// A credential after its scheme, wherever it is.
const AUTH_SCHEME_IN_TEXT = /\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*/gi;
// The password of `scheme://user:password@host`.
const URL_PASSWORD = /(\/\/[^/\s:@]+:)[^@\s/]+@/g;

export interface RedactionOptions {
  /**
   * Exact values masked wherever they appear, inside any text (messages, URLs, error
   * details), for instance the API key. Their URL-encoded forms are masked too.
   */
  readonly secrets?: readonly string[];
  /** Nesting below which values are replaced by `[truncated]`. Default 10. */
  readonly maxDepth?: number;
}

export interface Redactor {
  /** A JSON-safe copy of any value with secrets removed (bigint as text, cycles cut, errors as objects). */
  value(input: unknown): unknown;
  /** The same for a record of log fields. */
  fields(input: LogFields): Record<string, unknown>;
  /** Free text with configured secrets and credential-looking parts removed. */
  text(input: string): string;
}

const hasHeaders = typeof Headers !== 'undefined';

export const createRedactor = (options: RedactionOptions = {}): Redactor => {
  const maxDepth = options.maxDepth ?? 10;
  const secrets = [
    ...new Set(
      (options.secrets ?? [])
        .filter((s): s is string => typeof s === 'string' && s.length > 0)
        .flatMap((s) => {
          const encoded = encodeURIComponent(s);
          return encoded === s ? [s] : [s, encoded];
        }),
    ),
  ].sort((a, b) => b.length - a.length); // longest first: a secret containing another goes whole

  const text = (input: string): string => {
    let out = input;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    if (/[:=]|bearer|basic/i.test(out)) {
      out = out
        .replace(
          KEY_VALUE_IN_TEXT,
          (_m, prefix: string, scheme: string | undefined) =>
            `${prefix}${scheme === undefined ? '' : `${scheme} `}${REDACTED}`,
        )
        .replace(AUTH_SCHEME_IN_TEXT, (_m, scheme: string) => `${scheme} ${REDACTED}`)
        .replace(URL_PASSWORD, `$1${REDACTED}@`);
    }
    return out;
  };

  const masked = (value: unknown): unknown => {
    if (value === null || value === undefined) return value;
    if (typeof value === 'string') return maskTail(text(value));
    if (typeof value === 'number' || typeof value === 'bigint') return maskTail(String(value));
    return REDACTED;
  };

  const walk = (value: unknown, depth: number, ancestors: Set<object>): unknown => {
    switch (typeof value) {
      case 'string':
        return text(value);
      case 'bigint':
        return value.toString();
      case 'number':
        return Number.isFinite(value) ? value : String(value);
      case 'boolean':
      case 'undefined':
        return value;
      case 'symbol':
        return text(value.toString());
      case 'function':
        return `[function ${text(safeString(value.name) || 'anonymous')}]`;
    }
    if (value === null) return null;
    const obj = value as object;
    if (ancestors.has(obj)) return '[circular]';
    if (depth >= maxDepth) return '[truncated]';
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (obj instanceof URL) return text(obj.href);
    if (obj instanceof RegExp) return text(obj.toString());
    if (obj instanceof ArrayBuffer || ArrayBuffer.isView(obj)) return `[binary ${obj.byteLength} bytes]`;
    ancestors.add(obj);
    try {
      const next = depth + 1;
      const entry = (key: string, v: unknown): unknown => {
        const kind = classifyKey(key);
        if (kind === 'secret') return v === null || v === undefined ? v : REDACTED;
        if (kind === 'masked') return masked(v);
        return walk(v, next, ancestors);
      };
      const record = (entries: Iterable<readonly [string, unknown]>): Record<string, unknown> => {
        const out: Record<string, unknown> = {};
        for (const [key, v] of entries) out[text(key)] = entry(key, v);
        return out;
      };
      if (Array.isArray(obj)) return obj.map((item) => walk(item, next, ancestors));
      if (obj instanceof Map) return record([...obj].map(([k, v]) => [safeString(k), v] as const));
      if (obj instanceof Set) return [...obj].map((item) => walk(item, next, ancestors));
      if (hasHeaders && obj instanceof Headers) return record(obj.entries());
      const own = ownEntries(obj);
      if (obj instanceof Error) {
        const error: Record<string, unknown> = {
          type: text(safeString(read(() => obj.name))),
          message: text(safeString(read(() => obj.message))),
        };
        const stack = read(() => obj.stack);
        if (stack !== undefined) error.stack = text(safeString(stack));
        const cause = read(() => obj.cause);
        if (cause !== undefined) error.cause = walk(cause, next, ancestors);
        return { ...error, ...record(own) };
      }
      return record(own);
    } finally {
      ancestors.delete(obj);
    }
  };

  const value = (input: unknown): unknown => {
    try {
      return walk(input, 0, new Set());
    } catch {
      // A value odd enough to defeat the walk is dropped, never written raw.
      return '[unserialisable]';
    }
  };
  const fields = (input: LogFields): Record<string, unknown> => {
    const out = value(input);
    return typeof out === 'object' && out !== null && !Array.isArray(out)
      ? (out as Record<string, unknown>)
      : { value: out };
  };
  return { value, fields, text };
};

const read = (get: () => unknown): unknown => {
  try {
    return get();
  } catch {
    return '[unreadable]';
  }
};

/** `String(value)`, even for an object without a prototype (which `String` refuses). */
const safeString = (value: unknown): string => {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
};

/** Own enumerable string-keyed properties; a getter that throws shows as `[unreadable]`. */
const ownEntries = (obj: object): [string, unknown][] =>
  Object.keys(obj).map((key) => [key, read(() => (obj as Record<string, unknown>)[key])]);

const defaultRedactor = createRedactor();

/** Redacts one value with the built-in rules, plus these secrets if given. */
export const redact = (value: unknown, options?: RedactionOptions): unknown =>
  options === undefined ? defaultRedactor.value(value) : createRedactor(options).value(value);
