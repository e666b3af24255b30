import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as root from './index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## What it exports'), readme.indexOf('## Subpaths'));
/** The names the README lists as runtime values (`values:` and `functions:` lines, continued). */
const documentedValues = [
  ...section.matchAll(/^- (?:values|functions):([\s\S]*?)(?=^- |^\*\*|$(?![\s\S]))/gm),
]
  .flatMap((m) => [...(m[1] ?? '').matchAll(/`([A-Za-z_]\w*)`/g)].map((n) => n[1]))
  .sort();

describe('the public API of concierge-ts', () => {
  it('exports exactly the values its README lists', () => {
    expect(Object.keys(root).sort()).toEqual(documentedValues);
  });

  it('keeps internals out of the package root', () => {
    for (const internal of [
      'pow10',
      'divideDown',
      'ConciergeService',
      'presentRequest',
      'serviceClient',
      'inMemoryRepositories',
      'HttpTransport',
      'TokenBucket',
      'conciergeError',
      'transitionOutput',
    ])
      expect(root).not.toHaveProperty(internal);
  });
});
