import { SummariesService, type SummaryReader } from './summaries.service';

const HOUR = 3_600_000;

function reader(calls: unknown[][]): SummaryReader {
  const record =
    <T>(name: string, result: T) =>
    async (...args: unknown[]) => {
      calls.push([name, ...args]);
      return result;
    };
  return {
    page: record('page', []),
    tokensByType: record('tokensByType', []),
    lastSyncPerMachine: record('lastSyncPerMachine', []),
    openConflicts: record('openConflicts', []),
    codeCounts: record('codeCounts', [{ code: 1010, count: 2 }]),
    typeCounts: record('typeCounts', [
      { type: 'sync.completed', count: 5 },
      { type: 'sync.failed', count: 2 },
      { type: 'token.uploaded', count: 9 },
    ]),
    syncBuckets: record('syncBuckets', [{ start: 0, completed: 5, failed: 2 }]),
    topUsersByConflicts: record('topUsersByConflicts', []),
    topUsersBySize: record('topUsersBySize', []),
  };
}

describe('fleet summary', () => {
  it('defaults to the last hour in one-minute buckets and names the codes', async () => {
    const calls: unknown[][] = [];
    const now = 100 * HOUR;
    const summary = await new SummariesService(reader(calls), () => now).fleetSummary({
      top: 'conflicts',
      topLimit: 10,
    });
    expect(calls).toContainEqual(['syncBuckets', now - HOUR, now, 60_000]);
    expect(summary).toMatchObject({
      from: new Date(now - HOUR).toISOString(),
      bucketSeconds: 60,
      totals: { events: 16, syncsCompleted: 5, syncsFailed: 2, conflicts: 0 },
      failuresByCode: [{ code: 1010, name: 'DIRECTORY_ACCESS_FAILED', count: 2 }],
      topUsers: { by: 'conflicts', users: [] },
    });
  });

  it('widens the buckets for long windows (at most 360) and refuses empty or over-long windows', async () => {
    const calls: unknown[][] = [];
    const service = new SummariesService(reader(calls), () => 0);
    const week = await service.fleetSummary({ from: 0, to: 7 * 24 * HOUR, top: 'size', topLimit: 3 });
    expect(week.bucketSeconds).toBe(28 * 60);
    expect(calls).toContainEqual(['topUsersBySize', 3]);
    await expect(
      service.fleetSummary({ from: 10, to: 10, top: 'conflicts', topLimit: 1 }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(
      service.fleetSummary({ from: 0, to: 32 * 24 * HOUR, top: 'conflicts', topLimit: 1 }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
