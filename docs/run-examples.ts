import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createSandboxApp, listenOnLoopback } from '@concierge-ts/sandbox-server';
import { createInMemoryConcierge } from 'concierge-ts';
import { syncGuides } from './embed.js';

/**
 * Runs every docs/examples/*.ts with tsx, and every docs/examples/*.sh with bash against
 * a fresh sandbox server on loopback (seeded as `pnpm sandbox`, key sk_sandbox_demo);
 * the guides show these files, so they cannot drift from the code.
 */
const dir = fileURLToPath(new URL('./examples/', import.meta.url));
const examples = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') || f.endsWith('.sh'))
  .sort();

const run = (command: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ ok: boolean; output: string }>((resolve) => {
    // Five minutes: the payouts script starts the `concierge` command (and its embedded journal) six times.
    const child = spawn(command, args, { env: { ...process.env, ...env }, timeout: 300_000 });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('close', (code) => resolve({ ok: code === 0, output }));
  });

const runShell = async (file: string) => {
  const key = 'sk_sandbox_demo';
  const app = createSandboxApp(createInMemoryConcierge({ masterApiKey: key }), {
    rateLimit: 0,
    webhooks: false,
  });
  const server = await listenOnLoopback(app);
  try {
    return await run('bash', [file], { BASE: server.url, KEY: key });
  } finally {
    app.close();
    await server.close();
  }
};

let failed = 0;
for (const file of examples) {
  const path = `${dir}${file}`;
  const result = file.endsWith('.sh')
    ? await runShell(path)
    : await run(process.execPath, ['--import', 'tsx', path]);
  if (!result.ok) failed += 1;
  console.log(`${result.ok ? 'ok  ' : 'FAIL'} docs/examples/${file}`);
  if (!result.ok) console.log(result.output);
}
// Every guide's code blocks must equal the files (and tables) they come from.
const guides = syncGuides(false);
for (const check of guides) {
  const ok = check.problems.length === 0;
  if (!ok) failed += 1;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} docs/${check.guide} (${check.blocks} blocks from examples and tables)`,
  );
  for (const problem of check.problems) console.log(`     ${problem}`);
}
console.log(`${examples.length + guides.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
