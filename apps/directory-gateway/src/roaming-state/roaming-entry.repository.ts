import { createHash } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { RoamingError } from '@credroam/roaming';
import { type LdapConnectionPool } from '../ldap/ldap-connection.pool';
import { valuesOf } from '../ldap/entry-values';
import { isLostRace, toRoamingError } from '../ldap/ldap-error.mapper';
import {
  STAMP_ATTRIBUTE,
  TOKEN_ATTRIBUTES,
  type AttributeDialect,
  type TokenAttribute,
  type WireValue,
} from '../ldap/attribute-dialect';

/** One stored value, addressable by `ref` (the SHA-256 of its wire form). */
export interface StoredValue extends WireValue {
  ref: string;
  attribute: TokenAttribute;
}

/** A value whose wire form the dialect cannot read (e.g. a DN-Binary string naming another entry). */
export interface UnreadableValue {
  ref: string;
  attribute: TokenAttribute;
  wire: Buffer | string;
  reason: string;
}

export interface RoamingEntry {
  dn: string;
  stamp: Buffer | null;
  hasRoamingClass: boolean;
  values: StoredValue[];
  unreadable: UnreadableValue[];
}

export interface EntryChange {
  userDn: string;
  expectedStamp: Buffer | null;
  /** null: the stamp is removed with the values (an operator's full purge). */
  newStamp: Buffer | null;
  addRoamingClass: string | null;
  remove: { attribute: TokenAttribute; wire: Buffer | string }[];
  add: { attribute: TokenAttribute; wire: Buffer | string }[];
}

export function refOf(wire: Buffer | string): string {
  return createHash('sha256').update(wire).digest('hex');
}

/** The user's roaming attributes: read them, and write them in one compare-and-swap modify. */
export class RoamingEntryRepository {
  constructor(
    private readonly pool: LdapConnectionPool,
    private readonly dialect: AttributeDialect,
    private readonly roamingObjectClass: string | null,
  ) {}

  async read(userDn: string): Promise<RoamingEntry> {
    const entries = await this.pool.search(
      userDn,
      {
        scope: 'base',
        filter: '(objectClass=*)',
        attributes: [STAMP_ATTRIBUTE, ...TOKEN_ATTRIBUTES, 'objectClass'],
        explicitBufferAttributes: [
          STAMP_ATTRIBUTE,
          ...(this.dialect.binaryTokenValues ? TOKEN_ATTRIBUTES : []),
        ],
      },
      'reading the roaming attributes',
    );
    const [entry] = entries;
    if (!entry) throw new RoamingError('USER_NOT_FOUND', 'the user entry is not visible to the gateway');
    const [stamp] = valuesOf(entry, STAMP_ATTRIBUTE);
    const classes = valuesOf(entry, 'objectClass').map((value) => value.toString().toLowerCase());
    const values: StoredValue[] = [];
    const unreadable: UnreadableValue[] = [];
    for (const attribute of TOKEN_ATTRIBUTES) {
      for (const wire of valuesOf(entry, attribute)) {
        const ref = refOf(wire);
        const decoded = this.dialect.fromWire(wire, entry.dn);
        if (decoded.ok) values.push({ ...decoded.value, ref, attribute });
        else unreadable.push({ ref, attribute, wire, reason: decoded.error.message });
      }
    }
    return {
      dn: entry.dn,
      stamp: stamp === undefined ? null : Buffer.isBuffer(stamp) ? stamp : Buffer.from(stamp, 'latin1'),
      hasRoamingClass:
        this.roamingObjectClass === null || classes.includes(this.roamingObjectClass.toLowerCase()),
      values,
      unreadable,
    };
  }

  /** The stamp alone: one attribute of one entry, for the settled check of a steady sync. */
  async readStamp(userDn: string): Promise<Buffer | null> {
    const entries = await this.pool.search(
      userDn,
      {
        scope: 'base',
        filter: '(objectClass=*)',
        attributes: [STAMP_ATTRIBUTE],
        explicitBufferAttributes: [STAMP_ATTRIBUTE],
      },
      'reading the roaming stamp',
    );
    const [entry] = entries;
    if (!entry) throw new RoamingError('USER_NOT_FOUND', 'the user entry is not visible to the gateway');
    const [stamp] = valuesOf(entry, STAMP_ATTRIBUTE);
    return stamp === undefined ? null : Buffer.isBuffer(stamp) ? stamp : Buffer.from(stamp, 'latin1');
  }

  /**
   * One LDAP modify: the stamp is replaced (or removed) by value (delete the old bytes, add the new), so the whole
   * modify fails if anyone wrote since `expectedStamp` was read; values are removed by their exact stored form.
   */
  async write(change: EntryChange): Promise<void> {
    const changes: Change[] = [];
    if (change.addRoamingClass) changes.push(modification('add', 'objectClass', [change.addRoamingClass]));
    if (change.expectedStamp) changes.push(modification('delete', STAMP_ATTRIBUTE, [change.expectedStamp]));
    if (change.newStamp) changes.push(modification('add', STAMP_ATTRIBUTE, [change.newStamp]));
    for (const attribute of TOKEN_ATTRIBUTES) {
      const removed = change.remove
        .filter((value) => value.attribute === attribute)
        .map((value) => value.wire);
      if (removed.length > 0) changes.push(modification('delete', attribute, removed));
    }
    for (const attribute of TOKEN_ATTRIBUTES) {
      const added = change.add.filter((value) => value.attribute === attribute).map((value) => value.wire);
      if (added.length > 0) changes.push(modification('add', attribute, added));
    }
    try {
      await this.pool.modify(change.userDn, changes, 'writing the roaming attributes');
    } catch (error) {
      const failure = toRoamingError(error, 'writing the roaming attributes');
      if (isLostRace(failure)) {
        throw new RoamingError(
          'DIRECTORY_STAMP_CHANGED',
          'another writer changed the roaming attributes first',
        );
      }
      throw failure;
    }
  }
}

function modification(operation: 'add' | 'delete', type: string, values: (Buffer | string)[]): Change {
  const same =
    values.every((value) => Buffer.isBuffer(value)) || values.every((value) => typeof value === 'string');
  if (!same) throw new RoamingError('INTERNAL', `mixed value kinds for ${type}`);
  return new Change({
    operation,
    modification: new Attribute({ type, values: values as Buffer[] | string[] }),
  });
}
