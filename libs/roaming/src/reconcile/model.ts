import { z } from 'zod';
import { base64Schema } from '../contracts/base64';
import { ERROR_CODES } from '../errors/roaming-error';
import {
  baseEntrySchema,
  directoryTokenSchema,
  timestampMsSchema,
  tokenHashSchema,
  tokenMetaSchema,
  tokenMetaShape,
  withIdentifierRule,
  type BaseEntry,
  type DirectoryToken,
  type TokenMeta,
} from '../tokens/token-meta';
import { TOKEN_TYPES, tokenTypeSchema, type TokenType } from '../tokens/token-type';

/** What a machine recorded at its last sync: the merge base of every key it synced. */
export const machineBaseSchema = z
  .object({
    /** The created time of the directory stamp at that sync; a different one means the entry was reset. */
    directoryCreatedAt: timestampMsSchema.nullable(),
    syncedAt: timestampMsSchema,
    entries: z.array(baseEntrySchema).max(20_000),
  })
  .strict();
export type MachineBase = z.output<typeof machineBaseSchema>;

/** The workstation side: its live tokens, and its base (null after a first use or a lost state file). */
export const localManifestSchema = z
  .object({
    tokens: z.array(tokenMetaSchema).max(20_000),
    base: machineBaseSchema.nullable(),
  })
  .strict();
export type LocalManifest = z.output<typeof localManifestSchema>;

/**
 * A credroam value as read from the directory. `ref` identifies the exact stored value (the gateway's handle on
 * its raw bytes), so a plan can say precisely which value it replaces or removes.
 */
export const directoryEntrySchema = withIdentifierRule(
  z.object({ ...tokenMetaShape, tombstone: z.boolean(), ref: z.string().min(1).max(128) }).strict(),
);
export type DirectoryEntry = z.output<typeof directoryEntrySchema>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const THUMBPRINT = /^[0-9A-F]{40}$/;

/**
 * What a value a Windows client wrote is, as far as Linux workstations can use it (codec windows-credential.ts):
 * a certificate offered read-only (its thumbprint verified), or a private key or DPAPI master key that only
 * Windows can open, with the master keys it needs.
 */
export const windowsValueSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('certificate'), thumbprint: z.string().regex(THUMBPRINT) }).strict(),
  z
    .object({
      kind: z.literal('private-key'),
      provider: z.enum(['capi-rsa', 'capi-dsa', 'cng']),
      container: z
        .string()
        .regex(/^[\x20-\x7e]{1,255}$/)
        .nullable(),
      masterKeys: z.array(z.string().regex(GUID)).max(8),
      unreadable: z.boolean(),
    })
    .strict(),
  z.object({ kind: z.literal('master-key'), guid: z.string().regex(GUID).nullable() }).strict(),
]);
export type WindowsValue = z.output<typeof windowsValueSchema>;

/**
 * A value that is not credroam's to touch or not safe to use: reported, never modified, never uploaded.
 * `windows` says what a Windows client's value is; a certificate among them is also offered read-only
 * (windowsCertificateSchema), the rest are Windows-only. `thumbprint-mismatch`: a Windows certificate value whose
 * identifier or SHA-1 property is not the certificate's thumbprint, never offered.
 */
export const reportedValueSchema = z
  .object({
    ref: z.string().min(1).max(128),
    origin: z.enum(['foreign', 'credroam']),
    reason: z.enum(['foreign', 'unsafe-identifier', 'undecodable', 'thumbprint-mismatch']),
    tokenType: tokenTypeSchema.nullable(),
    /** Printable, escaped rendering of the identifier; never to be used as a name. */
    displayId: z.string().max(512),
    modifiedAt: z.number().int().nullable(),
    windows: windowsValueSchema.optional(),
  })
  .strict();
export type ReportedValue = z.output<typeof reportedValueSchema>;

/**
 * A certificate a Windows client roamed, as Linux workstations receive it: public, so carried in the clear (Windows
 * stores it so too), read-only (never uploaded, edited or deleted by credroam), its thumbprint the SHA-1 of `der`.
 */
export const windowsCertificateSchema = z
  .object({
    thumbprint: z.string().regex(THUMBPRINT),
    modifiedAt: z.number().int(),
    der: base64Schema({ maxBytes: 100_000, what: 'certificate' }),
  })
  .strict();
export type WindowsCertificateDelivery = z.output<typeof windowsCertificateSchema>;

export const directoryStateSchema = z
  .object({
    createdAt: timestampMsSchema.nullable(),
    modifiedAt: timestampMsSchema.nullable(),
    entries: z.array(directoryEntrySchema).max(20_000),
    reported: z.array(reportedValueSchema).max(20_000),
    /** The certificates Windows clients roamed, thumbprint verified (absent from gateways before this field). */
    windowsCertificates: z.array(windowsCertificateSchema).max(10_000).optional(),
    /** The newest deletion time of any tombstone ever purged for this user (0: none). */
    purgeWatermark: timestampMsSchema,
  })
  .strict();
export type DirectoryState = z.output<typeof directoryStateSchema>;

export const FULL_RESYNC_REASONS = ['no-base', 'directory-reset', 'stale-base'] as const;
export type FullResyncReason = (typeof FULL_RESYNC_REASONS)[number];

const keyShape = { type: tokenTypeSchema, id: z.string().max(512) };

export const plannedUploadSchema = z
  .object({ token: directoryTokenSchema, replaces: directoryEntrySchema.nullable(), conflict: z.boolean() })
  .strict();
export const plannedDownloadSchema = z
  .object({ token: directoryTokenSchema, conflict: z.boolean() })
  .strict();
export const plannedTombstoneSchema = z
  .object({ token: directoryTokenSchema, replaces: directoryEntrySchema })
  .strict();
export const plannedPurgeSchema = z
  .object({ entry: directoryEntrySchema, reason: z.enum(['expired-tombstone', 'duplicate']) })
  .strict();
export const localDeletionSchema = z
  .object({ ...keyShape, reason: z.enum(['deleted-elsewhere', 'deletion-already-purged']) })
  .strict();

const versionSummarySchema = z
  .object({ hash: tokenHashSchema, modifiedAt: z.number().int(), tombstone: z.boolean() })
  .strict();

export const conflictSchema = z
  .object({
    ...keyShape,
    /** 'both-changed': a true conflict decided by time; the others: an edit beat a deletion. */
    kind: z.enum(['both-changed', 'edit-beats-delete']),
    winner: z.enum(['local', 'directory']),
    local: versionSummarySchema.nullable(),
    directory: versionSummarySchema.nullable(),
  })
  .strict();

export const rejectionSchema = z
  .object({
    tokenType: tokenTypeSchema.nullable(),
    displayId: z.string().max(512),
    side: z.enum(['local', 'directory']),
    code: z.enum(ERROR_CODES),
    message: z.string().max(2048),
  })
  .strict();

/** The policy limit a sync would exceed: which knob, what it allows, and what the directory would hold. */
export const exceededLimitSchema = z
  .object({
    name: z.enum(['maxTokens', 'maxTotalBytes']),
    allowed: z.number().int().min(0),
    actual: z.number().int().min(0),
  })
  .strict()
  .refine(({ allowed, actual }) => actual > allowed, {
    message: 'actual must exceed allowed',
    path: ['actual'],
  });

export const blockSchema = z
  .object({
    code: z.enum(['TOKEN_LIMIT_EXCEEDED', 'TOTAL_SIZE_EXCEEDED', 'ROAMING_DISABLED']),
    message: z.string().max(2048),
    /** Set for the two limit codes, null when roaming is disabled: callers read the figures here, not the message. */
    limit: exceededLimitSchema.nullable(),
  })
  .strict();

export const syncPlanSchema = z
  .object({
    fullResync: z.enum(FULL_RESYNC_REASONS).nullable(),
    /** Set when a limit or the policy stops the whole sync: then no action is planned at all. */
    blocked: blockSchema.nullable(),
    uploads: z.array(plannedUploadSchema),
    downloads: z.array(plannedDownloadSchema),
    localDeletions: z.array(localDeletionSchema),
    tombstones: z.array(plannedTombstoneSchema),
    purges: z.array(plannedPurgeSchema),
    conflicts: z.array(conflictSchema),
    rejections: z.array(rejectionSchema),
    reported: z.array(reportedValueSchema),
    /** The base the machine records once it has applied the plan; null: keep the one it has (nothing ran). */
    base: machineBaseSchema.nullable(),
    purgeWatermark: timestampMsSchema,
  })
  .strict();

export type PlannedUpload = z.output<typeof plannedUploadSchema>;
export type PlannedDownload = z.output<typeof plannedDownloadSchema>;
export type PlannedTombstone = z.output<typeof plannedTombstoneSchema>;
export type PlannedPurge = z.output<typeof plannedPurgeSchema>;
export type LocalDeletion = z.output<typeof localDeletionSchema>;
export type Conflict = z.output<typeof conflictSchema>;
export type Rejection = z.output<typeof rejectionSchema>;
export type Block = z.output<typeof blockSchema>;
export type ExceededLimit = z.output<typeof exceededLimitSchema>;
export type SyncPlan = z.output<typeof syncPlanSchema>;

export type { BaseEntry, DirectoryToken, TokenMeta, TokenType };
export { TOKEN_TYPES };
