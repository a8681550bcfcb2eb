// The certificate inventory in audit, in process, against the real broker and each database: what the token events
// carry about certificates becomes the API's answers and the Prometheus gauges; tombstones and operator purges
// remove; redelivered and late older events change nothing.
import { randomUUID } from 'node:crypto';
import { certificateWeaknesses, type CertificateMetadata } from '@credroam/roaming';
import { HASH_A } from '@credroam/roaming/contracts/testing/contract-examples';
import {
  type CertificatePage,
  type CertificatesSummary,
} from '../../../apps/audit/src/contract/audit-api.schemas';
import { waitFor } from '../../helpers/wait-for';
import { event } from './support/audit-events';
import { useAuditSuite } from './support/audit-app';
import { uniqueNamespace } from './support/broker';
import { AUDIT_DATABASES } from './support/databases';

const DAY_MS = 86_400_000;

/** A distinct 40-hex thumbprint per call. */
const thumbprintOf = (label: string) =>
  Buffer.from(label.padEnd(20, '.').slice(0, 20)).toString('hex').toUpperCase();

function facts(
  subject: string,
  notAfter: number,
  key: { keyAlgorithm: string; keySize: number | null } = { keyAlgorithm: 'RSA', keySize: 2048 },
  signatureAlgorithm = 'RSA-SHA256',
): CertificateMetadata {
  const described = { ...key, signatureAlgorithm };
  return {
    subject: `CN=${subject}`,
    issuer: 'CN=Example Issuing CA,O=Example',
    serialNumber: '0A1B2C',
    notBefore: new Date(notAfter - 365 * DAY_MS).toISOString(),
    notAfter: new Date(notAfter).toISOString(),
    ...described,
    weaknesses: certificateWeaknesses(described),
  };
}

describe.each(AUDIT_DATABASES)('the certificate inventory on $name', (database) => {
  const namespace = uniqueNamespace(`inventory-${database.name.toLowerCase()}`);
  const suite = useAuditSuite(database, namespace);
  const now = Date.now();

  const uploaded = (user: string, id: string, certificate: CertificateMetadata, at = Date.now()) =>
    event(
      'token.uploaded',
      {
        correlationId: randomUUID(),
        user,
        machine: null,
        payload: {
          type: 'certificate',
          id,
          hash: HASH_A,
          modifiedAt: at,
          size: 900,
          conflict: false,
          certificate,
        },
      },
      at,
    );
  const tombstoned = (user: string, id: string, at = Date.now()) =>
    event(
      'token.tombstoned',
      {
        correlationId: randomUUID(),
        user,
        machine: null,
        payload: { type: 'certificate', id, hash: HASH_A, modifiedAt: at, size: 0 },
      },
      at,
    );
  const list = (query: string) => suite.audit.json<CertificatePage>(`/v1/certificates?${query}`);
  const gauges = async () => {
    const text = await (await suite.audit.get('/metrics', null)).text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
    return {
      within7d: value(/^credroam_certificates_expiring\{within="7d"\} (-?\d+)/m),
      within30d: value(/^credroam_certificates_expiring\{within="30d"\} (-?\d+)/m),
      weak: value(/^credroam_certificates_weak (-?\d+)/m),
      roaming: value(/^credroam_certificates_roaming (-?\d+)/m),
    };
  };
  const settled = (description: string, check: (page: CertificatePage) => boolean, query = 'limit=1000') =>
    waitFor(
      async () => {
        const page = await list(query);
        return check(page) ? page : undefined;
      },
      { description, timeoutMs: 10_000, intervalMs: 50 },
    );

  it('answers which certificates expire within N days, for whom, and which are weak; the gauges agree', async () => {
    const soon = thumbprintOf('soon');
    const month = thumbprintOf('month');
    const later = thumbprintOf('later');
    const weak = thumbprintOf('weak');
    const sha1 = thumbprintOf('sha1');
    await suite.publisher.publishAll([
      uploaded('alice', soon, facts('alice soon', now + 5 * DAY_MS)),
      uploaded('alice', month, facts('alice month', now + 20 * DAY_MS)),
      uploaded('bob', later, facts('bob later', now + 400 * DAY_MS)),
      uploaded('bob', weak, facts('bob weak', now + 60 * DAY_MS, { keyAlgorithm: 'RSA', keySize: 1024 })),
      uploaded(
        'carol',
        sha1,
        facts('carol sha1', now - 30 * DAY_MS, { keyAlgorithm: 'EC-P-256', keySize: 256 }, 'ECDSA-SHA1'),
      ),
    ]);
    const all = await settled('five certificates', (page) => page.certificates.length === 5);
    expect(all.certificates.map((item) => item.thumbprint)).toEqual([sha1, soon, month, weak, later]);
    expect(all.certificates[0]).toMatchObject({
      user: 'carol',
      subject: 'CN=carol sha1',
      expired: true,
      weaknesses: ['sha1-signature'],
    });

    expect((await list('expiringWithinDays=7')).certificates.map((item) => item.thumbprint)).toEqual([soon]);
    expect((await list('expiringWithinDays=30')).certificates.map((item) => item.thumbprint)).toEqual([
      soon,
      month,
    ]);
    expect((await list('expiringWithinDays=30&user=bob')).certificates).toEqual([]);
    expect((await list('user=bob')).certificates.map((item) => item.thumbprint)).toEqual([weak, later]);
    expect((await list('weak=true')).certificates.map((item) => item.thumbprint)).toEqual([sha1, weak]);
    expect((await list('expired=true')).certificates.map((item) => item.thumbprint)).toEqual([sha1]);
    expect((await list('q=MONTH')).certificates.map((item) => item.thumbprint)).toEqual([month]);
    // LIKE's wildcards are literal.
    expect((await list('q=%25')).certificates).toEqual([]);
    expect((await list('limit=2')).truncated).toBe(true);

    const summary = await suite.audit.json<CertificatesSummary>('/v1/certificates/summary');
    expect(summary).toMatchObject({ total: 5, expired: 1, weak: 2, expiring: { '7d': 1, '30d': 2 } });
    expect(summary.weeks.reduce((sum, week) => sum + week.count, 0)).toBe(3);
    expect(summary.weeks.every((week) => new Date(week.start).getUTCDay() === 1)).toBe(true);
    expect(await suite.audit.json<CertificatesSummary>('/v1/certificates/summary?user=alice')).toMatchObject({
      total: 2,
      expiring: { '7d': 1, '30d': 2 },
    });
    await expect(gauges()).resolves.toEqual({ within7d: 1, within30d: 2, weak: 2, roaming: 5 });
  });

  it('removes a tombstoned certificate and an operator purge, and never lets an older event undo a newer one', async () => {
    const id = thumbprintOf('tombstone');
    const t = Date.now();
    const upload = uploaded('dave', id, facts('dave', now + 3 * DAY_MS), t);
    await suite.publisher.publishAll([upload]);
    await settled('dave has a certificate', (page) => page.certificates.length === 1, 'user=dave');
    await suite.publisher.publishAll([tombstoned('dave', id, t + 10)]);
    await settled('dave has none', (page) => page.certificates.length === 0, 'user=dave');

    // The same upload again (a redelivery) and a late older one change nothing; a marker shows they were consumed.
    const marker = thumbprintOf('marker');
    await suite.publisher.publishAll([
      upload,
      uploaded('dave', id, facts('dave', now + 3 * DAY_MS), t - 1_000),
      uploaded('dave', marker, facts('dave marker', now + 90 * DAY_MS), t + 20),
    ]);
    const page = await settled('the marker arrived', (found) => found.certificates.length >= 1, 'user=dave');
    expect(page.certificates.map((item) => item.thumbprint)).toEqual([marker]);

    await suite.publisher.publishAll([
      event(
        'security.operator-action',
        {
          correlationId: randomUUID(),
          user: 'dave',
          machine: null,
          payload: {
            operator: 'helpdesk',
            operation: 'directory.purge-user',
            targetDn: 'uid=dave,ou=people,dc=credroam,dc=test',
            types: null,
            removed: 3,
          },
        },
        t + 30,
      ),
    ]);
    await settled('dave purged', (found) => found.certificates.length === 0, 'user=dave');
    // A later sync that uploads the certificate again brings it back.
    await suite.publisher.publishAll([uploaded('dave', id, facts('dave', now + 3 * DAY_MS), t + 40)]);
    await settled('dave again', (found) => found.certificates.length === 1, 'user=dave');
  });

  it('keeps the inventory route behind the operator token and refuses bad parameters by name', async () => {
    expect((await suite.audit.get('/v1/certificates', null)).status).toBe(401);
    const bad = await suite.audit.get('/v1/certificates?expiringWithinDays=-1');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('expiringWithinDays');
    expect((await suite.audit.get('/v1/certificates?weak=maybe')).status).toBe(400);
  });
});
