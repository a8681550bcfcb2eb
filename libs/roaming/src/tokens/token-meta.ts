import { z } from 'zod';
import { isSafeTokenId, validateTokenId } from './token-id';
import { tokenTypeSchema as plainTokenTypeSchema, type TokenType } from './token-type';
import { withCode } from '../validation/parse';

const tokenTypeSchema = withCode(plainTokenTypeSchema, 'INVALID_TOKEN_TYPE');

/** Latest instant a FILETIME-backed timestamp may carry in credroam: 9999-12-31T23:59:59.999Z. */
export const MAX_TIMESTAMP_MS = 253_402_300_799_999;

export const timestampMsSchema = withCode(
  z
    .number()
    .int({ message: 'timestamp must be whole milliseconds' })
    .min(0, { message: 'timestamp must not be before 1970-01-01' })
    .max(MAX_TIMESTAMP_MS, { message: 'timestamp must not be after 9999-12-31' }),
  'INVALID_TIMESTAMP',
);

/** HMAC-SHA-256 of the plaintext under the user's hash key, lower-case hex (DESIGN.md section 3). */
export const tokenHashSchema = withCode(
  z.string().regex(/^[0-9a-f]{64}$/, { message: 'hash must be 64 lower-case hex digits (HMAC-SHA-256)' }),
  'INVALID_TOKEN_HASH',
);

export const tokenSizeSchema = z.number().int().min(0).max(0xffff_ffff);

export const tokenFlagsSchema = z
  .object({
    /** An archived (superseded or expired) certificate kept for decrypting old data. */
    archived: z.boolean().default(false),
    /** A key or certificate used for encryption: losing it loses data, so it is never dropped silently. */
    encryptionKey: z.boolean().default(false),
    /** Backed by a smart card: never roams unless policy allows smart-card certificates. */
    smartCard: z.boolean().default(false),
  })
  .strict();

export type TokenFlags = z.output<typeof tokenFlagsSchema>;

export const NO_FLAGS: TokenFlags = Object.freeze({
  archived: false,
  encryptionKey: false,
  smartCard: false,
});

/** Attaches the per-type identifier rule to any object with `type` and `id`. */
export function withIdentifierRule<T extends z.ZodType<{ type: TokenType; id: string }>>(schema: T) {
  return schema.superRefine((token, ctx) => {
    const checked = validateTokenId(token.type, token.id);
    if (!checked.ok) {
      ctx.addIssue({
        code: 'custom',
        path: ['id'],
        message: checked.error.message,
        params: { code: 'INVALID_TOKEN_ID' },
      });
    }
  });
}

export const tokenKeySchema = withIdentifierRule(
  z.object({ type: tokenTypeSchema, id: z.string().max(400) }).strict(),
);

export const tokenMetaShape = {
  type: tokenTypeSchema,
  id: z.string().max(400),
  modifiedAt: timestampMsSchema,
  hash: tokenHashSchema,
  size: tokenSizeSchema,
  flags: tokenFlagsSchema.default(NO_FLAGS),
  /** For private keys: the thumbprint of the certificate whose public key matches (a roamed key's affiliation). */
  linkedCertificate: z
    .string()
    .regex(/^[0-9A-F]{40}$/, { message: 'linkedCertificate must be a certificate thumbprint' })
    .optional(),
};

/** A live token as a workstation holds it: metadata only, the content travels sealed. */
export const tokenMetaSchema = withIdentifierRule(z.object(tokenMetaShape).strict());
export type TokenMeta = z.output<typeof tokenMetaSchema>;

/**
 * A token as the directory holds it. A tombstone keeps the key, the deletion time (as modifiedAt), the flags and
 * the hash of the content it deleted, and no content.
 */
export const directoryTokenSchema = withIdentifierRule(
  z.object({ ...tokenMetaShape, tombstone: z.boolean() }).strict(),
);
export type DirectoryToken = z.output<typeof directoryTokenSchema>;

/** What the directory held for a key when this machine last synced it: the merge base. */
export const baseEntrySchema = withIdentifierRule(
  z
    .object({
      type: tokenTypeSchema,
      id: z.string().max(400),
      hash: tokenHashSchema,
      modifiedAt: timestampMsSchema,
      tombstone: z.boolean(),
    })
    .strict(),
);
export type BaseEntry = z.output<typeof baseEntrySchema>;

export { isSafeTokenId };
