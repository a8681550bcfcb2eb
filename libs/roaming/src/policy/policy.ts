import { z } from 'zod';

const MIB = 1024 * 1024;

/**
 * The Group Policy analog (DESIGN.md section 9, Windows' DIMSRoaming* values). Ranges follow Windows where Windows
 * has one; `maxTotalBytes`, `clockSkewSeconds` and `sessionRenewalHours` are credroam's own.
 */
export const POLICY_DEFAULTS = Object.freeze({
  enabled: true,
  roamStoredCredentials: false,
  tombstoneDays: 60,
  maxTokens: 2000,
  maxTokenBytes: 65535,
  maxTotalBytes: 16 * MIB,
  roamUnaffiliatedKeys: false,
  roamSmartCardCertificates: false,
  refreshMinutes: 480,
  purgeOnLogoff: false,
  clockSkewSeconds: 300,
  sessionRenewalHours: 10,
});

const whole = (min: number, max: number) =>
  z
    .number()
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` });

const policyShape = {
  enabled: z.boolean(),
  roamStoredCredentials: z.boolean(),
  tombstoneDays: whole(1, 3650),
  maxTokens: whole(1, 10_000),
  maxTokenBytes: whole(1, 100_000),
  maxTotalBytes: whole(1024, 128 * MIB),
  roamUnaffiliatedKeys: z.boolean(),
  roamSmartCardCertificates: z.boolean(),
  refreshMinutes: whole(1, 44_640),
  purgeOnLogoff: z.boolean(),
  // Below the shortest tombstone lifetime (a day), which the purged-deletion guard relies on.
  clockSkewSeconds: whole(0, 3600),
  // How long after a password logon the device key may renew the session; 0: every session needs the password.
  sessionRenewalHours: whole(0, 720),
};

export const policySchema = z.object(policyShape).strict();
export type Policy = z.output<typeof policySchema>;
export type PolicyKnob = keyof Policy;
export const POLICY_KNOBS = Object.keys(policyShape) as PolicyKnob[];

/** What an override may set: any subset of the knobs, each validated with the same range. */
export const policySettingsSchema = z.object(policyShape).partial().strict();
export type PolicySettings = z.output<typeof policySettingsSchema>;

/** Defaults from configuration: unspecified knobs take the built-in defaults. */
export const policyDefaultsSchema = policySettingsSchema.transform((settings): Policy => ({
  ...POLICY_DEFAULTS,
  ...settings,
}));
