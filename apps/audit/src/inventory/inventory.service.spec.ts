import { type InventoryFilter, type InventoryRow } from '../storage/certificate-inventory.repository';
import { InventoryService, type InventoryReader } from './inventory.service';

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 11, 3, 12);

function stored(thumbprint: string, notAfter: number, weaknesses = ''): InventoryRow {
  return {
    user: 'alice',
    thumbprint,
    subject: 'CN=alice',
    issuer: 'CN=Example CA',
    serialNumber: '01',
    notBefore: NOW - 300 * DAY_MS,
    notAfter,
    keyAlgorithm: 'RSA',
    keySize: 2048,
    signatureAlgorithm: 'RSA-SHA256',
    weaknesses,
    firstSeenAt: NOW - DAY_MS,
    changedAt: NOW - 1000,
  };
}

class FakeInventory implements InventoryReader {
  lists: { filter: InventoryFilter; now: number; limit: number }[] = [];
  constructor(private readonly rows: InventoryRow[]) {}
  async list(filter: InventoryFilter, now: number, limit: number) {
    this.lists.push({ filter, now, limit });
    return this.rows.slice(0, limit);
  }
  async counts(_now: number, windowsDays: readonly number[]) {
    return { total: 7, expired: 1, weak: 2, expiring: new Map(windowsDays.map((days) => [days, days / 7])) };
  }
  async expiryWeeks() {
    return [{ start: Date.UTC(2026, 10, 30), count: 2, weak: 1 }];
  }
}

describe('InventoryService', () => {
  it('answers certificates with ISO times, the expired flag and known weaknesses, and says when it truncated', async () => {
    const reader = new FakeInventory([
      stored('A'.repeat(40), NOW - DAY_MS, 'sha1-signature'),
      stored('B'.repeat(40), NOW + 5 * DAY_MS, 'rsa-key-under-2048,from-a-newer-audit'),
      stored('C'.repeat(40), NOW + 400 * DAY_MS),
    ]);
    const service = new InventoryService(reader, () => NOW);
    const page = await service.certificates({ expiringWithinDays: 30 }, 2);
    expect(reader.lists).toEqual([{ filter: { expiringWithinDays: 30 }, now: NOW, limit: 3 }]);
    expect(page.truncated).toBe(true);
    expect(page.now).toBe(new Date(NOW).toISOString());
    expect(
      page.certificates.map(({ thumbprint, expired, weaknesses }) => ({ thumbprint, expired, weaknesses })),
    ).toEqual([
      { thumbprint: 'A'.repeat(40), expired: true, weaknesses: ['sha1-signature'] },
      { thumbprint: 'B'.repeat(40), expired: false, weaknesses: ['rsa-key-under-2048'] },
    ]);
    expect(page.certificates[1]).toMatchObject({
      notAfter: new Date(NOW + 5 * DAY_MS).toISOString(),
      lastChangedAt: new Date(NOW - 1000).toISOString(),
    });
  });

  it('summarises counts for the 7 and 30 day windows and expiries by week', async () => {
    const service = new InventoryService(new FakeInventory([]), () => NOW);
    await expect(service.summary()).resolves.toEqual({
      now: new Date(NOW).toISOString(),
      total: 7,
      expired: 1,
      weak: 2,
      expiring: { '7d': 1, '30d': 30 / 7 },
      weeks: [{ start: '2026-11-30T00:00:00.000Z', count: 2, weak: 1 }],
    });
    await expect(service.fleetCounts()).resolves.toMatchObject({ total: 7, weak: 2 });
  });
});
