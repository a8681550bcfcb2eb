import { request as httpsRequest } from 'node:https';
import { type IncomingHttpHeaders } from 'node:http';
import { describeTlsFailure, isLoopbackHost, MIN_TLS_VERSION, tlsFailureOf } from '@credroam/platform';
import { RoamingError } from '@credroam/roaming';
import { type Session } from '../store/session.file';

/**
 * How the agent protects its connection to logon-events or the broker (DESIGN.md section 7a): the private CA it
 * trusts for https:// and amqps:// (else the system's CAs), and whether the user allowed a plain server that is
 * not on this machine. Chosen at login and kept in the session, so every later sync connects the same way.
 */
export interface TransportSecurity {
  /** PEM, one or more CA certificates: the only ones trusted for the server's certificate. */
  caPem: string | null;
  /** `--insecure`: a plain http:// or amqp:// server off loopback was accepted knowingly. */
  insecure: boolean;
}

export const DEFAULT_SECURITY: TransportSecurity = Object.freeze({ caPem: null, insecure: false });

/** What the session keeps of the transport security: only what differs from the default. */
export function sessionSecurity(security: TransportSecurity): Pick<Session, 'caPem' | 'insecure'> {
  return {
    ...(security.caPem !== null ? { caPem: security.caPem } : {}),
    ...(security.insecure ? { insecure: true as const } : {}),
  };
}

/** How to connect to the session's server, as chosen at login. */
export function securityOf(session: Pick<Session, 'caPem' | 'insecure'>): TransportSecurity {
  return { caPem: session.caPem ?? null, insecure: session.insecure === true };
}

const PLAIN: Readonly<Record<string, { secure: string; exposed: string }>> = {
  'http:': { secure: 'https://', exposed: 'your password and your session token' },
  'amqp:': { secure: 'amqps://', exposed: 'the broker password and your session token' },
};

/**
 * Why the agent will not talk to `server` at all, or null: a plain http:// or amqp:// server is refused unless it
 * is on the loopback address or the user passed --insecure, because everything on the way could read what
 * travels. Decided from the URL alone, before any connection. Never echoes the URL: it may carry a password.
 */
export function plainServerRefusal(server: URL, insecure: boolean): string | null {
  const plain = PLAIN[server.protocol];
  if (!plain || insecure || isLoopbackHost(server.hostname)) return null;
  return (
    `refusing ${server.protocol}//${server.hostname}: a plain ${server.protocol}// server that is not on this ` +
    `machine's loopback address would let the network read ${plain.exposed}; use ${plain.secure} (with ` +
    `--ca-file for a private CA), or pass --insecure to accept it anyway`
  );
}

/**
 * The error of a connection that failed because of TLS, saying what to change; null for any other failure.
 * Retrying would not help, so callers throw it at once.
 */
export function serverTlsError(error: unknown, server: string): RoamingError | null {
  const failure = tlsFailureOf(error);
  if (!failure) return null;
  const advice =
    failure.kind === 'untrusted'
      ? ': log in again with --ca-file and the CA that issued it'
      : failure.kind === 'name-mismatch'
        ? ': use the host name the certificate names in --server'
        : '';
  return new RoamingError('SERVICE_UNAVAILABLE', `${describeTlsFailure(failure, server)}${advice}`);
}

/**
 * Why a connection failed, in the system's words (ECONNREFUSED, ENOTFOUND, "other side closed"), so that an admin
 * can tell a server that is down from a name that does not resolve or a connection cut under way.
 */
export function connectionFailureReason(error: unknown): string {
  // fetch wraps the socket's error as the cause of a bare "fetch failed".
  const failure = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (!(failure instanceof Error)) return String(failure);
  const code = (failure as NodeJS.ErrnoException).code;
  return code && !code.startsWith('UND_ERR') ? code : failure.message;
}

/** The part of fetch the agent's HTTP client uses. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<Response>;

function responseHeaders(headers: IncomingHttpHeaders): Headers {
  const result = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) result.append(name, one);
  }
  return result;
}

// Statuses whose responses carry no body; the Response constructor refuses one for them.
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * A fetch over node:https that trusts only `caPem` for the server's certificate (Node's built-in fetch cannot be
 * given a CA without the undici package). Host names and addresses are checked against the certificate as fetch
 * does; an aborted signal rejects with the signal's reason, as fetch does.
 */
export function fetchTrusting(caPem: string): FetchLike {
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const request = httpsRequest(
        url,
        {
          method: init.method,
          headers: init.headers,
          ca: caPem,
          minVersion: MIN_TLS_VERSION,
          signal: init.signal,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const status = response.statusCode ?? 502;
            resolve(
              new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), {
                status,
                statusText: response.statusMessage ?? '',
                headers: responseHeaders(response.headers),
              }),
            );
          });
        },
      );
      request.on('error', (error) => reject(init.signal.aborted ? (init.signal.reason as unknown) : error));
      request.end(init.body);
    });
}
