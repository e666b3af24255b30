#!/usr/bin/env node
import 'reflect-metadata';
import { createInterface } from 'node:readline/promises';
import { runConcierge } from './program.js';

const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);

process.exitCode = await runConcierge(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  write: (text) => process.stdout.write(text),
  env: process.env,
  cwd: process.cwd(),
  stdoutIsTTY: Boolean(process.stdout.isTTY),
  ...(interactive
    ? {
        confirm: async (question: string) => {
          const rl = createInterface({ input: process.stdin, output: process.stdout });
          try {
            return /^y(es)?$/i.test((await rl.question(question)).trim());
          } finally {
            rl.close();
          }
        },
      }
    : {}),
  onInterrupt: (handler) => {
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  },
  exit: (status) => process.exit(status),
});
