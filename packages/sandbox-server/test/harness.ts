import {
  createHttpConciergeClient,
  createHttpSandboxOperator,
  type FetchLike,
} from '@concierge-ts/adapter-http';
import { createInMemoryConcierge, type InMemoryConciergeOptions } from '@concierge-ts/adapter-memory';
import type { ContractHarness } from '@concierge-ts/adapter-memory/testing';
import { createSandboxApp, inProcessFetch, listenOnLoopback, type SandboxAppOptions } from '../src/index.js';
import type { DocumentCheck } from './json-api-schema.js';

/**
 * A sandbox app on an in-process concierge, with HTTP clients for two masters. With
 * `check`, every answer the clients receive is checked against the JSON:API schema.
 */
export const httpHarness = async (
  transport: 'in-process' | 'loopback',
  options: { concierge?: InMemoryConciergeOptions; app?: SandboxAppOptions; check?: DocumentCheck } = {},
) => {
  const concierge = createInMemoryConcierge({ seed: false, ...options.concierge });
  const other = concierge.addMaster('other@example.com');
  const app = createSandboxApp(concierge, { rateLimit: 0, webhooks: false, ...options.app });
  app.registerMaster(other);
  const listening = transport === 'loopback' ? await listenOnLoopback(app) : null;
  const baseUrl = listening?.url ?? 'http://sandbox.test';
  const direct: FetchLike | undefined = listening ? undefined : inProcessFetch(app);
  const fetch = options.check ? options.check.wrap(direct ?? globalThis.fetch) : direct;
  const connect = (apiKey: string) => {
    const options = { baseUrl, apiKey, rateLimit: 0 as const, ...(fetch === undefined ? {} : { fetch }) };
    return { client: createHttpConciergeClient(options), operator: createHttpSandboxOperator(options) };
  };
  return {
    concierge,
    app,
    baseUrl,
    fetch,
    connect,
    harness: {
      ...connect(concierge.apiKey),
      other: connect(other.apiKey),
      dispose: async () => {
        app.close();
        await listening?.close();
      },
    } satisfies ContractHarness,
  };
};
