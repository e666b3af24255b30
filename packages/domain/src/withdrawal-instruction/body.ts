/**
 * The published shape of a withdrawal instruction's `body` (SPEC section 7.1), as data:
 * which fields each `payment_method` allows and what each field holds.
 */

export const PAYMENT_METHODS = ['domestic_bank', 'international_bank', 'third_party'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/**
 * `country` of a body: the published `AR`, `CL`, `PY`, `UY` and `OTHER`, and this
 * project's `MX` and `US` for its other ports.
 */
export const INSTRUCTION_COUNTRIES = ['AR', 'CL', 'PY', 'UY', 'OTHER', 'MX', 'US'] as const;
export type InstructionCountry = (typeof INSTRUCTION_COUNTRIES)[number];

const THIRD_PARTY_FIELDS = ['name', 'city', 'phone', 'further_instructions'] as const;

/**
 * The published domestic fields, plus this project's national identifiers for the ports
 * the published material lacks: `clabe` (Mexico), `rut` (Chile), `routing_number` (US).
 */
const DOMESTIC_BANK_FIELDS = [
  ...THIRD_PARTY_FIELDS,
  'account_type',
  'address',
  'bank',
  'bank_account_number',
  'cbu',
  'cuit',
  'clabe',
  'rut',
  'routing_number',
] as const;

/**
 * The domestic fields plus the published bank details, and `iban`: the published shape
 * has no field for one, and SPEC section 5 checks an IBAN where given.
 */
const INTERNATIONAL_BANK_FIELDS = [
  ...DOMESTIC_BANK_FIELDS,
  'bank_address',
  'bank_city',
  'bank_country',
  'bank_postal_code',
  'bank_swift',
  'postal_code',
  'iban',
] as const;

/** A field of a body other than `payment_method`, `country` and `currency`. */
export type InstructionField = (typeof INTERNATIONAL_BANK_FIELDS)[number];

/** The fields each payment method allows, besides `payment_method`, `country` and `currency`. */
export const PAYMENT_METHOD_FIELDS = {
  domestic_bank: DOMESTIC_BANK_FIELDS,
  international_bank: INTERNATIONAL_BANK_FIELDS,
  third_party: THIRD_PARTY_FIELDS,
} as const satisfies Record<PaymentMethod, readonly InstructionField[]>;

/** The fields every body has, whatever its method. */
export const BODY_HEAD_FIELDS = ['payment_method', 'country', 'currency'] as const;

/** A bank or national identifier checked by its own rule (SPEC section 5). */
export type IdentifierKind = 'cbu' | 'cuit' | 'clabe' | 'rut' | 'routing_number' | 'iban' | 'bic';

/** What a field holds, and so how it is checked. */
export type FieldRule =
  /** Free text: a string, not blank, no control characters, at most `maxLength` characters. */
  | { readonly kind: 'text'; readonly maxLength: number }
  /** An account number without a national check: letters, digits, spaces and dashes. */
  | { readonly kind: 'account_number'; readonly maxLength: number }
  /** An identifier whose length, parts and check digits are checked; kept in its compact form. */
  | { readonly kind: 'identifier'; readonly identifier: IdentifierKind };

const text = (maxLength: number): FieldRule => ({ kind: 'text', maxLength });
const identifier = (kind: IdentifierKind): FieldRule => ({ kind: 'identifier', identifier: kind });

/** The one place that says what each field holds. */
export const INSTRUCTION_FIELD_RULES: Readonly<Record<InstructionField, FieldRule>> = {
  name: text(200),
  city: text(100),
  phone: text(32),
  further_instructions: text(500),
  account_type: text(40),
  address: text(200),
  bank: text(100),
  // The longest account number in use is an IBAN's 34 characters.
  bank_account_number: { kind: 'account_number', maxLength: 34 },
  cbu: identifier('cbu'),
  cuit: identifier('cuit'),
  clabe: identifier('clabe'),
  rut: identifier('rut'),
  routing_number: identifier('routing_number'),
  bank_address: text(200),
  bank_city: text(100),
  bank_country: text(100),
  bank_postal_code: text(20),
  bank_swift: identifier('bic'),
  postal_code: text(20),
  iban: identifier('iban'),
};

type FieldsOf<M extends PaymentMethod> = {
  readonly [F in (typeof PAYMENT_METHOD_FIELDS)[M][number]]?: string;
};

/**
 * A checked body: its method, an `INSTRUCTION_COUNTRIES` country, an upper-case ISO 4217
 * currency, and only the fields of its method (identifiers in their compact form).
 */
export type WithdrawalInstructionBody = {
  [M in PaymentMethod]: {
    readonly payment_method: M;
    readonly country: InstructionCountry;
    readonly currency: string;
  } & FieldsOf<M>;
}[PaymentMethod];

/** A checked body of one payment method: `BodyOf<'domestic_bank'>` has `cbu`, `cuit`, `clabe`... */
export type BodyOf<M extends PaymentMethod> = Extract<
  WithdrawalInstructionBody,
  { readonly payment_method: M }
>;
