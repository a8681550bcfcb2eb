// Bad input to the library entry points, against files made by the openssl binary: each is a clear, typed error,
// and nothing (not even random or mutated bytes) makes token-crypto throw. The cases through the service (PEM
// labels, wrong passwords, PKCS#12 bombs, a key that does not match its certificate, CMS for another recipient,
// an id that is not the thumbprint, …) are data in test/corpus/token-crypto, run by test/integration/corpus.
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { ERROR_CODES, parseRpcRequest, unwrap, type ErrorInfo, type Result } from '@credroam/roaming';
import {
  decodePem,
  openEnvelope,
  parseCertificate,
  parsePkcs12,
  parsePrivateKey,
  sealSecret,
  SECRET_PURPOSES,
} from '@credroam/sealing';
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
  });

  it('a truncated key or PKCS#12 is CRYPTO_PARSE_FAILED too', () => {
    expect(errorOf(parsePrivateKey(otherKey.keyDer.subarray(0, 200)))?.code).toBe('CRYPTO_PARSE_FAILED');
    expect(errorOf(parsePkcs12(bundle.subarray(0, bundle.length - 5), 'right'))?.code).toBe(
      'CRYPTO_PARSE_FAILED',
    );
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
