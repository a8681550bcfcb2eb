// Test-only generators for the codec specs.
import fc from 'fast-check';
import {
  isSafeTokenId,
  MAX_TIMESTAMP_MS,
  TOKEN_TYPES,
  type DirectoryToken,
  type TokenType,
} from '../../tokens';
import { MAX_FILETIME } from '../filetime';
import { type RoamingValueInput } from '../roaming-value';
import { tokenTypeForTypeDigit, type WindowsTypeDigit } from '../windows-type-digit';

const CONTAINER_FIRST = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'];
const WINDOWS_DIGITS: WindowsTypeDigit[] = ['0', '1', '2', '3', '4', '5', '7', '8', '9'];

export const hexOf = (length: number, upper = false): fc.Arbitrary<string> =>
  fc.uint8Array({ minLength: length, maxLength: length }).map((bytes) => {
    const hex = Buffer.from(bytes).toString('hex');
    return upper ? hex.toUpperCase() : hex;
  });

const containerId = fc
  .tuple(
    fc.constantFrom(...CONTAINER_FIRST),
    fc.string({ unit: fc.constantFrom(...CONTAINER_FIRST, '.'), maxLength: 92 }),
  )
  .map(([first, rest]) => first + rest);

// Printable text including the characters that make identifiers dangerous elsewhere (path separators, dots,
// colons) and multi-byte UTF-8, within 93 bytes.
const storedCredentialId = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('\\', '/', '.', ':', '=', ' ', '%', 'é', '✉', '😀', '\ufeff'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
    minLength: 1,
    maxLength: 40,
  })
  .filter((id) => isSafeTokenId('stored-credential', id));

/** Identifiers that pass the whitelist of `type`. */
export function tokenIdArb(type: TokenType): fc.Arbitrary<string> {
  switch (type) {
    case 'certificate':
      return hexOf(20, true);
    case 'private-key':
    case 'certificate-request':
      return containerId;
    case 'master-key':
      return fc.oneof(
        fc.constant('Preferred'),
        fc.tuple(fc.uuid(), fc.boolean()).map(([id, upper]) => (upper ? id.toUpperCase() : id)),
      );
    case 'stored-credential':
      return storedCredentialId;
  }
}

const thumbprint = hexOf(20, true).filter((hex) => /[^0]/.test(hex));

export const directoryTokenArb: fc.Arbitrary<DirectoryToken> = fc.constantFrom(...TOKEN_TYPES).chain((type) =>
  fc.record(
    {
      type: fc.constant(type),
      id: tokenIdArb(type),
      modifiedAt: fc.integer({ min: 0, max: MAX_TIMESTAMP_MS }),
      hash: hexOf(32),
      size: fc.integer({ min: 0, max: 0xffff_ffff }),
      flags: fc.record({ archived: fc.boolean(), encryptionKey: fc.boolean(), smartCard: fc.boolean() }),
      linkedCertificate: thumbprint,
      tombstone: fc.boolean(),
    },
    { requiredKeys: ['type', 'id', 'modifiedAt', 'hash', 'size', 'flags', 'tombstone'] },
  ),
);

export const directoryTokenInputArb = directoryTokenArb.chain((token) =>
  fc.record({
    token: fc.constant(token),
    keyVersion: fc.integer({ min: 0, max: 0xffff_ffff }),
    sealed: token.tombstone ? fc.constant(new Uint8Array(0)) : fc.uint8Array({ minLength: 1, maxLength: 96 }),
  }),
);

/** Windows records as any client could write them: every defined digit, any flags, timestamps and payloads. */
export const foreignRecordArb: fc.Arbitrary<RoamingValueInput> = fc
  .constantFrom(...WINDOWS_DIGITS)
  .chain((digit) => {
    const type = tokenTypeForTypeDigit(digit) ?? 'certificate';
    return fc.record(
      {
        typeDigit: fc.constant(digit),
        identifier: tokenIdArb(type),
        filetime: fc.bigInt({ min: 0n, max: MAX_FILETIME }),
        rawFlags: fc.integer({ min: 0, max: 0xffff }),
        data: fc.uint8Array({ maxLength: 96 }),
        providerData: fc.uint8Array({ maxLength: 32 }),
        sha1Override: hexOf(20),
      },
      { requiredKeys: ['typeDigit', 'identifier', 'filetime', 'rawFlags', 'data'] },
    );
  });
