import type { LogFields, Logger } from '@concierge-ts/application';
import { createRedactor, type Redactor } from './redact.js';
import { levelMethods, type WritableLevel } from './sink.js';

/** Exact values to mask: a fixed list, or a function read at each line (secrets learnt as time goes on). */
export type SecretSource = readonly string[] | (() => Iterable<string>);

/**
 * A logger that masks these exact values wherever they appear (fields, nested text,
 * messages; as the `secrets` option does) before handing each line to `logger`, which
 * then applies its own redaction. For a logger made elsewhere, or secrets only known
 * later: the API keys a server learns as callers authenticate. Child bindings are masked
 * with the secrets known when the child is made. Nothing is computed for a disabled level.
 */
export const withSecrets = (logger: Logger, secrets: SecretSource): Logger => {
  let known: string | undefined;
  let redactor: Redactor = createRedactor();
  const current = (): Redactor => {
    const list = typeof secrets === 'function' ? [...secrets()] : secrets;
    const key = list.join('\u0000');
    if (key !== known) {
      redactor = createRedactor({ secrets: list });
      known = key;
    }
    return redactor;
  };
  const emit =
    (level: WritableLevel) =>
    (fields: LogFields, message?: string): void => {
      if (!logger.isLevelEnabled(level)) return;
      const r = current();
      const clean = r.fields(fields ?? {});
      if (message === undefined) logger[level](clean);
      else logger[level](clean, r.text(String(message)));
    };
  return {
    get level() {
      return logger.level;
    },
    isLevelEnabled: (level) => logger.isLevelEnabled(level),
    ...levelMethods(emit),
    child: (bindings) => withSecrets(logger.child(current().fields(bindings ?? {})), secrets),
  };
};
