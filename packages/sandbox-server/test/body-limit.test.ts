import { request } from 'node:http';
import { createInMemoryConcierge } from '@concierge-ts/adapter-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandboxApp, listenOnLoopback } from '../src/index.js';

/**
 * The largest accepted body (`maxBodyBytes`), over a real socket: a body declared too
 * large by its Content-Length and one sent chunked that grows too large are both refused
 * with 413, and nothing is created; bodies within the limit go through either way.
 */
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

const LIMIT = 1024;

const start = async () => {
  const concierge = createInMemoryConcierge({ seed: false });
  const app = createSandboxApp(concierge, { rateLimit: 0, webhooks: false, maxBodyBytes: LIMIT });
  const listening = await listenOnLoopback(app);
  stops.push(async () => {
    app.close();
    await listening.close();
  });
  return { url: new URL(listening.url), apiKey: concierge.apiKey };
};

/** POST /api/users with `body`, with a Content-Length or chunked (in chunks of 256 bytes). */
const post = (
  url: URL,
  apiKey: string,
  body: string,
  framing: 'content-length' | 'chunked',
): Promise<{ status: number; json: { errors?: { code: string }[] } }> =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/api/users',
        headers: {
          authorization: apiKey,
          'content-type': 'application/vnd.api+json',
          ...(framing === 'content-length' ? { 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    // The server may answer and close before the whole body is sent.
    req.on('error', reject);
    if (framing === 'chunked') for (let i = 0; i < body.length; i += 256) req.write(body.slice(i, i + 256));
    else req.write(body);
    req.end();
  });

const users = async (url: URL, apiKey: string): Promise<number> => {
  const response = await fetch(new URL('/api/users', url), { headers: { authorization: apiKey } });
  return ((await response.json()) as { data: unknown[] }).data.length;
};

/** A user creation whose body is `size` bytes long (white space after the document pads it). */
const userBody = (size: number): string => {
  const document = JSON.stringify({ data: { type: 'users', attributes: { name: 'Padded' } } });
  return document + ' '.repeat(size - document.length);
};

describe('the body limit', () => {
  for (const framing of ['content-length', 'chunked'] as const) {
    it(`refuses a body over the limit sent with ${framing} (413), creating nothing`, async () => {
      const { url, apiKey } = await start();
      const before = await users(url, apiKey);
      const answer = await post(url, apiKey, userBody(LIMIT + 1), framing);
      expect(answer.status).toBe(413);
      expect(answer.json.errors?.[0]?.code).toBe('body_too_large');
      expect(await users(url, apiKey)).toBe(before);
    });

    it(`accepts a body of exactly the limit sent with ${framing}`, async () => {
      const { url, apiKey } = await start();
      const before = await users(url, apiKey);
      const body = userBody(LIMIT);
      expect(Buffer.byteLength(body)).toBe(LIMIT);
      const answer = await post(url, apiKey, body, framing);
      expect(answer.status).toBe(201);
      expect(await users(url, apiKey)).toBe(before + 1);
    });
  }
});
