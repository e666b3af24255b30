import { err, ok, type Result } from 'neverthrow';
import { formatScaled, parseDecimal, pow10 } from './decimal.js';
import type { DomainError } from './errors.js';

/** Rates and fee fractions carry 8 decimal places: value = units / 10^8. */
export const RATE_SCALE = 8;
export const RATE_ONE = pow10(RATE_SCALE);

export interface Rate {
  readonly units: bigint;
}

const refuse = (input: unknown, why: string): DomainError => ({
  type: 'InvalidRate',
  code: 'invalid_rate',
  input: typeof input === 'string' ? input.slice(0, 40) : String(input),
  message: `${String(input).slice(0, 40)} is not a valid rate: ${why}`,
});

/** A rate from decimal text or a number, with at most 8 decimals, positive. */
export const parseRate = (input: unknown): Result<Rate, DomainError> => {
  if (typeof input === 'number' && !Number.isFinite(input)) return err(refuse(input, 'it must be finite'));
  if (typeof input !== 'number' && typeof input !== 'string') return err(refuse(input, 'expected a number'));
  const parsed = parseDecimal(String(input));
  if (!parsed) return err(refuse(input, 'expected a decimal number'));
  if (parsed.coefficient <= 0n) return err(refuse(input, 'it must be greater than zero'));
  if (parsed.scale > RATE_SCALE) return err(refuse(input, `at most ${RATE_SCALE} decimals`));
  return ok({ units: parsed.coefficient * pow10(RATE_SCALE - parsed.scale) });
};

/** A fee fraction in [0, 1), with at most 8 decimals. */
export const parseFee = (input: unknown): Result<Rate, DomainError> => {
  // No fee, however it is spelled ("0", "0.00", 0): parseRate refuses zero as a rate.
  if (
    (typeof input === 'number' || typeof input === 'string') &&
    parseDecimal(String(input))?.coefficient === 0n
  )
    return ok({ units: 0n });
  return parseRate(input).andThen((fee) =>
    fee.units < RATE_ONE ? ok(fee) : err(refuse(input, 'a fee must be below 1')),
  );
};

export const rateText = (rate: Rate): string => formatScaled(rate.units, RATE_SCALE);
export const rateToNumber = (rate: Rate): number => Number(rateText(rate));
