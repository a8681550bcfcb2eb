import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { readConfiguredFile } from '@credroam/platform';
import { RoamingError } from '@credroam/roaming';

/**
 * Grant keys are Ed25519 (JWS alg EdDSA): small, fast, one algorithm to accept. The signing key lives only in
 * logon-events; the gateway and token-crypto hold the public keys, more than one during a rotation.
 */
export interface GrantSigningKey {
  privateKey: KeyObject;
  kid: string;
}

export interface GrantPublicKey {
  publicKey: KeyObject;
  kid: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/g;

/** The key id of a public key: SHA-256 of its SubjectPublicKeyInfo, the first 16 bytes in base64url. */
export function grantKeyId(publicKey: KeyObject): string {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest().subarray(0, 16).toString('base64url');
}

function requireEd25519(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new RoamingError(
      'KEY_UNAVAILABLE',
      `${what} must be an Ed25519 key (openssl genpkey -algorithm ed25519), not ${key.asymmetricKeyType ?? 'a secret key'}`,
    );
  }
}

/** The signing key from a PEM PKCS#8 private key. */
export function parseGrantSigningKey(pem: string, what = 'the grant signing key'): GrantSigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new RoamingError('KEY_UNAVAILABLE', `${what} is not a PEM private key`);
  }
  requireEd25519(privateKey, what);
  return { privateKey, kid: grantKeyId(createPublicKey(privateKey)) };
}

/** Every PUBLIC KEY block of a PEM text: the keys whose grants a service accepts. */
export function parseGrantPublicKeys(pem: string, what = 'the grant public keys'): GrantPublicKey[] {
  const blocks = [...pem.matchAll(PEM_BLOCK)].filter((match) => match[1] === 'PUBLIC KEY');
  if (blocks.length === 0) throw new RoamingError('KEY_UNAVAILABLE', `${what}: no PUBLIC KEY block found`);
  if (blocks.length > 8) throw new RoamingError('KEY_UNAVAILABLE', `${what}: at most 8 keys are accepted`);
  return blocks.map((block, index) => {
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: block[0], format: 'pem' });
    } catch {
      throw new RoamingError('KEY_UNAVAILABLE', `${what}: key ${index + 1} is not a valid public key`);
    }
    requireEd25519(publicKey, `${what}: key ${index + 1}`);
    return { publicKey, kid: grantKeyId(publicKey) };
  });
}

export function readGrantSigningKey(path: string, what = 'the grant signing key'): GrantSigningKey {
  return parseGrantSigningKey(readConfiguredFile(path, what), what);
}

export function readGrantPublicKeys(path: string, what = 'the grant public keys'): GrantPublicKey[] {
  return parseGrantPublicKeys(readConfiguredFile(path, what), what);
}

/** A fresh key pair in PEM, for first use (npm start) and tests. */
export function generateGrantKeyPair(): { signingKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    signingKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
