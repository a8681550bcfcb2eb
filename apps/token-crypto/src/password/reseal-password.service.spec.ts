import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { INGRESS_FRESHNESS_MS, SERVER_TIME_DETAIL, unwrap } from '@credroam/roaming';
import {
  deviceKeyHash,
  openServiceSecret,
  sealEnvelope,
  sealLogonPassword,
  sealSecret,
  SECRET_PURPOSES,
  spkiDer,
} from '@credroam/sealing';
import { createEphemeralKeyStore } from '../keys/ephemeral-key-store';
import { ResealPasswordService, verifyPasswordPurpose } from './reseal-password.service';

const NOW = Date.UTC(2026, 10, 25, 12);
const channelKey = randomBytes(32);
const keys = createEphemeralKeyStore({ serviceChannelKey: channelKey });
const service = new ResealPasswordService(keys, () => NOW);
const PASSWORD = 'alice-pass-7f3c';
const deviceKeyOf = () =>
  spkiDer(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey).toString('base64');
const device = deviceKeyOf();

function sealedPassword(options: { login?: string; device?: string; issuedAt?: number } = {}): string {
  const binding = {
    login: options.login ?? 'alice',
    deviceKeyHash: deviceKeyHash(options.device ?? device),
    issuedAt: options.issuedAt ?? NOW - 1_000,
  };
  return unwrap(
    sealLogonPassword(binding, Buffer.from(PASSWORD), [{ certificate: keys.transportCertificate }]),
  ).toString('base64');
}

const reseal = (sealed: string, login = 'alice') =>
  service.reseal({ login, devicePublicKey: device, sealedPassword: sealed });

describe('crypto.reseal-password', () => {
  it('re-seals a logon password for the gateway, bound to the login, without showing it', () => {
    const result = unwrap(reseal(sealedPassword()));
    const envelope = Buffer.from(result.sealedPassword, 'base64');
    expect(envelope.includes(Buffer.from(PASSWORD))).toBe(false);
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
    expect(unwrap(openServiceSecret(channelKey, verifyPasswordPurpose('alice'), envelope)).toString()).toBe(
      PASSWORD,
    );
    // Bound to alice: it does not open as bob's password.
    expect(openServiceSecret(channelKey, verifyPasswordPurpose('bob'), envelope)).toMatchObject({
      ok: false,
      error: { code: 'INTEGRITY_CHECK_FAILED' },
    });
  });

  it.each([
    ['another login', { login: 'bob' }, /another login/],
    ['another device key', { device: deviceKeyOf() }, /another device key/],
  ])('refuses a password bound to %s as UNAUTHENTICATED', (_label, binding, message) => {
    const result = reseal(sealedPassword(binding));
    expect(result).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED', message } });
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });

  it.each([
    ['a stale copy (a replay)', { issuedAt: NOW - INGRESS_FRESHNESS_MS - 5_000 }, /125 s behind .*replay/],
    ['a clock far ahead', { issuedAt: NOW + INGRESS_FRESHNESS_MS + 60_000 }, /180 s ahead .*clock is off/],
  ])("refuses a password dated by %s as CLOCK_SKEW, naming the server's time", (_label, binding, message) => {
    const result = reseal(sealedPassword(binding));
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'CLOCK_SKEW', retryable: true, message, details: { [SERVER_TIME_DETAIL]: NOW } },
    });
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });

  it('accepts a workstation clock a little behind or ahead', () => {
    expect(reseal(sealedPassword({ issuedAt: NOW - INGRESS_FRESHNESS_MS + 1_000 })).ok).toBe(true);
    expect(reseal(sealedPassword({ issuedAt: NOW + 30_000 })).ok).toBe(true);
  });

  it('refuses an unbound password, another purpose and an upload envelope as a corrupted envelope', () => {
    const toTransport = (purpose: string) =>
      unwrap(sealSecret(purpose, Buffer.from(PASSWORD), [{ certificate: keys.transportCertificate }]));
    const upload = unwrap(sealEnvelope(Buffer.from(PASSWORD), [{ certificate: keys.transportCertificate }]));
    for (const sealed of [
      toTransport(SECRET_PURPOSES.logonPassword),
      toTransport(SECRET_PURPOSES.inspectPassword),
      upload,
    ]) {
      const result = reseal(sealed.toString('base64'));
      expect(result).toMatchObject({ ok: false, error: { code: 'INTEGRITY_CHECK_FAILED' } });
      expect(JSON.stringify(result)).not.toContain(PASSWORD);
    }
  });

  it('answers a typed error for garbage and for an envelope sealed to another certificate', () => {
    expect(reseal(randomBytes(64).toString('base64'))).toMatchObject({
      ok: false,
      error: { code: 'CRYPTO_PARSE_FAILED' },
    });
    const elsewhere = createEphemeralKeyStore();
    const foreign = unwrap(
      sealLogonPassword(
        { login: 'alice', deviceKeyHash: deviceKeyHash(device), issuedAt: NOW },
        Buffer.from(PASSWORD),
        [{ certificate: elsewhere.transportCertificate }],
      ),
    );
    expect(reseal(foreign.toString('base64'))).toMatchObject({
      ok: false,
      error: { code: 'KEY_UNAVAILABLE' },
    });
  });

  it('answers KEY_UNAVAILABLE without a service channel key', () => {
    const without = new ResealPasswordService(createEphemeralKeyStore(), () => NOW);
    expect(
      without.reseal({ login: 'alice', devicePublicKey: device, sealedPassword: sealedPassword() }),
    ).toMatchObject({
      ok: false,
      error: { code: 'KEY_UNAVAILABLE', message: /CREDROAM_SERVICE_CHANNEL_KEY_FILE/ },
    });
  });
});
