// Roaming values for scanner tests: the Windows vectors of the shared test data (DSInternals, MIT), clean credroam
// tokens, and one planted value per kind `credroam scan` must flag. Built with the codecs, so every value is the
// exact bytes a client (honest or not) could write.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Attribute, Change } from 'ldapts';
import {
  encodeDirectoryToken,
  encodeDnBinary,
  encodePlantedRoamingValue,
  msToFiletime,
  type RoamingValueInput,
} from '@credroam/roaming';
import { type FindingKind } from '../../apps/admin/src/scan/entry-findings';
import { withLdap } from '../helpers/slapd';
import { type TestDirectory } from './gateway-fixtures';

/** The shared test data's vectors, as libs/roaming keeps them (a clean clone has no shared folder). */
const SHARED_VECTORS = join(
  __dirname,
  '../../libs/roaming/src/codec/__fixtures__/windows-roaming-values.json',
);
const KNOWN_TYPE = 0x10;

/** The five values written by Windows clients, as the shared test data holds them. */
export function windowsVectors(): { name: string; bytes: Buffer }[] {
  const vectors = JSON.parse(readFileSync(SHARED_VECTORS, 'utf8')) as { name: string; hex: string }[];
  return vectors.map((vector) => ({ name: vector.name, bytes: Buffer.from(vector.hex, 'hex') }));
}

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

function filetime(ms: number): bigint {
  return unwrap(msToFiletime(ms));
}

/** A live credroam certificate token, exactly as the gateway writes one. */
export function cleanToken(seed: string, modifiedAt: number): Buffer {
  const sealed = randomBytes(64);
  return unwrap(
    encodeDirectoryToken({
      token: {
        type: 'certificate',
        id: createHash('sha1').update(seed).digest('hex').toUpperCase(),
        modifiedAt,
        hash: createHash('sha256').update(seed).digest('hex'),
        size: 900,
        flags: { archived: false, encryptionKey: false, smartCard: false },
        tombstone: false,
      },
      keyVersion: 1,
      sealed,
    }),
  );
}

/** A Windows-framed value as a hostile writer would plant it (the type digit and identifier bypass the rules). */
function windowsValue(overrides: Partial<RoamingValueInput> & { identifier: string }, now: number): Buffer {
  const { identifier, typeDigit = '9', ...rest } = overrides;
  return unwrap(
    encodePlantedRoamingValue(
      { filetime: filetime(now - 3_600_000), rawFlags: KNOWN_TYPE, data: randomBytes(48), ...rest },
      { typeDigit, identifier },
    ),
  );
}

/** One planted value per kind a single value can show, with the kind the scanner must report. */
export function plantedValues(now: number): { name: string; kind: FindingKind; bytes: Buffer }[] {
  const planted = (
    name: string,
    kind: FindingKind,
    overrides: Partial<RoamingValueInput> & { identifier: string },
  ) => ({
    name,
    kind,
    bytes: windowsValue(overrides, now),
  });
  return [
    planted('path separator', 'unsafe-identifier', { identifier: 'keys/startup.bat' }),
    planted('dot-dot (CVE-2022-30170)', 'unsafe-identifier', {
      identifier: '..\\..\\Windows\\Start Menu\\Programs\\Startup\\x.bat',
    }),
    planted('absolute path', 'unsafe-identifier', { identifier: '/etc/cron.d/x' }),
    planted('drive letter', 'unsafe-identifier', { identifier: 'C:\\Windows\\x.bat' }),
    planted('control character', 'unsafe-identifier', { identifier: 'key\u0007name' }),
    planted('over-long', 'unsafe-identifier', { typeDigit: '7', identifier: 'A'.repeat(93) }),
    planted('unknown type', 'unknown-type', { typeDigit: 'Z', identifier: 'container-0' }),
    planted('SHA-1 not of the data', 'sha1-mismatch', {
      identifier: 'container-1',
      sha1Override: '1'.repeat(40),
    }),
    planted('future timestamp', 'future-timestamp', {
      identifier: 'container-2',
      filetime: filetime(now + 365 * 86_400_000),
    }),
    planted('oversize', 'oversize', { identifier: 'container-3', data: randomBytes(70_000) }),
  ];
}

/** Enough small valid values to exceed the default maxTokens (2000). */
export function overLimitValues(now: number, count = 2001): Buffer[] {
  return Array.from({ length: count }, (_, index) =>
    windowsValue({ identifier: `container-${index}`, data: randomBytes(8) }, now),
  );
}

/**
 * Adds `value` to the user's msPKIAccountCredentials as the directory's administrator, in the directory's own
 * syntax (a DN-Binary string bound to the user's DN on AD, the bytes on OpenLDAP): a hostile writer's value.
 */
export function plantValue(directory: TestDirectory, dn: string, value: Buffer): Promise<void> {
  const values: string[] | Buffer[] =
    directory.dialect === 'active-directory' ? [encodeDnBinary(value, dn)] : [value];
  return withLdap(directory, 'admin', (client) =>
    client.modify(dn, [
      new Change({
        operation: 'add',
        modification: new Attribute({ type: 'msPKIAccountCredentials', values }),
      }),
    ]),
  );
}
