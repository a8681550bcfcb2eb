import {
  describeUntrusted,
  tokenKeyString,
  type BaseEntry,
  type DirectoryEntry,
  type DirectoryToken,
  type MachineBase,
  type Rejection,
} from '@credroam/roaming';

/** How an untrusted token id is shown in a rejection or an event: escaped, bounded. */
export function displayId(id: string): string {
  return describeUntrusted(id).slice(0, 512);
}

export function rejection(
  token: { type: Rejection['tokenType'] & string; id: string },
  code: Rejection['code'],
  message: string,
  side: Rejection['side'] = 'local',
): Rejection {
  return {
    tokenType: token.type,
    displayId: displayId(token.id),
    side,
    code,
    message: message.slice(0, 2048),
  };
}

export function isRejectionOf(rejected: Rejection, token: { type: string; id: string }): boolean {
  return rejected.tokenType === token.type && rejected.displayId === displayId(token.id);
}

/** What every token event says about a token: key, hash, time and size. */
export function tokenFields(token: DirectoryToken | DirectoryEntry) {
  const { type, id, hash, modifiedAt, size } = token;
  return { type, id, hash, modifiedAt, size };
}

/** `entries` with the keys in `keys` put back as the machine's previous base had them (or left out). */
export function restoreEntries(
  entries: BaseEntry[],
  keys: Set<string>,
  previous: MachineBase | null,
): BaseEntry[] {
  const kept = entries.filter((entry) => !keys.has(tokenKeyString(entry)));
  const restored = (previous?.entries ?? []).filter((entry) => keys.has(tokenKeyString(entry)));
  return [...kept, ...restored];
}
