import { EVENT_CODE_INFO, RoamingError, type EventCode } from '@credroam/roaming';
import { type EventFilter } from '../events/event-filter';
import { type CodeCountView, type FleetSummary, type UserSummary } from '../contract/audit-api.schemas';
import {
  type CodeCount,
  type MachineSync,
  type SyncBucket,
  type TokenTypeCount,
  type TypeCount,
  type UserCount,
  type UserSize,
} from '../storage/audit-event.repository';
type TopUsers = FleetSummary['topUsers'];
import { type AuditEventRow } from '../storage/audit-event.entity';
import { type EventCursor } from '../events/event-cursor';
import { toStoredEvent } from '../storage/event-row.mapper';

/** What the summaries need from storage. */
export interface SummaryReader {
  page(filter: EventFilter, after: EventCursor | null, limit: number): Promise<AuditEventRow[]>;
  tokensByType(user: string): Promise<TokenTypeCount[]>;
  lastSyncPerMachine(user: string, limit: number): Promise<MachineSync[]>;
  openConflicts(user: string, limit: number): Promise<AuditEventRow[]>;
  codeCounts(filter: EventFilter): Promise<CodeCount[]>;
  typeCounts(filter: EventFilter): Promise<TypeCount[]>;
  syncBuckets(from: number, to: number, bucketMs: number): Promise<SyncBucket[]>;
  topUsersByConflicts(from: number, to: number, limit: number): Promise<UserCount[]>;
  topUsersBySize(limit: number): Promise<UserSize[]>;
}

const MACHINES_SHOWN = 200;
const RECENT_SHOWN = 20;
const CONFLICTS_SHOWN = 100;
/** Fleet charts stay readable and cheap: at most this many buckets, at least one minute each. */
const MAX_BUCKETS = 360;

const iso = (ms: number) => new Date(ms).toISOString();

function codeView(counts: CodeCount[]): CodeCountView[] {
  return counts.map(({ code, count }) => ({
    code,
    name: EVENT_CODE_INFO[code as EventCode]?.name ?? null,
    count,
  }));
}

const HOUR_MS = 3_600_000;
/** Longer windows are refused, so that one request cannot scan the whole retention period by accident. */
const MAX_WINDOW_MS = 31 * 24 * HOUR_MS;

export class SummariesService {
  constructor(
    private readonly store: SummaryReader,
    private readonly clock: () => number = Date.now,
  ) {}

  /** What audit knows about one user (within the retention window). An unknown user has an empty summary. */
  async userSummary(user: string): Promise<UserSummary> {
    const [tokens, machines, conflicts, rejectionCodes, rejections, limitCounts, limitHits] =
      await Promise.all([
        this.store.tokensByType(user),
        this.store.lastSyncPerMachine(user, MACHINES_SHOWN),
        this.store.openConflicts(user, CONFLICTS_SHOWN),
        this.store.codeCounts({ user, types: ['token.rejected'] }),
        this.store.page({ user, types: ['token.rejected'] }, null, RECENT_SHOWN),
        this.store.typeCounts({ user, types: ['policy.limit-exceeded'] }),
        this.store.page({ user, types: ['policy.limit-exceeded'] }, null, RECENT_SHOWN),
      ]);
    return {
      user,
      tokensByType: tokens,
      machines: machines.map((sync) => ({
        machine: sync.machine,
        outcome: sync.type === 'sync.completed' ? 'completed' : 'failed',
        code: sync.code,
        at: iso(sync.occurredAt),
        correlationId: sync.correlationId,
      })),
      openConflicts: conflicts.map(toStoredEvent),
      rejections: { byCode: codeView(rejectionCodes), recent: rejections.map(toStoredEvent) },
      limitHits: {
        count: limitCounts.reduce((sum, row) => sum + row.count, 0),
        recent: limitHits.map(toStoredEvent),
      },
    };
  }

  /**
   * The fleet between `from` (inclusive, default an hour before `to`) and `to` (exclusive, default now). Throws
   * INVALID_INPUT unless from < to and the window is at most 31 days.
   */
  async fleetSummary(window: {
    from?: number;
    to?: number;
    top: 'conflicts' | 'size';
    topLimit: number;
  }): Promise<FleetSummary> {
    const { top, topLimit } = window;
    const to = window.to ?? this.clock();
    const from = window.from ?? to - HOUR_MS;
    if (!(from < to) || to - from > MAX_WINDOW_MS) {
      throw new RoamingError('INVALID_INPUT', 'from must be before to, and the window at most 31 days');
    }
    const bucketMinutes = Math.max(1, Math.ceil((to - from) / 60_000 / MAX_BUCKETS));
    const bucketMs = bucketMinutes * 60_000;
    const range: EventFilter = { from, to };
    const [buckets, types, failures, rejections, topUsers] = await Promise.all([
      this.store.syncBuckets(from, to, bucketMs),
      this.store.typeCounts(range),
      this.store.codeCounts({ ...range, types: ['sync.failed'] }),
      this.store.codeCounts({ ...range, types: ['token.rejected'] }),
      top === 'size'
        ? this.store.topUsersBySize(topLimit).then((users): TopUsers => ({ by: 'size', users }))
        : this.store
            .topUsersByConflicts(from, to, topLimit)
            .then((users): TopUsers => ({ by: 'conflicts', users })),
    ]);
    const countOf = (type: string) => types.find((row) => row.type === type)?.count ?? 0;
    return {
      from: iso(from),
      to: iso(to),
      bucketSeconds: bucketMs / 1000,
      syncs: buckets.map((bucket) => ({
        start: iso(bucket.start),
        completed: bucket.completed,
        failed: bucket.failed,
      })),
      totals: {
        events: types.reduce((sum, row) => sum + row.count, 0),
        syncsCompleted: countOf('sync.completed'),
        syncsFailed: countOf('sync.failed'),
        conflicts: countOf('token.conflict'),
        rejections: countOf('token.rejected'),
        limitHits: countOf('policy.limit-exceeded'),
        deadLettered: countOf('message.dead-lettered'),
      },
      failuresByCode: codeView(failures),
      rejectionsByCode: codeView(rejections),
      topUsers,
    };
  }
}
