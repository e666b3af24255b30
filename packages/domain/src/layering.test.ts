/// <reference types="node" />
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layering of DESIGN.md, checked on the sources: the domain imports no workspace
 * package and nothing that does I/O; the application imports only the domain.
 */
const packages = join(import.meta.dirname, '..', '..');

const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });

const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map(
    (m) => m[1] as string,
  );

const check = (pkg: string, allowed: (specifier: string, file: string) => boolean) =>
  sources(join(packages, pkg, 'src')).flatMap((file) =>
    importsOf(file)
      .filter((s) => !s.startsWith('.') && !allowed(s, file))
      .map((s) => `${file.slice(packages.length + 1)} imports ${s}`),
  );

describe('layering', () => {
  it('reads the imports it checks', () => {
    const found = sources(join(packages, 'application', 'src')).flatMap(importsOf);
    expect(found).toContain('@concierge-ts/domain');
    expect(found).toContain('neverthrow');
  });

  it('the domain imports only neverthrow, ts-pattern, dinero.js, stdnum and ibantools (and fast-check in ./testing)', () => {
    const violations = check(
      'domain',
      (s, file) =>
        [
          'neverthrow',
          'ts-pattern',
          'dinero.js/bigint',
          'dinero.js/bigint/currencies',
          'stdnum',
          'ibantools',
        ].includes(s) ||
        (file.includes('/testing/') && s === 'fast-check'),
    );
    expect(violations).toEqual([]);
  });

  it('the application imports only the domain, neverthrow and ts-pattern (and the test runners in ./testing)', () => {
    const violations = check(
      'application',
      (s, file) =>
        ['@concierge-ts/domain', 'neverthrow', 'ts-pattern'].includes(s) ||
        (file.includes('/testing/') &&
          ['vitest', 'node:test', 'node:assert/strict', 'node:util'].includes(s)),
    );
    expect(violations).toEqual([]);
  });

  it('adapters import no other adapter', () => {
    const adapters = ['adapter-memory', 'adapter-http', 'adapter-logging'];
    const violations = adapters.flatMap((pkg) =>
      check(pkg, (s) => !adapters.some((other) => other !== pkg && s.startsWith(`@concierge-ts/${other}`))),
    );
    expect(violations).toEqual([]);
  });
});
