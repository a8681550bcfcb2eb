import { type NssRecordEntries } from './nss-record';

/** A certificate of the local store, as the NSS sync sees it. */
export interface RoamedCertificate {
  thumbprint: string;
  hasKey: boolean;
}

/** A certificate in the NSS database. */
export interface NssPresence {
  nickname: string;
  hasKey: boolean;
}

export interface NssPlan {
  /** Roamed, not in NSS: import (with the key when the store has one). */
  add: RoamedCertificate[];
  /** Roamed with a key, in NSS without one: import the key. */
  addKey: string[];
  /** Recorded as credroam's, no longer roamed (deleted or purged): remove, with the key when credroam added it. */
  remove: { thumbprint: string; nickname: string; withKey: boolean }[];
  /** In NSS, neither roamed nor recorded: the user added it there; import it into roaming (with its key). */
  roam: { thumbprint: string; nickname: string; withKey: boolean }[];
  /**
   * The record once `add`, `addKey` and `remove` are done: the caller adds `roam` entries as they succeed, and
   * drops `add` entries that fail (a failed import must not be recorded, nor a failed roam removed later).
   */
  record: NssRecordEntries;
}

/**
 * Decides what the NSS sync does; pure. The local store is the truth: what it holds is in NSS, what it lost
 * (deleted, purged) leaves NSS if credroam put it there. A roamed certificate the user already had in NSS is taken
 * over (recorded), so that deleting it from roaming removes it everywhere and it cannot come back as "added by
 * hand". A recorded certificate the user deleted from NSS is put back: delete it with `credroam-agent delete`.
 */
export function planNssSync(
  roamed: readonly RoamedCertificate[],
  present: ReadonlyMap<string, NssPresence>,
  recorded: NssRecordEntries,
): NssPlan {
  const plan: NssPlan = { add: [], addKey: [], remove: [], roam: [], record: new Map() };
  const roamedThumbprints = new Set<string>();
  for (const certificate of roamed) {
    const { thumbprint } = certificate;
    roamedThumbprints.add(thumbprint);
    const inNss = present.get(thumbprint);
    if (!inNss) {
      plan.add.push(certificate);
      plan.record.set(thumbprint, { key: certificate.hasKey });
    } else if (certificate.hasKey && !inNss.hasKey) {
      plan.addKey.push(thumbprint);
      plan.record.set(thumbprint, { key: true });
    } else {
      plan.record.set(thumbprint, { key: (recorded.get(thumbprint)?.key ?? false) || inNss.hasKey });
    }
  }
  for (const [thumbprint, { nickname, hasKey }] of present) {
    if (roamedThumbprints.has(thumbprint)) continue;
    const entry = recorded.get(thumbprint);
    if (entry) plan.remove.push({ thumbprint, nickname, withKey: entry.key });
    else plan.roam.push({ thumbprint, nickname, withKey: hasKey });
  }
  return plan;
}
