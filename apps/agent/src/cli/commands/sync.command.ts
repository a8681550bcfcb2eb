import { SYNC_TRIGGERS, syncTriggerSchema } from '@credroam/roaming';
import { resolveNssDatabase } from '../../nss/nss-database';
import { nssApplicationStore } from '../../nss/nss-sync.service';
import { SyncService, type SyncOutcome } from '../../sync/sync.service';
import { terminalProgress } from '../../progress/progress';
import { stringOption } from '../arguments';
import { type Command } from '../command';
import { sendControl } from '../../watch/control-socket';
import { EXIT, UsageError, type ExitCode } from '../exit-codes';

/** The daemon answers after its sync, which may wait for one under way and retry an unreachable server. */
const PULSE_TIMEOUT_MS = 120_000;

export const syncCommand: Command = {
  name: 'sync',
  summary: 'reconcile the local store with the directory',
  usage: `usage: credroam-agent sync [--trigger ${SYNC_TRIGGERS.join('|')}] [--nssdb DIR] [--json]

Sends the manifest and the sealed content of tokens changed since the last sync, then applies the answer
atomically (downloads, local deletions, new merge base). Transient errors are retried with backoff.
A pulse (the default trigger, without --nssdb) while a watch daemon runs for the store is handed to the
daemon, which syncs (after the sync it may be running) and answers; --json then prints {"watch": true,
result, exitCode, message}.
  --trigger T   why this sync runs (default pulse)
  --nssdb DIR   also keep this NSS database in step (default $CREDROAM_NSSDB; see "nss --help"); a problem
                there is reported and exits 1, the sync itself stands
  --json        print the outcome as JSON`,
  options: { trigger: { type: 'string' }, nssdb: { type: 'string' }, json: { type: 'boolean' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(context, { values }) {
    const trigger = syncTriggerSchema.safeParse(stringOption(values, 'trigger') ?? 'pulse');
    if (!trigger.success) throw new UsageError(`--trigger must be one of ${SYNC_TRIGGERS.join(', ')}`);
    // A pulse goes to the daemon, which keeps its own NSS database; one named here is this command's to sync.
    if (trigger.data === 'pulse' && values.nssdb === undefined) {
      const reply = await sendControl(context.layout.watchSocket, { op: 'pulse' }, PULSE_TIMEOUT_MS);
      if (reply?.op === 'pulse') {
        const { attempt } = reply;
        if (values.json === true) context.io.stdout(`${JSON.stringify({ watch: true, ...attempt })}\n`);
        else if (attempt.exitCode === EXIT.ok)
          context.io.stdout(`${attempt.message} (by the watch daemon)\n`);
        if (attempt.exitCode !== EXIT.ok) context.io.stderr(`credroam-agent: ${attempt.message}\n`);
        return attempt.exitCode as ExitCode;
      }
    }
    const nssdb = resolveNssDatabase(stringOption(values, 'nssdb'), context.environment.env);
    const progress = terminalProgress(context.io);
    const outcome = await context
      .exclusive((store) =>
        new SyncService(store, context.clientFor, context.now, context.logger()).sync(
          trigger.data,
          nssdb ? [nssApplicationStore(store, nssdb, context.now, progress.update)] : [],
          progress.update,
        ),
      )
      .finally(progress.done);
    if (outcome.selfHealed) {
      context.io.stderr(`self-healing: ${outcome.selfHealed}; performed a full resync\n`);
    }
    if (values.json === true) context.io.stdout(`${JSON.stringify(summary(outcome))}\n`);
    else context.io.stdout(describe(outcome));
    for (const problem of outcome.applicationStoreProblems) context.io.stderr(`${problem}\n`);
    const { response } = outcome;
    if (response.status === 'blocked' && response.block) {
      context.io.stderr(`sync blocked: ${response.block.message} [${response.block.code}]\n`);
      return EXIT.failed;
    }
    return outcome.applicationStoreProblems.length > 0 ? EXIT.failed : EXIT.ok;
  },
};

function summary(outcome: SyncOutcome) {
  const { response } = outcome;
  return {
    status: response.status,
    code: response.code,
    correlationId: response.correlationId,
    traceId: outcome.traceId,
    uploaded: outcome.uploaded,
    downloaded: outcome.downloaded,
    deleted: outcome.deleted,
    fullResync: response.fullResync,
    selfHealed: outcome.selfHealed !== null,
    conflicts: response.conflicts,
    rejections: response.rejections,
    reported: response.reported.length,
    windowsCertificates: response.windowsCertificates?.length ?? 0,
    block: response.block,
    skippedFiles: outcome.skippedFiles,
    applicationStoreProblems: outcome.applicationStoreProblems,
  };
}

function describe(outcome: SyncOutcome): string {
  const { response } = outcome;
  const lines = [
    `${response.status}: ${outcome.uploaded} sent, ${outcome.downloaded} downloaded, ${outcome.deleted} deleted ` +
      `(code ${response.code}, correlation id ${response.correlationId}, trace id ${outcome.traceId})`,
  ];
  for (const conflict of response.conflicts) {
    lines.push(
      `conflict on ${conflict.type} ${JSON.stringify(conflict.id)}: ${conflict.kind}, ${conflict.winner} copy kept`,
    );
  }
  for (const rejection of response.rejections) {
    lines.push(
      `not roamed: ${rejection.tokenType ?? 'value'} ${rejection.displayId} (${rejection.side}): ${rejection.message} [${rejection.code}]`,
    );
  }
  const windowsCertificates = response.windowsCertificates?.length ?? 0;
  const windowsOnly = response.reported.filter(
    (value) => value.windows && value.windows.kind !== 'certificate',
  ).length;
  const others = response.reported.length - windowsCertificates - windowsOnly;
  if (windowsCertificates > 0)
    lines.push(`${windowsCertificates} certificate(s) roamed by Windows clients, usable here read-only`);
  if (windowsOnly > 0) lines.push(`${windowsOnly} Windows-only key(s) (see status)`);
  if (others > 0) lines.push(`${others} directory value(s) reported, not used`);
  if (outcome.skippedFiles > 0)
    lines.push(`${outcome.skippedFiles} unusable local token file(s) skipped (see list)`);
  return `${lines.join('\n')}\n`;
}
