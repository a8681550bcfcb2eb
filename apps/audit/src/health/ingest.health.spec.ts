import { HealthIndicatorService } from '@nestjs/terminus';
import { type StoreStatus } from '../ingest/ingest.service';
import { IngestHealthIndicator } from './ingest.health';

const indicatorFor = (status: StoreStatus) =>
  new IngestHealthIndicator(new HealthIndicatorService(), { storeStatus: () => status });

describe('ingest health', () => {
  it('is up while writes succeed', () => {
    expect(indicatorFor({ writable: true }).isHealthy()).toEqual({ ingest: { status: 'up' } });
  });

  it('is down while writes fail, with since when and the driver code, never the driver message', () => {
    const failingSince = Date.parse('2026-12-04T15:00:00.000Z');
    expect(indicatorFor({ writable: false, failingSince, errorCode: 'SQLITE_FULL' }).isHealthy()).toEqual({
      ingest: {
        status: 'down',
        message: 'writes failing since 2026-12-04T15:00:00.000Z (SQLITE_FULL); events held in the queue',
      },
    });
  });
});
