import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const packages = readdirSync(new URL('./packages', import.meta.url));

// Every workspace package resolves to its TypeScript source, so tests need no build.
const alias = packages.flatMap((name) => [
  { find: `@concierge-ts/${name}/testing`, replacement: `${root}packages/${name}/src/testing/index.ts` },
  { find: `@concierge-ts/${name}`, replacement: `${root}packages/${name}/src/index.ts` },
]);

export default defineConfig({
  resolve: { alias },
  test: {
    projects: packages.map((name) => ({
      resolve: { alias },
      test: {
        name,
        root: `${root}packages/${name}`,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        testTimeout: 60_000,
      },
    })),
  },
});
