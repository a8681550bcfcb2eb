import { generateKeyPairSync } from 'node:crypto';
import { unwrap } from '@credroam/roaming';
import {
  createSelfSignedCertificate,
  encodePem,
  sealEnvelope,
  sealSecret,
  SECRET_PURPOSES,
} from '@credroam/sealing';
import { createEphemeralKeyStore } from '../keys/ephemeral-key-store';
import { InspectService } from './inspect.service';

const keys = createEphemeralKeyStore();
const now = new Date('2030-06-01T00:00:00Z');
const inspect = new InspectService(keys, () => now);
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const certificate = unwrap(
  createSelfSignedCertificate(privateKey, {
    commonName: 'Alice Martin',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2031-01-01T00:00:00Z'),
  }),
);
const keyDer = privateKey.export({ type: 'pkcs8', format: 'der' });
const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64');
const passwordEnvelope = (password: string) =>
  unwrap(
    sealSecret(SECRET_PURPOSES.inspectPassword, Buffer.from(password), [
      { certificate: keys.transportCertificate },
    ]),
  ).toString('base64');

describe('inspect', () => {
  it('describes a DER certificate', () => {
    expect(unwrap(inspect.inspect({ data: b64(certificate.der), format: 'auto' }))).toEqual({
      kind: 'certificate',
      subject: 'CN=Alice Martin',
      issuer: 'CN=Alice Martin',
      serialNumber: certificate.serialNumber,
      notBefore: '2026-01-01T00:00:00.000Z',
      notAfter: '2031-01-01T00:00:00.000Z',
      thumbprint: certificate.thumbprint,
      keyAlgorithm: 'EC-P-256',
      keySize: 256,
      expired: false,
    });
  });

  it('reports whether the key in a PEM file belongs to its certificate', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'der',
    });
    const pem = (key: Buffer) => encodePem('CERTIFICATE', certificate.der) + encodePem('PRIVATE KEY', key);
    expect(unwrap(inspect.inspect({ data: b64(pem(keyDer)), format: 'pem' })).keyMatchesCertificate).toBe(
      true,
    );
    expect(unwrap(inspect.inspect({ data: b64(pem(other)), format: 'auto' })).keyMatchesCertificate).toBe(
      false,
    );
  });

  it('describes a private key, and an encrypted one given its password envelope', () => {
    expect(unwrap(inspect.inspect({ data: b64(keyDer), format: 'der' }))).toMatchObject({
      kind: 'private-key',
      keyAlgorithm: 'EC-P-256',
      thumbprint: null,
    });
    const encrypted = privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'pw',
    });
    expect(
      unwrap(
        inspect.inspect({ data: b64(encrypted), format: 'auto', passwordEnvelope: passwordEnvelope('pw') }),
      ).kind,
    ).toBe('private-key');
    const wrong = inspect.inspect({
      data: b64(encrypted),
      format: 'auto',
      passwordEnvelope: passwordEnvelope('nope'),
    });
    expect(!wrong.ok && wrong.error.code).toBe('KEY_UNAVAILABLE');
  });

  it('refuses a password that is not a password envelope exactly as a broken one', () => {
    const encrypted = privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'pw',
    });
    const plain = unwrap(
      sealEnvelope(Buffer.from('pw'), [{ certificate: keys.transportCertificate }]),
    ).toString('base64');
    const result = inspect.inspect({ data: b64(encrypted), format: 'auto', passwordEnvelope: plain });
    expect(!result.ok && result.error.code).toBe('INTEGRITY_CHECK_FAILED');
  });

  it.each([
    ['PEM given as DER', encodePem('CERTIFICATE', Buffer.of(1)), 'der', /expected DER/],
    ['DER given as PEM', 'garbage', 'pem', /expected PEM/],
    ['an unknown PEM label', encodePem('FOO', Buffer.of(1)), 'auto', /label "FOO" is not supported/],
    ['a PKCS#1 key', encodePem('RSA PRIVATE KEY', Buffer.of(1)), 'auto', /convert with/],
    ['random bytes', 'x'.repeat(100), 'auto', /not a DER certificate/],
  ] as const)('refuses %s with CRYPTO_PARSE_FAILED', (_label, data, format, message) => {
    const result = inspect.inspect({ data: b64(data), format });
    expect(!result.ok && result.error).toMatchObject({
      code: 'CRYPTO_PARSE_FAILED',
      message: expect.stringMatching(message),
    });
  });

  it('reports expiry against its clock', () => {
    const late = new InspectService(keys, () => new Date('2032-01-01T00:00:00Z'));
    expect(unwrap(late.inspect({ data: b64(certificate.der), format: 'auto' })).expired).toBe(true);
  });
});
