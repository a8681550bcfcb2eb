// What every fault suite checks once its fault is over and the load has stopped: the workstations converge on the
// reconcile model's prediction (workstation-load.ts), audit holds exactly one `sync.completed` row for each
// completed sync, every queue of the namespace drains with nothing unacknowledged and nothing dead-lettered, and the
// recovery time is printed.
import { DataSource } from 'typeorm';
import { waitFor } from '../../../helpers/wait-for';
import { type WorkstationLoad } from './workstation-load';

export interface QueueRow {
  name: string;
  messages: number;
  unacknowledged: number;
}

/** `rabbitmqctl list_queues` of a private node (its own env), the namespace's queues only. */
export function namespaceQueues(ctl: (args: string[]) => string, namespace: string): QueueRow[] {
  return ctl(['list_queues', '--no-table-headers', 'name', 'messages_ready', 'messages_unacknowledged'])
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([name]) => name?.startsWith(`${namespace}.`))
    .map(([name, ready, unacknowledged]) => ({
      name: name!,
      messages: Number(ready),
      unacknowledged: Number(unacknowledged),
    }));
}

/**
 * How many `sync.completed` rows audit holds per correlation id, read over a second connection (SQLite's WAL lets
 * it read) from audit's CREDROAM_AUDIT_DB.
 */
export async function completedRows(auditDb: string): Promise<Map<string, number>> {
  const reader = await new DataSource(
    auditDb.startsWith('sqlite:')
      ? { type: 'better-sqlite3', database: auditDb.slice('sqlite:'.length), readonly: true }
      : { type: 'postgres', url: auditDb, extra: { max: 1 } },
  ).initialize();
  try {
    const rows = (await reader.query(
      // Quoted: PostgreSQL folds an unquoted alias to lower case.
      `SELECT correlation_id AS "correlationId", COUNT(*) AS n FROM audit_event WHERE type = 'sync.completed' GROUP BY correlation_id`,
    )) as { correlationId: string; n: number }[];
    return new Map(rows.map((row) => [row.correlationId, Number(row.n)]));
  } finally {
    await reader.destroy();
  }
}

export interface AfterFaultOptions {
  label: string;
  load: WorkstationLoad;
  /** Audit's CREDROAM_AUDIT_DB. */
  auditDb: string;
  /** Only syncs started from then on are looked for in audit (those before went to a database audit left). */
  since?: number;
  /** rabbitmqctl of a node the queues can be listed on. */
  ctl: (args: string[]) => string;
  namespace: string;
  faultStartedAt: number;
  faultEndedAt: number;
}

export interface AfterFaultFigures {
  recoverySeconds: number;
  syncs: number;
  retried: number;
  /** sync.completed rows of syncs whose answer was lost (the agent ran the sync again under a new id). */
  unansweredCompletions: number;
  errors: string[];
}

/** Converges, then checks audit and the queues; prints and returns the figures. */
export async function checkAfterFault(options: AfterFaultOptions): Promise<AfterFaultFigures> {
  const { load, label } = options;
  const recoverySeconds = load.recoverySeconds(options.faultEndedAt);
  const during = load.retriesSince(options.faultStartedAt);
  const predicted = await load.converge();
  // Not a vacuous check: syncs ran while the fault lasted. (The final directory may be empty: once the certificates
  // are imported the random load deletes more than it adds, and seed 366026173 of database-faults ended so.)
  expect({ label, syncsDuringTheFault: during.syncs > 0 }).toEqual({ label, syncsDuringTheFault: true });

  // Audit catches up with every completed sync: exactly one row each.
  const completed = load.records
    .filter((record) => record.startedAt >= (options.since ?? 0))
    .map((record) => record.correlationId);
  const rows = await waitFor(
    async () => {
      const counts = await completedRows(options.auditDb);
      const missing = completed.filter((id) => !counts.has(id));
      // Thrown, so that a timeout names what never arrived.
      if (missing.length > 0)
        throw new Error(`no row yet for ${missing.length} sync(s): ${missing.join(', ')}`);
      return counts;
    },
    {
      description: `${label}: audit to hold a sync.completed row for each completed sync`,
      timeoutMs: 60_000,
      intervalMs: 250,
    },
  );
  const notOnce = completed.filter((id) => rows.get(id) !== 1).map((id) => ({ id, rows: rows.get(id) }));
  expect({ label, notExactlyOnce: notOnce }).toEqual({ label, notExactlyOnce: [] });
  const mine = new Set(completed);
  const unansweredCompletions = [...rows].filter(([id]) => !mine.has(id)).reduce((sum, [, n]) => sum + n, 0);

  // Nothing left in any queue, nothing unacknowledged, nothing dead-lettered.
  await waitFor(
    () => {
      const queues = namespaceQueues(options.ctl, options.namespace);
      return queues.length > 0 && queues.every((queue) => queue.messages === 0 && queue.unacknowledged === 0);
    },
    {
      description: `${label}: every queue of ${options.namespace} to drain`,
      timeoutMs: 30_000,
      intervalMs: 500,
    },
  ).catch((error: unknown) => {
    throw new Error(
      `${(error as Error).message}\n${JSON.stringify(namespaceQueues(options.ctl, options.namespace), null, 2)}`,
    );
  });

  const figures = {
    recoverySeconds,
    syncs: during.syncs,
    retried: during.retried,
    unansweredCompletions,
    errors: during.errors,
  };
  console.log(
    `${label}: recovered in ${recoverySeconds.toFixed(1)} s after the fault ended; ${during.syncs} syncs since the ` +
      `fault began, ${during.retried} of them retried; ${unansweredCompletions} completion(s) whose answer was lost; ` +
      `final directory ${predicted.length} tokens as predicted; errors retried: ${during.errors.join(' | ') || 'none'}`,
  );
  return figures;
}

export interface FaultRun {
  label: string;
  load: WorkstationLoad;
  auditDb: string;
  since?: number;
  ctl: (args: string[]) => string;
  namespace: string;
  /** The fault: resolves when it is over (the broker back, the replica restarted). */
  fault: () => Promise<void>;
  seed: number;
}

/**
 * Runs the load while `fault` happens and for two rounds after it is over, then checks everything (checkAfterFault);
 * returns the figures.
 */
export async function underLoad(run: FaultRun): Promise<AfterFaultFigures> {
  const { load } = run;
  let roundsAfter = Number.POSITIVE_INFINITY;
  const startedAt = Date.now();
  const roundsBefore = load.stats.rounds;
  let failed = false;
  const loading = load.runUntil(() => failed || load.stats.rounds >= roundsAfter + 2, 1);
  try {
    // A load that fails (or ends) first ends the wait for the fault, which may be waiting on that load.
    await Promise.race([
      run.fault(),
      loading.then(() => {
        throw new Error('the load ended before the fault was over');
      }),
    ]);
  } catch (error) {
    // Stop the load before the suite tears the stack down under it.
    failed = true;
    await loading.catch(() => undefined);
    throw error;
  }
  const endedAt = Date.now();
  roundsAfter = load.stats.rounds;
  await loading;
  const figures = await checkAfterFault({ ...run, faultStartedAt: startedAt, faultEndedAt: endedAt });
  console.log(
    `${run.label}: ${load.stats.rounds - roundsBefore} rounds of load (seed ${run.seed}); so far ${JSON.stringify(load.stats)}`,
  );
  return figures;
}

/** Resolves once a sync completes after now: the load is flowing. */
export function aSyncCompletes(load: WorkstationLoad): Promise<boolean> {
  const seen = load.records.length;
  return waitFor(() => load.records.length > seen, {
    description: 'a sync to complete',
    timeoutMs: 120_000,
    intervalMs: 20,
  });
}
