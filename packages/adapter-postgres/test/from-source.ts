import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Child processes that run TypeScript from source, as the tests do (tsx, with each
 * workspace package's name mapped to its `src/` the way the vitest aliases map it), so a
 * test with real processes needs no build and never races `tsc -b` in `pnpm test`.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

type Manifest = { name: string; exports: Record<string, { default: string }> };

let tsconfig: string | undefined;

/** A tsconfig whose `paths` send `@concierge-ts/x[/sub]` to the source file its `exports` map builds from. */
const sourceTsconfig = (): string => {
  if (tsconfig !== undefined) return tsconfig;
  const paths: Record<string, string[]> = {};
  for (const dir of readdirSync(join(ROOT, 'packages'))) {
    const manifest = JSON.parse(
      readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8'),
    ) as Manifest;
    for (const [subpath, target] of Object.entries(manifest.exports))
      paths[manifest.name + subpath.slice(1)] = [
        `packages/${dir}/${target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')}`,
      ];
  }
  const file = join(mkdtempSync(join(tmpdir(), 'concierge-tsx-')), 'tsconfig.json');
  writeFileSync(file, JSON.stringify({ compilerOptions: { baseUrl: ROOT, paths } }));
  tsconfig = file;
  return file;
};

export interface Child {
  readonly process: ChildProcess;
  /** Every line printed so far, parsed when it is JSON. */
  readonly lines: unknown[];
  /** Standard error so far. */
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
}

/** Runs a TypeScript file from source in a child process; `onLine` sees each line of its standard output. */
export const runFromSource = (
  file: string,
  env: Readonly<Record<string, string>>,
  onLine?: (line: unknown) => void,
): Child => {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', TSX_TSCONFIG_PATH: sourceTsconfig(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: unknown[] = [];
  let pending = '';
  let errors = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    for (let at = pending.indexOf('\n'); at >= 0; at = pending.indexOf('\n')) {
      const text = pending.slice(0, at);
      pending = pending.slice(at + 1);
      let line: unknown = text;
      try {
        line = JSON.parse(text);
      } catch {
        // Not JSON: kept as text.
      }
      lines.push(line);
      onLine?.(line);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, lines, stderr: () => errors, exited };
};
