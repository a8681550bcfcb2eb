// What `credroam scan` reports about one user entry: planted or dangerous roaming values, judged by the same
// codecs the gateway and the agent use (libs/roaming), never by a second parser. Pure: bytes and a clock in,
// findings out.
import {
  decodeDirectoryValue,
  decodeRoamingTimestamp,
  describeUntrusted,
  type DecodedDirectoryValue,
  type Policy,
  type RoamingValueRecord,
} from '@credroam/roaming';
import { type AttributeDialect } from '../../../directory-gateway/src/ldap/attribute-dialect';

export const FINDING_KINDS = [
  'unsafe-identifier',
  'unknown-type',
  'sha1-mismatch',
  'future-timestamp',
  'oversize',
  'foreign-dn',
  'malformed',
  'over-limits',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding {
  dn: string;
  kind: FindingKind;
  attribute: string | null;
  /** One printable line: identifiers are escaped (describeUntrusted), never shown raw. */
  detail: string;
}

export interface ScannedEntry {
  dn: string;
  stamp: Buffer | null;
  values: { attribute: string; wire: Buffer | string }[];
}

export interface ScanRules {
  dialect: AttributeDialect;
  policy: Pick<Policy, 'maxTokens' | 'maxTokenBytes' | 'maxTotalBytes' | 'clockSkewSeconds'>;
  now: number;
}

const ZERO_SHA1 = '0'.repeat(40);

/**
 * Windows writes an "unreadable" placeholder (flag 0x2) with no data and an all-zero hash (DSInternals'
 * vectors): the documented format, not a forged hash.
 */
function isUnreadablePlaceholder(record: RoamingValueRecord): boolean {
  return record.flags.unreadable && record.dataSize === 0 && record.sha1 === ZERO_SHA1;
}

export function entryFindings(entry: ScannedEntry, rules: ScanRules): Finding[] {
  const findings: Finding[] = [];
  const found = (kind: FindingKind, attribute: string | null, detail: string) =>
    findings.push({ dn: entry.dn, kind, attribute, detail });
  const latest = rules.now + rules.policy.clockSkewSeconds * 1000;
  let count = 0;
  let liveBytes = 0;

  if (entry.stamp !== null) {
    const stamp = decodeRoamingTimestamp(entry.stamp);
    if (!stamp.ok) found('malformed', 'msPKIRoamingTimeStamp', stamp.error.message);
    else if (stamp.value.modifiedAt > latest) {
      found('future-timestamp', 'msPKIRoamingTimeStamp', `stamp modified ${iso(stamp.value.modifiedAt)}`);
    }
  }

  for (const { attribute, wire } of entry.values) {
    const unwrapped = rules.dialect.fromWire(wire, entry.dn);
    if (!unwrapped.ok) {
      const kind = unwrapped.error.code === 'DN_BINARY_DN_MISMATCH' ? 'foreign-dn' : 'malformed';
      found(kind, attribute, unwrapped.error.message);
      continue;
    }
    const decoded = decodeDirectoryValue(unwrapped.value.bytes);
    if (!decoded.ok) {
      const { code, message } = decoded.error;
      if (code === 'VALUE_TOO_LARGE') found('oversize', attribute, message);
      else if (/SHA-1/.test(message)) found('sha1-mismatch', attribute, message);
      else found('malformed', attribute, `${message} [${code}]`);
      continue;
    }
    if (decoded.value.kind === 'purge-watermark') continue;
    const { record, modifiedAt, tombstone, size, label } = viewOf(decoded.value);
    if (record !== null) {
      if (record.tokenType === null) found('unknown-type', attribute, `${label}: no such type digit`);
      else if (!record.identifierSafe) {
        found('unsafe-identifier', attribute, `${label} is not a valid ${record.tokenType} identifier`);
      }
      if (!record.sha1Valid && !isUnreadablePlaceholder(record)) {
        found('sha1-mismatch', attribute, `${label}: the header's SHA-1 does not match the data`);
      }
    }
    if (modifiedAt > latest) found('future-timestamp', attribute, `${label} modified ${iso(modifiedAt)}`);
    if (size > rules.policy.maxTokenBytes) {
      found(
        'oversize',
        attribute,
        `${label}: ${size} bytes, over maxTokenBytes ${rules.policy.maxTokenBytes}`,
      );
    }
    count++;
    if (!tombstone) liveBytes += size;
  }

  if (count > rules.policy.maxTokens) {
    found('over-limits', null, `${count} tokens, over maxTokens ${rules.policy.maxTokens}`);
  }
  if (liveBytes > rules.policy.maxTotalBytes) {
    found(
      'over-limits',
      null,
      `${liveBytes} bytes of live tokens, over maxTotalBytes ${rules.policy.maxTotalBytes}`,
    );
  }
  return findings;
}

interface ValueView {
  /** The Windows record of a value credroam did not write in its canonical form; null for a valid token. */
  record: RoamingValueRecord | null;
  modifiedAt: number;
  tombstone: boolean;
  size: number;
  label: string;
}

function viewOf(item: Exclude<DecodedDirectoryValue, { kind: 'purge-watermark' }>): ValueView {
  if (item.kind === 'token') {
    const { token } = item;
    return {
      record: null,
      modifiedAt: token.modifiedAt,
      tombstone: token.tombstone,
      size: token.size,
      label: `${token.type} ${describeUntrusted(token.id)}`,
    };
  }
  const record = item.kind === 'unsafe' ? item.record : item.value;
  return {
    record,
    modifiedAt: record.modifiedAt,
    tombstone: record.flags.tombstone,
    size: record.dataSize,
    label: `${record.tokenType ?? `type ${describeUntrusted(record.typeDigit)}`} ${describeUntrusted(record.identifier)}`,
  };
}

function iso(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
