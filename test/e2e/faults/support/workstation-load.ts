// The steady load of the fault suites: simulated workstations of one user, each the real agent (its CLI and sync
// library, in this process: no copy of the protocol) on a store of its own, making random imports, deletions and
// edits and syncing concurrently, round after round, over HTTP or the AMQP ingress. Every local change is mirrored
// into the reconcile model (test/support/roaming-model.ts), and every round must be explained by a serial order of
// model syncs, a retried sync possibly counting its lost replies (an attempt the server carried out whose answer
// never came back). A sync that ends in a retryable error is run again, as the agent's daemon would at its next
// trigger; any other error fails the suite. The seed is printed; one seed draws the same changes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Policy, type TokenType } from '@credroam/roaming';
import { runCli } from '../../../../apps/agent/src/cli/cli';
import { type GeneratedCertificate, type OpensslWorkspace } from '../../../helpers/openssl';
import { type ListedToken } from '../../../support/agent-cli';
import { prng } from '../../../support/prng';
import {
  conflictText,
  heldText,
  listedView,
  RoamingModel,
  toTokenMeta,
  type ObservedSync,
} from '../../../support/roaming-model';

const TARGETS = ['TERMSRV/fileserver.example.com', 'TERMSRV/build.example.com', 'intranet.example.com'];
/** Errors a sync may end in during a fault, retried by the next trigger; anything else is a failure. */
const RETRYABLE =
  /\[(SERVICE_UNAVAILABLE|TIMEOUT|DIRECTORY_STAMP_CHANGED|DIRECTORY_UNAVAILABLE|RATE_LIMITED)\]/;
/** Codes of a download left for the next sync. */
const UNDELIVERED = ['DIRECTORY_UNAVAILABLE', 'SERVICE_UNAVAILABLE', 'TIMEOUT'];
/** Runs of a sync that ended in a retryable error, before the suite gives up on it. */
const MAX_RUNS = 6;

/** The certificates the workstations import, one after another: P-256, self-signed by OpenSSL. */
export interface AgentRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The agent's backoff sleeps during the run: its retries. */
  retries: number;
}

/** One completed sync, for the audit check and the recovery time. */
export interface SyncRecord {
  workstation: number;
  correlationId: string;
  startedAt: number;
  completedAt: number;
  /** Retries inside the agent and runs again after a retryable error. */
  retries: number;
  /** The retryable errors met on the way, one line each. */
  errors: string[];
}

export interface WorkstationLoadOptions {
  seed: number;
  dir: string;
  user: string;
  password: string;
  /** Where each workstation logs on: an http:// URL of a logon-events replica or the AMQP ingress URL. */
  servers: readonly string[];
  certificates: readonly GeneratedCertificate[];
  policy: Policy;
  /** The agent's attempts per request (CREDROAM_AGENT_RETRY_ATTEMPTS) and first backoff. */
  retry?: { attempts: number; baseMs: number };
  /** How far each workstation's clock is off the servers' (ms, + ahead): its agent's clock port. */
  clockSkewMs?: readonly number[];
  /**
   * The syncs (by correlation id) whose directory write the stack carried out twice, the first time without an
   * answer (FaultStack.redeliveredWrites): each counts as one lost reply, as an agent retry does.
   */
  redeliveredWrites?: () => ReadonlySet<string>;
}

type Change =
  | { kind: 'import' }
  | { kind: 'delete'; type: TokenType; id: string }
  | { kind: 'credential'; target: string; userName: string; secret: string };

export class WorkstationLoad {
  readonly records: SyncRecord[] = [];
  readonly model: RoamingModel;
  readonly stats = {
    rounds: 0,
    imports: 0,
    deletions: 0,
    edits: 0,
    conflicts: 0,
    retries: 0,
    reruns: 0,
    undelivered: 0,
  };
  private readonly random: () => number;
  private nextCertificate = 0;
  private plannedImports = 0;
  private readonly names: string[];
  private readonly clockSkewMs: number[];

  constructor(private readonly options: WorkstationLoadOptions) {
    this.random = prng(options.seed);
    this.clockSkewMs = options.servers.map((_, index) => options.clockSkewMs?.[index] ?? 0);
    this.model = new RoamingModel(options.servers.length, options.policy);
    this.names = options.servers.map((_, index) => `ws-${index}`);
    // The agent makes each store (mode 700) itself.
    mkdirSync(options.dir, { recursive: true });
  }

  /**
   * Alice's four workstations of the fault suites, logged on, a first round made: ws-0 and ws-1 over HTTP (a
   * logon-events URL each), ws-2 and ws-3 over the AMQP ingress.
   */
  static async ofAlice(
    options: Omit<WorkstationLoadOptions, 'user' | 'password' | 'servers'> & {
      http: readonly [string, string];
      ingress: string;
    },
  ): Promise<WorkstationLoad> {
    const { http, ingress, ...rest } = options;
    const load = new WorkstationLoad({
      ...rest,
      user: 'alice',
      password: 'alice-pass',
      servers: [...http, ingress, ingress],
    });
    await load.logOn();
    await load.round();
    return load;
  }

  get size(): number {
    return this.names.length;
  }

  /** Sets workstation `index`'s clock `ms` off the servers' from its next agent run on (a step of its clock). */
  setClockSkew(index: number, ms: number): void {
    this.clockSkewMs[index] = ms;
  }

  /** The store of workstation `index`. */
  store(index: number): string {
    return join(this.options.dir, this.names[index]!);
  }

  /** The agent's CLI in this process, on workstation `index`'s store. */
  async agent(index: number, args: string[], stdin = ''): Promise<AgentRun> {
    let stdout = '';
    let stderr = '';
    let retries = 0;
    const retry = this.options.retry ?? { attempts: 10, baseMs: 200 };
    const skew = this.clockSkewMs[index]!;
    const code = await runCli(['--store', this.store(index), ...args], {
      io: {
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
        readStdin: () => Promise.resolve(stdin),
      },
      env: {
        CREDROAM_AGENT_RETRY_ATTEMPTS: String(retry.attempts),
        CREDROAM_AGENT_RETRY_BASE_MS: String(retry.baseMs),
      },
      now: () => Date.now() + skew,
      sleep: (ms) => {
        retries++;
        return new Promise((resolve) => setTimeout(resolve, ms));
      },
    });
    return { code, stdout, stderr, retries };
  }

  private async ok(index: number, args: string[], stdin?: string): Promise<AgentRun> {
    const run = await this.agent(index, args, stdin);
    if (run.code !== 0)
      throw new Error(`ws-${index}: credroam-agent ${args[0]} failed (${run.code}): ${run.stderr}`);
    return run;
  }

  async list(index: number): Promise<ListedToken[]> {
    return JSON.parse((await this.ok(index, ['list', '--json'])).stdout) as ListedToken[];
  }

  /** Every workstation logs on to its server (before the fault). */
  async logOn(): Promise<void> {
    await Promise.all(
      this.options.servers.map((server, index) =>
        this.ok(
          index,
          [
            'login',
            '--server',
            server,
            '--user',
            this.options.user,
            '--password-stdin',
            '--machine',
            this.names[index]!,
          ],
          `${this.options.password}\n`,
        ),
      ),
    );
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  private planChanges(held: ListedToken[][]): Change[][] {
    return held.map((tokens) => {
      const victims = [...tokens];
      return Array.from({ length: 1 + Math.floor(this.random() * 2) }, (): Change => {
        const roll = this.random();
        // Counted when planned: a round may plan several imports before it makes any (seed 655513338 drew more
        // imports than certificates were left).
        if (roll < 0.35 && this.plannedImports < this.options.certificates.length) {
          this.plannedImports++;
          return { kind: 'import' };
        }
        if (roll < 0.6 && victims.length > 0) {
          const [victim] = victims.splice(Math.floor(this.random() * victims.length), 1);
          return { kind: 'delete', type: victim!.type as TokenType, id: victim!.id };
        }
        return {
          kind: 'credential',
          target: this.pick(TARGETS),
          userName: this.pick(['alice', 'EXAMPLE\\alice']),
          secret: `secret-${Math.floor(this.random() * 1e9).toString(36)}`,
        };
      });
    });
  }

  /** Runs one change on the workstation and mirrors what the agent then lists into the model. */
  private async apply(index: number, change: Change, before: ListedToken[]): Promise<ListedToken[]> {
    let key: string;
    switch (change.kind) {
      case 'import': {
        const certificate = this.options.certificates[this.nextCertificate++]!;
        await this.ok(index, ['import', certificate.certFile]);
        key = `certificate:${certificate.thumbprint}`;
        this.stats.imports++;
        break;
      }
      case 'delete':
        await this.ok(index, ['delete', change.type, change.id]);
        key = `${change.type}:${change.id}`;
        this.stats.deletions++;
        break;
      case 'credential':
        await this.ok(
          index,
          ['credential', 'set', change.target, '--secret-stdin', '--username', change.userName],
          `${change.secret}\n`,
        );
        key = `stored-credential:${change.target}`;
        this.stats.edits++;
        break;
    }
    const after = await this.list(index);
    const token = after.find((it) => `${it.type}:${it.id}` === key);
    const previous = before.find((it) => `${it.type}:${it.id}` === key);
    if (token) this.model.put(index, toTokenMeta(token));
    else if (previous) this.model.remove(index, toTokenMeta(previous));
    return after;
  }

  /** One sync of a workstation, run again after a retryable error; its summary and retries. */
  private async sync(index: number): Promise<{ summary: SyncSummary; retries: number }> {
    const startedAt = Date.now();
    let retries = 0;
    const errors: string[] = [];
    for (let run = 1; ; run++) {
      const result = await this.agent(index, ['sync', '--json']);
      retries += result.retries;
      if (result.code === 0) {
        const summary = JSON.parse(result.stdout) as SyncSummary;
        this.records.push({
          workstation: index,
          correlationId: summary.correlationId,
          startedAt,
          completedAt: Date.now(),
          retries,
          errors,
        });
        this.stats.retries += retries;
        return { summary, retries };
      }
      const line = result.stderr.trim();
      if (!(result.code === 4 || RETRYABLE.test(line)) || run === MAX_RUNS)
        throw new Error(
          `ws-${index}: sync failed for good after ${run} run(s): ${line} (before: ${errors.join('; ')})`,
        );
      errors.push(line);
      this.stats.reruns++;
      // The run's own attempts are retries too, and the failed run may have been carried out by the server.
      retries++;
    }
  }

  /**
   * One round: each workstation makes 1-2 random changes (when `changes`), then all sync at once; the round must
   * be explained by the model. Returns the round's label for messages.
   */
  async round(changes = true): Promise<void> {
    const label = `round ${++this.stats.rounds}`;
    const held = await Promise.all(this.names.map((_, index) => this.list(index)));
    for (const [index, tokens] of held.entries()) {
      expect({ label, workstation: index, view: listedView(tokens) }).toEqual({
        label,
        workstation: index,
        view: this.model.view(index),
      });
    }
    if (changes) {
      const planned = this.planChanges(held);
      await settled(
        planned.map(async (list, index) => {
          let tokens = held[index]!;
          for (const change of list) tokens = await this.apply(index, change, tokens);
        }),
      );
    }
    const real = await settled(
      this.names.map(async (_, index) => ({
        index,
        ...(await this.sync(index)),
        listed: await this.list(index),
      })),
    );
    const observed = new Map<number, ObservedSync>();
    const retried = new Map<number, number>();
    const redelivered = this.options.redeliveredWrites?.() ?? new Set<string>();
    for (const { index, summary, retries, listed } of real) {
      // A download the server could not deliver (the directory moved on between the plan and the read, or the
      // broker or a service was away when it read or sealed the value): the base keeps the old entry, and the next
      // sync offers it again.
      const undelivered = summary.rejections.filter(
        (rejection) => UNDELIVERED.includes(rejection.code) && rejection.side === 'directory',
      );
      const heldBack = summary.rejections.filter(
        (rejection) => rejection.code === 'POSSIBLY_PURGED_DELETION' && rejection.side === 'local',
      );
      expect({ label, index, rejections: summary.rejections }).toEqual({
        label,
        index,
        rejections: [...undelivered, ...heldBack],
      });
      this.stats.conflicts += summary.conflicts.length;
      this.stats.undelivered += undelivered.length;
      observed.set(index, {
        view: listedView(listed),
        conflicts: summary.conflicts.map((conflict) => conflictText(conflict)).sort(),
        undelivered,
        heldBack: heldBack.map(heldText).sort(),
      });
      retried.set(index, retries + (redelivered.has(summary.correlationId) ? 1 : 0));
    }
    if (this.model.explainRound(observed, Date.now(), retried) === 0) {
      throw new Error(
        `${label}: no serial order of model syncs gives what the workstations got (seed ${this.options.seed}).\n` +
          JSON.stringify(
            [...observed].map(([index, sync]) => ({
              workstation: index,
              retries: retried.get(index),
              real: sync,
              model: this.model.view(index),
            })),
            null,
            2,
          ),
      );
    }
  }

  /** Rounds with changes until `done()` says so (checked between rounds), at least `minRounds`. */
  async runUntil(done: () => boolean, minRounds = 1): Promise<void> {
    for (let rounds = 0; rounds < minRounds || !done(); rounds++) await this.round();
  }

  /**
   * Two rounds without changes, after which every workstation holds the directory's content: the model's
   * prediction. Returns that prediction (token key = hash, sorted).
   */
  async converge(): Promise<string[]> {
    await this.round(false);
    await this.round(false);
    const predicted = this.model.directoryView();
    for (const index of this.names.keys()) {
      expect({ workstation: index, view: listedView(await this.list(index)) }).toEqual({
        workstation: index,
        view: predicted,
      });
    }
    return predicted;
  }

  /**
   * Seconds from `faultEndedAt` until every workstation had completed a sync after it: the time the stack took to
   * serve everyone again once the fault was over.
   */
  recoverySeconds(faultEndedAt: number): number {
    const first = this.names.map((_, index) =>
      Math.min(
        ...this.records
          .filter((record) => record.workstation === index && record.completedAt >= faultEndedAt)
          .map((record) => record.completedAt),
      ),
    );
    return Math.max(0, (Math.max(...first) - faultEndedAt) / 1000);
  }

  /** The retries and reruns of syncs that ended after `since` (what the fault cost). */
  retriesSince(since: number): { syncs: number; retried: number; errors: string[] } {
    const records = this.records.filter((record) => record.completedAt >= since);
    return {
      syncs: records.length,
      retried: records.filter((record) => record.retries > 0).length,
      errors: [
        ...new Set(records.flatMap((record) => record.errors.map((error) => error.replace(/\s+/g, ' ')))),
      ],
    };
  }
}

/**
 * Promise.all that waits for every workstation before it fails: no agent of a failed round runs on into the next
 * round (or test) behind the model's back.
 */
async function settled<T>(work: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(work);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

interface SyncSummary {
  correlationId: string;
  conflicts: { type: string; id: string; kind: string; winner: string }[];
  rejections: { code: string; side: string; tokenType: string | null; displayId: string }[];
}

/** The certificates the workstations import, one at a time (two cores, shared). */
export async function aliceCertificates(
  workspace: OpensslWorkspace,
  count: number,
): Promise<GeneratedCertificate[]> {
  const made: GeneratedCertificate[] = [];
  for (let i = 0; i < count; i++)
    made.push(await workspace.selfSignedCertificate({ algorithm: 'p-256', subject: `/CN=alice ${i}` }));
  return made;
}
