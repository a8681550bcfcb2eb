import { type AuditEventRow } from '../storage/audit-event.entity';
import { toStoredEvent } from '../storage/event-row.mapper';
import { decodeCursor, encodeCursor, type EventCursor } from './event-cursor';
import { type EventFilter } from './event-filter';
import { type EventPage, type StoredEvent } from '../contract/audit-api.schemas';

/** What the query use-cases need from storage. */
export interface EventReader {
  page(filter: EventFilter, after: EventCursor | null, limit: number): Promise<AuditEventRow[]>;
}

const EXPORT_PAGE = 1_000;

export class EventsService {
  constructor(private readonly events: EventReader) {}

  /** One page, newest first. Throws INVALID_INPUT for a cursor this API did not issue. */
  async list(filter: EventFilter, cursor: string | undefined, limit: number): Promise<EventPage> {
    const after = cursor === undefined ? null : decodeCursor(cursor);
    // One row more than asked says whether another page exists without a count.
    const rows = await this.events.page(filter, after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      events: page.map(toStoredEvent),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ occurredAt: last.occurredAt, id: last.id }) : null,
    };
  }

  /** Every matching event, newest first, up to `max`, read page by page (keyset) so memory stays flat. */
  async *export(filter: EventFilter, max: number): AsyncGenerator<StoredEvent> {
    let after: EventCursor | null = null;
    let remaining = max;
    while (remaining > 0) {
      const want = Math.min(EXPORT_PAGE, remaining);
      const rows = await this.events.page(filter, after, want);
      for (const row of rows) yield toStoredEvent(row);
      remaining -= rows.length;
      const last = rows[rows.length - 1];
      if (!last || rows.length < want) return;
      after = { occurredAt: last.occurredAt, id: last.id };
    }
  }
}
