import { createHash, randomBytes } from 'node:crypto';
import {
  encodeDirectoryToken,
  encodePlantedRoamingValue,
  msToFiletime,
  NO_FLAGS,
  RoamingError,
  type DirectoryAddition,
  type DirectoryToken,
} from '@credroam/roaming';
import { sealServiceSecret } from '@credroam/sealing';
import { type SambaAdHandle } from '../helpers/samba-ad';
import { type SlapdHandle } from '../helpers/slapd';
import { testGrants } from './grants';

/** A throwaway directory a suite runs the services on: slapd (either dialect) or a Samba AD DC. */
export type TestDirectory = SlapdHandle | SambaAdHandle;

/**
 * Environment for a gateway against a throwaway slapd or Samba AD DC (the service account the launcher creates),
 * trusting the test process's grant key.
 */
export function gatewayEnv(directory: TestDirectory, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const settings =
    'gatewayEnv' in directory
      ? directory.gatewayEnv
      : {
          CREDROAM_LDAP_URL: directory.url,
          CREDROAM_LDAP_BIND_DN: directory.serviceDn,
          CREDROAM_LDAP_BIND_PASSWORD: directory.servicePassword,
          CREDROAM_LDAP_BASE_DN: directory.suffix,
          CREDROAM_LDAP_USER_BASE: directory.peopleDn,
          CREDROAM_DIRECTORY_DIALECT: directory.dialect,
        };
  return {
    ...settings,
    CREDROAM_LDAP_TIMEOUT_MS: '2000',
    CREDROAM_LDAP_CONNECT_TIMEOUT_MS: '1000',
    ...testGrants().verifierEnv,
    ...extra,
  };
}

export function hashOf(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

export function certificateId(name: string): string {
  return createHash('sha1').update(name).digest('hex').toUpperCase();
}

/** A live token addition with stand-in sealed bytes (the gateway never opens them). */
export function liveAddition(
  name: string,
  modifiedAt: number,
  type: DirectoryToken['type'] = 'certificate',
): DirectoryAddition {
  const id = type === 'certificate' ? certificateId(name) : name;
  return {
    token: { type, id, modifiedAt, hash: hashOf(name), size: 1200, flags: { ...NO_FLAGS }, tombstone: false },
    keyVersion: 1,
    sealed: randomBytes(300).toString('base64'),
  };
}

/** A value framed as a Windows client writes it (not credroam's payload), e.g. a planted one. */
export function windowsValue(identifier: string, typeDigit: string, modifiedAt: number): Buffer {
  const filetime = msToFiletime(modifiedAt);
  if (!filetime.ok) throw new Error(filetime.error.message);
  const encoded = encodePlantedRoamingValue(
    { filetime: filetime.value, rawFlags: 0x10, data: Buffer.from('windows provider blob') },
    { typeDigit, identifier },
  );
  if (!encoded.ok) throw new Error(encoded.error.message);
  return encoded.value;
}

export function encodedToken(token: DirectoryToken, sealed = randomBytes(64)): Buffer {
  const encoded = encodeDirectoryToken({
    token,
    keyVersion: 1,
    sealed: token.tombstone ? Buffer.alloc(0) : sealed,
  });
  if (!encoded.ok) throw new Error(encoded.error.message);
  return encoded.value;
}

export function sealedPassword(key: Buffer, login: string, password: string): Buffer {
  const sealed = sealServiceSecret(key, `verify-password:${login}`, Buffer.from(password));
  if (!sealed.ok) throw new Error(sealed.error.message);
  return sealed.value;
}

/** The code of the RoamingError a call failed with, or 'ok'. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof RoamingError) return error.code;
    throw error;
  }
}
