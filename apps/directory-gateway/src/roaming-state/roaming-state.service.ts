import {
  attributeForType,
  classifyWindowsValue,
  decodeDirectoryValue,
  decodeRoamingValue,
  decodeRoamingTimestamp,
  describeUntrusted,
  encodeDirectoryToken,
  encodePurgeWatermark,
  encodeRoamingTimestamp,
  MAX_TIMESTAMP_MS,
  RoamingError,
  type DirectoryAddition,
  tokenKeyString,
  type DirectoryEntry,
  type DirectoryState,
  type DirectoryToken,
  type ErrorCode,
  type TokenKey,
  type TokenType,
  type ReportedValue,
  type WindowsCertificateDelivery,
} from '@credroam/roaming';
import { type AttributeDialect, type TokenAttribute } from '../ldap/attribute-dialect';
import {
  type RoamingEntry,
  type RoamingEntryRepository,
  type StoredValue,
  type UnreadableValue,
} from './roaming-entry.repository';

export interface ReadStateResult {
  stamp: Buffer | null;
  state: DirectoryState;
}

export interface StoredToken {
  token: DirectoryToken;
  keyVersion: number;
  sealed: Buffer;
}

export interface PurgeRequest {
  userDn: string;
  expectedStamp: Buffer | null;
  /** null: every type, and values of no known type. */
  types: TokenType[] | null;
}

export interface ChangeSet {
  userDn: string;
  expectedStamp: Buffer | null;
  add: DirectoryAddition[];
  remove: string[];
  purgeWatermark: number;
}

interface DecodedEntry {
  state: DirectoryState;
  /** credroam's own values by ref: the only ones a change set may remove. */
  ours: Map<string, StoredValue>;
  watermarkValue: StoredValue | null;
}

/** Reading the roaming state and applying change sets; no transport types here. */
export class RoamingStateService {
  constructor(
    private readonly entries: RoamingEntryRepository,
    private readonly dialect: AttributeDialect,
    private readonly roamingObjectClass: string | null,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * The entry's stamp is checked as it is read back: one of the wrong size or with a time no FILETIME conversion
   * accepts (written by hand or by a broken tool) is refused with its codec code, here, rather than travelling on
   * to fail a contract further along as an internal error. Nothing syncs until it is repaired in the directory.
   */
  async readState(userDn: string): Promise<ReadStateResult> {
    const entry = await this.entries.read(userDn);
    return { stamp: usableStamp(userDn, entry.stamp), state: decodeEntry(entry).state };
  }

  /** The stamp alone, checked as readState checks it (a steady sync compares it with its own). */
  async readStamp(userDn: string): Promise<Buffer | null> {
    return usableStamp(userDn, await this.entries.readStamp(userDn));
  }

  /** The sealed content of the live credroam tokens among `keys`, as stored now (for re-sealing downloads). */
  async readValues(userDn: string, keys: readonly TokenKey[]): Promise<StoredToken[]> {
    const wanted = new Set(keys.map(tokenKeyString));
    const values: StoredToken[] = [];
    for (const value of (await this.entries.read(userDn)).values) {
      const decoded = decodeDirectoryValue(value.bytes);
      if (!decoded.ok || decoded.value.kind !== 'token') continue;
      const { token, keyVersion, sealed } = decoded.value;
      if (token.tombstone || !wanted.has(tokenKeyString(token))) continue;
      values.push({ token, keyVersion, sealed });
    }
    return values;
  }

  /**
   * Applies a change set in one compare-and-swap modify. The entry is read first to turn refs into exact stored
   * values and to fail early when the stamp already moved; the modify itself still carries the old stamp, so a
   * writer that slips in between also makes it fail as a whole.
   */
  async applyChanges(change: ChangeSet): Promise<{ stamp: Buffer; createdAt: number }> {
    const entry = await this.entries.read(change.userDn);
    if (!sameStamp(entry.stamp, change.expectedStamp)) {
      throw new RoamingError(
        'DIRECTORY_STAMP_CHANGED',
        'another writer changed the roaming attributes first',
      );
    }
    const decoded = decodeEntry(entry);
    const remove = change.remove.map((ref) => {
      const value = decoded.ours.get(ref);
      if (!value) {
        throw new RoamingError(
          'INVALID_INPUT',
          `value ${ref} is not a credroam value of this entry; foreign values are never removed`,
        );
      }
      return value;
    });
    const add = change.add.map((addition) => ({
      attribute: attributeForType(addition.token.type) as TokenAttribute,
      wire: this.dialect.toWire(this.encodeAddition(addition), entry.dn),
    }));
    if (change.purgeWatermark > decoded.state.purgeWatermark) {
      if (decoded.watermarkValue) remove.push(decoded.watermarkValue);
      const watermark = encodePurgeWatermark(change.purgeWatermark);
      if (!watermark.ok) throw RoamingError.fromInfo(watermark.error);
      add.push({
        attribute: 'msPKIAccountCredentials',
        wire: this.dialect.toWire(watermark.value, entry.dn),
      });
    }

    const { stamp, createdAt } = this.nextStamp(entry.stamp);
    await this.entries.write({
      userDn: entry.dn,
      expectedStamp: entry.stamp,
      newStamp: stamp,
      addRoamingClass: entry.hasRoamingClass ? null : this.roamingObjectClass,
      remove: remove.map(({ attribute, wire }) => ({ attribute, wire })),
      add,
    });
    return { stamp, createdAt };
  }

  /**
   * An operator's purge: every value of the entry (or those of `types`), credroam's, Windows' and undecodable
   * ones alike, in one compare-and-swap modify against the stamp the operator was shown. A full purge removes the
   * stamp too, so workstations see an entry that never roamed; a partial one moves the stamp on.
   */
  async purge(purge: PurgeRequest): Promise<{ removed: number; stamp: Buffer | null }> {
    const entry = await this.entries.read(purge.userDn);
    if (!sameStamp(entry.stamp, purge.expectedStamp)) {
      throw new RoamingError(
        'DIRECTORY_STAMP_CHANGED',
        'the roaming attributes changed since they were shown; show the user again and retry',
      );
    }
    const wanted = purge.types === null ? null : new Set<string>(purge.types);
    const remove = [...entry.values, ...entry.unreadable].filter(
      (value) => wanted === null || wanted.has(tokenTypeOf(value) ?? ''),
    );
    if (remove.length === 0 && (wanted !== null || entry.stamp === null)) {
      return { removed: 0, stamp: entry.stamp };
    }
    const stamp = wanted === null ? null : this.nextStamp(entry.stamp).stamp;
    await this.entries.write({
      userDn: entry.dn,
      expectedStamp: entry.stamp,
      newStamp: stamp,
      addRoamingClass: null,
      remove: remove.map(({ attribute, wire }) => ({ attribute, wire })),
      add: [],
    });
    return { removed: remove.length, stamp };
  }

  private encodeAddition(addition: DirectoryAddition): Buffer {
    const sealed = addition.sealed === null ? Buffer.alloc(0) : Buffer.from(addition.sealed, 'base64');
    const encoded = encodeDirectoryToken({
      token: addition.token,
      keyVersion: addition.keyVersion ?? 0,
      sealed,
    });
    if (!encoded.ok) throw RoamingError.fromInfo(encoded.error);
    return encoded.value;
  }

  /** Created time kept, modified time now, and never the same bytes as before (the CAS must see a change). */
  private nextStamp(current: Buffer | null): { stamp: Buffer; createdAt: number } {
    const previous = current ? decodeRoamingTimestamp(current) : null;
    const now = this.clock();
    const createdAt = Math.max(0, previous?.ok ? previous.value.createdAt : now);
    const modifiedAt = previous?.ok ? Math.max(now, previous.value.modifiedAt + 1) : now;
    const stamp = encodeRoamingTimestamp({ createdAt, modifiedAt });
    if (!stamp.ok) throw RoamingError.fromInfo(stamp.error);
    return { stamp: stamp.value, createdAt };
  }
}

/** Why a stamp read back cannot be used: not 16 bytes, or a time beyond any timestamp the contracts carry. */
function stampProblem(bytes: Buffer): { code: ErrorCode; message: string } | null {
  const stamp = decodeRoamingTimestamp(bytes);
  if (!stamp.ok) return stamp.error;
  const { createdAt, modifiedAt } = stamp.value;
  if (Math.max(createdAt, modifiedAt) > MAX_TIMESTAMP_MS) {
    return { code: 'FILETIME_OUT_OF_RANGE', message: 'a time after the year 9999' };
  }
  return null;
}

function usableStamp(userDn: string, stamp: Buffer | null): Buffer | null {
  const problem = stamp ? stampProblem(stamp) : null;
  if (problem) {
    throw new RoamingError(
      problem.code,
      `the msPKIRoamingTimeStamp of ${userDn} is unusable (${problem.message}): a directory administrator ` +
        'must replace or remove it',
    );
  }
  return stamp;
}

function sameStamp(current: Buffer | null, expected: Buffer | null): boolean {
  if (current === null || expected === null) return current === expected;
  return current.equals(expected);
}

function decodeEntry(entry: RoamingEntry): DecodedEntry {
  const stamp = entry.stamp ? decodeRoamingTimestamp(entry.stamp) : null;
  const entries: DirectoryEntry[] = [];
  const reported: ReportedValue[] = [];
  const windowsCertificates: WindowsCertificateDelivery[] = [];
  const ours = new Map<string, StoredValue>();
  let purgeWatermark = 0;
  let watermarkValue: StoredValue | null = null;

  for (const value of entry.values) {
    const decoded = decodeDirectoryValue(value.bytes);
    if (!decoded.ok) {
      reported.push(undecodable(value.ref));
      continue;
    }
    const item = decoded.value;
    switch (item.kind) {
      case 'token':
        entries.push({ ...item.token, ref: value.ref });
        ours.set(value.ref, value);
        break;
      case 'purge-watermark':
        if (item.watermark >= purgeWatermark) {
          purgeWatermark = item.watermark;
          watermarkValue = value;
        }
        ours.set(value.ref, value);
        break;
      case 'unsafe':
        reported.push({
          ref: value.ref,
          origin: 'credroam',
          reason: 'unsafe-identifier',
          tokenType: item.record.tokenType,
          displayId: describeUntrusted(item.record.identifier),
          modifiedAt: item.record.modifiedAt,
        });
        break;
      case 'foreign': {
        const report: ReportedValue = {
          ref: value.ref,
          origin: 'foreign',
          reason: item.value.identifierSafe ? 'foreign' : 'unsafe-identifier',
          tokenType: item.value.tokenType,
          displayId: describeUntrusted(item.value.identifier),
          modifiedAt: item.value.modifiedAt,
        };
        const windows = classifyWindowsValue(item.value);
        if (windows.kind === 'certificate') {
          const { thumbprint, der, modifiedAt } = windows.certificate;
          report.windows = { kind: 'certificate', thumbprint };
          windowsCertificates.push({ thumbprint, modifiedAt, der: der.toString('base64') });
        } else if (windows.kind === 'windows-only') {
          report.windows = windows.value;
        } else if (windows.kind === 'refused' && windows.reason.code === 'THUMBPRINT_MISMATCH') {
          report.reason = 'thumbprint-mismatch';
        }
        reported.push(report);
        break;
      }
    }
  }
  for (const value of entry.unreadable) reported.push(undecodable(value.ref));

  return {
    state: {
      createdAt: stamp?.ok ? Math.max(0, stamp.value.createdAt) : null,
      modifiedAt: stamp?.ok ? Math.max(0, stamp.value.modifiedAt) : null,
      entries,
      reported,
      windowsCertificates,
      purgeWatermark,
    },
    ours,
    watermarkValue,
  };
}

/** The token type a stored value claims, whoever wrote it; null when it has none (or cannot be read). */
function tokenTypeOf(value: StoredValue | UnreadableValue): TokenType | null {
  if (!('bytes' in value)) return null;
  const decoded = decodeRoamingValue(value.bytes);
  return decoded.ok ? decoded.value.tokenType : null;
}

function undecodable(ref: string): ReportedValue {
  return {
    ref,
    origin: 'foreign',
    reason: 'undecodable',
    tokenType: null,
    displayId: `value ${ref.slice(0, 16)}`,
    modifiedAt: null,
  };
}
