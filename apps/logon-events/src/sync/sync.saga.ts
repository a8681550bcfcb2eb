import {
  decodeRoamingTimestamp,
  describeUntrusted,
  directoryChanges,
  parseWith,
  planWritesDirectory,
  reconcile,
  RoamingError,
  syncRequestSchema,
  tokenKeyString,
  toLocalToken,
  unwrap,
  type BaseEntry,
  type DirectoryEntry,
  type DirectoryToken,
  type DirectoryAddition,
  type Download,
  type MachineBase,
  type Policy,
  type Rejection,
  type RoamingEvent,
  type SyncPlan,
  type SyncRequest,
  type StoredValue,
  type SyncResponse,
} from '@credroam/roaming';
import { EventFactory } from '../events/event.factory';
import {
  type Clock,
  type CryptoPort,
  type DirectoryPort,
  type EventSink,
  type LogSink,
} from '../ports/logon.ports';
import { granteeOf, type SessionClaims } from '../sessions/session-token';

export interface SyncSettings {
  /** Write attempts per sync, counting the first (lost compare-and-swap races are retried). */
  maxWriteAttempts: number;
  /** Base delay of the jittered exponential backoff between attempts. */
  retryBaseDelayMs: number;
}

export interface SyncDependencies {
  directory: DirectoryPort;
  crypto: CryptoPort;
  events: EventSink;
  clock: Clock;
  log: LogSink;
}

/** The session's claims (the user, machine and device key) and its effective policy. */
export interface SyncSession {
  claims: SessionClaims;
  policy: Policy;
}

type Attempt = { plan: SyncPlan; stamp: string | null; createdAt: number | null; wrote: boolean };

/**
 * One sync (DESIGN.md section 6): read → reconcile → seal uploads → compare-and-swap write (re-read and
 * re-reconcile after a lost race, bounded and jittered) → re-seal downloads for the device → events → answer.
 * With the directory unchanged since the agent's last stamp and nothing new locally it costs one directory read.
 */
export class SyncSaga {
  private readonly factory: EventFactory;

  constructor(
    private readonly deps: SyncDependencies,
    private readonly settings: SyncSettings,
  ) {
    this.factory = new EventFactory(deps.clock);
  }

  /** Validates `body` (the same for HTTP and AMQP), then runs the sync for the session's own user only. */
  async sync(session: SyncSession, body: unknown, correlationId: string): Promise<SyncResponse> {
    const request = unwrap(parseWith(syncRequestSchema, body, 'INVALID_INPUT'));
    const { claims } = session;
    if (request.machine !== claims.machine) {
      throw new RoamingError('FORBIDDEN', 'this session belongs to another machine');
    }
    const started = this.deps.clock.now();
    const who = { correlationId, user: claims.login, machine: claims.machine };
    await this.publish([
      this.factory.event('sync.started', { ...who, payload: { trigger: request.trigger } }),
    ]);
    const tracker = { attempts: 1 };
    try {
      const response = await this.run(session, request, correlationId, tracker, started);
      this.deps.log.info(
        { correlationId, user: claims.login, status: response.status, attempts: tracker.attempts },
        'sync done',
      );
      return response;
    } catch (error) {
      const info =
        error instanceof RoamingError
          ? error
          : new RoamingError('INTERNAL', (error as Error).message ?? 'failed');
      this.deps.log.warn({ correlationId, user: claims.login, code: info.code }, 'sync failed');
      await this.publish([
        this.factory.event('sync.failed', {
          ...who,
          payload: {
            trigger: request.trigger,
            error: { code: info.code, message: info.message.slice(0, 2048) },
            attempts: Math.min(tracker.attempts, 100),
          },
        }),
      ]);
      throw info;
    }
  }

  private async run(
    session: SyncSession,
    request: SyncRequest,
    correlationId: string,
    tracker: { attempts: number },
    started: number,
  ): Promise<SyncResponse> {
    const { directory, clock } = this.deps;
    const { claims } = session;
    const sealedUploads = new Map<string, DirectoryAddition | Rejection>();
    const events: RoamingEvent[] = [];
    let outcome: Attempt;
    let rejections: Rejection[] = [];
    for (;;) {
      const read = await directory.readState(claims.dn, correlationId);
      const plan = reconcile({
        local: request.manifest,
        directory: read.state,
        policy: session.policy,
        now: clock.now(),
      });
      if (plan.blocked || !planWritesDirectory(plan)) {
        outcome = { plan, stamp: read.stamp, createdAt: read.state.createdAt, wrote: false };
        break;
      }
      rejections = await this.sealUploads(session, request, plan, sealedUploads, correlationId);
      const written = this.withoutRejectedUploads(plan, rejections, request.manifest.base);
      if (!planWritesDirectory(written)) {
        outcome = { plan: written, stamp: read.stamp, createdAt: read.state.createdAt, wrote: false };
        break;
      }
      const { remove, add } = directoryChanges(written);
      try {
        const { stamp } = await directory.applyChanges(
          {
            userDn: claims.dn,
            expectedStamp: read.stamp,
            remove: remove.map((entry) => entry.ref),
            add: add.map((token) => {
              const sealed = sealedUploads.get(tokenKeyString(token));
              return sealed && 'sealed' in sealed && !token.tombstone
                ? { ...sealed, token }
                : { token, keyVersion: null, sealed: null };
            }),
            purgeWatermark: written.purgeWatermark,
          },
          granteeOf(claims),
          correlationId,
        );
        const createdAt = unwrap(decodeRoamingTimestamp(Buffer.from(stamp, 'base64'))).createdAt;
        outcome = { plan: written, stamp, createdAt, wrote: true };
        break;
      } catch (error) {
        if (!(error instanceof RoamingError) || error.code !== 'DIRECTORY_STAMP_CHANGED') throw error;
        if (tracker.attempts >= this.settings.maxWriteAttempts) throw error;
        const delayMs = this.retryDelay(tracker.attempts);
        // Published at once: operators see the contention even if the sync gives up later.
        await this.publish([
          this.factory.event('directory.write-retried', {
            correlationId,
            user: claims.login,
            machine: claims.machine,
            payload: { attempt: tracker.attempts, reason: error.code, delayMs },
          }),
        ]);
        tracker.attempts += 1;
        await clock.sleep(delayMs);
      }
    }
    const { downloads, failed } = await this.sealDownloads(session, outcome.plan, correlationId);
    return this.answer(
      session,
      request,
      outcome,
      downloads,
      [...rejections, ...failed],
      events,
      correlationId,
      started,
    );
  }

  /** Seals each planned upload once per sync (a retry after a lost race reuses what was sealed). */
  private async sealUploads(
    session: SyncSession,
    request: SyncRequest,
    plan: SyncPlan,
    sealed: Map<string, DirectoryAddition | Rejection>,
    correlationId: string,
  ): Promise<Rejection[]> {
    const envelopes = new Map(request.uploads.map((upload) => [tokenKeyString(upload), upload.envelope]));
    const missing: Rejection[] = [];
    const toSeal = plan.uploads.filter((upload) => {
      const key = tokenKeyString(upload.token);
      const existing = sealed.get(key);
      if (existing && 'sealed' in existing && existing.token.hash === upload.token.hash) return false;
      if (existing && !('sealed' in existing)) return false;
      if (!envelopes.has(key)) {
        missing.push(rejection(upload.token, 'INVALID_INPUT', 'the content of this token was not uploaded'));
        return false;
      }
      return true;
    });
    if (toSeal.length > 0) {
      const { items } = await this.deps.crypto.sealForStorage(
        {
          user: { stableId: session.claims.stableId, login: session.claims.login },
          limits: { maxTokenBytes: session.policy.maxTokenBytes },
          items: toSeal.map((upload) => ({
            token: toLocalToken(upload.token),
            envelope: envelopes.get(tokenKeyString(upload.token)) as string,
          })),
        },
        granteeOf(session.claims),
        correlationId,
      );
      toSeal.forEach((upload, index) => {
        const item = items[index];
        const key = tokenKeyString(upload.token);
        if (!item || tokenKeyString(item) !== key) {
          throw new RoamingError('CONTRACT_VIOLATION', 'token-crypto answered seal-for-storage out of order');
        }
        sealed.set(
          key,
          item.ok
            ? { token: upload.token, keyVersion: item.keyVersion, sealed: item.sealed }
            : rejection(upload.token, item.error.code, item.error.message),
        );
      });
    }
    const refused = plan.uploads.flatMap((upload) => {
      const result = sealed.get(tokenKeyString(upload.token));
      return result && !('sealed' in result) ? [result] : [];
    });
    return [...missing, ...refused];
  }

  /**
   * Drops uploads token-crypto refused. Their base entries go back to what the machine had, so the next sync
   * sees them as still to upload instead of as written.
   */
  private withoutRejectedUploads(
    plan: SyncPlan,
    rejections: Rejection[],
    previous: MachineBase | null,
  ): SyncPlan {
    if (rejections.length === 0) return plan;
    const refused = new Set(
      plan.uploads
        .filter((upload) =>
          rejections.some(
            (r) => r.tokenType === upload.token.type && r.displayId === displayId(upload.token.id),
          ),
        )
        .map((upload) => tokenKeyString(upload.token)),
    );
    return {
      ...plan,
      uploads: plan.uploads.filter((upload) => !refused.has(tokenKeyString(upload.token))),
      base: plan.base && { ...plan.base, entries: restoreEntries(plan.base.entries, refused, previous) },
    };
  }

  /** Re-seals downloads to the device key; a value that cannot be delivered is rejected and left for next time. */
  private async sealDownloads(
    session: SyncSession,
    plan: SyncPlan,
    correlationId: string,
  ): Promise<{ downloads: Download[]; failed: Rejection[] }> {
    if (plan.blocked || plan.downloads.length === 0) return { downloads: [], failed: [] };
    const failed: Rejection[] = [];
    const downloads: Download[] = [];
    const stored: Map<string, StoredValue> = await this.deps.directory
      .readStoredValues(
        session.claims.dn,
        plan.downloads.map(({ token }) => ({ type: token.type, id: token.id })),
        granteeOf(session.claims),
        correlationId,
      )
      .catch((error: unknown) => {
        const info = error instanceof RoamingError ? error : new RoamingError('INTERNAL', String(error));
        plan.downloads.forEach(({ token }) =>
          failed.push(rejection(token, info.code, info.message, 'directory')),
        );
        return new Map<string, StoredValue>();
      });
    const items = plan.downloads.flatMap(({ token }) => {
      // The directory may have moved on since it was read for the plan: only the planned version is delivered.
      const found = stored.get(tokenKeyString(token));
      const value =
        found && found.token.hash === token.hash && found.token.modifiedAt === token.modifiedAt
          ? found
          : undefined;
      const alreadyFailed = failed.some(
        (r) => r.tokenType === token.type && r.displayId === displayId(token.id),
      );
      if (!value && !alreadyFailed) {
        failed.push(
          rejection(token, 'DIRECTORY_UNAVAILABLE', 'the stored value could not be read', 'directory'),
        );
      }
      return value ? [value] : [];
    });
    if (items.length > 0) {
      const sealed = await this.deps.crypto.sealForDevice(
        {
          user: { stableId: session.claims.stableId, login: session.claims.login },
          devicePublicKey: session.claims.devicePublicKey,
          items,
          includeHashKey: false,
        },
        granteeOf(session.claims),
        correlationId,
      );
      const byKey = new Map(sealed.items.map((item) => [tokenKeyString(item), item]));
      for (const { token } of plan.downloads) {
        const item = byKey.get(tokenKeyString(token));
        if (!item) continue;
        if (item.ok) downloads.push({ token: toLocalToken(token), envelope: item.envelope });
        else failed.push(rejection(token, item.error.code, item.error.message, 'directory'));
      }
    }
    return { downloads, failed };
  }

  private answer(
    session: SyncSession,
    request: SyncRequest,
    outcome: Attempt,
    downloads: Download[],
    rejections: Rejection[],
    events: RoamingEvent[],
    correlationId: string,
    started: number,
  ): Promise<SyncResponse> {
    const { plan } = outcome;
    const { claims } = session;
    const now = this.deps.clock.now();
    const user = { correlationId, user: claims.login, machine: claims.machine };
    const undelivered = new Set(
      plan.downloads
        .filter(({ token }) => !downloads.some((d) => tokenKeyString(d.token) === tokenKeyString(token)))
        .map(({ token }) => tokenKeyString(token)),
    );
    const base = responseBase(plan, request, outcome, undelivered, now);
    const allRejections = [...plan.rejections, ...rejections];
    if (plan.blocked) {
      const limit = limitEvent(plan.blocked.code, plan.blocked.message, session.policy);
      if (limit) events.push(this.factory.event('policy.limit-exceeded', { ...user, payload: limit }));
      return this.finish(events, {
        status: 'blocked',
        code: failureCodeOfBlock(plan.blocked.code),
        correlationId,
        stamp: outcome.stamp,
        downloads: [],
        localDeletions: [],
        conflicts: [],
        rejections: allRejections,
        reported: plan.reported,
        base,
        fullResync: plan.fullResync,
        block: plan.blocked,
      });
    }
    if (outcome.wrote) {
      for (const upload of plan.uploads) {
        events.push(
          this.factory.event('token.uploaded', {
            ...user,
            payload: { ...tokenFields(upload.token), conflict: upload.conflict },
          }),
        );
      }
      for (const tombstone of plan.tombstones) {
        events.push(
          this.factory.event('token.tombstoned', { ...user, payload: tokenFields(tombstone.token) }),
        );
      }
      for (const purge of plan.purges) {
        events.push(
          this.factory.event('token.purged', {
            ...user,
            payload: { ...tokenFields(purge.entry), reason: purge.reason },
          }),
        );
      }
    }
    for (const download of plan.downloads.filter(({ token }) => !undelivered.has(tokenKeyString(token)))) {
      events.push(
        this.factory.event('token.downloaded', {
          ...user,
          payload: { ...tokenFields(download.token), conflict: download.conflict },
        }),
      );
    }
    for (const conflict of plan.conflicts)
      events.push(this.factory.event('token.conflict', { ...user, payload: conflict }));
    for (const rejected of allRejections)
      events.push(this.factory.event('token.rejected', { ...user, payload: rejected }));
    const upToDate = !outcome.wrote && downloads.length === 0 && plan.localDeletions.length === 0;
    // Windows' pair: 502 (the base could not be used) before 2 (the full resync that healed it). A first use
    // has no base to lose: its full resync is ordinary roaming.
    const lostBase =
      plan.fullResync === 'no-base' && request.baseStatus === 'first-use' ? null : plan.fullResync;
    const code = lostBase === null ? 1 : 2;
    if (lostBase !== null) {
      events.unshift(this.factory.event('sync.self-heal-needed', { ...user, payload: { reason: lostBase } }));
    }
    events.push(
      this.factory.event('sync.completed', {
        ...user,
        code,
        payload: {
          trigger: request.trigger,
          counts: {
            uploads: outcome.wrote ? plan.uploads.length : 0,
            downloads: downloads.length,
            localDeletions: plan.localDeletions.length,
            tombstones: outcome.wrote ? plan.tombstones.length : 0,
            purges: outcome.wrote ? plan.purges.length : 0,
            conflicts: plan.conflicts.length,
            rejections: allRejections.length,
            reported: plan.reported.length,
          },
          durationMs: Math.max(0, Math.min(now - started, 86_400_000)),
          fullResync: plan.fullResync,
          upToDate,
        },
      }),
    );
    return this.finish(events, {
      status: upToDate ? 'up-to-date' : 'synced',
      code,
      correlationId,
      stamp: outcome.stamp,
      downloads,
      localDeletions: plan.localDeletions,
      conflicts: plan.conflicts,
      rejections: allRejections,
      reported: plan.reported,
      base,
      fullResync: plan.fullResync,
      block: null,
    });
  }

  private async finish(events: RoamingEvent[], response: SyncResponse): Promise<SyncResponse> {
    await this.publish(events);
    return response;
  }

  private retryDelay(attempt: number): number {
    const ceiling = this.settings.retryBaseDelayMs * 2 ** (attempt - 1);
    // Full jitter: writers that lost the same race do not collide again in lockstep.
    return Math.round(ceiling / 2 + (this.deps.clock.random() * ceiling) / 2);
  }

  private async publish(events: RoamingEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.deps.events.publishAll(events);
    } catch (error) {
      // The directory is already written and the agent must learn it; a lost event is logged, not a failed sync.
      this.deps.log.error(
        { correlationId: events[0]?.correlationId, err: (error as Error).message },
        'events not published',
      );
    }
  }
}

function displayId(id: string): string {
  return describeUntrusted(id).slice(0, 512);
}

function rejection(
  token: { type: Rejection['tokenType'] & string; id: string },
  code: Rejection['code'],
  message: string,
  side: Rejection['side'] = 'local',
): Rejection {
  return {
    tokenType: token.type,
    displayId: displayId(token.id),
    side,
    code,
    message: message.slice(0, 2048),
  };
}

function tokenFields(token: DirectoryToken | DirectoryEntry) {
  const { type, id, hash, modifiedAt, size } = token;
  return { type, id, hash, modifiedAt, size };
}

function restoreEntries(entries: BaseEntry[], keys: Set<string>, previous: MachineBase | null): BaseEntry[] {
  const kept = entries.filter((entry) => !keys.has(tokenKeyString(entry)));
  const restored = (previous?.entries ?? []).filter((entry) => keys.has(tokenKeyString(entry)));
  return [...kept, ...restored];
}

/**
 * The base the agent records: the plan's, minus downloads it did not get (so the next sync offers them again
 * instead of reading their absence as a local deletion), with the created time of a stamp this sync created.
 */
function responseBase(
  plan: SyncPlan,
  request: SyncRequest,
  outcome: Attempt,
  undelivered: Set<string>,
  now: number,
): MachineBase {
  const base = plan.base ??
    request.manifest.base ?? { directoryCreatedAt: outcome.createdAt, syncedAt: now, entries: [] };
  const previous = request.manifest.base;
  const entries = undelivered.size === 0 ? base.entries : restoreEntries(base.entries, undelivered, previous);
  return {
    ...base,
    entries,
    directoryCreatedAt: base.directoryCreatedAt ?? (outcome.wrote ? outcome.createdAt : null),
  };
}

function failureCodeOfBlock(code: NonNullable<SyncPlan['blocked']>['code']): 1008 | 1009 | 1011 {
  switch (code) {
    case 'TOKEN_LIMIT_EXCEEDED':
      return 1008;
    case 'TOTAL_SIZE_EXCEEDED':
      return 1011;
    case 'ROAMING_DISABLED':
      return 1009;
  }
}

function limitEvent(
  code: NonNullable<SyncPlan['blocked']>['code'],
  message: string,
  policy: Policy,
): { limit: 'maxTokens' | 'maxTotalBytes'; allowed: number; actual: number } | null {
  const actual = Number(/would hold (\d+)/.exec(message)?.[1] ?? NaN);
  const limit =
    code === 'TOKEN_LIMIT_EXCEEDED' ? 'maxTokens' : code === 'TOTAL_SIZE_EXCEEDED' ? 'maxTotalBytes' : null;
  if (limit === null || !Number.isSafeInteger(actual) || actual <= policy[limit]) return null;
  return { limit, allowed: policy[limit], actual };
}
