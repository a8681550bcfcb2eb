import { randomUUID } from 'node:crypto';
import { setInterval as ticks } from 'node:timers/promises';
import { amqpNames, type EventPublisher } from '@credroam/messaging';
import { type RoamingEvent } from '@credroam/roaming';
import { waitFor } from '../../helpers/wait-for';
import { event } from '../../integration/audit/support/audit-events';
import {
  connectedPublisher,
  deleteNamespace,
  queueDepth,
  uniqueNamespace,
} from '../../integration/audit/support/broker';
import { createDatabase, postgresUrl, queryDatabase } from '../../integration/audit/support/postgres';
import { ensureAuditBuilt, startAuditProcess, type AuditProcess } from './support/audit-process';
import { createPrivatePostgres, freePort, type PrivatePostgres } from './support/private-postgres';

/**
 * Publishes `perTick` events every `tickMs` until stopped (a load of a given rate, so the suite does not flood a
 * shared broker); remembers every event it published.
 */
function steadyLoad(publisher: EventPublisher, perTick: number, tickMs: number) {
  const published: RoamingEvent[] = [];
  let running = true;
  let failure: unknown;
  const done = (async () => {
    for await (const size of ticks(tickMs, perTick)) {
      if (!running) return;
      const batch = Array.from({ length: size }, (_, i) =>
        event('sync.started', {
          correlationId: randomUUID(),
          user: `load-${i}`,
          machine: 'WS-L',
          payload: { trigger: 'refresh' },
        }),
      );
      try {
        await publisher.publishAll(batch);
        published.push(...batch);
      } catch (error) {
        failure = error;
        return;
      }
    }
  })();
  return {
    published,
    async stop() {
      running = false;
      await done;
      if (failure) throw failure;
    },
  };
}

describe('audit while its PostgreSQL is stopped under load', () => {
  const namespace = uniqueNamespace('pg-outage');
  const names = amqpNames(namespace);
  let postgres: PrivatePostgres;
  let url: string;
  let publisher: EventPublisher;
  let audit: AuditProcess | undefined;

  beforeAll(async () => {
    ensureAuditBuilt();
    postgres = await createPrivatePostgres();
    await postgres.start();
    const database = await createDatabase(postgres.port, postgres.user);
    url = postgresUrl(database, postgres.port, postgres.user);
    publisher = await connectedPublisher(namespace);
  }, 120_000);

  afterAll(async () => {
    await audit?.stop();
    await publisher?.close();
    await postgres?.remove();
    await deleteNamespace(namespace);
  });

  const stored = async () =>
    Number(
      (await queryDatabase<{ count: string }>(url, 'SELECT COUNT(*) AS count FROM audit_event'))[0]!.count,
    );

  it('keeps events waiting in the queue during the outage and stores every one after the restart', async () => {
    audit = await startAuditProcess('audit-pg-outage', await freePort(), {
      CREDROAM_AMQP_NAMESPACE: namespace,
      CREDROAM_AUDIT_DB: url,
    });
    const load = steadyLoad(publisher, 20, 10);
    await waitFor(async () => (await stored()) > 500, { description: 'ingest under way', timeoutMs: 20_000 });

    await postgres.stop();
    // Events pile up in the queue instead of being lost, retried to exhaustion or dead-lettered.
    await waitFor(async () => ((await queueDepth(names.queue('audit'))) ?? 0) > 1_000, {
      description: 'events waiting in the queue',
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    const ready = await fetch(`${audit.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      status: 'error',
      error: { database: { status: 'down' } },
      details: { database: { status: 'down' }, broker: { status: 'up' } },
    });
    const metrics = await (await fetch(`${audit.url}/metrics`)).text();
    expect(metrics).toMatch(/^credroam_audit_database_up 0/m);
    // The outage goes on under load: a thousand more events arrive and wait for the database.
    const waiting = (await queueDepth(names.queue('audit'))) ?? 0;
    await waitFor(async () => ((await queueDepth(names.queue('audit'))) ?? 0) > waiting + 1_000, {
      description: 'more events waiting in the queue',
      timeoutMs: 30_000,
      intervalMs: 100,
    });

    await postgres.start();
    // Still under load, audit notices the database is back by itself: ready again, storing again.
    const storedAtRestart = await stored();
    await waitFor(async () => (await fetch(`${audit!.url}/health/ready`)).status === 200, {
      description: 'audit ready again',
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    await waitFor(async () => (await stored()) > storedAtRestart, {
      description: 'ingest resumed',
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    await load.stop();
    const total = load.published.length;
    await waitFor(async () => ((await stored()) === total ? true : undefined), {
      description: `all ${total} events stored`,
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    const ids = new Set(
      (await queryDatabase<{ id: string }>(url, 'SELECT id FROM audit_event')).map((row) => row.id),
    );
    expect(load.published.every((published) => ids.has(published.id))).toBe(true);
    expect(await queueDepth(names.deadLetterQueue)).toBe(0);
    expect((await fetch(`${audit.url}/health/ready`)).status).toBe(200);
    expect(await (await fetch(`${audit.url}/metrics`)).text()).toMatch(/^credroam_audit_database_up 1/m);
  }, 150_000);
});
