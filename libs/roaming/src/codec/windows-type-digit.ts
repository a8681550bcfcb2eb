import { type TokenType } from '../tokens';

/** The type digits credroam writes and accepts back (byte 1 of a value, as an ASCII digit). */
export type WindowsTypeDigit = '0' | '1' | '2' | '3' | '4' | '5' | '7' | '8' | '9';

/**
 * What credroam writes for each type: the CNG digits for certificates, requests and keys (what current Windows
 * clients write), 0 for DPAPI master keys. Windows publishes no digit for stored user names and passwords; 5 is
 * unused in the published list (0-4, 7-9), so credroam claims it. A Windows client that meets a 5 sees an unknown
 * type, which it leaves alone.
 */
const DIGIT_FOR_TYPE: Readonly<Record<TokenType, WindowsTypeDigit>> = {
  'master-key': '0',
  certificate: '7',
  'certificate-request': '8',
  'private-key': '9',
  'stored-credential': '5',
};

// A Map, not an object literal: the digit comes from untrusted bytes and must not find "__proto__" or "toString".
const TYPE_FOR_DIGIT: ReadonlyMap<string, TokenType> = new Map<WindowsTypeDigit, TokenType>([
  ['0', 'master-key'], // DPAPI master key
  ['1', 'private-key'], // CAPI RSA key
  ['2', 'private-key'], // CAPI DSA key
  ['9', 'private-key'], // CNG key
  ['3', 'certificate'], // CAPI certificate
  ['7', 'certificate'], // CNG certificate
  ['4', 'certificate-request'], // CAPI request
  ['8', 'certificate-request'], // CNG request
  ['5', 'stored-credential'], // credroam's choice, see DIGIT_FOR_TYPE
]);

export function typeDigitForTokenType(type: TokenType): WindowsTypeDigit {
  return DIGIT_FOR_TYPE[type];
}

/** The credroam type of a Windows type digit, or null for a digit nobody has defined. */
export function tokenTypeForTypeDigit(digit: string): TokenType | null {
  return TYPE_FOR_DIGIT.get(digit) ?? null;
}

/**
 * credroam's ledger record (digit 6, unused by Windows): per-user bookkeeping such as the purge watermark, stored
 * beside the tokens because the service account may write nothing else. Never a token.
 */
export const LEDGER_TYPE_DIGIT = '6';

export function isWindowsTypeDigit(digit: string): digit is WindowsTypeDigit {
  return TYPE_FOR_DIGIT.has(digit);
}
