/**
 * Upper bound for one encoded roaming value. Windows' own per-token limit tops out at 100,000 bytes, so 1 MiB is
 * generous for any legitimate value while keeping a hostile directory entry from making a decoder hash or copy
 * arbitrarily large inputs.
 */
export const MAX_ENCODED_VALUE_BYTES = 1024 * 1024;
