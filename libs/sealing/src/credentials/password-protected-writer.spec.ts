import { createPrivateKey } from 'node:crypto';
import { unwrap } from '@credroam/roaming';
import { keyFixture } from '../testing/key-fixtures';
import { parsePkcs12 } from './pkcs12';
import { parsePrivateKey } from './private-key';
import { buildPkcs12, encryptPrivateKey } from './password-protected-writer';
import { createSelfSignedCertificate } from './self-signed-certificate';

describe('password-protected exports', () => {
  const key = keyFixture('p-256');
  const pkcs8 = key.privateKey.export({ type: 'pkcs8', format: 'der' });
  const certificate = unwrap(
    createSelfSignedCertificate(key.privateKey, {
      commonName: 'Alice Example',
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
    }),
  );
  const protection = { password: 'correct horse ✓', iterations: 2048 };

  it('encrypts a PKCS#8 key that Node (OpenSSL) and the parser open with the password only', () => {
    const der = encryptPrivateKey(pkcs8, protection);
    const opened = createPrivateKey({
      key: der,
      format: 'der',
      type: 'pkcs8',
      passphrase: protection.password,
    });
    expect(opened.export({ type: 'pkcs8', format: 'der' }).equals(pkcs8)).toBe(true);
    expect(unwrap(parsePrivateKey(der, protection.password)).encrypted).toBe(true);
    expect(parsePrivateKey(der, 'wrong').ok).toBe(false);
  });

  it('builds a PKCS#12 whose MAC checks and whose bags pair the certificate with its key', () => {
    const der = buildPkcs12(
      { certificate: certificate.der, privateKey: pkcs8, friendlyName: 'Alice (1E0C)' },
      protection,
    );
    const parsed = unwrap(parsePkcs12(der, protection.password));
    expect(parsed.integrityChecked).toBe(true);
    expect(parsed.certificates.map((entry) => entry.value.thumbprint)).toEqual([certificate.thumbprint]);
    expect(parsed.keys).toHaveLength(1);
    expect(parsed.keys[0]?.value.publicKey.equals(key.publicKey)).toBe(true);
    expect(parsed.keys[0]?.friendlyName).toBe('Alice (1E0C)');
    expect(parsed.keys[0]?.localKeyId).toEqual(parsed.certificates[0]?.localKeyId);
    const wrong = parsePkcs12(der, 'wrong');
    expect(!wrong.ok && wrong.error.code).toBe('KEY_UNAVAILABLE');
  });

  it('builds a PKCS#12 of a certificate alone', () => {
    const der = buildPkcs12({ certificate: certificate.der, friendlyName: 'Alice' }, protection);
    const parsed = unwrap(parsePkcs12(der, protection.password));
    expect([parsed.certificates.length, parsed.keys.length]).toEqual([1, 0]);
  });

  it('refuses an iteration count the parsers would refuse', () => {
    expect(() => encryptPrivateKey(pkcs8, { password: 'x', iterations: 0 })).toThrow(RangeError);
    expect(() => encryptPrivateKey(pkcs8, { password: 'x', iterations: 2_000_000 })).toThrow(RangeError);
  });
});
