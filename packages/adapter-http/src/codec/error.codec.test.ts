import { type ConciergeError, conciergeError } from '@concierge-ts/application';
import { describe, expect, it } from 'vitest';
import { decodeErrorResponse, encodeError, httpStatusOf } from './error.codec.js';

describe('errors on the wire', () => {
  it('round-trips every kind of refusal through a JSON:API error document', () => {
    const errors: ConciergeError[] = [
      conciergeError.badRequest('invalid_page', 'page[size] must be a whole number', 'page[size]'),
      conciergeError.authentication(),
      conciergeError.permission('only master users'),
      conciergeError.notFound('concierge_request', '9'),
      conciergeError.conflict('invalid_transition', 'cannot cancel request 1: it is working'),
      conciergeError.unprocessable(
        'invalid_amount',
        '1.5 is not a valid CLP amount',
        '/data/attributes/amount',
      ),
      conciergeError.rateLimited(1500),
      conciergeError.server('boom', 503),
    ];
    for (const error of errors) {
      const document = JSON.parse(JSON.stringify(encodeError(error)));
      expect(document.errors[0].status).toBe(String(httpStatusOf(error)));
      expect(decodeErrorResponse(httpStatusOf(error), document)).toEqual(error);
    }
  });

  it('names query parameters as parameters and body fields as pointers', () => {
    expect(encodeError(conciergeError.badRequest('x', 'y', 'page[number]')).errors[0]?.source).toEqual({
      parameter: 'page[number]',
    });
    expect(encodeError(conciergeError.unprocessable('x', 'y', '/data/id')).errors[0]?.source).toEqual({
      pointer: '/data/id',
    });
    expect(encodeError(conciergeError.badRequest('invalid_document', 'y', '')).errors[0]?.source).toEqual({
      pointer: '',
    });
    // A refused query parameter is a parameter whatever its name looks like.
    for (const parameter of ['/data', '', 'sort', 'fields[users]'])
      expect(
        encodeError(conciergeError.badRequest('invalid_parameter', 'y', parameter)).errors[0]?.source,
      ).toEqual({ parameter });
  });

  it('types an answer that is not a JSON:API error document by its status', () => {
    expect(decodeErrorResponse(502, '<html>bad gateway</html>')).toMatchObject({
      type: 'server',
      status: 502,
      code: 'http_502',
    });
    expect(decodeErrorResponse(429, undefined, 2000)).toMatchObject({
      type: 'rate_limited',
      retryAfterMs: 2000,
    });
    expect(decodeErrorResponse(408, {})).toMatchObject({ type: 'timeout', status: 408 });
    expect(decodeErrorResponse(415, { errors: [] })).toMatchObject({ type: 'bad_request', status: 415 });
    expect(decodeErrorResponse(410, null)).toMatchObject({ type: 'not_found' });
  });
});
