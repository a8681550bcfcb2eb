import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type Logger } from '@credroam/platform';
import { AUDIT_LOGGER } from './audit.tokens';
import { IngestHandler } from './ingest/ingest.handler';
import { IngestService } from './ingest/ingest.service';
import { RetentionService } from './retention/retention.service';
import { AuditEventRepository } from './storage/audit-event.repository';
import { LiveFeedService } from './stream/live-feed.service';

/**
 * Start and stop order. Consuming starts once the database is migrated and the HTTP app is built; at shutdown
 * streams end first (so the HTTP server can close), then consuming stops and running batches commit, and only
 * then does TypeORM close the database (in its own shutdown hook, which runs after this one).
 */
@Injectable()
export class AuditLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly ingestHandler: IngestHandler,
    private readonly ingest: IngestService,
    private readonly feed: LiveFeedService,
    private readonly retention: RetentionService,
    private readonly events: AuditEventRepository,
    @Inject(AUDIT_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.events.optimize();
    await this.ingestHandler.start();
    this.retention.start();
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.logger.info({ signal }, 'audit stopping');
    await this.feed.close();
    await this.ingestHandler.stop();
    await this.ingest.close();
    await this.retention.stop();
  }
}
