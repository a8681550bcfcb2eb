import { randomUUID } from 'node:crypto';
import { createEvent, loginNameSchema } from '@credroam/roaming';
import { type Clock, type EventSink, type LogSink } from '../repositories/logon.repositories';
import { type RateLimitStore } from './rate-limit.store';
import { RequestLimiter, type LimitName, type RateSettings } from './request-limiter';

export interface RateLimitSettings {
  /** Per user, and for logons per login and source. */
  user: RateSettings;
  /** Per client address (HTTP only: every AMQP message comes from the ingress). */
  client: RateSettings;
}

/** Who asked, as the limits key it: the client address over HTTP, the ingress over AMQP. */
export interface LimitedCaller {
  transport: 'http' | 'amqp';
  source: string;
}

interface Request {
  caller: LimitedCaller;
  login: string | null;
  correlationId: string;
}

/**
 * The agent API's rate limits. Logons count per login *and* source, so a stranger guessing carol's password
 * slows down themselves, not carol at her own workstation. The first refusal of a window is audited as
 * security.rate-limited; the refusal itself is RATE_LIMITED with a Retry-After, and the window's end lifts it.
 */
export class RateLimits {
  private readonly limiters: Record<LimitName, RequestLimiter>;

  constructor(
    settings: RateLimitSettings,
    private readonly store: RateLimitStore,
    private readonly deps: { events: EventSink; clock: Clock; log: LogSink },
  ) {
    const limiter = (limit: LimitName, rate: RateSettings) =>
      new RequestLimiter(limit, store.limiter(limit, rate));
    this.limiters = {
      client: limiter('client', settings.client),
      logon: limiter('logon', settings.user),
      user: limiter('user', settings.user),
    };
  }

  async client(request: Omit<Request, 'login'>): Promise<void> {
    if (request.caller.transport !== 'http') return;
    await this.take('client', request.caller.source, { ...request, login: null });
  }

  async logon(request: Request & { login: string }): Promise<void> {
    await this.take('logon', `${request.login.toLowerCase()}|${request.caller.source}`, request);
  }

  async user(request: Request & { login: string }): Promise<void> {
    await this.take('user', request.login.toLowerCase(), request);
  }

  private async take(limit: LimitName, key: string, request: Request): Promise<void> {
    await this.limiters[limit].take(key, (retryAfterSeconds) =>
      this.audit(limit, retryAfterSeconds, request),
    );
  }

  private audit(
    limit: LimitName,
    retryAfterSeconds: number,
    { caller, login, correlationId }: Request,
  ): void {
    this.deps.log.warn({ correlationId, limit, source: caller.source }, 'rate limit reached');
    const user = loginNameSchema.safeParse(login);
    const event = createEvent(
      'security.rate-limited',
      {
        correlationId,
        user: user.success ? user.data : null,
        machine: null,
        payload: {
          limit,
          transport: caller.transport,
          source: caller.source,
          retryAfterSeconds,
          shared: this.store.shared,
        },
      },
      { id: randomUUID(), now: this.deps.clock.now() },
    );
    // A caller whose address the socket no longer knows cannot be named in an event; the refusal stands anyway.
    if (!event.ok) return;
    // The refusal does not wait for its audit event; a lost event is logged, the refusal stands.
    this.deps.events.publishAll([event.value]).catch((error: Error) => {
      this.deps.log.error({ err: error.message }, 'security.rate-limited not published');
    });
  }
}
