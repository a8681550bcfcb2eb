// Events as a sync produces them (the logon-events saga is not built yet), built with createEvent so they
// pass the same validation the publisher and the consumer apply.
import { randomUUID } from 'node:crypto';
import { createEvent, type EventFields, type EventType, type RoamingEvent } from '@credroam/roaming';
import { CERTIFICATE_ID, HASH_A, HASH_B } from '@credroam/roaming/contracts/testing/contract-examples';

export function event<T extends EventType>(
  type: T,
  fields: EventFields<T>,
  at: number = Date.now(),
): RoamingEvent {
  const built = createEvent(type, fields, { id: randomUUID(), now: at });
  if (!built.ok) throw new Error(`${type}: ${built.error.message}`);
  return built.value;
}

export interface SyncOptions {
  user: string;
  machine: string;
  at?: number;
  correlationId?: string;
  /** Certificate thumbprint to upload; default a fixed one. */
  certificateId?: string;
  size?: number;
  conflict?: boolean;
  durationMs?: number;
}

/** sync.started, token.uploaded (and token.conflict when asked), sync.completed: one successful sync. */
export function syncEvents(options: SyncOptions): RoamingEvent[] {
  const at = options.at ?? Date.now();
  const subject = {
    correlationId: options.correlationId ?? randomUUID(),
    user: options.user,
    machine: options.machine,
  };
  const token = {
    type: 'certificate' as const,
    id: options.certificateId ?? CERTIFICATE_ID,
    hash: HASH_A,
    modifiedAt: at - 1_000,
    size: options.size ?? 1342,
  };
  const events: RoamingEvent[] = [
    event('sync.started', { ...subject, payload: { trigger: 'logon' } }, at),
    event(
      'token.uploaded',
      { ...subject, payload: { ...token, conflict: options.conflict ?? false } },
      at + 1,
    ),
  ];
  if (options.conflict) {
    events.push(
      event(
        'token.conflict',
        {
          ...subject,
          payload: {
            type: 'certificate',
            id: token.id,
            kind: 'both-changed',
            winner: 'local',
            local: { hash: HASH_A, modifiedAt: at - 1_000, tombstone: false },
            directory: { hash: HASH_B, modifiedAt: at - 5_000, tombstone: false },
          },
        },
        at + 2,
      ),
    );
  }
  events.push(
    event(
      'sync.completed',
      {
        ...subject,
        code: 1,
        payload: {
          trigger: 'logon',
          counts: {
            uploads: 1,
            downloads: 0,
            localDeletions: 0,
            tombstones: 0,
            purges: 0,
            conflicts: options.conflict ? 1 : 0,
            rejections: 0,
            reported: 0,
          },
          durationMs: options.durationMs ?? 184,
          fullResync: null,
          upToDate: false,
        },
      },
      at + 3,
    ),
  );
  return events;
}

export function failedSync(user: string, machine: string, at: number = Date.now()): RoamingEvent {
  return event(
    'sync.failed',
    {
      correlationId: randomUUID(),
      user,
      machine,
      payload: {
        trigger: 'unlock',
        error: { code: 'DIRECTORY_UNAVAILABLE', message: 'slapd did not answer' },
        attempts: 3,
      },
    },
    at,
  );
}

/** A certificate thumbprint from a number (40 upper-case hex digits). */
export function thumbprint(n: number): string {
  return n.toString(16).toUpperCase().padStart(40, '0');
}
