import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueCertificate } from '../../../../scripts/lib/tls-ca.cjs';
import { describeDatabase, loadAuditConfig } from './audit.config';

const TOKEN = 'dev-operator-token';

function failure(env: NodeJS.ProcessEnv): string {
  try {
    loadAuditConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('audit configuration', () => {
  it('takes the documented defaults with only the operator token set', () => {
    const config = loadAuditConfig({ CREDROAM_AUDIT_OPERATOR_TOKEN: TOKEN });
    expect(config).toMatchObject({
      port: 8441,
      host: '127.0.0.1',
      database: { kind: 'sqlite', path: './.data/audit.sqlite' },
      operatorToken: TOKEN,
      retentionDays: 90,
      purgeIntervalMs: 3_600_000,
      queue: 'credroam.audit',
      amqp: { namespace: 'credroam' },
    });
  });

  it('derives the queue from the messaging namespace and refuses one outside it', () => {
    const env = { CREDROAM_AUDIT_OPERATOR_TOKEN: TOKEN, CREDROAM_AMQP_NAMESPACE: 'test-1a2b' };
    expect(loadAuditConfig(env).queue).toBe('test-1a2b.audit');
    expect(loadAuditConfig({ ...env, CREDROAM_AUDIT_QUEUE: 'test-1a2b.audit-siem' }).queue).toBe(
      'test-1a2b.audit-siem',
    );
    expect(failure({ ...env, CREDROAM_AUDIT_QUEUE: 'other.audit' })).toMatch(
      /CREDROAM_AUDIT_QUEUE must start with "test-1a2b\."/,
    );
  });

  it('reads a PostgreSQL URL without ever echoing it', () => {
    const url = 'postgres://audit:s3cret@db.example:5433/audit';
    const config = loadAuditConfig({ CREDROAM_AUDIT_OPERATOR_TOKEN: TOKEN, CREDROAM_AUDIT_DB: url });
    expect(config.database).toEqual({ kind: 'postgres', url });
    expect(describeDatabase(config.database)).toBe('postgres db.example:5433/audit');
    const message = failure({
      CREDROAM_AUDIT_OPERATOR_TOKEN: TOKEN,
      CREDROAM_AUDIT_DB: 'mysql://root:s3cret@x/db',
    });
    expect(message).toMatch(/CREDROAM_AUDIT_DB must be sqlite:<path> or postgres:/);
    expect(message).not.toContain('s3cret');
  });

  it('requires exactly one operator token source, of a guess-resistant length, and never echoes it', () => {
    expect(failure({})).toMatch(
      /set exactly one of CREDROAM_AUDIT_OPERATOR_TOKEN and CREDROAM_AUDIT_OPERATOR_TOKEN_FILE/,
    );
    const short = failure({ CREDROAM_AUDIT_OPERATOR_TOKEN: 'short-secret' });
    expect(short).toMatch(/at least 16 characters/);
    expect(short).not.toContain('short-secret');
    const dir = mkdtempSync(join(tmpdir(), 'audit-config-'));
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    expect(loadAuditConfig({ CREDROAM_AUDIT_OPERATOR_TOKEN_FILE: join(dir, 'token') }).operatorToken).toBe(
      TOKEN,
    );
    expect(failure({ CREDROAM_AUDIT_OPERATOR_TOKEN_FILE: join(dir, 'missing') })).toMatch(/cannot be read/);
  });

  it('names every bad variable at once', () => {
    const message = failure({
      CREDROAM_AUDIT_OPERATOR_TOKEN: TOKEN,
      CREDROAM_AUDIT_PORT: 'eighty',
      CREDROAM_AUDIT_RETENTION_DAYS: '0',
      CREDROAM_AUDIT_PREFETCH: '100000',
    });
    expect(message).toMatch(/CREDROAM_AUDIT_PORT must be a whole number/);
    expect(message).toMatch(/CREDROAM_AUDIT_RETENTION_DAYS must be at least 1/);
    expect(message).toMatch(/CREDROAM_AUDIT_PREFETCH must be at most 5000/);
  });

  it('serves HTTPS with a certificate and refuses plain HTTP off loopback unless allowed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-config-tls-'));
    const ca = createCa(dir);
    const server = issueCertificate(ca, 'server', { hosts: ['audit.example.com'] });
    const base = { CREDROAM_AUDIT_OPERATOR_TOKEN: TOKEN, CREDROAM_AUDIT_HOST: '0.0.0.0' };
    const https = loadAuditConfig({
      ...base,
      CREDROAM_AUDIT_TLS_CERT_FILE: server.certFile,
      CREDROAM_AUDIT_TLS_KEY_FILE: server.keyFile,
    });
    expect(https.tls?.summary.subjectAltName).toBe('DNS:audit.example.com');
    expect(loadAuditConfig({ CREDROAM_AUDIT_OPERATOR_TOKEN: TOKEN }).tls).toBeNull();
    expect(loadAuditConfig({ ...base, CREDROAM_AUDIT_ALLOW_PLAINTEXT: 'true' }).tls).toBeNull();
    expect(failure(base)).toMatch(
      /CREDROAM_AUDIT_HOST is 0\.0\.0\.0, not a loopback address.*CREDROAM_AUDIT_TLS_CERT_FILE and CREDROAM_AUDIT_TLS_KEY_FILE.*CREDROAM_AUDIT_ALLOW_PLAINTEXT=true/,
    );
    expect(failure({ ...base, CREDROAM_AUDIT_TLS_KEY_FILE: server.keyFile })).toMatch(
      /set both CREDROAM_AUDIT_TLS_CERT_FILE and CREDROAM_AUDIT_TLS_KEY_FILE/,
    );
    expect(failure({ ...base, CREDROAM_AUDIT_ALLOW_PLAINTEXT: 'yes' })).toMatch(
      /CREDROAM_AUDIT_ALLOW_PLAINTEXT/,
    );
  });
});
