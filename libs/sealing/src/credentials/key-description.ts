import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import * as pkijs from 'pkijs';
import { decodeBer } from '../asn1/ber';
import { compileSchema, matchSchema } from '../asn1/schema';
import { bitStringBytesOf } from '../asn1/values';

/** What a key is, in the words the inspect contract uses: `RSA` 2048, `EC-P-256` 256, `Ed25519` 256 … */
export interface KeyDescription {
  algorithm: string;
  size: number | null;
}

const CURVES: Record<string, { name: string; bits: number }> = {
  prime256v1: { name: 'P-256', bits: 256 },
  'P-256': { name: 'P-256', bits: 256 },
  secp384r1: { name: 'P-384', bits: 384 },
  'P-384': { name: 'P-384', bits: 384 },
  secp521r1: { name: 'P-521', bits: 521 },
  'P-521': { name: 'P-521', bits: 521 },
  secp256k1: { name: 'secp256k1', bits: 256 },
  brainpoolP256r1: { name: 'brainpoolP256r1', bits: 256 },
  brainpoolP384r1: { name: 'brainpoolP384r1', bits: 384 },
  brainpoolP512r1: { name: 'brainpoolP512r1', bits: 512 },
};

const FIXED: Record<string, KeyDescription> = {
  ed25519: { algorithm: 'Ed25519', size: 256 },
  ed448: { algorithm: 'Ed448', size: 456 },
  x25519: { algorithm: 'X25519', size: 256 },
  x448: { algorithm: 'X448', size: 448 },
};

/** The NIST name of an EC key's curve (P-256 …), or undefined for anything else. */
export function curveName(key: KeyObject): string | undefined {
  const named = key.asymmetricKeyDetails?.namedCurve;
  return named === undefined ? undefined : CURVES[named]?.name;
}

export function describeKey(key: KeyObject): KeyDescription {
  const type: string = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  switch (type) {
    case 'rsa':
      return { algorithm: 'RSA', size: details.modulusLength ?? null };
    case 'rsa-pss':
      return { algorithm: 'RSA-PSS', size: details.modulusLength ?? null };
    case 'dsa':
      return { algorithm: 'DSA', size: details.modulusLength ?? null };
    case 'dh':
      return { algorithm: 'DH', size: details.modulusLength ?? null };
    case 'ec': {
      const curve = details.namedCurve === undefined ? undefined : CURVES[details.namedCurve];
      if (curve) return { algorithm: `EC-${curve.name}`, size: curve.bits };
      return { algorithm: 'EC', size: null };
    }
    default:
      return (
        FIXED[type] ?? { algorithm: type.replace(/[^A-Za-z0-9-]/g, '').slice(0, 32) || 'unknown', size: null }
      );
  }
}

interface PublicParts {
  spki: Buffer;
  /** The subjectPublicKey BIT STRING's bytes (for EC keys, the point). */
  bits: Buffer;
  keyIdentifier: Buffer;
}

const PUBLIC_KEY_INFO = compileSchema<'subjectPublicKey'>(() =>
  pkijs.PublicKeyInfo.schema({ names: { subjectPublicKey: 'subjectPublicKey' } }),
);

// OpenSSL 3's encoders make KeyObject.export cost ~0.15 ms, and a batch seals many values to one device key or
// opens many uploads with one transport key: remember what each key object exports. Keys are immutable.
const publicParts = new WeakMap<KeyObject, PublicParts>();

function partsOf(key: KeyObject): PublicParts {
  const cached = publicParts.get(key);
  if (cached) return cached;
  const spki = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'der', type: 'spki' });
  const decoded = decodeBer(spki, 'public key');
  const bits = decoded.ok
    ? bitStringBytesOf(matchSchema(decoded.value, PUBLIC_KEY_INFO)?.subjectPublicKey)
    : undefined;
  if (bits === undefined) throw new Error('node produced an unparsable SubjectPublicKeyInfo');
  const parts = { spki, bits, keyIdentifier: createHash('sha1').update(bits).digest() };
  publicParts.set(key, parts);
  return parts;
}

/** The DER SubjectPublicKeyInfo of a public (or private) key. */
export function spkiDer(key: KeyObject): Buffer {
  return Buffer.from(partsOf(key).spki);
}

/** The subjectPublicKey bytes of a key: for an EC key, its uncompressed point. */
export function publicKeyBits(key: KeyObject): Buffer {
  return Buffer.from(partsOf(key).bits);
}

/**
 * RFC 5280's method (1) key identifier: SHA-1 of the subjectPublicKey BIT STRING's bytes. Used as the CMS
 * recipient identifier when sealing to a bare public key (a device key has no certificate).
 */
export function publicKeyIdentifier(key: KeyObject): Buffer {
  return Buffer.from(partsOf(key).keyIdentifier);
}
