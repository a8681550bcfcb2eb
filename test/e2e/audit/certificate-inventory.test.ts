// The fleet certificate inventory end to end: certificates made by OpenSSL are imported with bin/credroam-agent on
// simulated workstations and synced through the real stack (slapd, RabbitMQ, directory-gateway, token-crypto,
// logon-events, audit, each its own process); audit's API, its Prometheus gauges and its dashboard in headless
// Chromium then say which certificates expire soon, for whom, and which are weak.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page } from 'playwright-core';
import { type EventEnvelope } from '@credroam/roaming';
import {
  type CertificatePage,
  type CertificatesSummary,
} from '../../../apps/audit/src/contract/audit-api.schemas';
import { OpensslWorkspace, type GeneratedCertificate } from '../../helpers/openssl';
import { type ServiceProcess } from '../../helpers/service-process';
import { useSlapd } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { OPERATOR_TOKEN } from '../../integration/audit/support/audit-app';
import { expectOk, Workstations } from '../../support/agent-cli';
import { startRoamingServices, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';
import { tearDown } from '../../support/teardown';
import { launchChromium, screenshotPath } from './support/chromium';
import { ensureAuditBuilt, startAuditProcess, type AuditProcess } from './support/audit-process';
import { freePort } from './support/private-postgres';

describe('the certificate inventory through the real stack, its API, gauges and dashboard', () => {
  const slapd = useSlapd({
    users: [
      { uid: 'alice', password: 'alice-pass' },
      { uid: 'bob', password: 'bob-pass' },
    ],
  });
  const namespace = testNamespace();
  let probe: BrokerProbe;
  let gateway: ServiceProcess;
  let stack: LogonStack;
  let audit: AuditProcess;
  let workspace: OpensslWorkspace;
  let dir: string;
  let browser: BrowserContext | undefined;
  const certificates: Record<'days5' | 'days20' | 'days400' | 'rsa1024' | 'sha1', GeneratedCertificate> =
    {} as never;
  const { run, login, sync } = new Workstations(
    () => dir,
    () => stack.url,
  );

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${audit.url}${path}`, {
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  };
  const thumbprints = (page: CertificatePage) => page.certificates.map((item) => item.thumbprint);
  const inventory = (query: string, description: string, done: (page: CertificatePage) => boolean) =>
    waitFor(
      async () => {
        const page = await api<CertificatePage>(`/v1/certificates?${query}`);
        return done(page) ? page : undefined;
      },
      { description, timeoutMs: 15_000 },
    );
  const gauge = async (pattern: RegExp) =>
    Number(pattern.exec(await (await fetch(`${audit.url}/metrics`)).text())?.[1] ?? NaN);

  beforeAll(async () => {
    ensureAuditBuilt();
    probe = await BrokerProbe.open(namespace);
    probe.track({ queues: [`${namespace}.logon-events.ingress`] });
    probe.trackConsumerQueue(probe.names.queue('audit'));
    dir = mkdtempSync(join(tmpdir(), 'credroam-e2e-inventory-'));
    audit = await startAuditProcess('inventory-audit', await freePort(), {
      CREDROAM_AMQP_NAMESPACE: namespace,
      CREDROAM_AUDIT_DB: `sqlite:${join(dir, 'audit.sqlite')}`,
    });
    ({ gateway, stack } = await startRoamingServices(slapd(), namespace));
    workspace = await OpensslWorkspace.create();
    certificates.days5 = await workspace.selfSignedCertificate({ subject: '/CN=alice vpn', days: 5 });
    certificates.days20 = await workspace.selfSignedCertificate({
      algorithm: 'p-256',
      subject: '/CN=alice wifi',
      days: 20,
    });
    certificates.days400 = await workspace.selfSignedCertificate({ subject: '/CN=alice signing', days: 400 });
    certificates.rsa1024 = await workspace.selfSignedCertificate({
      algorithm: 'rsa-1024',
      subject: '/CN=alice legacy',
      days: 200,
    });
    certificates.sha1 = await workspace.selfSignedCertificate({
      subject: '/CN=bob old-ca',
      days: 100,
      digest: 'sha1',
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await tearDown({ services: [...(stack?.processes ?? []), gateway, audit], probe, workspace, dir });
  }, 30_000);

  it('inventories what the agents upload: expiring within 7 and 30 days, weak keys and SHA-1, per user', async () => {
    await login('ws-a');
    for (const name of ['days5', 'days20', 'days400', 'rsa1024'] as const) {
      expectOk(await run('ws-a', ['import', certificates[name].certFile]));
    }
    expect((await sync('ws-a')).rejections).toEqual([]);
    await login('ws-bob', 'bob');
    expectOk(await run('ws-bob', ['import', certificates.sha1.certFile]));
    expect((await sync('ws-bob')).rejections).toEqual([]);

    const all = await inventory('limit=100', 'five certificates', (page) => page.certificates.length === 5);
    const { days5, days20, days400, rsa1024, sha1 } = certificates;
    expect(thumbprints(all)).toEqual([days5, days20, sha1, rsa1024, days400].map((c) => c.thumbprint));
    expect(all.certificates[0]).toMatchObject({
      user: 'alice',
      subject: 'CN=alice vpn',
      issuer: 'CN=alice vpn',
      keyAlgorithm: 'RSA',
      keySize: 2048,
      signatureAlgorithm: 'RSA-SHA256',
      weaknesses: [],
      expired: false,
    });
    expect(all.certificates.find((item) => item.thumbprint === days20.thumbprint)).toMatchObject({
      keyAlgorithm: 'EC-P-256',
      signatureAlgorithm: 'ECDSA-SHA256',
    });
    expect(all.certificates.find((item) => item.thumbprint === rsa1024.thumbprint)).toMatchObject({
      keySize: 1024,
      weaknesses: ['rsa-key-under-2048'],
    });
    expect(all.certificates.find((item) => item.thumbprint === sha1.thumbprint)).toMatchObject({
      user: 'bob',
      signatureAlgorithm: 'RSA-SHA1',
      weaknesses: ['sha1-signature'],
    });

    expect(thumbprints(await api('/v1/certificates?expiringWithinDays=7'))).toEqual([days5.thumbprint]);
    expect(thumbprints(await api('/v1/certificates?expiringWithinDays=30'))).toEqual([
      days5.thumbprint,
      days20.thumbprint,
    ]);
    expect(thumbprints(await api('/v1/certificates?weak=true'))).toEqual([
      sha1.thumbprint,
      rsa1024.thumbprint,
    ]);
    expect(thumbprints(await api('/v1/certificates?user=bob'))).toEqual([sha1.thumbprint]);
    expect(await api<CertificatesSummary>('/v1/certificates/summary')).toMatchObject({
      total: 5,
      expired: 0,
      weak: 2,
      expiring: { '7d': 1, '30d': 2 },
    });

    await expect(gauge(/^credroam_certificates_expiring\{within="7d"\} (\d+)/m)).resolves.toBe(1);
    await expect(gauge(/^credroam_certificates_expiring\{within="30d"\} (\d+)/m)).resolves.toBe(2);
    await expect(gauge(/^credroam_certificates_weak (\d+)/m)).resolves.toBe(2);
  }, 120_000);

  it('carries the facts in the download events too, and drops a certificate deleted on a workstation', async () => {
    await login('ws-b');
    await sync('ws-b');
    const downloads = await waitFor(
      async () => {
        const page = await api<{ events: EventEnvelope[] }>('/v1/events?type=token.downloaded&user=alice');
        return page.events.length >= 4 ? page.events : undefined;
      },
      { description: "alice's four downloads in audit", timeoutMs: 15_000 },
    );
    for (const event of downloads) {
      expect(event.payload).toMatchObject({
        type: 'certificate',
        certificate: { subject: expect.any(String) },
      });
    }

    expectOk(await run('ws-b', ['delete', 'certificate', certificates.days400.thumbprint]));
    await sync('ws-b');
    await inventory('user=alice', 'the deleted certificate gone', (page) => page.certificates.length === 3);
    await expect(gauge(/^credroam_certificates_roaming (\d+)/m)).resolves.toBe(4);
  }, 120_000);

  it('shows the expiry chart and a searchable table on the dashboard', async () => {
    browser = await launchChromium(join(dir, 'chromium-profile'), { width: 1280, height: 1400 });
    const page: Page = browser.pages()[0] ?? (await browser.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(audit.url);
    await page.fill('#token', OPERATOR_TOKEN);
    await page.click('#connect');
    await page.locator('#cert-total', { hasText: /^4$/ }).waitFor({ timeout: 15_000 });
    await expect(page.textContent('#cert-7d')).resolves.toBe('1');
    await expect(page.textContent('#cert-30d')).resolves.toBe('2');
    await expect(page.textContent('#cert-weak')).resolves.toBe('2');
    const rows = page.locator('#cert-table tbody tr');
    await expect(rows.count()).resolves.toBe(4);
    await expect(rows.first().textContent()).resolves.toMatch(/alice.*CN=alice vpn.*RSA 2048.*RSA-SHA256/);
    // The chart drew bars: some pixels of the canvas are no longer transparent.
    const painted = await page.evaluate(`(() => {
      const canvas = document.getElementById('expiry-chart');
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let index = 3; index < pixels.length; index += 4) if (pixels[index] > 0) count += 1;
      return count;
    })()`);
    expect(painted).toBeGreaterThan(500);

    const screenshot = screenshotPath('certificate-inventory.png');
    await page.locator('#certificates').screenshot({ path: screenshot });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
    console.log(`dashboard screenshot: ${screenshot}`);

    await page.fill('#cert-search', 'legacy');
    await page.check('#cert-weak-only');
    await page.click('#cert-form button[type="submit"]');
    await page
      .locator(`#cert-table tbody tr[data-thumbprint="${certificates.rsa1024.thumbprint}"]`)
      .waitFor({ timeout: 10_000 });
    await waitFor(async () => ((await rows.count()) === 1 ? true : undefined), {
      description: 'one row after the search',
      timeoutMs: 10_000,
    });
    await expect(rows.first().textContent()).resolves.toContain('rsa-key-under-2048');

    // A user's summary lists the certificates that roam for them.
    await page.fill('#user-search', 'alice');
    await page.press('#user-search', 'Enter');
    const summary = page.locator('#user-summary[data-user="alice"]');
    await summary.waitFor({ timeout: 10_000 });
    await expect(summary.textContent()).resolves.toMatch(/Certificates.*CN=alice vpn.*CN=alice legacy/);
    await expect(summary.textContent()).resolves.not.toContain('CN=bob');
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
