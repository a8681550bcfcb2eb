import { type DataSource } from 'typeorm';

/** Runs portable SQL with TypeORM's `:name` parameters (`:...name` for lists) on either database. */
export async function runSql<T>(
  dataSource: DataSource,
  sql: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  const [query, values] = dataSource.driver.escapeQueryWithParameters(sql, params, {});
  return dataSource.query(query, values);
}

/** A count or sum as the drivers return it (PostgreSQL: bigint as a string; null for an empty SUM). */
export const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));
