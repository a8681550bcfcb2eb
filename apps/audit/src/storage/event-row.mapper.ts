import { tokenTypeSchema, type EventCode, type EventEnvelope } from '@credroam/roaming';
import { type StoredEvent } from '../contract/audit-api.schemas';
import { type AuditEventRow } from './audit-event.entity';

/** A payload larger than this is refused: events carry metadata and hashes, never content. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The row for an envelope, with the token fields lifted out of the payload for the summaries. The payload is
 * read defensively: an envelope of a version audit does not know is stored too, so nothing about its payload is
 * assumed beyond "a JSON object".
 */
export function toRow(event: EventEnvelope, receivedAt: number): AuditEventRow {
  const payload = event.payload;
  const token = event.type.startsWith('token.') ? tokenFields(payload) : null;
  return {
    id: event.id,
    type: event.type,
    version: event.version,
    occurredAt: Date.parse(event.occurredAt),
    receivedAt,
    correlationId: event.correlationId,
    user: event.user,
    machine: event.machine,
    code: event.code,
    tokenType: token?.type ?? null,
    tokenId: token?.id ?? null,
    tokenSize: token?.size ?? null,
    payload: JSON.stringify(payload),
  };
}

function tokenFields(
  payload: Record<string, unknown>,
): { type: string; id: string | null; size: number | null } | null {
  // Token events name the token as {type, id}; rejections and reports as {tokenType, displayId}.
  const type = tokenTypeSchema.safeParse(payload.type ?? payload.tokenType);
  if (!type.success) return null;
  const rawId = payload.id ?? payload.displayId;
  const id = typeof rawId === 'string' && rawId.length <= 512 && !CONTROL.test(rawId) ? rawId : null;
  const size =
    typeof payload.size === 'number' &&
    Number.isSafeInteger(payload.size) &&
    payload.size >= 0 &&
    payload.size < 2 ** 31
      ? payload.size
      : null;
  return { type: type.data, id, size };
}

/** The API shape of a stored row. */
export function toStoredEvent(row: AuditEventRow): StoredEvent {
  return {
    id: row.id,
    type: row.type,
    version: row.version,
    occurredAt: new Date(row.occurredAt).toISOString(),
    correlationId: row.correlationId,
    user: row.user,
    machine: row.machine,
    code: row.code as EventCode,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    receivedAt: new Date(row.receivedAt).toISOString(),
  };
}
