import { z } from 'zod';

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * Caps on binary fields, in decoded bytes. A token's content is at most 100 000 bytes (the policy ceiling), so
 * its sealed forms stay far below `sealedValue`; the caps exist to refuse a hostile message before anything
 * buffers or parses it.
 */
export const BYTE_LIMITS = Object.freeze({
  /** A token value sealed for storage, to the transport certificate or to a device key. */
  sealedValue: 1.5 * MIB,
  /** A certificate, key, request or PKCS#12 file handed to token-crypto for inspection. */
  inspectedFile: 1.5 * MIB,
  /** An SPKI public key (RSA up to 16384 bits fits comfortably). */
  publicKey: 64 * KIB,
  /** A workstation's device public key (SPKI; RSA up to 7680 bits): small enough to ride in the session token. */
  devicePublicKey: KIB,
  /** A small secret (password, hash key) in a CMS envelope. */
  smallEnvelope: 64 * KIB,
  /** A PEM certificate (text, so counted in characters). */
  pem: 64 * KIB,
  /** msPKIRoamingTimeStamp: two FILETIMEs. */
  stamp: 16,
});

// Standard alphabet with padding (RFC 4648 section 4): what Buffer#toString('base64') and openssl produce.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodedLength(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

/**
 * Bytes as a base64 string. The length is checked first and aborts, so an oversized message is refused before
 * the alphabet check walks it.
 */
export function base64Schema(options: { maxBytes: number; minBytes?: number; what?: string }) {
  const { maxBytes, minBytes = 1, what = 'value' } = options;
  const maxChars = 4 * Math.ceil(maxBytes / 3);
  return z
    .string()
    .max(maxChars, { message: `${what} must be at most ${maxBytes} bytes`, abort: true })
    .regex(BASE64, { message: `${what} must be standard base64 with padding`, abort: true })
    .refine((text) => decodedLength(text) >= minBytes && decodedLength(text) <= maxBytes, {
      message:
        minBytes === maxBytes
          ? `${what} must be exactly ${maxBytes} bytes`
          : `${what} must be ${minBytes}-${maxBytes} bytes`,
    });
}

/** A token value sealed for storage (CMS, under the user's storage key): opaque outside token-crypto. */
export const sealedValueSchema = base64Schema({ maxBytes: BYTE_LIMITS.sealedValue, what: 'sealed value' });

/** CMS EnvelopedData to a certificate or a device key (token content on its way in or out). */
export const envelopeSchema = base64Schema({ maxBytes: BYTE_LIMITS.sealedValue, what: 'envelope' });

/** CMS EnvelopedData holding a small secret: a password for the gateway, a hash key for a device. */
export const smallEnvelopeSchema = base64Schema({ maxBytes: BYTE_LIMITS.smallEnvelope, what: 'envelope' });

/**
 * A DER SubjectPublicKeyInfo (P-256 or RSA). Only the encoding is checked here; token-crypto parses the key and
 * refuses any other algorithm.
 */
export const publicKeySchema = base64Schema({ maxBytes: BYTE_LIMITS.publicKey, what: 'public key' });
export const devicePublicKeySchema = base64Schema({
  maxBytes: BYTE_LIMITS.devicePublicKey,
  what: 'device public key',
});

/** The raw 16 bytes of msPKIRoamingTimeStamp (created FILETIME, last-modified FILETIME), compared as bytes. */
export const stampSchema = base64Schema({
  minBytes: BYTE_LIMITS.stamp,
  maxBytes: BYTE_LIMITS.stamp,
  what: 'directory stamp',
});

/** One PEM certificate. */
export const certificatePemSchema = z
  .string()
  .max(BYTE_LIMITS.pem, {
    message: `certificate PEM must be at most ${BYTE_LIMITS.pem} characters`,
    abort: true,
  })
  .regex(/^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/, {
    message: 'must be a single PEM certificate',
  });
