// Issue 18, a real RabbitMQ cluster: three private nodes on this machine (their own node names, ports and data
// directories, clustered with `rabbitmqctl join_cluster`), every credroam queue a quorum queue on it, every service
// given all three URLs (CREDROAM_AMQP_URL, comma-separated). Under the load of four workstations (two over HTTP,
// two over the AMQP ingress of a surviving node), the first node, where the queues were declared, is SIGKILLed and
// started again later: the services fail over to the surviving nodes by themselves, the workstations end where the
// reconcile model says, audit holds each completed sync exactly once, and nothing is left in a queue. Three Erlang
// VMs on two cores take long to start, so this runs with CREDROAM_SOAK=1 or CREDROAM_CLUSTER=1 only; the start time
// and the recovery time are printed.
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpensslWorkspace } from '../../helpers/openssl';
import { startPrivateRabbitCluster, type PrivateRabbitCluster } from '../../helpers/private-rabbitmq';
import { useSlapd } from '../../helpers/slapd';
import { testNamespace } from '../../support/messaging-fixtures';
import { aSyncCompletes, underLoad } from './support/after-fault';
import { FaultStack } from './support/fault-stack';
import { aliceCertificates, WorkstationLoad } from './support/workstation-load';

const SEED = process.env.CREDROAM_E2E_SEED ? Number(process.env.CREDROAM_E2E_SEED) : randomInt(2 ** 31);
const ENABLED = process.env.CREDROAM_SOAK === '1' || process.env.CREDROAM_CLUSTER === '1';
/** How long the killed node stays down. */
const FAULT_SECONDS = Number(process.env.CREDROAM_FAULT_SECONDS ?? 10);
const CERTIFICATES = 14;

(ENABLED ? describe : describe.skip)(
  `a three-node RabbitMQ cluster loses a node under load (seed ${SEED})`,
  () => {
    const slapd = useSlapd({ users: [{ uid: 'alice', password: 'alice-pass' }] });
    const namespace = testNamespace();
    let dir: string;
    let cluster: PrivateRabbitCluster;
    let stack: FaultStack;
    let workspace: OpensslWorkspace;
    let load: WorkstationLoad;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'credroam-cluster-'));
      workspace = await OpensslWorkspace.create();
      cluster = await startPrivateRabbitCluster(3);
      const members = cluster.nodes[1]!.ctl(['cluster_status', '--formatter', 'json']);
      expect((JSON.parse(members) as { running_nodes: string[] }).running_nodes).toHaveLength(3);
      console.log(`three RabbitMQ nodes started and clustered in ${cluster.startSeconds.toFixed(1)} s`);
      const certificates = await aliceCertificates(workspace, CERTIFICATES);
      stack = await FaultStack.start({ slapd: slapd(), dir, brokerUrl: cluster.urls, namespace });
      const ingress = `${cluster.nodes[1]!.url}/?namespace=${namespace}`;
      load = await WorkstationLoad.ofAlice({
        redeliveredWrites: () => stack.redeliveredWrites(),
        seed: SEED,
        dir: join(dir, 'workstations'),
        http: [stack.replica('logon-events-1').url!, stack.replica('logon-events-2').url!],
        ingress,
        certificates,
        policy: stack.policy,
      });
    }, 600_000);

    afterAll(async () => {
      await stack?.stop();
      await cluster?.stop();
      await workspace?.dispose();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('SIGKILL of a node and its restart: nothing lost, nothing duplicated, clients fail over', async () => {
      const [first, second] = cluster.nodes as [
        PrivateRabbitCluster['nodes'][number],
        PrivateRabbitCluster['nodes'][number],
      ];
      // Every durable queue of the namespace is a quorum queue (a replica's change-notice queue is its own,
      // transient, and classic).
      const durable = second
        .ctl(['list_queues', '--no-table-headers', 'name', 'type', 'durable'])
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter(([name, , isDurable]) => name?.startsWith(`${namespace}.`) && isDurable === 'true');
      expect(durable.length).toBeGreaterThan(0);
      expect(durable.filter(([, type]) => type !== 'quorum')).toEqual([]);
      let restartedIn = 0;
      await underLoad({
        label: 'cluster: SIGKILL of a node, restarted later',
        load,
        auditDb: stack.auditDb,
        ctl: second.ctl,
        namespace,
        seed: SEED,
        fault: async () => {
          await aSyncCompletes(load);
          first.kill();
          // Syncs go on against the two nodes left (a quorum of three).
          await aSyncCompletes(load);
          await new Promise((resolve) => setTimeout(resolve, FAULT_SECONDS * 1000));
          const restarting = Date.now();
          await first.restart();
          restartedIn = (Date.now() - restarting) / 1000;
        },
      });
      console.log(`the killed node answered again ${restartedIn.toFixed(1)} s after its restart`);
      const after = JSON.parse(second.ctl(['cluster_status', '--formatter', 'json'])) as {
        running_nodes: string[];
      };
      expect(after.running_nodes).toHaveLength(3);
    }, 600_000);
  },
);
