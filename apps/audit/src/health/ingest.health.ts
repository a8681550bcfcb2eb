import { type HealthIndicatorService } from '@nestjs/terminus';
import { type StoreStatus } from '../ingest/ingest.service';

/**
 * terminus indicator of ingest's writes: down while a write is failing and its events are held (the database
 * stopped, its disk full). The database's ping stays up on a full disk, so without this readiness would say all is
 * well while nothing can be stored.
 */
export class IngestHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly store: { storeStatus(): StoreStatus },
  ) {}

  isHealthy(key = 'ingest') {
    const indicator = this.indicators.check(key);
    const status = this.store.storeStatus();
    if (status.writable) return indicator.up();
    const cause = status.errorCode ? ` (${status.errorCode})` : '';
    return indicator.down({
      message: `writes failing since ${new Date(status.failingSince).toISOString()}${cause}; events held in the queue`,
    });
  }
}
