import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { encode } from '../asn1/encode';
import { OID } from '../asn1/oids';
import { MAX_KDF_ITERATIONS, wipe } from '../limits';
import { bmpPassword, pkcs12Kdf } from './password-based-encryption';

/**
 * Password-protected exports, as OpenSSL 3 writes them by default and as every current reader opens them:
 * PBES2 with PBKDF2-HMAC-SHA-256 and AES-256-CBC for encrypted PKCS#8 keys and PKCS#12 key bags, and a PKCS#12
 * MAC of HMAC-SHA-256 keyed with the PKCS#12 KDF. The structures are pkijs'; the cryptography is node:crypto's
 * (synchronous, where pkijs would go through WebCrypto).
 */

/** OWASP's 2023 figure for PBKDF2-HMAC-SHA-256 (and what NSS' pk12util writes): for files a person keeps. */
export const EXPORT_KDF_ITERATIONS = 600_000;

export interface PasswordProtection {
  password: string;
  /** 1 to MAX_KDF_ITERATIONS; default EXPORT_KDF_ITERATIONS. */
  iterations?: number;
}

function iterationsOf(protection: PasswordProtection): number {
  const iterations = protection.iterations ?? EXPORT_KDF_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_KDF_ITERATIONS) {
    throw new RangeError(`iterations must be an integer from 1 to ${MAX_KDF_ITERATIONS}`);
  }
  return iterations;
}

function octets(bytes: Uint8Array): asn1js.OctetString {
  return new asn1js.OctetString({ valueHex: new Uint8Array(bytes) });
}

/** PBES2 (RFC 8018): the AlgorithmIdentifier and the ciphertext of `plaintext`. */
function pbes2Encrypt(
  plaintext: Buffer,
  protection: PasswordProtection,
): { algorithm: pkijs.AlgorithmIdentifier; ciphertext: Buffer } {
  const iterations = iterationsOf(protection);
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const passwordBytes = Buffer.from(protection.password, 'utf8');
  const key = pbkdf2Sync(passwordBytes, salt, iterations, 32, 'sha256');
  wipe(passwordBytes);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  wipe(key);
  const kdf = new pkijs.PBKDF2Params({
    salt: octets(salt),
    iterationCount: iterations,
    prf: new pkijs.AlgorithmIdentifier({
      algorithmId: OID.hmacWithSha256,
      algorithmParams: new asn1js.Null(),
    }),
  });
  const parameters = new pkijs.PBES2Params({
    keyDerivationFunc: new pkijs.AlgorithmIdentifier({
      algorithmId: OID.pbkdf2,
      algorithmParams: kdf.toSchema(),
    }),
    encryptionScheme: new pkijs.AlgorithmIdentifier({
      algorithmId: OID.aes256Cbc,
      algorithmParams: octets(iv),
    }),
  });
  return {
    algorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: OID.pbes2,
      algorithmParams: parameters.toSchema(),
    }),
    ciphertext,
  };
}

/** EncryptedPrivateKeyInfo (RFC 5208), which pkijs has under its PKCS#12 name. */
function shroudedKey(pkcs8: Buffer, protection: PasswordProtection): pkijs.PKCS8ShroudedKeyBag {
  const { algorithm, ciphertext } = pbes2Encrypt(pkcs8, protection);
  return new pkijs.PKCS8ShroudedKeyBag({ encryptionAlgorithm: algorithm, encryptedData: octets(ciphertext) });
}

/** A plain PKCS#8 private key (DER) encrypted with a password: `openssl pkcs8 -in FILE -passin` opens it. */
export function encryptPrivateKey(pkcs8: Buffer, protection: PasswordProtection): Buffer {
  return encode(shroudedKey(pkcs8, protection).toSchema());
}

export interface Pkcs12Contents {
  /** The certificate's DER. */
  certificate: Buffer;
  /** Its private key, plain PKCS#8 DER, when it goes with it. */
  privateKey?: Buffer;
  /** The friendlyName of both bags: what NSS and Windows take as the nickname or display name. */
  friendlyName: string;
}

function bagAttributes(friendlyName: string, localKeyId: Buffer): pkijs.Attribute[] {
  return [
    new pkijs.Attribute({ type: OID.friendlyName, values: [new asn1js.BmpString({ value: friendlyName })] }),
    new pkijs.Attribute({ type: OID.localKeyId, values: [octets(localKeyId)] }),
  ];
}

function dataContent(bytes: Buffer): pkijs.ContentInfo {
  return new pkijs.ContentInfo({ contentType: OID.data, content: octets(bytes) });
}

/**
 * PKCS#12 (RFC 7292) in password integrity mode: the certificate in a plain safe (it is public), the key in a
 * PBES2-shrouded bag, both bags carrying the friendly name and a localKeyId (the certificate's SHA-1, as OpenSSL
 * does) that pairs them. `openssl pkcs12 -in FILE -passin`, `pk12util -i` and Windows open it.
 */
export function buildPkcs12(contents: Pkcs12Contents, protection: PasswordProtection): Buffer {
  const localKeyId = createHash('sha1').update(contents.certificate).digest();
  const attributes = () => bagAttributes(contents.friendlyName, localKeyId);
  const bags: pkijs.SafeBag[] = [
    new pkijs.SafeBag({
      bagId: OID.certBag,
      bagValue: new pkijs.CertBag({ certId: OID.x509Certificate, certValue: octets(contents.certificate) }),
      bagAttributes: attributes(),
    }),
  ];
  if (contents.privateKey) {
    bags.push(
      new pkijs.SafeBag({
        bagId: OID.pkcs8ShroudedKeyBag,
        bagValue: shroudedKey(contents.privateKey, protection),
        bagAttributes: attributes(),
      }),
    );
  }
  const safeContents = encode(new pkijs.SafeContents({ safeBags: bags }).toSchema());
  const authenticatedSafe = encode(
    new pkijs.AuthenticatedSafe({ safeContents: [dataContent(safeContents)] }).toSchema(),
  );
  const iterations = iterationsOf(protection);
  const salt = randomBytes(16);
  const password = bmpPassword(protection.password);
  const macKey = pkcs12Kdf('sha256', password, salt, 3, iterations, 32);
  const mac = createHmac('sha256', macKey).update(authenticatedSafe).digest();
  wipe(password, macKey);
  const pfx = new pkijs.PFX({
    version: 3,
    authSafe: dataContent(authenticatedSafe),
    macData: new pkijs.MacData({
      mac: new pkijs.DigestInfo({
        digestAlgorithm: new pkijs.AlgorithmIdentifier({
          algorithmId: OID.sha256,
          algorithmParams: new asn1js.Null(),
        }),
        digest: octets(mac),
      }),
      macSalt: octets(salt),
      iterations,
    }),
  });
  return encode(pfx.toSchema());
}
