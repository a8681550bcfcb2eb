import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  AGENT_API_PATHS,
  createSessionResponseSchema,
  parseWith,
  problemSchema,
  RoamingError,
  syncResponseSchema,
  type CreateSessionRequest,
  type CreateSessionResponse,
  type ErrorCode,
  type SyncRequest,
  type SyncResponse,
} from '@credroam/roaming';

export interface RetryPolicy {
  /** Attempts in all, first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 8_000 };

export interface AgentApiClientOptions {
  server: string;
  retry?: RetryPolicy;
  timeoutMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

type Attempt<T> = { done: T } | { retry: RoamingError; afterMs?: number };

const UNAUTHENTICATED_CODES: readonly ErrorCode[] = [
  'SESSION_EXPIRED',
  'UNAUTHENTICATED',
  'INVALID_CREDENTIALS',
];

/**
 * The agent side of the logon-events HTTP API (libs/roaming contracts/sync.ts). Every answer is validated against
 * its contract schema before anyone acts on it. Transient failures (network, 5xx, 429) are retried with bounded,
 * jittered exponential backoff, honouring Retry-After.
 */
export class AgentApiClient {
  private readonly retry: RetryPolicy;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly timeoutMs: number;
  readonly server: string;

  constructor(options: AgentApiClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  createSession(body: CreateSessionRequest): Promise<CreateSessionResponse> {
    return this.post(AGENT_API_PATHS.sessions, body, createSessionResponseSchema, {});
  }

  sync(sessionToken: string, body: SyncRequest): Promise<SyncResponse> {
    return this.post(AGENT_API_PATHS.sync, body, syncResponseSchema, {
      authorization: `Bearer ${sessionToken}`,
    });
  }

  private async post<S extends z.ZodType>(
    path: string,
    body: unknown,
    schema: S,
    headers: Record<string, string>,
  ): Promise<z.output<S>> {
    const correlationId = randomUUID();
    const payload = JSON.stringify(body);
    let last: RoamingError | undefined;
    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt += 1) {
      const outcome = await this.attempt(path, payload, schema, {
        ...headers,
        'x-correlation-id': correlationId,
      });
      if ('done' in outcome) return outcome.done;
      last = outcome.retry;
      if (attempt === this.retry.maxAttempts) break;
      await this.sleep(outcome.afterMs ?? this.backoff(attempt));
    }
    throw last ?? new RoamingError('SERVICE_UNAVAILABLE', 'server unreachable');
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    // Full jitter: workstations that failed together do not retry together.
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  private async attempt<S extends z.ZodType>(
    path: string,
    payload: string,
    schema: S,
    headers: Record<string, string>,
  ): Promise<Attempt<z.output<S>>> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.server}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: payload,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      return {
        retry: new RoamingError(
          timedOut ? 'TIMEOUT' : 'SERVICE_UNAVAILABLE',
          timedOut ? `server ${this.server} did not answer in time` : `server ${this.server} is unreachable`,
        ),
      };
    }
    const text = await response.text().catch(() => '');
    if (response.ok) return { done: this.validate(schema, text, path) };
    const problem = this.problem(text);
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

  private problem(text: string): { code: ErrorCode; message: string; retryable: boolean } | null {
    try {
      const parsed = problemSchema.safeParse(JSON.parse(text));
      return parsed.success
        ? {
            code: parsed.data.error.code,
            message: parsed.data.error.message,
            retryable: parsed.data.error.retryable,
          }
        : null;
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
    return Math.min(Math.max(seconds, 0), this.retry.maxDelayMs * 4);
  }
}
