import { describe, expect, it } from 'vitest';
import { checkInstructionBody } from './withdrawal-instruction.js';

/**
 * SPEC sections 5 and 7.1: a withdrawal instruction's body has the published shape and every
 * account identifier passes its standard's check; a refusal names the field and the check that
 * failed (its reason is the error's code). The numbers below are worked out by hand from each
 * standard's published rule.
 */

/** An `international_bank` body, whose fields include every identifier, with one field set. */
const bodyWith = (field: string, value: unknown) => ({
  payment_method: 'international_bank',
  country: 'OTHER',
  currency: 'USD',
  [field]: value,
});

const accepted = (field: string, value: string) =>
  (checkInstructionBody(bodyWith(field, value))._unsafeUnwrap() as Record<string, string>)[field];

const refusal = (field: string, value: unknown) => {
  const error = checkInstructionBody(bodyWith(field, value))._unsafeUnwrapErr();
  return { field: error.field, reason: error.type === 'InvalidField' ? error.reason : error.type };
};

const IDENTIFIER_FIELDS = ['cbu', 'cuit', 'clabe', 'rut', 'routing_number', 'iban', 'bank_swift'];

describe('every identifier', () => {
  it.each(IDENTIFIER_FIELDS)('%s given as blanks only is empty', (field) => {
    expect(refusal(field, '   ')).toEqual({ field: ['body', field], reason: 'empty' });
    expect(refusal(field, ' \t ')).toEqual({ field: ['body', field], reason: 'empty' });
  });

  // No identifier has half of 64 characters: longer input is a wrong length before it is parsed,
  // whatever else is wrong with it (65 letters are not digits either, nor an IBAN's country code).
  it.each(IDENTIFIER_FIELDS)(
    '%s of 65 characters is a wrong length; of 64 letters, a format error or a bad part',
    (field) => {
      expect(refusal(field, 'Q'.repeat(65))).toEqual({ field: ['body', field], reason: 'invalid_length' });
      // (A BIC has its own length, 8 or 11: 64 letters are a wrong length there too.)
      if (field !== 'bank_swift') expect(refusal(field, 'Q'.repeat(64)).reason).not.toBe('invalid_length');
    },
  );
});

describe('CBU (BCRA): 22 digits, two blocks each closed by a check digit', () => {
  // Bank and branch 285 0590, check 9: 0·3 + 9·1 + 5·7 + 0·9 + 5·3 + 8·1 + 2·7 = 81, (10 − 1) mod 10 = 9.
  it('a CBU whose two check digits hold is accepted', () => {
    expect(accepted('cbu', '2850590940904181352016')).toBe('2850590940904181352016');
  });

  it('one digit more or less is a wrong length, even when each block ends in its check digit', () => {
    // 2850590 9 | 40904181352011 9 and 2850590 9 | 409041813520 7: the BCRA weights give each block's last digit.
    expect(refusal('cbu', '28505909409041813520119')).toEqual({
      field: ['body', 'cbu'],
      reason: 'invalid_length',
    });
    expect(refusal('cbu', '285059094090418135207')).toEqual({
      field: ['body', 'cbu'],
      reason: 'invalid_length',
    });
  });
});

describe('CUIT (11 digits) and CLABE (18 digits)', () => {
  it.each([
    ['cuit', '5'],
    ['cuit', '2012345678'],
    ['clabe', '5'],
    ['clabe', '00218000011835971'],
  ])('%s %s has the wrong number of digits', (field, value) => {
    expect(refusal(field, value)).toEqual({ field: ['body', field], reason: 'invalid_length' });
  });
});

describe('RUT (SII): digits and a check digit, 0 to 9 or K', () => {
  // 12.345.678: 8·2 + 7·3 + 6·4 + 5·5 + 4·6 + 3·7 + 2·2 + 1·3 = 138, 11 − (138 mod 11) = 5.
  it('a RUT written as in Chile is accepted in its compact form', () => {
    expect(accepted('rut', '12.345.678-5')).toBe('123456785');
  });

  it.each(['A2345678-5', '1234567K-5', '12.345.678-X', '1234567A-5'])(
    '%s has a character a RUT never has where it is',
    (value) => {
      expect(refusal('rut', value)).toEqual({ field: ['body', 'rut'], reason: 'invalid_format' });
    },
  );
});

describe('IBAN (ISO 13616)', () => {
  it('an IBAN in its print format (groups of four, spaces between) is accepted, kept without spaces', () => {
    expect(accepted('iban', 'GB82 WEST 1234 5698 7654 32')).toBe('GB82WEST12345698765432');
    expect(accepted('iban', 'gb82 west 1234 5698 7654 32')).toBe('GB82WEST12345698765432');
  });

  it('a character other than letters and digits is a format error', () => {
    expect(refusal('iban', 'GB82.WEST12345698765432')).toEqual({
      field: ['body', 'iban'],
      reason: 'invalid_format',
    });
  });
});

describe('SWIFT/BIC (ISO 9362): 8 or 11 letters and digits', () => {
  it('a BIC written with spaces is accepted, kept without them', () => {
    expect(accepted('bank_swift', 'DEUT DE FF 500')).toBe('DEUTDEFF500');
  });

  // The bank code (four letters), then the country (two letters): a digit there is misplaced.
  it.each(['DEUTDEFF.', '.DEUTDEFF', 'DEUT/DEFF', '12ADEUTDEFF', 'DE1TDEFFXXX'])(
    '%s is a format error',
    (value) => {
      expect(refusal('bank_swift', value)).toEqual({
        field: ['body', 'bank_swift'],
        reason: 'invalid_format',
      });
    },
  );
});

describe('required head fields', () => {
  it.each(['payment_method', 'currency'])('%s given as null is missing, as a field not given', (field) => {
    const body = { payment_method: 'domestic_bank', country: 'AR', currency: 'ARS', [field]: null };
    const error = checkInstructionBody(body)._unsafeUnwrapErr();
    expect(error).toMatchObject({ field: ['body', field], reason: 'missing_field' });
  });
});
