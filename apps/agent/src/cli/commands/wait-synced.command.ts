import { logonSyncState } from '../../watch/logon-sync';
import { stringOption } from '../arguments';
import { type Command } from '../command';
import { EXIT, UsageError } from '../exit-codes';

const DEFAULT_TIMEOUT_S = 120;
const POLL_MS = 250;

export const waitSyncedCommand: Command = {
  name: 'wait-synced',
  summary: "wait until this logon's sync has completed",
  usage: `usage: credroam-agent wait-synced [--timeout S]

Returns 0 once a sync has completed since the session's login (the logon sync of the PAM hook or the watch
daemon's first one). Enrollment clients run after it (the user unit credroam-agent-logon-sync.service),
so nothing is re-enrolled for a certificate that was about to arrive.
  --timeout S   give up after S seconds (default ${DEFAULT_TIMEOUT_S}): exit 1, or 3 when no one is logged in`,
  options: { timeout: { type: 'string' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(context, { values }) {
    const text = stringOption(values, 'timeout');
    const timeoutS = text === undefined ? DEFAULT_TIMEOUT_S : Number(text);
    if (!Number.isFinite(timeoutS) || timeoutS < 0 || timeoutS > 86_400) {
      throw new UsageError('--timeout must be a number of seconds (0-86400)');
    }
    const sleep =
      context.environment.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
    const deadline = Date.now() + timeoutS * 1000;
    const store = context.store();
    for (;;) {
      const state = logonSyncState(store);
      if (state === 'synced') return EXIT.ok;
      if (Date.now() >= deadline) {
        context.io.stderr(
          state === 'not-logged-in'
            ? `credroam-agent: not logged in after ${timeoutS} s: no logon sync to wait for\n`
            : `credroam-agent: the logon sync has not completed within ${timeoutS} s\n`,
        );
        return state === 'not-logged-in' ? EXIT.notLoggedIn : EXIT.failed;
      }
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    }
  },
};
