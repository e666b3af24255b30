import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/** A `fetch` that hands requests to the app in-process: no socket, same bytes. */
export const inProcessFetch =
  (app: Pick<Hono, 'fetch'>) =>
  (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    Promise.resolve(app.fetch(new Request(input, init)));

export interface Listening {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Serves the app on loopback; port 0 picks a free one. */
export const listenOnLoopback = (app: Pick<Hono, 'fetch'>, port = 0): Promise<Listening> =>
  new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info: AddressInfo) => {
      server.off('error', reject);
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        port: info.port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
    server.once('error', reject);
  });
