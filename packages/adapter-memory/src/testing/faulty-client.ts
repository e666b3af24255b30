import { type ConciergeClient, type ConciergeError, conciergeError } from '@concierge-ts/application';
import { errAsync, ResultAsync } from 'neverthrow';

/**
 * What goes wrong with one call, as a hostile network and service would have it:
 * - `pass`: nothing.
 * - `lose_answer`: the service acts; the answer is lost (the caller sees a timeout).
 * - `late`: the caller times out at once; the request reaches the service later, after
 *   a few more calls (a create delivered late, after the caller gave up).
 * - `reset_before` / `reset_after`: the connection resets before the request reaches the
 *   service, or after it acted.
 * - `rate_limited`: a 429 before any work.
 * - `server_error`: a 503 before any work; `server_error_after`: the service acted, then a 502.
 * - `crash_before` / `crash_after`: the process dies (a `ProcessKilled` is thrown) before
 *   the request leaves, or after the service acted and before the answer is read.
 */
export const FAULT_KINDS = [
  'pass',
  'lose_answer',
  'late',
  'reset_before',
  'reset_after',
  'rate_limited',
  'server_error',
  'server_error_after',
  'crash_before',
  'crash_after',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Thrown by a faulty client to stand for `kill -9`: nothing after it in that process runs. */
export class ProcessKilled extends Error {
  constructor(readonly at: string) {
    super(`process killed at ${at}`);
  }
}

/** The network between runs of the process: late requests are still in flight when a process dies. */
export class FaultyNetwork {
  private readonly inFlight: { due: number; deliver: () => Promise<unknown> }[] = [];
  private clock = 0;
  readonly counts: Record<FaultKind, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<
    FaultKind,
    number
  >;
  calls = 0;
  /** Late requests delivered. */
  delivered = 0;

  constructor(
    /** Picks the fault of the n-th call (0-based) through this network. */
    private readonly schedule: (
      n: number,
      call: { readonly name: string; readonly effect: boolean },
    ) => FaultKind,
    /** How many calls later a `late` request arrives. */
    private readonly lateBy = 3,
  ) {}

  /** Delivers the late requests that are due. */
  async tick(): Promise<void> {
    this.clock += 1;
    const due = this.inFlight.filter((l) => l.due <= this.clock);
    for (const late of due) {
      this.inFlight.splice(this.inFlight.indexOf(late), 1);
      this.delivered += 1;
      await late.deliver();
    }
  }

  /** Delivers every late request still in flight. */
  async flush(): Promise<void> {
    while (this.inFlight.length > 0) {
      const late = this.inFlight.shift();
      this.delivered += 1;
      await late?.deliver();
    }
  }

  pick(name: string, effect: boolean): FaultKind {
    const fault = this.schedule(this.calls, { name, effect });
    this.calls += 1;
    this.counts[fault] += 1;
    return fault;
  }

  later(deliver: () => Promise<unknown>): void {
    this.inFlight.push({ due: this.clock + this.lateBy, deliver });
  }

  /** Faults injected (every kind but `pass`). */
  faults(): number {
    return Object.entries(this.counts).reduce((n, [k, v]) => (k === 'pass' ? n : n + v), 0);
  }
}

const timeout = () => conciergeError.timeout('the answer did not come in time (injected)');

/**
 * A `ConciergeClient` in front of another, with faults from a network's schedule. Calls
 * that change nothing get the same faults, without the effect. Crash faults throw
 * `ProcessKilled`, the test harness's `kill -9`.
 */
export const createFaultyClient = (inner: ConciergeClient, network: FaultyNetwork): ConciergeClient => {
  const call = <T>(name: string, effect: boolean, run: () => ResultAsync<T, ConciergeError>) =>
    new ResultAsync<T, ConciergeError>(
      (async () => {
        await network.tick();
        const fault = network.pick(name, effect);
        switch (fault) {
          case 'pass':
            return run();
          case 'lose_answer':
            await run();
            return errAsync<T, ConciergeError>(timeout());
          case 'late':
            if (effect) network.later(async () => run());
            return errAsync<T, ConciergeError>(timeout());
          case 'reset_before':
            return errAsync<T, ConciergeError>(conciergeError.connection('connection reset (injected)'));
          case 'reset_after':
            await run();
            return errAsync<T, ConciergeError>(conciergeError.connection('connection reset (injected)'));
          case 'rate_limited':
            return errAsync<T, ConciergeError>(conciergeError.rateLimited(1000));
          case 'server_error':
            return errAsync<T, ConciergeError>(conciergeError.server('unavailable (injected)', 503));
          case 'server_error_after':
            await run();
            return errAsync<T, ConciergeError>(conciergeError.server('bad gateway (injected)', 502));
          case 'crash_before':
            throw new ProcessKilled(`${name} (before sending)`);
          case 'crash_after':
            await run();
            throw new ProcessKilled(`${name} (after the service acted)`);
          default: {
            const never: never = fault;
            return never;
          }
        }
      })().then((r) => r),
    );
  return {
    ports: { list: (o) => call('ports.list', false, () => inner.ports.list(o)) },
    requests: {
      create: (i, o) => call('requests.create', true, () => inner.requests.create(i, o)),
      get: (id, o) => call('requests.get', false, () => inner.requests.get(id, o)),
      getWithOutputs: (id, o) =>
        call('requests.getWithOutputs', false, () => inner.requests.getWithOutputs(id, o)),
      list: (q, o) => call('requests.list', false, () => inner.requests.list(q, o)),
      update: (id, i, o) => call('requests.update', true, () => inner.requests.update(id, i, o)),
      requestQuote: (id, i, o) =>
        call('requests.requestQuote', true, () => inner.requests.requestQuote(id, i, o)),
      acceptQuote: (id, o) => call('requests.acceptQuote', true, () => inner.requests.acceptQuote(id, o)),
      cancel: (id, o) => call('requests.cancel', true, () => inner.requests.cancel(id, o)),
      receipt: (id, o) => call('requests.receipt', false, () => inner.requests.receipt(id, o)),
      creditNote: (id, o) => call('requests.creditNote', false, () => inner.requests.creditNote(id, o)),
    },
    outputs: {
      create: (i, o) => call('outputs.create', true, () => inner.outputs.create(i, o)),
      get: (id, o) => call('outputs.get', false, () => inner.outputs.get(id, o)),
      list: (q, o) => call('outputs.list', false, () => inner.outputs.list(q, o)),
    },
    estimates: { create: (i, o) => call('estimates.create', false, () => inner.estimates.create(i, o)) },
    users: {
      create: (i, o) => call('users.create', true, () => inner.users.create(i, o)),
      get: (id, o) => call('users.get', false, () => inner.users.get(id, o)),
      list: (q, o) => call('users.list', false, () => inner.users.list(q, o)),
      me: (o) => call('users.me', false, () => inner.users.me(o)),
      updateMe: (i, o) => call('users.updateMe', true, () => inner.users.updateMe(i, o)),
    },
    withdrawalInstructions: {
      create: (i, o) =>
        call('withdrawalInstructions.create', true, () => inner.withdrawalInstructions.create(i, o)),
      get: (id, o) =>
        call('withdrawalInstructions.get', false, () => inner.withdrawalInstructions.get(id, o)),
      list: (q, o) =>
        call('withdrawalInstructions.list', false, () => inner.withdrawalInstructions.list(q, o)),
      delete: (id, o) =>
        call('withdrawalInstructions.delete', true, () => inner.withdrawalInstructions.delete(id, o)),
    },
  };
};
