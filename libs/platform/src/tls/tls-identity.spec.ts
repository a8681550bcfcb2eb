import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoamingError } from '@credroam/roaming';
import { createCa, issueCertificate, type CertificateAuthority } from '../../../../scripts/lib/tls-ca.cjs';
import { isLoopbackHost } from './loopback';
import { httpListenerTls, httpsServerOptions, listenerUrl, readTlsIdentity } from './tls-identity';
import { describeTlsFailure, tlsFailureOf } from './tls-failure';

const VARIABLES = {
  host: 'CREDROAM_X_HOST',
  certFile: 'CREDROAM_X_TLS_CERT_FILE',
  keyFile: 'CREDROAM_X_TLS_KEY_FILE',
  allowPlaintext: 'CREDROAM_X_ALLOW_PLAINTEXT',
};

function refusal(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(RoamingError);
    expect((error as RoamingError).code).toBe('INVALID_INPUT');
    return (error as RoamingError).message;
  }
  throw new Error('expected a refusal');
}

describe('isLoopbackHost', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    'localhost',
    'LocalHost.',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
  ])('%s is loopback', (host) => expect(isLoopbackHost(host)).toBe(true));

  it.each([
    '0.0.0.0',
    '::',
    '10.0.0.1',
    '128.0.0.1',
    '::ffff:10.0.0.1',
    'localhost.example.com',
    'mq',
    '127.0.0.1.nip.io',
    '',
  ])('%s is not', (host) => expect(isLoopbackHost(host)).toBe(false));
});

describe('the TLS of an HTTP listener', () => {
  let dir: string;
  let ca: CertificateAuthority;
  let server: { certFile: string; keyFile: string };
  let other: { certFile: string; keyFile: string };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'credroam-tls-spec-'));
    ca = createCa(join(dir, 'ca'));
    server = issueCertificate(ca, 'server', { hosts: ['127.0.0.1', 'logon.example.com'] });
    other = issueCertificate(ca, 'other', { hosts: ['127.0.0.1'] });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const settings = (extra: Partial<Parameters<typeof httpListenerTls>[0]>) => ({
    host: '0.0.0.0',
    certFile: undefined,
    keyFile: undefined,
    allowPlaintext: false,
    ...extra,
  });

  it('serves HTTPS with a certificate and its key, TLS 1.2 at least, and says so without secrets', () => {
    const tls = httpListenerTls(settings({ ...server }), VARIABLES)!;
    expect(tls.summary.subjectAltName).toContain('DNS:logon.example.com');
    expect(JSON.stringify(tls.summary)).not.toContain('PRIVATE KEY');
    expect(httpsServerOptions(tls)).toEqual(expect.objectContaining({ minVersion: 'TLSv1.2' }));
    expect(listenerUrl(tls, '0.0.0.0', 8440)).toBe('https://0.0.0.0:8440');
    expect(listenerUrl(null, '::1', 8441)).toBe('http://[::1]:8441');
  });

  it('takes a chain, the server certificate first', () => {
    const chainFile = join(dir, 'chain.pem');
    writeFileSync(chainFile, Buffer.concat([readFileSync(server.certFile), readFileSync(ca.certFile)]));
    expect(
      httpListenerTls(settings({ certFile: chainFile, keyFile: server.keyFile }), VARIABLES),
    ).not.toBeNull();
    const reversed = join(dir, 'reversed.pem');
    writeFileSync(reversed, Buffer.concat([readFileSync(ca.certFile), readFileSync(server.certFile)]));
    expect(
      refusal(() => httpListenerTls(settings({ certFile: reversed, keyFile: server.keyFile }), VARIABLES)),
    ).toMatch(/^CREDROAM_X_TLS_KEY_FILE: the key .* does not match the certificate .*first/);
  });

  it('allows plain HTTP on loopback, or anywhere when explicitly allowed', () => {
    expect(httpListenerTls(settings({ host: '127.0.0.1' }), VARIABLES)).toBeNull();
    expect(httpListenerTls(settings({ host: 'localhost' }), VARIABLES)).toBeNull();
    expect(httpListenerTls(settings({ allowPlaintext: true }), VARIABLES)).toBeNull();
  });

  it('refuses plain HTTP elsewhere, saying which variables would fix it', () => {
    const message = refusal(() => httpListenerTls(settings({}), VARIABLES));
    expect(message).toMatch(/^CREDROAM_X_HOST is 0.0.0.0, not a loopback address/);
    expect(message).toContain('CREDROAM_X_TLS_CERT_FILE and CREDROAM_X_TLS_KEY_FILE');
    expect(message).toContain('CREDROAM_X_ALLOW_PLAINTEXT=true');
  });

  it.each([
    [
      'only a certificate',
      () => ({ certFile: server.certFile }),
      /set both CREDROAM_X_TLS_CERT_FILE and CREDROAM_X_TLS_KEY_FILE/,
    ],
    [
      'a missing file',
      () => ({ certFile: join(dir, 'nope.pem'), keyFile: server.keyFile }),
      /^CREDROAM_X_TLS_CERT_FILE: cannot read .*nope.pem \(ENOENT\)/,
    ],
    [
      'a key for the certificate file',
      () => ({ certFile: server.keyFile, keyFile: server.keyFile }),
      /^CREDROAM_X_TLS_CERT_FILE: .* holds no PEM certificate/,
    ],
    [
      'a certificate for the key file',
      () => ({ certFile: server.certFile, keyFile: server.certFile }),
      /^CREDROAM_X_TLS_KEY_FILE: .* holds no PEM private key/,
    ],
    [
      'another certificate’s key',
      () => ({ certFile: server.certFile, keyFile: other.keyFile }),
      /^CREDROAM_X_TLS_KEY_FILE: the key .* does not match/,
    ],
  ])('refuses %s, naming the variable', (_label, files, pattern) => {
    expect(refusal(() => httpListenerTls(settings(files()), VARIABLES))).toMatch(pattern);
  });

  it('refuses an expired certificate and one not valid yet', () => {
    const variables = { certFile: 'C', keyFile: 'K' };
    expect(refusal(() => readTlsIdentity(server, variables, Date.now() + 30 * 86_400_000))).toMatch(
      /^C: .* expired on/,
    );
    expect(refusal(() => readTlsIdentity(server, variables, Date.now() - 86_400_000))).toMatch(
      /^C: .* not valid before/,
    );
  });

  it('never puts key material in a message', () => {
    const message = refusal(() =>
      readTlsIdentity({ certFile: server.keyFile, keyFile: server.keyFile }, { certFile: 'C', keyFile: 'K' }),
    );
    expect(message).not.toMatch(/BEGIN|PRIVATE/);
  });
});

describe('tlsFailureOf', () => {
  const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

  it('finds the TLS reason through fetch’s cause chain', () => {
    const failure = tlsFailureOf(
      new TypeError('fetch failed', { cause: coded('SELF_SIGNED_CERT_IN_CHAIN') }),
    );
    expect(failure).toEqual({ kind: 'untrusted', code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(describeTlsFailure(failure!, 'https://x')).toBe(
      'the certificate of https://x is not trusted (SELF_SIGNED_CERT_IN_CHAIN)',
    );
  });

  it('ignores failures that are not about TLS', () => {
    expect(tlsFailureOf(coded('ECONNREFUSED'))).toBeNull();
    expect(tlsFailureOf('SELF_SIGNED_CERT_IN_CHAIN')).toBeNull();
  });
});
