import { EVENT_CODE_INFO, type EventCode } from '@credroam/roaming';
import { type StoredEvent } from '../contract/audit-api.schemas';
import { csvRow } from './csv';

export const CSV_COLUMNS = [
  'id',
  'occurredAt',
  'receivedAt',
  'type',
  'version',
  'code',
  'codeName',
  'user',
  'machine',
  'correlationId',
  'payload',
] as const;

export function csvHeader(): string {
  return csvRow(CSV_COLUMNS);
}

export function toCsvRow(event: StoredEvent): string {
  return csvRow([
    event.id,
    event.occurredAt,
    event.receivedAt,
    event.type,
    event.version,
    event.code,
    EVENT_CODE_INFO[event.code as EventCode]?.name ?? null,
    event.user,
    event.machine,
    event.correlationId,
    JSON.stringify(event.payload),
  ]);
}

export function toNdjsonLine(event: StoredEvent): string {
  return `${JSON.stringify(event)}\n`;
}
