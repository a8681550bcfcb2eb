import { DEAD_LETTER_REASONS, EVENT_TYPES, type EventEnvelope } from '@credroam/roaming';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The broker's view of audit's queue, read when Prometheus scrapes (null when the broker does not answer). */
export interface QueueDepthSource {
  queueDepth(): Promise<{ ready: number; retrying: number } | null>;
}

/** The certificate inventory's fleet-wide counts, read when Prometheus scrapes. */
export interface CertificateCountSource {
  fleetCounts(): Promise<{ total: number; weak: number; expiring: Record<'7d' | '30d', number> }>;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);
const QUEUE_NAME = /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/;

/** A label value from an event field: only values from a known set, so a bad event cannot explode cardinality. */
function label(value: unknown, allowed: readonly string[]): string {
  return typeof value === 'string' && allowed.includes(value) ? value : 'other';
}

/**
 * Prometheus metrics derived from the events audit stores (each event counted once, when it is first stored),
 * plus audit's own ingest and consumer figures. Labels are bounded enumerations: never a user or machine name.
 * Summed over replicas they give fleet totals, since every event is stored by exactly one replica. /metrics serves
 * them beside the service metrics every credroam service has (libs/observability: process, RED, broker).
 */
export class AuditMetrics {
  readonly registry = new Registry();

  private readonly syncOutcomes = new Counter({
    name: 'credroam_sync_outcomes_total',
    help: 'Finished syncs by outcome (completed, failed) and Windows-style event code.',
    labelNames: ['outcome', 'code'] as const,
    registers: [this.registry],
  });
  private readonly syncDuration = new Histogram({
    name: 'credroam_sync_duration_seconds',
    help: 'Duration of completed syncs, as reported by sync.completed.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly conflicts = new Counter({
    name: 'credroam_token_conflicts_total',
    help: 'Token conflicts (event 501) by kind and winning side.',
    labelNames: ['kind', 'winner'] as const,
    registers: [this.registry],
  });
  private readonly rejections = new Counter({
    name: 'credroam_token_rejections_total',
    help: 'Tokens not roamed, by Windows-style event code and side.',
    labelNames: ['code', 'side'] as const,
    registers: [this.registry],
  });
  private readonly limitHits = new Counter({
    name: 'credroam_policy_limit_hits_total',
    help: 'Policy limits that stopped a sync or a token (1008 count, 1011 size).',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  private readonly deadLettered = new Counter({
    name: 'credroam_messages_dead_lettered_total',
    help: 'Messages any consumer gave up and moved to a dead-letter queue, by queue and reason.',
    labelNames: ['queue', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly stored = new Counter({
    name: 'credroam_audit_events_stored_total',
    help: 'Events stored by this replica, by event type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  private readonly duplicates = new Counter({
    name: 'credroam_audit_duplicate_events_total',
    help: 'Deliveries of events already stored (redeliveries), dropped by the unique event id.',
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: 'credroam_audit_ingest_batch_size',
    help: 'Events per insert transaction.',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [this.registry],
  });
  private readonly commitSeconds = new Histogram({
    name: 'credroam_audit_ingest_commit_seconds',
    help: 'Time to insert and commit one batch.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly databaseUp = new Gauge({
    name: 'credroam_audit_database_up',
    help: '1 while inserts succeed, 0 while ingest is waiting for the database to come back.',
    registers: [this.registry],
  });
  private readonly writeFailures = new Counter({
    name: 'credroam_audit_ingest_write_failures_total',
    help: 'Batch writes that failed while the database was down or full; each is retried after a backoff (100 ms doubling to 5 s).',
    registers: [this.registry],
  });
  private readonly purged = new Counter({
    name: 'credroam_audit_events_purged_total',
    help: 'Events deleted by the retention purge.',
    registers: [this.registry],
  });
  private readonly streamClients = new Gauge({
    name: 'credroam_audit_stream_clients',
    help: 'Open live-stream (SSE) connections.',
    registers: [this.registry],
  });

  private queue: QueueDepthSource | undefined;
  private certificates: CertificateCountSource | undefined;

  constructor() {
    this.databaseUp.set(1);
    // prom-client collects gauges concurrently: both queue gauges share one broker reading per scrape.
    let reading: { at: number; depth: Promise<{ ready: number; retrying: number } | null> } | undefined;
    const depth = () => {
      if (!reading || performance.now() - reading.at > 1_000) {
        const source = this.queue;
        reading = {
          at: performance.now(),
          depth: source ? source.queueDepth().catch(() => null) : Promise.resolve(null),
        };
      }
      return reading.depth;
    };
    new Gauge({
      name: 'credroam_audit_consumer_lag_messages',
      help: "Events waiting in audit's queue (ready, not yet delivered); -1 when the broker cannot be asked.",
      registers: [this.registry],
      async collect() {
        this.set((await depth())?.ready ?? -1);
      },
    });
    new Gauge({
      name: 'credroam_audit_retrying_messages',
      help: "Events waiting in audit's retry queue for another attempt; -1 when the broker cannot be asked.",
      registers: [this.registry],
      async collect() {
        this.set((await depth())?.retrying ?? -1);
      },
    });
    this.certificateGauges();
  }

  /**
   * The inventory, read from the database at each scrape (one query shared by the three gauges). Every replica
   * reports the same fleet-wide figures: aggregate them with max, not sum. -1 while the database cannot answer.
   */
  private certificateGauges(): void {
    let reading: { at: number; counts: ReturnType<CertificateCountSource['fleetCounts']> } | undefined;
    const counts = async () => {
      const source = this.certificates;
      if (!source) return undefined;
      if (!reading || performance.now() - reading.at > 1_000) {
        reading = { at: performance.now(), counts: source.fleetCounts() };
      }
      return reading.counts.catch(() => undefined);
    };
    new Gauge({
      name: 'credroam_certificates_expiring',
      help: 'Roaming certificates, fleet-wide, not yet expired that expire within the window (7d, 30d); -1 when the database cannot be read.',
      labelNames: ['within'] as const,
      registers: [this.registry],
      async collect() {
        const read = await counts();
        for (const within of ['7d', '30d'] as const) this.set({ within }, read ? read.expiring[within] : -1);
      },
    });
    new Gauge({
      name: 'credroam_certificates_weak',
      help: 'Roaming certificates, fleet-wide, with an RSA key under 2048 bits or a SHA-1 or MD5 signature.',
      registers: [this.registry],
      async collect() {
        this.set((await counts())?.weak ?? -1);
      },
    });
    new Gauge({
      name: 'credroam_certificates_roaming',
      help: 'Certificates that roam now, fleet-wide (one per user and certificate).',
      registers: [this.registry],
      async collect() {
        this.set((await counts())?.total ?? -1);
      },
    });
  }

  /** Where the certificate gauges read the inventory from. */
  watchInventory(source: CertificateCountSource): void {
    this.certificates = source;
  }

  /** Where the consumer-lag gauges read the queue depth from (the ingest consumer, once it exists). */
  watchQueue(source: QueueDepthSource): void {
    this.queue = source;
  }

  /** Counts a newly stored event into the domain metrics. */
  observe(event: EventEnvelope): void {
    this.stored.inc({ type: KNOWN_TYPES.has(event.type) ? event.type : 'other' });
    const payload = event.payload;
    switch (event.type) {
      case 'sync.completed': {
        this.syncOutcomes.inc({ outcome: 'completed', code: String(event.code) });
        const durationMs = payload.durationMs;
        if (typeof durationMs === 'number' && durationMs >= 0) this.syncDuration.observe(durationMs / 1000);
        break;
      }
      case 'sync.failed':
        this.syncOutcomes.inc({ outcome: 'failed', code: String(event.code) });
        break;
      case 'token.conflict':
        this.conflicts.inc({
          kind: label(payload.kind, ['both-changed', 'edit-beats-delete']),
          winner: label(payload.winner, ['local', 'directory']),
        });
        break;
      case 'token.rejected':
        this.rejections.inc({ code: String(event.code), side: label(payload.side, ['local', 'directory']) });
        break;
      case 'policy.limit-exceeded':
        this.limitHits.inc({ limit: label(payload.limit, ['maxTokens', 'maxTokenBytes', 'maxTotalBytes']) });
        break;
      case 'message.dead-lettered': {
        const queue =
          typeof payload.queue === 'string' && QUEUE_NAME.test(payload.queue) ? payload.queue : 'other';
        this.deadLettered.inc({
          queue,
          reason: label(payload.reason, DEAD_LETTER_REASONS),
        });
        break;
      }
      default:
        break;
    }
  }

  duplicate(count = 1): void {
    if (count > 0) this.duplicates.inc(count);
  }

  batchCommitted(size: number, seconds: number): void {
    this.batchSize.observe(size);
    this.commitSeconds.observe(seconds);
  }

  databaseAvailable(up: boolean): void {
    this.databaseUp.set(up ? 1 : 0);
  }

  writeFailed(): void {
    this.writeFailures.inc();
  }

  eventsPurged(count: number): void {
    if (count > 0) this.purged.inc(count);
  }

  streamClientsChanged(count: number): void {
    this.streamClients.set(count);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
