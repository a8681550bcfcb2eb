/** Outcome of decrypting one recipient's content key: the key, a refusal to explain, or a failure to hide. */
export type KeyRecovery = { key: Buffer } | { unsupported: string } | { failed: true };

export const FAILED: KeyRecovery = { failed: true };
