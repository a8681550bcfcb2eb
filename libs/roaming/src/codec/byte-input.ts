/**
 * Decoders run on what LDAP or a broker handed over, so the runtime type of their input is checked, not assumed:
 * anything that is not a byte array yields null and the caller answers with a typed error.
 */
export function asBuffer(input: unknown): Buffer | null {
  if (Buffer.isBuffer(input)) return input;
  if (input instanceof Uint8Array) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  return null;
}
