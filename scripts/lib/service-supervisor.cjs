'use strict';
// Keeps the local stack's services up the way compose's `restart: unless-stopped` and Kubernetes keep theirs.

/** A service that ran this long before it exited counts as healthy: its next restart waits the base delay again. */
const DEFAULT_BACKOFF = Object.freeze({ baseMs: 1_000, maxMs: 30_000, stableMs: 60_000 });

/**
 * Restarts a service that exits while the stack runs: after 1 s, doubling per crash in a row up to 30 s, and back to
 * 1 s once it has run a minute. Each exit and restart is logged; each restart is reported (`report`, which the stack
 * publishes as `service.restarted`), so syncs resume by themselves and the audit shows that something crashed.
 */
class ServiceSupervisor {
  /**
   * @param {{
   *   start: (name: string) => Promise<import('node:child_process').ChildProcess>,
   *   log: (line: string) => void,
   *   report: (restart: { service: string, exitCode: number | null, signal: string | null, restarts: number, downMs: number }) => void,
   *   backoff?: { baseMs: number, maxMs: number, stableMs: number },
   * }} options
   */
  constructor({ start, log, report, backoff = DEFAULT_BACKOFF }) {
    this.start = start;
    this.log = log;
    this.report = report;
    this.backoff = backoff;
    this.stopping = false;
    /** @type {Map<string, { child: import('node:child_process').ChildProcess, startedAt: number, crashes: number, restarts: number, timer: NodeJS.Timeout | null }>} */
    this.services = new Map();
  }

  /** Takes a started service under supervision. */
  watch(name, child) {
    const known = this.services.get(name);
    const record = known ?? { child, startedAt: Date.now(), crashes: 0, restarts: 0, timer: null };
    Object.assign(record, { child, startedAt: Date.now() });
    this.services.set(name, record);
    child.once('exit', (exitCode, signal) => this.exited(name, child, exitCode, signal));
  }

  /** The processes running now, for stopping them. */
  children() {
    return [...this.services.entries()].map(([name, record]) => ({ name, child: record.child }));
  }

  /** No more restarts: the stack is stopping. */
  stop() {
    this.stopping = true;
    for (const record of this.services.values()) if (record.timer) clearTimeout(record.timer);
  }

  exited(name, child, exitCode, signal) {
    const record = this.services.get(name);
    if (this.stopping || !record || record.child !== child) return;
    const exitedAt = Date.now();
    const ranMs = exitedAt - record.startedAt;
    record.crashes = ranMs >= this.backoff.stableMs ? 1 : record.crashes + 1;
    const how = signal ? `signal ${signal}` : `exit code ${exitCode}`;
    this.schedule(name, record, { exitCode: signal ? null : exitCode, signal, exitedAt }, `exited (${how})`);
  }

  schedule(name, record, exit, why) {
    const delayMs = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** (record.crashes - 1));
    this.log(`${name} ${why}; restarting in ${(delayMs / 1000).toFixed(1)} s`);
    record.timer = setTimeout(() => void this.restart(name, record, exit), delayMs);
  }

  async restart(name, record, exit) {
    record.timer = null;
    if (this.stopping) return;
    let child;
    try {
      child = await this.start(name);
    } catch (error) {
      record.crashes += 1;
      this.schedule(name, record, exit, `did not come back (${error.message})`);
      return;
    }
    if (this.stopping) {
      child.kill('SIGTERM');
      return;
    }
    record.restarts += 1;
    const downMs = Date.now() - exit.exitedAt;
    this.watch(name, child);
    this.log(`${name} restarted (pid ${child.pid}, down ${downMs} ms, restart ${record.restarts})`);
    this.report({
      service: name,
      exitCode: exit.exitCode,
      signal: exit.signal,
      restarts: record.restarts,
      downMs,
    });
  }
}

module.exports = { ServiceSupervisor, DEFAULT_BACKOFF };
