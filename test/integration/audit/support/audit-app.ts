// Runs audit in this process (integration suites): the real module, real database and broker, port 0.
import { type AddressInfo } from 'node:net';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type EventPublisher } from '@credroam/messaging';
import { createLogger, NestPinoLogger } from '@credroam/platform';
import { AuditModule } from '../../../../apps/audit/src/audit.module';
import { loadAuditConfig, type AuditConfig } from '../../../../apps/audit/src/config/audit.config';
import { connectedPublisher, deleteNamespace } from './broker';
import { type AuditDatabase } from './databases';

export const OPERATOR_TOKEN = 'integration-operator-token';

export interface RunningAudit {
  app: INestApplication;
  config: AuditConfig;
  url: string;
  get(path: string, token?: string | null): Promise<Response>;
  json<T>(path: string): Promise<T>;
  close(): Promise<void>;
}

export function auditEnv(
  namespace: string,
  database: string,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    CREDROAM_AMQP_URL: process.env.CREDROAM_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    CREDROAM_AMQP_NAMESPACE: namespace,
    CREDROAM_AUDIT_DB: database,
    CREDROAM_AUDIT_OPERATOR_TOKEN: OPERATOR_TOKEN,
    CREDROAM_AUDIT_PORT: '0',
    CREDROAM_AUDIT_RETRY_DELAY_MS: '200',
    ...extra,
  };
}

export async function startAudit(env: NodeJS.ProcessEnv): Promise<RunningAudit> {
  const config = loadAuditConfig(env);
  const logger = createLogger('audit', { level: process.env.CREDROAM_LOG_LEVEL ?? 'error' });
  // As main.ts: no body parser (no route reads a body).
  const app = await NestFactory.create(AuditModule.forRoot(config, logger), {
    bodyParser: false,
    logger: new NestPinoLogger(logger),
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const get = (path: string, token: string | null = OPERATOR_TOKEN) =>
    fetch(`${url}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return {
    app,
    config,
    url,
    get,
    async json<T>(path: string): Promise<T> {
      const response = await get(path);
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
    close: () => app.close(),
  };
}

/** What a suite of audit in this process gets: the running audit and a publisher on its namespace. */
export interface AuditSuite {
  audit: RunningAudit;
  publisher: EventPublisher;
}

/**
 * Audit in this process on a fresh database of the kind given, with a publisher on `namespace`, for the suite that
 * calls it (beforeAll/afterAll); the returned object is filled in before the first test.
 */
export function useAuditSuite(database: { create(): Promise<AuditDatabase> }, namespace: string): AuditSuite {
  const suite = {} as AuditSuite;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const db = await database.create();
    drop = () => db.drop();
    suite.audit = await startAudit(auditEnv(namespace, db.url));
    suite.publisher = await connectedPublisher(namespace);
  });
  afterAll(async () => {
    await suite.publisher?.close();
    await suite.audit?.close();
    await drop?.();
    await deleteNamespace(namespace);
  });
  return suite;
}
