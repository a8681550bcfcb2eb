import { describeUntrusted, isSafeTokenId } from '@credroam/roaming';
import { StoredCredentialService } from '../../credentials/stored-credential.service';
import { type Command } from '../command';
import { EXIT, UsageError } from '../exit-codes';

export const credentialCommand: Command = {
  name: 'credential',
  summary: 'create or edit a stored credential (credential set TARGET --secret-stdin)',
  usage: `usage: credroam-agent credential set TARGET --secret-stdin [--username USER] [--json]

Creates or edits the stored credential named TARGET (printable text of 1-93 UTF-8 bytes, e.g.
"TERMSRV/host.example.com"). The secret is all of standard input without one trailing line break (1-2560
bytes); it is never printed. Setting the same secret and user name again changes nothing; anything else is a
new version with a new modification time, which the next sync uploads. Stored credentials roam only when the
policy enables roamStoredCredentials.`,
  options: {
    'secret-stdin': { type: 'boolean' },
    username: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: { min: 2, max: 2, names: 'the subcommand (set) and TARGET' },
  async run(context, { values, positionals }) {
    const [subcommand, target] = positionals as [string, string];
    if (subcommand !== 'set') {
      throw new UsageError(`unknown credential subcommand ${describeUntrusted(subcommand)} (only "set")`);
    }
    if (!isSafeTokenId('stored-credential', target)) {
      throw new UsageError(
        `${describeUntrusted(target)} is not a valid target (printable text of 1-93 UTF-8 bytes)`,
      );
    }
    if (values['secret-stdin'] !== true) throw new UsageError('--secret-stdin is required');
    const userName = values.username;
    if (userName !== undefined && (typeof userName !== 'string' || userName.length === 0)) {
      throw new UsageError('--username needs a value');
    }
    const secret = Buffer.from((await context.io.readStdin()).replace(/\r?\n$/, ''), 'utf8');
    if (secret.length === 0) throw new UsageError('the secret on standard input is empty');
    const result = await context.exclusive((store) =>
      new StoredCredentialService(store, context.now).set(target, secret, userName),
    );
    if (values.json === true) context.io.stdout(`${JSON.stringify(result)}\n`);
    else context.io.stdout(`${result.status} stored-credential ${target}\n`);
    return EXIT.ok;
  },
};
