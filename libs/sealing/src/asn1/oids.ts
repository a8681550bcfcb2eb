/** Object identifiers used by the credential parsers and the CMS envelopes, by the name their RFC gives them. */
export const OID = Object.freeze({
  // CMS content types (RFC 5652)
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',

  // public keys
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  pSpecified: '1.2.840.113549.1.1.9',
  ecPublicKey: '1.2.840.10045.2.1',

  // digests (RFC 5754)
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',

  // AES (RFC 3565)
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  aes128Wrap: '2.16.840.1.101.3.4.1.5',
  aes192Wrap: '2.16.840.1.101.3.4.1.25',
  aes256Wrap: '2.16.840.1.101.3.4.1.45',

  // ECDH key agreement for CMS (RFC 5753)
  dhSinglePassStdDhSha1Kdf: '1.3.133.16.840.63.0.2',
  dhSinglePassStdDhSha224Kdf: '1.3.132.1.11.0',
  dhSinglePassStdDhSha256Kdf: '1.3.132.1.11.1',
  dhSinglePassStdDhSha384Kdf: '1.3.132.1.11.2',
  dhSinglePassStdDhSha512Kdf: '1.3.132.1.11.3',

  // password-based encryption (RFC 8018, RFC 7292)
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha1: '1.2.840.113549.2.7',
  hmacWithSha224: '1.2.840.113549.2.8',
  hmacWithSha256: '1.2.840.113549.2.9',
  hmacWithSha384: '1.2.840.113549.2.10',
  hmacWithSha512: '1.2.840.113549.2.11',
  desEde3Cbc: '1.2.840.113549.3.7',
  pbeWithShaAnd3KeyTripleDesCbc: '1.2.840.113549.1.12.1.3',
  pbeWithShaAnd2KeyTripleDesCbc: '1.2.840.113549.1.12.1.4',
  pbeWithShaAnd128BitRc2Cbc: '1.2.840.113549.1.12.1.5',
  pbeWithShaAnd40BitRc2Cbc: '1.2.840.113549.1.12.1.6',
  pbmac1: '1.2.840.113549.1.5.14',

  // PKCS#12 bags and attributes
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',

  // X.509 extensions
  subjectKeyIdentifier: '2.5.29.14',

  // named curves
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
});

/**
 * credroam's own object identifiers, under a UUID arc (ITU-T X.667: 2.25.<UUID as an integer>, here UUID
 * 314af990-59be-4641-ac27-1559da2e48ac), which needs no registration and cannot collide with anyone else's.
 */
export const CREDROAM_OID_ARC = '2.25.65521463517613359893721542518255798444';

export const CREDROAM_OID = Object.freeze({
  /** Unprotected attribute of a storage envelope: HMAC-SHA-256 binding it to (user, token, key version, hash). */
  storageMac: `${CREDROAM_OID_ARC}.1.1`,
});
