// Every parser, fed what an attacker can make of real values: each stored-format fixture truncated, extended or
// with any byte changed. The answer is always a Result with one of credroam's error codes, never an exception.
import fc from 'fast-check';
import { ERROR_CODES, type Result } from '@credroam/roaming';
import fixtures from './__fixtures__/stored-formats/stored-formats.json';
import {
  deriveStorageKeys,
  openEnvelope,
  openStoredValue,
  parseCertificate,
  parseCertificationRequest,
  parsePkcs12,
  parsePrivateKey,
  storedValueKeyVersion,
  type StorageContext,
} from './index';
import { keyFixture } from './testing/key-fixtures';

const samples = [
  ...fixtures.values.filter((value) => value.kind !== 'service').map((value) => value.sealed),
  ...fixtures.credentials.map((credential) => credential.der),
].map((text) => Buffer.from(text, 'base64'));

const rsa = keyFixture('rsa-2048');
const storageKeys = deriveStorageKeys(Buffer.alloc(32, 7), 1, 'u');
const context: StorageContext = {
  stableId: 'u',
  type: 'stored-credential',
  id: 'Domain:target=x',
  keyVersion: 1,
  hash: '0'.repeat(64),
  size: 10,
};

const parsers: [string, (input: Buffer) => Result<unknown>][] = [
  ['openEnvelope', (input) => openEnvelope(input, [{ privateKey: rsa.privateKey, anyRecipient: true }])],
  [
    'openEnvelope (KEK)',
    (input) => openEnvelope(input, [{ kek: Buffer.alloc(32), kekId: Buffer.from('id') }]),
  ],
  ['openStoredValue', (input) => openStoredValue(input, context, storageKeys)],
  ['storedValueKeyVersion', (input) => storedValueKeyVersion(input)],
  ['parseCertificate', (input) => parseCertificate(input)],
  ['parsePrivateKey', (input) => parsePrivateKey(input, 'x')],
  ['parsePkcs12', (input) => parsePkcs12(input, 'x')],
  ['parseCertificationRequest', (input) => parseCertificationRequest(input)],
];

const typed = (result: Result<unknown>) =>
  result.ok || (ERROR_CODES as readonly string[]).includes(result.error.code);

const changed = fc
  .tuple(fc.nat({ max: samples.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat({ max: 3 }))
  .map(([which, position, mask, how]) => {
    const sample = samples[which]!;
    const at = position % sample.length;
    if (how === 0) return sample.subarray(0, at);
    if (how === 1) return Buffer.concat([sample, Buffer.of(mask)]);
    const copy = Buffer.from(sample);
    copy[at]! ^= mask;
    // A changed length octet near the start reaches every level of the structure.
    if (how === 3) copy[Math.min(1, copy.length - 1)]! ^= mask;
    return copy;
  });

describe('hostile input', () => {
  it.each(parsers)(
    '%s answers changed real values with a typed error, never an exception',
    (_name, parse) => {
      fc.assert(
        fc.property(changed, (input) => {
          expect(typed(parse(input))).toBe(true);
        }),
        { numRuns: 400 },
      );
    },
  );
});
