import { describeUntrusted, isSafeTokenId, TOKEN_TYPES, type TokenType } from '@credroam/roaming';
import { type Command } from '../command';
import { EXIT, UsageError } from '../exit-codes';

export const deleteCommand: Command = {
  name: 'delete',
  summary: 'delete a local token (the next sync deletes it everywhere)',
  usage: `usage: credroam-agent delete TYPE ID

TYPE is one of ${TOKEN_TYPES.join(', ')}. The next sync turns the deletion into a tombstone in the
directory, and the user's other machines delete the token at their next sync. A certificate roamed by a Windows
client is read-only here: deleting it is refused (exit 1) and the directory keeps it.`,
  options: {},
  positionals: { min: 2, max: 2, names: 'TYPE and ID' },
  async run(context, { positionals }) {
    const [type, id] = positionals as [string, string];
    if (!(TOKEN_TYPES as readonly string[]).includes(type)) {
      throw new UsageError(`unknown token type ${describeUntrusted(type)}; one of ${TOKEN_TYPES.join(', ')}`);
    }
    if (!isSafeTokenId(type as TokenType, id)) {
      throw new UsageError(`${describeUntrusted(id)} is not a valid ${type} identifier`);
    }
    const deleted = await context.exclusive((store) => {
      if (store.tokens.delete({ type: type as TokenType, id })) return 'deleted';
      return type === 'certificate' && store.windows.certificate(id) ? 'windows' : 'absent';
    });
    if (deleted === 'windows') {
      context.io.stderr(
        `certificate ${id} was roamed by a Windows client and is read-only here: remove it on a Windows client ` +
          '(certmgr.msc); the next sync then drops it from this store\n',
      );
      return EXIT.failed;
    }
    if (deleted === 'absent') {
      context.io.stderr(`no ${type} ${describeUntrusted(id)} in the store\n`);
      return EXIT.failed;
    }
    context.io.stdout(`deleted ${type} ${id}\n`);
    return EXIT.ok;
  },
};
