// A database of its own per test run on the shared PostgreSQL (127.0.0.1:5432, trust auth), dropped afterwards.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export const PG_HOST = process.env.CREDROAM_TEST_PG_HOST ?? '127.0.0.1';
export const PG_PORT = Number(process.env.CREDROAM_TEST_PG_PORT ?? 5432);
export const PG_USER = process.env.CREDROAM_TEST_PG_USER ?? 'postgres';

export function postgresUrl(database: string, port = PG_PORT, user = PG_USER): string {
  return `postgres://${user}@${PG_HOST}:${port}/${database}`;
}

async function admin<T>(work: (client: Client) => Promise<T>, port = PG_PORT, user = PG_USER): Promise<T> {
  const client = new Client({ host: PG_HOST, port, user, database: 'postgres' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(port = PG_PORT, user = PG_USER): Promise<string> {
  const name = `credroam_audit_${randomBytes(5).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`), port, user);
  return name;
}

export async function dropDatabase(name: string, port = PG_PORT, user = PG_USER): Promise<void> {
  if (!/^credroam_audit_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop ${name}`);
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`), port, user);
}

/** Runs one query against a test database. */
export async function queryDatabase<R extends Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
