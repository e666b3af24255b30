import 'reflect-metadata';
import { createHttpConciergeClient, createHttpSandboxOperator } from '@concierge-ts/adapter-http';
import { withLogging, withOperatorLogging } from '@concierge-ts/adapter-logging';
import { createInMemoryConcierge, type InMemoryConcierge } from '@concierge-ts/adapter-memory';
import {
  type BadRequestError,
  type ConciergeClient,
  conciergeError,
  type Logger,
  type SandboxOperator,
} from '@concierge-ts/application';
import { err, ok, type Result } from 'neverthrow';
import { container, instanceCachingFactory } from 'tsyringe';
import { z } from 'zod';

/**
 * One entry point: the same `ConciergeClient` whether it talks to the real API over
 * HTTP or to the in-process sandbox. Switching is one option.
 */
export type ConciergeOptions =
  | {
      readonly mode: 'memory';
      readonly logger?: Logger;
      /** Use this key for the sandbox's master user; seed a payer and payees (default true). */
      readonly masterApiKey?: string;
      readonly seed?: boolean;
    }
  | {
      readonly mode: 'http';
      /** Where the service is, without `/api`: the provider, or a sandbox server (`http://127.0.0.1:4100`). */
      readonly baseUrl: string;
      readonly apiKey: string;
      readonly logger?: Logger;
      readonly timeoutMs?: number;
      readonly retries?: number;
      /** Requests per second for this key (default 5), or 0 for none. */
      readonly rateLimit?: number;
      /** For tests and special transports. */
      readonly fetch?: typeof fetch;
    };

export interface Concierge {
  readonly mode: 'memory' | 'http';
  readonly client: ConciergeClient;
  /**
   * The sandbox operator: in memory, always; over HTTP, the `/sandbox` routes of a
   * sandbox server (the provider's real API has none).
   */
  readonly operator: SandboxOperator;
  /** The in-process sandbox behind a memory Concierge. */
  readonly sandbox?: InMemoryConcierge;
}

const TOKENS = {
  options: Symbol('ConciergeOptions'),
  client: Symbol('ConciergeClient'),
  operator: Symbol('SandboxOperator'),
  sandbox: Symbol('InMemoryConcierge'),
} as const;

const apiKey = z.string().min(1, 'must not be empty').max(512).regex(/^\S+$/, 'must not contain spaces');
const logger = z.custom<Logger>(
  (v) => typeof v === 'object' && v !== null && typeof (v as Logger).info === 'function',
  'must be a Logger (see @concierge-ts/adapter-logging)',
);
const schema = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('memory'),
    logger: logger.optional(),
    masterApiKey: apiKey.optional(),
    seed: z.boolean().optional(),
  }),
  z.strictObject({
    mode: z.literal('http'),
    baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }),
    apiKey,
    logger: logger.optional(),
    timeoutMs: z.number().int().positive().max(600_000).optional(),
    retries: z.number().int().min(0).max(10).optional(),
    rateLimit: z.number().min(0).max(10_000).optional(),
    fetch: z.custom<typeof fetch>((v) => typeof v === 'function', 'must be a fetch function').optional(),
  }),
]);

/** Checks the options; a refusal names the option (`field`, a path) and what was expected. */
export const parseConciergeOptions = (input: unknown): Result<ConciergeOptions, BadRequestError> => {
  const parsed = schema.safeParse(input);
  if (parsed.success) return ok(parsed.data as ConciergeOptions);
  const issue = parsed.error.issues[0];
  // An unknown option has no path of its own: name the option.
  const path =
    issue?.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys.slice(0, 1)] : (issue?.path ?? []);
  const field = path.join('.') || 'mode';
  return err(
    conciergeError.badRequest('invalid_config', `${field}: ${issue?.message ?? 'invalid'}`, {
      path: path.length === 0 ? ['mode'] : path.map((p) => (typeof p === 'number' ? p : String(p))),
    }),
  );
};

/** Builds a Concierge from options (composed with tsyringe in a container of its own). */
export const createConcierge = (input: ConciergeOptions): Result<Concierge, BadRequestError> =>
  parseConciergeOptions(input).map((options) => {
    const c = container.createChildContainer();
    c.register(TOKENS.options, { useValue: options });
    if (options.mode === 'memory') {
      c.register(TOKENS.sandbox, {
        useFactory: instanceCachingFactory<InMemoryConcierge>(() =>
          createInMemoryConcierge({
            ...(options.masterApiKey === undefined ? {} : { masterApiKey: options.masterApiKey }),
            ...(options.seed === undefined ? {} : { seed: options.seed }),
          }),
        ),
      });
      c.register(TOKENS.client, {
        useFactory: instanceCachingFactory<ConciergeClient>(
          (d) => d.resolve<InMemoryConcierge>(TOKENS.sandbox).client,
        ),
      });
      c.register(TOKENS.operator, {
        useFactory: instanceCachingFactory<SandboxOperator>(
          (d) => d.resolve<InMemoryConcierge>(TOKENS.sandbox).operator,
        ),
      });
    } else {
      const transport = {
        baseUrl: options.baseUrl,
        apiKey: options.apiKey,
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.retries === undefined ? {} : { retries: options.retries }),
      };
      c.register(TOKENS.client, {
        useFactory: instanceCachingFactory<ConciergeClient>(() =>
          createHttpConciergeClient({
            ...transport,
            ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
          }),
        ),
      });
      c.register(TOKENS.operator, {
        useFactory: instanceCachingFactory<SandboxOperator>(() => createHttpSandboxOperator(transport)),
      });
    }
    const client = c.resolve<ConciergeClient>(TOKENS.client);
    const operator = c.resolve<SandboxOperator>(TOKENS.operator);
    const log = options.logger;
    return {
      mode: options.mode,
      client: log ? withLogging(client, log) : client,
      operator: log ? withOperatorLogging(operator, log) : operator,
      ...(options.mode === 'memory' ? { sandbox: c.resolve<InMemoryConcierge>(TOKENS.sandbox) } : {}),
    };
  });
