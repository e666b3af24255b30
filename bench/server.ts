import { type ChildProcess, fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import {
  type Benchmark,
  fmtInt,
  fmtMs,
  isMeasurement,
  type Measurement,
  MemoryProbe,
  now,
  printTable,
  type Results,
  verdict,
} from './harness.js';

/**
 * Benchmark 5: requests per second of the sandbox server on 127.0.0.1, beside a bare
 * Hono route on @hono/node-server, in the same run, with the same load generator.
 *
 * The server runs in a process of its own (server-target.js) and the load generator in
 * this one: on two cores, each has one. The generator keeps CONCURRENCY keep-alive
 * connections busy with node:http (one call in flight per connection) for SECONDS after
 * WARMUP seconds, and counts the answers by status. Scenarios:
 *
 * - bare GET: GET /ping answering a small JSON document;
 * - bare POST: POST /echo parsing a JSON body and answering it (201);
 * - sandbox read: GET /api/concierge_requests/:id of a draft with OUTPUTS_ON_READ outputs;
 * - sandbox create: POST /api/concierge_request_outputs on a draft (one output each call).
 *
 * The sandbox is wired as `pnpm sandbox` wires it (startSandbox: real-time clock and its
 * ticker, so the acceptance checks of the outputs created run during the measurement, as
 * they would), its request log at `warn` (no line per request), and its per-key rate
 * limit raised to 1,000,000 requests/s: the limiter stays in the path, never refuses.
 * The whole sequence runs ROUNDS times, each round with fresh server processes; the
 * best round of each scenario is kept (the machine is shared: the best is the least
 * disturbed).
 */

const SECONDS = Number(process.env['BENCH_SERVER_SECONDS'] ?? 4);
const WARMUP = Number(process.env['BENCH_SERVER_WARMUP_S'] ?? 1);
const CONCURRENCY = Number(process.env['BENCH_SERVER_CONCURRENCY'] ?? 8);
const ROUNDS = Number(process.env['BENCH_SERVER_ROUNDS'] ?? 3);
const OUTPUTS_ON_READ = 10;

/** Goals (SPEC and the issue give none): printed next to the figures, never asserted. */
export const SERVER_GOALS = { readVsBare: 0.25, createVsBare: 0.15 };

type Scenario = 'bareGet' | 'barePost' | 'read' | 'create';

const SCENARIOS: readonly { key: Scenario; label: string; route: string; baseline?: Scenario }[] = [
  { key: 'bareGet', label: 'bare Hono GET', route: 'GET /ping' },
  { key: 'barePost', label: 'bare Hono POST (parses the body)', route: 'POST /echo' },
  {
    key: 'read',
    label: 'sandbox read',
    route: `GET /api/concierge_requests/:id (${OUTPUTS_ON_READ} outputs)`,
    baseline: 'bareGet',
  },
  {
    key: 'create',
    label: 'sandbox output creation',
    route: 'POST /api/concierge_request_outputs',
    baseline: 'barePost',
  },
];

// ---------------------------------------------------------------- the server process

interface Target {
  readonly url: URL;
  readonly apiKey?: string;
  readonly seeded?: {
    readonly payerId: string;
    readonly payees: readonly { userId: string; portCode: string; withdrawalInstructionId: string }[];
  };
  /** User + system CPU time of the server process so far, in ms. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

const startTarget = (...args: string[]): Promise<Target> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = fork(fileURLToPath(new URL('./server-target.js', import.meta.url)), args, {
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const failed = (why: string) => reject(new Error(`server-target ${args.join(' ')}: ${why}`));
    child.once('error', (error) => failed(error.message));
    child.once('exit', (code) => failed(`exited with ${code} before it was ready`));
    const ask = <T>(message: string, pick: (m: Record<string, unknown>) => T | undefined): Promise<T> =>
      new Promise((answer) => {
        const listener = (m: unknown) => {
          const value = typeof m === 'object' && m !== null ? pick(m as Record<string, unknown>) : undefined;
          if (value === undefined) return;
          child.off('message', listener);
          answer(value);
        };
        child.on('message', listener);
        child.send(message);
      });
    child.once('message', (m) => {
      const ready = m as { url: string; apiKey?: string; seeded?: Target['seeded'] };
      child.removeAllListeners('exit');
      resolve({
        url: new URL(ready.url),
        ...(ready.apiKey === undefined ? {} : { apiKey: ready.apiKey }),
        ...(ready.seeded === undefined ? {} : { seeded: ready.seeded }),
        cpuMs: () =>
          ask('cpu', (m) => {
            const cpu = m['cpu'] as NodeJS.CpuUsage | undefined;
            return cpu === undefined ? undefined : (cpu.user + cpu.system) / 1000;
          }),
        stop: () =>
          new Promise((done) => {
            const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            child.once('exit', () => {
              clearTimeout(timer);
              done();
            });
            child.send('stop');
          }),
      });
    });
  });

// ---------------------------------------------------------------- the load generator

interface Call {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Record<string, string | number>;
  readonly body?: string;
}

const callOnce = (agent: Agent, url: URL, call: Call): Promise<{ status: number; text: string }> =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: call.method,
        path: call.path,
        headers: call.headers,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(call.body);
  });

/** Bodies are read (as a client would) but only the status is kept. */
const callStatus = (agent: Agent, url: URL, call: Call): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: call.method,
        path: call.path,
        headers: call.headers,
      },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(call.body);
  });

const json = (body: unknown, headers: Record<string, string> = {}): Pick<Call, 'headers' | 'body'> => {
  const text = JSON.stringify(body);
  return {
    headers: {
      ...headers,
      'content-type': 'application/vnd.api+json',
      'content-length': Buffer.byteLength(text),
    },
    body: text,
  };
};

interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverCpuMs: number;
  readonly clientCpuMs: number;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);

/** CONCURRENCY loops, each one call in flight on its keep-alive connection, for `seconds`. */
const drive = async (agent: Agent, target: Target, call: Call, seconds: number, measure: boolean) => {
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const deadline = now() + seconds * 1000;
  const serverBefore = measure ? await target.cpuMs() : 0;
  const clientBefore = process.cpuUsage();
  const t0 = now();
  const loop = async () => {
    while (now() < deadline) {
      const t = now();
      const status = await callStatus(agent, target.url, call);
      if (measure) latencies.push(now() - t);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  const elapsed = (now() - t0) / 1000;
  const client = process.cpuUsage(clientBefore);
  const serverCpuMs = measure ? (await target.cpuMs()) - serverBefore : 0;
  latencies.sort((a, b) => a - b);
  return {
    requests: Object.values(statuses).reduce((a, b) => a + b, 0),
    seconds: elapsed,
    statuses,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    serverCpuMs,
    clientCpuMs: (client.user + client.system) / 1000,
  } satisfies LoadResult;
};

const load = async (agent: Agent, target: Target, call: Call): Promise<LoadResult> => {
  await drive(agent, target, call, WARMUP, false);
  return drive(agent, target, call, SECONDS, true);
};

// ---------------------------------------------------------------- one round

/** Sets up the sandbox over HTTP (two drafts, outputs on the one read) and says what to call. */
const sandboxCalls = async (agent: Agent, target: Target): Promise<Record<'read' | 'create', Call>> => {
  const apiKey = target.apiKey ?? '';
  const seeded = target.seeded;
  const payee = seeded?.payees.find((p) => p.portCode === 'cl_clp');
  if (!seeded || !payee) throw new Error('the sandbox seeds a payer and a cl_clp payee');
  const post = async (path: string, body: unknown, expected: number) => {
    const answer = await callOnce(agent, target.url, {
      method: 'POST',
      path,
      ...json(body, { authorization: apiKey }),
    });
    if (answer.status !== expected)
      throw new Error(`POST ${path} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    return JSON.parse(answer.text) as { data: { id: string } };
  };
  const draft = () =>
    post(
      '/api/concierge_requests',
      {
        data: {
          type: 'concierge_requests',
          attributes: { port_code: 'ar_ars' },
          relationships: { user: { data: { type: 'users', id: seeded.payerId } } },
        },
      },
      201,
    ).then((r) => r.data.id);
  const output = (requestId: string) => ({
    data: {
      type: 'concierge_request_outputs',
      attributes: { port_code: 'cl_clp', amount: 5000 },
      relationships: {
        request: { data: { type: 'concierge_requests', id: requestId } },
        user: { data: { type: 'users', id: payee.userId } },
        withdrawal_instruction: {
          data: { type: 'withdrawal_instructions', id: payee.withdrawalInstructionId },
        },
      },
    },
  });
  const read = await draft();
  for (let i = 0; i < OUTPUTS_ON_READ; i += 1)
    await post('/api/concierge_request_outputs', output(read), 201);
  const readCall: Call = {
    method: 'GET',
    path: `/api/concierge_requests/${read}`,
    headers: { authorization: apiKey },
  };
  // The read answers what the benchmark says it reads.
  const shown = await callOnce(agent, target.url, readCall);
  const linked = (JSON.parse(shown.text) as { data?: { relationships?: { outputs?: { data?: unknown[] } } } })
    .data?.relationships?.outputs?.data;
  if (shown.status !== 200 || linked?.length !== OUTPUTS_ON_READ)
    throw new Error(`GET ${readCall.path} answered ${shown.status}: ${shown.text.slice(0, 300)}`);
  return {
    read: readCall,
    create: {
      method: 'POST',
      path: '/api/concierge_request_outputs',
      ...json(output(await draft()), { authorization: apiKey }),
    },
  };
};

const round = async (): Promise<Record<Scenario, LoadResult>> => {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const bare = await startTarget('bare');
    let bareGet: LoadResult;
    let barePost: LoadResult;
    try {
      bareGet = await load(agent, bare, { method: 'GET', path: '/ping', headers: {} });
      barePost = await load(agent, bare, {
        method: 'POST',
        path: '/echo',
        ...json({ data: { type: 'pings', attributes: { port_code: 'cl_clp', amount: 5000 } } }),
      });
    } finally {
      await bare.stop();
    }
    agent.destroy();
    const sandboxAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const sandbox = await startTarget('sandbox', 'warn');
    try {
      const calls = await sandboxCalls(sandboxAgent, sandbox);
      const read = await load(sandboxAgent, sandbox, calls.read);
      const create = await load(sandboxAgent, sandbox, calls.create);
      return { bareGet, barePost, read, create };
    } finally {
      sandboxAgent.destroy();
      await sandbox.stop();
    }
  } finally {
    agent.destroy();
  }
};

const rate = (r: LoadResult): number => r.requests / r.seconds;

const run = async (n: number): Promise<Measurement> => {
  // Seconds may be fractions; connections and rounds are counts.
  const settings: [string, number, boolean][] = [
    ['BENCH_SERVER_SECONDS', SECONDS, false],
    ['BENCH_SERVER_WARMUP_S', WARMUP, false],
    ['BENCH_SERVER_CONCURRENCY', CONCURRENCY, true],
    ['BENCH_SERVER_ROUNDS', ROUNDS, true],
  ];
  for (const [name, value, whole] of settings)
    if (!Number.isFinite(value) || value <= 0 || (whole && !Number.isInteger(value)))
      throw new Error(`${name} must be a positive ${whole ? 'integer' : 'number'}, got ${process.env[name]}`);
  const probe = new MemoryProbe();
  const t0 = now();
  const rounds: Record<Scenario, LoadResult>[] = [];
  for (let i = 0; i < ROUNDS; i += 1) rounds.push(await round());
  const totalMs = now() - t0;
  probe.stop();
  const memory = await probe.finish();
  const extra: Record<string, string | number> = {
    rounds: ROUNDS,
    seconds: SECONDS,
    concurrency: CONCURRENCY,
  };
  for (const { key } of SCENARIOS) {
    const best = rounds.map((r) => r[key]).reduce((a, b) => (rate(b) > rate(a) ? b : a));
    extra[`${key}.rps`] = rate(best);
    extra[`${key}.requests`] = best.requests;
    extra[`${key}.all`] = rounds.map((r) => rate(r[key]).toFixed(0)).join(' / ');
    extra[`${key}.p50`] = best.p50Ms;
    extra[`${key}.p99`] = best.p99Ms;
    extra[`${key}.serverCpu`] = best.serverCpuMs / (best.seconds * 1000);
    extra[`${key}.clientCpu`] = best.clientCpuMs / (best.seconds * 1000);
    extra[`${key}.serverCpuPerRequestUs`] = (best.serverCpuMs * 1000) / best.requests;
    extra[`${key}.statuses`] = Object.entries(best.statuses)
      .map(([status, count]) => `${status}×${count}`)
      .join(', ');
    extra[`${key}.unexpected`] = rounds
      .map((r) => r[key])
      .reduce(
        (sum, r) =>
          sum +
          Object.entries(r.statuses)
            .filter(([status]) => status !== (key === 'create' || key === 'barePost' ? '201' : '200'))
            .reduce((a, [, count]) => a + count, 0),
        0,
      );
  }
  return { bench: 'server', n, totalMs, phases: {}, ...memory, extra };
};

// ---------------------------------------------------------------- report

const num = (m: Measurement, key: string): number => Number(m.extra[key] ?? Number.NaN);
const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

const report = (results: Results): void => {
  const runs = results.get('server') ?? [];
  const r = runs.find(isMeasurement);
  const title =
    'Benchmark 5 — sandbox server on 127.0.0.1: requests per second beside a bare Hono route ' +
    '(@hono/node-server), same load generator, same run';
  if (!r) {
    const failure = runs.find((o) => !isMeasurement(o));
    printTable(
      title,
      ['result'],
      [[failure && !isMeasurement(failure) ? `FAILED: ${failure.error}` : 'not run']],
    );
    return;
  }
  printTable(
    `${title}; ${num(r, 'concurrency')} keep-alive connections, best of ${num(r, 'rounds')} rounds of ${num(r, 'seconds')} s`,
    [
      'scenario',
      'route',
      'requests/s',
      'rounds',
      '÷ bare Hono',
      'p50',
      'p99',
      'server CPU',
      'server µs/request',
      '÷ bare (CPU)',
      'generator CPU',
      'answers',
    ],
    SCENARIOS.map(({ key, label, route, baseline }) => [
      label,
      route,
      fmtInt(num(r, `${key}.rps`)),
      String(r.extra[`${key}.all`] ?? ''),
      baseline === undefined ? '—' : (num(r, `${key}.rps`) / num(r, `${baseline}.rps`)).toFixed(3),
      fmtMs(num(r, `${key}.p50`)),
      fmtMs(num(r, `${key}.p99`)),
      pct(num(r, `${key}.serverCpu`)),
      num(r, `${key}.serverCpuPerRequestUs`).toFixed(0),
      baseline === undefined
        ? '—'
        : (num(r, `${baseline}.serverCpuPerRequestUs`) / num(r, `${key}.serverCpuPerRequestUs`)).toFixed(3),
      pct(num(r, `${key}.clientCpu`)),
      String(r.extra[`${key}.statuses`] ?? ''),
    ]),
  );
  const cpuRatio = (key: Scenario, baseline: Scenario) =>
    num(r, `${baseline}.serverCpuPerRequestUs`) / num(r, `${key}.serverCpuPerRequestUs`);
  const readRatio = num(r, 'read.rps') / num(r, 'bareGet.rps');
  const createRatio = num(r, 'create.rps') / num(r, 'barePost.rps');
  const unexpected = SCENARIOS.reduce((sum, { key }) => sum + num(r, `${key}.unexpected`), 0);
  printTable(
    'Sandbox server goals (set for this benchmark: SPEC and the issue give none)',
    ['goal', 'measured', 'verdict'],
    [
      [
        `reads ≥ ${SERVER_GOALS.readVsBare} of bare Hono GET`,
        `${readRatio.toFixed(3)} (${fmtInt(num(r, 'read.rps'))} of ${fmtInt(num(r, 'bareGet.rps'))} requests/s; ` +
          `CPU per request ${cpuRatio('read', 'bareGet').toFixed(3)})`,
        verdict(readRatio >= SERVER_GOALS.readVsBare),
      ],
      [
        `output creations ≥ ${SERVER_GOALS.createVsBare} of bare Hono POST`,
        `${createRatio.toFixed(3)} (${fmtInt(num(r, 'create.rps'))} of ${fmtInt(num(r, 'barePost.rps'))} requests/s; ` +
          `CPU per request ${cpuRatio('create', 'barePost').toFixed(3)})`,
        verdict(createRatio >= SERVER_GOALS.createVsBare),
      ],
      [
        'every answer 200 (reads) or 201 (creations): no 429, no error',
        `${fmtInt(unexpected)} other answers, all rounds`,
        verdict(unexpected === 0),
      ],
    ],
  );
  console.log(
    '  server CPU = the server process’s CPU time ÷ wall time (100% = one core busy): near 100% means the server, ' +
      'not the generator, set the pace; well below, the generator or the machine’s other load did. ÷ bare (CPU) = ' +
      'bare Hono’s server CPU time per request ÷ the sandbox’s: the same ratio without the generator in it. ' +
      'The sandbox is `pnpm sandbox`’s wiring (real-time clock and ticker, request log at warn), its rate limit ' +
      'raised to 1,000,000/s. ' +
      `BENCH_SERVER_SECONDS=${num(r, 'seconds')}, BENCH_SERVER_CONCURRENCY=${num(r, 'concurrency')}, ` +
      `BENCH_SERVER_ROUNDS=${num(r, 'rounds')}; whole benchmark ${fmtMs(r.totalMs)}.`,
  );
};

export const serverBenchmark: Benchmark = {
  name: 'server',
  title: 'requests per second of the sandbox server beside a bare Hono route',
  fixedSize: true,
  run,
  report,
};
