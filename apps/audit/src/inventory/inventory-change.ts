import { EVENT_CATALOG, type CertificateMetadata } from '@credroam/roaming';
import { type AuditEventRow } from '../storage/audit-event.entity';

/** What one stored event changes in the certificate inventory. */
export type InventoryChange =
  | { kind: 'seen'; user: string; thumbprint: string; at: number; certificate: CertificateMetadata }
  | { kind: 'removed'; user: string; thumbprint: string; at: number }
  /** An operator purged the user's certificates (credroam user purge): every one of them is gone. */
  | { kind: 'user-purged'; user: string; at: number };

/**
 * The inventory changes a batch of stored rows implies: an upload or download of a certificate with its facts
 * (seen), a tombstone of a certificate or the purge of an expired one (removed: a purged duplicate leaves its
 * twin), an operator's purge of the user's certificates (user-purged). The payload is checked with the event's own contract
 * schema, so an event of another version, or one without facts (a producer that predates the inventory), changes
 * nothing.
 */
export function inventoryChanges(rows: readonly AuditEventRow[]): InventoryChange[] {
  const changes: InventoryChange[] = [];
  for (const row of rows) {
    const change = row.user === null || row.version !== 1 ? undefined : changeOf(row, row.user);
    if (change) changes.push(change);
  }
  return changes;
}

function changeOf(row: AuditEventRow, user: string): InventoryChange | undefined {
  const at = row.occurredAt;
  if (row.type === 'security.operator-action') {
    const parsed = EVENT_CATALOG[row.type].payload.safeParse(JSON.parse(row.payload));
    const types = parsed.success ? parsed.data.types : [];
    return types === null || types.includes('certificate') ? { kind: 'user-purged', user, at } : undefined;
  }
  if (row.tokenType !== 'certificate') return undefined;
  switch (row.type) {
    case 'token.uploaded':
    case 'token.downloaded': {
      const parsed = EVENT_CATALOG[row.type].payload.safeParse(JSON.parse(row.payload));
      if (!parsed.success || !parsed.data.certificate) return undefined;
      const { id, certificate } = parsed.data;
      return { kind: 'seen', user, thumbprint: id, at, certificate };
    }
    case 'token.tombstoned': {
      const parsed = EVENT_CATALOG[row.type].payload.safeParse(JSON.parse(row.payload));
      return parsed.success ? { kind: 'removed', user, thumbprint: parsed.data.id, at } : undefined;
    }
    case 'token.purged': {
      const parsed = EVENT_CATALOG[row.type].payload.safeParse(JSON.parse(row.payload));
      return parsed.success && parsed.data.reason === 'expired-tombstone'
        ? { kind: 'removed', user, thumbprint: parsed.data.id, at }
        : undefined;
    }
    default:
      return undefined;
  }
}
