import { KeyedRateLimiter, webhookSignature } from '@concierge-ts/adapter-http';
import { silentLogger, withSecrets } from '@concierge-ts/adapter-logging';
import type { InMemoryConcierge } from '@concierge-ts/adapter-memory';
import { conciergeError, type Logger } from '@concierge-ts/application';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { apiRoutes } from './api-routes.js';
import { Callers } from './caller.js';
import { operatorRoutes } from './operator-routes.js';
import { logWebhookAttempt, requestIdOf, requestLogging } from './request-logging.js';
import { sendError } from './respond.js';
import { WebhookDelivery, type WebhookDeliveryOptions } from './webhook-delivery.js';

export interface SandboxAppOptions {
  /** Requests per second per API key; 0 turns limiting off (default 5, as the service). */
  readonly rateLimit?: number;
  /** Time for the rate limiter (default: performance.now). */
  readonly now?: () => number;
  /** Webhook delivery; false turns it off (default on). */
  readonly webhooks?: WebhookDeliveryOptions | false;
  /** Largest accepted body in bytes (default 5 MB). */
  readonly maxBodyBytes?: number;
  /**
   * The server's URL as its clients reach it, which `receipt_url` and `credit_note_url` in
   * webhooks are made absolute against (default: the origin of the first request received).
   * Answers to API calls use the origin each call came to.
   */
  readonly publicUrl?: string;
  /** Told about requests that failed with a bug (default: the logger at error, or console.error if it is off). */
  readonly onBug?: (error: unknown) => void;
  /**
   * Where each request is logged (method, path, status, duration, request id; the bodies
   * at debug) and each webhook attempt. Default `silentLogger`. Every master API key the
   * server knows, and its WEBHOOK-AUTH signature, is masked on top of the logger's own
   * redaction; give the logger `secrets` too (`createPinoLogger({ secrets: [apiKey] })`).
   */
  readonly logger?: Logger;
  /**
   * Apply due time-based transitions (quote at eta, expiries) this often, so their
   * webhooks go out without anyone polling. Off by default (tests move a manual clock);
   * `pnpm sandbox` ticks every second on real time.
   */
  readonly tickEveryMs?: number;
}

export type SandboxApp = Hono & {
  /** The webhook deliverer, or null when webhooks are off. */
  readonly webhooks: WebhookDelivery | null;
  /** Lets webhooks reach a master added in-process (`concierge.addMaster`) that never called over HTTP. */
  registerMaster(master: { readonly id: string; readonly apiKey: string }): void;
  /** Stops webhook delivery and the ticker. */
  close(): void;
};

export const DEFAULT_RATE_LIMIT = 5;

/**
 * The local sandbox as a Hono app: the API of SPEC section 7 under /api and the operator
 * API of section 9 under /sandbox, on top of an in-process concierge. Works in-process
 * through `app.fetch` and over a socket with @hono/node-server.
 */
export const createSandboxApp = (
  concierge: InMemoryConcierge,
  options: SandboxAppOptions = {},
): SandboxApp => {
  // A path with a trailing slash is the same route (SPEC section 7).
  const app = new Hono({ strict: false });
  const callers = new Callers(concierge);
  const rate = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  const limiter = rate > 0 ? new KeyedRateLimiter({ requestsPerSecond: rate }, options.now) : null;
  const logger = withSecrets(options.logger ?? silentLogger, knownSecrets(callers));
  const reportBug = (error: unknown, requestId?: string): void => {
    if (options.onBug) {
      options.onBug(error);
      return;
    }
    try {
      if (logger.isLevelEnabled('error')) {
        logger.error(
          { ...(requestId === undefined ? {} : { requestId }), error },
          'sandbox: unexpected error',
        );
        return;
      }
    } catch {
      // A broken logger: fall back to the console.
    }
    console.error('sandbox: unexpected error', error);
  };

  // A bug still answers JSON:API, and says nothing about internals.
  app.onError((error, c) => {
    reportBug(error, requestIdOf(c));
    return sendError(c, conciergeError.server('the sandbox failed to handle this request'));
  });
  app.notFound((c) =>
    sendError(c, {
      type: 'not_found',
      status: 404,
      code: 'not_found',
      detail: `no route ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 200)}`,
    }),
  );

  // First, so that every answer is logged, refusals by the middlewares below included.
  app.use('*', requestLogging({ logger, apiKeyOf: (c) => callers.apiKeyOf(c) }));

  let publicUrl = options.publicUrl;
  if (publicUrl === undefined)
    app.use('*', (c, next) => {
      publicUrl ??= new URL(c.req.url).origin;
      return next();
    });

  const maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 * 1024;
  const tooLarge = (c: Context) =>
    sendError(c, {
      type: 'bad_request',
      status: 413,
      code: 'body_too_large',
      detail: 'the request body is too large',
    });
  const countedBodyLimit = bodyLimit({ maxSize: maxBodyBytes, onError: tooLarge });
  // Hono's bodyLimit looks at `c.req.raw.body`, which makes @hono/node-server build a full
  // Request (an AbortController, a web stream) for every request, reads included, and then
  // read the body through that stream: the server's CPU time per read was about three
  // times, per output creation four to five times, what it is without (bench/server.ts).
  // The API reads no body of a GET or HEAD; a declared Content-Length is judged from the
  // header, as bodyLimit does; only a body of unknown length is counted while it streams.
  app.use('*', (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined)
      return Number.parseInt(length, 10) > maxBodyBytes ? Promise.resolve(tooLarge(c)) : next();
    return countedBodyLimit(c, next);
  });

  if (limiter)
    app.use('*', async (c, next) => {
      const wait = limiter.tryTake(callers.apiKeyOf(c) ?? 'anonymous');
      if (wait > 0) return sendError(c, conciergeError.rateLimited(wait));
      await next();
    });

  app.route('/api', apiRoutes(callers));
  app.route('/sandbox', operatorRoutes(callers));

  const webhookOptions = options.webhooks === false ? undefined : options.webhooks;
  const webhooks =
    options.webhooks === false
      ? null
      : new WebhookDelivery(concierge, callers, {
          baseUrl: () => publicUrl,
          ...webhookOptions,
          onAttempt: (attempt) => {
            logWebhookAttempt(logger, attempt);
            webhookOptions?.onAttempt?.(attempt);
          },
        });
  const ticker =
    options.tickEveryMs !== undefined && options.tickEveryMs > 0
      ? setInterval(() => {
          try {
            for (const tenant of concierge.tenants()) tenant.service.tick();
          } catch (error) {
            reportBug(error);
          }
        }, options.tickEveryMs)
      : undefined;
  ticker?.unref();
  return Object.assign(app, {
    webhooks,
    registerMaster: (master: { readonly id: string; readonly apiKey: string }) =>
      callers.remember(master.id, master.apiKey),
    close: () => {
      if (ticker) clearInterval(ticker);
      webhooks?.close();
    },
  });
};

/** The master API keys the server has seen, and the WEBHOOK-AUTH signature of each. */
const knownSecrets = (callers: Callers): (() => string[]) => {
  const signatures = new Map<string, string>();
  return () =>
    callers.knownKeys().flatMap((key) => {
      let signature = signatures.get(key);
      if (signature === undefined) {
        signature = webhookSignature(key);
        signatures.set(key, signature);
      }
      return [key, signature];
    });
};
