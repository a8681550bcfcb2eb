// The admin CLI's own read-only directory account (`credroam scan`): flags first, then the environment, validated
// once. The password only ever comes from a file, so it is never on a command line or in `ps`.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { distinguishedNameSchema, parseWith, RoamingError } from '@credroam/roaming';

export const ADMIN_LDAP_ENV = Object.freeze({
  url: 'CREDROAM_ADMIN_LDAP_URL',
  bindDn: 'CREDROAM_ADMIN_LDAP_BIND_DN',
  passwordFile: 'CREDROAM_ADMIN_LDAP_PASSWORD_FILE',
  baseDn: 'CREDROAM_ADMIN_LDAP_BASE_DN',
  dialect: 'CREDROAM_ADMIN_LDAP_DIALECT',
} as const);

const adminDirectorySchema = z.object({
  url: z.string().regex(/^ldaps?:\/\/[^\s]+$/, { message: 'must be an ldap:// or ldaps:// URL' }),
  bindDn: distinguishedNameSchema,
  passwordFile: z.string().min(1, { message: 'is required' }),
  baseDn: distinguishedNameSchema,
  dialect: z.enum(['openldap', 'active-directory']).default('openldap'),
});

export interface AdminDirectoryConfig {
  url: string;
  bindDn: string;
  password: string;
  baseDn: string;
  dialect: 'openldap' | 'active-directory';
}

export interface AdminDirectoryFlags {
  url?: string;
  bindDn?: string;
  passwordFile?: string;
  baseDn?: string;
  dialect?: string;
}

export function adminDirectoryConfig(
  flags: AdminDirectoryFlags,
  env: NodeJS.ProcessEnv = process.env,
): AdminDirectoryConfig {
  const given = Object.fromEntries(
    (Object.keys(ADMIN_LDAP_ENV) as (keyof typeof ADMIN_LDAP_ENV)[])
      .map((key) => [key, flags[key] ?? env[ADMIN_LDAP_ENV[key]]?.trim()] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = parseWith(adminDirectorySchema, given, 'INVALID_INPUT');
  if (!parsed.ok) throw new RoamingError('INVALID_INPUT', `directory access: ${parsed.error.message}`);
  const { passwordFile, ...rest } = parsed.value;
  let password: string;
  try {
    password = readFileSync(passwordFile, 'utf8').trim();
  } catch (error) {
    throw new RoamingError(
      'KEY_UNAVAILABLE',
      `cannot read the bind password from ${passwordFile}: ${(error as Error).message}`,
    );
  }
  if (password === '')
    throw new RoamingError('INVALID_INPUT', `the bind password file ${passwordFile} is empty`);
  return { ...rest, password };
}
