import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SHARED_REFERENCE_DIR, VENDORED_REFERENCE_DIR } from './reference.js';

const NAMES = ['published-examples.json', 'jsonapi-1.0.schema.json'] as const;
const shared = (name: string) => `${SHARED_REFERENCE_DIR.replace(/\/?$/, '/')}${name}`;

describe('the copy of the reference data kept in the repository', () => {
  it.each(NAMES)('%s is valid JSON with content', (name) => {
    const parsed = JSON.parse(readFileSync(`${VENDORED_REFERENCE_DIR}${name}`, 'utf8')) as object;
    expect(Object.keys(parsed).length).toBeGreaterThan(0);
  });

  it.runIf(NAMES.every((name) => existsSync(shared(name))))(
    'is byte for byte the shared reference it was copied from',
    () => {
      for (const name of NAMES) {
        expect(readFileSync(`${VENDORED_REFERENCE_DIR}${name}`), name).toEqual(readFileSync(shared(name)));
      }
    },
  );
});
