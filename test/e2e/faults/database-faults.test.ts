// Issue 18, audit's database fails under load: (1) audit on a private PostgreSQL cluster of this suite, stopped
// with `pg_ctl stop -m immediate` (a crash: no checkpoint, recovery from WAL at the next start) for
// CREDROAM_DB_FAULT_SECONDS and started again; (2) audit on SQLite whose file lives on a small tmpfs of its own,
// filled by a filler file until audit's writes fail (SQLITE_FULL), held so for CREDROAM_DISK_FULL_SECONDS, then
// freed by deleting the filler. Meanwhile two workstations of alice (one over HTTP, one over the AMQP ingress) sync
// random changes round after round through the whole stack (one replica of each service, on a vhost of this suite's
// own on the machine's RabbitMQ: the broker is not what fails here, so it needs no node of its own).
// During each fault audit must say so (/health/ready 503 naming what is down, credroam_audit_database_up 0) and hold
// its events unacknowledged instead of losing, retrying to exhaustion or dead-lettering them; after it, audit
// recovers by itself. Then: every sync completed (or was retried to success), audit holds exactly one
// sync.completed row per completed sync, no queue holds a message or an unacknowledged delivery (the dead-letter
// queue included), and the recovery times are printed: workstations served again, audit ready again, audit caught up.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpensslWorkspace } from '../../helpers/openssl';
import { useSlapd } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { createDatabase, postgresUrl } from '../../integration/audit/support/postgres';
import { brokerUrl, testNamespace } from '../../support/messaging-fixtures';
import { createPrivatePostgres, type PrivatePostgres } from '../audit/support/private-postgres';
import { aSyncCompletes, completedRows, underLoad, type AfterFaultFigures } from './support/after-fault';
import { FaultStack } from './support/fault-stack';
import { aliceCertificates, WorkstationLoad } from './support/workstation-load';

const SEED = process.env.CREDROAM_E2E_SEED ? Number(process.env.CREDROAM_E2E_SEED) : randomInt(2 ** 31);
/** How long PostgreSQL stays stopped. */
const DB_FAULT_SECONDS = Number(process.env.CREDROAM_DB_FAULT_SECONDS ?? 10);
/** How long the disk stays full once audit's writes fail. */
const DISK_FULL_SECONDS = Number(process.env.CREDROAM_DISK_FULL_SECONDS ?? 5);
const CERTIFICATES = 8;
/** Room for audit's SQLite file and its WAL through the whole suite; the filler takes whatever is left. */
const TMPFS_SIZE = '16m';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1);

/** What one outage of audit's store cost, from the end of the fault. */
interface OutageFigures {
  /** Writes that failed and were retried after a backoff. */
  failures: number;
  readySeconds: number;
  caughtUpSeconds: number;
}

interface Health {
  status: number;
  body: { error?: Record<string, { status: string }> };
}

async function readiness(url: string): Promise<Health> {
  const response = await fetch(`${url}/health/ready`);
  return { status: response.status, body: (await response.json()) as Health['body'] };
}

/** A metric of audit without labels; NaN when absent. */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

/** Writes zeros into `file` until the file system refuses (ENOSPC); returns the bytes written. */
function fillDisk(file: string): number {
  const chunk = Buffer.alloc(64 * 1024);
  const fd = openSync(file, 'w');
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return written;
}

/** A vhost of the suite's own on the machine's broker (as root: rabbitmqctl), deleted with everything in it. */
function ownVhost() {
  const name = `credroam-test-${randomBytes(4).toString('hex')}`;
  const rabbitmqctl = (args: string[]) =>
    execFileSync('rabbitmqctl', args, { encoding: 'utf8', stdio: 'pipe' });
  rabbitmqctl(['add_vhost', name]);
  const url = new URL(brokerUrl());
  url.pathname = `/${encodeURIComponent(name)}`;
  rabbitmqctl(['set_permissions', '-p', name, decodeURIComponent(url.username), '.*', '.*', '.*']);
  return {
    url: url.toString(),
    /** The agent's AMQP ingress URL for the namespace. */
    ingress(namespace: string) {
      const ingress = new URL(url);
      ingress.searchParams.set('namespace', namespace);
      return ingress.toString();
    },
    /** rabbitmqctl in this vhost (list_queues for the after-fault checks). */
    ctl: (args: string[]) => rabbitmqctl([...args, '-p', name]),
    remove: () => rabbitmqctl(['delete_vhost', name]),
  };
}

describe(`audit's database fails under load and audit recovers by itself (seed ${SEED})`, () => {
  const slapd = useSlapd({ users: [{ uid: 'alice', password: 'alice-pass' }] });
  const namespace = testNamespace();
  let dir: string;
  let mountPoint: string | undefined;
  let broker: ReturnType<typeof ownVhost> | undefined;
  let postgres: PrivatePostgres;
  let stack: FaultStack;
  let workspace: OpensslWorkspace;
  let load: WorkstationLoad;

  beforeAll(async () => {
    const started = Date.now();
    dir = mkdtempSync(join(tmpdir(), 'credroam-db-faults-'));
    workspace = await OpensslWorkspace.create();
    broker = ownVhost();
    const [pgUrl, certificates] = await Promise.all([
      (async () => {
        postgres = await createPrivatePostgres();
        await postgres.start();
        return postgresUrl(await createDatabase(postgres.port, postgres.user), postgres.port, postgres.user);
      })(),
      aliceCertificates(workspace, CERTIFICATES),
    ]);
    const booted = Date.now();
    stack = await FaultStack.start({
      slapd: slapd(),
      dir,
      brokerUrl: broker.url,
      namespace,
      replicas: 1,
      auditDb: pgUrl,
    });
    const loaded = Date.now();
    load = new WorkstationLoad({
      redeliveredWrites: () => stack.redeliveredWrites(),
      seed: SEED,
      dir: join(dir, 'workstations'),
      user: 'alice',
      password: 'alice-pass',
      servers: [stack.replica('logon-events-1').url!, broker.ingress(namespace)],
      certificates,
      policy: stack.policy,
    });
    await load.logOn();
    await load.round();
    console.log(
      `setup: vhost, PostgreSQL and certificates ${seconds(started, booted)} s, services ${seconds(booted, loaded)} s, ` +
        `log-on and a first round ${seconds(loaded, Date.now())} s`,
    );
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    if (mountPoint) {
      try {
        execFileSync('umount', [mountPoint], { stdio: 'pipe' });
      } catch {
        // Still busy (a process of the stack not gone yet): detach it now, freed once the last file closes.
        execFileSync('umount', ['-l', mountPoint], { stdio: 'pipe' });
      }
    }
    await postgres?.remove();
    broker?.remove();
    await workspace?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** Waits until audit reports the outage: 503 naming `check` as down, and the database gauge at 0. */
  const auditReportsDown = (check: string) =>
    waitFor(
      async () => {
        const health = await readiness(stack.auditUrl);
        const gauge = await metric(stack.auditUrl, 'credroam_audit_database_up');
        return health.status === 503 && health.body.error?.[check]?.status === 'down' && gauge === 0
          ? health
          : undefined;
      },
      {
        description: `audit to report ${check} down (503, credroam_audit_database_up 0)`,
        timeoutMs: 30_000,
        intervalMs: 100,
      },
    );

  /**
   * Watches one outage of audit's store, begun now. `ended()`, called once the fault is over, resolves when audit
   * is ready again and holds a row for every sync (started from `since` on) that had completed by then, with the
   * seconds each took, and checks that audit waited the outage out with its bounded backoff (100 ms doubling to
   * 5 s): a few failed writes, not a hot loop.
   */
  const watchOutage = async (since: number) => {
    const failuresBefore = await metric(stack.auditUrl, 'credroam_audit_ingest_write_failures_total');
    const startedAt = Date.now();
    return async (): Promise<OutageFigures> => {
      const endedAt = Date.now();
      const owed = load.records
        .filter((record) => record.startedAt >= since && record.completedAt <= endedAt)
        .map((record) => record.correlationId);
      await waitFor(async () => (await readiness(stack.auditUrl)).status === 200, {
        description: 'audit ready again',
        timeoutMs: 60_000,
        intervalMs: 100,
      });
      const readyAt = Date.now();
      await waitFor(
        async () => {
          const rows = await completedRows(stack.auditDb);
          return owed.every((id) => rows.has(id));
        },
        { description: 'audit to store what waited in the queue', timeoutMs: 60_000, intervalMs: 100 },
      );
      const caughtUpAt = Date.now();
      const failures =
        (await metric(stack.auditUrl, 'credroam_audit_ingest_write_failures_total')) - failuresBefore;
      // Six doublings reach the 5 s cap; then one attempt per 5 s (one more for timer slack).
      const bound = 8 + Math.ceil((readyAt - startedAt) / 5_000);
      expect({ failures, atMost: bound }).toEqual({
        failures: Math.min(Math.max(failures, 1), bound),
        atMost: bound,
      });
      return {
        failures,
        readySeconds: (readyAt - endedAt) / 1000,
        caughtUpSeconds: (caughtUpAt - endedAt) / 1000,
      };
    };
  };

  const report = (label: string, figures: AfterFaultFigures, audit: OutageFigures) =>
    console.log(
      `${label}: workstations served again ${figures.recoverySeconds.toFixed(1)} s, audit ready again ` +
        `${audit.readySeconds.toFixed(1)} s and caught up ${audit.caughtUpSeconds.toFixed(1)} s after the fault ` +
        `ended; ${audit.failures} failed writes during the outage`,
    );

  it('PostgreSQL stopped (immediate) and started again mid-load', async () => {
    let recovery: Promise<OutageFigures> | undefined;
    const label = `PostgreSQL stopped -m immediate for ${DB_FAULT_SECONDS} s`;
    const figures = await underLoad({
      label,
      load,
      auditDb: stack.auditDb,
      ctl: broker!.ctl,
      namespace,
      seed: SEED,
      fault: async () => {
        await aSyncCompletes(load);
        const ended = await watchOutage(0);
        const stopped = Date.now();
        await postgres.stop('immediate');
        await auditReportsDown('database');
        await delay(Math.max(0, DB_FAULT_SECONDS * 1000 - (Date.now() - stopped)));
        await postgres.start();
        recovery = ended();
        recovery.catch(() => undefined);
      },
    });
    report(label, figures, await recovery!);
  }, 120_000);

  it('the disk of audit’s SQLite full until its writes fail, then freed, mid-load', async () => {
    const disk = join(dir, 'audit-disk');
    mkdirSync(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', disk], { stdio: 'pipe' });
    mountPoint = disk;
    await stack.restartAudit(`sqlite:${join(disk, 'audit.sqlite')}`);
    const since = Date.now();
    const filler = join(disk, 'filler');
    let recovery: Promise<OutageFigures> | undefined;
    const label = `audit's SQLite disk full, freed ${DISK_FULL_SECONDS} s after its writes failed`;
    const figures = await underLoad({
      label,
      load,
      auditDb: stack.auditDb,
      since,
      ctl: broker!.ctl,
      namespace,
      seed: SEED,
      fault: async () => {
        await aSyncCompletes(load);
        const ended = await watchOutage(since);
        const filled = fillDisk(filler);
        const health = await auditReportsDown('ingest');
        console.log(
          `filler of ${(filled / 1024).toFixed(0)} KiB; audit then answered ${JSON.stringify(health.body)}`,
        );
        await delay(DISK_FULL_SECONDS * 1000);
        rmSync(filler);
        recovery = ended();
        recovery.catch(() => undefined);
      },
    });
    report(label, figures, await recovery!);
  }, 120_000);
});
