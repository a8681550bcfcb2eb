import { rmSync } from 'node:fs';
import { type Server } from 'node:net';
import { type SyncTrigger } from '@credroam/roaming';
import { type Logger } from '@credroam/platform';
import { describeFailure, EXIT, exitCodeFor } from '../cli/exit-codes';
import { type StoreLayout } from '../store/store-layout';
import { StoreBusyError } from '../store/store.lock';
import { type SyncOutcome } from '../sync/sync.service';
import { ChangeListener, type ChangeListenerDependencies } from './change-listener';
import { listenControl, type AttemptReport } from './control-socket';
import { snapshotOf, StoreWatcher, watchedPaths } from './store-watcher';
import { SyncScheduler, type AttemptVerdict } from './sync-scheduler';
import { UnlockMonitor } from './unlock-monitor';

export interface WatchSettings {
  debounceMs: number;
  backoff: { baseMs: number; maxMs: number };
  /** More paths whose changes call for a sync (see watchedPaths). */
  extraPaths: () => readonly string[];
}

export interface WatchDependencies {
  layout: StoreLayout;
  /** One sync under the store lock; `whileLocked` runs after it, still under the lock. */
  sync: (trigger: SyncTrigger, whileLocked: () => void) => Promise<SyncOutcome>;
  /** The period of refresh syncs (the policy's refreshMinutes), read after each sync. */
  refreshMs: () => number;
  /** One long poll for other workstations' changes (ChangeListener). */
  waitForChange: ChangeListenerDependencies['wait'];
  /** The modified time of the directory stamp the store holds. */
  heldStamp: () => string | null;
  logger: Logger;
  env: NodeJS.ProcessEnv;
}

/**
 * `credroam-agent watch`: the triggers (store changes, the refresh timer, screen unlock, changes announced by the
 * server, pulses over the control socket or SIGUSR1) feeding one scheduler, which syncs one at a time. Starts with a logon sync, so a machine
 * where the daemon starts after changes made offline catches up at once.
 */
export class WatchDaemon {
  private readonly scheduler: SyncScheduler;
  private readonly watcher: StoreWatcher;
  private readonly unlock: UnlockMonitor;
  private readonly changes: ChangeListener;
  private server: Server | null = null;
  private lastSnapshot: string | null = null;
  private waiters: ((report: AttemptReport) => void)[] = [];
  private stopping: Promise<void> | null = null;
  private resolveFinished!: () => void;
  /** Resolves once the daemon has stopped (stop(), a control `stop`, or a signal the command maps to stop()). */
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));

  constructor(
    private readonly settings: WatchSettings,
    private readonly deps: WatchDependencies,
  ) {
    this.scheduler = new SyncScheduler({
      debounceMs: settings.debounceMs,
      backoff: settings.backoff,
      refreshMs: deps.refreshMs,
      run: (trigger) => this.attempt(trigger),
      onRetry: (failures, delayMs) => deps.logger.info({ failures, delayMs }, `retrying in ${delayMs} ms`),
    });
    this.watcher = new StoreWatcher(
      () => this.directories(),
      () => this.scheduler.request('store-change'),
      (message) => deps.logger.warn(message),
    );
    this.unlock = new UnlockMonitor(
      () => this.scheduler.request('unlock'),
      (message) => deps.logger.info(message),
      deps.env,
    );
    this.changes = new ChangeListener({
      wait: deps.waitForChange,
      heldStamp: deps.heldStamp,
      changed: () => this.scheduler.request('remote-change'),
      backoff: settings.backoff,
      logger: deps.logger,
    });
  }

  /** Throws when another daemon already serves this store. */
  async start(): Promise<void> {
    this.server = await listenControl(this.deps.layout.watchSocket, {
      pulse: () => this.pulse(),
      stop: () => this.stop(),
    });
    this.watcher.rearm();
    this.unlock.start();
    this.scheduler.request('logon');
    this.changes.start();
    this.deps.logger.info(
      { store: this.deps.layout.root, debounceMs: this.settings.debounceMs },
      'watch daemon ready',
    );
  }

  /** A pulse without waiting for its result (SIGUSR1). */
  request(trigger: SyncTrigger): void {
    this.scheduler.request(trigger);
  }

  /** A pulse whose result the caller waits for: the first attempt that starts after it. */
  pulse(): Promise<AttemptReport> {
    return new Promise((resolve) => {
      if (this.stopping) {
        resolve({ result: 'failed', exitCode: EXIT.failed, message: 'the watch daemon is stopping' });
        return;
      }
      this.waiters.push(resolve);
      this.scheduler.request('pulse');
    });
  }

  /** Lets the sync under way finish (syncs are atomic, but a finished one needs no redo), then releases all. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.watcher.close();
      this.unlock.stop();
      await Promise.all([this.changes.stop(), this.scheduler.stop()]);
      for (const waiter of this.waiters.splice(0)) {
        waiter({ result: 'failed', exitCode: EXIT.failed, message: 'the watch daemon stopped' });
      }
      // No new connections; the open ones (the `stop` being answered) end by themselves.
      this.server?.close();
      rmSync(this.deps.layout.watchSocket, { force: true });
      this.deps.logger.info('watch daemon stopped');
      this.resolveFinished();
    })();
    return this.stopping;
  }

  private directories(): string[] {
    return watchedPaths(this.deps.layout, this.settings.extraPaths);
  }

  private async attempt(trigger: SyncTrigger): Promise<AttemptVerdict> {
    // Events of the daemon's own writes arrive after its sync: nothing changed since, nothing to do.
    if (trigger === 'store-change' && snapshotOf(this.directories()) === this.lastSnapshot) {
      this.deps.logger.debug('store change: nothing new since the last sync');
      return 'ok';
    }
    const waiters = this.waiters.splice(0);
    const report = await this.syncOnce(trigger);
    for (const waiter of waiters) waiter(report);
    this.watcher.rearm();
    const level = report.exitCode === EXIT.ok ? 'info' : 'warn';
    this.deps.logger[level]({ trigger, result: report.result }, report.message);
    return verdictOf(report);
  }

  private async syncOnce(trigger: SyncTrigger): Promise<AttemptReport> {
    try {
      const outcome = await this.deps.sync(trigger, () => {
        this.lastSnapshot = snapshotOf(this.directories());
      });
      const { response } = outcome;
      if (response.status === 'blocked') {
        const why = response.block
          ? `${response.block.message} [${response.block.code}]`
          : `code ${response.code}`;
        return { result: 'blocked', exitCode: EXIT.failed, message: `sync blocked: ${why}` };
      }
      // As `sync` says it: an application store (the NSS database) that could not follow fails the attempt.
      const problems = outcome.applicationStoreProblems;
      return {
        result: response.status,
        exitCode: problems.length > 0 ? EXIT.failed : EXIT.ok,
        message: [
          `${response.status}: ${outcome.uploaded} sent, ${outcome.downloaded} downloaded, ${outcome.deleted} deleted`,
          ...problems,
        ].join('; '),
      };
    } catch (error) {
      const message = describeFailure(error);
      if (error instanceof StoreBusyError) return { result: 'busy', exitCode: EXIT.failed, message };
      const exitCode = exitCodeFor(error);
      const result =
        exitCode === EXIT.notLoggedIn
          ? 'not-logged-in'
          : exitCode === EXIT.unreachable
            ? 'unreachable'
            : 'failed';
      return { result, exitCode, message };
    }
  }
}

/**
 * An unreachable server or a busy store is retried with backoff; an expired session waits for the next logon (a
 * new session; meanwhile the refresh timer tries again, and a session expired by the clock fails before any
 * request); anything else is a known answer or a fault that retrying would only repeat.
 */
function verdictOf(report: AttemptReport): AttemptVerdict {
  switch (report.result) {
    case 'unreachable':
    case 'busy':
      return 'retry';
    case 'not-logged-in':
      return 'wait';
    default:
      return 'ok';
  }
}
