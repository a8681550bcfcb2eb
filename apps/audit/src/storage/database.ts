import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type DataSource, type DataSourceOptions } from 'typeorm';
import { type DatabaseTarget } from '../config/audit.config';
import { AuditEventRecord } from './audit-event.entity';
import { CertificateInventoryRecord } from './certificate-inventory.entity';
import { AUDIT_MIGRATIONS } from './migrations';

const MIGRATIONS_TABLE = 'audit_migrations';
/** pg_advisory_lock key serialising migrations across replicas that boot together ("audit" in ASCII). */
const MIGRATION_LOCK_KEY = 0x61756469;

/**
 * TypeORM options for either database. Never `synchronize`: the schema comes from migrations only. SQLite runs
 * in WAL mode with synchronous=FULL, so a commit that audit acknowledges to the broker survives a power loss, not
 * only a crash.
 */
export function dataSourceOptions(target: DatabaseTarget): DataSourceOptions {
  const common = {
    entities: [AuditEventRecord, CertificateInventoryRecord],
    migrations: AUDIT_MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    synchronize: false,
    migrationsRun: false,
    logging: false,
  };
  if (target.kind === 'sqlite') {
    const path = resolve(target.path);
    mkdirSync(dirname(path), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: path,
      enableWAL: true,
      prepareDatabase: (db: { pragma(source: string): unknown }) => {
        db.pragma('synchronous = FULL');
        db.pragma('busy_timeout = 5000');
        // ANALYZE (run by PRAGMA optimize) samples instead of reading the whole table.
        db.pragma('analysis_limit = 1000');
      },
    };
  }
  return {
    ...common,
    type: 'postgres',
    url: target.url,
    applicationName: 'credroam-audit',
    extra: {
      max: 8,
      // Fail fast while PostgreSQL is down, so ingest waits and retries instead of piling up connections.
      connectionTimeoutMillis: 3_000,
      statement_timeout: 30_000,
    },
  };
}

/** Applies pending migrations once, whatever the number of replicas starting at the same time. */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  if (dataSource.options.type !== 'postgres') {
    return (await dataSource.runMigrations({ transaction: 'all' })).map((migration) => migration.name);
  }
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return (await dataSource.runMigrations({ transaction: 'all' })).map((migration) => migration.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}

// SQLSTATE classes and codes that say "the database is unavailable right now", not "this row is wrong":
// 08 connection exception, 53 insufficient resources, 57P admin shutdown / cannot connect now, 58 system error,
// 40001 serialization failure, 40P01 deadlock.
const TRANSIENT_SQLSTATE = /^(08|53|57P|58)|^40001$|^40P01$/;
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const TRANSIENT_SQLITE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL)/;
const TRANSIENT_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)|Connection is not established|terminating connection/i;

/**
 * Whether a database error is worth waiting out (the database is down or busy) rather than a problem with the
 * rows. Reads the driver's error through TypeORM's QueryFailedError wrapper.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NODE_CODES.has(code) || TRANSIENT_SQLITE.test(code))
        return true;
    }
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string' && TRANSIENT_MESSAGES.test(message)) return true;
    current = (current as { driverError?: unknown }).driverError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The first code the driver put on a database error (SQLSTATE, `SQLITE_FULL`, `ECONNREFUSED`), for logs and health. */
export function databaseErrorCode(error: unknown): string | null {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(code)) return code;
    current = (current as { driverError?: unknown }).driverError ?? (current as { cause?: unknown }).cause;
  }
  return null;
}
