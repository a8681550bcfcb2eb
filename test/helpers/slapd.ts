// Typed access to the throwaway slapd launcher (scripts/lib/slapd.cjs) for Jest suites.
import { Client, type ClientOptions } from 'ldapts';
import { startSlapd, type SlapdHandle, type SlapdOptions } from '../../scripts/lib/slapd.cjs';

export * from '../../scripts/lib/slapd.cjs';

/** Generous, because the first run on a fresh machine installs slapd with apt-get. */
const START_TIMEOUT_MS = 180_000;

/**
 * Starts a throwaway slapd in beforeAll and stops it in afterAll. Returns a getter, because the handle only exists
 * once beforeAll has run: `const slapd = useSlapd({ users }); ... slapd().url`.
 */
export function useSlapd(options: SlapdOptions = {}): () => SlapdHandle {
  let handle: SlapdHandle | undefined;
  beforeAll(async () => {
    handle = await startSlapd(options);
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await handle?.stop();
  });
  return () => {
    if (!handle) throw new Error('slapd is not started: use the handle inside a test or a hook');
    return handle;
  };
}

/** What withLdap needs of a throwaway directory: a slapd or a Samba AD DC (test/helpers/samba-ad.ts). */
export interface LdapDirectory {
  readonly url: string;
  readonly adminDn: string;
  readonly adminPassword: string;
  readonly serviceDn: string;
  readonly servicePassword: string;
  user(uid: string): { dn: string; password: string };
}

/** A bind identity: the directory's admin, the gateway's service account, a user's uid, or an explicit DN. */
export type LdapIdentity =
  'anonymous' | 'admin' | 'service' | { uid: string; password?: string } | { dn: string; password: string };

function credentials(slapd: LdapDirectory, who: LdapIdentity): { dn: string; password: string } | undefined {
  if (who === 'anonymous') return undefined;
  if (who === 'admin') return { dn: slapd.adminDn, password: slapd.adminPassword };
  if (who === 'service') return { dn: slapd.serviceDn, password: slapd.servicePassword };
  if ('uid' in who) {
    const user = slapd.user(who.uid);
    return { dn: user.dn, password: who.password ?? user.password };
  }
  return who;
}

/**
 * Runs `work` with an ldapts client bound as `who` (plain ldap:// unless options.url says otherwise) and always
 * unbinds, also after a failed bind (ldapts keeps the socket open and the process alive otherwise).
 */
export async function withLdap<T>(
  slapd: LdapDirectory,
  who: LdapIdentity,
  work: (client: Client) => Promise<T>,
  options: Partial<ClientOptions> = {},
): Promise<T> {
  const client = new Client({ url: slapd.url, timeout: 5_000, connectTimeout: 2_000, ...options });
  try {
    const bind = credentials(slapd, who);
    if (bind) await client.bind(bind.dn, bind.password);
    return await work(client);
  } finally {
    await client.unbind();
  }
}
