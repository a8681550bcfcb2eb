import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventPublisher } from '@credroam/messaging';
import { type BrowserContext, type Page } from 'playwright-core';
import { failedSync, syncEvents } from '../../integration/audit/support/audit-events';
import { OPERATOR_TOKEN } from '../../integration/audit/support/audit-app';
import { connectedPublisher, deleteNamespace, uniqueNamespace } from '../../integration/audit/support/broker';
import { launchChromium, screenshotPath } from './support/chromium';
import { ensureAuditBuilt, startAuditProcess, type AuditProcess } from './support/audit-process';
import { freePort } from './support/private-postgres';

describe('the audit dashboard in headless Chromium', () => {
  const namespace = uniqueNamespace('dashboard');
  const dir = mkdtempSync(join(tmpdir(), 'credroam-dashboard-'));
  let audit: AuditProcess;
  let publisher: EventPublisher;
  let browser: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureAuditBuilt();
    audit = await startAuditProcess('audit-dashboard', await freePort(), {
      CREDROAM_AMQP_NAMESPACE: namespace,
      CREDROAM_AUDIT_DB: `sqlite:${join(dir, 'audit.sqlite')}`,
    });
    publisher = await connectedPublisher(namespace);
    browser = await launchChromium(join(dir, 'chromium-profile'), { width: 1280, height: 1000 });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await publisher?.close();
    await audit?.stop();
    await deleteNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a sync live, the counters and chart, and the user summary', async () => {
    await page.goto(audit.url);
    await page.fill('#token', OPERATOR_TOKEN);
    await page.click('#connect');
    await page.locator('#status', { hasText: 'live' }).waitFor({ timeout: 10_000 });

    // What a logon sync publishes (the saga itself is not built yet), through the real broker.
    const sync = syncEvents({ user: 'alice', machine: 'WS-0042', conflict: true });
    await publisher.publishAll([...sync, failedSync('bob', 'WS-0007')]);
    const completed = sync[sync.length - 1]!;

    const row = page.locator(`#feed tbody tr[data-event-id="${completed.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    await expect(row.textContent()).resolves.toMatch(/sync\.completed.*alice.*WS-0042/);
    await expect(page.locator('#feed tbody tr').count()).resolves.toBe(sync.length + 1);
    await page.locator('#count-completed', { hasText: /^[1-9]/ }).waitFor({ timeout: 10_000 });
    await expect(page.textContent('#count-failed')).resolves.toBe('1');
    await expect(page.textContent('#count-conflicts')).resolves.toBe('1');

    await page.fill('#user-search', 'alice');
    await page.press('#user-search', 'Enter');
    const summary = page.locator('#user-summary[data-user="alice"]');
    await summary.waitFor({ timeout: 10_000 });
    const text = await summary.textContent();
    expect(text).toContain('certificate');
    expect(text).toContain('WS-0042');
    expect(text).toContain('both-changed');

    // The token lives in this tab's sessionStorage only.
    await expect(page.evaluate('sessionStorage.getItem("credroam.audit.token")')).resolves.toBe(
      OPERATOR_TOKEN,
    );
    await expect(page.evaluate('localStorage.length')).resolves.toBe(0);
    expect(page.url()).not.toContain(OPERATOR_TOKEN);
    expect(pageErrors).toEqual([]);

    const screenshot = screenshotPath('audit-dashboard.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
  }, 60_000);
});
