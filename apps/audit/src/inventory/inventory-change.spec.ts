import { createEvent, type EventFields, type EventType } from '@credroam/roaming';
import {
  CERTIFICATE_FACTS,
  CERTIFICATE_ID,
  HASH_A,
  KEY_CONTAINER_ID,
  NOW,
} from '@credroam/roaming/contracts/testing/contract-examples';
import { toRow } from '../storage/event-row.mapper';
import { inventoryChanges } from './inventory-change';

let sequence = 0;
function row<T extends EventType>(
  type: T,
  payload: EventFields<T>['payload'],
  user: string | null = 'alice',
) {
  sequence += 1;
  const id = `3b241101-e2bb-4255-8caf-${String(sequence).padStart(12, '0')}`;
  const built = createEvent(
    type,
    { correlationId: 'c0ffee00-1234-4abc-8def-001122334455', user, machine: null, payload } as EventFields<T>,
    { id, now: NOW },
  );
  if (!built.ok) throw new Error(built.error.message);
  return toRow(built.value, NOW);
}

const certificate = {
  type: 'certificate' as const,
  id: CERTIFICATE_ID,
  hash: HASH_A,
  modifiedAt: NOW,
  size: 900,
};

describe('inventory changes from stored events', () => {
  it('sees a certificate uploaded or downloaded with its facts', () => {
    const rows = [
      row('token.uploaded', { ...certificate, conflict: false, certificate: CERTIFICATE_FACTS }),
      row('token.downloaded', { ...certificate, conflict: true, certificate: CERTIFICATE_FACTS }),
    ];
    expect(inventoryChanges(rows)).toEqual([
      { kind: 'seen', user: 'alice', thumbprint: CERTIFICATE_ID, at: NOW, certificate: CERTIFICATE_FACTS },
      { kind: 'seen', user: 'alice', thumbprint: CERTIFICATE_ID, at: NOW, certificate: CERTIFICATE_FACTS },
    ]);
  });

  it('removes a tombstoned certificate and an expired purged one, not a purged duplicate', () => {
    expect(
      inventoryChanges([
        row('token.tombstoned', certificate),
        row('token.purged', { ...certificate, reason: 'expired-tombstone' }),
        row('token.purged', { ...certificate, reason: 'duplicate' }),
      ]),
    ).toEqual([
      { kind: 'removed', user: 'alice', thumbprint: CERTIFICATE_ID, at: NOW },
      { kind: 'removed', user: 'alice', thumbprint: CERTIFICATE_ID, at: NOW },
    ]);
  });

  it('removes every certificate of a user an operator purged, unless the purge spared certificates', () => {
    const purge = (types: ('certificate' | 'private-key')[] | null) =>
      row('security.operator-action', {
        operator: 'helpdesk',
        operation: 'directory.purge-user',
        targetDn: 'uid=alice,ou=people,dc=credroam,dc=test',
        types,
        removed: 1,
      });
    expect(inventoryChanges([purge(null), purge(['certificate']), purge(['private-key'])])).toEqual([
      { kind: 'user-purged', user: 'alice', at: NOW },
      { kind: 'user-purged', user: 'alice', at: NOW },
    ]);
  });

  it('ignores other tokens, certificates without facts (older producers) and other events', () => {
    expect(
      inventoryChanges([
        row('token.uploaded', { ...certificate, conflict: false }),
        row('token.uploaded', { ...certificate, type: 'private-key', id: KEY_CONTAINER_ID, conflict: false }),
        row('token.tombstoned', { ...certificate, type: 'private-key', id: KEY_CONTAINER_ID }),
        row('policy.limit-exceeded', { limit: 'maxTokens', allowed: 1, actual: 2 }),
      ]),
    ).toEqual([]);
  });

  it('ignores a payload that does not pass the contract (a version audit stores without reading)', () => {
    const stored = row('token.uploaded', { ...certificate, conflict: false, certificate: CERTIFICATE_FACTS });
    const tampered = JSON.parse(stored.payload) as Record<string, unknown>;
    tampered.certificate = { ...CERTIFICATE_FACTS, notAfter: 'soon' };
    expect(inventoryChanges([{ ...stored, payload: JSON.stringify(tampered) }])).toEqual([]);
    expect(inventoryChanges([{ ...stored, version: 2 }])).toEqual([]);
  });
});
