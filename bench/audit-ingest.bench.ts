// Benchmark, not a test: prints figures, asserts nothing. `npm run bench audit` builds and runs it.
//
// 1. Sustained ingest: N events wait in audit's queue on the real RabbitMQ; the real consumer (prefetch, group
//    commit, ack after commit) drains them into PostgreSQL and into SQLite; events/s is N over the drain time.
// 2. Query latency at scale: the table is filled to CREDROAM_BENCH_ROWS rows (default 1,000,000; 10,000 users),
//    then a user's last 100 events (and the next page by cursor), a user summary and a fleet summary are timed.
//
// Settings: CREDROAM_BENCH_EVENTS (default 50000), CREDROAM_BENCH_ROWS, CREDROAM_BENCH_PG (admin URL of a
// PostgreSQL server, default postgres://postgres@127.0.0.1:5432/postgres; a database is created and dropped),
// CREDROAM_BENCH_ONLY (postgres|sqlite), CREDROAM_AMQP_URL.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amqpConfig, amqpNames, EventPublisher } from '@credroam/messaging';
import { createLogger } from '@credroam/platform';
import { createThrowawayDatabase } from '@credroam/benchmarking';
import { createEvent, type EventEnvelope, type RoamingEvent } from '@credroam/roaming';
import { DataSource } from 'typeorm';
import { loadAuditConfig, type DatabaseTarget } from '../apps/audit/src/config/audit.config';
import { IngestHandler } from '../apps/audit/src/ingest/ingest.handler';
import { IngestService } from '../apps/audit/src/ingest/ingest.service';
import { AuditMetrics } from '../apps/audit/src/metrics/audit-metrics';
import { AuditEventRepository } from '../apps/audit/src/storage/audit-event.repository';
import { dataSourceOptions, runMigrations } from '../apps/audit/src/storage/database';
import { toRow } from '../apps/audit/src/storage/event-row.mapper';
import { EventsService } from '../apps/audit/src/events/events.service';
import { SummariesService } from '../apps/audit/src/summaries/summaries.service';

const EVENTS = Number(process.env.CREDROAM_BENCH_EVENTS ?? 50_000);
const ROWS = Number(process.env.CREDROAM_BENCH_ROWS ?? 1_000_000);
const USERS = 10_000;
const AMQP_URL = process.env.CREDROAM_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const quiet = createLogger('audit-bench', { level: 'warn' });

const TYPES = [
  'sync.started',
  'token.uploaded',
  'token.downloaded',
  'sync.completed',
  'token.conflict',
  'sync.failed',
];

function print(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(58)} ${value}\n`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** A realistic mix of envelopes without per-event validation, so that loading a million rows stays fast. */
function syntheticEnvelope(i: number, at: number): EventEnvelope {
  const type = TYPES[i % TYPES.length] as string;
  const token = {
    type: 'certificate',
    id: randomBytes(20).toString('hex').toUpperCase(),
    hash: 'a'.repeat(64),
    modifiedAt: at,
    size: 1000 + (i % 4000),
  };
  const payload: Record<string, unknown> =
    type === 'sync.completed'
      ? {
          trigger: 'logon',
          durationMs: 120,
          upToDate: false,
          fullResync: null,
          counts: {
            uploads: 1,
            downloads: 0,
            localDeletions: 0,
            tombstones: 0,
            purges: 0,
            conflicts: 0,
            rejections: 0,
            reported: 0,
          },
        }
      : type === 'sync.failed'
        ? { trigger: 'unlock', attempts: 1, error: { code: 'DIRECTORY_UNAVAILABLE', message: 'timeout' } }
        : type.startsWith('token.')
          ? { ...token, conflict: false }
          : { trigger: 'logon' };
  return {
    id: randomUUID(),
    type,
    version: 1,
    occurredAt: new Date(at).toISOString(),
    correlationId: randomUUID(),
    user: `user-${i % USERS}`,
    machine: `WS-${i % 997}`,
    code: type === 'sync.failed' ? 1010 : type === 'token.conflict' ? 501 : 1,
    payload,
  };
}

interface Target {
  name: string;
  database: DatabaseTarget;
  cleanup(): Promise<void>;
}

async function postgresTarget(): Promise<Target> {
  const database = await createThrowawayDatabase('credroam_audit_bench');
  return {
    name: 'PostgreSQL',
    database: { kind: 'postgres', url: database.url },
    cleanup: () => database.drop(),
  };
}

function sqliteTarget(): Target {
  const dir = mkdtempSync(join(tmpdir(), 'credroam-audit-bench-'));
  return {
    name: 'SQLite',
    database: { kind: 'sqlite', path: join(dir, 'audit.sqlite') },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function openStore(
  database: DatabaseTarget,
): Promise<{ dataSource: DataSource; repository: AuditEventRepository }> {
  const dataSource = await new DataSource(dataSourceOptions(database)).initialize();
  await runMigrations(dataSource);
  return { dataSource, repository: new AuditEventRepository(dataSource) };
}

async function measureIngest(target: Target, repository: AuditEventRepository): Promise<void> {
  const namespace = `audit-bench-${randomBytes(4).toString('hex')}`;
  const config = loadAuditConfig({
    CREDROAM_AUDIT_OPERATOR_TOKEN: 'benchmark-operator-token',
    CREDROAM_AMQP_URL: AMQP_URL,
    CREDROAM_AMQP_NAMESPACE: namespace,
  });
  const ingest = new IngestService(repository, new AuditMetrics(), quiet, { maxBatch: config.prefetch });
  // Declares the queue and its bindings, then leaves the events to pile up in it.
  const declare = new IngestHandler(config, ingest, quiet);
  await declare.start();
  await declare.stop();

  const publisher = new EventPublisher(amqpConfig({ url: AMQP_URL, namespace }), { logger: quiet });
  await publisher.connect();
  const events: RoamingEvent[] = [];
  const now = Date.now();
  for (let i = 0; i < EVENTS; i++) {
    const built = createEvent(
      'sync.started',
      {
        correlationId: randomUUID(),
        user: `user-${i % 500}`,
        machine: `WS-${i % 97}`,
        payload: { trigger: 'logon' },
      },
      { id: randomUUID(), now: now + i },
    );
    if (built.ok) events.push(built.value);
  }
  const publishStarted = performance.now();
  for (let i = 0; i < events.length; i += 2_000) await publisher.publishAll(events.slice(i, i + 2_000));
  const publishSeconds = (performance.now() - publishStarted) / 1000;
  await publisher.close();

  const handler = new IngestHandler(config, ingest, quiet);
  const started = performance.now();
  await handler.start();
  const before = await repository.count();
  for (;;) {
    if ((await repository.count()) - before >= EVENTS) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  await handler.stop();
  await ingest.close();
  print(
    `[${target.name}] publish ${EVENTS} confirmed events`,
    `${Math.round(EVENTS / publishSeconds)} events/s`,
  );
  print(
    `[${target.name}] ingest broker -> ${target.name} (prefetch ${config.prefetch})`,
    `${Math.round(EVENTS / seconds)} events/s`,
  );

  const { default: amqplib } = await import('amqplib');
  const connection = await amqplib.connect(AMQP_URL);
  const channel = await connection.createChannel();
  const names = amqpNames(namespace);
  for (const queue of [names.queue('audit'), names.retryQueue(names.queue('audit')), names.deadLetterQueue])
    await channel.deleteQueue(queue);
  await channel.deleteExchange(names.eventsExchange);
  await channel.deleteExchange(names.deadLetterExchange);
  await connection.close();
}

async function fill(target: Target, repository: AuditEventRepository): Promise<void> {
  const existing = await repository.count();
  const batch = 2_000;
  const start = Date.now() - 30 * 86_400_000;
  const step = (30 * 86_400_000) / ROWS;
  const started = performance.now();
  for (let i = existing; i < ROWS; i += batch) {
    const rows = [];
    for (let j = i; j < Math.min(i + batch, ROWS); j++)
      rows.push(toRow(syntheticEnvelope(j, Math.floor(start + j * step)), Date.now()));
    await repository.insert(rows);
  }
  const seconds = (performance.now() - started) / 1000;
  // What the service does at boot and after each hourly purge (and PostgreSQL's autovacuum on its own).
  await repository.optimize();
  print(
    `[${target.name}] bulk load to ${ROWS} rows (batches of ${batch})`,
    `${Math.round((ROWS - existing) / seconds)} rows/s`,
  );
}

async function time(samples: number, work: (i: number) => Promise<unknown>): Promise<string> {
  await work(-1);
  const durations: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await work(i);
    durations.push(performance.now() - started);
  }
  durations.sort((a, b) => a - b);
  return `p50 ${percentile(durations, 50).toFixed(2)} ms, p95 ${percentile(durations, 95).toFixed(2)} ms`;
}

async function measureQueries(target: Target, repository: AuditEventRepository): Promise<void> {
  const events = new EventsService(repository);
  const summaries = new SummariesService(repository);
  const user = (i: number) => `user-${(i * 7919 + 13) % USERS}`;
  print(
    `[${target.name}] a user's last 100 events at ${ROWS} rows`,
    await time(200, (i) => events.list({ user: user(i) }, undefined, 100)),
  );
  print(
    `[${target.name}] the next 100 (cursor)`,
    await time(100, async (i) => {
      const first = await events.list({ user: user(i) }, undefined, 100);
      if (first.nextCursor) await events.list({ user: user(i) }, first.nextCursor, 100);
    }),
  );
  print(
    `[${target.name}] newest 100 events of the whole fleet`,
    await time(100, () => events.list({}, undefined, 100)),
  );
  print(`[${target.name}] user summary`, await time(50, (i) => summaries.userSummary(user(i))));
  const to = Date.now();
  print(
    `[${target.name}] fleet summary, last hour`,
    await time(20, () =>
      summaries.fleetSummary({ from: to - 3_600_000, to, top: 'conflicts', topLimit: 10 }),
    ),
  );
  print(
    `[${target.name}] fleet summary, last 24 hours`,
    await time(10, () =>
      summaries.fleetSummary({ from: to - 86_400_000, to, top: 'conflicts', topLimit: 10 }),
    ),
  );
}

export async function main(): Promise<void> {
  const only = process.env.CREDROAM_BENCH_ONLY;
  const makers = [
    ...(only && only !== 'postgres' ? [] : [postgresTarget]),
    ...(only && only !== 'sqlite' ? [] : [async () => sqliteTarget()]),
  ];
  print('audit benchmark', `${EVENTS} events ingested, ${ROWS} rows queried`);
  for (const make of makers) {
    const target = await make();
    const { dataSource, repository } = await openStore(target.database);
    try {
      await measureIngest(target, repository);
      await fill(target, repository);
      await measureQueries(target, repository);
    } finally {
      await dataSource.destroy();
      await target.cleanup();
    }
  }
}
