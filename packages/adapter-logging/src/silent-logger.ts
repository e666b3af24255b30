import type { Logger } from '@concierge-ts/application';
import { type LogSink, redactingLogger } from './sink.js';

const nowhere: LogSink = {
  level: 'silent',
  isLevelEnabled: () => false,
  write: () => {},
  child: () => nowhere,
};

/** A `Logger` that writes nothing: every level is disabled, so nothing is even redacted. */
export const silentLogger: Logger = redactingLogger(nowhere);
