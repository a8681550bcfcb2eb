// Keys and certificates for unit specs, generated in-process (node:crypto) and cached per test file: RSA key
// generation takes tens of milliseconds. The integration suites use the openssl binary instead.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { unwrap } from '@credroam/roaming';
import { type ParsedCertificate } from '../credentials/certificate';
import { createSelfSignedCertificate } from '../credentials/self-signed-certificate';

export interface KeyFixture {
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificate: ParsedCertificate;
}

export type FixtureKind = 'rsa-2048' | 'p-256' | 'p-384';

const cache = new Map<string, KeyFixture>();

export function keyFixture(kind: FixtureKind, name = 'default'): KeyFixture {
  const cacheKey = `${kind}:${name}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const { privateKey, publicKey } =
    kind === 'rsa-2048'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: kind === 'p-256' ? 'P-256' : 'P-384' });
  const now = Date.now();
  const certificate = unwrap(
    createSelfSignedCertificate(privateKey, {
      commonName: `fixture ${kind} ${name}`,
      notBefore: new Date(now - 86_400_000),
      notAfter: new Date(now + 86_400_000),
    }),
  );
  const fixture = { privateKey, publicKey, certificate };
  cache.set(cacheKey, fixture);
  return fixture;
}
