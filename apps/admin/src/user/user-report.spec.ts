import { POLICY_DEFAULTS, POLICY_KNOBS, type DirectoryState } from '@credroam/roaming';
import { formatUserReport, userReport } from './user-report';

const NOW = Date.UTC(2026, 11, 3);
const DAY = 86_400_000;
const USER = {
  dn: 'uid=alice,ou=people,dc=credroam,dc=test',
  login: 'alice',
  stableId: '0b7e2c1a-4f3d-4b8e-9a21-6c5d4e3f2a10',
  displayName: null,
  groups: [],
};
const token = (id: string, size: number, tombstone: boolean, ageDays: number) => ({
  type: 'private-key' as const,
  id,
  modifiedAt: NOW - ageDays * DAY,
  hash: 'a'.repeat(64),
  size,
  flags: { archived: false, encryptionKey: true, smartCard: false },
  tombstone,
  ref: `ref-${id}`,
});
const STATE: DirectoryState = {
  createdAt: NOW - 90 * DAY,
  modifiedAt: NOW - DAY,
  entries: [token('b-key', 1000, false, 1), token('a-key', 0, true, 70)],
  reported: [
    {
      ref: 'r1',
      origin: 'foreign',
      reason: 'unsafe-identifier',
      tokenType: 'private-key',
      displayId: '"..\\\\x.bat"',
      modifiedAt: NOW,
    },
  ],
  purgeWatermark: 0,
};
const sources = Object.fromEntries(POLICY_KNOBS.map((knob) => [knob, 'default'])) as Record<
  (typeof POLICY_KNOBS)[number],
  'default'
>;
const effective = {
  policy: { ...POLICY_DEFAULTS, maxTokens: 1 },
  sources: {
    ...sources,
    maxTokens: 'group:cn=kiosk,ou=groups,dc=credroam,dc=test' as const,
    tombstoneDays: 'directory:cn=credroam-policy,dc=credroam,dc=test' as const,
    maxTokenBytes: 'subtree:ou=finance,ou=people,dc=credroam,dc=test' as const,
  },
};

describe('userReport', () => {
  const report = userReport(USER, STATE, effective, null, NOW);

  it('lists tokens by type and id, tombstones with their age and the days left before the purge', () => {
    expect(report.tokens['private-key']).toEqual([
      expect.objectContaining({ id: 'a-key', tombstone: true, ageDays: 70, purgeInDays: 0 }),
      expect.objectContaining({ id: 'b-key', tombstone: false, size: 1000, flags: ['encryptionKey'] }),
    ]);
  });

  it('counts every value against maxTokens and live bytes against maxTotalBytes', () => {
    expect(report.totals).toEqual({
      tokens: 2,
      maxTokens: 1,
      liveBytes: 1000,
      maxTotalBytes: POLICY_DEFAULTS.maxTotalBytes,
      overLimits: true,
    });
  });

  it('names the source of each knob and says the last syncs are unknown without audit', () => {
    expect(report.policy).toContainEqual({
      knob: 'maxTokens',
      value: 1,
      source: 'group:cn=kiosk,ou=groups,dc=credroam,dc=test',
    });
    const text = formatUserReport(report);
    expect(text).toContain('maxTokens = 1  (group cn=kiosk,ou=groups,dc=credroam,dc=test)');
    expect(text).toContain(
      `tombstoneDays = ${POLICY_DEFAULTS.tombstoneDays}  (directory default cn=credroam-policy,dc=credroam,dc=test)`,
    );
    expect(text).toContain(
      `maxTokenBytes = ${POLICY_DEFAULTS.maxTokenBytes}  (OU ou=finance,ou=people,dc=credroam,dc=test)`,
    );
    expect(text).toContain('enabled = true  (bootstrap: policy file or built-in)');
    expect(text).toContain('OVER LIMITS');
    expect(text).toContain('unsafe-identifier  private-key  "..\\\\x.bat"');
    expect(text).toContain('unknown (audit is not configured)');
  });
});
