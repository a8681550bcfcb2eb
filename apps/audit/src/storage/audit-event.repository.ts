import { type TokenType } from '@credroam/roaming';
import { type DataSource } from 'typeorm';
import { filterConditions, type EventFilter } from '../events/event-filter';
import { type EventCursor } from '../events/event-cursor';
import { AUDIT_EVENT_COLUMNS, AuditEventRecord, type AuditEventRow } from './audit-event.entity';
import { num, runSql } from './sql';

const INSERT_COLUMNS = AUDIT_EVENT_COLUMNS.join(', ');

/**
 * SQLite's batch insert takes the rows as one JSON array, so that its text is the same whatever the batch size.
 * TypeORM's better-sqlite3 driver keeps up to 100 prepared statements by text: with a VALUES list per batch size,
 * every size from 1 to the prefetch was a statement of its own, each holding its compiled program (about 250 KB for
 * a batch of 200) in native memory that V8 does not see: audit peaked 30-50 MB higher in bench:storm.
 * (PostgreSQL keeps the VALUES list: node-postgres prepares nothing that is not named.) `WHERE true` is SQLite's
 * own rule for an upsert fed by a SELECT: without it the parser would read ON CONFLICT as a join's ON.
 */
const SQLITE_BATCH_INSERT = `INSERT INTO audit_event (${INSERT_COLUMNS})
  SELECT ${AUDIT_EVENT_COLUMNS.map((_, column) => `value ->> ${column}`).join(', ')} FROM json_each(?)
  WHERE true ON CONFLICT (id) DO NOTHING RETURNING id`;

function postgresBatchInsert(rowCount: number): string {
  const width = AUDIT_EVENT_COLUMNS.length;
  const tuples = Array.from(
    { length: rowCount },
    (_, row) => `(${AUDIT_EVENT_COLUMNS.map((_column, index) => `$${row * width + index + 1}`).join(', ')})`,
  );
  return `INSERT INTO audit_event (${INSERT_COLUMNS}) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING RETURNING id`;
}

/** A row's values in the order of AUDIT_EVENT_COLUMNS. */
function columnValues(row: AuditEventRow): unknown[] {
  return [
    row.id,
    row.type,
    row.version,
    row.occurredAt,
    row.receivedAt,
    row.correlationId,
    row.user,
    row.machine,
    row.code,
    row.tokenType,
    row.tokenId,
    row.tokenSize,
    row.payload,
  ];
}

/** Token events that change what the directory holds for a token key; the latest one per key is its state. */
const TOKEN_STATE_TYPES = ['token.uploaded', 'token.downloaded', 'token.tombstoned', 'token.purged'];
const LIVE_TOKEN_TYPES = ['token.uploaded', 'token.downloaded'];
const SYNC_END_TYPES = ['sync.completed', 'sync.failed'];

export interface TokenTypeCount {
  tokenType: TokenType;
  live: number;
  tombstoned: number;
  bytes: number;
}

export interface MachineSync {
  machine: string;
  type: string;
  code: number;
  occurredAt: number;
  correlationId: string;
}

export interface CodeCount {
  code: number;
  count: number;
}

export interface TypeCount {
  type: string;
  count: number;
}

export interface SyncBucket {
  start: number;
  completed: number;
  failed: number;
}

export interface UserCount {
  user: string;
  count: number;
}

export interface UserSize {
  user: string;
  bytes: number;
  tokens: number;
}

/**
 * The only file that speaks SQL. Everything runs on PostgreSQL and SQLite alike: portable SQL with TypeORM's
 * `:name` parameters, times as epoch milliseconds, and `INSERT … ON CONFLICT (id) DO NOTHING RETURNING id`
 * (SQLite ≥ 3.35) so a redelivered event is stored once and the caller learns which rows are new.
 */
export class AuditEventRepository {
  constructor(private readonly dataSource: DataSource) {}

  get databaseKind(): 'postgres' | 'sqlite' {
    return this.dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
  }

  /** Inserts the rows in one statement (one transaction); resolves with the ids that were not stored before. */
  async insert(rows: readonly AuditEventRow[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const tuples = rows.map(columnValues);
    const inserted: { id: string }[] =
      this.databaseKind === 'postgres'
        ? await this.dataSource.query(postgresBatchInsert(rows.length), tuples.flat())
        : await this.dataSource.query(SQLITE_BATCH_INSERT, [JSON.stringify(tuples)]);
    return new Set(inserted.map((row) => row.id));
  }

  /** Newest first, strictly after `after` in that order; `limit` rows at most. */
  async page(filter: EventFilter, after: EventCursor | null, limit: number): Promise<AuditEventRow[]> {
    const query = this.dataSource.getRepository(AuditEventRecord).createQueryBuilder('e');
    for (const condition of filterConditions(filter)) query.andWhere(condition.sql, condition.params);
    if (after) {
      // A row-value comparison, so both databases walk the (…, occurred_at, id) index backwards from the cursor.
      query.andWhere('(e.occurred_at, e.id) < (:afterAt, :afterId)', {
        afterAt: after.occurredAt,
        afterId: after.id,
      });
    }
    return query.orderBy('e.occurred_at', 'DESC').addOrderBy('e.id', 'DESC').limit(limit).getMany();
  }

  async count(filter: EventFilter = {}): Promise<number> {
    const query = this.dataSource.getRepository(AuditEventRecord).createQueryBuilder('e');
    for (const condition of filterConditions(filter)) query.andWhere(condition.sql, condition.params);
    return query.getCount();
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  /**
   * Refreshes the planner's statistics. Without them SQLite may walk the type index for "this user's conflicts"
   * (every conflict of the fleet) instead of the user index: 50 ms instead of 0.3 ms at 300,000 rows. PostgreSQL's
   * autovacuum analyzes too, but only after enough changes; an explicit ANALYZE samples, so it stays cheap.
   */
  async optimize(): Promise<void> {
    if (this.databaseKind === 'postgres') await this.dataSource.query('ANALYZE audit_event');
    // 0x10002: consider every table, also those this connection has not used yet (SQLite ≥ 3.46).
    else await this.dataSource.query('PRAGMA optimize=0x10002');
  }

  /**
   * Deletes events that occurred before `cutoff`, `chunk` rows per statement so that no single transaction holds
   * locks for long; resolves with the number deleted.
   */
  async purgeOlderThan(cutoff: number, chunk = 5_000): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.raw<{ id: string }>(
        `DELETE FROM audit_event WHERE id IN (
           SELECT id FROM audit_event WHERE occurred_at < :cutoff ORDER BY occurred_at LIMIT :chunk
         ) RETURNING id`,
        { cutoff, chunk },
      );
      total += deleted.length;
      if (deleted.length < chunk) return total;
    }
  }

  // Per-user summary

  /** The user's tokens as audit last saw each of them (latest state-changing event per token key). */
  async tokensByType(user: string): Promise<TokenTypeCount[]> {
    const rows = await this.raw<Record<string, unknown>>(
      `SELECT token_type AS "tokenType",
              SUM(CASE WHEN type IN (:...live) THEN 1 ELSE 0 END) AS "live",
              SUM(CASE WHEN type = 'token.tombstoned' THEN 1 ELSE 0 END) AS "tombstoned",
              SUM(CASE WHEN type IN (:...live) THEN COALESCE(token_size, 0) ELSE 0 END) AS "bytes"
       FROM (
         SELECT token_type, token_size, type,
                ROW_NUMBER() OVER (PARTITION BY token_type, token_id ORDER BY occurred_at DESC, id DESC) AS rn
         FROM audit_event
         WHERE user_name = :user AND type IN (:...stateTypes) AND token_type IS NOT NULL AND token_id IS NOT NULL
       ) latest
       WHERE rn = 1
       GROUP BY token_type
       ORDER BY token_type`,
      { user, live: LIVE_TOKEN_TYPES, stateTypes: TOKEN_STATE_TYPES },
    );
    return rows.map((row) => ({
      tokenType: String(row.tokenType) as TokenType,
      live: num(row.live),
      tombstoned: num(row.tombstoned),
      bytes: num(row.bytes),
    }));
  }

  /** The last sync outcome of each machine the user synced from. */
  async lastSyncPerMachine(user: string, limit: number): Promise<MachineSync[]> {
    const rows = await this.raw<Record<string, unknown>>(
      `SELECT machine, type, code, occurred_at AS "occurredAt", correlation_id AS "correlationId"
       FROM (
         SELECT machine, type, code, occurred_at, correlation_id,
                ROW_NUMBER() OVER (PARTITION BY machine ORDER BY occurred_at DESC, id DESC) AS rn
         FROM audit_event
         WHERE user_name = :user AND type IN (:...types) AND machine IS NOT NULL
       ) latest
       WHERE rn = 1
       ORDER BY "occurredAt" DESC
       LIMIT :limit`,
      { user, types: SYNC_END_TYPES, limit },
    );
    return rows.map((row) => ({
      machine: String(row.machine),
      type: String(row.type),
      code: num(row.code),
      occurredAt: num(row.occurredAt),
      correlationId: String(row.correlationId),
    }));
  }

  /**
   * Conflicts nobody has acted on yet: the token has not been written again (uploaded, deleted or purged) by a
   * later sync than the one that reported the conflict.
   */
  async openConflicts(user: string, limit: number): Promise<AuditEventRow[]> {
    return this.dataSource
      .getRepository(AuditEventRecord)
      .createQueryBuilder('e')
      .where('e.user_name = :user', { user })
      .andWhere("e.type = 'token.conflict'")
      .andWhere(
        `NOT EXISTS (
           SELECT 1 FROM audit_event later
           WHERE later.user_name = e.user_name AND later.token_type = e.token_type AND later.token_id = e.token_id
             AND later.type IN ('token.uploaded', 'token.tombstoned', 'token.purged')
             AND later.occurred_at > e.occurred_at AND later.correlation_id <> e.correlation_id
         )`,
      )
      .orderBy('e.occurred_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(limit)
      .getMany();
  }

  async codeCounts(filter: EventFilter): Promise<CodeCount[]> {
    const query = this.dataSource
      .getRepository(AuditEventRecord)
      .createQueryBuilder('e')
      .select('e.code', 'code')
      .addSelect('COUNT(*)', 'count');
    for (const condition of filterConditions(filter)) query.andWhere(condition.sql, condition.params);
    const rows = await query.groupBy('e.code').orderBy('e.code').getRawMany<Record<string, unknown>>();
    return rows.map((row) => ({ code: num(row.code), count: num(row.count) }));
  }

  async typeCounts(filter: EventFilter): Promise<TypeCount[]> {
    const query = this.dataSource
      .getRepository(AuditEventRecord)
      .createQueryBuilder('e')
      .select('e.type', 'type')
      .addSelect('COUNT(*)', 'count');
    for (const condition of filterConditions(filter)) query.andWhere(condition.sql, condition.params);
    const rows = await query.groupBy('e.type').orderBy('e.type').getRawMany<Record<string, unknown>>();
    return rows.map((row) => ({ type: String(row.type), count: num(row.count) }));
  }

  // Fleet summary

  /** Completed and failed syncs per bucket of `bucketMs`, buckets aligned to the epoch; empty buckets omitted. */
  async syncBuckets(from: number, to: number, bucketMs: number): Promise<SyncBucket[]> {
    const rows = await this.raw<Record<string, unknown>>(
      `SELECT (occurred_at / :bucket) * :bucket AS "start",
              SUM(CASE WHEN type = 'sync.completed' THEN 1 ELSE 0 END) AS "completed",
              SUM(CASE WHEN type = 'sync.failed' THEN 1 ELSE 0 END) AS "failed"
       FROM audit_event
       WHERE type IN (:...types) AND occurred_at >= :from AND occurred_at < :to
       GROUP BY 1
       ORDER BY 1`,
      { bucket: bucketMs, types: SYNC_END_TYPES, from, to },
    );
    return rows.map((row) => ({
      start: num(row.start),
      completed: num(row.completed),
      failed: num(row.failed),
    }));
  }

  async topUsersByConflicts(from: number, to: number, limit: number): Promise<UserCount[]> {
    const rows = await this.raw<Record<string, unknown>>(
      `SELECT user_name AS "user", COUNT(*) AS "count"
       FROM audit_event
       WHERE type = 'token.conflict' AND occurred_at >= :from AND occurred_at < :to AND user_name IS NOT NULL
       GROUP BY user_name
       ORDER BY 2 DESC, 1
       LIMIT :limit`,
      { from, to, limit },
    );
    return rows.map((row) => ({ user: String(row.user), count: num(row.count) }));
  }

  /** Users by the size of their roaming data as audit last saw it (live tokens' sizes). */
  async topUsersBySize(limit: number): Promise<UserSize[]> {
    const rows = await this.raw<Record<string, unknown>>(
      `SELECT user_name AS "user", SUM(COALESCE(token_size, 0)) AS "bytes", COUNT(*) AS "tokens"
       FROM (
         SELECT user_name, token_size, type,
                ROW_NUMBER() OVER (PARTITION BY user_name, token_type, token_id ORDER BY occurred_at DESC, id DESC) AS rn
         FROM audit_event
         WHERE type IN (:...stateTypes) AND user_name IS NOT NULL AND token_type IS NOT NULL AND token_id IS NOT NULL
       ) latest
       WHERE rn = 1 AND type IN (:...live)
       GROUP BY user_name
       ORDER BY 2 DESC, 1
       LIMIT :limit`,
      { stateTypes: TOKEN_STATE_TYPES, live: LIVE_TOKEN_TYPES, limit },
    );
    return rows.map((row) => ({ user: String(row.user), bytes: num(row.bytes), tokens: num(row.tokens) }));
  }

  private raw<T>(sql: string, params: Record<string, unknown>): Promise<T[]> {
    return runSql<T>(this.dataSource, sql, params);
  }
}
