import { createHash, type KeyObject } from 'node:crypto';

/**
 * The CKA_ID NSS gives a private key it imports (what `certutil -K` lists and `certutil -F -k` takes): SHA-1 of
 * the RSA modulus, or of the EC public point (uncompressed). Null for other algorithms: credroam then leaves such
 * a key in place rather than guess.
 */
export function nssKeyId(publicKey: KeyObject): string | null {
  const jwk = publicKey.export({ format: 'jwk' });
  let material: Buffer;
  if (jwk.kty === 'RSA' && jwk.n) material = Buffer.from(jwk.n, 'base64url');
  else if (jwk.kty === 'EC' && jwk.x && jwk.y) {
    material = Buffer.concat([
      Buffer.from([4]),
      Buffer.from(jwk.x, 'base64url'),
      Buffer.from(jwk.y, 'base64url'),
    ]);
  } else return null;
  return createHash('sha1').update(material).digest('hex');
}
