import { generateKeyPairSync } from 'node:crypto';
import { unwrap } from '@credroam/roaming';
import { keyFixture } from '../testing/key-fixtures';
import { bmpPassword, pkcs12Kdf } from './password-based-encryption';
import { isEncryptedPrivateKey, parsePrivateKey } from './private-key';

describe('PKCS#8 private keys', () => {
  const rsa = keyFixture('rsa-2048');
  const plain = rsa.privateKey.export({ type: 'pkcs8', format: 'der' });
  const encrypted = (cipher: string) =>
    rsa.privateKey.export({ type: 'pkcs8', format: 'der', cipher, passphrase: 'correct horse ✓' });

  it('describes a plain key and derives its public half', () => {
    const parsed = unwrap(parsePrivateKey(plain));
    expect([parsed.keyAlgorithm, parsed.keySize, parsed.encrypted]).toEqual(['RSA', 2048, false]);
    expect(parsed.publicKey.equals(rsa.publicKey)).toBe(true);
    expect(isEncryptedPrivateKey(plain)).toBe(false);
  });

  it.each(['aes-256-cbc', 'aes-128-cbc', 'des-ede3-cbc'])('opens a PBES2 key encrypted with %s', (cipher) => {
    const der = encrypted(cipher);
    expect(isEncryptedPrivateKey(der)).toBe(true);
    const parsed = unwrap(parsePrivateKey(der, 'correct horse ✓'));
    expect(parsed.encrypted).toBe(true);
    expect(parsed.publicKey.equals(rsa.publicKey)).toBe(true);
  });

  it('asks for a password, and calls a wrong one wrong', () => {
    const der = encrypted('aes-256-cbc');
    const missing = parsePrivateKey(der);
    expect(!missing.ok && missing.error).toMatchObject({
      code: 'KEY_UNAVAILABLE',
      message: expect.stringMatching(/no password/),
    });
    for (const password of ['wrong', '', 'correct horse']) {
      const wrong = parsePrivateKey(der, password);
      expect(!wrong.ok && wrong.error).toMatchObject({
        code: 'KEY_UNAVAILABLE',
        message: expect.stringMatching(/password is wrong/),
      });
    }
  });

  it('describes EC and Ed25519 keys', () => {
    const ec = unwrap(
      parsePrivateKey(keyFixture('p-256').privateKey.export({ type: 'pkcs8', format: 'der' })),
    );
    expect([ec.keyAlgorithm, ec.keySize]).toEqual(['EC-P-256', 256]);
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' });
    expect(unwrap(parsePrivateKey(ed)).keyAlgorithm).toBe('Ed25519');
  });

  it('refuses what is not PKCS#8 (a PKCS#1 key, a certificate, garbage) with CRYPTO_PARSE_FAILED', () => {
    const pkcs1 = rsa.privateKey.export({ type: 'pkcs1', format: 'der' });
    for (const input of [pkcs1, rsa.certificate.der, Buffer.from('garbage'), plain.subarray(0, 100)]) {
      const parsed = parsePrivateKey(input);
      expect(!parsed.ok && parsed.error.code).toBe('CRYPTO_PARSE_FAILED');
    }
  });
});

describe('PKCS#12 key derivation (RFC 7292 appendix B)', () => {
  it('encodes passwords as BMPString with a terminator', () => {
    expect(bmpPassword('ab✓').toString('hex')).toBe('0061006227130000');
  });

  it('derives the published test-vector bytes', () => {
    // The widely used "smeg" vectors (password "smeg", SHA-1), as in BouncyCastle's PKCS#12 KDF tests.
    const salt = Buffer.from('0a58cf64530d823f', 'hex');
    const password = bmpPassword('smeg');
    expect(pkcs12Kdf('sha1', password, salt, 1, 1, 24).toString('hex')).toBe(
      '8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3',
    );
    expect(pkcs12Kdf('sha1', password, salt, 2, 1, 8).toString('hex')).toBe('79993dfe048d3b76');
  });
});
