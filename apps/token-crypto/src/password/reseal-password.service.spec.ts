import { randomBytes } from 'node:crypto';
import { unwrap } from '@credroam/roaming';
import { openServiceSecret, sealEnvelope, sealSecret, SECRET_PURPOSES } from '@credroam/sealing';
import { createEphemeralKeyStore } from '../keys/ephemeral-key-store';
import { ResealPasswordService, verifyPasswordPurpose } from './reseal-password.service';

const channelKey = randomBytes(32);
const keys = createEphemeralKeyStore({ serviceChannelKey: channelKey });
const service = new ResealPasswordService(keys);
const PASSWORD = 'alice-pass-7f3c';
const toTransport = (purpose: string, secret: string) =>
  unwrap(sealSecret(purpose, Buffer.from(secret), [{ certificate: keys.transportCertificate }])).toString(
    'base64',
  );

describe('crypto.reseal-password', () => {
  it('re-seals a logon password for the gateway, bound to the login, without showing it', () => {
    const sealed = toTransport(SECRET_PURPOSES.logonPassword, PASSWORD);
    const result = unwrap(service.reseal({ login: 'alice', sealedPassword: sealed }));
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

  it('refuses a secret sealed for another purpose as a corrupted envelope, naming neither', () => {
    const result = service.reseal({
      login: 'alice',
      sealedPassword: toTransport(SECRET_PURPOSES.inspectPassword, PASSWORD),
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'INTEGRITY_CHECK_FAILED' } });
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });

  it('refuses an upload envelope replayed as a password the same way', () => {
    const upload = unwrap(sealEnvelope(Buffer.from(PASSWORD), [{ certificate: keys.transportCertificate }]));
    const result = service.reseal({ login: 'alice', sealedPassword: upload.toString('base64') });
    expect(result).toMatchObject({ ok: false, error: { code: 'INTEGRITY_CHECK_FAILED' } });
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });

  it('answers a typed error for garbage and for an envelope sealed to another certificate', () => {
    expect(
      service.reseal({ login: 'alice', sealedPassword: randomBytes(64).toString('base64') }),
    ).toMatchObject({ ok: false, error: { code: 'CRYPTO_PARSE_FAILED' } });
    const elsewhere = createEphemeralKeyStore();
    const foreign = unwrap(
      sealSecret(SECRET_PURPOSES.logonPassword, Buffer.from(PASSWORD), [
        { certificate: elsewhere.transportCertificate },
      ]),
    );
    expect(service.reseal({ login: 'alice', sealedPassword: foreign.toString('base64') })).toMatchObject({
      ok: false,
      error: { code: 'KEY_UNAVAILABLE' },
    });
  });

  it('answers KEY_UNAVAILABLE without a service channel key', () => {
    const without = new ResealPasswordService(createEphemeralKeyStore());
    expect(
      without.reseal({
        login: 'alice',
        sealedPassword: toTransport(SECRET_PURPOSES.logonPassword, PASSWORD),
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'KEY_UNAVAILABLE', message: /CREDROAM_SERVICE_CHANNEL_KEY_FILE/ },
    });
  });
});
