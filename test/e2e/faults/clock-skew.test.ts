// Issue 18, clock skew: four workstations of alice (two over HTTP, two over the AMQP ingress) sync random imports,
// deletions and edits round after round, one with a right clock, one 10 min behind over HTTP, one 10 min ahead and
// one 10 min behind over AMQP (the agent's clock port: the load driver's `now`), while (1) two workstation clocks
// jump mid-load, the right one 10 min ahead and the one ahead 20 min back; (2) the clocks of directory-gateway and
// logon-events step back 25 s (real processes under libfaketime, their clock file rewritten mid-load; token-crypto
// and audit keep the right time), the largest step inside the grants' tolerance between services
// (CREDROAM_GRANT_CLOCK_SKEW_SECONDS, 30 s). No fault here stops the broker, so the stack runs on a vhost of the
// suite's own on the machine's RabbitMQ (deleted at the end), one replica of each service. After each: every sync completed, or ended in a retryable error the agent retried to success (a
// proof or sealed password dated off the server's clock is refused CLOCK_SKEW naming the server's time, and the
// agent dates its next attempt by it); the workstations hold what the reconcile model predicts; audit holds exactly
// one sync.completed row per completed sync; no queue holds anything; the recovery time is printed. Then: each
// agent measured its clock's offset; the directory stamp only moved forward across the services' step back.
// CREDROAM_E2E_SEED replays a seed.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeRoamingTimestamp, unwrap } from '@credroam/roaming';
import { CLOCK_OFFSET_NOISE_MS } from '../../../apps/agent/src/sync/server-clock';
import { OpensslWorkspace } from '../../helpers/openssl';
import { useSlapd } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { testNamespace } from '../../support/messaging-fixtures';
import { SharedClock } from '../../support/shared-clock';
import { underLoad } from './support/after-fault';
import { FaultStack } from './support/fault-stack';
import { aliceCertificates, WorkstationLoad } from './support/workstation-load';

const SEED = process.env.CREDROAM_E2E_SEED ? Number(process.env.CREDROAM_E2E_SEED) : randomInt(2 ** 31);
const MINUTES_10 = 600_000;
/** Where each workstation's clock starts: ws-0 right (HTTP), ws-1 behind (HTTP), ws-2 ahead and ws-3 behind (AMQP). */
const SKEWS = [0, -MINUTES_10, MINUTES_10, -MINUTES_10];
/** The services whose clocks step back, and by how much. */
const STEPPED = ['directory-gateway-1', 'logon-events-1'];
const SERVICE_STEP_MS = 25_000;
const CERTIFICATES = 6;

/** rabbitmqctl of the machine's broker (as root, as `npm test` runs), its output. */
function rabbitmqctl(args: string[]): string {
  const result = spawnSync('rabbitmqctl', ['-q', ...args], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`rabbitmqctl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** The same without blocking: the certificates are made meanwhile. */
async function rabbitmqctlAsync(args: string[]): Promise<void> {
  await promisify(execFile)('rabbitmqctl', ['-q', ...args], { timeout: 60_000 });
}

/** The modified time of the directory stamp workstation `index` last synced to. */
function lastStampAt(load: WorkstationLoad, index: number): number {
  const state = JSON.parse(readFileSync(join(load.store(index), 'state.json'), 'utf8')) as {
    lastStamp: string | null;
  };
  if (state.lastStamp === null) throw new Error(`ws-${index} has no stamp`);
  return unwrap(decodeRoamingTimestamp(Buffer.from(state.lastStamp, 'base64'))).modifiedAt;
}

/** The offset (server minus workstation clock) the agent of workstation `index` measured and kept. */
function learntOffset(load: WorkstationLoad, index: number): number {
  try {
    return (JSON.parse(readFileSync(join(load.store(index), 'clock.json'), 'utf8')) as { offsetMs: number })
      .offsetMs;
  } catch {
    return 0;
  }
}

describe(`clock skew: workstations 10 min off, service clocks stepping back (seed ${SEED})`, () => {
  const slapd = useSlapd({ users: [{ uid: 'alice', password: 'alice-pass' }] });
  const namespace = testNamespace();
  let dir: string;
  const vhost = `credroam-clock-skew-${randomBytes(4).toString('hex')}`;
  let vhostMade = false;
  /** rabbitmqctl in the suite's vhost (after-fault lists its queues). */
  const ctl = ([command, ...args]: string[]) => rabbitmqctl([command!, '-p', vhost, ...args]);
  let stack: FaultStack;
  let workspace: OpensslWorkspace;
  let load: WorkstationLoad;
  let serviceClock: SharedClock;

  beforeAll(async () => {
    const started = Date.now();
    dir = mkdtempSync(join(tmpdir(), 'credroam-clock-skew-'));
    mkdirSync(join(dir, 'service-clock'));
    serviceClock = SharedClock.create(join(dir, 'service-clock'));
    workspace = await OpensslWorkspace.create();
    const [, certificates] = await Promise.all([
      (async () => {
        vhostMade = true;
        await rabbitmqctlAsync(['add_vhost', vhost]);
        await rabbitmqctlAsync(['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
      })(),
      aliceCertificates(workspace, CERTIFICATES),
    ]);
    const brokerUrl = `amqp://guest:guest@127.0.0.1:5672/${vhost}`;
    const booted = Date.now();
    stack = await FaultStack.start({
      slapd: slapd(),
      dir,
      brokerUrl,
      namespace,
      replicas: 1,
      replicaEnv: (name) => ({
        ...(STEPPED.includes(name) ? serviceClock.serviceEnv() : {}),
        // Four workstations of one user syncing every two seconds through the one replica would spend the per-user
        // burst (30 per 15 s) and wait out windows; how a window behaves after a step back is request-limiter.spec.
        ...(name === 'logon-events-1' ? { CREDROAM_RATE_USER_BURST: '240' } : {}),
      }),
    });
    const ingress = `${brokerUrl}?namespace=${namespace}`;
    const loaded = Date.now();
    const http = stack.replica('logon-events-1').url!;
    load = await WorkstationLoad.ofAlice({
      redeliveredWrites: () => stack.redeliveredWrites(),
      seed: SEED,
      dir: join(dir, 'workstations'),
      http: [http, http],
      ingress,
      certificates,
      policy: stack.policy,
      clockSkewMs: SKEWS,
    });
    console.log(
      `setup: vhost and certificates ${((booted - started) / 1000).toFixed(1)} s, ` +
        `services ${((loaded - booted) / 1000).toFixed(1)} s, log-on and a first round ${((Date.now() - loaded) / 1000).toFixed(1)} s`,
    );
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    if (vhostMade) await rabbitmqctlAsync(['delete_vhost', vhost]).catch(() => undefined);
    await workspace?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const runFault = (label: string, fault: () => Promise<void>) =>
    underLoad({ label, load, auditDb: stack.auditDb, ctl, namespace, fault, seed: SEED });

  /** Resolves once every workstation in `indices` has completed a sync that started after now. */
  const eachSyncsAgain = (indices: number[]) => {
    const since = Date.now();
    return waitFor(
      () =>
        indices.every((index) =>
          load.records.some((record) => record.workstation === index && record.startedAt >= since),
        ),
      { description: `ws ${indices.join(', ')} to sync again`, timeoutMs: 120_000, intervalMs: 20 },
    );
  };

  it('workstations 10 min ahead or behind sync, and so do clocks that jump 10 and 20 min mid-load', async () => {
    await runFault('workstation clocks: ws-0 jumps 10 min ahead, ws-2 20 min back', async () => {
      await eachSyncsAgain([0, 1, 2, 3]);
      load.setClockSkew(0, MINUTES_10);
      load.setClockSkew(2, -MINUTES_10);
      await eachSyncsAgain([0, 2]);
    });
    // Each agent dates by the server's clock: it measured how far off its own is (a refusal or an HTTP Date).
    const offsets = [0, 1, 2, 3].map((index) => learntOffset(load, index));
    console.log(`clock offsets the agents measured (ms): ${offsets.join(', ')}`);
    const finalSkews = [MINUTES_10, SKEWS[1]!, -MINUTES_10, SKEWS[3]!];
    for (const [index, skew] of finalSkews.entries()) {
      expect({ index, measured: Math.abs(offsets[index]! + skew) < CLOCK_OFFSET_NOISE_MS }).toEqual({
        index,
        measured: true,
      });
    }
  }, 120_000);

  it('directory-gateway and logon-events stepping their clocks back 25 s keep the directory stamp monotonic', async () => {
    const newestStamp = () => Math.max(...[0, 1, 2, 3].map((index) => lastStampAt(load, index)));
    let atStep = 0;
    let firstAfter = { stamp: 0, gatewayClock: 0 };
    await runFault(
      `service clocks: ${STEPPED.join(', ')} stepped back ${SERVICE_STEP_MS / 1000} s`,
      async () => {
        await eachSyncsAgain([0, 1, 2, 3]);
        await serviceClock.advance(-SERVICE_STEP_MS);
        atStep = newestStamp();
        // A round started after the step makes changes: the gateway writes with its clock behind the stamp.
        await eachSyncsAgain([0, 1, 2, 3]);
        firstAfter = { stamp: newestStamp(), gatewayClock: serviceClock.now() };
      },
    );
    const after = [0, 1, 2, 3].map((index) => lastStampAt(load, index));
    const iso = (ms: number) => new Date(ms).toISOString();
    console.log(
      `directory stamp ${iso(atStep)} at the step, ${iso(firstAfter.stamp)} after a round of writes by a gateway ` +
        `whose clock read ${iso(firstAfter.gatewayClock)} (${((firstAfter.stamp - firstAfter.gatewayClock) / 1000).toFixed(1)} s ` +
        `earlier than the stamp; negative: its clock had caught up), ${iso(Math.max(...after))} at the end`,
    );
    expect(firstAfter.stamp).toBeGreaterThan(atStep);
    // Every workstation ends on a stamp written after the step, by a gateway whose clock read earlier: still later.
    for (const [index, at] of after.entries()) {
      expect({ index, laterThanAtStep: at > atStep }).toEqual({ index, laterThanAtStep: true });
    }
  }, 120_000);
});
