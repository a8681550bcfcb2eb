export * from './logger';
export * from './nest-logger';
export * from './env';
export * from './health/health-check.result';
export * from './health/health-checks.module';
export * from './health/health-listener';
export * from './http/correlation';
export * from './http/http-logger.module';
