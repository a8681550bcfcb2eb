/**
 * Group commit: items submitted while a write is running are written together by the next one, so with many
 * messages in flight (the consumer's prefetch) the database sees few large transactions instead of many small
 * ones. Each submit() resolves only after the write that contains its item has committed.
 *
 * Failures:
 * - `transient` (the database is down or busy): the same batch is written again after a backoff, for as long as
 *   it takes, holding its items. The broker keeps every further message queued meanwhile (prefetch bound), so an
 *   outage delays events but neither loses nor dead-letters them.
 * - otherwise: the items are written one by one, so a single bad item fails alone (and is dead-lettered by the
 *   consumer) instead of taking its batch with it.
 */
export interface BatchWriterOptions<T, R> {
  /** Writes the items in one transaction; resolves with one result per item, in order. */
  write(items: T[]): Promise<R[]>;
  /** Whether an error should be waited out. May probe the database (a failing ping means transient). */
  isTransient(error: unknown): Promise<boolean>;
  maxBatch: number;
  /** First pause after a transient failure; doubled up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Told about each transient failure (for logs and health). */
  onTransientFailure?(error: unknown, attempt: number, delayMs: number): void;
  sleep?(ms: number): Promise<void>;
}

interface Pending<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class BatchWriterClosedError extends Error {
  constructor() {
    super('the batch writer is closed');
    this.name = 'BatchWriterClosedError';
  }
}

export class BatchWriter<T, R> {
  private readonly queue: Pending<T, R>[] = [];
  private running: Promise<void> | null = null;
  private closed = false;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: BatchWriterOptions<T, R>) {
    this.backoffMs = options.backoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  submit(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new BatchWriterClosedError());
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting for or inside a write. */
  get pending(): number {
    return this.queue.length;
  }

  /** Refuses new items; items still waiting for a transient failure to pass are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    for (const entry of this.queue.splice(0)) entry.reject(new BatchWriterClosedError());
  }

  private schedule(): void {
    if (this.running) return;
    // setImmediate lets every delivery of the current I/O turn join the batch.
    this.running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.running = null;
        if (this.queue.length > 0 && !this.closed) this.schedule();
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue.slice(0, this.options.maxBatch);
      const written = await this.writeWaitingOutFailures(batch.map((entry) => entry.item));
      this.queue.splice(0, batch.length);
      if (written.ok) {
        batch.forEach((entry, index) => entry.resolve(written.results[index] as R));
      } else if (written.closed) {
        batch.forEach((entry) => entry.reject(new BatchWriterClosedError()));
      } else {
        await this.writeOneByOne(batch);
      }
    }
  }

  private async writeOneByOne(batch: Pending<T, R>[]): Promise<void> {
    for (const entry of batch) {
      const written = await this.writeWaitingOutFailures([entry.item]);
      if (written.ok) entry.resolve(written.results[0] as R);
      else entry.reject(written.closed ? new BatchWriterClosedError() : written.error);
    }
  }

  private async writeWaitingOutFailures(
    items: T[],
  ): Promise<{ ok: true; results: R[] } | { ok: false; closed: boolean; error: unknown }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, results: await this.options.write(items) };
      } catch (error) {
        if (!(await this.options.isTransient(error))) return { ok: false, closed: false, error };
        if (this.closed) return { ok: false, closed: true, error };
        const delayMs = Math.min(this.backoffMs * 2 ** Math.min(attempt - 1, 16), this.maxBackoffMs);
        this.options.onTransientFailure?.(error, attempt, delayMs);
        await this.sleep(delayMs);
        if (this.closed) return { ok: false, closed: true, error };
      }
    }
  }
}
