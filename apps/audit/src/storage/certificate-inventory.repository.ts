import { type DataSource } from 'typeorm';
import { type InventoryChange } from '../inventory/inventory-change';
import { num, runSql } from './sql';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Weeks start on Monday 00:00 UTC: 1970-01-05 was the first Monday after the epoch (a Thursday). */
const FIRST_MONDAY_MS = 4 * DAY_MS;

/** One live certificate of the inventory. Times are epoch milliseconds. */
export interface InventoryRow {
  user: string;
  thumbprint: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: number;
  notAfter: number;
  keyAlgorithm: string;
  keySize: number | null;
  signatureAlgorithm: string;
  /** Comma-separated, empty for none. */
  weaknesses: string;
  firstSeenAt: number;
  changedAt: number;
}

export interface InventoryFilter {
  user?: string;
  /** notAfter within [now, now + days). */
  expiringWithinDays?: number;
  /** notAfter before now. */
  expired?: boolean;
  weak?: boolean;
  /** Case-insensitive substring of the user, subject, issuer, thumbprint or serial number. */
  search?: string;
}

export interface InventoryCounts {
  total: number;
  expired: number;
  weak: number;
  /** Not yet expired, expiring within each of the asked windows (days → count). */
  expiring: Map<number, number>;
}

export interface ExpiryWeek {
  start: number;
  count: number;
  weak: number;
}

const COLUMNS = `user_name AS "user", thumbprint, subject, issuer, serial_number AS "serialNumber",
  not_before AS "notBefore", not_after AS "notAfter", key_algorithm AS "keyAlgorithm", key_size AS "keySize",
  signature_algorithm AS "signatureAlgorithm", weaknesses, first_seen_at AS "firstSeenAt", changed_at AS "changedAt"`;

/** LIKE's wildcards taken literally (with ESCAPE '\'). */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/**
 * The certificate inventory's SQL, portable between PostgreSQL and SQLite. Every change is guarded by
 * `changed_at`, so applying a batch again (a redelivery, a retried batch) or an older event late changes nothing.
 */
export class CertificateInventoryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Applies the changes in order; idempotent. */
  async apply(changes: readonly InventoryChange[]): Promise<void> {
    for (const change of changes) {
      switch (change.kind) {
        case 'seen': {
          const { certificate } = change;
          await runSql(
            this.dataSource,
            `INSERT INTO certificate_inventory (user_name, thumbprint, subject, issuer, serial_number, not_before,
               not_after, key_algorithm, key_size, signature_algorithm, weaknesses, first_seen_at, changed_at, removed_at)
             VALUES (:user, :thumbprint, :subject, :issuer, :serial, :notBefore, :notAfter, :keyAlgorithm, :keySize,
               :signatureAlgorithm, :weaknesses, :at, :at, NULL)
             ON CONFLICT (user_name, thumbprint) DO UPDATE SET
               subject = excluded.subject, issuer = excluded.issuer, serial_number = excluded.serial_number,
               not_before = excluded.not_before, not_after = excluded.not_after,
               key_algorithm = excluded.key_algorithm, key_size = excluded.key_size,
               signature_algorithm = excluded.signature_algorithm, weaknesses = excluded.weaknesses,
               changed_at = excluded.changed_at, removed_at = NULL
             WHERE certificate_inventory.changed_at <= excluded.changed_at`,
            {
              user: change.user,
              thumbprint: change.thumbprint,
              subject: certificate.subject,
              issuer: certificate.issuer,
              serial: certificate.serialNumber,
              notBefore: Date.parse(certificate.notBefore),
              notAfter: Date.parse(certificate.notAfter),
              keyAlgorithm: certificate.keyAlgorithm,
              keySize: certificate.keySize,
              signatureAlgorithm: certificate.signatureAlgorithm,
              weaknesses: certificate.weaknesses.join(','),
              at: change.at,
            },
          );
          break;
        }
        case 'removed':
          await runSql(
            this.dataSource,
            `UPDATE certificate_inventory SET removed_at = :at, changed_at = :at
             WHERE user_name = :user AND thumbprint = :thumbprint AND changed_at <= :at`,
            { user: change.user, thumbprint: change.thumbprint, at: change.at },
          );
          break;
        case 'user-purged':
          await runSql(
            this.dataSource,
            `UPDATE certificate_inventory SET removed_at = :at, changed_at = :at
             WHERE user_name = :user AND changed_at <= :at`,
            { user: change.user, at: change.at },
          );
          break;
      }
    }
  }

  /** Live certificates matching the filter, soonest expiry first; `limit` rows at most. */
  async list(filter: InventoryFilter, now: number, limit: number): Promise<InventoryRow[]> {
    const where = ['removed_at IS NULL'];
    const params: Record<string, unknown> = { now, limit };
    if (filter.user !== undefined) {
      where.push('user_name = :user');
      params.user = filter.user;
    }
    if (filter.expiringWithinDays !== undefined) {
      where.push('not_after >= :now AND not_after < :until');
      params.until = now + filter.expiringWithinDays * DAY_MS;
    }
    if (filter.expired !== undefined) where.push(filter.expired ? 'not_after < :now' : 'not_after >= :now');
    if (filter.weak !== undefined) where.push(filter.weak ? "weaknesses <> ''" : "weaknesses = ''");
    if (filter.search !== undefined && filter.search !== '') {
      where.push(
        `(LOWER(user_name) LIKE :search ESCAPE '\\' OR LOWER(subject) LIKE :search ESCAPE '\\'
          OR LOWER(issuer) LIKE :search ESCAPE '\\' OR LOWER(thumbprint) LIKE :search ESCAPE '\\'
          OR LOWER(serial_number) LIKE :search ESCAPE '\\')`,
      );
      params.search = likePattern(filter.search);
    }
    const rows = await runSql<Record<string, unknown>>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM certificate_inventory WHERE ${where.join(' AND ')}
       ORDER BY not_after, user_name, thumbprint LIMIT :limit`,
      params,
    );
    return rows.map((row) => ({
      user: String(row.user),
      thumbprint: String(row.thumbprint),
      subject: String(row.subject),
      issuer: String(row.issuer),
      serialNumber: String(row.serialNumber),
      notBefore: num(row.notBefore),
      notAfter: num(row.notAfter),
      keyAlgorithm: String(row.keyAlgorithm),
      keySize: row.keySize === null || row.keySize === undefined ? null : num(row.keySize),
      signatureAlgorithm: String(row.signatureAlgorithm),
      weaknesses: String(row.weaknesses),
      firstSeenAt: num(row.firstSeenAt),
      changedAt: num(row.changedAt),
    }));
  }

  /** Counts of live certificates, fleet-wide or of one user, in one scan. */
  async counts(now: number, windowsDays: readonly number[], user?: string): Promise<InventoryCounts> {
    const params: Record<string, unknown> = { now, user };
    const windows = windowsDays.map((days, index) => {
      params[`until${index}`] = now + days * DAY_MS;
      return `SUM(CASE WHEN not_after >= :now AND not_after < :until${index} THEN 1 ELSE 0 END) AS "within${index}"`;
    });
    const [row] = await runSql<Record<string, unknown>>(
      this.dataSource,
      `SELECT COUNT(*) AS "total",
              SUM(CASE WHEN not_after < :now THEN 1 ELSE 0 END) AS "expired",
              SUM(CASE WHEN weaknesses <> '' THEN 1 ELSE 0 END) AS "weak"
              ${windows.map((sql) => `, ${sql}`).join('')}
       FROM certificate_inventory WHERE removed_at IS NULL ${user === undefined ? '' : 'AND user_name = :user'}`,
      params,
    );
    return {
      total: num(row?.total),
      expired: num(row?.expired),
      weak: num(row?.weak),
      expiring: new Map(windowsDays.map((days, index) => [days, num(row?.[`within${index}`])])),
    };
  }

  /** Live certificates expiring in each week (Monday 00:00 UTC) from this week on, for `weeks` weeks. */
  async expiryWeeks(now: number, weeks: number, user?: string): Promise<ExpiryWeek[]> {
    const from = Math.floor((now - FIRST_MONDAY_MS) / WEEK_MS) * WEEK_MS + FIRST_MONDAY_MS;
    const rows = await runSql<Record<string, unknown>>(
      this.dataSource,
      `SELECT ((not_after - :monday) / :week) * :week + :monday AS "start", COUNT(*) AS "count",
              SUM(CASE WHEN weaknesses <> '' THEN 1 ELSE 0 END) AS "weak"
       FROM certificate_inventory
       WHERE removed_at IS NULL AND not_after >= :from AND not_after < :to
         ${user === undefined ? '' : 'AND user_name = :user'}
       GROUP BY 1 ORDER BY 1`,
      { monday: FIRST_MONDAY_MS, week: WEEK_MS, from, to: from + weeks * WEEK_MS, user },
    );
    return rows.map((row) => ({ start: num(row.start), count: num(row.count), weak: num(row.weak) }));
  }
}
