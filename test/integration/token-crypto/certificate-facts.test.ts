// The facts token-crypto reports for the fleet inventory, read from certificates the openssl binary made and
// compared with what `openssl x509` itself prints about them.
import { certificateFacts, parseCertificate } from '@credroam/sealing';
import { unwrap } from '@credroam/roaming';
import { openssl, OpensslWorkspace, type CertificateOptions } from '../../helpers/openssl';

/** notBefore/notAfter as `openssl x509 -dates` prints them, as ISO instants. */
function opensslDate(line: string): string {
  return new Date(line.split('=')[1]!.trim()).toISOString();
}

describe('certificate facts of OpenSSL certificates', () => {
  let workspace: OpensslWorkspace;

  beforeAll(async () => {
    workspace = await OpensslWorkspace.create();
  });

  afterAll(() => workspace?.dispose());

  it.each<[string, CertificateOptions, object]>([
    [
      'RSA 2048 signed with SHA-256',
      { algorithm: 'rsa-2048', subject: '/CN=alice vpn/O=Example', days: 5 },
      { keyAlgorithm: 'RSA', keySize: 2048, signatureAlgorithm: 'RSA-SHA256', weaknesses: [] },
    ],
    [
      'RSA 1024 (weak key)',
      { algorithm: 'rsa-1024', subject: '/CN=legacy', days: 400 },
      {
        keyAlgorithm: 'RSA',
        keySize: 1024,
        signatureAlgorithm: 'RSA-SHA256',
        weaknesses: ['rsa-key-under-2048'],
      },
    ],
    [
      'RSA 2048 signed with SHA-1 (weak signature)',
      { algorithm: 'rsa-2048', subject: '/CN=old ca', digest: 'sha1' },
      { keyAlgorithm: 'RSA', keySize: 2048, signatureAlgorithm: 'RSA-SHA1', weaknesses: ['sha1-signature'] },
    ],
    [
      'EC P-256 signed with SHA-384',
      { algorithm: 'p-256', subject: '/CN=wifi', digest: 'sha384' },
      { keyAlgorithm: 'EC-P-256', keySize: 256, signatureAlgorithm: 'ECDSA-SHA384', weaknesses: [] },
    ],
  ])('%s: what openssl x509 says, and the weaknesses', async (_name, options, expected) => {
    const certificate = await workspace.selfSignedCertificate(options);
    const facts = unwrap(certificateFacts(unwrap(parseCertificate(certificate.certDer))));
    const printed = (await openssl(['x509', '-in', certificate.certFile, '-noout', '-serial', '-dates']))
      .toString()
      .trim()
      .split('\n');
    const field = (name: string) => printed.find((line) => line.startsWith(`${name}=`))!;
    expect(facts).toEqual({
      subject: options.subject!.slice(1).split('/').reverse().join(','),
      issuer: options.subject!.slice(1).split('/').reverse().join(','),
      serialNumber: field('serial').split('=')[1],
      notBefore: opensslDate(field('notBefore')),
      notAfter: opensslDate(field('notAfter')),
      ...expected,
    });
    const text = (await openssl(['x509', '-in', certificate.certFile, '-noout', '-text'])).toString();
    expect(text).toContain(`Public-Key: (${facts.keySize} bit)`);
  });
});
