import { BYTE_LIMITS, fail, ok, type Result } from '@credroam/roaming';

/** A certificate, key, request or PKCS#12 file: refused above this before any parsing. */
export const MAX_CREDENTIAL_BYTES = BYTE_LIMITS.inspectedFile;
/** Any CMS envelope (upload, storage value, device envelope). */
export const MAX_ENVELOPE_BYTES = BYTE_LIMITS.sealedValue;
/** Password-based key derivation above this many iterations is refused: a hostile file must not pin a core. */
export const MAX_KDF_ITERATIONS = 1_000_000;

export function checkSize(bytes: Uint8Array, max: number, what: string): Result<Uint8Array> {
  if (!(bytes instanceof Uint8Array)) return fail('INVALID_INPUT', `${what} must be bytes`);
  if (bytes.length > max) {
    return fail('VALUE_TOO_LARGE', `${what} of ${bytes.length} bytes exceeds the limit of ${max} bytes`, {
      size: bytes.length,
      limit: max,
    });
  }
  return ok(bytes);
}

/** Overwrites key material that is no longer needed (what the platform allows: Buffers, not strings). */
export function wipe(...buffers: (Uint8Array | null | undefined)[]): void {
  for (const buffer of buffers) buffer?.fill(0);
}
