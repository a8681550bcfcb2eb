import { type AgentStore } from '../store/agent-store';

export type LogonSyncState = 'synced' | 'pending' | 'not-logged-in';

/**
 * Whether this logon's sync is done. The marker is what the store already records: the session's `loggedInAt`
 * (written by the logon's login, the PAM hook's or a user's) and the state file's last completed sync. A sync at or
 * after the login, whatever ran it (the hook's logon sync, the watch daemon's first one), has brought this logon
 * what the directory holds. A blocked sync writes no state file and so does not count.
 */
export function logonSyncState(store: AgentStore): LogonSyncState {
  const session = store.session.read();
  if (!session) return 'not-logged-in';
  const read = store.state.read();
  const last = read.health === 'ok' && read.state.machine === session.machine ? read.state.lastSync : null;
  return last !== null && last.at >= Date.parse(session.loggedInAt) ? 'synced' : 'pending';
}
