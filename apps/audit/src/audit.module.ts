import { ObservabilityModule } from '@credroam/observability';
import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AMQP_CONFIG, BrokerHealthIndicator } from '@credroam/messaging';
import { healthChecksModule, httpLoggerModule, ProblemFilter, type Logger } from '@credroam/platform';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { OperatorTokenGuard } from './access/operator-token.guard';
import { AuditLifecycle } from './audit.lifecycle';
import { AUDIT_CONFIG, AUDIT_LOGGER } from './audit.tokens';
import { describeDatabase, type AuditConfig } from './config/audit.config';
import { DashboardController } from './dashboard/dashboard.controller';
import { DocsController } from './docs/docs.controller';
import { EventsController } from './events/events.controller';
import { EventsService } from './events/events.service';
import { HealthController } from './health/health.controller';
import { IngestHealthIndicator } from './health/ingest.health';
import { NoBodyMiddleware } from './http/no-body.middleware';
import { SecurityHeadersMiddleware } from './http/security-headers.middleware';
import { IngestHandler } from './ingest/ingest.handler';
import { IngestService } from './ingest/ingest.service';
import { AuditMetrics } from './metrics/audit-metrics';
import { RetentionService } from './retention/retention.service';
import { InventoryController } from './inventory/inventory.controller';
import { InventoryService } from './inventory/inventory.service';
import { AuditEventRepository } from './storage/audit-event.repository';
import { CertificateInventoryRepository } from './storage/certificate-inventory.repository';
import { dataSourceOptions, runMigrations } from './storage/database';
import { StreamController } from './stream/stream.controller';
import { LiveFeedService } from './stream/live-feed.service';
import { amqpLiveEventSource } from './stream/live-event.subscriber';
import { SummariesController } from './summaries/summaries.controller';
import { SummariesService } from './summaries/summaries.service';

const CONTROLLERS = [
  EventsController,
  SummariesController,
  InventoryController,
  StreamController,
  HealthController,
  DocsController,
  DashboardController,
];

/** Wiring only: every class here is plain and built by a factory, so tests and the benchmark build them alike. */
@Module({})
export class AuditModule implements NestModule {
  static forRoot(config: AuditConfig, logger: Logger): DynamicModule {
    const metrics = new AuditMetrics();
    return {
      module: AuditModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...dataSourceOptions(config.database), retryAttempts: 10, retryDelay: 3_000 }),
          dataSourceFactory: async (options?: DataSourceOptions) => {
            const dataSource = await new DataSource(options as DataSourceOptions).initialize();
            const applied = await runMigrations(dataSource);
            logger.info({ database: describeDatabase(config.database), applied }, 'database ready');
            return dataSource;
          },
        }),
        healthChecksModule(),
        httpLoggerModule(logger),
        ObservabilityModule.forRoot(metrics.registry),
      ],
      controllers: CONTROLLERS,
      providers: [
        { provide: AUDIT_CONFIG, useValue: config },
        { provide: AUDIT_LOGGER, useValue: logger },
        // Every refusal in the one problem format of credroam's HTTP APIs (libs/platform).
        { provide: APP_FILTER, useValue: new ProblemFilter(logger, 'Bearer realm="credroam-audit"') },
        OperatorTokenGuard,
        AuditLifecycle,
        { provide: AuditMetrics, useValue: metrics },
        {
          provide: AuditEventRepository,
          useFactory: (dataSource: DataSource) => new AuditEventRepository(dataSource),
          inject: [DataSource],
        },
        {
          provide: CertificateInventoryRepository,
          useFactory: (dataSource: DataSource) => new CertificateInventoryRepository(dataSource),
          inject: [DataSource],
        },
        {
          provide: IngestService,
          useFactory: (
            events: AuditEventRepository,
            metrics: AuditMetrics,
            inventory: CertificateInventoryRepository,
          ) => new IngestService(events, metrics, logger, { maxBatch: config.prefetch }, inventory),
          inject: [AuditEventRepository, AuditMetrics, CertificateInventoryRepository],
        },
        {
          provide: InventoryService,
          useFactory: (inventory: CertificateInventoryRepository, metrics: AuditMetrics) => {
            const service = new InventoryService(inventory);
            metrics.watchInventory(service);
            return service;
          },
          inject: [CertificateInventoryRepository, AuditMetrics],
        },
        {
          provide: IngestHandler,
          useFactory: (ingest: IngestService, metrics: AuditMetrics) => {
            const handler = new IngestHandler(config, ingest, logger);
            metrics.watchQueue(handler);
            return handler;
          },
          inject: [IngestService, AuditMetrics],
        },
        {
          provide: EventsService,
          useFactory: (events: AuditEventRepository) => new EventsService(events),
          inject: [AuditEventRepository],
        },
        {
          provide: SummariesService,
          useFactory: (events: AuditEventRepository) => new SummariesService(events),
          inject: [AuditEventRepository],
        },
        {
          provide: LiveFeedService,
          useFactory: (metrics: AuditMetrics) =>
            new LiveFeedService(amqpLiveEventSource(config.amqp, logger), logger, {
              onClientsChanged: (count) => metrics.streamClientsChanged(count),
            }),
          inject: [AuditMetrics],
        },
        {
          provide: RetentionService,
          useFactory: (events: AuditEventRepository, metrics: AuditMetrics) =>
            new RetentionService(events, logger, {
              retentionDays: config.retentionDays,
              intervalMs: config.purgeIntervalMs,
              onPurged: (count) => metrics.eventsPurged(count),
            }),
          inject: [AuditEventRepository, AuditMetrics],
        },
        {
          provide: IngestHealthIndicator,
          useFactory: (indicators: HealthIndicatorService, ingest: IngestService) =>
            new IngestHealthIndicator(indicators, ingest),
          inject: [HealthIndicatorService, IngestService],
        },
        { provide: AMQP_CONFIG, useValue: config.amqp },
        BrokerHealthIndicator,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(SecurityHeadersMiddleware, NoBodyMiddleware).forRoutes(...CONTROLLERS);
  }
}
