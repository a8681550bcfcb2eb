import { createHash, generateKeyPairSync } from 'node:crypto';
import { unwrap } from '@credroam/roaming';
import { keyFixture } from '../testing/key-fixtures';
import { certificateThumbprint, isExpired, parseCertificate } from './certificate';
import { formatDistinguishedName } from './distinguished-name';
import { publicKeyIdentifier } from './key-description';
import { checkKeyMatchesCertificate, keyMatchesCertificate } from './private-key';
import { createSelfSignedCertificate } from './self-signed-certificate';
import * as asn1js from 'asn1js';

// Names built with asn1js' classes, encoded as given (a SET's order included).
const der = (node: asn1js.AsnType) => Buffer.from(node.toBER());
const sequence = (...value: asn1js.AsnType[]) => new asn1js.Sequence({ value });
const setOf = (...value: asn1js.AsnType[]) => new asn1js.Set({ value });
const oid = (value: string) => new asn1js.ObjectIdentifier({ value });
const utf8 = (value: string) => new asn1js.Utf8String({ value });

describe('X.509 certificates', () => {
  const rsa = keyFixture('rsa-2048');
  const ec = keyFixture('p-256');

  it('reports what Windows and OpenSSL show for a certificate', () => {
    const parsed = unwrap(parseCertificate(rsa.certificate.der));
    expect(parsed.thumbprint).toBe(
      createHash('sha1').update(rsa.certificate.der).digest('hex').toUpperCase(),
    );
    expect(parsed.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(parsed.subject).toBe('CN=fixture rsa-2048 default');
    expect(parsed.issuer).toBe(parsed.subject);
    expect(parsed.serialNumber).toMatch(/^[0-9A-F]{32}$/);
    expect(parsed.keyAlgorithm).toBe('RSA');
    expect(parsed.keySize).toBe(2048);
    expect(parsed.subjectKeyIdentifier).toEqual(publicKeyIdentifier(rsa.publicKey));
    expect(isExpired(parsed, new Date())).toBe(false);
    expect(isExpired(parsed, new Date(Date.now() + 2 * 86_400_000))).toBe(true);
  });

  it('names EC keys by curve', () => {
    expect([ec.certificate.keyAlgorithm, ec.certificate.keySize]).toEqual(['EC-P-256', 256]);
    expect(keyFixture('p-384').certificate.keyAlgorithm).toBe('EC-P-384');
  });

  it('matches a private key to its certificate and no other', () => {
    expect(keyMatchesCertificate(rsa.privateKey, rsa.certificate)).toBe(true);
    expect(keyMatchesCertificate(keyFixture('rsa-2048', 'other').privateKey, rsa.certificate)).toBe(false);
    expect(keyMatchesCertificate(ec.privateKey, rsa.certificate)).toBe(false);
    const mismatch = checkKeyMatchesCertificate(ec.privateKey, rsa.certificate);
    expect(!mismatch.ok && mismatch.error.code).toBe('KEY_MISMATCH');
  });

  it('refuses every truncation and any trailing byte with CRYPTO_PARSE_FAILED', () => {
    const der = ec.certificate.der;
    for (let length = 0; length < der.length; length += 7) {
      const parsed = parseCertificate(der.subarray(0, length));
      expect(!parsed.ok && parsed.error.code).toBe('CRYPTO_PARSE_FAILED');
    }
    const trailing = parseCertificate(Buffer.concat([der, Buffer.of(0)]));
    expect(!trailing.ok && trailing.error.code).toBe('CRYPTO_PARSE_FAILED');
  });

  it('refuses something that is DER but not a certificate', () => {
    const parsed = parseCertificate(der(sequence(sequence(), sequence())));
    expect(!parsed.ok && parsed.error.message).toMatch(/not an X.509 certificate/);
  });

  it('refuses an oversized input before parsing it', () => {
    const parsed = parseCertificate(Buffer.alloc(10 * 1024 * 1024));
    expect(!parsed.ok && parsed.error.code).toBe('VALUE_TOO_LARGE');
  });

  it('computes the thumbprint over the exact bytes', () => {
    expect(certificateThumbprint(Buffer.from('abc'))).toBe('A9993E364706816ABA3E25717850C26C9CD0D89D');
  });

  it('creates certificates for RSA and EC keys, and only for those', () => {
    const options = {
      commonName: 'x',
      notBefore: new Date('2020-01-01Z'),
      notAfter: new Date('2060-01-01Z'),
    };
    const created = unwrap(createSelfSignedCertificate(ec.privateKey, options));
    expect(created.notAfter.toISOString()).toBe('2060-01-01T00:00:00.000Z');
    const ed = generateKeyPairSync('ed25519');
    expect(createSelfSignedCertificate(ed.privateKey, options).ok).toBe(false);
  });
});

describe('distinguished names (RFC 4514)', () => {
  const rdn = (type: string, value: asn1js.AsnType) => setOf(sequence(oid(type), value));

  it('prints RDNs in reverse order with short names and escapes specials', () => {
    const name = sequence(
      rdn('0.9.2342.19200300.100.1.25', new asn1js.IA5String({ value: 'test' })),
      rdn('2.5.4.11', utf8('people, staff')),
      rdn('2.5.4.3', utf8(' #Alice+"B"\\ ')),
    );
    expect(formatDistinguishedName(der(name))).toBe(
      'CN=\\ #Alice\\+\\"B\\"\\\\\\ ,OU=people\\, staff,DC=test',
    );
  });

  it('shows control characters as escapes, so a name cannot forge a log line', () => {
    const name = sequence(rdn('2.5.4.3', utf8('evil\n{"level":"info"}')));
    expect(formatDistinguishedName(der(name))).toBe('CN=evil\\0A{\\"level\\":\\"info\\"}');
  });

  it('prints unknown attribute types by OID and non-string values as hex', () => {
    const name = sequence(
      rdn('1.2.3.4', new asn1js.OctetString({ valueHex: Buffer.of(1, 2) })),
      setOf(sequence(oid('2.5.4.3'), utf8('a')), sequence(oid('2.5.4.10'), utf8('b'))),
    );
    expect(formatDistinguishedName(der(name))).toBe('CN=a+O=b,1.2.3.4=#04020102');
  });
});
