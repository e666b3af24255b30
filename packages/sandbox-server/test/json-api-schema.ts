import { readFileSync } from 'node:fs';
import type { FetchLike } from '@concierge-ts/adapter-http';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { referencePath } from './reference.js';

/**
 * The official JSON:API 1.0 schema (shared/reference beside the repository, or the copy in test/reference), compiled
 * as its README says: ajv for draft 2020-12, strict except `strictRequired`, with
 * ajv-formats (links are checked as `uri`: absolute, brackets percent-encoded).
 */
const SCHEMA_URL = referencePath('jsonapi-1.0.schema.json');

const ajv = new Ajv2020.default({ strict: true, strictRequired: false, allErrors: true });
addFormats.default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object);

/** What the schema finds wrong with a response document: empty when it is valid. */
export const schemaErrors = (document: unknown): string[] =>
  validate(document)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());

const JSON_API = 'application/vnd.api+json';

export interface Violation {
  readonly call: string;
  readonly status: number;
  readonly errors: readonly string[];
  readonly document: unknown;
}

/**
 * Every answer seen, checked: a body sent as `application/vnd.api+json` must be a JSON
 * document that the schema accepts. Answers in another media type (the operator's plain
 * JSON) and empty ones are counted apart, by call, for a test to say which may exist.
 */
export class DocumentCheck {
  documents = 0;
  readonly violations: Violation[] = [];
  /** `METHOD /path status content-type` of each answer that was not a JSON:API document. */
  readonly other: string[] = [];

  /** Checks one answer; returns its violation, if any. */
  check(method: string, url: string, status: number, contentType: string | null, text: string) {
    const path = new URL(url, 'http://sandbox.test').pathname;
    const call = `${method} ${path}`;
    if (contentType !== JSON_API || text === '') {
      this.other.push(`${call} ${status} ${contentType ?? '(none)'}${text === '' ? ' (empty)' : ''}`);
      return undefined;
    }
    this.documents += 1;
    let document: unknown;
    let errors: string[];
    try {
      document = JSON.parse(text);
      errors = schemaErrors(document);
    } catch {
      document = text.slice(0, 200);
      errors = ['the body is not JSON'];
    }
    if (errors.length === 0) return undefined;
    const violation: Violation = { call, status, errors, document };
    this.violations.push(violation);
    return violation;
  }

  /** Checks a response without consuming it. */
  async checkResponse(method: string, url: string, response: Response) {
    return this.check(
      method,
      url,
      response.status,
      response.headers.get('content-type'),
      method === 'HEAD' ? '' : await response.clone().text(),
    );
  }

  /** `fetch` that checks every answer on its way back. */
  wrap(fetch: FetchLike): FetchLike {
    return async (input, init) => {
      const response = await fetch(input, init);
      const [method, url] =
        input instanceof Request
          ? [input.method, input.url]
          : [init?.method ?? 'GET', input instanceof URL ? input.href : input];
      await this.checkResponse(method.toUpperCase(), url, response);
      return response;
    };
  }
}
