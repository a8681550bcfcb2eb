import { fail, ok, type Result } from '../errors';
import { type TokenType } from './token-type';

/** The Windows value header reserves 93 bytes for the identifier. */
export const MAX_IDENTIFIER_BYTES = 93;

const CERTIFICATE_ID = /^[0-9A-F]{40}$/;
const KEY_CONTAINER_ID = /^(?!\.)[A-Za-z0-9._-]{1,93}$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/**
 * C0/C1 controls, line and paragraph separators, unpaired surrogates: whatever could forge a log line, hide in a
 * dashboard or break a UTF-8 encoder on the way to the directory.
 */
export const NON_PRINTABLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const PREFERRED_MASTER_KEY_ID = 'Preferred';

const RULES: Record<TokenType, { describe: string; test: (id: string) => boolean }> = {
  certificate: {
    describe: 'the SHA-1 thumbprint of the certificate as 40 upper-case hex digits',
    test: (id) => CERTIFICATE_ID.test(id),
  },
  'private-key': {
    describe: '1-93 characters of [A-Za-z0-9._-], not starting with "."',
    test: (id) => KEY_CONTAINER_ID.test(id),
  },
  'certificate-request': {
    describe: '1-93 characters of [A-Za-z0-9._-], not starting with "."',
    test: (id) => KEY_CONTAINER_ID.test(id),
  },
  'master-key': {
    describe: `a GUID (8-4-4-4-12 hex digits) or "${PREFERRED_MASTER_KEY_ID}"`,
    test: (id) => id === PREFERRED_MASTER_KEY_ID || GUID.test(id),
  },
  'stored-credential': {
    describe: `printable text of 1-${MAX_IDENTIFIER_BYTES} UTF-8 bytes`,
    test: (id) =>
      id.length > 0 && !NON_PRINTABLE.test(id) && Buffer.byteLength(id, 'utf8') <= MAX_IDENTIFIER_BYTES,
  },
};

/**
 * Identifiers are untrusted input (CVE-2022-30170): each type has a whitelist, and nothing else may reach a path,
 * a shell or an LDAP filter.
 */
export function validateTokenId(type: TokenType, id: unknown): Result<string> {
  if (typeof id !== 'string') return fail('INVALID_TOKEN_ID', `${type} identifier must be a string`);
  const rule = RULES[type];
  if (!rule.test(id)) {
    return fail('INVALID_TOKEN_ID', `${type} identifier ${describeUntrusted(id)} is not ${rule.describe}`, {
      type,
    });
  }
  return ok(id);
}

export function isSafeTokenId(type: TokenType, id: string): boolean {
  return RULES[type].test(id);
}

/**
 * A printable, bounded rendering of an untrusted identifier for messages and logs: JSON escaping makes control
 * characters visible and the cut keeps a hostile identifier from flooding a log line.
 */
export function describeUntrusted(id: string, max = 120): string {
  const shown = id.length > max ? `${id.slice(0, max)}…` : id;
  return JSON.stringify(shown);
}
