import {
  parseWith,
  RoamingError,
  syncRequestSchema,
  unwrap,
  type RoamingEvent,
  type SyncCheckResponse,
  type SyncResponse,
} from '@credroam/roaming';
import { EventFactory } from '../events/event.factory';
import {
  type Clock,
  type CryptoRepository,
  type DirectoryRepository,
  type EventSink,
  type LogSink,
} from '../repositories/logon.repositories';
import { DownloadSealer } from './download.sealer';
import { settledMark } from './settled-mark';
import { SyncCheck } from './sync-check';
import { buildSyncOutcome } from './sync-outcome.builder';
import { type SyncSession } from './sync-session';
import { SyncWriteLoop, type SyncSettings } from './sync-write.loop';
import { UploadSealer } from './upload.sealer';

/** What the agent said it understands beyond the original protocol (AGENT_FEATURES_HEADER). */
export interface AgentFeatures {
  settledCheck?: boolean;
  downloadKeys?: boolean;
}

export interface SyncDependencies {
  directory: DirectoryRepository;
  crypto: CryptoRepository;
  events: EventSink;
  clock: Clock;
  log: LogSink;
}

/**
 * One sync (DESIGN.md section 6), the same over HTTP and AMQP: validate, write (SyncWriteLoop), re-seal the
 * downloads for the device (DownloadSealer), then publish what happened and answer (buildSyncOutcome).
 */
export class SyncService {
  private readonly factory: EventFactory;
  private readonly writes: SyncWriteLoop;
  private readonly downloads: DownloadSealer;
  private readonly checks: SyncCheck;

  constructor(
    private readonly deps: SyncDependencies,
    settings: SyncSettings,
  ) {
    this.factory = new EventFactory(deps.clock);
    this.writes = new SyncWriteLoop(deps.directory, new UploadSealer(deps.crypto), deps.clock, settings);
    this.downloads = new DownloadSealer(deps.directory, deps.crypto);
    this.checks = new SyncCheck(deps.directory, deps.clock, this.factory, (events) => this.publish(events));
  }

  /** The settled check of a steady sync (sync-check.ts), for the session's own user only. */
  check(session: SyncSession, body: unknown, correlationId: string): Promise<SyncCheckResponse> {
    return this.checks.check(session, body, correlationId);
  }

  /**
   * Validates `body`, then runs the sync for the session's own user only. A settled answer carries its mark only
   * when `settledCheck` says the agent understands it, and download keys only when `downloadKeys` does.
   */
  async sync(
    session: SyncSession,
    body: unknown,
    correlationId: string,
    { settledCheck = false, downloadKeys = false }: AgentFeatures = {},
  ): Promise<SyncResponse> {
    const request = unwrap(parseWith(syncRequestSchema, body, 'INVALID_INPUT'));
    const { claims } = session;
    if (request.machine !== claims.machine) {
      throw new RoamingError('FORBIDDEN', 'this session belongs to another machine');
    }
    const startedAt = this.deps.clock.now();
    const who = { correlationId, user: claims.login, machine: claims.machine };
    const { trigger } = request;
    // The broker's confirm of sync.started is awaited beside the directory read, not before it (one round trip off
    // every logon); it is handed to the publisher's channel first, which keeps this sync's events in order.
    const started = this.publish([this.factory.event('sync.started', { ...who, payload: { trigger } })]);
    const attempts = { count: 1 };
    try {
      const written = await this.writes.run(session, request, correlationId, attempts, (retry) =>
        // Published at once: operators see the contention even if the sync gives up later.
        this.publish([this.factory.event('directory.write-retried', { ...who, payload: retry })]),
      );
      const sealed = await this.downloads.seal(session, written.plan, correlationId, { downloadKeys });
      const outcome = buildSyncOutcome(
        {
          claims,
          request,
          correlationId,
          written,
          downloads: sealed.downloads,
          downloadKeys: sealed.downloadKeys,
          undeliverable: sealed.failed,
          downloadedCertificates: sealed.certificates,
          startedAt,
          now: this.deps.clock.now(),
          settledMark: settledCheck ? settledMark(session.policy) : null,
        },
        (type, fields) => this.factory.event(type, fields),
      );
      await started;
      await this.publish(outcome.events);
      const { status } = outcome.response;
      this.deps.log.info({ ...who, status, attempts: attempts.count }, 'sync done');
      return outcome.response;
    } catch (error) {
      const info =
        error instanceof RoamingError
          ? error
          : new RoamingError('INTERNAL', (error as Error).message ?? 'failed');
      this.deps.log.warn({ ...who, code: info.code }, 'sync failed');
      const failure = { code: info.code, message: info.message.slice(0, 2048) };
      const payload = { trigger, error: failure, attempts: Math.min(attempts.count, 100) };
      await started;
      await this.publish([this.factory.event('sync.failed', { ...who, payload })]);
      throw info;
    }
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
