import { RoamingError, type EventEnvelope } from '@credroam/roaming';
import { type Logger } from '@credroam/platform';
import { inventoryChanges, type InventoryChange } from '../inventory/inventory-change';
import { type AuditEventRow } from '../storage/audit-event.entity';
import { databaseErrorCode, isTransientDatabaseError } from '../storage/database';
import { MAX_PAYLOAD_BYTES, toRow } from '../storage/event-row.mapper';
import { BatchWriter, BatchWriterClosedError } from './batch-writer';

/** What ingest needs from storage. */
export interface EventWriter {
  insert(rows: readonly AuditEventRow[]): Promise<Set<string>>;
  ping(): Promise<void>;
}

/** Where the certificate inventory is kept; applying the same changes twice is harmless. */
export interface InventoryWriter {
  apply(changes: readonly InventoryChange[]): Promise<void>;
}

const NO_INVENTORY: InventoryWriter = { apply: () => Promise.resolve() };

/** What ingest reports to metrics. */
export interface IngestObserver {
  observe(event: EventEnvelope): void;
  duplicate(count?: number): void;
  batchCommitted(size: number, seconds: number): void;
  databaseAvailable(up: boolean): void;
  /** A write failed for a reason that is waited out; it is tried again after a backoff. */
  writeFailed(): void;
}

export type StoreOutcome = 'stored' | 'duplicate';

/** Whether ingest can write right now: what /health/ready reports beside the database's ping. */
export type StoreStatus =
  | { writable: true }
  | {
      writable: false;
      /** When the first write of the current outage failed (epoch ms). */
      failingSince: number;
      /** The driver's code of the last failure (`SQLITE_FULL`, `ECONNREFUSED`, a SQLSTATE), never its message. */
      errorCode: string | null;
    };

export interface IngestSettings {
  /** Largest insert batch; the consumer's prefetch bounds it too. */
  maxBatch: number;
  clock?: () => number;
}

/**
 * Stores events exactly once: a batch insert that ignores ids already present, resolved per event only after
 * its batch committed (the consumer acknowledges then). Transport-free: the AMQP handler calls store().
 */
export class IngestService {
  private readonly writer: BatchWriter<AuditEventRow, boolean>;
  private readonly clock: () => number;
  private status: StoreStatus = { writable: true };

  constructor(
    private readonly events: EventWriter,
    private readonly observer: IngestObserver,
    private readonly logger: Logger,
    settings: IngestSettings,
    private readonly inventory: InventoryWriter = NO_INVENTORY,
  ) {
    this.clock = settings.clock ?? Date.now;
    this.writer = new BatchWriter<AuditEventRow, boolean>({
      maxBatch: settings.maxBatch,
      write: (rows) => this.insert(rows),
      isTransient: (error) => this.isTransient(error),
      onTransientFailure: (error, attempt, delayMs) => {
        this.status = {
          writable: false,
          failingSince: this.status.writable ? this.clock() : this.status.failingSince,
          errorCode: databaseErrorCode(error),
        };
        this.observer.databaseAvailable(false);
        this.observer.writeFailed();
        const log = attempt === 1 || attempt % 10 === 0 ? this.logger.warn : this.logger.debug;
        log.call(
          this.logger,
          { attempt, delayMs, errorCode: databaseErrorCode(error), errorMessage: (error as Error)?.message },
          'database unavailable; holding events until it is back',
        );
      },
    });
  }

  /**
   * Resolves once the event is durable (newly stored or already there). Throws CONTRACT_VIOLATION (final, the
   * consumer dead-letters) for an event that can never be stored, SERVICE_UNAVAILABLE (retried) at shutdown.
   */
  async store(event: EventEnvelope): Promise<StoreOutcome> {
    const row = toRow(event, this.clock());
    if (Buffer.byteLength(row.payload, 'utf8') > MAX_PAYLOAD_BYTES) {
      throw new RoamingError('CONTRACT_VIOLATION', `payload larger than ${MAX_PAYLOAD_BYTES} bytes`);
    }
    let inserted: boolean;
    try {
      inserted = await this.writer.submit(row);
    } catch (error) {
      if (error instanceof BatchWriterClosedError) {
        throw new RoamingError(
          'SERVICE_UNAVAILABLE',
          'audit is shutting down; the event will be redelivered',
        );
      }
      this.logger.error(
        {
          correlationId: event.correlationId,
          eventId: event.id,
          type: event.type,
          errorMessage: (error as Error)?.message,
        },
        'event cannot be stored',
      );
      throw new RoamingError('CONTRACT_VIOLATION', 'the event cannot be stored');
    }
    if (inserted) this.observer.observe(event);
    else this.observer.duplicate();
    return inserted ? 'stored' : 'duplicate';
  }

  /**
   * Writable until a write fails for a reason that is waited out (the database down, its disk full), and again
   * once the held batch commits. A ping alone cannot tell: SQLite on a full disk still answers `SELECT 1`.
   */
  storeStatus(): StoreStatus {
    return this.status;
  }

  /** Stops accepting events; events still held by a database outage are released for redelivery. */
  close(): Promise<void> {
    return this.writer.close();
  }

  private async insert(rows: AuditEventRow[]): Promise<boolean[]> {
    const started = performance.now();
    // The inventory first: should the insert fail, the batch is written again and the (idempotent) changes with
    // it; the other way round, a redelivered event is a duplicate whose change would never be applied.
    const changes = inventoryChanges(rows);
    if (changes.length > 0) await this.inventory.apply(changes);
    const stored = await this.events.insert(rows);
    this.observer.batchCommitted(rows.length, (performance.now() - started) / 1000);
    if (!this.status.writable) {
      const outageMs = this.clock() - this.status.failingSince;
      this.status = { writable: true };
      this.observer.databaseAvailable(true);
      this.logger.info({ outageMs }, 'database available again; ingest resumed');
    }
    // The same event twice in one batch (a resend while the first copy was in flight) is stored once.
    const first = new Set<string>();
    return rows.map((row) => {
      if (!stored.has(row.id) || first.has(row.id)) return false;
      first.add(row.id);
      return true;
    });
  }

  /** Transient when the error says so, or when the database does not even answer a ping. */
  private async isTransient(error: unknown): Promise<boolean> {
    if (isTransientDatabaseError(error)) return true;
    try {
      await this.events.ping();
      return false;
    } catch {
      return true;
    }
  }
}
