import {
  certificateMetadataSchema,
  certificateThumbprintSchema,
  eventEnvelopeSchema,
  isoInstantSchema,
  problemSchema,
  TOKEN_TYPES,
} from '@credroam/roaming';
import { z } from 'zod';
import { eventFilterShape } from '../events/event-filter';

// The HTTP contract of audit: query parameters as they arrive (strings), and the response bodies. The services'
// result types are inferred from these schemas and the OpenAPI document is generated from them, so the three
// cannot drift apart.

const singleValue = z
  .union([z.string(), z.array(z.string())])
  .refine((value) => !Array.isArray(value), { message: 'must be given once', abort: true })
  .transform((value) => value as string);

const wholeNumberParam = (min: number, max: number) =>
  singleValue
    // Any run of digits is a whole number: one out of range is told so, not that it is not a number.
    .pipe(z.string().regex(/^-?\d+$/, { message: 'must be a whole number' }))
    // Held just outside the range (a thousand digits would be Infinity), so the range check below names the bound.
    .transform((digits) => Math.max(min - 1, Math.min(max + 1, Number(digits))))
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `must be at least ${min}` })
        .max(max, { message: `must be at most ${max}` }),
    );

export const MAX_PAGE = 1_000;
export const MAX_EXPORT = 1_000_000;

export const listQuerySchema = z
  .object({
    ...eventFilterShape,
    limit: wholeNumberParam(1, MAX_PAGE).optional().describe(`Events per page, 1-${MAX_PAGE} (default 100).`),
    cursor: singleValue.pipe(z.string().max(128)).optional().describe('The nextCursor of the previous page.'),
  })
  .strict();

export const exportQuerySchema = z
  .object({
    ...eventFilterShape,
    format: singleValue
      .pipe(z.enum(['csv', 'ndjson']))
      .optional()
      .describe('csv (default; RFC 4180, formula cells neutralised) or ndjson (one event per line).'),
    limit: wholeNumberParam(1, MAX_EXPORT)
      .optional()
      .describe(`Most events exported, newest first, 1-${MAX_EXPORT} (default 100000).`),
  })
  .strict();

export const streamQuerySchema = z.object(eventFilterShape).strict();

export const fleetQuerySchema = z
  .object({
    from: singleValue
      .pipe(isoInstantSchema)
      .optional()
      .describe('Inclusive start, ISO-8601 UTC (default: an hour ago).'),
    to: singleValue.pipe(isoInstantSchema).optional().describe('Exclusive end, ISO-8601 UTC (default: now).'),
    top: singleValue
      .pipe(z.enum(['conflicts', 'size']))
      .optional()
      .describe('Rank users by conflicts in the window (default) or by current roaming data size.'),
    topLimit: wholeNumberParam(1, 100).optional().describe('Users ranked, 1-100 (default 10).'),
  })
  .strict();

const booleanParam = singleValue.pipe(z.enum(['true', 'false'])).transform((value) => value === 'true');

export const MAX_CERTIFICATES_PAGE = 1_000;
export const MAX_EXPIRY_DAYS = 3_650;
export const MAX_EXPIRY_WEEKS = 104;

export const certificatesQuerySchema = z
  .object({
    user: eventFilterShape.user.describe("Login name, exact: that user's certificates only."),
    expiringWithinDays: wholeNumberParam(0, MAX_EXPIRY_DAYS)
      .optional()
      .describe(`Only certificates not yet expired that expire within this many days, 0-${MAX_EXPIRY_DAYS}.`),
    expired: booleanParam.optional().describe('true: only expired certificates; false: only valid ones.'),
    weak: booleanParam
      .optional()
      .describe(
        'true: only weak certificates (RSA under 2048 bits, SHA-1 or MD5 signature); false: the others.',
      ),
    q: singleValue
      .pipe(z.string().max(256))
      .optional()
      .describe('Case-insensitive text in the user, subject, issuer, thumbprint or serial number.'),
    limit: wholeNumberParam(1, MAX_CERTIFICATES_PAGE)
      .optional()
      .describe(`Certificates returned, soonest expiry first, 1-${MAX_CERTIFICATES_PAGE} (default 200).`),
  })
  .strict();

export const certificatesSummaryQuerySchema = z
  .object({
    user: eventFilterShape.user.describe("Login name, exact: that user's certificates only."),
    weeks: wholeNumberParam(1, MAX_EXPIRY_WEEKS)
      .optional()
      .describe(`Weeks in the expiry chart from this one on, 1-${MAX_EXPIRY_WEEKS} (default 26).`),
  })
  .strict();

// Responses

export const storedEventSchema = eventEnvelopeSchema
  .extend({ receivedAt: isoInstantSchema.describe('When audit stored the event.') })
  .describe(
    'An event as published (DESIGN.md section 8), plus when audit stored it. Events carry no secrets.',
  );
export type StoredEvent = z.output<typeof storedEventSchema>;

export const eventPageSchema = z.object({
  events: z.array(storedEventSchema).describe('Newest first.'),
  nextCursor: z
    .string()
    .nullable()
    .describe('Pass as cursor for the next (older) page; null on the last page.'),
});
export type EventPage = z.output<typeof eventPageSchema>;

const count = z.number().int().min(0);

export const codeCountSchema = z.object({
  code: z.number().int(),
  name: z.string().nullable().describe('The name of the Windows-style event code.'),
  count,
});
export type CodeCountView = z.output<typeof codeCountSchema>;

export const userSummarySchema = z.object({
  user: z.string(),
  tokensByType: z
    .array(
      z.object({
        tokenType: z.enum(TOKEN_TYPES),
        live: count,
        tombstoned: count,
        bytes: count,
      }),
    )
    .describe("The user's tokens as audit last saw each one (latest upload, download, tombstone or purge)."),
  machines: z
    .array(
      z.object({
        machine: z.string(),
        outcome: z.enum(['completed', 'failed']),
        code: z.number().int(),
        at: isoInstantSchema,
        correlationId: z.string(),
      }),
    )
    .describe('The last sync of each machine, newest first.'),
  openConflicts: z
    .array(storedEventSchema)
    .describe('Conflicts on tokens that no later sync has written again (newest first, at most 100).'),
  rejections: z.object({
    byCode: z.array(codeCountSchema),
    recent: z.array(storedEventSchema).describe('The 20 latest token.rejected events.'),
  }),
  limitHits: z.object({
    count,
    recent: z.array(storedEventSchema).describe('The 20 latest policy.limit-exceeded events.'),
  }),
});
export type UserSummary = z.output<typeof userSummarySchema>;

export const fleetSummarySchema = z.object({
  from: isoInstantSchema,
  to: isoInstantSchema,
  bucketSeconds: z.number().int().describe('Width of each syncs bucket: a minute, wider for long windows.'),
  syncs: z
    .array(z.object({ start: isoInstantSchema, completed: count, failed: count }))
    .describe('Completed and failed syncs per bucket; buckets without syncs are omitted.'),
  totals: z.object({
    events: count,
    syncsCompleted: count,
    syncsFailed: count,
    conflicts: count,
    rejections: count,
    limitHits: count,
    deadLettered: count,
  }),
  failuresByCode: z.array(codeCountSchema).describe('sync.failed by Windows-style code.'),
  rejectionsByCode: z.array(codeCountSchema).describe('token.rejected by Windows-style code.'),
  topUsers: z.discriminatedUnion('by', [
    z.object({ by: z.literal('conflicts'), users: z.array(z.object({ user: z.string(), count })) }),
    z.object({
      by: z.literal('size'),
      users: z.array(z.object({ user: z.string(), bytes: count, tokens: count })),
    }),
  ]),
});
export type FleetSummary = z.output<typeof fleetSummarySchema>;

export const inventoryCertificateSchema = certificateMetadataSchema
  .safeExtend({
    user: z.string().describe('The login the certificate roams for.'),
    thumbprint: certificateThumbprintSchema.describe('SHA-1 of the DER: the token id.'),
    expired: z.boolean(),
    firstSeenAt: isoInstantSchema.describe('When audit first saw the certificate roam for this user.'),
    lastChangedAt: isoInstantSchema.describe('The event audit last applied (an upload or a download).'),
  })
  .describe('A certificate in the fleet inventory: its public facts, never its key or content.');

export const certificatePageSchema = z.object({
  now: isoInstantSchema.describe('The instant expiry was judged against.'),
  certificates: z.array(inventoryCertificateSchema).describe('Soonest expiry first.'),
  truncated: z.boolean().describe('More certificates match than limit allowed.'),
});
export type CertificatePage = z.output<typeof certificatePageSchema>;

export const certificatesSummarySchema = z.object({
  now: isoInstantSchema,
  total: count.describe('Certificates that roam now (not tombstoned or purged).'),
  expired: count,
  weak: count,
  expiring: z
    .object({ '7d': count, '30d': count })
    .describe('Not yet expired, expiring within 7 and 30 days.'),
  weeks: z
    .array(z.object({ start: isoInstantSchema, count, weak: count }))
    .describe('Certificates expiring per week (Monday 00:00 UTC), this week on; weeks without any omitted.'),
});
export type CertificatesSummary = z.output<typeof certificatesSummarySchema>;

/** Every refusal: the problem body of every credroam HTTP API (code, message, retryable; the correlation id). */
export const errorBodySchema = problemSchema;

const healthIndicatorsSchema = z.record(
  z.string(),
  z.looseObject({ status: z.enum(['up', 'down']), message: z.string().optional() }),
);

/** @nestjs/terminus' health check result: every indicator in `details`, the up ones in `info`, the down ones in `error`. */
export const healthSchema = z.object({
  status: z.enum(['ok', 'error', 'shutting_down']),
  info: healthIndicatorsSchema.optional(),
  error: healthIndicatorsSchema.optional(),
  details: healthIndicatorsSchema,
});
export type Health = z.output<typeof healthSchema>;
