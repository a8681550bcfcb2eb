import { certificateMetadataSchema, certificateWeaknesses } from './certificate-metadata';
import { createEvent } from './events';
import { sealedItemResultSchema } from './rpc';
import {
  CERTIFICATE_FACTS,
  CERTIFICATE_ID,
  EVENT_ID,
  HASH_A,
  KEY_CONTAINER_ID,
  NOW,
  SEALED,
} from './testing/contract-examples';

const who = { correlationId: 'c0ffee00-1234-4abc-8def-001122334455', user: 'alice', machine: null };
const token = { type: 'certificate' as const, id: CERTIFICATE_ID, hash: HASH_A, modifiedAt: NOW, size: 900 };

describe('certificate metadata for the fleet inventory', () => {
  it.each([
    [{ keyAlgorithm: 'RSA', keySize: 2048, signatureAlgorithm: 'RSA-SHA256' }, []],
    [{ keyAlgorithm: 'RSA', keySize: 1024, signatureAlgorithm: 'RSA-SHA256' }, ['rsa-key-under-2048']],
    [{ keyAlgorithm: 'RSA-PSS', keySize: 1536, signatureAlgorithm: 'RSA-PSS' }, ['rsa-key-under-2048']],
    [
      { keyAlgorithm: 'RSA', keySize: 1024, signatureAlgorithm: 'RSA-SHA1' },
      ['rsa-key-under-2048', 'sha1-signature'],
    ],
    [{ keyAlgorithm: 'EC-P-256', keySize: 256, signatureAlgorithm: 'ECDSA-SHA1' }, ['sha1-signature']],
    [{ keyAlgorithm: 'RSA', keySize: 4096, signatureAlgorithm: 'RSA-MD5' }, ['md5-signature']],
    // A small EC key is not an RSA key: 256 bits of P-256 are about 3072 of RSA.
    [{ keyAlgorithm: 'EC-P-256', keySize: 256, signatureAlgorithm: 'ECDSA-SHA256' }, []],
    [{ keyAlgorithm: 'RSA', keySize: null, signatureAlgorithm: '1.2.3.4' }, []],
  ])('flags %j as %j', (certificate, expected) => {
    expect(certificateWeaknesses(certificate)).toEqual(expected);
  });

  it('refuses weaknesses that are not those of the key and signature', () => {
    expect(certificateMetadataSchema.safeParse(CERTIFICATE_FACTS).success).toBe(true);
    const denied = { ...CERTIFICATE_FACTS, keySize: 1024 };
    expect(certificateMetadataSchema.safeParse(denied).success).toBe(false);
    expect(
      certificateMetadataSchema.safeParse({ ...denied, weaknesses: ['rsa-key-under-2048'] }).success,
    ).toBe(true);
    expect(certificateMetadataSchema.safeParse({ ...CERTIFICATE_FACTS, privateKey: 'MII…' }).success).toBe(
      false,
    );
  });

  it('rides in token.uploaded and token.downloaded of certificates only, and stays optional', () => {
    for (const type of ['token.uploaded', 'token.downloaded'] as const) {
      const withFacts = createEvent(
        type,
        { ...who, payload: { ...token, conflict: false, certificate: CERTIFICATE_FACTS } },
        { id: EVENT_ID, now: NOW },
      );
      expect(withFacts.ok).toBe(true);
      expect(
        createEvent(type, { ...who, payload: { ...token, conflict: false } }, { id: EVENT_ID, now: NOW }).ok,
      ).toBe(true);
      const onAKey = createEvent(
        type,
        {
          ...who,
          payload: {
            ...token,
            type: 'private-key',
            id: KEY_CONTAINER_ID,
            conflict: false,
            certificate: CERTIFICATE_FACTS,
          },
        },
        { id: EVENT_ID, now: NOW },
      );
      expect(!onAKey.ok && onAKey.error.message).toContain('only a certificate token carries');
    }
  });

  it("rides in token-crypto's answer for a certificate only", () => {
    const item = { type: 'certificate', id: CERTIFICATE_ID, ok: true, keyVersion: 1, sealed: SEALED };
    expect(sealedItemResultSchema.safeParse({ ...item, certificate: CERTIFICATE_FACTS }).success).toBe(true);
    expect(
      sealedItemResultSchema.safeParse({
        ...item,
        type: 'private-key',
        id: KEY_CONTAINER_ID,
        certificate: CERTIFICATE_FACTS,
      }).success,
    ).toBe(false);
  });
});
