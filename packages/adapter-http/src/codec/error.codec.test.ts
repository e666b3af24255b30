import { type ConciergeError, conciergeError, type Field, field } from '@concierge-ts/application';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeErrorResponse, encodeError, httpStatusOf } from './error.codec.js';
import { fieldOfSource } from './json-api.js';

describe('errors on the wire', () => {
  it('round-trips every kind of refusal through a JSON:API error document', () => {
    const errors: ConciergeError[] = [
      conciergeError.badRequest(
        'invalid_page',
        'page[size] must be a whole number',
        field.parameter('page[size]'),
      ),
      conciergeError.authentication(),
      conciergeError.permission('only master users'),
      conciergeError.notFound('concierge_request', '9'),
      conciergeError.conflict('invalid_transition', 'cannot cancel request 1: it is working'),
      conciergeError.unprocessable(
        'invalid_amount',
        '1.5 is not a valid CLP amount',
        field.attribute('amount'),
      ),
      conciergeError.unprocessable('invalid_check_digit', 'bad CBU', field.attribute('body', 'cbu')),
      conciergeError.unprocessable('invalid_amount', 'bad', field.attribute('outputs', 2, 'amount')),
      conciergeError.unprocessable('unknown_user', 'no such user', field.relationship('user')),
      conciergeError.badRequest('invalid_document', 'not JSON', field.path()),
      conciergeError.rateLimited(1500),
      conciergeError.server('boom', 503),
    ];
    for (const error of errors) {
      const document = JSON.parse(JSON.stringify(encodeError(error)));
      expect(document.errors[0].status).toBe(String(httpStatusOf(error)));
      expect(decodeErrorResponse(httpStatusOf(error), document)).toEqual(error);
    }
  });

  it('renders a field as the JSON:API source: parameters by name, the rest as RFC 6901 pointers', () => {
    const sourceOf = (f: Field) => encodeError(conciergeError.unprocessable('x', 'y', f)).errors[0]?.source;
    expect(sourceOf(field.parameter('page[number]'))).toEqual({ parameter: 'page[number]' });
    expect(sourceOf(field.attribute('port_code'))).toEqual({ pointer: '/data/attributes/port_code' });
    expect(sourceOf(field.attribute('body', 'cbu'))).toEqual({ pointer: '/data/attributes/body/cbu' });
    expect(sourceOf(field.attribute('outputs', 0, 'amount'))).toEqual({
      pointer: '/data/attributes/outputs/0/amount',
    });
    expect(sourceOf(field.attribute())).toEqual({ pointer: '/data/attributes' });
    expect(sourceOf(field.relationship('withdrawal_instruction'))).toEqual({
      pointer: '/data/relationships/withdrawal_instruction',
    });
    expect(sourceOf(field.path('data', 'id'))).toEqual({ pointer: '/data/id' });
    expect(sourceOf(field.path('amount'))).toEqual({ pointer: '/amount' });
    expect(sourceOf(field.path())).toEqual({ pointer: '' });
    // RFC 6901: `~` is written `~0` and `/` is written `~1`, and read back.
    expect(sourceOf(field.attribute('body', 'a/b~c'))).toEqual({ pointer: '/data/attributes/body/a~1b~0c' });
    expect(fieldOfSource({ pointer: '/data/attributes/body/a~1b~0c' })).toEqual(
      field.attribute('body', 'a/b~c'),
    );
    // `~01` is `~1` escaped, not `/`: unescaping `~1` first keeps them apart.
    expect(fieldOfSource({ pointer: '/data/attributes/~01' })).toEqual(field.attribute('~1'));
  });

  it('reads the field of a source as the server meant it', () => {
    expect(fieldOfSource({ pointer: '/data/relationships/user' })).toEqual(field.relationship('user'));
    // Inside a relationship's linkage is the document's structure, not the relationship.
    expect(fieldOfSource({ pointer: '/data/relationships/user/data/type' })).toEqual(
      field.path('data', 'relationships', 'user', 'data', 'type'),
    );
    expect(fieldOfSource({ pointer: '/data/attributes/outputs/12/budget' })).toEqual(
      field.attribute('outputs', 12, 'budget'),
    );
    // Only a canonical index is an index: `01` is a member's name.
    expect(fieldOfSource({ pointer: '/data/attributes/body/01' })).toEqual(field.attribute('body', '01'));
    expect(fieldOfSource({ parameter: 'include' })).toEqual(field.parameter('include'));
    expect(fieldOfSource(undefined)).toBeUndefined();
    // A 422 that names nothing is about the document as a whole.
    expect(decodeErrorResponse(422, { errors: [{ status: '422', code: 'x' }] })).toMatchObject({
      type: 'unprocessable',
      field: field.path(),
    });
  });

  const name = fc.string({ maxLength: 6 }).filter((s) => !/^(?:0|[1-9][0-9]*)$/.test(s));
  const segments = fc.array(fc.oneof(name, fc.nat({ max: 10_000 })), { maxLength: 4 });
  const wireField: fc.Arbitrary<Field> = fc.oneof(
    segments.map((path) => field.attribute(...path)),
    name.map((n) => field.relationship(n)),
    name.map((n) => field.parameter(n)),
    // A path that is not under /data/attributes nor exactly a relationship.
    segments.filter((path) => path[0] !== 'data').map((path) => field.path(...path)),
  );
  it('a field read back from its source is the field the server sent', () => {
    fc.assert(
      fc.property(wireField, (f) => {
        const document = JSON.parse(JSON.stringify(encodeError(conciergeError.unprocessable('x', 'y', f))));
        expect(fieldOfSource(document.errors[0].source)).toEqual(f);
      }),
    );
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
