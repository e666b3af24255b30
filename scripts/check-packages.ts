import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `pnpm check:packages`: what an integrator gets from npm, checked from the outside.
 *
 * 1. Packs every published package (pnpm turns `workspace:^` into versions).
 * 2. publint and arethetypeswrong (ESM-only profile) on every tarball.
 * 3. A fresh app in a temporary directory outside the workspace installs the tarballs
 *    with npm, compiles scripts/smoke-app with tsc (NodeNext and every strict flag,
 *    `skipLibCheck: false`), runs it with plain node, `require`s concierge-ts, runs
 *    `npx concierge --help` without tsx, and runs the exported contract suite with vitest;
 *    another app installs concierge-ts alone, and its tree must hold no test tooling: there
 *    the suite runs again, compiled by the first app, under `node --test` (so
 *    `concierge-ts/testing/node` must not need vitest or fast-check).
 *
 * Prints one line per check and closes with `N passed, M failed`. Needs a build first
 * (`pnpm build`). KEEP_APP=1 keeps the temporary app for a look.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const TEST_TOOLING = ['vitest', 'vite', '@vitest/runner', 'rolldown', 'esbuild', 'fast-check', 'tsx'];

interface Ran {
  readonly ok: boolean;
  readonly output: string;
}

// A clean environment: none of the npm_config_* variables pnpm sets for its scripts.
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')),
);

const exec = (command: string, args: readonly string[], cwd: string) =>
  new Promise<Ran>((resolve) => {
    const child = spawn(command, args, { cwd, env: cleanEnv, timeout: 300_000 });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', (error) => resolve({ ok: false, output: `${output}${error.message}` }));
    child.on('close', (code) => resolve({ ok: code === 0, output }));
  });

/** Runs tasks at most `limit` at a time, keeping their order in the answer. */
const pool = async <T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> => {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await task(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
};

let passed = 0;
let failed = 0;
const report = (name: string, ok: boolean, detail = '') => {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}`);
  if (!ok && detail) console.log(detail.replace(/^/gm, '     '));
};

interface Published {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
}

const published: Published[] = readdirSync(join(root, 'packages'))
  .map((dir) => ({
    dir,
    manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
  }))
  .filter(({ manifest }) => manifest.private !== true)
  .map(({ dir, manifest }) => ({
    dir: join(root, 'packages', dir),
    name: manifest.name,
    version: manifest.version,
  }));

const work = mkdtempSync(join(tmpdir(), 'concierge-packages-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
const lean = join(work, 'lean-app');

/** Every package under a node_modules directory, scoped ones included. */
const installedNames = (dir: string): string[] =>
  readdirSync(dir)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(dir, name)).map((n) => `${name}/${n}`) : [name],
    );
const parallel = Math.max(2, availableParallelism());

try {
  // 1. Pack.
  const packed = await pool(published, parallel, async (p) => {
    const ran = await exec('pnpm', ['pack', '--pack-destination', tarballs], p.dir);
    const file = ran.output
      .trim()
      .split('\n')
      .reverse()
      .find((line) => line.endsWith('.tgz'));
    return { ...p, ran, tarball: file?.trim() ?? '' };
  });
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  for (const p of packed) {
    report(`pack ${p.name}`, p.ran.ok && existsSync(p.tarball), p.ran.output);
    const shipped = await exec('tar', ['-xzOf', p.tarball, 'package/LICENSE'], root);
    report(
      `${p.name} ships the LICENSE`,
      shipped.ok && shipped.output === license,
      shipped.output.slice(0, 200),
    );
  }
  const tarballOf = new Map(packed.map((p) => [p.name, p.tarball]));

  const bin = (name: string) => join(root, 'node_modules', '.bin', name);
  const file = (name: string) => `file:${tarballOf.get(name)}`;
  // The workspace's own packages come from their tarballs, never from the registry.
  const overrides = Object.fromEntries(published.map((p) => [p.name, file(p.name)]));

  // 2. publint and arethetypeswrong on what would be published, while npm installs the
  // apps of step 3 and concierge-ts alone in an empty one (its production tree).
  cpSync(join(root, 'scripts', 'smoke-app'), app, { recursive: true });
  mkdirSync(lean);
  writeFileSync(
    join(lean, 'package.json'),
    `${JSON.stringify({ name: 'lean-app', private: true, type: 'module', dependencies: { 'concierge-ts': file('concierge-ts') }, overrides }, null, 2)}\n`,
  );
  const devVersions = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies as Record<
    string,
    string
  >;
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify(
      {
        name: 'smoke-app',
        private: true,
        type: 'module',
        dependencies: {
          'concierge-ts': file('concierge-ts'),
          '@concierge-ts/cli': file('@concierge-ts/cli'),
        },
        devDependencies: {
          typescript: devVersions['typescript'],
          vitest: devVersions['vitest'],
          'fast-check': devVersions['fast-check'],
          '@types/node': devVersions['@types/node'],
        },
        overrides,
      },
      null,
      2,
    )}\n`,
  );
  const npmInstall = (dir: string) =>
    exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], dir);
  const appInstall = npmInstall(app);
  const [leanInstall, lints] = await Promise.all([
    npmInstall(lean),
    pool(packed, parallel, async (p) => ({
      p,
      publint: await exec(bin('publint'), ['run', p.tarball, '--strict'], root),
      attw: await exec(bin('attw'), [p.tarball, '--profile', 'esm-only', '--format', 'ascii'], root),
    })),
  ]);
  for (const { p, publint, attw } of lints) {
    const clean = publint.ok && /All good!/.test(publint.output);
    report(`publint ${p.name}`, clean, publint.output);
    // Exits non-zero on any problem the ESM-only profile does not ignore (CommonJS
    // resolution is ignored: Node 20.19+ require()s ES modules).
    report(`attw ${p.name}`, attw.ok, attw.output);
  }
  report('npm install concierge-ts alone in an empty app', leanInstall.ok, leanInstall.output);
  if (leanInstall.ok) {
    const names = installedNames(join(lean, 'node_modules'));
    const tooling = names.filter((n) => TEST_TOOLING.includes(n));
    report(
      `installing concierge-ts alone brings no test tooling (${names.length} packages)`,
      tooling.length === 0 && names.includes('concierge-ts'),
      `found: ${tooling.join(', ')}`,
    );
  }

  // 3. A fresh app outside the workspace, installed from the tarballs with npm.
  const install = await appInstall;
  report('npm install of the tarballs in a fresh app', install.ok, install.output);
  if (install.ok) {
    const tsc = await exec(join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], app);
    report('tsc (NodeNext, strict flags, skipLibCheck false): 0 errors', tsc.ok, tsc.output);
    if (tsc.ok) {
      const run = await exec('node', ['dist/src/app.js'], app);
      report(
        'the app runs with plain node',
        run.ok &&
          /smoke: request \d+ \w+, 2 outputs/.test(run.output) &&
          /refused with invalid_config/.test(run.output),
        run.output,
      );
    }
    const required = await exec(
      'node',
      [
        '-e',
        "const c = require('concierge-ts'); if (typeof c.createConcierge !== 'function') process.exit(1)",
      ],
      app,
    );
    report("require('concierge-ts') works", required.ok, required.output);

    const noTsx = !existsSync(join(app, 'node_modules', 'tsx'));
    const help = await exec('npx', ['--no-install', 'concierge', '--help'], app);
    report(
      'npx concierge --help runs with plain node (no tsx installed)',
      noTsx && help.ok && help.output.includes('Usage: concierge'),
      noTsx ? help.output : 'tsx is installed in the app',
    );
    const version = await exec('npx', ['--no-install', 'concierge', '--version'], app);
    const cliVersion = published.find((p) => p.name === '@concierge-ts/cli')?.version ?? '?';
    report(
      'npx concierge --version',
      version.ok && version.output.trim().endsWith(cliVersion),
      version.output,
    );

    const contract = await exec(join(app, 'node_modules', '.bin', 'vitest'), ['run', '--reporter=dot'], app);
    report('the exported contract suite passes in the app (vitest)', contract.ok, contract.output);

    // The same suite under node:test, in the app that has concierge-ts alone: an import of
    // vitest or fast-check on the way would fail there.
    if (tsc.ok && leanInstall.ok) {
      const present = TEST_TOOLING.filter((name) => existsSync(join(lean, 'node_modules', name)));
      cpSync(join(app, 'dist', 'test', 'contract.node-test.js'), join(lean, 'contract.node-test.js'));
      const nodeTest = await exec('node', ['--test', '--test-reporter=spec', 'contract.node-test.js'], lean);
      const passing = Number(/ℹ pass (\d+)/.exec(nodeTest.output)?.[1] ?? 0);
      report(
        `the exported contract suite passes under node --test, with no vitest or fast-check installed (${passing} tests)`,
        present.length === 0 && nodeTest.ok && passing > 0 && /ℹ fail 0\b/.test(nodeTest.output),
        present.length > 0 ? `installed: ${present.join(', ')}` : nodeTest.output,
      );
    }
  }
} finally {
  if (process.env['KEEP_APP']) console.log(`app kept in ${app}`);
  else rmSync(work, { recursive: true, force: true });
}

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
