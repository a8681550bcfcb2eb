import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  conflictSchema,
  parseWith,
  rejectionSchema,
  timestampMsSchema,
  tokenKeyString,
  type TokenKey,
} from '@credroam/roaming';
import { type AtomicFileWriter } from './atomic-file.writer';
import { type StoreLayout } from './store-layout';

/** Where a token in this store came from. */
export const TOKEN_ORIGINS = ['imported-here', 'roamed'] as const;
export type TokenOrigin = (typeof TOKEN_ORIGINS)[number];

/** The last thing the user should know about one token's sync: a conflict it was in, or why it was held back. */
export const tokenIssueSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('conflict'),
      at: timestampMsSchema,
      conflict: conflictSchema.shape.kind,
      winner: conflictSchema.shape.winner,
    })
    .strict(),
  z
    .object({
      kind: z.literal('rejection'),
      at: timestampMsSchema,
      side: rejectionSchema.shape.side,
      code: rejectionSchema.shape.code,
      message: rejectionSchema.shape.message,
    })
    .strict(),
]);
export type TokenIssue = z.output<typeof tokenIssueSchema>;

export const tokenRecordSchema = z
  .object({
    /** Null: the token entered the store before records were kept, or its origin is otherwise unknown. */
    origin: z.enum(TOKEN_ORIGINS).nullable(),
    lastSyncedAt: timestampMsSchema.nullable(),
    issue: tokenIssueSchema.nullable(),
  })
  .strict();
export type TokenRecord = z.output<typeof tokenRecordSchema>;

/** Records by tokenKeyString. */
export type TokenRecords = Readonly<Record<string, TokenRecord>>;

const recordsFileSchema = z
  .object({ format: z.literal(1), tokens: z.record(z.string().max(512), tokenRecordSchema) })
  .strict();

export const EMPTY_RECORD: TokenRecord = Object.freeze({ origin: null, lastSyncedAt: null, issue: null });

/**
 * token-records.json: per token, where it came from, when it last synced and its last conflict or rejection. It
 * only informs `status`, so a missing or damaged file reads as "nothing known" (the next write replaces it), and
 * a store from before this file shows every origin as unknown.
 */
export class TokenRecordsFile {
  constructor(
    private readonly layout: StoreLayout,
    private readonly writer: AtomicFileWriter,
  ) {}

  read(): TokenRecords {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(this.layout.tokenRecordsFile, 'utf8'));
    } catch {
      return {};
    }
    const parsed = parseWith(recordsFileSchema, json);
    return parsed.ok ? parsed.value.tokens : {};
  }

  write(records: TokenRecords): void {
    const checked = parseWith(recordsFileSchema, { format: 1, tokens: records });
    if (!checked.ok) throw new Error(`refusing to write invalid token records: ${checked.error.message}`);
    this.writer.write(this.layout.tokenRecordsFile, `${JSON.stringify(checked.value)}\n`);
  }

  /** Marks tokens just written by an import on this computer (a newer import replaces a roamed origin). */
  markImported(keys: readonly TokenKey[]): void {
    if (keys.length === 0) return;
    const records = { ...this.read() };
    for (const key of keys) {
      const name = tokenKeyString(key);
      records[name] = { ...(records[name] ?? EMPTY_RECORD), origin: 'imported-here' };
    }
    this.write(records);
  }
}
