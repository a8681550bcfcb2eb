// The admin CLI's own read-only directory account (`credroam scan`): flags first, then the environment, validated
// once. The password only ever comes from a file, so it is never on a command line or in `ps`.
import { z } from 'zod';
import { isLoopbackHost, readConfiguredFile } from '@credroam/platform';
import { distinguishedNameSchema, parseWith, RoamingError } from '@credroam/roaming';

export const ADMIN_LDAP_ENV = Object.freeze({
  url: 'CREDROAM_ADMIN_LDAP_URL',
  bindDn: 'CREDROAM_ADMIN_LDAP_BIND_DN',
  passwordFile: 'CREDROAM_ADMIN_LDAP_PASSWORD_FILE',
  baseDn: 'CREDROAM_ADMIN_LDAP_BASE_DN',
  dialect: 'CREDROAM_ADMIN_LDAP_DIALECT',
  caFile: 'CREDROAM_ADMIN_LDAP_CA_FILE',
  allowPlaintext: 'CREDROAM_ADMIN_LDAP_ALLOW_PLAINTEXT',
} as const);

const adminDirectorySchema = z.object({
  url: z.string().regex(/^ldaps?:\/\/[^\s]+$/, { message: 'must be an ldap:// or ldaps:// URL' }),
  bindDn: distinguishedNameSchema,
  passwordFile: z.string().min(1, { message: 'is required' }),
  baseDn: distinguishedNameSchema,
  dialect: z.enum(['openldap', 'active-directory']).default('openldap'),
  caFile: z.string().min(1).optional(),
  allowPlaintext: z.enum(['true', 'false']).default('false'),
});

export interface AdminDirectoryConfig {
  url: string;
  bindDn: string;
  password: string;
  baseDn: string;
  dialect: 'openldap' | 'active-directory';
  /** PEM of a private CA for ldaps://; absent: the system's CAs. */
  caPem?: string;
}

/** Flags given on the command line; each falls back to its variable. */
export type AdminDirectoryFlags = Partial<Record<keyof typeof ADMIN_LDAP_ENV, string>>;

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
  const { passwordFile, caFile, allowPlaintext, ...rest } = parsed.value;
  const url = new URL(rest.url);
  // The bind password crosses the wire: in the clear only to this machine, or where the operator says so.
  if (url.protocol === 'ldap:' && allowPlaintext !== 'true' && !isLoopbackHost(url.hostname)) {
    throw new RoamingError(
      'INVALID_INPUT',
      `directory access: ${rest.url} is plain ldap:// to another host: use ldaps:// (${ADMIN_LDAP_ENV.caFile} for a private CA) or set ${ADMIN_LDAP_ENV.allowPlaintext}=true`,
    );
  }
  const password = readConfiguredFile(passwordFile, 'the bind password').trim();
  if (password === '') {
    throw new RoamingError('INVALID_INPUT', `the bind password file ${passwordFile} is empty`);
  }
  return { ...rest, password, ...(caFile ? { caPem: readConfiguredFile(caFile, 'the LDAP CA') } : {}) };
}
