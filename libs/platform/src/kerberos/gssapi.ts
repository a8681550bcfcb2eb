import { createRequire } from 'node:module';

/**
 * The parts of the `kerberos` npm package (MongoDB's GSSAPI binding, a native addon over MIT krb5's libgssapi)
 * that credroam uses: SPNEGO/Kerberos security contexts on both sides of the agent's logon. Declared here rather
 * than imported, because the package is an optional dependency: it builds only where libkrb5's headers are
 * installed, and everything but a Kerberos logon must work without it.
 */
export interface GssapiClient {
  /** The next token to send (base64), given the acceptor's last one ('' to start). */
  step(challenge: string): Promise<string>;
  contextComplete: boolean;
}

export interface GssapiServer {
  /** Accepts the initiator's token (base64); then `username` is the client principal and `response` the answer. */
  step(challenge: string): Promise<string>;
  username: string;
  response: string;
  targetName: string;
  contextComplete: boolean;
}

export interface GssapiBinding {
  initializeClient(
    service: string,
    options?: { principal?: string; gssFlag?: number; mechOID?: number },
  ): Promise<GssapiClient>;
  /** '' acquires no credentials of its own: any principal of the keytab (KRB5_KTNAME) may accept. */
  initializeServer(service: string): Promise<GssapiServer>;
  GSS_MECH_OID_SPNEGO: number;
  GSS_C_MUTUAL_FLAG: number;
  GSS_C_SEQUENCE_FLAG: number;
}

/** What to tell whoever runs a Kerberos logon where the binding is missing. */
export const GSSAPI_MISSING_HINT =
  'Kerberos support needs libkrb5 and the kerberos npm package built against it: ' +
  'apt-get install libkrb5-dev, then npm ci (or npm rebuild kerberos)';

let binding: GssapiBinding | undefined;

/**
 * The `kerberos` binding, loaded on first use (requiring it loads libgssapi_krb5). Throws an Error that says what
 * to install when it is missing or was not built.
 */
export function loadGssapi(): GssapiBinding {
  if (binding) return binding;
  try {
    binding = createRequire(__filename)('kerberos') as GssapiBinding;
  } catch (error) {
    throw new Error(`${GSSAPI_MISSING_HINT} (${(error as Error).message.split('\n')[0]})`);
  }
  return binding;
}

/** `name@REALM` split at the last `@` (a name may hold an escaped `@`, as enterprise principals do). */
export function splitPrincipal(principal: string): { name: string; realm: string } | null {
  const at = principal.lastIndexOf('@');
  if (at <= 0 || at === principal.length - 1) return null;
  return { name: principal.slice(0, at), realm: principal.slice(at + 1) };
}
