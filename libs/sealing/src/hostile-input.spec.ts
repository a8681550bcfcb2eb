// Every PKI parser fuzzed: fed what an attacker can make of real values (each stored-format fixture truncated,
// extended or with bytes changed), random bytes, and DER built to hurt (deep nesting, lengths beyond the input,
// long forms, many elements). The answer is always a Result with one of credroam's error codes and a bounded
// message, never an exception. CI runs a few hundred cases per parser; CREDROAM_FUZZ_RUNS scales it (the seed is
// printed first; PROPERTY_SEED replays).
import fc from 'fast-check';
import { type Result } from '@credroam/roaming';
import { FuzzTally, isTyped, mutatedBytes } from '@credroam/roaming/testing/fuzz';
import fixtures from './__fixtures__/stored-formats/stored-formats.json';
import {
  deriveStorageKeys,
  openEnvelope,
  openStoredValue,
  parseCertificate,
  parseCertificationRequest,
  parsePkcs12,
  decodePem,
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
  ['decodePem', (input) => decodePem(input)],
];

/** The header of a DER TLV: tag and definite length (short or long form). */
function header(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.of(tag, length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.of(tag, 0x80 | bytes.length, ...bytes);
}

const tlv = (tag: number, content: Buffer, claimed = content.length) =>
  Buffer.concat([header(tag, claimed), content]);

/** `depth` SEQUENCEs, each holding the next, around a NULL: headers built inside out, copied once. */
function nested(depth: number): Buffer {
  const headers: Buffer[] = [];
  let length = 2;
  for (let level = 0; level < depth; level++) {
    const next = header(0x30, length);
    headers.push(next);
    length += next.length;
  }
  return Buffer.concat([...headers.reverse(), Buffer.of(0x05, 0x00)]);
}

/** DER an attacker builds: nested SEQUENCEs a few to thousands deep, lengths that lie, many small elements. */
const hostileDer: fc.Arbitrary<Buffer> = fc.oneof(
  fc.integer({ min: 1, max: 5_000 }).map(nested),
  fc
    .tuple(
      fc.constantFrom(0x30, 0x31, 0x04, 0x02, 0x06, 0xa0, 0x03),
      fc.uint8Array({ maxLength: 64 }),
      fc.nat(),
    )
    .map(([tag, content, claimed]) => tlv(tag, Buffer.from(content), claimed % 0x7fff_ffff)),
  fc
    .tuple(fc.integer({ min: 1, max: 2_000 }), fc.constantFrom(0x02, 0x05, 0x30))
    .map(([count, tag]) =>
      tlv(
        0x30,
        Buffer.concat(
          Array.from({ length: count }, () => (tag === 0x30 ? Buffer.of(0x30, 0) : Buffer.of(tag, 0))),
        ),
      ),
    ),
  // Indefinite length, which DER forbids and BER allows: never terminated.
  fc
    .uint8Array({ maxLength: 32 })
    .map((content) => Buffer.concat([Buffer.of(0x30, 0x80), Buffer.from(content)])),
);

const tally = new FuzzTally('PKI parsers fuzz');
afterAll(() => tally.report());

describe('hostile input', () => {
  const input = fc.oneof(
    { weight: 3, arbitrary: mutatedBytes(samples) },
    { weight: 1, arbitrary: hostileDer },
  );
  it.each(parsers)('%s answers hostile bytes with a typed error, never an exception', (name, parse) => {
    tally.check(
      name,
      fc.property(input, (bytes) => isTyped(parse(bytes))),
      300,
    );
  });
});
