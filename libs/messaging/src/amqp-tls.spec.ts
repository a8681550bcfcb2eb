import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoamingError } from '@credroam/roaming';
import { createCa, issueCertificate, type CertificateAuthority } from '../../../scripts/lib/tls-ca.cjs';
import { amqpConfig, loadAmqpConfig } from './amqp.config';
import { connectionOptions } from './amqp.connection';
import { amqpSocketTls, brokerTlsHint } from './amqp-tls';

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    loadAmqpConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(RoamingError);
    return (error as RoamingError).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('TLS to the broker', () => {
  const remote = 'amqps://svc:topsecret@mq.example.com/credroam';
  let dir: string;
  let ca: CertificateAuthority;
  let client: { certFile: string; keyFile: string };
  let stranger: { certFile: string; keyFile: string };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'credroam-amqp-tls-spec-'));
    ca = createCa(join(dir, 'ca'));
    client = issueCertificate(ca, 'client', { usage: 'client', subject: '/CN=credroam-audit' });
    stranger = issueCertificate(ca, 'stranger', { usage: 'client' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the files of an amqps:// configuration and hands their content to every connection', () => {
    const config = loadAmqpConfig({
      CREDROAM_AMQP_URL: remote,
      CREDROAM_AMQP_CA_FILE: ca.certFile,
      CREDROAM_AMQP_CERT_FILE: client.certFile,
      CREDROAM_AMQP_KEY_FILE: client.keyFile,
    });
    expect(config.tls).toEqual({ caFile: ca.certFile, ...client });
    const socket = connectionOptions(config, 'test');
    expect(socket.noDelay).toBe(true);
    expect(socket.ca?.[0]?.toString()).toContain('BEGIN CERTIFICATE');
    expect(socket.cert?.toString()).toContain('BEGIN CERTIFICATE');
    expect(socket.key?.toString()).toContain('PRIVATE KEY');
  });

  it('trusts the system CAs for amqps:// without a CA file, and adds nothing for a plain loopback URL', () => {
    expect(loadAmqpConfig({ CREDROAM_AMQP_URL: remote }).tls).toBeUndefined();
    expect(loadAmqpConfig({}).tls).toBeUndefined();
    expect(amqpSocketTls(undefined)).toEqual({});
    expect(Object.keys(connectionOptions(amqpConfig(), 'test'))).toEqual([
      'noDelay',
      'timeout',
      'clientProperties',
    ]);
  });

  it('refuses a plain amqp:// URL to another host unless allowed explicitly, without echoing the URL', () => {
    const plain = 'amqp://svc:topsecret@mq.example.com/credroam';
    const message = refusal({ CREDROAM_AMQP_URL: plain });
    expect(message).toContain(
      'CREDROAM_AMQP_URL is a plain amqp:// URL to mq.example.com, not a loopback address',
    );
    expect(message).toContain('CREDROAM_AMQP_ALLOW_PLAINTEXT=true');
    expect(message).not.toContain('topsecret');
    expect(loadAmqpConfig({ CREDROAM_AMQP_URL: plain, CREDROAM_AMQP_ALLOW_PLAINTEXT: 'true' }).url).toBe(
      plain,
    );
    expect(loadAmqpConfig({ CREDROAM_AMQP_URL: 'amqp://guest:guest@localhost:5672' }).url).toContain(
      'localhost',
    );
  });

  it.each([
    [{ CREDROAM_AMQP_ALLOW_PLAINTEXT: 'yes' }, /CREDROAM_AMQP_ALLOW_PLAINTEXT must be true or false/],
    [
      { CREDROAM_AMQP_CA_FILE: '/ca.crt' },
      /CREDROAM_AMQP_CA_FILE set, but CREDROAM_AMQP_URL is a plain amqp:\/\/ URL/,
    ],
    [
      { CREDROAM_AMQP_URL: remote, CREDROAM_AMQP_CERT_FILE: '/c.crt' },
      /set both CREDROAM_AMQP_CERT_FILE and CREDROAM_AMQP_KEY_FILE/,
    ],
    [
      { CREDROAM_AMQP_URL: remote, CREDROAM_AMQP_CA_FILE: '/nonexistent/ca.crt' },
      /CREDROAM_AMQP_CA_FILE: cannot read \/nonexistent\/ca.crt/,
    ],
  ])('refuses %j, naming the variable', (env, pattern) => {
    expect(refusal(env)).toMatch(pattern);
  });

  it('refuses a client key that does not match its certificate', () => {
    expect(
      refusal({
        CREDROAM_AMQP_URL: remote,
        CREDROAM_AMQP_CERT_FILE: client.certFile,
        CREDROAM_AMQP_KEY_FILE: stranger.keyFile,
      }),
    ).toMatch(/CREDROAM_AMQP_KEY_FILE: the key .* does not match/);
  });

  it('says what to set when a connection failed because of TLS', () => {
    const untrusted = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(brokerTlsHint(untrusted)).toBe(
      'the certificate of the broker is not trusted (SELF_SIGNED_CERT_IN_CHAIN): set CREDROAM_AMQP_CA_FILE to the CA that issued it',
    );
    expect(
      brokerTlsHint(Object.assign(new Error('x'), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' })),
    ).toMatch(/set CREDROAM_AMQP_CERT_FILE and CREDROAM_AMQP_KEY_FILE/);
    expect(brokerTlsHint(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBeUndefined();
  });
});
