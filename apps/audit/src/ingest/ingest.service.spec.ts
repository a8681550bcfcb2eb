import { randomUUID } from 'node:crypto';
import { createLogger } from '@credroam/platform';
import { type EventEnvelope } from '@credroam/roaming';
import { type AuditEventRow } from '../storage/audit-event.entity';
import { IngestService, type EventWriter, type IngestObserver } from './ingest.service';

const silent = createLogger('audit-test', { level: 'silent' });

function envelope(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    id: randomUUID(),
    type: 'sync.started',
    version: 1,
    occurredAt: '2026-03-14T08:30:00.000Z',
    correlationId: 'c-1',
    user: 'alice',
    machine: 'WS-1',
    code: 1,
    payload: { trigger: 'logon' },
    ...overrides,
  };
}

class MemoryStore implements EventWriter {
  readonly rows = new Map<string, AuditEventRow>();
  failures: unknown[] = [];
  pingFails = false;
  batches = 0;

  async insert(rows: readonly AuditEventRow[]): Promise<Set<string>> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.batches++;
    const inserted = new Set<string>();
    for (const row of rows) {
      if (!this.rows.has(row.id)) {
        this.rows.set(row.id, row);
        inserted.add(row.id);
      }
    }
    return inserted;
  }

  async ping(): Promise<void> {
    if (this.pingFails) throw new Error('down');
  }
}

function observer() {
  const seen = { observed: [] as string[], duplicates: 0, databaseUp: [] as boolean[], writeFailures: 0 };
  const sink: IngestObserver = {
    observe: (event) => void seen.observed.push(event.id),
    duplicate: (count = 1) => void (seen.duplicates += count),
    batchCommitted: () => undefined,
    databaseAvailable: (up) => void seen.databaseUp.push(up),
    writeFailed: () => void seen.writeFailures++,
  };
  return { seen, sink };
}

describe('ingest', () => {
  it('stores each event once and counts redeliveries, also within one batch', async () => {
    const store = new MemoryStore();
    const { seen, sink } = observer();
    const ingest = new IngestService(store, sink, silent, { maxBatch: 100, clock: () => 42 });
    const event = envelope();
    const outcomes = await Promise.all([ingest.store(event), ingest.store(event), ingest.store(envelope())]);
    expect(outcomes).toEqual(['stored', 'duplicate', 'stored']);
    expect(await ingest.store(event)).toBe('duplicate');
    expect(store.rows.size).toBe(2);
    expect(store.rows.get(event.id)?.receivedAt).toBe(42);
    expect(seen.observed).toHaveLength(2);
    expect(seen.duplicates).toBe(2);
  });

  it('waits out a database that does not answer, then stores and reports it up again', async () => {
    const store = new MemoryStore();
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    store.failures = [refused, new Error('a failure the ping shows to be an outage')];
    store.pingFails = true;
    const { seen, sink } = observer();
    const ingest = new IngestService(store, sink, silent, { maxBatch: 10 });
    await expect(ingest.store(envelope())).resolves.toBe('stored');
    expect(seen.databaseUp).toEqual([false, false, true]);
    expect(seen.writeFailures).toBe(2);
  });

  it('reports the store unwritable from the first held failure until the held batch commits', async () => {
    const store = new MemoryStore();
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    store.failures = [full, full];
    let now = 1_000;
    const statuses: unknown[] = [];
    const ingest = new IngestService(store, observer().sink, silent, { maxBatch: 10, clock: () => now++ });
    expect(ingest.storeStatus()).toEqual({ writable: true });
    const original = store.insert.bind(store);
    store.insert = async (rows) => {
      statuses.push(ingest.storeStatus());
      return original(rows);
    };
    await expect(ingest.store(envelope())).resolves.toBe('stored');
    // The outage keeps the time of its first failure; the write that succeeds ends it.
    expect(statuses).toEqual([
      { writable: true },
      { writable: false, failingSince: 1_001, errorCode: 'SQLITE_FULL' },
      { writable: false, failingSince: 1_001, errorCode: 'SQLITE_FULL' },
    ]);
    expect(ingest.storeStatus()).toEqual({ writable: true });
  });

  it('refuses an event the database rejects while it answers, as a final CONTRACT_VIOLATION', async () => {
    const store = new MemoryStore();
    store.failures = [new Error('value too long'), new Error('value too long')];
    const { sink } = observer();
    const ingest = new IngestService(store, sink, silent, { maxBatch: 10 });
    await expect(ingest.store(envelope())).rejects.toMatchObject({
      code: 'CONTRACT_VIOLATION',
      retryable: false,
    });
  });

  it('refuses an oversized payload without touching the database', async () => {
    const store = new MemoryStore();
    const { sink } = observer();
    const ingest = new IngestService(store, sink, silent, { maxBatch: 10 });
    const huge = envelope({ payload: { blob: 'x'.repeat(300 * 1024) } });
    await expect(ingest.store(huge)).rejects.toMatchObject({ code: 'CONTRACT_VIOLATION' });
    expect(store.batches).toBe(0);
  });

  it('hands events back for redelivery (retryable) once closed', async () => {
    const ingest = new IngestService(new MemoryStore(), observer().sink, silent, { maxBatch: 10 });
    await ingest.close();
    await expect(ingest.store(envelope())).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      retryable: true,
    });
  });
});
