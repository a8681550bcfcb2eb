// Issue 18, faults under load: four workstations of alice (two over HTTP, one per logon-events replica, two over
// the AMQP ingress) sync random imports, deletions and edits round after round while (1) the broker, a private
// RabbitMQ node of this suite, closes every connection and then stops and starts its app; (2) one replica of each
// service in turn is SIGKILLed while its peer runs, then audit (its only replica) and every gateway replica at once,
// each started again after a second as compose's `restart:` would; (3) slapd stops and starts again. After each
// fault: the workstations hold what the reconcile model predicts, audit has exactly one sync.completed row per
// completed sync, no queue holds a message or an unacknowledged delivery, and the recovery time is printed.
// CREDROAM_FAULT_SECONDS and CREDROAM_SLAPD_FAULT_SECONDS set how long the broker and slapd stay stopped (CI: 2 s and
// 3 s; the soak, CREDROAM_SOAK=1: 30 s each); CREDROAM_E2E_SEED replays a seed.
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpensslWorkspace } from '../../helpers/openssl';
import { startPrivateRabbitMq, type PrivateRabbitMq } from '../../helpers/private-rabbitmq';
import { useSlapd } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { testNamespace } from '../../support/messaging-fixtures';
import { aSyncCompletes, underLoad } from './support/after-fault';
import { FaultStack, type ServiceName } from './support/fault-stack';
import { aliceCertificates, WorkstationLoad } from './support/workstation-load';

const SEED = process.env.CREDROAM_E2E_SEED ? Number(process.env.CREDROAM_E2E_SEED) : randomInt(2 ** 31);
const SOAK = process.env.CREDROAM_SOAK === '1';
const FAULT_SECONDS = Number(process.env.CREDROAM_FAULT_SECONDS ?? (SOAK ? 30 : 2));
/** How long slapd stays stopped (the 30 s in the soak). */
const SLAPD_FAULT_SECONDS = Number(process.env.CREDROAM_SLAPD_FAULT_SECONDS ?? (SOAK ? 30 : 3));
const CERTIFICATES = SOAK ? 40 : 14;
/** What compose's `restart:` waits before starting a crashed service again (the local stack's supervisor too). */
const RESTART_DELAY_MS = 1_000;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`the stack under load survives broker and replica faults (seed ${SEED})`, () => {
  const slapd = useSlapd({ users: [{ uid: 'alice', password: 'alice-pass' }] });
  const namespace = testNamespace();
  let dir: string;
  let broker: PrivateRabbitMq;
  let stack: FaultStack;
  let workspace: OpensslWorkspace;
  let load: WorkstationLoad;

  beforeAll(async () => {
    const started = Date.now();
    dir = mkdtempSync(join(tmpdir(), 'credroam-faults-'));
    workspace = await OpensslWorkspace.create();
    const [node, certificates] = await Promise.all([
      startPrivateRabbitMq(),
      aliceCertificates(workspace, CERTIFICATES),
    ]);
    broker = node;
    const booted = Date.now();
    stack = await FaultStack.start({ slapd: slapd(), dir, brokerUrl: broker.url, namespace });
    const ingress = `${broker.url}/?namespace=${namespace}`;
    const loaded = Date.now();
    load = await WorkstationLoad.ofAlice({
      redeliveredWrites: () => stack.redeliveredWrites(),
      seed: SEED,
      dir: join(dir, 'workstations'),
      http: [stack.replica('logon-events-1').url!, stack.replica('logon-events-2').url!],
      ingress,
      certificates,
      policy: stack.policy,
    });
    console.log(
      `setup: broker and certificates ${((booted - started) / 1000).toFixed(1)} s, ` +
        `services ${((loaded - booted) / 1000).toFixed(1)} s, log-on and a first round ${((Date.now() - loaded) / 1000).toFixed(1)} s`,
    );
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await broker?.stop();
    await workspace?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const runFault = (label: string, fault: () => Promise<void>) =>
    underLoad({ label, load, auditDb: stack.auditDb, ctl: broker.ctl, namespace, fault, seed: SEED });

  it('RabbitMQ: every connection closed, then the app stopped and started, mid-load', async () => {
    await runFault('broker: close_all_connections + stop_app/start_app', async () => {
      await aSyncCompletes(load);
      broker.ctl(['close_all_connections', 'credroam fault suite']);
      await aSyncCompletes(load);
      broker.ctl(['stop_app']);
      await delay(FAULT_SECONDS * 1000);
      broker.ctl(['start_app']);
    });
  }, 300_000);

  it('SIGKILL of one replica of each service in turn mid-request, its peer running; then of every replica', async () => {
    /**
     * Waits until the replica has handled a request since now (it logs each RPC and sync), then kills it at once;
     * audit, which logs no event, is killed as soon as a sync completes (its events are then on their way).
     */
    const killServing = async (name: string) => {
      const replica = stack.replica(name);
      const from = replica.process.output().length;
      if (replica.service === 'audit') await aSyncCompletes(load);
      else
        await waitFor(() => replica.process.output().length > from, {
          description: `${name} to serve a request`,
          timeoutMs: 120_000,
          intervalMs: 5,
        });
      await stack.kill(name);
    };
    const restartLater = async (name: string) => {
      await delay(RESTART_DELAY_MS);
      await stack.restart(name);
    };
    await runFault('replicas: SIGKILL each service in turn, then audit and every gateway', async () => {
      for (const service of ['directory-gateway', 'token-crypto', 'logon-events'] satisfies ServiceName[]) {
        await killServing(`${service}-1`);
        await restartLater(`${service}-1`);
        await aSyncCompletes(load);
      }
      // The only replica: audit, and the gateway with every replica gone at once.
      await killServing('audit-1');
      await restartLater('audit-1');
      await Promise.all(['directory-gateway-1', 'directory-gateway-2'].map((name) => stack.kill(name)));
      await Promise.all(['directory-gateway-1', 'directory-gateway-2'].map(restartLater));
    });
  }, 300_000);

  it('slapd stopped and started again mid-load', async () => {
    await runFault(`directory: slapd stopped for ${SLAPD_FAULT_SECONDS} s`, async () => {
      await aSyncCompletes(load);
      await slapd().stopProcess();
      await delay(SLAPD_FAULT_SECONDS * 1000);
      await slapd().startProcess();
    });
  }, 300_000);
});
