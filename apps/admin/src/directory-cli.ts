// credroam's admin commands on the directory (`credroam user`, `credroam policy`, `credroam scan`,
// `credroam schema`). Exit codes: 0 clean, 1 found or failed, 2 usage.
import { parseArgs } from 'node:util';
import { AMQP_ENV } from '@credroam/messaging';
import {
  distinguishedNameSchema,
  loginNameSchema,
  parseSettingAssignments,
  policyContainerDn,
  POLICY_KNOBS,
  RoamingError,
  TOKEN_TYPES,
  type TokenType,
} from '@credroam/roaming';
import { isUsageError, processIo, UsageError, type CliIo } from './cli-io';
import { adminDirectoryConfig, ADMIN_LDAP_ENV } from './directory/admin-directory.config';
import { setPolicy, showPolicyObjects, showUserPolicy } from './policy/policy.command';
import { runScan } from './scan/scan.command';
import { ADMIN_AUDIT_ENV } from './user/audit-syncs';
import { OPERATOR_ENV } from './user/operator-grants';
import { purgeUser, showUser } from './user/user.command';
import { formatSchemaFiles, schemaFiles, SCHEMA_DIALECTS, type SchemaDialect } from './schema/schema.command';

export const SCAN_USAGE = `usage: credroam scan [--base DN] [--json] [--url URL] [--bind-dn DN] [--password-file FILE] [--dialect D]

Walks every user entry (objectClass=person) under DN, paged, and reports planted or dangerous roaming values:
identifiers not valid for their type (path separators, "..", absolute paths, drive letters, control characters,
over-long), unknown type digits, a SHA-1 in the header that does not match the data, timestamps in the future,
oversize values, DN-Binary values naming another entry (Active Directory), undecodable values, and users over the
policy's limits (the built-in defaults). Values written by Windows clients in the documented format are read, not
flagged. Contents are never printed.

Directory access (flags, or the environment): read-only credentials of the admin CLI's own account.
  --url            ${ADMIN_LDAP_ENV.url}            ldap:// or ldaps://
  --bind-dn        ${ADMIN_LDAP_ENV.bindDn}
  --password-file  ${ADMIN_LDAP_ENV.passwordFile}   the bind password, alone in a file
  --base           ${ADMIN_LDAP_ENV.baseDn}
  --dialect        ${ADMIN_LDAP_ENV.dialect}        openldap (default) or active-directory
                   ${ADMIN_LDAP_ENV.caFile}            a private CA (PEM) for ldaps://
                   ${ADMIN_LDAP_ENV.allowPlaintext}  true: allow plain ldap:// to another host

Exit codes: 0 nothing found, 1 something found or the scan failed, 2 usage.`;

export const USER_USAGE = `usage: credroam user show USER [--json]
       credroam user purge USER [--type T]... [--yes] [--json]

show: the user's roaming state as an operator needs it, never contents: tokens by type (id, size, modified time,
  flags), tombstones and their age, foreign and unsafe values, totals against the policy's limits, the effective
  policy with the source of each knob, and the last sync per machine (from audit; "unknown" without it).
purge: removes the user's roaming values (all of them, or those of each --type ${TOKEN_TYPES.join('|')}),
  Windows' and planted ones included, after a confirmation (type the login; --yes skips it). One compare-and-swap
  write: if a logon wrote since the values were read, nothing is removed and the command fails (run it again).
  Audited: the gateway publishes a security.operator-action event naming the operator.

Both go through the directory-gateway over the broker: ${AMQP_ENV.url} (the admin CLI's own account,
credroam-admin-cli, or any that may publish to the admin exchange) and ${AMQP_ENV.namespace}. Each signs an
operator grant of its own kind with ${OPERATOR_ENV.keyFile} (Ed25519 PKCS#8 PEM; the gateway trusts its public
key through CREDROAM_OPERATOR_PUBLIC_KEYS_FILE), naming ${OPERATOR_ENV.name} (default: the login running the
command); the gateway audits every show and every purge with a security.operator-action event. show asks audit for the last syncs when ${ADMIN_AUDIT_ENV.url} is set,
with the operator token in ${ADMIN_AUDIT_ENV.tokenFile}.

Exit codes: 0 done, 1 failed (or not confirmed), 2 usage.`;

export const POLICY_USAGE = `usage: credroam policy show [--user USER] [--json] [directory flags]
       credroam policy set KNOB=VALUE... [--ou DN | --group DN [--priority N]] [--yes] [--json] [directory flags]

show: the directory's policy objects: the defaults in the container (cn=credroam-policy,<base>, or --policy-dn)
  and the overrides linked to OUs and groups; with --user, that user's effective policy as the gateway resolves
  it, with the source of each knob (bootstrap, directory default, OU DN or group DN).
set: writes knobs into the container's defaults, or into the override linked to the OU or group DN (created on
  first use; --priority N, 0-1000, orders group overrides: the higher wins). KNOB= (nothing after =) removes the
  knob there; an override left without knobs is removed. Every value is checked against the knob's range and the
  resulting policy as the gateway will read it before anything is written; each knob replaced is deleted by its
  exact old value, so a concurrent change by another administrator makes the command fail instead of being lost.
  Asks for a confirmation (--yes skips it, and is required off a terminal).
  Knobs: ${POLICY_KNOBS.join(', ')}.

Precedence for a user, knob by knob: bootstrap (CREDROAM_POLICY_FILE or built-in) < directory defaults < the
override of the closest OU above the user < group overrides (higher priority first; equal priorities: the group
whose DN sorts last). Once the container exists, the file's overrides no longer apply. The gateway reads the
directory again every CREDROAM_POLICY_CACHE_SECONDS (60 s by default).

Directory flags (or the environment, as for credroam scan): --url, --bind-dn, --password-file, --base, --dialect,
--policy-dn (default cn=credroam-policy,<base>); ${ADMIN_LDAP_ENV.caFile} and ${ADMIN_LDAP_ENV.allowPlaintext}. They
name the admin CLI's own account, which the shipped ACLs let write the policy objects and nothing else. --user goes
through the gateway over the broker, as credroam user show (${AMQP_ENV.url}, ${AMQP_ENV.namespace}).

Exit codes: 0 done (show: the policy is valid or absent), 1 failed, not confirmed, or (show) the directory policy
is invalid, 2 usage (including an unknown knob or a value out of its range).`;

export const SCHEMA_USAGE = `usage: credroam schema --dialect openldap|active-directory [--json]

Prints the files to load: OpenLDAP, the schema and the ACLs (cn=config LDIF; the slapd.conf forms are next to them
in deploy/openldap), the policy objects included; Active Directory, the confidential-attribute settings as LDIF,
the schema extension of the policy objects (LDIF) and the delegation as dsacls commands.
Exit codes: 0 printed, 1 failed, 2 usage.`;

function text(values: Record<string, string | boolean | undefined>, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** The flags of the admin CLI's directory account, which scan and policy share (read by directoryFlags). */
const DIRECTORY_OPTIONS = {
  base: { type: 'string' },
  url: { type: 'string' },
  'bind-dn': { type: 'string' },
  'password-file': { type: 'string' },
  dialect: { type: 'string' },
} as const;

/** --json and --help, which every subcommand takes. */
const OUTPUT_OPTIONS = { json: { type: 'boolean' }, help: { type: 'boolean' } } as const;

/** Prints a subcommand's usage when --help was given; true when it did. */
function printedUsage(help: boolean | undefined, usage: string, io: CliIo): boolean {
  if (help === true) io.stdout(`${usage}\n`);
  return help === true;
}

/** The admin CLI's directory account from the flags scan and policy share, each falling back to its variable. */
function directoryFlags(values: Record<string, string | boolean | undefined>) {
  return {
    url: text(values, 'url'),
    bindDn: text(values, 'bind-dn'),
    passwordFile: text(values, 'password-file'),
    baseDn: text(values, 'base'),
    dialect: text(values, 'dialect'),
  };
}

async function scan(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...DIRECTORY_OPTIONS, ...OUTPUT_OPTIONS },
    strict: true,
  });
  if (printedUsage(values.help, SCAN_USAGE, io)) return 0;
  const base = text(values, 'base');
  if (base !== undefined && !distinguishedNameSchema.safeParse(base).success) {
    throw new UsageError('--base must be a distinguished name');
  }
  const directory = adminDirectoryConfig(directoryFlags(values));
  return runScan(
    { directory, baseDn: directory.baseDn, json: values.json === true, progress: io.interactive === true },
    io,
  );
}

function schema(args: string[], io: CliIo): number {
  const { values } = parseArgs({
    args,
    options: { dialect: { type: 'string' }, ...OUTPUT_OPTIONS },
    strict: true,
  });
  if (printedUsage(values.help, SCHEMA_USAGE, io)) return 0;
  const dialect = values.dialect;
  if (!SCHEMA_DIALECTS.includes(dialect as SchemaDialect)) {
    throw new UsageError(`--dialect must be one of ${SCHEMA_DIALECTS.join(', ')}`);
  }
  const files = schemaFiles(dialect as SchemaDialect);
  io.stdout(values.json ? `${JSON.stringify({ dialect, files }, null, 2)}\n` : formatSchemaFiles(files));
  return 0;
}

async function user(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      type: { type: 'string', multiple: true },
      yes: { type: 'boolean' },
      ...OUTPUT_OPTIONS,
    },
    allowPositionals: true,
    strict: true,
  });
  if (printedUsage(values.help, USER_USAGE, io)) return 0;
  const [action, login, ...extra] = positionals;
  if (action !== 'show' && action !== 'purge') throw new UsageError('expected "show USER" or "purge USER"');
  if (login === undefined || extra.length > 0) throw new UsageError(`${action} takes exactly one USER`);
  if (!loginNameSchema.safeParse(login).success) throw new UsageError('USER is not a valid login');
  if (action === 'show') {
    if (values.type !== undefined || values.yes) throw new UsageError('--type and --yes are for purge');
    return showUser(login, values.json === true, io);
  }
  const types = values.type ?? null;
  for (const type of types ?? []) {
    if (!TOKEN_TYPES.includes(type as TokenType)) {
      throw new UsageError(`--type must be one of ${TOKEN_TYPES.join(', ')}`);
    }
  }
  return purgeUser(
    {
      login,
      types: types === null ? null : [...new Set(types as TokenType[])],
      yes: values.yes === true,
      json: values.json === true,
    },
    io,
  );
}

function dnOption(value: string | undefined, name: string): string | undefined {
  if (value !== undefined && !distinguishedNameSchema.safeParse(value).success) {
    throw new UsageError(`--${name} must be a distinguished name`);
  }
  return value;
}

async function policy(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      user: { type: 'string' },
      ou: { type: 'string' },
      group: { type: 'string' },
      priority: { type: 'string' },
      'policy-dn': { type: 'string' },
      ...DIRECTORY_OPTIONS,
      yes: { type: 'boolean' },
      ...OUTPUT_OPTIONS,
    },
    allowPositionals: true,
    strict: true,
  });
  if (printedUsage(values.help, POLICY_USAGE, io)) return 0;
  const [action, ...assignments] = positionals;
  const json = values.json === true;
  dnOption(values.base, 'base');
  const policyDn = dnOption(values['policy-dn'], 'policy-dn');
  const containerOf = (baseDn: string) => policyDn ?? policyContainerDn(baseDn);
  if (action === 'show') {
    if (assignments.length > 0) throw new UsageError('show takes no KNOB=VALUE');
    if (
      values.ou !== undefined ||
      values.group !== undefined ||
      values.priority !== undefined ||
      values.yes
    ) {
      throw new UsageError('--ou, --group, --priority and --yes are for set');
    }
    if (values.user !== undefined) {
      if (!loginNameSchema.safeParse(values.user).success)
        throw new UsageError('--user is not a valid login');
      return showUserPolicy(values.user, json, io);
    }
    const directory = adminDirectoryConfig(directoryFlags(values));
    return showPolicyObjects(directory, containerOf(directory.baseDn), json, io);
  }
  if (action !== 'set') throw new UsageError('expected "show" or "set KNOB=VALUE..."');
  if (values.user !== undefined) throw new UsageError('--user is for show');
  if (assignments.length === 0) throw new UsageError('set needs at least one KNOB=VALUE');
  const ou = dnOption(values.ou, 'ou');
  const group = dnOption(values.group, 'group');
  if (ou !== undefined && group !== undefined) throw new UsageError('give --ou or --group, not both');
  let priority: number | undefined;
  if (values.priority !== undefined) {
    if (group === undefined) throw new UsageError('--priority orders group overrides: it needs --group');
    if (!/^\d{1,4}$/.test(values.priority) || Number(values.priority) > 1000) {
      throw new UsageError('--priority must be a whole number 0-1000');
    }
    priority = Number(values.priority);
  }
  const parsed = parseSettingAssignments(assignments, { allowUnset: true });
  if (!parsed.ok) throw new UsageError(parsed.error.message);
  const directory = adminDirectoryConfig(directoryFlags(values));
  return setPolicy(
    directory,
    containerOf(directory.baseDn),
    {
      request: {
        target:
          ou !== undefined
            ? { kind: 'subtree', dn: ou }
            : group !== undefined
              ? { kind: 'group', dn: group }
              : { kind: 'defaults' },
        settings: parsed.value.settings,
        unset: parsed.value.unset,
        ...(priority !== undefined ? { priority } : {}),
      },
      yes: values.yes === true,
      json,
    },
    io,
  );
}

const COMMANDS = {
  user: { usage: USER_USAGE, run: user },
  policy: { usage: POLICY_USAGE, run: policy },
  scan: { usage: SCAN_USAGE, run: scan },
  schema: { usage: SCHEMA_USAGE, run: schema },
};
export type DirectoryCommand = keyof typeof COMMANDS;

export async function runDirectoryCli(
  command: DirectoryCommand,
  args: readonly string[],
  io: CliIo = processIo,
): Promise<number> {
  const { usage, run } = COMMANDS[command];
  try {
    return await run([...args], io);
  } catch (error) {
    if (isUsageError(error)) {
      io.stderr(`credroam ${command}: ${(error as Error).message}\n${usage.split('\n')[0]}\n`);
      return 2;
    }
    if (error instanceof RoamingError && error.code === 'INVALID_INPUT') {
      io.stderr(`credroam ${command}: ${error.message}\n${usage.split('\n')[0]}\n`);
      return 2;
    }
    const message = error instanceof RoamingError ? `${error.message} [${error.code}]` : String(error);
    io.stderr(`credroam ${command}: ${message}\n`);
    return 1;
  }
}
