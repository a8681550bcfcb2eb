import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { unwrap } from '@credroam/roaming';
import * as asn1js from 'asn1js';
import { OID } from '../asn1/oids';
import { keyFixture } from '../testing/key-fixtures';
import {
  openEnvelope,
  parseEnvelope,
  sealEnvelope,
  type EnvelopeRecipient,
  type OpeningKey,
} from './envelope';
import { openSecret, sealSecret, SECRET_PURPOSES } from './secret-envelope';

const content = randomBytes(2500);
const rsa = keyFixture('rsa-2048');
const ec = keyFixture('p-256');
const ec384 = keyFixture('p-384');

function codeOf(result: { ok: boolean; error?: { code: string } }): string {
  return result.ok ? 'OK' : (result.error?.code ?? '?');
}

describe('CMS envelopes', () => {
  const cases: [string, EnvelopeRecipient, OpeningKey][] = [
    [
      'an RSA certificate (OAEP key transport)',
      { certificate: rsa.certificate },
      { privateKey: rsa.privateKey, certificate: rsa.certificate },
    ],
    [
      'an RSA public key (named by key identifier)',
      { publicKey: rsa.publicKey },
      { privateKey: rsa.privateKey },
    ],
    [
      'an EC P-256 certificate (ECDH key agreement)',
      { certificate: ec.certificate },
      { privateKey: ec.privateKey, certificate: ec.certificate },
    ],
    ['an EC P-256 public key', { publicKey: ec.publicKey }, { privateKey: ec.privateKey }],
    ['an EC P-384 public key', { publicKey: ec384.publicKey }, { privateKey: ec384.privateKey }],
  ];

  it.each(cases)('seals to %s and opens with its private key', (_label, recipient, key) => {
    const sealed = unwrap(sealEnvelope(content, [recipient]));
    expect(sealed.includes(content.subarray(0, 32))).toBe(false);
    expect(unwrap(openEnvelope(sealed, [key]))).toEqual(content);
  });

  it('seals to a symmetric key-encryption key', () => {
    const kek = randomBytes(32);
    const sealed = unwrap(sealEnvelope(content, [{ kek, kekId: Buffer.from('id') }]));
    expect(unwrap(openEnvelope(sealed, [{ kek, kekId: Buffer.from('id') }]))).toEqual(content);
    expect(codeOf(openEnvelope(sealed, [{ kek: randomBytes(32), kekId: Buffer.from('id') }]))).toBe(
      'INTEGRITY_CHECK_FAILED',
    );
    expect(codeOf(openEnvelope(sealed, [{ kek, kekId: Buffer.from('other') }]))).toBe('KEY_UNAVAILABLE');
  });

  it('lets every recipient of a multi-recipient envelope open it', () => {
    const sealed = unwrap(
      sealEnvelope(content, [{ certificate: rsa.certificate }, { publicKey: ec.publicKey }]),
    );
    expect(unwrap(openEnvelope(sealed, [{ privateKey: ec.privateKey }]))).toEqual(content);
    expect(
      unwrap(openEnvelope(sealed, [{ privateKey: rsa.privateKey, certificate: rsa.certificate }])),
    ).toEqual(content);
  });

  it('writes version 0 only for plain key transport by issuer and serial', () => {
    const version = (recipient: EnvelopeRecipient) =>
      unwrap(parseEnvelope(unwrap(sealEnvelope(content, [recipient])))).parts.version.toString('hex');
    expect(version({ certificate: rsa.certificate })).toBe('020100');
    expect(version({ publicKey: rsa.publicKey })).toBe('020102');
    expect(version({ publicKey: ec.publicKey })).toBe('020102');
  });

  it('answers KEY_UNAVAILABLE when the envelope is not for any key held', () => {
    const sealed = unwrap(sealEnvelope(content, [{ certificate: rsa.certificate }]));
    const other = keyFixture('rsa-2048', 'other');
    expect(
      codeOf(openEnvelope(sealed, [{ privateKey: other.privateKey, certificate: other.certificate }])),
    ).toBe('KEY_UNAVAILABLE');
  });

  it('answers any changed byte with a typed error or a different content, never an exception', () => {
    const sealed = unwrap(sealEnvelope(content, [{ certificate: rsa.certificate }]));
    const key = { privateKey: rsa.privateKey, certificate: rsa.certificate };
    // Plain EnvelopedData has no integrity of its own: a changed ciphertext block may decrypt to other bytes, and
    // the version fields are not checked by anyone (OpenSSL included). That is why stored values carry a MAC and
    // uploads are checked against their keyed hash; here only "typed, never thrown" is a property.
    fc.assert(
      fc.property(fc.nat({ max: sealed.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, mask) => {
        const tampered = Buffer.from(sealed);
        tampered[index]! ^= mask;
        const opened = openEnvelope(tampered, [key]);
        if (!opened.ok) {
          expect(['CRYPTO_PARSE_FAILED', 'INTEGRITY_CHECK_FAILED', 'KEY_UNAVAILABLE']).toContain(
            opened.error.code,
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses RSA PKCS#1 v1.5 key transport with a clear message', () => {
    const sealed = unwrap(sealEnvelope(content, [{ certificate: rsa.certificate }]));
    const oid = (dotted: string) => Buffer.from(new asn1js.ObjectIdentifier({ value: dotted }).toBER());
    const pkcs1 = sealed.indexOf(oid(OID.rsaesOaep));
    oid(OID.rsaEncryption).copy(sealed, pkcs1);
    const opened = openEnvelope(sealed, [{ privateKey: rsa.privateKey, certificate: rsa.certificate }]);
    expect(!opened.ok && opened.error).toMatchObject({
      code: 'CRYPTO_PARSE_FAILED',
      message: expect.stringMatching(/PKCS#1 v1.5/),
    });
  });

  it('refuses weak or unsupported recipient keys', () => {
    const { generateKeyPairSync } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(codeOf(sealEnvelope(content, [{ publicKey: small }]))).toBe('INVALID_INPUT');
    expect(codeOf(sealEnvelope(content, [{ publicKey: generateKeyPairSync('ed25519').publicKey }]))).toBe(
      'INVALID_INPUT',
    );
    expect(codeOf(sealEnvelope(content, []))).toBe('INVALID_INPUT');
  });
});

describe('secret envelopes', () => {
  const key = { privateKey: rsa.privateKey, certificate: rsa.certificate };

  it('open only for the purpose they were sealed for', () => {
    const sealed = unwrap(
      sealSecret(SECRET_PURPOSES.inspectPassword, Buffer.from('pfx pass'), [
        { certificate: rsa.certificate },
      ]),
    );
    expect(unwrap(openSecret(SECRET_PURPOSES.inspectPassword, sealed, [key])).toString()).toBe('pfx pass');
    expect(codeOf(openSecret(SECRET_PURPOSES.hashKey, sealed, [key]))).toBe('INTEGRITY_CHECK_FAILED');
  });

  it('answer a plain envelope (e.g. a captured upload) exactly as a corrupted one', () => {
    const upload = unwrap(sealEnvelope(content, [{ certificate: rsa.certificate }]));
    const corrupted = Buffer.from(upload);
    corrupted[corrupted.length - 20]! ^= 1;
    const asPassword = openSecret(SECRET_PURPOSES.inspectPassword, upload, [key]);
    const broken = openSecret(SECRET_PURPOSES.inspectPassword, corrupted, [key]);
    expect(asPassword).toEqual(broken);
    expect(codeOf(asPassword)).toBe('INTEGRITY_CHECK_FAILED');
  });
});
