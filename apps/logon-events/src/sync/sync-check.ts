import {
  DAY_MS,
  EVENT_CODES,
  parseWith,
  RoamingError,
  syncCheckRequestSchema,
  unwrap,
  type RoamingEvent,
  type SyncCheckResponse,
} from '@credroam/roaming';
import { type EventFactory } from '../events/event.factory';
import { type Clock, type DirectoryRepository } from '../repositories/logon.repositories';
import { settledMark } from './settled-mark';
import { type SyncSession } from './sync-session';

const NOTHING = {
  uploads: 0,
  downloads: 0,
  localDeletions: 0,
  tombstones: 0,
  purges: 0,
  conflicts: 0,
  rejections: 0,
  reported: 0,
};

/**
 * The settled check (apps/logon-events/README.md): a workstation that changed nothing since a settled sync asks whether the
 * directory did. Reconcile would plan nothing when the stamp, the policy and the base's age are those of that sync
 * (a tombstone due for purge waits for the next write, as it does while nobody logs on), so one stamp read answers
 * it: the sync is complete and audited as one. Anything else is a miss, and the agent sends its manifest.
 */
export class SyncCheck {
  constructor(
    private readonly directory: DirectoryRepository,
    private readonly clock: Clock,
    private readonly factory: EventFactory,
    private readonly publish: (events: RoamingEvent[]) => Promise<void>,
  ) {}

  async check(session: SyncSession, body: unknown, correlationId: string): Promise<SyncCheckResponse> {
    const request = unwrap(parseWith(syncCheckRequestSchema, body, 'INVALID_INPUT'));
    const { claims, policy } = session;
    if (request.machine !== claims.machine) {
      throw new RoamingError('FORBIDDEN', 'this session belongs to another machine');
    }
    const startedAt = this.clock.now();
    const mark = settledMark(policy);
    if (!policy.enabled || request.settled !== mark) {
      return { status: 'changed', correlationId, reason: 'policy-changed' };
    }
    if (request.syncedAt < startedAt - policy.tombstoneDays * DAY_MS) {
      return { status: 'changed', correlationId, reason: 'stale-base' };
    }
    const { stamp } = await this.directory.readStamp(claims.dn, correlationId);
    if (stamp !== request.stamp) return { status: 'changed', correlationId, reason: 'directory-changed' };
    const now = this.clock.now();
    const who = { correlationId, user: claims.login, machine: claims.machine };
    const { trigger } = request;
    await this.publish([
      this.factory.event('sync.started', { ...who, payload: { trigger } }),
      this.factory.event('sync.completed', {
        ...who,
        code: EVENT_CODES.ROAMING_PERFORMED,
        payload: {
          trigger,
          counts: NOTHING,
          durationMs: Math.max(0, Math.min(now - startedAt, 86_400_000)),
          fullResync: null,
          upToDate: true,
        },
      }),
    ]);
    return { status: 'up-to-date', code: 1, correlationId, stamp, syncedAt: now, settled: mark };
  }
}
