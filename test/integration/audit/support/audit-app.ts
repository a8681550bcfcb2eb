// Runs audit in this process (integration suites): the real module, real database and broker, port 0.
import { type AddressInfo } from 'node:net';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, NestPinoLogger } from '@credroam/platform';
import { AuditModule } from '../../../../apps/audit/src/audit.module';
import { loadAuditConfig, type AuditConfig } from '../../../../apps/audit/src/config/audit.config';

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
  const app = await NestFactory.create(AuditModule.forRoot(config, logger), {
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
