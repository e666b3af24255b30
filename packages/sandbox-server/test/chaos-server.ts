import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';

/**
 * A misbehaving HTTP server on 127.0.0.1 in front of a sandbox app: for each request a
 * script picks what goes wrong. "commit" means the app handled the request (the service
 * acted), whatever the client then sees.
 */
export type Fault =
  | { readonly kind: 'pass' }
  /** Answer this without asking the app (429 storms, 500s before any work). */
  | { readonly kind: 'answer'; readonly status: number; readonly headers?: Record<string, string> }
  /** Let the app act, then answer this instead of its answer. */
  | { readonly kind: 'commit_then_answer'; readonly status: number }
  /** Drop the connection without asking the app. */
  | { readonly kind: 'destroy' }
  /** Let the app act, then drop the connection: the answer is lost. */
  | { readonly kind: 'commit_then_destroy' }
  /** Let the app act, then answer only after `ms` (past the client's timeout). */
  | { readonly kind: 'commit_then_stall'; readonly ms: number }
  /** Hold the request without acting until the client gives up, then drop it (a server that notices). */
  | { readonly kind: 'hold_until_client_leaves' }
  /** Hold the request until the client gives up, then let the app act: a request delivered late. */
  | { readonly kind: 'commit_after_client_leaves' };

export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly fault: Fault['kind'];
}

const PASS: Fault = { kind: 'pass' };

export interface ChaosServer {
  readonly url: string;
  readonly seen: Seen[];
  /** Requests seen with this method whose path starts with `prefix`. */
  count(method: string, prefix: string): number;
  /** Resolves once every request seen so far has been handled (late deliveries included). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const startChaosServer = async (
  app: Pick<Hono, 'fetch'>,
  script: (request: { method: string; path: string }) => Fault = () => PASS,
): Promise<ChaosServer> => {
  const seen: Seen[] = [];
  const forward = async (req: IncomingMessage, body: Buffer) => {
    const headers = new Headers();
    for (const name of ['authorization', 'content-type', 'version', 'accept']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers.set(name, value);
    }
    const response = await app.fetch(
      new Request(`http://sandbox.test${req.url ?? '/'}`, {
        method: req.method ?? 'GET',
        headers,
        ...(body.length > 0 ? { body } : {}),
      }),
    );
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  const write = (
    res: ServerResponse,
    status: number,
    headers: Headers | Record<string, string>,
    text: string,
  ) => {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(
      status,
      Object.fromEntries(headers instanceof Headers ? headers.entries() : Object.entries(headers)),
    );
    res.end(text);
  };
  const handling = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const handled = handle(req, res);
    handling.add(handled);
    void handled.finally(() => handling.delete(handled));
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let gone = false;
    res.on('close', () => {
      gone = !res.writableFinished;
    });
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const fault = script({ method, path });
    seen.push({ method, path, fault: fault.kind });
    switch (fault.kind) {
      case 'pass': {
        const r = await forward(req, body);
        return write(res, r.status, r.headers, r.text);
      }
      case 'answer':
        return write(
          res,
          fault.status,
          { 'content-type': 'application/vnd.api+json', ...fault.headers },
          JSON.stringify({
            errors: [{ status: String(fault.status), code: `chaos_${fault.status}`, detail: 'chaos' }],
          }),
        );
      case 'commit_then_answer': {
        await forward(req, body);
        return write(res, fault.status, { 'content-type': 'text/html' }, '<html>upstream trouble</html>');
      }
      case 'destroy':
        return void req.socket.destroy();
      case 'commit_then_destroy':
        await forward(req, body);
        return void req.socket.destroy();
      case 'commit_then_stall': {
        const r = await forward(req, body);
        await sleep(fault.ms);
        return write(res, r.status, r.headers, r.text);
      }
      case 'hold_until_client_leaves':
        if (!gone) await new Promise((resolve) => res.once('close', resolve));
        return;
      case 'commit_after_client_leaves':
        if (!gone) await new Promise((resolve) => res.once('close', resolve));
        await forward(req, body);
        return;
      default: {
        const unreachable: never = fault;
        return unreachable;
      }
    }
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    count: (method, prefix) => seen.filter((s) => s.method === method && s.path.startsWith(prefix)).length,
    idle: async () => {
      while (handling.size > 0) await Promise.allSettled([...handling]);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

/** A script from per-route fault lists: the n-th matching request gets the n-th fault, then pass. */
export const faultsFor = (
  routes: readonly { readonly method: string; readonly prefix: string; readonly faults: readonly Fault[] }[],
) => {
  const counters = routes.map(() => 0);
  return ({ method, path }: { method: string; path: string }): Fault => {
    const index = routes.findIndex((r) => r.method === method && path.startsWith(r.prefix));
    if (index < 0) return PASS;
    const n = counters[index] ?? 0;
    counters[index] = n + 1;
    return routes[index]?.faults[n] ?? PASS;
  };
};
