// The whole stack of a fault suite, each service a real process from dist/: two replicas of directory-gateway,
// token-crypto and logon-events (each logon-events on a fixed port of its own, so a restarted replica answers where
// workstations logged on) and audit on SQLite, all on a throwaway slapd and on a broker the suite owns (a private
// RabbitMQ node or cluster, never the machine's shared one), with quorum queues. Any replica can be SIGKILLed and
// started again as compose's `restart:` would.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { policyDefaultsSchema, resolvePolicy, type Policy } from '@credroam/roaming';
import { generateKeys } from '../../../../apps/token-crypto/src/keys/key-generator';
import { startServiceProcess, type ServiceProcess } from '../../../helpers/service-process';
import { type SlapdHandle } from '../../../helpers/slapd';
import { ensureAuditBuilt } from '../../audit/support/audit-process';
import { OPERATOR_TOKEN } from '../../../integration/audit/support/audit-app';
import { freePort } from '../../audit/support/private-postgres';
import { gatewayEnv } from '../../../support/gateway-fixtures';
import { serviceChannelKey } from '../../../support/gateway-process';
import { testGrants } from '../../../support/grants';

export const SERVICES = ['directory-gateway', 'token-crypto', 'logon-events', 'audit'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** What the gateway's policy file sets: stored credentials roam, so that workstations can edit shared ones. */
const POLICY_DEFAULTS = { roamStoredCredentials: true };

export interface Replica {
  service: ServiceName;
  name: string;
  process: ServiceProcess;
  /** logon-events: its HTTP URL. */
  url?: string;
}

export interface FaultStackOptions {
  slapd: SlapdHandle;
  dir: string;
  /** CREDROAM_AMQP_URL of every service: one node, or a comma-separated list of a cluster's nodes. */
  brokerUrl: string;
  namespace: string;
  replicas?: number;
  /** Added to every service's environment (e.g. CREDROAM_AMQP_MAX_MESSAGE_BYTES). */
  env?: Record<string, string>;
  /** CREDROAM_AUDIT_DB of audit; default SQLite in `dir`. */
  auditDb?: string;
  /** Extra environment of one replica (by name, e.g. `directory-gateway-1`): a clock of its own (libfaketime). */
  replicaEnv?: (name: string) => Record<string, string>;
}

export class FaultStack {
  readonly replicas: Replica[] = [];
  /** Processes replaced by restart(), whose logs still tell what they did. */
  private readonly retired: Replica[] = [];
  /** How much of each gateway process's output redeliveredWrites() has read. */
  private readonly scanned = new Map<ServiceProcess, number>();
  private readonly redelivered = new Set<string>();
  /** Audit's CREDROAM_AUDIT_DB: `sqlite:<file>` or a PostgreSQL URL (restartAudit moves it). */
  auditDb: string;
  private readonly env: Record<ServiceName, Record<string, string>>;
  private readonly ports = new Map<string, number>();
  readonly policy: Policy;

  private constructor(private readonly options: FaultStackOptions) {
    const { slapd, dir, brokerUrl, namespace } = options;
    const amqp = {
      CREDROAM_AMQP_URL: brokerUrl,
      CREDROAM_AMQP_NAMESPACE: namespace,
      CREDROAM_AMQP_QUEUE_TYPE: 'quorum',
      // Calls fail fast while the broker is away, so the agent's backoff (not a long RPC wait) carries the sync.
      CREDROAM_RPC_TIMEOUT_MS: '5000',
      ...options.env,
    };
    const channel = serviceChannelKey(slapd);
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ defaults: POLICY_DEFAULTS, overrides: [] }));
    const keyDir = join(dir, 'token-crypto-keys');
    generateKeys(keyDir, { transportKeyBits: 2048 });
    const sessionKeyFile = join(dir, 'session.key');
    writeFileSync(sessionKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
    this.auditDb = options.auditDb ?? `sqlite:${join(dir, 'audit.sqlite')}`;
    this.env = {
      'directory-gateway': {
        ...amqp,
        ...(gatewayEnv(slapd, {
          CREDROAM_SERVICE_CHANNEL_KEY_FILE: channel.file,
          CREDROAM_POLICY_FILE: policyFile,
        }) as Record<string, string>),
      },
      'token-crypto': {
        ...amqp,
        ...testGrants().verifierEnv,
        CREDROAM_KEY_DIR: keyDir,
        CREDROAM_SERVICE_CHANNEL_KEY_FILE: channel.file,
      },
      'logon-events': {
        ...amqp,
        CREDROAM_SESSION_KEY_FILE: sessionKeyFile,
        CREDROAM_SERVICE_CHANNEL_KEY_FILE: channel.file,
        ...testGrants().issuerEnv,
        CREDROAM_SYNC_RETRY_BASE_MS: '10',
      },
      audit: amqp,
    };
    this.policy = resolvePolicy(policyDefaultsSchema.parse(POLICY_DEFAULTS), [], {
      dn: slapd.user('alice').dn,
      groups: [],
    }).policy;
  }

  /** Starts every replica: the RPC services and audit together, then logon-events (which asks them at boot). */
  static async start(options: FaultStackOptions): Promise<FaultStack> {
    ensureAuditBuilt();
    const stack = new FaultStack(options);
    try {
      const count = options.replicas ?? 2;
      const indices = Array.from({ length: count }, (_, index) => index + 1);
      const tier = async (launches: Promise<Replica>[]) => {
        const settled = await Promise.allSettled(launches);
        for (const result of settled) if (result.status === 'fulfilled') stack.replicas.push(result.value);
        const failed = settled.find((result) => result.status === 'rejected');
        if (failed) throw failed.reason;
      };
      await tier([
        ...indices.flatMap((index) => [
          stack.launch('directory-gateway', index),
          stack.launch('token-crypto', index),
        ]),
        stack.launch('audit', 1),
      ]);
      await tier(indices.map((index) => stack.launch('logon-events', index)));
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  private async launch(service: ServiceName, index: number): Promise<Replica> {
    const name = `${service}-${index}`;
    let port = this.ports.get(name);
    if (port === undefined && (service === 'logon-events' || service === 'audit')) {
      port = await freePort();
      this.ports.set(name, port);
    }
    const url = port === undefined ? undefined : `http://127.0.0.1:${port}`;
    const process = await startServiceProcess({
      name: `fault-${name}`,
      script: 'scripts/lib/run-service.cjs',
      args: [service],
      env: {
        ...(service === 'audit'
          ? {
              ...this.env.audit,
              CREDROAM_AUDIT_DB: this.auditDb,
              CREDROAM_AUDIT_OPERATOR_TOKEN: OPERATOR_TOKEN,
              CREDROAM_AUDIT_PORT: String(port),
              CREDROAM_AUDIT_RETRY_DELAY_MS: '200',
            }
          : { ...this.env[service], ...(port === undefined ? {} : { CREDROAM_LOGON_PORT: String(port) }) }),
        ...(this.options.replicaEnv?.(name) ?? {}),
      },
      ready: service === 'audit' ? { http: `${url}/health/ready` } : { line: new RegExp(`${service} ready`) },
      // Generous: several services boot at once on two shared cores.
      readyTimeoutMs: 120_000,
    });
    return { service, name, process, ...(url === undefined ? {} : { url }) };
  }

  replica(name: string): Replica {
    const replica = this.replicas.find((candidate) => candidate.name === name);
    if (!replica) throw new Error(`no replica ${name}`);
    return replica;
  }

  of(service: ServiceName): Replica[] {
    return this.replicas.filter((replica) => replica.service === service);
  }

  /** SIGKILL, as an OOM killer or a power cut would; resolves once the process is gone. */
  async kill(name: string): Promise<void> {
    const replica = this.replica(name);
    process.kill(replica.process.pid, 'SIGKILL');
    await replica.process.exited;
  }

  /** Starts a killed replica again under its name (and port), as compose's `restart:` does; resolves when ready. */
  async restart(name: string): Promise<void> {
    const replica = this.replica(name);
    const index = Number(name.slice(name.lastIndexOf('-') + 1));
    const fresh = await this.launch(replica.service, index);
    this.retired.push({ ...replica });
    replica.process = fresh.process;
  }

  /**
   * The syncs (by correlation id) whose directory write a gateway handled again after the broker redelivered it:
   * the first handler died, or lost its channel, before acknowledging, possibly after its write took effect. The
   * second try then loses the compare-and-swap against that very write, and logon-events plans the sync again
   * from the directory as it now is: one answer to the workstation, but to a model of serial syncs a lost reply
   * (the first write) and a second sync, as when the agent itself retries.
   */
  redeliveredWrites(): ReadonlySet<string> {
    for (const { service, process } of [...this.retired, ...this.replicas]) {
      if (service !== 'directory-gateway') continue;
      const output = process.output();
      // Up to the last whole line: a line still being written is read next time.
      const upTo = output.lastIndexOf('\n') + 1;
      const from = this.scanned.get(process) ?? 0;
      for (const line of process.logLines(from)) {
        if (line.pattern !== 'directory.apply-changes' || line.redelivered !== true) continue;
        if (typeof line.correlationId === 'string') this.redelivered.add(line.correlationId);
      }
      this.scanned.set(process, Math.max(from, upTo));
    }
    return this.redelivered;
  }

  /** Stops audit (SIGTERM: it finishes its batch) and starts it again on another database; resolves when ready. */
  async restartAudit(auditDb: string): Promise<void> {
    await this.replica('audit-1').process.stop();
    this.auditDb = auditDb;
    await this.restart('audit-1');
  }

  /** The URL of audit's HTTP API. */
  get auditUrl(): string {
    return this.replica('audit-1').url!;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.replicas.map((replica) => replica.process.stop()));
  }
}
