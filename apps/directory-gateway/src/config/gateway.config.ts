import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { envWholeNumber, isLoopbackHost } from '@credroam/platform';
import {
  distinguishedNameSchema,
  parseWith,
  policyContainerDn,
  policyDefaultsSchema,
  policyOverrideSchema,
  POLICY_DEFAULTS,
  RoamingError,
  type Policy,
  type PolicyOverride,
} from '@credroam/roaming';

import { ACCOUNT_STATUS_MAPPINGS, type AccountStatusMappingName } from '../ldap/account-status.mapping';

const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;

const envSchema = z.object({
  CREDROAM_LDAP_URL: z
    .string()
    .regex(/^ldaps?:\/\/[^/\s]+\/?$/, { message: 'must be ldap://host:port or ldaps://host:port' })
    .default('ldap://127.0.0.1:3890'),
  CREDROAM_LDAP_BIND_DN: distinguishedNameSchema.default(
    'cn=credroam-gateway,ou=services,dc=credroam,dc=test',
  ),
  CREDROAM_LDAP_BIND_PASSWORD: z.string().min(1).optional(),
  CREDROAM_LDAP_BIND_PASSWORD_FILE: z.string().min(1).optional(),
  CREDROAM_LDAP_BASE_DN: distinguishedNameSchema.default('dc=credroam,dc=test'),
  CREDROAM_LDAP_USER_BASE: distinguishedNameSchema.optional(),
  CREDROAM_LDAP_USER_FILTER: z
    .string()
    .regex(/^\(.*\)$/, { message: 'must be a parenthesised LDAP filter' })
    .default('(objectClass=inetOrgPerson)'),
  CREDROAM_LDAP_LOGIN_ATTRIBUTE: z.string().regex(ATTRIBUTE_NAME).default('uid'),
  CREDROAM_LDAP_STABLE_ID_ATTRIBUTE: z.string().regex(ATTRIBUTE_NAME).default('entryUUID'),
  CREDROAM_LDAP_GROUP_BASE: distinguishedNameSchema.optional(),
  CREDROAM_LDAP_ROAMING_OBJECT_CLASS: z
    .string()
    .regex(ATTRIBUTE_NAME)
    .or(z.literal(''))
    .default('credroamRoamingUser'),
  CREDROAM_DIRECTORY_DIALECT: z.enum(['openldap', 'active-directory']).default('openldap'),
  CREDROAM_LDAP_ACCOUNT_STATUS: z.enum(ACCOUNT_STATUS_MAPPINGS).optional(),
  CREDROAM_LDAP_STARTTLS: z.enum(['true', 'false']).default('false'),
  CREDROAM_LDAP_CA_FILE: z.string().min(1).optional(),
  CREDROAM_LDAP_ALLOW_PLAINTEXT: z.enum(['true', 'false']).default('false'),
  CREDROAM_LDAP_TIMEOUT_MS: envWholeNumber(100, 120_000).default(5000),
  CREDROAM_LDAP_CONNECT_TIMEOUT_MS: envWholeNumber(100, 60_000).default(3000),
  CREDROAM_LDAP_POOL_SIZE: envWholeNumber(1, 64).default(4),
  CREDROAM_POLICY_FILE: z.string().min(1).optional(),
  CREDROAM_POLICY_DN: distinguishedNameSchema.optional(),
  CREDROAM_POLICY_CACHE_SECONDS: envWholeNumber(0, 3600).default(60),
  CREDROAM_SERVICE_CHANNEL_KEY_FILE: z.string().min(1).optional(),
});

export interface LdapSettings {
  url: string;
  bindDn: string;
  bindPassword: string;
  startTls: boolean;
  caPem: string | undefined;
  timeoutMs: number;
  connectTimeoutMs: number;
  poolSize: number;
}

export interface GatewayConfig {
  ldap: LdapSettings;
  baseDn: string;
  userBase: string;
  userFilter: string;
  loginAttribute: string;
  stableIdAttribute: string;
  groupBase: string;
  roamingObjectClass: string | null;
  dialect: 'openldap' | 'active-directory';
  /** Where the directory says an account is disabled, locked or its password changed (session renewal). */
  accountStatus: AccountStatusMappingName;
  /** The bootstrap: the policy file's (or the built-in) defaults and overrides. */
  policyDefaults: Policy;
  policyOverrides: PolicyOverride[];
  /** The directory's policy container; the bootstrap applies alone while it does not exist. */
  policyDn: string;
  /** How long a read of the directory's policy is reused; 0 reads it for every resolution. */
  policyCacheMs: number;
  /** Opens passwords sealed by the edge; absent, password verification is refused. */
  serviceChannelKey: Buffer | null;
}

const policyFileSchema = z
  .object({
    defaults: policyDefaultsSchema.default(POLICY_DEFAULTS),
    overrides: z.array(policyOverrideSchema).max(10_000).default([]),
  })
  .strict();

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new RoamingError('INVALID_INPUT', `cannot read ${what} from ${path}: ${(error as Error).message}`);
  }
}

/**
 * TLS to the directory (DESIGN.md section 7a): ldaps://, or ldap:// with StartTLS; a plain ldap:// connection
 * carries every user's password in the clear (bind-to-verify), so it is accepted only to a loopback address or
 * when the operator allows it explicitly.
 */
function checkDirectoryTransport(values: z.output<typeof envSchema>): void {
  const url = new URL(values.CREDROAM_LDAP_URL);
  const startTls = values.CREDROAM_LDAP_STARTTLS === 'true';
  const problem = (text: string) =>
    new RoamingError('INVALID_INPUT', `directory-gateway configuration: ${text}`);
  if (url.protocol === 'ldaps:') {
    if (startTls)
      throw problem('CREDROAM_LDAP_STARTTLS=true applies to ldap:// URLs; ldaps:// is TLS already');
    return;
  }
  if (startTls) return;
  if (values.CREDROAM_LDAP_CA_FILE) {
    throw problem(
      'CREDROAM_LDAP_CA_FILE is set, but CREDROAM_LDAP_URL is a plain ldap:// URL without CREDROAM_LDAP_STARTTLS=true: use ldaps:// or StartTLS',
    );
  }
  if (values.CREDROAM_LDAP_ALLOW_PLAINTEXT !== 'true' && !isLoopbackHost(url.hostname)) {
    throw problem(
      `CREDROAM_LDAP_URL is a plain ldap:// URL to ${url.hostname}, not a loopback address: use ldaps:// or ` +
        'CREDROAM_LDAP_STARTTLS=true (with CREDROAM_LDAP_CA_FILE for a private CA), or allow it with ' +
        'CREDROAM_LDAP_ALLOW_PLAINTEXT=true (only on a private network)',
    );
  }
}

/** Reads and validates the gateway's environment; every problem is reported by variable name. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = parseWith(envSchema, env, 'INVALID_INPUT');
  if (!parsed.ok)
    throw new RoamingError('INVALID_INPUT', `directory-gateway configuration: ${parsed.error.message}`);
  const values = parsed.value;
  checkDirectoryTransport(values);

  if (Boolean(values.CREDROAM_LDAP_BIND_PASSWORD) === Boolean(values.CREDROAM_LDAP_BIND_PASSWORD_FILE)) {
    throw new RoamingError(
      'INVALID_INPUT',
      'directory-gateway configuration: set exactly one of CREDROAM_LDAP_BIND_PASSWORD and CREDROAM_LDAP_BIND_PASSWORD_FILE',
    );
  }
  const bindPassword =
    values.CREDROAM_LDAP_BIND_PASSWORD ??
    readFile(values.CREDROAM_LDAP_BIND_PASSWORD_FILE as string, 'the LDAP bind password')
      .toString('utf8')
      .trim();

  let policyDefaults: Policy = { ...POLICY_DEFAULTS };
  let policyOverrides: PolicyOverride[] = [];
  if (values.CREDROAM_POLICY_FILE) {
    let json: unknown;
    try {
      json = JSON.parse(readFile(values.CREDROAM_POLICY_FILE, 'the policy file').toString('utf8'));
    } catch (error) {
      if (error instanceof RoamingError) throw error;
      throw new RoamingError('INVALID_POLICY', `the policy file is not JSON: ${(error as Error).message}`);
    }
    const policy = parseWith(policyFileSchema, json, 'INVALID_POLICY');
    if (!policy.ok) throw new RoamingError('INVALID_POLICY', `the policy file: ${policy.error.message}`);
    policyDefaults = policy.value.defaults;
    policyOverrides = policy.value.overrides;
  }

  const serviceChannelKey = values.CREDROAM_SERVICE_CHANNEL_KEY_FILE
    ? Buffer.from(
        readFile(values.CREDROAM_SERVICE_CHANNEL_KEY_FILE, 'the service channel key').toString('utf8').trim(),
        'base64',
      )
    : null;

  return {
    ldap: {
      url: values.CREDROAM_LDAP_URL,
      bindDn: values.CREDROAM_LDAP_BIND_DN,
      bindPassword,
      startTls: values.CREDROAM_LDAP_STARTTLS === 'true',
      caPem: values.CREDROAM_LDAP_CA_FILE
        ? readFile(values.CREDROAM_LDAP_CA_FILE, 'the LDAP CA').toString('utf8')
        : undefined,
      timeoutMs: values.CREDROAM_LDAP_TIMEOUT_MS,
      connectTimeoutMs: values.CREDROAM_LDAP_CONNECT_TIMEOUT_MS,
      poolSize: values.CREDROAM_LDAP_POOL_SIZE,
    },
    baseDn: values.CREDROAM_LDAP_BASE_DN,
    userBase: values.CREDROAM_LDAP_USER_BASE ?? values.CREDROAM_LDAP_BASE_DN,
    userFilter: values.CREDROAM_LDAP_USER_FILTER,
    loginAttribute: values.CREDROAM_LDAP_LOGIN_ATTRIBUTE,
    stableIdAttribute: values.CREDROAM_LDAP_STABLE_ID_ATTRIBUTE,
    groupBase: values.CREDROAM_LDAP_GROUP_BASE ?? values.CREDROAM_LDAP_BASE_DN,
    roamingObjectClass: values.CREDROAM_LDAP_ROAMING_OBJECT_CLASS || null,
    dialect: values.CREDROAM_DIRECTORY_DIALECT,
    accountStatus:
      values.CREDROAM_LDAP_ACCOUNT_STATUS ??
      (values.CREDROAM_DIRECTORY_DIALECT === 'openldap' ? 'ppolicy' : 'active-directory'),
    policyDefaults,
    policyOverrides,
    policyDn: values.CREDROAM_POLICY_DN ?? policyContainerDn(values.CREDROAM_LDAP_BASE_DN),
    policyCacheMs: values.CREDROAM_POLICY_CACHE_SECONDS * 1000,
    serviceChannelKey,
  };
}
