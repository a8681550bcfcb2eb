import { sendControl } from '../../watch/control-socket';
import { PURGED_TYPES, purgeRoamedKeys, type PurgeResult } from '../../watch/purge-keys';
import { type Command } from '../command';
import { EXIT } from '../exit-codes';

/** A sync under way may take this long (client retries included) before the daemon has stopped. */
const STOP_TIMEOUT_MS = 60_000;

export const purgeKeysCommand: Command = {
  name: 'purge-keys',
  summary: 'remove roamed private keys at the last logoff when the policy says purgeOnLogoff',
  usage: `usage: credroam-agent purge-keys [--json]

For the PAM hook's session phase at the last session close, after the logoff sync. Does nothing unless the
session's policy has purgeOnLogoff. Then stops this store's watch daemon (which would fetch the keys back), and
removes the ${PURGED_TYPES.join(', ')} tokens the directory already holds, together with their entries in the merge
base: the next logon's sync downloads them again, and no other machine loses them. Keys changed since the last
sync are kept (removing them would lose the change).
  --json   print {purgeOnLogoff, purged, kept} (purged and kept: [{type, id}])`,
  options: { json: { type: 'boolean' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(context, { values }) {
    const session = context.store().session.read();
    const enabled = session?.policy.policy.purgeOnLogoff === true;
    let result: PurgeResult = { purged: [], kept: [] };
    if (session && enabled) {
      await sendControl(context.layout.watchSocket, { op: 'stop' }, STOP_TIMEOUT_MS);
      result = await context.exclusive((store) => purgeRoamedKeys(store, session.machine));
    }
    if (values.json === true) {
      context.io.stdout(`${JSON.stringify({ purgeOnLogoff: enabled, ...result })}\n`);
    } else if (!enabled) {
      context.io.stdout('purgeOnLogoff is off: nothing purged\n');
    } else {
      for (const key of result.purged) context.io.stdout(`purged ${key.type} ${key.id}\n`);
      for (const key of result.kept) context.io.stdout(`kept ${key.type} ${key.id} (not synced yet)\n`);
      if (result.purged.length + result.kept.length === 0)
        context.io.stdout('no private keys in the store\n');
    }
    return EXIT.ok;
  },
};
