import { unwrap } from '@credroam/roaming';
import { createSelfSignedCertificate } from '@credroam/sealing';
import { keyFixture } from '../../../../libs/sealing/src/testing/key-fixtures';
import { agentFixture } from '../testing/agent-fixtures';
import {
  certificateBundles,
  displayName,
  findCertificateBundle,
  normalizeThumbprint,
} from './certificate-bundle';

const certificateFor = (commonName: string) =>
  unwrap(
    createSelfSignedCertificate(keyFixture('p-256').privateKey, {
      commonName,
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
    }),
  );

describe('certificate bundles', () => {
  it('names a certificate by its common name and the start of its thumbprint', () => {
    const certificate = certificateFor('Alice Example');
    expect(displayName({ certificate: certificate.der, thumbprint: certificate.thumbprint })).toBe(
      `Alice Example (${certificate.thumbprint.slice(0, 8)})`,
    );
  });

  it('accepts thumbprints as openssl prints them', () => {
    expect(normalizeThumbprint('1e:0c:b8 fa')).toBe('1E0CB8FA');
  });

  it('pairs each stored certificate with the key linked to it', () => {
    const fixture = agentFixture();
    try {
      const certificate = certificateFor('Alice');
      const other = certificateFor('Bob');
      const key = keyFixture('p-256').privateKey.export({ type: 'pkcs8', format: 'der' });
      fixture.store.tokens.put(fixture.token('certificate', certificate.thumbprint, certificate.der));
      fixture.store.tokens.put(fixture.token('certificate', other.thumbprint, other.der));
      fixture.store.tokens.put(
        fixture.token('private-key', 'key-1', key, { linkedCertificate: certificate.thumbprint }),
      );
      const bundles = certificateBundles(fixture.store.tokens.list().tokens);
      expect(bundles.find((b) => b.thumbprint === certificate.thumbprint)?.privateKey?.equals(key)).toBe(
        true,
      );
      expect(bundles.find((b) => b.thumbprint === other.thumbprint)?.privateKey).toBeNull();
      expect(
        findCertificateBundle(fixture.store.tokens, certificate.thumbprint)?.privateKey?.equals(key),
      ).toBe(true);
      expect(findCertificateBundle(fixture.store.tokens, 'F'.repeat(40))).toBeNull();
    } finally {
      fixture.dispose();
    }
  });
});
