import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  AGENT_API_PATHS,
  AGENT_FEATURES_HEADER,
  changeNoticeSchema,
  createSessionRequestSchema,
  createSessionResponseSchema,
  kerberosSessionRequestSchema,
  kerberosSessionResponseSchema,
  parseWith,
  problemSchema,
  renewSessionResponseSchema,
  refusalServerTime,
  RoamingError,
  DOWNLOAD_KEYS_FEATURE,
  SETTLED_CHECK_FEATURE,
  syncCheckResponseSchema,
  syncResponseSchema,
  workstationEventResponseSchema,
  type ChangeNotice,
  type CreateSessionResponse,
  type KerberosSessionResponse,
  type ErrorCode,
  type ErrorInfo,
  type RenewSessionResponse,
  type SyncCheckRequest,
  type SyncCheckResponse,
  type SyncRequest,
  type SyncResponse,
  type WaitForChangeRequest,
  type WorkstationEventRequest,
  type WorkstationEventResponse,
} from '@credroam/roaming';
import { type DeviceKeyPair } from '../store/device-keys';
import { type KerberosInitiator } from './kerberos-initiator';
import {
  renewalBody,
  type KerberosSessionRequest,
  type LogonClient,
  type SessionRequest,
} from './logon-client';
import { retrier, withRetries, type Attempt, type Retrier, type RetryPolicy } from './retry';
import { type SyncTrace } from './sync-trace';
import { connectionFailureReason, serverTlsError, type FetchLike } from './transport-security';

export interface AgentApiClientOptions {
  server: string;
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** Default: the built-in fetch (system CAs); fetchTrusting(ca) for a private CA. */
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** The clock device proofs are dated with (renewal). */
  now?: () => number;
  /** Told the server's time: from every answer's Date, and exactly from a CLOCK_SKEW refusal (server-clock.ts). */
  onServerTime?: (serverTime: number) => void;
}

/** An HTTP Date has whole seconds: the server's time was somewhere in the second it names. */
const DATE_HEADER_MIDPOINT_MS = 500;

/** How much longer than the server's hold a long poll may take before it counts as timed out. */
const LONG_POLL_GRACE_MS = 15_000;

const UNAUTHENTICATED_CODES: readonly ErrorCode[] = [
  'SESSION_EXPIRED',
  'UNAUTHENTICATED',
  'INVALID_CREDENTIALS',
  'KERBEROS_REFUSED',
  'KERBEROS_FOREIGN_REALM',
];

/**
 * The agent side of the logon-events HTTP API (libs/roaming contracts/sync.ts). Every answer is validated against
 * its contract schema before anyone acts on it. Transient failures (network, 5xx, 429) are retried with bounded,
 * jittered exponential backoff, honouring Retry-After.
 */
export class AgentApiClient implements LogonClient {
  private readonly retrying: Retrier;
  private readonly fetchImpl: FetchLike;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly onServerTime: (serverTime: number) => void;
  readonly server: string;

  constructor(options: AgentApiClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.retrying = retrier(options);
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
    this.onServerTime = options.onServerTime ?? (() => undefined);
  }

  /** Over HTTPS the password travels in clear inside TLS; logon-events seals it for the gateway at once. */
  createSession(request: SessionRequest): Promise<CreateSessionResponse> {
    const body = parseWith(createSessionRequestSchema, {
      user: request.user,
      password: request.password,
      machine: request.machine,
      devicePublicKey: request.deviceKey.spki.toString('base64'),
      agentVersion: request.agentVersion,
    });
    if (!body.ok) throw RoamingError.fromInfo(body.error);
    return this.post(AGENT_API_PATHS.sessions, () => body.value, createSessionResponseSchema, {});
  }

  /**
   * A logon with the user's Kerberos ticket (SPNEGO, RFC 4559): a fresh token per attempt (the service refuses a
   * replayed one), the device key registered in the same request, and the service's answer checked (mutual
   * authentication) before the session is believed. No password exists here.
   */
  async createKerberosSession(
    request: KerberosSessionRequest,
    initiator: KerberosInitiator,
  ): Promise<KerberosSessionResponse> {
    const body = parseWith(kerberosSessionRequestSchema, {
      machine: request.machine,
      devicePublicKey: request.deviceKey.spki.toString('base64'),
      agentVersion: request.agentVersion,
    });
    if (!body.ok) throw RoamingError.fromInfo(body.error);
    const payload = JSON.stringify(body.value);
    const correlationId = randomUUID();
    return withRetries(this.retrying, async () => {
      const exchange = await initiator();
      let answer: string | null = null;
      const attempt = await this.attempt(
        AGENT_API_PATHS.kerberosSessions,
        payload,
        kerberosSessionResponseSchema,
        { authorization: `Negotiate ${exchange.token}`, 'x-correlation-id': correlationId },
        {
          onHeaders: (headers) => {
            answer = /^Negotiate\s+(\S+)$/i.exec(headers.get('www-authenticate') ?? '')?.[1] ?? null;
          },
        },
      );
      if ('done' in attempt) await exchange.finish(answer);
      return attempt;
    });
  }

  sync(
    sessionToken: string,
    body: SyncRequest,
    _deviceKey?: DeviceKeyPair,
    trace?: SyncTrace,
  ): Promise<SyncResponse> {
    return this.post(AGENT_API_PATHS.sync, () => body, syncResponseSchema, {
      ...trace?.headers,
      authorization: `Bearer ${sessionToken}`,
      [AGENT_FEATURES_HEADER]: `${SETTLED_CHECK_FEATURE}, ${DOWNLOAD_KEYS_FEATURE}`,
    });
  }

  checkSync(sessionToken: string, body: SyncCheckRequest, trace?: SyncTrace): Promise<SyncCheckResponse> {
    return this.post(AGENT_API_PATHS.syncCheck, () => body, syncCheckResponseSchema, {
      ...trace?.headers,
      authorization: `Bearer ${sessionToken}`,
    });
  }

  renewSession(sessionToken: string, deviceKey: DeviceKeyPair): Promise<RenewSessionResponse> {
    const body = () => renewalBody(sessionToken, deviceKey, this.now());
    return this.post(AGENT_API_PATHS.renewSession, body, renewSessionResponseSchema, {});
  }

  reportEvent(sessionToken: string, body: WorkstationEventRequest): Promise<WorkstationEventResponse> {
    return this.post(AGENT_API_PATHS.events, () => body, workstationEventResponseSchema, {
      authorization: `Bearer ${sessionToken}`,
    });
  }

  /** A long poll: the server holds it up to `waitSeconds`; `stop` ends it early (the daemon stopping). */
  waitForChange(sessionToken: string, body: WaitForChangeRequest, stop: AbortSignal): Promise<ChangeNotice> {
    return this.post(
      AGENT_API_PATHS.changes,
      () => body,
      changeNoticeSchema,
      { authorization: `Bearer ${sessionToken}` },
      { timeoutMs: body.waitSeconds * 1000 + LONG_POLL_GRACE_MS, stop },
    );
  }

  /** `body` is made again for every attempt, so a proof in it is fresh each time. */
  private async post<S extends z.ZodType>(
    path: string,
    body: () => unknown,
    schema: S,
    headers: Record<string, string>,
    limits: { timeoutMs?: number; stop?: AbortSignal } = {},
  ): Promise<z.output<S>> {
    const correlationId = randomUUID();
    return withRetries(this.retrying, () =>
      this.attempt(
        path,
        JSON.stringify(body()),
        schema,
        { ...headers, 'x-correlation-id': correlationId },
        limits,
      ),
    );
  }

  private async attempt<S extends z.ZodType>(
    path: string,
    payload: string,
    schema: S,
    headers: Record<string, string>,
    {
      timeoutMs = this.timeoutMs,
      stop,
      onHeaders,
    }: { timeoutMs?: number; stop?: AbortSignal; onHeaders?: (headers: Headers) => void },
  ): Promise<Attempt<z.output<S>>> {
    let response: Response;
    try {
      const timeout = AbortSignal.timeout(timeoutMs);
      response = await this.fetchImpl(`${this.server}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: payload,
        signal: stop ? AbortSignal.any([timeout, stop]) : timeout,
      });
    } catch (error) {
      // Stopped on purpose: nothing to retry or to report.
      if (stop?.aborted) throw error;
      // An untrusted or misnamed certificate stays so: say what to change instead of retrying.
      const tls = serverTlsError(error, this.server);
      if (tls) throw tls;
      const timedOut = (error as Error).name === 'TimeoutError';
      return {
        retry: new RoamingError(
          timedOut ? 'TIMEOUT' : 'SERVICE_UNAVAILABLE',
          timedOut
            ? `server ${this.server} did not answer in time`
            : `server ${this.server} is unreachable (${connectionFailureReason(error)})`,
        ),
      };
    }
    const text = await response.text().catch(() => '');
    onHeaders?.(response.headers);
    const date = Date.parse(response.headers.get('date') ?? '');
    if (Number.isFinite(date)) this.onServerTime(date + DATE_HEADER_MIDPOINT_MS);
    if (response.ok) return { done: this.validate(schema, text, path) };
    const problem = this.problem(text);
    const serverTime = problem ? refusalServerTime(problem) : null;
    // Dated by the server's own word, the next attempt's proof is fresh (the body is made again per attempt).
    if (serverTime !== null) this.onServerTime(serverTime);
    const message = problem?.message ?? `server answered ${response.status} ${response.statusText}`.trim();
    if (response.status === 429) {
      return {
        retry: new RoamingError('RATE_LIMITED', message),
        afterMs: this.retryAfter(response.headers.get('retry-after')),
      };
    }
    if (response.status === 409 || (response.status < 500 && problem?.retryable === true)) {
      // A lost write race the server did not absorb, or anything the server itself calls transient.
      return { retry: new RoamingError(problem?.code ?? 'DIRECTORY_STAMP_CHANGED', message) };
    }
    if (response.status >= 500) {
      const code: ErrorCode = [502, 503, 504].includes(response.status)
        ? 'SERVICE_UNAVAILABLE'
        : (problem?.code ?? 'INTERNAL');
      return { retry: new RoamingError(code, message) };
    }
    if (response.status === 401) {
      const code = problem && UNAUTHENTICATED_CODES.includes(problem.code) ? problem.code : 'UNAUTHENTICATED';
      throw new RoamingError(code, message);
    }
    throw new RoamingError(
      problem?.code ?? (response.status === 403 ? 'FORBIDDEN' : 'INVALID_INPUT'),
      message,
    );
  }

  private validate<S extends z.ZodType>(schema: S, text: string, path: string): z.output<S> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RoamingError('CONTRACT_VIOLATION', `server answer to ${path} is not JSON`);
    }
    const parsed = parseWith(schema, json, 'CONTRACT_VIOLATION');
    if (!parsed.ok) {
      throw new RoamingError(
        'CONTRACT_VIOLATION',
        `server answer to ${path} breaks the contract: ${parsed.error.message}`,
      );
    }
    return parsed.value;
  }

  private problem(text: string): ErrorInfo | null {
    try {
      const parsed = problemSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data.error : null;
    } catch {
      return null;
    }
  }

  /** Retry-After in seconds or as an HTTP date, capped so a hostile header cannot park the agent. */
  private retryAfter(header: string | null): number | undefined {
    if (header === null) return undefined;
    const seconds = /^\d+$/.test(header.trim())
      ? Number(header.trim()) * 1000
      : Date.parse(header) - Date.now();
    if (!Number.isFinite(seconds)) return undefined;
    return Math.min(Math.max(seconds, 0), this.retrying.policy.maxDelayMs * 4);
  }
}
