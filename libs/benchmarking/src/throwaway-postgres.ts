import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The PostgreSQL server benchmarks create their databases on (CREDROAM_BENCH_PG names another). */
export const BENCH_POSTGRES_ADMIN_URL =
  process.env.CREDROAM_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ThrowawayDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function asAdmin(adminUrl: string, statement: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}

/**
 * A database of its own on a shared server, named `<prefix>_<random hex>` (the prefix is the caller's constant,
 * never input), so that runs beside each other and leftovers never collide; drop() forces out what still holds it.
 */
export async function createThrowawayDatabase(
  prefix: string,
  adminUrl: string = BENCH_POSTGRES_ADMIN_URL,
): Promise<ThrowawayDatabase> {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(prefix)) throw new Error(`not a database name prefix: ${prefix}`);
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await asAdmin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => asAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
