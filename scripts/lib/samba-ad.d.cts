// Types for samba-ad.cjs (the throwaway Samba AD domain controller). TypeScript picks this file up for
// `import { startSambaAd } from '../../scripts/lib/samba-ad.cjs'`.

import { type ThrowawayDirectoryAccounts } from './throwaway-server.cjs';

export interface SambaAdOptions {
  /** The TCP port on 127.0.0.1 that is forwarded to the DC's LDAP (ldapi socket); 0 (default) picks a free one. */
  port?: number;
  /** How long to wait for LDAP to answer, default 60000 ms. */
  startTimeoutMs?: number;
  /** SIGTERM grace before SIGKILL, default 5000 ms. */
  stopTimeoutMs?: number;
  /** Parent of the temporary directory, default os.tmpdir(). */
  baseDir?: string;
  /**
   * LDAPS too: a CA of this DC's own and a certificate for 127.0.0.1 (Samba's own names no IP), and the DC's port
   * 636 forwarded to ldapsUrl. Default false.
   */
  tls?: boolean;
  /** AD's MaxPageSize for this DC (default 1000, as provisioned): at most this many entries per page. */
  maxPageSize?: number;
}

export interface SambaAdUser {
  /** sAMAccountName (also `uid`, for code shared with the slapd handle). */
  login: string;
  uid: string;
  dn: string;
  password: string;
}

export interface SambaAdTimings {
  /** apt-get, when the packages were missing (else ~0). */
  installMs: number;
  /** Provisioning the per-machine template, when this call made it (else 0). */
  templateMs: number;
  /** Copying the template, starting samba, LDAP answering. */
  copyAndStartMs: number;
}

/** adminDn is CN=Administrator,CN=Users,...; the gateway's and the admin CLI's rights are delegated by ACEs. */
export interface SambaAdHandle extends ThrowawayDirectoryAccounts {
  /** ldap://127.0.0.1:<port>, forwarded to the DC's ldapi socket by this process. */
  readonly url: string;
  readonly port: number;
  /** ldaps://127.0.0.1:<port> when tls: TLS end to end with samba, verified with caFile. */
  readonly ldapsUrl: string | undefined;
  /** The CA (PEM file) that issued the DC's certificate for 127.0.0.1, when tls. */
  readonly caFile: string | undefined;
  /** The DC's own ldapi socket (reachable from any network namespace). */
  readonly ldapiPath: string;
  /** A TCP port on 127.0.0.1 forwarded to the DC's KDC (through kdc-relay.cjs inside the DC's namespace). */
  readonly kdcPort: number;
  readonly dir: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  readonly logFile: string;
  /** CREDROAM.TEST */
  readonly realm: string;
  readonly domain: string;
  /** DC=credroam,DC=test */
  readonly suffix: string;
  /** CN=Users,DC=credroam,DC=test: the demo users and credroam's accounts. */
  readonly peopleDn: string;
  readonly dialect: 'active-directory';
  readonly users: readonly SambaAdUser[];
  /** The directory-gateway's CREDROAM_* settings for this DC (service account bind, AD lookups, dialect). */
  readonly gatewayEnv: Readonly<Record<string, string>>;
  /** Milliseconds startSambaAd took, and where they went. */
  readonly startupMs: number;
  readonly timings: SambaAdTimings;
  /** The user with this sAMAccountName; throws when there is none. */
  user(login: string): SambaAdUser;
  /** Writes a krb5.conf for the realm (KDC over TCP at kdcPort, no DNS, no canonicalisation); returns `file`. */
  writeKrb5Conf(file: string): string;
  /**
   * Adds an account holding the service principal `service` (e.g. HTTP/127.0.0.1) and exports its keys to
   * `keytab` (samba-tool domain exportkeytab, about 2 s); returns the principal with its realm.
   */
  addServicePrincipal(service: string, keytab: string): string;
  /**
   * Adds users to the running DC in one ldbmodify run; returns their DNs. With a password: enabled, the password
   * never expires. Without: disabled, and about ten times faster to add (no password hashing).
   */
  addUsers(users: readonly { login: string; password?: string; description?: string }[]): string[];
  /** objectSid of the user with this sAMAccountName (under CN=Users). */
  sidOf(login: string): string;
  /**
   * Runs the `samba-tool dsacl set` lines of a delegation text (deploy/active-directory/credroam-ad-delegation.txt
   * as `credroam schema --dialect active-directory` prints it) with `sids` in place of its `<name SID>`
   * placeholders, e.g. `{ 'credroam-gateway': sidOf('other-account') }`; lines naming another account are skipped.
   */
  applyDelegation(text: string, sids: Readonly<Record<string, string>>): void;
  /** Stops samba and the forwarder and removes the directory; safe to call twice. */
  stop(): Promise<void>;
}

/** A minimal krb5.conf for `realm` with its KDC at `kdc` (host:port, TCP only). */
export function krb5Conf(realm: string, kdc: string): string;
/** Installs Debian's Samba AD DC packages with apt-get when missing (root only). */
export function ensureSambaInstalled(): void;
/**
 * Starts a throwaway DC (root: it runs in a network namespace of its own). The first call on a machine provisions
 * the template domain (tens of seconds); later ones copy it and start in about two seconds.
 */
export function startSambaAd(options?: SambaAdOptions): Promise<SambaAdHandle>;
/** alice, bob, carol with password `<name>-pass`. */
export const DEMO_USERS: readonly { login: string; password: string; displayName: string }[];
