import { describeUntrusted } from '@credroam/roaming';
import { defaultNssDatabase, resolveNssDatabase } from '../../nss/nss-database';
import { NssSyncService } from '../../nss/nss-sync.service';
import { terminalProgress } from '../../progress/progress';
import { NssTools } from '../../nss/nss-tools';
import { stringOption } from '../arguments';
import { type Command } from '../command';
import { EXIT, UsageError } from '../exit-codes';

export const nssCommand: Command = {
  name: 'nss',
  summary: 'mirror the store into an NSS database (nss sync), without a server',
  usage: `usage: credroam-agent nss sync [--nssdb DIR] [--json]

Brings the NSS database (certutil/pk12util, Debian libnss3-tools) in step with the local store, as "sync
--nssdb" does after every sync: roamed certificates go in with their keys, named "<subject CN> (<first 8 hex
digits of the thumbprint>)"; those credroam put there and the store no longer holds are removed; a
certificate the user added to the database is imported into the store (with its key), which needs a login.
  --nssdb DIR   the database directory (default $CREDROAM_NSSDB, else ${defaultNssDatabase('~')});
                created, without a password, when missing
  --json        print {database, added, removed, roamed, problems} as JSON
Exit 1 when a certificate could not be handled (each is reported; the others are done).`,
  options: { nssdb: { type: 'string' }, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1, names: 'the subcommand (sync)' },
  async run(context, { values, positionals }) {
    const subcommand = positionals[0] as string;
    if (subcommand !== 'sync') {
      throw new UsageError(`unknown nss subcommand ${describeUntrusted(subcommand)} (only "sync")`);
    }
    const database = resolveNssDatabase(
      stringOption(values, 'nssdb'),
      context.environment.env,
      true,
    ) as string;
    const progress = terminalProgress(context.io);
    const report = await context
      .exclusive((store) =>
        new NssSyncService(store, new NssTools(database), context.now).run(progress.update),
      )
      .finally(progress.done);
    if (values.json === true) context.io.stdout(`${JSON.stringify(report)}\n`);
    else {
      context.io.stdout(
        `NSS database ${database}: ${report.added.length} added, ${report.removed.length} removed, ` +
          `${report.roamed.length} imported into roaming\n`,
      );
    }
    for (const problem of report.problems) context.io.stderr(`NSS database ${database}: ${problem}\n`);
    return report.problems.length > 0 ? EXIT.failed : EXIT.ok;
  },
};
