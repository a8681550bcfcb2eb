// Bad input of every kind the issue names, against files made by the openssl binary: each is a clear, typed error,
// and nothing (not even random or mutated bytes) makes token-crypto throw.
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { ERROR_CODES, parseRpcRequest, unwrap, type ErrorInfo, type Result } from '@credroam/roaming';
import {
  checkKeyMatchesCertificate,
  decodePem,
  encodePem,
  openEnvelope,
  parseCertificate,
  parsePkcs12,
  parsePrivateKey,
  sealSecret,
  SECRET_PURPOSES,
} from '@credroam/sealing';
import { createPrivateKey } from 'node:crypto';
import { ALICE, LIMITS, meta, upload } from '../../../apps/token-crypto/src/testing/agent.fixture';
import { type GeneratedCertificate, OpensslWorkspace } from '../../helpers/openssl';
import { install, type Installation } from './token-crypto-fixtures';

// openssl subprocesses and thousands of envelopes: generous under a loaded CI machine.
jest.setTimeout(30_000);

let workspace: OpensslWorkspace;
let installation: Installation;
let certificate: GeneratedCertificate;
let otherKey: { keyPem: string; keyDer: Buffer };
let bundle: Buffer;

beforeAll(async () => {
  workspace = await OpensslWorkspace.create();
  installation = await install(workspace);
  certificate = await workspace.selfSignedCertificate({ subject: '/CN=Alice Martin' });
  const generated = await workspace.generateKey('rsa-2048');
  // The helper's keyDer is what `openssl pkey -outform DER` writes, which for RSA is PKCS#1; tokens carry PKCS#8.
  otherKey = { keyPem: generated.keyPem, keyDer: unwrap(decodePem(generated.keyPem))[0]!.der };
  bundle = (await workspace.pkcs12(certificate, { password: 'right' })).der;
});

afterAll(async () => {
  installation?.keys.close();
  await workspace?.dispose();
});

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64');
const errorOf = (result: Result<unknown>): ErrorInfo | null => (result.ok ? null : result.error);
const inspect = (
  data: Buffer | string,
  format: 'auto' | 'pem' | 'der' | 'pkcs12' = 'auto',
  password?: string,
) =>
  installation.services.inspect.inspect({
    data: b64(data),
    format,
    ...(password === undefined
      ? {}
      : {
          passwordEnvelope: b64(
            unwrap(
              sealSecret(SECRET_PURPOSES.inspectPassword, Buffer.from(password), [
                { certificate: installation.keys.transportCertificate },
              ]),
            ),
          ),
        }),
  });

describe('truncated DER', () => {
  it('every prefix of a certificate is CRYPTO_PARSE_FAILED, never a crash', () => {
    const der = certificate.certDer;
    for (let length = 1; length < der.length; length += 1) {
      expect(errorOf(parseCertificate(der.subarray(0, length)))?.code).toBe('CRYPTO_PARSE_FAILED');
    }
    for (const length of [1, 10, 100, der.length >> 1, der.length - 1]) {
      expect(errorOf(inspect(der.subarray(0, length), 'der'))?.code).toBe('CRYPTO_PARSE_FAILED');
    }
  });

  it('a truncated key or PKCS#12 is CRYPTO_PARSE_FAILED too', () => {
    expect(errorOf(parsePrivateKey(otherKey.keyDer.subarray(0, 200)))?.code).toBe('CRYPTO_PARSE_FAILED');
    expect(errorOf(parsePkcs12(bundle.subarray(0, bundle.length - 5), 'right'))?.code).toBe(
      'CRYPTO_PARSE_FAILED',
    );
  });
});

describe('wrong PEM labels', () => {
  const body = (label: string, der: Buffer) => encodePem(label, der);

  it.each([
    [
      'BEGIN and END that differ',
      () => body('CERTIFICATE', certificate.certDer).replace('END CERTIFICATE', 'END PRIVATE KEY'),
      /ends with "END PRIVATE KEY"/,
    ],
    ['an unknown label', () => body('X509 CRL', certificate.certDer), /label "X509 CRL" is not supported/],
    [
      'a key under a CERTIFICATE label',
      () => body('CERTIFICATE', otherKey.keyDer),
      /not an X.509 certificate/,
    ],
    [
      'a certificate under a PRIVATE KEY label',
      () => body('PRIVATE KEY', certificate.certDer),
      /not a PKCS#8 private key/,
    ],
    [
      'an OpenSSL legacy RSA key',
      () => body('RSA PRIVATE KEY', otherKey.keyDer),
      /PKCS#1 keys are not supported/,
    ],
  ])('%s is CRYPTO_PARSE_FAILED with a message that says so', (_label, pem, message) => {
    expect(errorOf(inspect(pem()))).toMatchObject({
      code: 'CRYPTO_PARSE_FAILED',
      message: expect.stringMatching(message),
    });
  });
});

describe('a PKCS#12 file with a wrong password', () => {
  it('is KEY_UNAVAILABLE, saying the password is wrong', () => {
    for (const result of [inspect(bundle, 'pkcs12', 'wrong'), parsePkcs12(bundle, 'wrong')]) {
      expect(errorOf(result)).toMatchObject({
        code: 'KEY_UNAVAILABLE',
        message: expect.stringMatching(/password is wrong/),
      });
    }
    expect(unwrap(inspect(bundle, 'pkcs12', 'right')).thumbprint).toBe(certificate.thumbprint);
  });
});

describe('a 10 MB blob', () => {
  const blob = randomBytes(10 * 1024 * 1024);

  it('is refused by the contract before anything parses it', () => {
    const request = parseRpcRequest('crypto.inspect', {
      correlationId: randomUUID(),
      payload: { data: b64(blob), format: 'auto' },
    });
    expect(errorOf(request)).toMatchObject({
      code: 'CONTRACT_VIOLATION',
      message: expect.stringMatching(/at most/),
    });
  });

  it('is VALUE_TOO_LARGE for every library entry point', () => {
    for (const result of [
      parseCertificate(blob),
      parsePrivateKey(blob),
      parsePkcs12(blob, 'x'),
      openEnvelope(blob, installation.keys.transportKeys()),
    ]) {
      expect(errorOf(result)?.code).toBe('VALUE_TOO_LARGE');
    }
  });
});

describe('an RSA key that does not match the certificate', () => {
  it('is KEY_MISMATCH when sealed with it, and reported by inspect', async () => {
    const certToken = meta(
      installation.keys,
      ALICE,
      'certificate',
      certificate.thumbprint,
      certificate.certDer,
    );
    const keyToken = meta(installation.keys, ALICE, 'private-key', 'alice-key', otherKey.keyDer, {
      linkedCertificate: certificate.thumbprint,
    });
    const result = unwrap(
      await installation.services.sealForStorage.seal({
        user: ALICE,
        limits: LIMITS,
        items: [
          { token: keyToken, envelope: upload(installation.keys, otherKey.keyDer) },
          { token: certToken, envelope: upload(installation.keys, certificate.certDer) },
        ],
      }),
    );
    expect(result.items.map((item) => (item.ok ? 'OK' : item.error.code))).toEqual(['KEY_MISMATCH', 'OK']);
    expect(unwrap(inspect(certificate.certPem + otherKey.keyPem)).keyMatchesCertificate).toBe(false);
    expect(unwrap(inspect(certificate.certPem + certificate.keyPem)).keyMatchesCertificate).toBe(true);
    const parsed = unwrap(parseCertificate(certificate.certDer));
    expect(errorOf(checkKeyMatchesCertificate(createPrivateKey(otherKey.keyPem), parsed))?.code).toBe(
      'KEY_MISMATCH',
    );
  });
});

describe('a certificate id that is not its thumbprint', () => {
  it('is THUMBPRINT_MISMATCH, naming the real thumbprint', async () => {
    const wrongId = certificate.thumbprint.replace(/.$/, (digit) => (digit === 'A' ? 'B' : 'A'));
    const token = meta(installation.keys, ALICE, 'certificate', wrongId, certificate.certDer);
    const [item] = unwrap(
      await installation.services.sealForStorage.seal({
        user: ALICE,
        limits: LIMITS,
        items: [{ token, envelope: upload(installation.keys, certificate.certDer) }],
      }),
    ).items;
    expect(!item!.ok && item!.error).toMatchObject({
      code: 'THUMBPRINT_MISMATCH',
      details: { thumbprint: certificate.thumbprint },
    });
  });
});

describe('arbitrary bytes', () => {
  const typed = (result: Result<unknown>) =>
    result.ok || (ERROR_CODES as readonly string[]).includes(result.error.code);

  it('random input to every parser is a typed error, never an exception', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.constantFrom('auto', 'pem', 'der', 'pkcs12') as fc.Arbitrary<'auto' | 'pem' | 'der' | 'pkcs12'>,
        (bytes, format) => {
          const data = Buffer.from(bytes);
          expect(typed(inspect(data, format))).toBe(true);
          expect(typed(openEnvelope(data, installation.keys.transportKeys()))).toBe(true);
          expect(typed(parsePkcs12(data, 'x'))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('mutated real files (certificate, PKCS#12, key) are typed errors or still-valid parses, never exceptions', () => {
    const files = [certificate.certDer, bundle, certificate.keyDer];
    fc.assert(
      fc.property(fc.nat({ max: 2 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, position, mask) => {
        const file = Buffer.from(files[which]!);
        file[position % file.length]! ^= mask;
        expect(typed(inspect(file, 'auto', 'right'))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
