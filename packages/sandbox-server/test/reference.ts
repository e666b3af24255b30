import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where the provider's reference data is read from: the directory named by
 * `CONCIERGE_REFERENCE_DIR`, else `shared/reference` beside the repository (the source of
 * truth), else the copy kept in this package (`test/reference`), so that a clone placed
 * anywhere still runs the replay and schema tests.
 */
const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const VENDORED_REFERENCE_DIR = fileURLToPath(new URL('./reference/', import.meta.url));
export const SHARED_REFERENCE_DIR =
  process.env.CONCIERGE_REFERENCE_DIR ?? `${REPOSITORY_ROOT}../shared/reference/`;

export const referencePath = (name: 'published-examples.json' | 'jsonapi-1.0.schema.json'): string => {
  const shared = `${SHARED_REFERENCE_DIR.replace(/\/?$/, '/')}${name}`;
  return existsSync(shared) ? shared : `${VENDORED_REFERENCE_DIR}${name}`;
};
