import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amqpNames, type EventPublisher } from '@credroam/messaging';
import { DataSource } from 'typeorm';
import { waitFor } from '../../helpers/wait-for';
import { event } from '../../integration/audit/support/audit-events';
import {
  connectedPublisher,
  deleteNamespace,
  queueDepth,
  uniqueNamespace,
} from '../../integration/audit/support/broker';
import {
  createDatabase,
  dropDatabase,
  postgresUrl,
  queryDatabase,
} from '../../integration/audit/support/postgres';
import { ensureAuditBuilt, startAuditProcess, type AuditProcess } from './support/audit-process';
import { freePort } from './support/private-postgres';

const BURST = 10_000;

interface Store {
  url: string;
  /** Rows and distinct ids in the table. */
  counts(): Promise<{ rows: number; distinct: number }>;
  ids(): Promise<Set<string>>;
  drop(): Promise<void>;
}

const stores: { name: string; create(): Promise<Store> }[] = [
  {
    name: 'PostgreSQL',
    async create() {
      const name = await createDatabase();
      const url = postgresUrl(name);
      return {
        url,
        async counts() {
          const [row] = await queryDatabase<{ rows: string; distinct: string }>(
            url,
            'SELECT COUNT(*) AS rows, COUNT(DISTINCT id) AS distinct FROM audit_event',
          ).catch(() => [{ rows: '0', distinct: '0' }]);
          return { rows: Number(row!.rows), distinct: Number(row!.distinct) };
        },
        async ids() {
          return new Set(
            (await queryDatabase<{ id: string }>(url, 'SELECT id FROM audit_event')).map((row) => row.id),
          );
        },
        drop: () => dropDatabase(name),
      };
    },
  },
  {
    name: 'SQLite',
    async create() {
      const dir = mkdtempSync(join(tmpdir(), 'credroam-audit-'));
      const file = join(dir, 'audit.sqlite');
      // A second connection to the file audit writes (WAL mode lets it read while audit writes).
      let reader: DataSource | undefined;
      const query = async <T>(sql: string): Promise<T[]> => {
        reader ??= await new DataSource({ type: 'better-sqlite3', database: file }).initialize();
        return reader.query(sql);
      };
      return {
        url: `sqlite:${file}`,
        async counts() {
          const [row] = await query<{ rows: number; distinct: number }>(
            'SELECT COUNT(*) AS rows, COUNT(DISTINCT id) AS "distinct" FROM audit_event',
          ).catch(() => [{ rows: 0, distinct: 0 }]);
          return { rows: row!.rows, distinct: row!.distinct };
        },
        async ids() {
          return new Set((await query<{ id: string }>('SELECT id FROM audit_event')).map((row) => row.id));
        },
        async drop() {
          await reader?.destroy();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

describe.each(stores)('audit on $name killed with SIGKILL in the middle of a burst', (kind) => {
  const namespace = uniqueNamespace(`kill-${kind.name.toLowerCase()}`);
  const names = amqpNames(namespace);
  let store: Store;
  let publisher: EventPublisher;
  let audit: AuditProcess | undefined;

  beforeAll(async () => {
    ensureAuditBuilt();
    store = await kind.create();
    publisher = await connectedPublisher(namespace);
  }, 120_000);

  afterAll(async () => {
    await audit?.stop();
    await publisher?.close();
    await store?.drop();
    await deleteNamespace(namespace);
  });

  it('stores each of 10,000 events exactly once after a restart', async () => {
    const port = await freePort();
    const env = { CREDROAM_AMQP_NAMESPACE: namespace, CREDROAM_AUDIT_DB: store.url };
    // Declare the queue, then let the burst wait in it so the kill lands mid-ingest whatever the machine's speed.
    audit = await startAuditProcess(`audit-kill-${kind.name}-1`, port, env);
    await audit.stop();

    const correlationId = randomUUID();
    const burst = Array.from({ length: BURST }, (_, i) =>
      event('sync.started', {
        correlationId,
        user: `user-${i % 50}`,
        machine: `WS-${i % 7}`,
        payload: { trigger: 'logon' },
      }),
    );
    for (let i = 0; i < BURST; i += 1_000) await publisher.publishAll(burst.slice(i, i + 1_000));
    await waitFor(async () => (await queueDepth(names.queue('audit'))) === BURST, {
      description: 'the burst queued',
    });

    audit = await startAuditProcess(`audit-kill-${kind.name}-2`, port, env);
    const atKill = await waitFor(
      async () => {
        const { rows } = await store.counts();
        return rows >= BURST / 2 ? rows : undefined;
      },
      { description: 'half of the burst stored', timeoutMs: 60_000, intervalMs: 5 },
    );
    process.kill(audit.pid, 'SIGKILL');
    const ended = await audit.exited;
    expect(ended.signal).toBe('SIGKILL');
    expect(atKill).toBeLessThan(BURST);

    audit = await startAuditProcess(`audit-kill-${kind.name}-3`, port, env);
    let last = -1;
    let stableSince = Date.now();
    const final = await waitFor(
      async () => {
        const counts = await store.counts();
        const ready = await queueDepth(names.queue('audit'));
        const retrying = await queueDepth(names.retryQueue(names.queue('audit')));
        if (counts.rows !== last) {
          last = counts.rows;
          stableSince = Date.now();
          return undefined;
        }
        return ready === 0 && retrying === 0 && Date.now() - stableSince > 1_500 ? counts : undefined;
      },
      { description: 'the count to stop changing', timeoutMs: 90_000, intervalMs: 100 },
    );
    expect(final).toEqual({ rows: BURST, distinct: BURST });
    const ids = await store.ids();
    expect(burst.every((published) => ids.has(published.id))).toBe(true);
    expect(await queueDepth(names.deadLetterQueue)).toBe(0);
  }, 180_000);
});
