import { between, seededRandom } from './seeded-random.js';

/**
 * What the fault proxy does to one request, as real networks and gateways do:
 * - `pass`: forwarded, its answer relayed.
 * - `latency`: forwarded after `ms` (and after `until`, if given), answer relayed.
 * - `late`: held, not forwarded, until the client gives up (its timeout closes the
 *   connection), then forwarded `afterMs` later (and after `until`): a request delivered
 *   late, acted on after its sender stopped waiting. The answer goes nowhere.
 * - `drop_answer`: forwarded; the upstream acts; the answer is withheld until the client
 *   gives up, then the connection is closed.
 * - `reset_before`: the connection is reset (TCP RST) once the request is read, before
 *   anything reaches the upstream.
 * - `reset_after`: forwarded; the upstream acts; then the connection is reset.
 * - `rate_limited`: a 429 with `Retry-After`, the upstream never asked.
 * - `server_error`: a 5xx (`status`), the upstream never asked.
 * - `server_error_after`: forwarded; the upstream acts; the client gets a 5xx instead
 *   of the answer (a gateway failing on the way back).
 */
export type ProxyFault =
  | { readonly kind: 'pass' }
  | { readonly kind: 'latency'; readonly ms: number; readonly until?: () => Promise<unknown> }
  | { readonly kind: 'late'; readonly afterMs?: number; readonly until?: () => Promise<unknown> }
  | { readonly kind: 'drop_answer' }
  | { readonly kind: 'reset_before' }
  | { readonly kind: 'reset_after' }
  | { readonly kind: 'rate_limited'; readonly retryAfterSeconds: number }
  | { readonly kind: 'server_error'; readonly status: number }
  | { readonly kind: 'server_error_after'; readonly status: number };

/** Every kind of fault the proxy injects (everything but `pass`). */
export const FAULT_KINDS = [
  'latency',
  'late',
  'drop_answer',
  'reset_before',
  'reset_after',
  'rate_limited',
  'server_error',
  'server_error_after',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A request as the proxy decides on it: `n` counts every request it received, from 1. */
export interface ProxyRequest {
  readonly n: number;
  readonly method: string;
  /** The path with its query string, e.g. `/api/concierge_request_outputs?page[size]=500`. */
  readonly path: string;
}

/** Picks the fault of each request; `undefined` means no opinion (the next plan decides, else `pass`). */
export type FaultPlan = (request: ProxyRequest) => ProxyFault | undefined;

/**
 * A per-request rule: the requests it matches (method, and a path prefix or a pattern over
 * the path with its query), and which of those it applies to (`nth`, 1-based, counted
 * over the requests this rule matches; every one when absent).
 */
export interface FaultRule {
  readonly method?: string;
  readonly path?: string | RegExp;
  readonly nth?: number | readonly number[];
  readonly fault: ProxyFault;
}

const pathOnly = (path: string): string => {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
};

const matches = (rule: FaultRule, request: ProxyRequest): boolean =>
  (rule.method === undefined || rule.method.toUpperCase() === request.method.toUpperCase()) &&
  (rule.path === undefined ||
    (typeof rule.path === 'string'
      ? pathOnly(request.path).startsWith(rule.path)
      : rule.path.test(request.path)));

/** Rules in order: the first one that matches a request and counts it among its `nth` decides. */
export const ruleFaults = (rules: readonly FaultRule[]): FaultPlan => {
  const seen = rules.map(() => 0);
  return (request) => {
    let chosen: ProxyFault | undefined;
    for (const [i, rule] of rules.entries()) {
      if (!matches(rule, request)) continue;
      const count = (seen[i] ?? 0) + 1;
      seen[i] = count;
      const hit =
        rule.nth === undefined ||
        (typeof rule.nth === 'number' ? rule.nth === count : rule.nth.includes(count));
      if (hit && chosen === undefined) chosen = rule.fault;
    }
    return chosen;
  };
};

/**
 * A seeded schedule: each request the schedule applies to draws one fault (or none) with
 * the given chances, from a generator seeded with `seed`, so a run can be replayed. A drawn
 * 429 or 5xx starts a storm: the next requests get the same answer, `stormLength` in all.
 */
export interface FaultSchedule {
  readonly seed: number;
  /** Chance per request of each kind, in [0, 1]; together at most 1. */
  readonly chances: Partial<Readonly<Record<FaultKind, number>>>;
  /** Which requests the schedule touches (default: every one). */
  readonly appliesTo?: (request: ProxyRequest) => boolean;
  /** Added latency, ms, drawn in [min, max] (default [5, 50]). */
  readonly latencyMs?: readonly [number, number];
  /** How long after the client gave up a late request is forwarded, ms (default [0, 200]). */
  readonly lateAfterMs?: readonly [number, number];
  /** Retry-After of injected 429s, seconds (default 1). */
  readonly retryAfterSeconds?: number;
  /** Statuses of injected 5xx, drawn among these (default 500, 502, 503, 504). */
  readonly serverErrorStatuses?: readonly number[];
  /** Requests per storm of 429s or 5xx, drawn in [min, max] (default [1, 1]: no storm). */
  readonly stormLength?: readonly [number, number];
}

const SERVER_ERRORS = [500, 502, 503, 504] as const;

/** The plan of a seeded schedule. */
export const scheduledFaults = (schedule: FaultSchedule): FaultPlan => {
  const random = seededRandom(schedule.seed);
  const kinds = FAULT_KINDS.filter((k) => (schedule.chances[k] ?? 0) > 0);
  const total = kinds.reduce((sum, k) => sum + (schedule.chances[k] ?? 0), 0);
  if (total > 1) throw new RangeError(`fault chances add up to ${total}, more than 1`);
  const [latencyMin, latencyMax] = schedule.latencyMs ?? [5, 50];
  const [lateMin, lateMax] = schedule.lateAfterMs ?? [0, 200];
  const [stormMin, stormMax] = schedule.stormLength ?? [1, 1];
  const statuses = schedule.serverErrorStatuses ?? SERVER_ERRORS;
  let storm: { fault: ProxyFault; left: number } | null = null;
  const draw = (kind: FaultKind): ProxyFault => {
    switch (kind) {
      case 'latency':
        return { kind, ms: between(random, latencyMin, latencyMax) };
      case 'late':
        return { kind, afterMs: between(random, lateMin, lateMax) };
      case 'drop_answer':
      case 'reset_before':
      case 'reset_after':
        return { kind };
      case 'rate_limited':
        return { kind, retryAfterSeconds: schedule.retryAfterSeconds ?? 1 };
      case 'server_error':
      case 'server_error_after':
        return { kind, status: statuses[Math.floor(random() * statuses.length)] ?? 503 };
      default: {
        const unreachable: never = kind;
        return unreachable;
      }
    }
  };
  return (request) => {
    if (schedule.appliesTo && !schedule.appliesTo(request)) return undefined;
    if (storm !== null && storm.left > 0) {
      storm.left -= 1;
      return storm.fault;
    }
    let r = random();
    for (const kind of kinds) {
      r -= schedule.chances[kind] ?? 0;
      if (r >= 0) continue;
      const fault = draw(kind);
      if (kind === 'rate_limited' || kind === 'server_error')
        storm = { fault, left: between(random, stormMin, stormMax) - 1 };
      return fault;
    }
    return undefined;
  };
};

/** The first plan with an opinion decides; none: `pass`. */
export const firstOf =
  (...plans: readonly (FaultPlan | undefined)[]): ((request: ProxyRequest) => ProxyFault) =>
  (request) => {
    for (const plan of plans) {
      const fault = plan?.(request);
      if (fault !== undefined) return fault;
    }
    return { kind: 'pass' };
  };
