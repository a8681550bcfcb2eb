// Types for slapd.cjs (the throwaway OpenLDAP launcher). TypeScript picks this file up for
// `import { startSlapd } from '../../scripts/lib/slapd.cjs'`.

import { type ThrowawayDirectoryAccounts } from './throwaway-server.cjs';

export type SlapdDialect = 'openldap' | 'active-directory';

export interface SlapdUserOptions {
  uid: string;
  password: string;
  /** Defaults to the uid. */
  cn?: string;
  /** Defaults to the last word of cn. */
  sn?: string;
  mail?: string;
  /** Places the user at uid=<uid>,ou=<ou>,ou=people,<suffix> (the ou entry is created). */
  ou?: string;
  /** Adds posixAccount (uidNumber 10000 + index, gidNumber 10000, homeDirectory /home/<uid>). */
  posix?: boolean;
  /** Loads the entry with the credroamRoamingUser class already on it (normally the gateway adds it). */
  roaming?: boolean;
  /** More attributes loaded with the entry (Buffers as binary, e.g. roaming values seeded for a scan). */
  attributes?: Record<string, string | Buffer | (string | Buffer)[]>;
}

export interface SlapdGroupOptions {
  cn: string;
  /** uids of users in this directory; the group is cn=<cn>,ou=groups,<suffix> (groupOfNames). */
  members?: string[];
}

export interface SlapdOptions {
  /** 'active-directory' loads credroam-ad-emulation.schema (token attributes as DN-Binary strings). */
  dialect?: SlapdDialect;
  users?: SlapdUserOptions[];
  groups?: SlapdGroupOptions[];
  /** Default dc=credroam,dc=test; the first RDN must be dc=, o= or ou=. */
  suffix?: string;
  /** ldap:// port; 0 (default) picks a free one. */
  port?: number;
  /**
   * Also listen on ldaps:// (StartTLS then works on port too): true for a generated CA and server certificate,
   * or the files of a suite's own CA and a server certificate for 127.0.0.1.
   */
  tls?: boolean | { caFile: string; certFile: string; keyFile: string };
  /** ldaps:// port when tls; 0 (default) picks a free one. */
  ldapsPort?: number;
  /**
   * Load OpenLDAP's password policy overlay (slapd.conf only): pwdChangedTime is kept on password changes and an
   * administrator can lock or disable an account with pwdAccountLockedTime, which the gateway's account status
   * check reads (deploy/openldap/credroam-ppolicy-acl.conf lets it). Default false.
   */
  ppolicy?: boolean;
  /** mdb dbnosync (default true): writes are not fsynced, which survives a killed slapd but not a host crash. */
  dbNoSync?: boolean;
  /**
   * 'slapd.conf' (default): a slapd.conf including credroam.schema and credroam-acl.conf, data loaded with
   * slapadd. 'cn=config': a cn=config directory to which credroam.ldif and credroam-acl.ldif are added online
   * over ldapi:// as an operator would (openldap dialect only).
   */
  configFormat?: 'slapd.conf' | 'cn=config';
  /** Default 'admin' (DESIGN.md section 11). */
  adminPassword?: string;
  /** The gateway account's password, default 'credroam-gateway-pass'. */
  servicePassword?: string;
  /** The admin CLI's read-only account cn=credroam-admin,ou=services (default credroam-admin-pass). */
  readerPassword?: string;
  /** slapd -d level, default 'none' (errors only); e.g. 'stats' or 'acl' to debug. The log is logFile. */
  debugLevel?: string;
  /** How long to wait for slapd to answer, default 10000 ms. */
  startTimeoutMs?: number;
  /** SIGTERM grace before SIGKILL, default 5000 ms. */
  stopTimeoutMs?: number;
  /** Parent of the temporary directory, default os.tmpdir(). */
  baseDir?: string;
}

export interface SlapdUser {
  uid: string;
  dn: string;
  password: string;
  cn: string;
}

export interface SlapdGroup {
  cn: string;
  dn: string;
  /** Member DNs. */
  members: string[];
}

export interface StopProcessOptions {
  /** Default 'SIGTERM'; 'SIGKILL' simulates a crash. */
  signal?: NodeJS.Signals;
  /** Grace before SIGKILL. */
  timeoutMs?: number;
}

/** adminDn is the rootdn cn=admin,<suffix>; serviceDn is cn=credroam-gateway,ou=services,<suffix>. */
export interface SlapdHandle extends ThrowawayDirectoryAccounts {
  /** ldap://127.0.0.1:<port> */
  readonly url: string;
  /** ldaps://127.0.0.1:<ldapsPort> when tls. */
  readonly ldapsUrl: string | undefined;
  /** ldapi:// URL (cn=config format only: used to load the shipped LDIF files). */
  readonly ldapiUrl: string | undefined;
  /** The CA certificate (PEM file and text) to trust, when tls. */
  readonly caFile: string | undefined;
  readonly caPem: string | undefined;
  readonly port: number;
  readonly ldapsPort: number | undefined;
  /** The temporary directory (config, data, TLS files, slapd.log); removed by stop(). */
  readonly dir: string;
  /** slapd's pid while running. */
  readonly pid: number | undefined;
  readonly running: boolean;
  readonly logFile: string;
  readonly suffix: string;
  readonly dialect: SlapdDialect;
  readonly configFormat: 'slapd.conf' | 'cn=config';
  readonly peopleDn: string;
  readonly servicesDn: string;
  readonly groupsDn: string;
  readonly users: readonly SlapdUser[];
  readonly groups: readonly SlapdGroup[];
  /** Milliseconds startSlapd took (files, certificates, load, start, ready). */
  readonly startupMs: number;
  /** The user with this uid; throws when there is none. */
  user(uid: string): SlapdUser;
  /** Stops slapd and removes its directory; safe to call twice. */
  stop(): Promise<void>;
  /** Stops and starts slapd again on the same port(s) with the same data. */
  restart(options?: StopProcessOptions): Promise<void>;
  /** Stops slapd only, keeping directory, data and ports (startProcess() brings it back). */
  stopProcess(options?: StopProcessOptions): Promise<void>;
  startProcess(): Promise<void>;
}

/** Installs Debian's slapd and ldap-utils with apt-get when missing (root only); prints progress to stderr. */
export function ensureSlapdInstalled(): void;
/** Starts a throwaway slapd (well under a second); stop() it when done. */
export function startSlapd(options?: SlapdOptions): Promise<SlapdHandle>;
/** {SSHA} hash as slapd verifies it. */
export function sshaPassword(password: string): string;
/** alice, bob, carol with password `<name>-pass` (DESIGN.md section 11). */
export const DEMO_USERS: readonly SlapdUserOptions[];
export const DEFAULT_SUFFIX: string;
/** The suffix the files in deploy/openldap are written for. */
export const ACL_PLACEHOLDER_SUFFIX: string;
/** Absolute path of deploy/openldap. */
export const DEPLOY_DIR: string;
