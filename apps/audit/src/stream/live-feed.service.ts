import { type Logger } from '@credroam/platform';
import { RoamingError, type EventEnvelope } from '@credroam/roaming';
import { matchesFilter, type EventFilter } from '../events/event-filter';
import { type LiveEventSource } from '@credroam/messaging';

/** A connected stream client: send() returns false when the client cannot keep up (it is then dropped). */
export interface LiveSink {
  send(event: EventEnvelope): boolean;
  close(): void;
}

export interface LiveFeedSettings {
  /** How long the broker subscription stays open after the last client left. Default 30 s. */
  idleMs?: number;
  /** Ids remembered to drop a resent event. Default 10,000. */
  dedupeWindow?: number;
  onClientsChanged?(count: number): void;
}

interface Client {
  filter: EventFilter;
  sink: LiveSink;
}

/**
 * Fans events from the live source out to stream clients, each with its own filter. The broker subscription is
 * opened by the first client and closed a while after the last one left, so an unwatched replica does no work.
 */
export class LiveFeedService {
  private readonly clients = new Set<Client>();
  private readonly recent = new Set<string>();
  private starting: Promise<void> | null = null;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly idleMs: number;
  private readonly dedupeWindow: number;

  constructor(
    private readonly source: LiveEventSource,
    private readonly logger: Logger,
    private readonly settings: LiveFeedSettings = {},
  ) {
    this.idleMs = settings.idleMs ?? 30_000;
    this.dedupeWindow = settings.dedupeWindow ?? 10_000;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /**
   * Registers a client once the broker subscription is live (events published after this resolves reach it).
   * Throws SERVICE_UNAVAILABLE when the broker cannot be reached. Returns the unsubscribe function.
   */
  async subscribe(filter: EventFilter, sink: LiveSink): Promise<() => void> {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.starting ??= this.source
      .start((event) => this.publish(event))
      .catch((error: unknown) => {
        this.starting = null;
        this.logger.warn({ errorMessage: (error as Error)?.message }, 'live stream cannot reach the broker');
        throw new RoamingError('SERVICE_UNAVAILABLE', 'the live stream cannot reach the message broker');
      });
    await this.starting;
    const client: Client = { filter, sink };
    this.clients.add(client);
    this.settings.onClientsChanged?.(this.clients.size);
    return () => this.remove(client);
  }

  /** Ends every stream and the broker subscription (shutdown). */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    for (const client of [...this.clients]) {
      this.remove(client, false);
      client.sink.close();
    }
    await this.stopSource();
  }

  /** Delivers one event to every client whose filter it matches; each event id at most once. */
  publish(event: EventEnvelope): void {
    if (this.recent.has(event.id)) return;
    this.recent.add(event.id);
    if (this.recent.size > this.dedupeWindow) {
      // A Set iterates in insertion order: the first entry is the oldest.
      this.recent.delete(this.recent.values().next().value as string);
    }
    for (const client of this.clients) {
      if (!matchesFilter(client.filter, event)) continue;
      if (!client.sink.send(event)) {
        this.logger.warn('a live stream client fell behind; closing its stream');
        this.remove(client);
        client.sink.close();
      }
    }
  }

  private remove(client: Client, scheduleIdle = true): void {
    if (!this.clients.delete(client)) return;
    this.settings.onClientsChanged?.(this.clients.size);
    if (scheduleIdle && this.clients.size === 0) {
      this.idleTimer = setTimeout(() => void this.stopSource(), this.idleMs);
      this.idleTimer.unref();
    }
  }

  private async stopSource(): Promise<void> {
    if (!this.starting || this.clients.size > 0) return;
    const starting = this.starting;
    this.starting = null;
    await starting.catch(() => undefined);
    await this.source.stop();
  }
}
