import { type Entry } from 'ldapts';
import { accountStatusMapping, generalizedTimeToMs } from './account-status.mapping';

const entry = (attributes: Record<string, string>): Entry => ({ dn: 'uid=alice,dc=test', ...attributes });

describe('account status mappings', () => {
  const ppolicy = accountStatusMapping('ppolicy');
  const ad = accountStatusMapping('active-directory');

  it('ppolicy: a permanent lock is disabled, any other lock time is locked, pwdChangedTime is read', () => {
    expect(ppolicy.read(entry({ pwdAccountLockedTime: '000001010000Z' }))).toMatchObject({
      disabled: true,
      locked: false,
    });
    expect(ppolicy.read(entry({ pwdAccountLockedTime: '20261203140000Z' }))).toMatchObject({
      disabled: false,
      locked: true,
    });
    expect(ppolicy.read(entry({ pwdChangedTime: '20261203141500Z' }))).toEqual({
      disabled: false,
      locked: false,
      passwordChangedAt: Date.UTC(2026, 11, 3, 14, 15),
    });
    expect(ppolicy.attributes).toEqual(['pwdAccountLockedTime', 'pwdChangedTime']);
  });

  it('active directory: ACCOUNTDISABLE and LOCKOUT bits, pwdLastSet as FILETIME, 0 as changed now', () => {
    expect(ad.read(entry({ userAccountControl: '514' }))).toMatchObject({ disabled: true, locked: false });
    expect(
      ad.read(entry({ userAccountControl: '512', 'msDS-User-Account-Control-Computed': '16' })),
    ).toMatchObject({ disabled: false, locked: true });
    // 2026-12-03T14:15:00Z as a FILETIME.
    const filetime = (BigInt(Date.UTC(2026, 11, 3, 14, 15)) + 11_644_473_600_000n) * 10_000n;
    expect(ad.read(entry({ pwdLastSet: filetime.toString() })).passwordChangedAt).toBe(
      Date.UTC(2026, 11, 3, 14, 15),
    );
    const before = Date.now();
    expect(ad.read(entry({ pwdLastSet: '0' })).passwordChangedAt).toBeGreaterThanOrEqual(before);
  });

  it('none reads nothing and finds every account usable', () => {
    const none = accountStatusMapping('none');
    expect(none.attributes).toEqual([]);
    expect(none.read(entry({ pwdAccountLockedTime: '000001010000Z' }))).toEqual({
      disabled: false,
      locked: false,
      passwordChangedAt: null,
    });
  });

  it('reads GeneralizedTime with fractions and offsets; an unreadable one counts as now', () => {
    expect(generalizedTimeToMs('20261203141500.250Z')).toBe(Date.UTC(2026, 11, 3, 14, 15, 0, 250));
    expect(generalizedTimeToMs('20261203161500+0200')).toBe(Date.UTC(2026, 11, 3, 14, 15));
    expect(generalizedTimeToMs('garbage', () => 42)).toBe(42);
  });
});
