import {
  EVENT_CODES,
  stampModifiedAt,
  tokenKeyString,
  type Block,
  type CertificateMetadata,
  type Download,
  type EventFields,
  type EventType,
  type MachineBase,
  type Rejection,
  type RoamingEvent,
  type SyncRequest,
  type SyncResponse,
} from '@credroam/roaming';
import { type SessionClaims } from '../sessions/session-token';
import { restoreEntries, tokenFields } from './sync-rejections';
import { type WrittenPlan } from './sync-write.loop';

/** The Windows failure event of a sync that a limit or the policy stopped. */
const BLOCK_CODES = Object.freeze({
  TOKEN_LIMIT_EXCEEDED: EVENT_CODES.TOO_MANY_TOKENS,
  TOTAL_SIZE_EXCEEDED: EVENT_CODES.SIZE_LIMIT_EXCEEDED,
  ROAMING_DISABLED: EVENT_CODES.PRECONDITION_FAILED,
} as const satisfies Record<Block['code'], SyncResponse['code']>);

export interface SyncOutcomeInput {
  claims: SessionClaims;
  request: SyncRequest;
  correlationId: string;
  written: WrittenPlan;
  downloads: Download[];
  /** The download keys the downloads are sealed to; empty when they are sealed to the device key. */
  downloadKeys: string[];
  /** Downloads that could not be delivered. */
  undeliverable: Rejection[];
  /** The public facts of the downloaded certificates, by token key. */
  downloadedCertificates: ReadonlyMap<string, CertificateMetadata>;
  startedAt: number;
  now: number;
  /** The mark of the session's policy (settled-mark.ts), which a settled answer carries; null: an agent without it. */
  settledMark: string | null;
}

export type MakeEvent = <T extends EventType>(type: T, fields: EventFields<T>) => RoamingEvent;

/**
 * What a finished sync says: the answer to the agent and the events for audit, from what the write loop and
 * the download sealer did. No I/O: `makeEvent` only stamps ids and times.
 */
export function buildSyncOutcome(
  input: SyncOutcomeInput,
  makeEvent: MakeEvent,
): { response: SyncResponse; events: RoamingEvent[] } {
  const { claims, request, correlationId, written, downloads } = input;
  const { plan } = written;
  const who = { correlationId, user: claims.login, machine: claims.machine };
  const delivered = new Set(downloads.map((download) => tokenKeyString(download.token)));
  const undelivered = new Set(
    plan.downloads.map(({ token }) => tokenKeyString(token)).filter((key) => !delivered.has(key)),
  );
  const rejections = [...plan.rejections, ...written.rejections, ...input.undeliverable];
  // Settled: the agent, once it applies this answer, and the directory agree on everything reconcile decides, so
  // its next sync may be a check of the stamp. Not while a download or an upload is left for later, nor while a
  // token is held back: every full sync reports those again, and a check reports nothing (a workstation holding
  // one keeps sending its manifest). A full resync settles too: the base it hands out is whole (a stale base is the
  // next check's to catch, by its age).
  const settledMark =
    !plan.blocked && written.stamp !== null && rejections.length === 0 && undelivered.size === 0
      ? input.settledMark
      : null;
  const common = {
    correlationId,
    stamp: written.stamp,
    rejections,
    reported: plan.reported,
    ...(written.windowsCertificates === undefined
      ? {}
      : { windowsCertificates: written.windowsCertificates }),
    base: responseBase(input, undelivered),
    fullResync: plan.fullResync,
    ...(settledMark === null ? {} : { settled: settledMark }),
  };
  if (plan.blocked) {
    const { limit } = plan.blocked;
    const payload = limit && { limit: limit.name, allowed: limit.allowed, actual: limit.actual };
    return {
      events: payload ? [makeEvent('policy.limit-exceeded', { ...who, payload })] : [],
      response: {
        ...common,
        status: 'blocked',
        code: BLOCK_CODES[plan.blocked.code],
        downloads: [],
        localDeletions: [],
        conflicts: [],
        block: plan.blocked,
      },
    };
  }
  const events: RoamingEvent[] = [];
  if (written.wrote) {
    for (const upload of plan.uploads) {
      const facts = written.certificates.get(tokenKeyString(upload.token));
      const payload = {
        ...tokenFields(upload.token),
        conflict: upload.conflict,
        ...(facts ? { certificate: facts } : {}),
      };
      events.push(makeEvent('token.uploaded', { ...who, payload }));
    }
    for (const { token } of plan.tombstones) {
      events.push(makeEvent('token.tombstoned', { ...who, payload: tokenFields(token) }));
    }
    for (const purge of plan.purges) {
      const payload = { ...tokenFields(purge.entry), reason: purge.reason };
      events.push(makeEvent('token.purged', { ...who, payload }));
    }
    // The new stamp's time, which the user's other workstations wait for.
    const modifiedAt = written.stamp === null ? null : stampModifiedAt(written.stamp);
    if (modifiedAt !== null) {
      events.push(
        makeEvent('directory.changed', { ...who, payload: { trigger: request.trigger, modifiedAt } }),
      );
    }
  }
  for (const download of plan.downloads.filter(({ token }) => !undelivered.has(tokenKeyString(token)))) {
    const facts = input.downloadedCertificates.get(tokenKeyString(download.token));
    const payload = {
      ...tokenFields(download.token),
      conflict: download.conflict,
      ...(facts ? { certificate: facts } : {}),
    };
    events.push(makeEvent('token.downloaded', { ...who, payload }));
  }
  for (const conflict of plan.conflicts)
    events.push(makeEvent('token.conflict', { ...who, payload: conflict }));
  for (const rejected of rejections) events.push(makeEvent('token.rejected', { ...who, payload: rejected }));
  const upToDate = !written.wrote && downloads.length === 0 && plan.localDeletions.length === 0;
  // Windows' pair: 502 (the base could not be used) before 2 (the full resync that healed it). A first use
  // has no base to lose: its full resync is ordinary roaming.
  const lostBase =
    plan.fullResync === 'no-base' && request.baseStatus === 'first-use' ? null : plan.fullResync;
  const code = lostBase === null ? EVENT_CODES.ROAMING_PERFORMED : EVENT_CODES.SELF_HEALING_PERFORMED;
  if (lostBase !== null) {
    events.unshift(makeEvent('sync.self-heal-needed', { ...who, payload: { reason: lostBase } }));
  }
  const counted = (count: number) => (written.wrote ? count : 0);
  events.push(
    makeEvent('sync.completed', {
      ...who,
      code,
      payload: {
        trigger: request.trigger,
        counts: {
          uploads: counted(plan.uploads.length),
          downloads: downloads.length,
          localDeletions: plan.localDeletions.length,
          tombstones: counted(plan.tombstones.length),
          purges: counted(plan.purges.length),
          conflicts: plan.conflicts.length,
          rejections: rejections.length,
          reported: plan.reported.length,
        },
        durationMs: Math.max(0, Math.min(input.now - input.startedAt, 86_400_000)),
        fullResync: plan.fullResync,
        upToDate,
      },
    }),
  );
  return {
    events,
    response: {
      ...common,
      status: upToDate ? 'up-to-date' : 'synced',
      code,
      downloads,
      ...(input.downloadKeys.length > 0 ? { downloadKeys: input.downloadKeys } : {}),
      localDeletions: plan.localDeletions,
      conflicts: plan.conflicts,
      block: null,
    },
  };
}

/**
 * The base the agent records: the plan's, minus downloads it did not get (so the next sync offers them again
 * instead of reading their absence as a local deletion), with the created time of a stamp this sync created.
 */
function responseBase(input: SyncOutcomeInput, undelivered: Set<string>): MachineBase {
  const { request, written } = input;
  const previous = request.manifest.base;
  const base = written.plan.base ??
    previous ?? { directoryCreatedAt: written.createdAt, syncedAt: input.now, entries: [] };
  const entries = undelivered.size === 0 ? base.entries : restoreEntries(base.entries, undelivered, previous);
  return {
    ...base,
    entries,
    directoryCreatedAt: base.directoryCreatedAt ?? (written.wrote ? written.createdAt : null),
  };
}
