import { type Entry } from 'ldapts';
import { filetimeToMs } from '@credroam/roaming';
import { firstString } from './entry-values';

/**
 * Where a directory says an account is disabled, locked or had its password changed: a session renewal asks, so a
 * device key cannot outlive the account it was registered for (README "Account status"). Chosen with
 * CREDROAM_LDAP_ACCOUNT_STATUS; an attribute the gateway's account cannot read counts as absent, so the ACL must
 * let it read them.
 */
export const ACCOUNT_STATUS_MAPPINGS = ['ppolicy', 'active-directory', 'none'] as const;
export type AccountStatusMappingName = (typeof ACCOUNT_STATUS_MAPPINGS)[number];

export interface AccountFlags {
  disabled: boolean;
  locked: boolean;
  /** When the password was last set (ms UTC), or null when the directory does not say. */
  passwordChangedAt: number | null;
}

export interface AccountStatusMapping {
  /** The attributes to read along with the user. */
  readonly attributes: readonly string[];
  read(entry: Entry): AccountFlags;
}

/** ppolicy's value of pwdAccountLockedTime for "locked until an administrator unlocks it": a disabled account. */
const PPOLICY_PERMANENT_LOCK = '000001010000Z';

/**
 * OpenLDAP's password policy overlay (draft-behera-ldap-password-policy): pwdAccountLockedTime present means
 * locked (its permanent value means disabled by an administrator); pwdChangedTime is when the password was set.
 */
const PPOLICY: AccountStatusMapping = {
  attributes: ['pwdAccountLockedTime', 'pwdChangedTime'],
  read(entry) {
    const lockedAt = firstString(entry, 'pwdAccountLockedTime');
    const changed = firstString(entry, 'pwdChangedTime');
    return {
      disabled: lockedAt === PPOLICY_PERMANENT_LOCK,
      locked: lockedAt !== null && lockedAt !== PPOLICY_PERMANENT_LOCK,
      passwordChangedAt: changed === null ? null : generalizedTimeToMs(changed),
    };
  },
};

/** userAccountControl bits (MS-ADTS 2.2.16). */
const UF_ACCOUNTDISABLE = 0x2;
const UF_LOCKOUT = 0x10;

/**
 * Active Directory: userAccountControl ACCOUNTDISABLE and LOCKOUT, the latter from the constructed
 * msDS-User-Account-Control-Computed as well (AD keeps it current there, not in userAccountControl); pwdLastSet is
 * a FILETIME, 0 when the password must be changed at the next logon (then it counts as changed now).
 */
const ACTIVE_DIRECTORY: AccountStatusMapping = {
  attributes: ['userAccountControl', 'msDS-User-Account-Control-Computed', 'pwdLastSet'],
  read(entry) {
    const flags =
      integerOf(firstString(entry, 'userAccountControl')) |
      integerOf(firstString(entry, 'msDS-User-Account-Control-Computed'));
    const lastSet = firstString(entry, 'pwdLastSet');
    return {
      disabled: (flags & UF_ACCOUNTDISABLE) !== 0,
      locked: (flags & UF_LOCKOUT) !== 0,
      passwordChangedAt: lastSet === null ? null : filetimeAttributeToMs(lastSet),
    };
  },
};

/** No status attributes: a renewal checks only that the entry still exists with the same stable id. */
const NONE: AccountStatusMapping = {
  attributes: [],
  read: () => ({ disabled: false, locked: false, passwordChangedAt: null }),
};

export function accountStatusMapping(name: AccountStatusMappingName): AccountStatusMapping {
  return { ppolicy: PPOLICY, 'active-directory': ACTIVE_DIRECTORY, none: NONE }[name];
}

function integerOf(text: string | null): number {
  return text !== null && /^-?\d{1,10}$/.test(text) ? Number(text) : 0;
}

const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,](\d{1,9}))?(Z|[+-]\d{4})$/;

/**
 * RFC 4517 GeneralizedTime as slapd writes it (`20261203141500Z`, maybe with fractions or an offset). Unparsable:
 * the current time, so a value the gateway does not understand refuses a renewal instead of allowing it.
 */
export function generalizedTimeToMs(text: string, now: () => number = Date.now): number {
  const match = GENERALIZED_TIME.exec(text);
  if (!match) return now();
  const [year = 0, month = 1, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0));
  const millis = Math.floor(Number(`0.${match[7] ?? '0'}`) * 1000);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const zone = match[8] ?? 'Z';
  if (zone === 'Z') return utc;
  const offsetMinutes =
    (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5))) * (zone.startsWith('-') ? -1 : 1);
  return utc - offsetMinutes * 60_000;
}

/** pwdLastSet: 0 ("must change at next logon") and anything unparsable count as changed now. */
function filetimeAttributeToMs(text: string, now: () => number = Date.now): number {
  if (!/^\d{1,20}$/.test(text) || /^0+$/.test(text)) return now();
  const ms = filetimeToMs(BigInt(text));
  return ms.ok ? ms.value : now();
}
