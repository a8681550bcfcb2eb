import { z } from 'zod';
import { NON_PRINTABLE as UNPRINTABLE } from '../tokens/token-id';

/**
 * A login name as a user types it at logon. Deliberately conservative rather than directory-specific: the
 * gateway escapes it (RFC 4515) before it reaches a filter, so this only keeps out what no directory accepts and
 * what could forge a log line. Blanks around it are refused because directories ignore them when matching, so
 * " alice" would otherwise be a second spelling of "alice" in audit and rate limits.
 */
export const loginNameSchema = z
  .string()
  .min(1, { message: 'login name must not be empty' })
  .max(256, { message: 'login name must be at most 256 characters', abort: true })
  .refine((login) => !UNPRINTABLE.test(login), { message: 'login name must not contain control characters' })
  .refine((login) => login.trim() === login, { message: 'login name must not start or end with blanks' });
export type LoginName = z.output<typeof loginNameSchema>;

/** A workstation's id: a host name or a generated id. It names the machine's state in audit, never a path. */
export const machineIdSchema = z.string().regex(/^(?!\.)[A-Za-z0-9._-]{1,64}$/, {
  message: 'machine id must be 1-64 characters of [A-Za-z0-9._-], not starting with "."',
});
export type MachineId = z.output<typeof machineIdSchema>;

/** Ties together every log line, RPC and event of one request; a UUID in practice, client-chosen at the edge. */
export const correlationIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, {
  message: 'correlation id must be 1-128 characters of [A-Za-z0-9._:-], starting with a letter or digit',
});
export type CorrelationId = z.output<typeof correlationIdSchema>;

/**
 * A distinguished name as the directory returns it. Only bounded and printable here: comparison and escaping
 * belong to the gateway (directory/distinguished-name.ts compares them).
 */
export const distinguishedNameSchema = z
  .string()
  .min(1, { message: 'DN must not be empty' })
  .max(2048, { message: 'DN must be at most 2048 characters', abort: true })
  .refine((dn) => !UNPRINTABLE.test(dn), { message: 'DN must not contain raw control characters' });

/**
 * The user's immutable directory id (entryUUID, or objectGUID in its string form). The per-user storage key is
 * derived from it, so one spelling only: lower-case, or a differently cased GUID would derive a different key.
 */
export const stableIdSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, {
    message: 'stable id must be a lower-case UUID (entryUUID or objectGUID)',
  });

/** A SHA-1 certificate thumbprint, upper-case hex, as Windows prints it and as certificate token ids use it. */
export const certificateThumbprintSchema = z
  .string()
  .regex(/^[0-9A-F]{40}$/, { message: 'thumbprint must be 40 upper-case hex digits (SHA-1)' });

/** An instant on the wire between services: ISO-8601 in UTC ("Z"), no offsets, so strings sort as instants. */
export const isoInstantSchema = z.iso.datetime({
  message: 'must be an ISO-8601 UTC date-time ending in "Z"',
});

/** The version of the storage master key a value is sealed under (rotation re-seals to a newer one). */
export const keyVersionSchema = z.number().int().min(1).max(0xffff_ffff);
