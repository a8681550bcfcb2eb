import { basename } from 'node:path';
import {
  parseWith,
  RoamingError,
  syncRequestSchema,
  tokenKeyString,
  unwrap,
  type MachineBase,
  type SyncCheckResponse,
  type SyncResponse,
  type SyncTrigger,
  type TokenMeta,
  type Upload,
} from '@credroam/roaming';
import { type Logger } from '@credroam/platform';
import { sealEnvelope } from '@credroam/sealing';
import { NO_PROGRESS, type Progress } from '../progress/progress';
import { type AgentStore } from '../store/agent-store';
import { tokenFileName } from '../store/token-file-name';
import { type StateRead } from '../store/state.file';
import { type StoredToken, type TokenFileProblem } from '../store/token.repository';
import { requireSession, transportCertificate } from './credentials';
import { FailureReporter } from './failure-reporter';
import { LocalFailure } from './local-failure';
import { manifestDigest } from './manifest-digest';
import { SessionRenewal } from './session-renewal';
import { type LogonClient } from './logon-client';
import { startSyncTrace } from './sync-trace';
import { securityOf, type TransportSecurity } from './transport-security';
import { applySyncResponse, type AppliedSync } from './sync-response.applier';

export interface SyncOutcome extends AppliedSync {
  response: SyncResponse;
  uploaded: number;
  /**
   * Set when the state file could not serve as the base (unreadable, deleted, another machine's) and this sync was
   * a full resync (Windows' events 502 then 2). A first use is not self-healing.
   */
  selfHealed: string | null;
  skippedFiles: number;
  /** The W3C trace id of this sync, shared by the services' spans of it (for the help desk). */
  traceId: string;
  /** What went wrong keeping the applications' stores in step, one line each (the sync itself is done). */
  applicationStoreProblems: string[];
}

/**
 * An application's store kept in step with the local store (the NSS database). It is reconciled before the
 * manifest is built, so what the user added there goes up with this sync, and again once the answer is applied.
 */
export interface ApplicationStore {
  /** The problems met, one line each; throwing means the store could not be reached at all. */
  reconcile(): string[];
}

function reconcileAll(stores: readonly ApplicationStore[]): string[] {
  return stores.flatMap((store) => {
    try {
      return store.reconcile();
    } catch (error) {
      return [(error as Error).message.split('\n')[0] ?? 'failed'];
    }
  });
}

/** The tokens changed since the base: no base entry for the key, a tombstone there, or a different hash. */
export function changedSinceBase<T extends { meta: TokenMeta }>(
  tokens: readonly T[],
  base: MachineBase | null,
): T[] {
  const entries = new Map((base?.entries ?? []).map((entry) => [tokenKeyString(entry), entry]));
  return tokens.filter(({ meta }) => {
    const entry = entries.get(tokenKeyString(meta));
    return !entry || entry.tombstone || entry.hash !== meta.hash;
  });
}

/** The changed tokens' contents sealed to the transport certificate (parsed only when something changed). */
function sealedUploads(changed: readonly StoredToken[], transportCertificatePem: string): Upload[] {
  if (changed.length === 0) return [];
  const transport = transportCertificate(transportCertificatePem);
  return changed.map((token) => ({
    type: token.meta.type,
    id: token.meta.id,
    envelope: unwrap(sealEnvelope(token.content, [{ certificate: transport }])).toString('base64'),
  }));
}

/**
 * A check's up-to-date answer as the sync answer it stands for: nothing to apply, the same base at the server's new
 * time, still settled. (What the last full answer reported, conflicts and held-back tokens, stays in the records.)
 */
function checkedResponse(
  answer: Extract<SyncCheckResponse, { status: 'up-to-date' }>,
  base: MachineBase,
): SyncResponse {
  return {
    status: 'up-to-date',
    code: answer.code,
    correlationId: answer.correlationId,
    stamp: answer.stamp,
    downloads: [],
    localDeletions: [],
    conflicts: [],
    rejections: [],
    reported: [],
    base: { ...base, syncedAt: answer.syncedAt },
    fullResync: null,
    block: null,
    settled: answer.settled,
  };
}

/**
 * A token file that cannot be read must not look like a local deletion (that would tombstone the token on every
 * machine). Dropping its base entry makes it "absent here, no base", so the server sends it again and the download
 * replaces the broken file.
 */
export function withoutBrokenFiles(
  base: MachineBase | null,
  problems: readonly TokenFileProblem[],
): MachineBase | null {
  if (!base || problems.length === 0) return base;
  const broken = new Set(problems.map((problem) => basename(problem.file)));
  return { ...base, entries: base.entries.filter((entry) => !broken.has(tokenFileName(entry))) };
}

/** Why the state file cannot serve as the base (a full resync then self-heals), or null: usable or a first use. */
export function stateProblem(read: StateRead, machine: string): string | null {
  if (read.health === 'corrupt') return read.problem;
  if (read.health === 'missing') return read.firstUse ? null : 'state file is missing (it was deleted)';
  if (read.state.machine !== machine) return `state file belongs to machine ${read.state.machine}`;
  return null;
}

/**
 * What this workstation cannot read, reported for the audit (the sync itself carries on around it): a state file
 * that is unusable (1006, then self-healed) and token files that are unreadable (1002).
 */
async function reportLocalProblems(
  reporter: FailureReporter,
  stateRead: StateRead,
  problems: readonly TokenFileProblem[],
): Promise<void> {
  if (stateRead.health === 'corrupt') await reporter.report(1006, stateRead.problem);
  const [first] = problems;
  if (first) {
    await reporter.report(
      1002,
      `${problems.length} token file(s) unreadable, e.g. ${basename(first.file)}: ${first.reason}`,
    );
  }
}

/** One sync (DESIGN.md section 6): send the manifest and changed content, apply the answer atomically. */
export class SyncService {
  constructor(
    private readonly store: AgentStore,
    private readonly clientFor: (server: string, options: { security: TransportSecurity }) => LogonClient,
    private readonly now: () => number,
    private readonly logger?: Logger,
  ) {}

  async sync(
    trigger: SyncTrigger,
    applicationStores: readonly ApplicationStore[] = [],
    progress: Progress = NO_PROGRESS,
  ): Promise<SyncOutcome> {
    const renewal = new SessionRenewal(this.store, this.clientFor, this.now, this.logger);
    await renewal.ensureFresh();
    const unlocked = requireSession(this.store, this.now());
    const { session } = unlocked;
    const client = this.clientFor(session.server, { security: securityOf(session) });
    const reporter = new FailureReporter(client, unlocked, trigger, this.logger);
    if (applicationStores.length > 0) progress('sync: taking in changes from application stores');
    const storeProblems = reconcileAll(applicationStores);
    progress('sync: reading the local store');
    const { tokens, problems } = this.store.tokens.list();
    const stateRead = this.store.state.read();
    await reportLocalProblems(reporter, stateRead, problems);
    const state =
      stateRead.health === 'ok' && stateRead.state.machine === session.machine ? stateRead.state : null;
    const base = withoutBrokenFiles(state?.base ?? null, problems);
    const selfHealed = stateProblem(stateRead, session.machine);

    const byKey = new Map<string, StoredToken>(tokens.map((token) => [tokenKeyString(token.meta), token]));
    const syncTrace = startSyncTrace();
    const withRenewal = async <T>(call: (sessionToken: string) => Promise<T>): Promise<T> =>
      call(session.sessionToken).catch(async (error: unknown) => {
        // Expired by the server's clock although not by ours: renew, then send the same request once more.
        if (!(error instanceof RoamingError && error.code === 'SESSION_EXPIRED')) throw error;
        await renewal.ensureFresh({ force: true });
        return call(requireSession(this.store, this.now()).session.sessionToken);
      });

    const check = client.checkSync?.bind(client);
    const settled = state?.settled;
    let response: SyncResponse | null = null;
    if (check && settled && base && state.lastStamp && problems.length === 0) {
      if (manifestDigest(tokens.map((token) => token.meta)) === settled.manifest) {
        progress('sync: nothing changed here; asking whether the directory did');
        const body = { trigger, machine: session.machine, stamp: state.lastStamp, syncedAt: base.syncedAt };
        const answer = await withRenewal((token) =>
          check(token, { ...body, settled: settled.mark }, syncTrace),
        );
        if (answer.status === 'up-to-date') response = checkedResponse(answer, base);
      }
    }
    let uploaded = 0;
    if (response === null) {
      progress(`sync: sealing the changes of ${tokens.length} token(s)`);
      const uploads = sealedUploads(changedSinceBase(tokens, base), session.transportCertificatePem);
      uploaded = uploads.length;
      const request = parseWith(syncRequestSchema, {
        trigger,
        machine: session.machine,
        // Without a base the stamp proves nothing: never take the "up to date" fast path then.
        lastStamp: base ? (state?.lastStamp ?? null) : null,
        baseStatus: base ? 'kept' : selfHealed === null ? 'first-use' : 'lost',
        manifest: { tokens: tokens.map((token) => token.meta), base },
        uploads,
      });
      if (!request.ok) throw RoamingError.fromInfo(request.error);
      progress(`sync: sending ${uploads.length} change(s) to the server`);
      response = await withRenewal((token) =>
        client.sync(token, request.value, unlocked.deviceKey, syncTrace),
      );
    }
    progress(
      `sync: applying ${response.downloads.length} download(s), ${response.localDeletions.length} deletion(s)`,
    );
    let applied: AppliedSync;
    try {
      applied = applySyncResponse({
        store: this.store,
        response,
        unlocked,
        local: byKey,
        trigger,
        now: this.now(),
      });
    } catch (error) {
      if (error instanceof LocalFailure) await reporter.report(error.code, error.message);
      throw error;
    }
    if (applicationStores.length > 0) progress('sync: updating application stores');
    storeProblems.push(...reconcileAll(applicationStores));
    if (applied.recordsProblem)
      this.logger?.warn(
        { correlationId: response.correlationId, problem: applied.recordsProblem },
        'token records not written',
      );
    if (selfHealed)
      this.logger?.warn(
        { correlationId: response.correlationId, problem: selfHealed },
        'state file self-healed',
      );
    this.logger?.info(
      {
        correlationId: response.correlationId,
        traceId: syncTrace.traceId,
        trigger,
        status: response.status,
        code: response.code,
        uploaded,
        downloaded: applied.downloaded,
        deleted: applied.deleted,
        fullResync: response.fullResync,
      },
      'sync applied',
    );
    return {
      ...applied,
      response,
      uploaded,
      selfHealed,
      skippedFiles: problems.length,
      traceId: syncTrace.traceId,
      applicationStoreProblems: [...new Set(storeProblems)],
    };
  }
}
