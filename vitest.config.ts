import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const packages = readdirSync(new URL('./packages', import.meta.url));

type Manifest = { name: string; exports: Record<string, { default: string }> };

/**
 * Tests run from source: each package's name and subpaths resolve to the TypeScript file
 * its `exports` map builds from (`./dist/x/index.js` is built from `./src/x/index.ts`).
 * The aliases are read from the maps themselves, so a subpath that points at nothing is
 * a failing import here before it is one in an integrator's app.
 */
const alias = packages.flatMap((dir) => {
  const manifest = JSON.parse(readFileSync(`${root}packages/${dir}/package.json`, 'utf8')) as Manifest;
  return Object.entries(manifest.exports)
    .map(([subpath, target]) => ({
      find: new RegExp(`^${(manifest.name + subpath.slice(1)).replaceAll('/', '\\/')}$`),
      replacement: `${root}packages/${dir}/${target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')}`,
    }))
    .sort((a, b) => b.find.source.length - a.find.source.length);
});

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      ...packages.map((name) => ({
        resolve: { alias },
        test: {
          name,
          root: `${root}packages/${name}`,
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          testTimeout: 60_000,
          // Test files share one module graph per worker instead of importing every package
          // afresh per file: the suite's CPU time falls by about a third (no test relies on
          // fresh module state; each builds its own sandbox).
          isolate: false,
        },
      })),
      // The repository's own scripts (scoring of the mutation report).
      { test: { name: 'scripts', root: `${root}scripts`, include: ['*.test.ts'] } },
    ],
  },
});
