import type { Currency, Money, Rate } from '@concierge-ts/domain';
import type { z } from 'zod';
import { decodeMoney, decodeRate, decodeTime, isDomainError, portCurrency } from './values.js';

/**
 * Helpers for codec `decode` functions: each reads one wire value into its domain form,
 * or records an issue at its path (relative to the resource) and returns null. zod then
 * reports the first issue with its full JSON pointer and discards the value, so a caller
 * may treat a null from a required field as unreachable.
 */

export type Payload = z.core.ParsePayload<unknown>;
type Path = readonly PropertyKey[];

export const addIssue = (payload: Payload, path: Path, message: string, input: unknown): null => {
  payload.issues.push({ code: 'custom', message, input, path: [...path] });
  return null;
};

export const readCurrency = (payload: Payload, portCode: string, path: Path): Currency | null =>
  portCurrency(portCode) ?? addIssue(payload, path, `${portCode.slice(0, 40)} is not a port code`, portCode);

export const readMoney = (
  payload: Payload,
  value: unknown,
  currency: Currency | null,
  path: Path,
): Money | null => {
  if (currency === null) return null;
  const m = decodeMoney(value, currency);
  return isDomainError(m) ? addIssue(payload, path, m.message, value) : m;
};

/** Absent or null stays null. */
export const readMoneyOrNull = (
  payload: Payload,
  value: unknown,
  currency: Currency | null,
  path: Path,
): Money | null => (value === null || value === undefined ? null : readMoney(payload, value, currency, path));

export const readRateOrNull = (payload: Payload, value: unknown, path: Path): Rate | null => {
  if (value === null || value === undefined) return null;
  const r = decodeRate(value);
  return isDomainError(r) ? addIssue(payload, path, r.message, value) : r;
};

export const readTime = (payload: Payload, value: string, path: Path): string => {
  const time = decodeTime(value);
  if (time !== undefined) return time;
  addIssue(payload, path, 'expected an ISO 8601 timestamp', value);
  return '';
};

export const readTimeOrNull = (
  payload: Payload,
  value: string | null | undefined,
  path: Path,
): string | null => (value === null || value === undefined ? null : readTime(payload, value, path));
