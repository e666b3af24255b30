import type { AddressInfo } from 'node:net';
import { startSandbox } from '@concierge-ts/sandbox-server';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

/**
 * The server side of the `server` benchmark, in a process of its own (forked with an IPC
 * channel) so that it has a core to itself while the load generator runs on the other.
 *
 *   node server-target.js bare             a bare Hono app on @hono/node-server: GET /ping, POST /echo
 *   node server-target.js sandbox <level>  the sandbox as `pnpm sandbox` wires it (startSandbox: real-time
 *                                          clock and ticker, request log at <level>), rate limit 1,000,000/s
 *
 * It tells the parent `{ ready, url, ... }` once listening, answers `'cpu'` with its
 * CPU time so far, and stops on `'stop'`.
 */

type Ready = {
  readonly ready: true;
  readonly url: string;
  readonly apiKey?: string;
  readonly seeded?: unknown;
};

const send = (message: unknown): void => {
  process.send?.(message);
};

const bare = async (): Promise<{ ready: Ready; close: () => Promise<void> }> => {
  const app = new Hono();
  app.get('/ping', (c) => c.json({ data: { type: 'pings', id: '1', attributes: { ok: true } } }));
  // Parses the JSON body and answers it: the floor of any POST that reads a document.
  app.post('/echo', async (c) => c.json(await c.req.json(), 201));
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
      resolve({
        ready: { ready: true, url: `http://127.0.0.1:${info.port}` },
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      }),
    );
  });
};

const sandbox = async (level: string): Promise<{ ready: Ready; close: () => Promise<void> }> => {
  const started = await startSandbox({
    env: {
      PORT: '0',
      // High enough never to answer 429 to the load generator, with the limiter still in the path.
      CONCIERGE_SANDBOX_RATE_LIMIT: '1000000',
      CONCIERGE_LOG_LEVEL: level,
    },
    print: () => {},
  });
  if (started.isErr()) throw new Error(`the sandbox did not start: ${started.error.message}`);
  const s = started.value;
  return {
    ready: { ready: true, url: s.url, apiKey: s.concierge.apiKey, seeded: s.concierge.seeded },
    close: () => s.close(),
  };
};

const kind = process.argv[2];
const target =
  kind === 'bare' ? await bare() : kind === 'sandbox' ? await sandbox(process.argv[3] ?? 'warn') : null;
if (!target) throw new Error(`server-target: expected bare or sandbox, got ${kind}`);
process.on('message', (message) => {
  if (message === 'cpu') send({ cpu: process.cpuUsage() });
  if (message === 'stop') void target.close().then(() => process.exit(0));
});
send(target.ready);
