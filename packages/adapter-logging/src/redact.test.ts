import { describe, expect, it } from 'vitest';
import {
  classifyKey,
  createRedactor,
  MASKED_KEYS,
  maskTail,
  REDACTED,
  redact,
  SECRET_KEYS,
} from './redact.js';

describe('classifyKey', () => {
  it.each([
    'apiKey',
    'api_key',
    'API-KEY',
    'x-api-key',
    'Authorization',
    'authorization',
    'WEBHOOK-AUTH',
    'webhook_auth',
    'webhookAuth',
    'password',
    'secret',
    'webhook_secret',
    'token',
    'hintToken',
    'hint_token',
    'accessToken',
    'Proxy-Authorization',
    'cookie',
  ])('%s is secret', (key) => {
    expect(classifyKey(key)).toBe('secret');
  });

  it.each([
    'account_number',
    'accountNumber',
    'bankAccountNumber',
    'cbu',
    'CBU',
    'cvu',
    'clabe',
    'iban',
    'IBAN',
    'tax_id',
    'taxId',
    'payee_tax_id',
    'cuit',
    'cuil',
    'rut',
    'ssn',
  ])('%s is masked', (key) => {
    expect(classifyKey(key)).toBe('masked');
  });

  it.each(['id', 'requestId', 'label', 'holder_name', 'country', 'currency', 'email', 'tokens_used_at'])(
    '%s is plain',
    (key) => {
      expect(classifyKey(key)).toBe('plain');
    },
  );

  it('every listed key classifies as its list says', () => {
    for (const key of SECRET_KEYS) expect(classifyKey(key)).toBe('secret');
    for (const key of MASKED_KEYS) expect(classifyKey(key)).toBe('masked');
  });
});

describe('maskTail', () => {
  it('keeps the last 4 characters', () => {
    expect(maskTail('0170099220000067797370')).toBe('****7370');
    expect(maskTail('12345')).toBe('****2345');
  });

  it('shows nothing of a value of 4 characters or fewer', () => {
    expect(maskTail('1234')).toBe('****');
    expect(maskTail('')).toBe('****');
  });
});

describe('redact', () => {
  it('replaces secret keys at any depth, whatever their case or separator', () => {
    const out = redact({
      apiKey: 'sk_live_1',
      headers: { Authorization: 'Bearer sk_live_2', 'WEBHOOK-AUTH': 'hook-secret-3' },
      nested: [{ deeper: { password: 'p4ss', token: 't0k', hintToken: 'h1nt', webhook_auth: 'w' } }],
    });
    expect(out).toEqual({
      apiKey: REDACTED,
      headers: { Authorization: REDACTED, 'WEBHOOK-AUTH': REDACTED },
      nested: [
        { deeper: { password: REDACTED, token: REDACTED, hintToken: REDACTED, webhook_auth: REDACTED } },
      ],
    });
  });

  it('replaces a secret key whatever its value holds', () => {
    expect(redact({ apiKey: { value: 'sk_1' }, token: ['a', 'b'], secret: 42 })).toEqual({
      apiKey: REDACTED,
      token: REDACTED,
      secret: REDACTED,
    });
  });

  it('leaves an absent secret absent', () => {
    expect(redact({ apiKey: null, webhookUrl: null, token: undefined })).toEqual({
      apiKey: null,
      webhookUrl: null,
      token: undefined,
    });
  });

  it('masks account numbers and tax ids to their last 4 characters', () => {
    const body = {
      payment_method: 'bank_transfer',
      account_number: '000123456789',
      cbu: '0170099220000067797370',
      iban: 'DE89370400440532013000',
      tax_id: '20-12345678-9',
      cuit: 20123456789,
      clabe: 32180000118359719n,
      holder_name: 'Ana Díaz',
    };
    expect(redact({ body })).toEqual({
      body: {
        payment_method: 'bank_transfer',
        account_number: '****6789',
        cbu: '****7370',
        iban: '****3000',
        tax_id: '****78-9',
        cuit: '****6789',
        clabe: '****9719',
        holder_name: 'Ana Díaz',
      },
    });
  });

  it('does not walk into a structure stored under a masked key', () => {
    expect(redact({ iban: { country: 'DE', number: 'DE89370400440532013000' } })).toEqual({ iban: REDACTED });
  });

  it('masks configured secrets wherever they appear in text, keys included', () => {
    const key = 'sk_test_0123456789abcdef';
    const r = createRedactor({ secrets: [key] });
    expect(r.text(`calling with ${key} twice: ${key}.`)).toBe(`calling with ${REDACTED} twice: ${REDACTED}.`);
    expect(r.value({ url: `https://api.example.com/v1?key=${key}`, [key]: 'x' })).toEqual({
      url: `https://api.example.com/v1?key=${REDACTED}`,
      [REDACTED]: 'x',
    });
  });

  it('masks the URL-encoded form of a secret', () => {
    const key = 'sk_abc+/=def';
    const r = createRedactor({ secrets: [key] });
    expect(r.text(`https://hooks.example.com/?k=${encodeURIComponent(key)}`)).toBe(
      `https://hooks.example.com/?k=${REDACTED}`,
    );
  });

  it('masks the longest of overlapping secrets whole', () => {
    const r = createRedactor({ secrets: ['abc', 'abcdef'] });
    expect(r.text('xabcdefx abc')).toBe(`x${REDACTED}x ${REDACTED}`);
  });

  it('ignores empty configured secrets', () => {
    expect(createRedactor({ secrets: [''] }).text('plain text')).toBe('plain text');
  });

  it('finds credentials inside free text', () => {
    const r = createRedactor();
    expect(r.text('Authorization: Bearer abc.def-ghi')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(r.text('sent bearer eyJhbGciOi== upstream')).toBe(`sent bearer ${REDACTED} upstream`);
    expect(r.text('WEBHOOK-AUTH: s3cr3t')).toBe(`WEBHOOK-AUTH: ${REDACTED}`);
    expect(r.text('https://x.test/cb?api_key=abc123&page=2')).toBe(
      `https://x.test/cb?api_key=${REDACTED}&page=2`,
    );
    expect(r.text('https://x.test/cb?hint_token=abc&token=def')).toBe(
      `https://x.test/cb?hint_token=${REDACTED}&token=${REDACTED}`,
    );
    expect(r.text('{"apiKey":"sk_1","name":"n"}')).toBe(`{"apiKey":"${REDACTED}","name":"n"}`);
    expect(r.text('https://user:hunter2@db.example.com/x')).toBe(`https://user:${REDACTED}@db.example.com/x`);
  });

  it('leaves ordinary text alone', () => {
    const r = createRedactor();
    for (const text of [
      'the token is expired',
      'request 12 was not found',
      '2026-01-05T12:00:00.000Z',
      'body.currency must be an ISO 4217 currency such as "CLP"',
      'https://hooks.example.com/concierge?page=2',
    ])
      expect(r.text(text)).toBe(text);
  });

  it('serialises bigint as text, so Money is exact and JSON-safe', () => {
    const out = redact({ amount: { amount: 123456789012345678901234567890n, currency: 'ARS', scale: 2 } });
    expect(out).toEqual({ amount: { amount: '123456789012345678901234567890', currency: 'ARS', scale: 2 } });
    expect(() => JSON.stringify(out)).not.toThrow();
  });

  it('cuts cycles and keeps shared references', () => {
    const shared = { v: 1 };
    const node: Record<string, unknown> = { name: 'a', shared, again: shared };
    node.self = node;
    node.list = [node, shared];
    expect(redact(node)).toEqual({
      name: 'a',
      shared: { v: 1 },
      again: { v: 1 },
      self: '[circular]',
      list: ['[circular]', { v: 1 }],
    });
  });

  it('turns errors into objects, redacting their text and fields', () => {
    const key = 'sk_live_err0r';
    const cause = new TypeError(`inner ${key}`);
    const error = Object.assign(new Error(`failed with ${key}`, { cause }), {
      code: 'E_X',
      apiKey: key,
    });
    const out = createRedactor({ secrets: [key] }).value({ err: error }) as {
      err: Record<string, unknown> & { cause: Record<string, unknown> };
    };
    expect(out.err.type).toBe('Error');
    expect(out.err.message).toBe(`failed with ${REDACTED}`);
    expect(out.err.code).toBe('E_X');
    expect(out.err.apiKey).toBe(REDACTED);
    expect(out.err.cause.type).toBe('TypeError');
    expect(out.err.cause.message).toBe(`inner ${REDACTED}`);
    expect(typeof out.err.stack).toBe('string');
    expect(JSON.stringify(out)).not.toContain(key);
  });

  it('handles the other shapes a log field may hold', () => {
    const out = redact({
      date: new Date(Date.UTC(2026, 0, 5)),
      bad: new Date(Number.NaN),
      url: new URL('https://u:pw@example.com/a?token=t'),
      map: new Map<unknown, unknown>([
        ['apiKey', 'k'],
        [1, 'one'],
      ]),
      set: new Set(['a']),
      headers: new Headers({ authorization: 'Bearer k', accept: 'json' }),
      bytes: new Uint8Array(3),
      fn: function named() {},
      sym: Symbol('s'),
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      re: /x/g,
    });
    expect(out).toEqual({
      date: '2026-01-05T00:00:00.000Z',
      bad: 'Invalid Date',
      url: `https://u:${REDACTED}@example.com/a?token=${REDACTED}`,
      map: { apiKey: REDACTED, 1: 'one' },
      set: ['a'],
      headers: { authorization: REDACTED, accept: 'json' },
      bytes: '[binary 3 bytes]',
      fn: '[function named]',
      sym: 'Symbol(s)',
      nan: 'NaN',
      inf: 'Infinity',
      re: '/x/g',
    });
  });

  it('stops at the maximum depth', () => {
    const deep = { a: { b: { c: { d: 1 } } } };
    expect(redact(deep, { maxDepth: 2 })).toEqual({ a: { b: '[truncated]' } });
  });

  it('survives a getter that throws', () => {
    const tricky = Object.defineProperty({ ok: 1 }, 'boom', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    expect(redact(tricky)).toEqual({ ok: 1, boom: '[unreadable]' });
  });

  it('never mutates its input', () => {
    const input = { apiKey: 'k', body: { cbu: '0170099220000067797370' }, n: 1n };
    const copy = structuredClone(input);
    redact(input);
    expect(input).toEqual(copy);
  });

  it('wraps a non-object as fields under `value`', () => {
    expect(createRedactor().fields('text' as never)).toEqual({ value: 'text' });
  });
});
