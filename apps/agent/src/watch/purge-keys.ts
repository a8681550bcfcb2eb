import { tokenKeyString, type TokenKey, type TokenType } from '@credroam/roaming';
import { type AgentStore } from '../store/agent-store';

/** The token types whose content is a private key: what purgeOnLogoff takes off a shared machine. */
export const PURGED_TYPES: readonly TokenType[] = ['private-key'];

export interface PurgeResult {
  purged: TokenKey[];
  /** Keys with changes the directory does not have yet (or no usable merge base): never purged, they would be lost. */
  kept: TokenKey[];
}

/**
 * purgeOnLogoff, at the last session close (run under the store lock, after the logoff sync). Removing a key file
 * alone would read, at the next sync, as "deleted here": reconcile (libs/roaming merge-rules, absent locally with
 * a base entry equal to the directory) would then tombstone the key on every machine. So the key's base entry
 * goes too, first: "absent here, no base entry" is what a new machine looks like, and reconcile answers it with a
 * download, so the key comes back at the next logon (a tombstone written meanwhile elsewhere still wins). Only
 * keys whose content equals their base entry (already in the directory) are purged; a key changed since the last
 * sync, or a store without a usable state file, keeps its keys. The state file is written before the key files
 * are removed: a crash in between leaves keys without base entries, which reconcile also leaves alone (present
 * here with the directory's hash).
 */
export function purgeRoamedKeys(store: AgentStore, machine: string): PurgeResult {
  const keys = store.tokens.list().tokens.filter(({ meta }) => PURGED_TYPES.includes(meta.type));
  const read = store.state.read();
  const state = read.health === 'ok' && read.state.machine === machine ? read.state : null;
  const base = new Map((state?.base?.entries ?? []).map((entry) => [tokenKeyString(entry), entry]));
  const purged: TokenKey[] = [];
  const kept: TokenKey[] = [];
  for (const { meta } of keys) {
    const entry = base.get(tokenKeyString(meta));
    const roamed = entry !== undefined && !entry.tombstone && entry.hash === meta.hash;
    (roamed ? purged : kept).push({ type: meta.type, id: meta.id });
  }
  if (purged.length === 0 || !state?.base) return { purged, kept };
  const gone = new Set(purged.map(tokenKeyString));
  store.state.write({
    ...state,
    base: { ...state.base, entries: state.base.entries.filter((entry) => !gone.has(tokenKeyString(entry))) },
  });
  for (const key of purged) store.tokens.delete(key);
  return { purged, kept };
}
