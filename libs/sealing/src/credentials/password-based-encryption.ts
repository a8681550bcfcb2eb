import { createDecipheriv, createHash, pbkdf2Sync } from 'node:crypto';
import { fail, ok, type Result } from '@credroam/roaming';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { type AlgorithmId } from '../asn1/algorithm-id';
import { type Asn1 } from '../asn1/ber';
import { OID } from '../asn1/oids';
import { compileSchema, matchSchema } from '../asn1/schema';
import { absentOrNull, octetsOf, oidOf, smallIntegerOf } from '../asn1/values';
import { MAX_KDF_ITERATIONS, wipe } from '../limits';

/**
 * Password-based decryption as PKCS#8 and PKCS#12 files use it: PBES2 (PBKDF2 + AES-CBC or 3DES, what OpenSSL 3
 * and current Windows write) and PKCS#12's own pbeWithSHAAnd3-KeyTripleDES-CBC (what older Windows and
 * `openssl pkcs12 -legacy`-era tools write). RC2 needs OpenSSL's legacy provider, which Node does not load, so
 * such files are refused with advice rather than mis-decoded.
 *
 * Failures: an unknown or unsupported scheme is CRYPTO_PARSE_FAILED, a wrong password KEY_UNAVAILABLE.
 */

const PRF_DIGESTS: Record<string, string> = {
  [OID.hmacWithSha1]: 'sha1',
  [OID.hmacWithSha224]: 'sha224',
  [OID.hmacWithSha256]: 'sha256',
  [OID.hmacWithSha384]: 'sha384',
  [OID.hmacWithSha512]: 'sha512',
};

const PBES2_CIPHERS: Record<string, { name: string; keyLength: number; ivLength: number }> = {
  [OID.aes128Cbc]: { name: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  [OID.aes192Cbc]: { name: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  [OID.aes256Cbc]: { name: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  [OID.desEde3Cbc]: { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};

const RC2_SCHEMES = new Set<string>([OID.pbeWithShaAnd40BitRc2Cbc, OID.pbeWithShaAnd128BitRc2Cbc]);

export const WRONG_PASSWORD = 'the password is wrong (or the file is corrupted)';

/** PKCS#12's password encoding: BMPString (UTF-16 big-endian) with a two-byte terminator. */
export function bmpPassword(password: string): Buffer {
  const utf16 = Buffer.from(password, 'utf16le');
  utf16.swap16();
  return Buffer.concat([utf16, Buffer.alloc(2)]);
}

const DIGEST_BLOCK: Record<string, { u: number; v: number }> = {
  sha1: { u: 20, v: 64 },
  sha224: { u: 28, v: 64 },
  sha256: { u: 32, v: 64 },
  sha384: { u: 48, v: 128 },
  sha512: { u: 64, v: 128 },
};

/** RFC 7292 appendix B.2: the PKCS#12 key derivation (id 1 key, 2 IV, 3 MAC key). */
export function pkcs12Kdf(
  digest: string,
  password: Buffer,
  salt: Buffer,
  id: 1 | 2 | 3,
  iterations: number,
  length: number,
): Buffer {
  const sizes = DIGEST_BLOCK[digest];
  if (!sizes) throw new Error(`unsupported PKCS#12 KDF digest ${digest}`);
  const { u, v } = sizes;
  const fill = (source: Buffer) => {
    if (source.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(source.length / v));
    for (let i = 0; i < out.length; i += 1) out[i] = source[i % source.length] as number;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(password)]);
  const output = Buffer.alloc(Math.ceil(length / u) * u);
  for (let block = 0; block * u < length; block += 1) {
    let A = createHash(digest).update(D).update(I).digest();
    for (let round = 1; round < iterations; round += 1) A = createHash(digest).update(A).digest();
    A.copy(output, block * u);
    // I_j = (I_j + B + 1) mod 2^(8v), B = A repeated to v bytes
    const B = fill(A).subarray(0, v);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k -= 1) {
        const sum = (I[j + k] as number) + (B[k] as number) + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  wipe(I);
  return output.subarray(0, length);
}

function checkIterations(iterations: number | undefined): Result<number> {
  if (iterations === undefined || iterations < 1) {
    return fail('CRYPTO_PARSE_FAILED', 'password-based encryption has no valid iteration count');
  }
  if (iterations > MAX_KDF_ITERATIONS) {
    return fail(
      'INVALID_INPUT',
      `password-based encryption asks for ${iterations} iterations (at most ${MAX_KDF_ITERATIONS})`,
    );
  }
  return ok(iterations);
}

function decipher(name: string, key: Buffer, iv: Buffer, ciphertext: Buffer): Result<Buffer> {
  try {
    const cipher = createDecipheriv(name, key, iv);
    return ok(Buffer.concat([cipher.update(ciphertext), cipher.final()]));
  } catch {
    return fail('KEY_UNAVAILABLE', WRONG_PASSWORD);
  } finally {
    wipe(key);
  }
}

const PBES2_PARAMETERS = compileSchema<'kdf' | 'kdfParameters' | 'cipher' | 'iv'>(() =>
  pkijs.PBES2Params.schema({
    names: {
      keyDerivationFunc: { names: { algorithmIdentifier: 'kdf', algorithmParams: 'kdfParameters' } },
      encryptionScheme: { names: { algorithmIdentifier: 'cipher', algorithmParams: 'iv' } },
    },
  }),
);

const PBKDF2_PARAMETERS = compileSchema<'salt' | 'iterations' | 'keyLength' | 'prf' | 'prfParameters'>(() =>
  pkijs.PBKDF2Params.schema({
    names: {
      saltPrimitive: 'salt',
      iterationCount: 'iterations',
      keyLength: 'keyLength',
      prf: { names: { algorithmIdentifier: 'prf', algorithmParams: 'prfParameters', optional: true } },
    },
  }),
);

/**
 * pkcs-12PbeParams (RFC 7292 appendix C): pkijs reads PKCS#12's own password-based encryption nowhere (its PFX
 * code decrypts PBES2 only), so this one schema is made here, of asn1js' classes.
 */
const PKCS12_PBE_PARAMETERS = compileSchema<'salt' | 'iterations'>(
  () =>
    new asn1js.Sequence({
      value: [new asn1js.OctetString({ name: 'salt' }), new asn1js.Integer({ name: 'iterations' })],
    }),
);

function pbes2(parameters: Asn1 | undefined, ciphertext: Buffer, password: string): Result<Buffer> {
  const scheme = matchSchema(parameters, PBES2_PARAMETERS);
  const kdf = oidOf(scheme?.kdf);
  const cipherOid = oidOf(scheme?.cipher);
  if (!scheme || kdf === undefined || cipherOid === undefined) {
    return fail('CRYPTO_PARSE_FAILED', 'PBES2 parameters are malformed');
  }
  if (kdf !== OID.pbkdf2) return fail('CRYPTO_PARSE_FAILED', `PBES2 key derivation ${kdf} is not supported`);
  const cipher = PBES2_CIPHERS[cipherOid];
  if (!cipher) {
    return fail('CRYPTO_PARSE_FAILED', `PBES2 encryption scheme ${cipherOid} is not supported (use AES-CBC)`);
  }
  const iv = scheme.iv instanceof asn1js.OctetString ? octetsOf(scheme.iv) : undefined;
  if (iv === undefined) return fail('CRYPTO_PARSE_FAILED', 'PBES2 encryption scheme has no IV');
  const pbkdf2 = matchSchema(scheme.kdfParameters, PBKDF2_PARAMETERS);
  const salt = octetsOf(pbkdf2?.salt);
  if (!pbkdf2 || salt === undefined || iv.length !== cipher.ivLength) {
    return fail('CRYPTO_PARSE_FAILED', 'PBKDF2 parameters are malformed');
  }
  const iterations = checkIterations(smallIntegerOf(pbkdf2.iterations));
  if (!iterations.ok) return iterations;
  if (pbkdf2.keyLength !== undefined && smallIntegerOf(pbkdf2.keyLength) !== cipher.keyLength) {
    return fail('CRYPTO_PARSE_FAILED', 'PBKDF2 key length does not fit the cipher');
  }
  let digest = 'sha1';
  if (pbkdf2.prf !== undefined) {
    const name = absentOrNull(pbkdf2.prfParameters) ? PRF_DIGESTS[oidOf(pbkdf2.prf) ?? ''] : undefined;
    if (!name) return fail('CRYPTO_PARSE_FAILED', 'PBKDF2 pseudo-random function is not supported');
    digest = name;
  }
  const passwordBytes = Buffer.from(password, 'utf8');
  const key = pbkdf2Sync(passwordBytes, salt, iterations.value, cipher.keyLength, digest);
  wipe(passwordBytes);
  return decipher(cipher.name, key, iv, ciphertext);
}

function pkcs12Pbe(parameters: Asn1 | undefined, ciphertext: Buffer, password: string): Result<Buffer> {
  const found = matchSchema(parameters, PKCS12_PBE_PARAMETERS);
  const salt = octetsOf(found?.salt);
  if (salt === undefined) return fail('CRYPTO_PARSE_FAILED', 'PKCS#12 PBE parameters are malformed');
  const iterations = checkIterations(smallIntegerOf(found?.iterations));
  if (!iterations.ok) return iterations;
  const passwordBytes = bmpPassword(password);
  const key = pkcs12Kdf('sha1', passwordBytes, salt, 1, iterations.value, 24);
  const iv = pkcs12Kdf('sha1', passwordBytes, salt, 2, iterations.value, 8);
  wipe(passwordBytes);
  return decipher('des-ede3-cbc', key, iv, ciphertext);
}

/** Decrypts `ciphertext` under the password-based scheme `scheme` (an EncryptedPrivateKeyInfo's or a safe's). */
export function decryptWithPassword(
  scheme: AlgorithmId | undefined,
  ciphertext: Buffer,
  password: string,
): Result<Buffer> {
  if (!scheme) return fail('CRYPTO_PARSE_FAILED', 'password-based encryption algorithm is malformed');
  if (scheme.oid === OID.pbes2) return pbes2(scheme.parameters, ciphertext, password);
  if (scheme.oid === OID.pbeWithShaAnd3KeyTripleDesCbc)
    return pkcs12Pbe(scheme.parameters, ciphertext, password);
  if (RC2_SCHEMES.has(scheme.oid)) {
    return fail(
      'CRYPTO_PARSE_FAILED',
      'the file is encrypted with RC2 (legacy PKCS#12); re-export it with AES (openssl pkcs12 -export without -legacy)',
    );
  }
  return fail('CRYPTO_PARSE_FAILED', `password-based encryption ${scheme.oid} is not supported`);
}
