import { eventIdSchema, RoamingError } from '@credroam/roaming';

/** A position in the newest-first order (occurred_at DESC, id DESC): the last event of the previous page. */
export interface EventCursor {
  occurredAt: number;
  id: string;
}

const PREFIX = 'v1:';
const MAX_CURSOR_LENGTH = 128;

/** Opaque to clients: base64url of `v1:<epoch ms>:<event id>`. */
export function encodeCursor(cursor: EventCursor): string {
  return Buffer.from(`${PREFIX}${cursor.occurredAt}:${cursor.id}`, 'utf8').toString('base64url');
}

/** Throws INVALID_INPUT for anything encodeCursor did not produce. */
export function decodeCursor(text: string): EventCursor {
  const invalid = () => new RoamingError('INVALID_INPUT', 'cursor: not a cursor returned by this API');
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid();
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  const match = /^v1:(\d{1,16}):(.+)$/.exec(decoded);
  if (!match) throw invalid();
  const occurredAt = Number(match[1]);
  const id = match[2] ?? '';
  if (!Number.isSafeInteger(occurredAt) || !eventIdSchema.safeParse(id).success) throw invalid();
  return { occurredAt, id };
}
