import { CERTIFICATE_WEAKNESSES, type CertificateWeakness } from '@credroam/roaming';
import { type CertificatePage, type CertificatesSummary } from '../contract/audit-api.schemas';
import {
  type ExpiryWeek,
  type InventoryCounts,
  type InventoryFilter,
  type InventoryRow,
} from '../storage/certificate-inventory.repository';

/** What the inventory needs from storage. */
export interface InventoryReader {
  list(filter: InventoryFilter, now: number, limit: number): Promise<InventoryRow[]>;
  counts(now: number, windowsDays: readonly number[], user?: string): Promise<InventoryCounts>;
  expiryWeeks(now: number, weeks: number, user?: string): Promise<ExpiryWeek[]>;
}

/** The windows of `credroam_certificates_expiring{within}` and of the summary. */
export const EXPIRY_WINDOWS = Object.freeze({ '7d': 7, '30d': 30 } as const);
export type ExpiryWindow = keyof typeof EXPIRY_WINDOWS;
const WINDOW_DAYS = Object.values(EXPIRY_WINDOWS);

export interface FleetCertificateCounts {
  total: number;
  expired: number;
  weak: number;
  expiring: Record<ExpiryWindow, number>;
}

const DEFAULT_LIMIT = 200;
const DEFAULT_WEEKS = 26;
const KNOWN: ReadonlySet<string> = new Set(CERTIFICATE_WEAKNESSES);
const iso = (ms: number) => new Date(ms).toISOString();

function weaknessesOf(stored: string): CertificateWeakness[] {
  return stored.split(',').filter((item): item is CertificateWeakness => KNOWN.has(item));
}

/**
 * The fleet's certificate inventory: which certificates roam, for whom, when they expire and which are weak. Fed
 * by ingest (the facts in token.uploaded and token.downloaded); read by the API, the gauges and the dashboard.
 */
export class InventoryService {
  constructor(
    private readonly store: InventoryReader,
    private readonly clock: () => number = Date.now,
  ) {}

  async certificates(filter: InventoryFilter, limit = DEFAULT_LIMIT): Promise<CertificatePage> {
    const now = this.clock();
    const rows = await this.store.list(filter, now, limit + 1);
    return {
      now: iso(now),
      certificates: rows.slice(0, limit).map((row) => ({
        user: row.user,
        thumbprint: row.thumbprint,
        subject: row.subject,
        issuer: row.issuer,
        serialNumber: row.serialNumber,
        notBefore: iso(row.notBefore),
        notAfter: iso(row.notAfter),
        keyAlgorithm: row.keyAlgorithm,
        keySize: row.keySize,
        signatureAlgorithm: row.signatureAlgorithm,
        weaknesses: weaknessesOf(row.weaknesses),
        expired: row.notAfter < now,
        firstSeenAt: iso(row.firstSeenAt),
        lastChangedAt: iso(row.changedAt),
      })),
      truncated: rows.length > limit,
    };
  }

  async summary(user?: string, weeks = DEFAULT_WEEKS): Promise<CertificatesSummary> {
    const now = this.clock();
    const [counts, byWeek] = await Promise.all([
      this.counts(now, user),
      this.store.expiryWeeks(now, weeks, user),
    ]);
    return {
      now: iso(now),
      total: counts.total,
      expired: counts.expired,
      weak: counts.weak,
      expiring: counts.expiring,
      weeks: byWeek.map((week) => ({ start: iso(week.start), count: week.count, weak: week.weak })),
    };
  }

  /** Fleet-wide counts, for the Prometheus gauges. */
  fleetCounts(): Promise<FleetCertificateCounts> {
    return this.counts(this.clock());
  }

  private async counts(now: number, user?: string): Promise<FleetCertificateCounts> {
    const counts = await this.store.counts(now, WINDOW_DAYS, user);
    return {
      total: counts.total,
      expired: counts.expired,
      weak: counts.weak,
      expiring: {
        '7d': counts.expiring.get(EXPIRY_WINDOWS['7d']) ?? 0,
        '30d': counts.expiring.get(EXPIRY_WINDOWS['30d']) ?? 0,
      },
    };
  }
}
