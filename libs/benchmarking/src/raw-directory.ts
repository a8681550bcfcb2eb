import { randomBytes } from 'node:crypto';
import { Attribute, Change, type Client, type Entry } from 'ldapts';
import { encodeDirectoryToken, encodeRoamingTimestamp, NO_FLAGS, unwrap } from '@credroam/roaming';

/**
 * The raw directory ceiling the benchmarks print beside credroam's figures: what ldapts alone gets from the same
 * slapd for the same work (read a user's roaming attributes; read them and compare-and-swap a new value in).
 */
export const ROAMING_ATTRIBUTES = [
  'msPKIRoamingTimeStamp',
  'msPKIAccountCredentials',
  'msPKIDPAPIMasterKeys',
  'objectClass',
];
const BINARY_ATTRIBUTES = ROAMING_ATTRIBUTES.slice(0, 3);

export async function rawRoamingSearch(client: Client, dn: string): Promise<Entry> {
  const { searchEntries } = await client.search(dn, {
    scope: 'base',
    attributes: ROAMING_ATTRIBUTES,
    explicitBufferAttributes: BINARY_ATTRIBUTES,
  });
  const [entry] = searchEntries;
  if (!entry) throw new Error(`${dn} is not visible`);
  return entry;
}

const values = (entry: Entry, attribute: string): Buffer[] =>
  ([] as Buffer[]).concat((entry[attribute] as Buffer | Buffer[] | undefined) ?? []);

/** Reads the entry, then one modify that swaps the stamp by value and replaces every token value by a new one. */
export async function rawSearchAndSwap(client: Client, dn: string, round: number): Promise<void> {
  const entry = await rawRoamingSearch(client, dn);
  const [oldStamp] = values(entry, 'msPKIRoamingTimeStamp');
  const oldValues = values(entry, 'msPKIAccountCredentials');
  const now = Date.now();
  const value = unwrap(
    encodeDirectoryToken({
      token: {
        type: 'certificate',
        id: randomBytes(20).toString('hex').toUpperCase(),
        modifiedAt: now,
        hash: randomBytes(32).toString('hex'),
        size: 1500,
        flags: { ...NO_FLAGS },
        tombstone: false,
      },
      keyVersion: 1,
      sealed: randomBytes(1800),
    }),
  );
  const change = (operation: 'add' | 'delete', type: string, list: Buffer[]) =>
    new Change({ operation, modification: new Attribute({ type, values: list }) });
  await client.modify(dn, [
    ...(oldStamp ? [change('delete', 'msPKIRoamingTimeStamp', [oldStamp])] : []),
    change('add', 'msPKIRoamingTimeStamp', [
      unwrap(encodeRoamingTimestamp({ createdAt: now, modifiedAt: now + round })),
    ]),
    ...(oldValues.length > 0 ? [change('delete', 'msPKIAccountCredentials', oldValues)] : []),
    change('add', 'msPKIAccountCredentials', [value]),
  ]);
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
