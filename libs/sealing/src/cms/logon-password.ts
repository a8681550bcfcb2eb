import { fail, ok, type Result } from '@credroam/roaming';
import { wipe } from '../limits';
import { type EnvelopeRecipient, type OpeningKey } from './envelope';
import { openSecret, SECRET_OPEN_FAILED, SECRET_PURPOSES, sealSecret } from './secret-envelope';

/**
 * What a logon password sealed by the agent is bound to. Over AMQP the sealed password passes through the broker:
 * bound to the login, the device key of the session it opens and the time it was made, a copy taken from a queue
 * opens no session for another device and none at all once it is stale.
 */
export interface LogonPasswordBinding {
  login: string;
  /** deviceKeyHash() of the device public key in the same create-session request. */
  deviceKeyHash: string;
  /** When the agent sealed it, ms UTC. */
  issuedAt: number;
}

// Secret content (after the purpose label): login NUL device-key-hash NUL issued-at NUL password.
const FIELDS = 3;
const NUL = 0;

export function sealLogonPassword(
  binding: LogonPasswordBinding,
  password: Uint8Array,
  recipients: readonly EnvelopeRecipient[],
): Result<Buffer> {
  if (binding.login.includes('\0') || !/^[0-9a-f]{64}$/.test(binding.deviceKeyHash)) {
    return fail(
      'INVALID_INPUT',
      'a logon password binding needs a login without NUL and a SHA-256 hex device hash',
    );
  }
  if (!Number.isSafeInteger(binding.issuedAt) || binding.issuedAt < 0) {
    return fail('INVALID_INPUT', 'issuedAt must be a whole number of ms');
  }
  const head = Buffer.from(`${binding.login}\0${binding.deviceKeyHash}\0${binding.issuedAt}\0`, 'utf8');
  const content = Buffer.concat([head, password]);
  try {
    return sealSecret(SECRET_PURPOSES.logonPassword, content, recipients);
  } finally {
    wipe(content);
  }
}

/** Opens a sealed logon password; anything malformed inside is the same INTEGRITY_CHECK_FAILED as a bad envelope. */
export function openLogonPassword(
  envelope: Uint8Array,
  keys: readonly OpeningKey[],
): Result<{ binding: LogonPasswordBinding; password: Buffer }> {
  const opened = openSecret(SECRET_PURPOSES.logonPassword, envelope, keys);
  if (!opened.ok) return opened;
  const content = opened.value;
  try {
    const ends: number[] = [];
    for (let at = 0; ends.length < FIELDS; at += 1) {
      const next = content.indexOf(NUL, at);
      if (next < 0) return fail('INTEGRITY_CHECK_FAILED', SECRET_OPEN_FAILED);
      ends.push(next);
      at = next;
    }
    const [loginEnd, hashEnd, timeEnd] = ends as [number, number, number];
    const login = content.subarray(0, loginEnd).toString('utf8');
    const hash = content.subarray(loginEnd + 1, hashEnd).toString('latin1');
    const issuedAt = content.subarray(hashEnd + 1, timeEnd).toString('latin1');
    if (login.length === 0 || !/^[0-9a-f]{64}$/.test(hash) || !/^\d{1,16}$/.test(issuedAt)) {
      return fail('INTEGRITY_CHECK_FAILED', SECRET_OPEN_FAILED);
    }
    return ok({
      binding: { login, deviceKeyHash: hash, issuedAt: Number(issuedAt) },
      password: Buffer.from(content.subarray(timeEnd + 1)),
    });
  } finally {
    wipe(content);
  }
}
