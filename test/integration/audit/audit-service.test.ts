import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { amqpNames } from '@credroam/messaging';
import { problemSchema, type RoamingEvent } from '@credroam/roaming';
import { RetentionService } from '../../../apps/audit/src/retention/retention.service';
import { waitFor } from '../../helpers/wait-for';
import { event, failedSync, syncEvents, thumbprint } from './support/audit-events';
import { OPERATOR_TOKEN, useAuditSuite } from './support/audit-app';
import { publishRaw, queueDepth, uniqueNamespace } from './support/broker';
import { AUDIT_DATABASES } from './support/databases';
import { openSse } from './support/sse-client';

interface Page {
  events: (RoamingEvent & { receivedAt: string })[];
  nextCursor: string | null;
}

describe.each(AUDIT_DATABASES)('audit on $name with the real broker', (database) => {
  const namespace = uniqueNamespace(database.name.toLowerCase());
  const suite = useAuditSuite(database, namespace);

  const stored = (filter: string, count: number) =>
    waitFor(
      async () => {
        const page = await suite.audit.json<Page>(`/v1/events?${filter}`);
        return page.events.length >= count ? page : undefined;
      },
      { description: `${count} events matching ${filter}`, timeoutMs: 10_000, intervalMs: 50 },
    );
  /** How many redelivered events audit has recognised as already stored (its Prometheus counter). */
  const duplicatesSeen = async () => {
    const metrics = await (await suite.audit.get('/metrics', null)).text();
    return Number(/^credroam_audit_duplicate_events_total (\d+)/m.exec(metrics)?.[1] ?? 0);
  };

  it('stores a published sync and lists it newest first, filtered by user, machine, type, code and correlation id', async () => {
    const correlationId = randomUUID();
    const events = syncEvents({ user: 'alice', machine: 'WS-1', correlationId });
    await suite.publisher.publishAll(events);
    const page = await stored(`correlationId=${correlationId}`, 3);
    expect(page.events.map((e) => e.type)).toEqual(['sync.completed', 'token.uploaded', 'sync.started']);
    expect(page.events[0]).toMatchObject({ ...events[2], receivedAt: expect.any(String) });

    expect(
      (await suite.audit.json<Page>(`/v1/events?user=alice&type=token.*&correlationId=${correlationId}`))
        .events,
    ).toHaveLength(1);
    expect(
      (
        await suite.audit.json<Page>(
          `/v1/events?machine=WS-1&type=sync.started,sync.completed&correlationId=${correlationId}`,
        )
      ).events,
    ).toHaveLength(2);
    expect(
      (await suite.audit.json<Page>(`/v1/events?user=bob&correlationId=${correlationId}`)).events,
    ).toHaveLength(0);
    expect(
      (await suite.audit.json<Page>(`/v1/events?code=1001&correlationId=${correlationId}`)).events,
    ).toHaveLength(0);
  });

  it('pages through a time range with an opaque cursor, never repeating or skipping an event', async () => {
    const base = Date.UTC(2026, 0, 10, 12);
    const events = Array.from({ length: 25 }, (_, i) =>
      // Pairs share a timestamp, so the id breaks ties.
      event(
        'sync.started',
        { correlationId: randomUUID(), user: 'pager', machine: 'WS-P', payload: { trigger: 'refresh' } },
        base + Math.floor(i / 2) * 1000,
      ),
    );
    await suite.publisher.publishAll(events);
    await stored('user=pager&limit=25', 25);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query = `user=pager&limit=7&from=${new Date(base).toISOString()}&to=${new Date(base + 60_000).toISOString()}${cursor ? `&cursor=${cursor}` : ''}`;
      const page: Page = await suite.audit.json<Page>(`/v1/events?${query}`);
      seen.push(...page.events.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    const expected = [...events]
      .sort((a, b) => Date.parse(b.occurredAt) - Date.parse(a.occurredAt) || (a.id < b.id ? 1 : -1))
      .map((e) => e.id);
    expect(seen).toEqual(expected);

    const bad = await suite.audit.get('/v1/events?cursor=bm90LWEtY3Vyc29y');
    expect(bad.status).toBe(400);
  });

  it('stores a redelivered event once', async () => {
    const [started] = syncEvents({ user: 'dup', machine: 'WS-D' });
    const duplicatesBefore = await duplicatesSeen();
    await suite.publisher.publish(started!);
    await suite.publisher.publish(started!);
    await suite.publisher.publish(started!);
    await stored(`correlationId=${started!.correlationId}`, 1);
    // Both copies have been through the insert once audit has counted them as duplicates.
    await waitFor(async () => (await duplicatesSeen()) >= duplicatesBefore + 2, {
      description: 'the two copies recognised as duplicates',
    });
    await waitFor(async () => (await queueDepth(amqpNames(namespace).queue('audit'))) === 0, {
      description: 'queue drained',
    });
    expect(
      (await suite.audit.json<Page>(`/v1/events?correlationId=${started!.correlationId}`)).events,
    ).toHaveLength(1);
  });

  it('dead-letters malformed messages with a message.dead-lettered event and keeps consuming', async () => {
    const deadLetters = amqpNames(namespace).deadLetterQueue;
    const before = (await queueDepth(deadLetters)) ?? 0;
    await publishRaw(namespace, 'sync.completed', Buffer.from('{not json'));
    await publishRaw(
      namespace,
      'sync.completed',
      Buffer.from(JSON.stringify({ id: 'nope', type: 'sync.completed' })),
    );
    await waitFor(async () => ((await queueDepth(deadLetters)) ?? 0) >= before + 2, {
      description: 'two dead letters',
      timeoutMs: 10_000,
    });
    const page = await stored('type=message.dead-lettered', 2);
    for (const event of page.events)
      expect(event.payload).toMatchObject({ queue: amqpNames(namespace).queue('audit') });
    expect(page.events.map((event) => (event.payload as { reason: string }).reason).sort()).toEqual([
      'invalid-message',
      'not-json',
    ]);

    const [after] = syncEvents({ user: 'after-poison', machine: 'WS-1' });
    await suite.publisher.publish(after!);
    await stored(`correlationId=${after!.correlationId}`, 1);
  });

  it('stores an envelope of an event version it does not know, as published', async () => {
    const unknown = {
      id: randomUUID(),
      type: 'sync.completed',
      version: 2,
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      user: 'future',
      machine: 'WS-F',
      code: 1,
      payload: { somethingNew: { nested: true } },
    };
    await publishRaw(namespace, 'sync.completed', Buffer.from(JSON.stringify(unknown)));
    const page = await stored(`correlationId=${unknown.correlationId}`, 1);
    expect(page.events[0]).toMatchObject(unknown);
  });

  it('summarises a user: tokens by type, last sync per machine, open conflicts, rejections and limit hits', async () => {
    const user = 'summary-user';
    const t0 = Date.now() - 60_000;
    const first = syncEvents({ user, machine: 'WS-A', at: t0, certificateId: thumbprint(1), size: 1000 });
    // A conflict on token 1 that a later sync wrote over (settled), and one on token 2 that nothing touched since.
    const settled = syncEvents({
      user,
      machine: 'WS-A',
      at: t0 + 5_000,
      certificateId: thumbprint(1),
      size: 1000,
      conflict: true,
    });
    const open = syncEvents({
      user,
      machine: 'WS-B',
      at: t0 + 10_000,
      certificateId: thumbprint(2),
      size: 2000,
      conflict: true,
    });
    const later = syncEvents({
      user,
      machine: 'WS-A',
      at: t0 + 20_000,
      certificateId: thumbprint(1),
      size: 1500,
    });
    const subject = { correlationId: randomUUID(), user, machine: 'WS-B' };
    const rejected = event(
      'token.rejected',
      {
        ...subject,
        payload: {
          tokenType: 'private-key',
          displayId: '"k1"',
          side: 'local',
          code: 'TOKEN_SIZE_EXCEEDED',
          message: 'too big',
        },
      },
      t0 + 30_000,
    );
    const limit = event(
      'policy.limit-exceeded',
      { ...subject, payload: { limit: 'maxTokens', allowed: 400, actual: 412 } },
      t0 + 31_000,
    );
    const failed = failedSync(user, 'WS-C', t0 + 40_000);
    const all = [...first, ...settled, ...open, ...later, rejected, limit, failed];
    await suite.publisher.publishAll(all);
    await stored(`user=${user}&limit=100`, all.length);

    const summary = await suite.audit.json<Record<string, unknown>>(`/v1/users/${user}/summary`);
    expect(summary.tokensByType).toEqual([{ tokenType: 'certificate', live: 2, tombstoned: 0, bytes: 3500 }]);
    expect(summary.machines).toEqual([
      expect.objectContaining({ machine: 'WS-C', outcome: 'failed', code: 1010 }),
      expect.objectContaining({ machine: 'WS-A', outcome: 'completed', code: 1 }),
      expect.objectContaining({ machine: 'WS-B', outcome: 'completed', code: 1 }),
    ]);
    const openConflicts = summary.openConflicts as RoamingEvent[];
    expect(openConflicts.map((e) => (e.payload as { id: string }).id)).toEqual([thumbprint(2)]);
    expect(summary.rejections).toEqual({
      byCode: [{ code: 1011, name: 'SIZE_LIMIT_EXCEEDED', count: 1 }],
      recent: [expect.objectContaining({ id: rejected.id })],
    });
    expect(summary.limitHits).toEqual({ count: 1, recent: [expect.objectContaining({ id: limit.id })] });
  });

  it('summarises the fleet: syncs per minute, failures by code, totals and top users', async () => {
    const from = Date.UTC(2025, 5, 1, 10, 0);
    const events = [
      ...syncEvents({ user: 'fleet-a', machine: 'M1', at: from + 5_000, conflict: true }),
      ...syncEvents({ user: 'fleet-a', machine: 'M1', at: from + 65_000, conflict: true }),
      ...syncEvents({ user: 'fleet-b', machine: 'M2', at: from + 70_000, conflict: true, size: 90_000 }),
      failedSync('fleet-b', 'M2', from + 125_000),
    ];
    await suite.publisher.publishAll(events);
    await stored(
      `from=${new Date(from).toISOString()}&to=${new Date(from + 600_000).toISOString()}&limit=100`,
      events.length,
    );
    const range = `from=${new Date(from).toISOString()}&to=${new Date(from + 600_000).toISOString()}`;
    const fleet = await suite.audit.json<Record<string, unknown>>(`/v1/fleet/summary?${range}`);
    expect(fleet).toMatchObject({
      bucketSeconds: 60,
      syncs: [
        { start: new Date(from).toISOString(), completed: 1, failed: 0 },
        { start: new Date(from + 60_000).toISOString(), completed: 2, failed: 0 },
        { start: new Date(from + 120_000).toISOString(), completed: 0, failed: 1 },
      ],
      totals: { syncsCompleted: 3, syncsFailed: 1, conflicts: 3, events: events.length },
      failuresByCode: [{ code: 1010, name: 'DIRECTORY_ACCESS_FAILED', count: 1 }],
      topUsers: {
        by: 'conflicts',
        users: [
          { user: 'fleet-a', count: 2 },
          { user: 'fleet-b', count: 1 },
        ],
      },
    });
    const bySize = await suite.audit.json<{ topUsers: { by: string; users: { user: string }[] } }>(
      `/v1/fleet/summary?${range}&top=size&topLimit=1`,
    );
    expect(bySize.topUsers).toEqual({ by: 'size', users: [{ user: 'fleet-b', bytes: 90_000, tokens: 1 }] });
  });

  it('exports CSV with formula cells neutralised, and NDJSON', async () => {
    const correlationId = randomUUID();
    const sneaky = event('sync.started', {
      correlationId,
      user: "=cmd|' /C calc'!A0",
      machine: 'WS-X',
      payload: { trigger: 'pulse' },
    });
    await suite.publisher.publish(sneaky);
    await stored(`correlationId=${correlationId}`, 1);

    const csv = await suite.audit.get(`/v1/events/export?correlationId=${correlationId}`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="credroam-audit-.*\.csv"/);
    const lines = (await csv.text()).split('\r\n');
    expect(lines[0]).toBe(
      'id,occurredAt,receivedAt,type,version,code,codeName,user,machine,correlationId,payload',
    );
    expect(lines[1]).toContain(`,'=cmd|' /C calc'!A0,WS-X,`);
    expect(lines[1]).toContain('"{""trigger"":""pulse""}"');

    const ndjson = await suite.audit.get(`/v1/events/export?correlationId=${correlationId}&format=ndjson`);
    const records = (await ndjson.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records).toEqual([expect.objectContaining({ id: sneaky.id, user: sneaky.user })]);
  });

  it('streams matching events live over SSE', async () => {
    const stream = openSse(`${suite.audit.url}/v1/stream?user=streamed&type=sync.*`, OPERATOR_TOKEN);
    try {
      await stream.ready;
      const events = syncEvents({ user: 'streamed', machine: 'WS-S' });
      await suite.publisher.publishAll([...syncEvents({ user: 'someone-else', machine: 'WS-S' }), ...events]);
      // The stream keeps the order of publication: once a last matching event has arrived, everything
      // published before it that the filter lets through has arrived too.
      const [last] = syncEvents({ user: 'streamed', machine: 'WS-S' });
      await suite.publisher.publish(last!);
      await waitFor(() => stream.events.some((e) => e.id === last!.id), {
        description: 'the last streamed event',
        timeoutMs: 5_000,
      });
      expect(stream.events.map((e) => e.id)).toEqual([events[0]!.id, events[2]!.id, last!.id]);
    } finally {
      stream.close();
    }
  });

  it('refuses the API without the operator token and never needs one for health and metrics', async () => {
    for (const path of [
      '/v1/events',
      '/v1/stream',
      '/v1/fleet/summary',
      '/v1/users/alice/summary',
      '/v1/events/export',
    ]) {
      const response = await suite.audit.get(path, null);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Bearer');
      expect((await suite.audit.get(path, 'wrong-token-of-some-length')).status).toBe(401);
    }
    expect((await suite.audit.get('/health/live', null)).status).toBe(200);
    expect((await suite.audit.get('/health/ready', null)).status).toBe(200);
    expect((await suite.audit.get('/docs/openapi.json', null)).status).toBe(200);
    const page = await suite.audit.get('/', null);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('credroam audit');
    // Nothing served ever carries the operator token back.
    for (const path of [
      '/',
      '/dashboard.js',
      '/docs',
      '/docs/openapi.json',
      '/metrics',
      '/health/ready',
      '/v1/events?limit=1000',
    ]) {
      expect(await (await suite.audit.get(path)).text()).not.toContain(OPERATOR_TOKEN);
    }
  });

  it('refuses in the one problem format: bad parameters, ranges, unknown routes, bodies, tokens', async () => {
    const problem = async (response: Response) => {
      const body = problemSchema.parse(await response.json());
      expect(response.headers.get('x-correlation-id')).toBe(body.correlationId);
      return { status: response.status, code: body.error.code, message: body.error.message };
    };
    const named = await problem(await suite.audit.get('/v1/events?limit=5000&type=DROP TABLE&bogus=1'));
    expect(named).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
    expect(named.message).toMatch(/limit/);
    expect(named.message).toMatch(/type/);
    // Out of range is said so, however many digits; not a number is said so too.
    for (const [limit, rule] of [
      ['0', 'must be at least 1'],
      ['-5', 'must be at least 1'],
      ['99999999999999999999', 'must be at most 1000'],
      ['9'.repeat(500), 'must be at most 1000'],
      ['1.5', 'must be a whole number'],
      ['ten', 'must be a whole number'],
    ]) {
      const answer = await problem(await suite.audit.get(`/v1/events?limit=${limit}`));
      expect(answer).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
      expect(answer.message).toContain(rule);
    }
    const caller = randomUUID();
    const unknown = await fetch(`${suite.audit.url}/v1/nothing-here`, {
      headers: { Authorization: `Bearer ${OPERATOR_TOKEN}`, 'X-Correlation-Id': caller },
    });
    expect(await problem(unknown)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(unknown.headers.get('x-correlation-id')).toBe(caller);
    const posted = await fetch(`${suite.audit.url}/v1/events`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    expect(await problem(posted)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const withBody = await fetch(`${suite.audit.url}/v1/events`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${OPERATOR_TOKEN}`, 'Content-Type': 'text/plain' },
      body: 'limit=1',
    });
    expect(await problem(withBody)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const bodyOnGet = await new Promise<string>((resolve, reject) => {
      const { port } = new URL(suite.audit.url);
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.end(
          `GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${OPERATOR_TOKEN}\r\n` +
            'Content-Type: text/plain\r\nContent-Length: 7\r\nConnection: close\r\n\r\nlimit=1',
        ),
      );
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
    });
    expect(bodyOnGet).toMatch(/^HTTP\/1\.1 415 /);
    expect(problemSchema.parse(JSON.parse(bodyOnGet.slice(bodyOnGet.indexOf('\r\n\r\n') + 4)))).toMatchObject(
      {
        error: { code: 'UNSUPPORTED_MEDIA_TYPE', retryable: false },
      },
    );
    const anonymous = await suite.audit.get('/v1/events', null);
    expect(await problem(anonymous)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="credroam-audit"');
  });

  it('exposes sync outcomes, durations, conflicts and consumer lag to Prometheus', async () => {
    const metrics = await (await suite.audit.get('/metrics', null)).text();
    expect(metrics).toMatch(/^credroam_sync_outcomes_total\{outcome="completed",code="1"\} \d+/m);
    expect(metrics).toMatch(/^credroam_sync_outcomes_total\{outcome="failed",code="1010"\} \d+/m);
    expect(metrics).toMatch(/^credroam_sync_duration_seconds_count \d+/m);
    expect(metrics).toMatch(/^credroam_token_conflicts_total\{kind="both-changed",winner="local"\} \d+/m);
    expect(metrics).toMatch(/^credroam_token_rejections_total\{code="1011",side="local"\} 1/m);
    expect(metrics).toMatch(/^credroam_policy_limit_hits_total\{limit="maxTokens"\} 1/m);
    expect(metrics).toMatch(/^credroam_messages_dead_lettered_total\{queue="[^"]+",reason="not-json"\} 1/m);
    expect(metrics).toMatch(
      /^credroam_messages_dead_lettered_total\{queue="[^"]+",reason="invalid-message"\} 1/m,
    );
    expect(metrics).toMatch(/^credroam_audit_consumer_lag_messages 0/m);
    // Beside its own, the metrics every service serves: process figures and HTTP requests by declared route.
    expect(metrics).toMatch(/^process_cpu_user_seconds_total /m);
    expect(metrics).toMatch(
      /^credroam_http_requests_total\{method="GET",route="\/v1\/events",status="400"\} [1-9]/m,
    );
  });

  it('purges events older than the retention period', async () => {
    const old = event(
      'sync.started',
      { correlationId: randomUUID(), user: 'old', machine: 'WS-O', payload: { trigger: 'logon' } },
      Date.now() - 91 * 86_400_000,
    );
    const recent = event(
      'sync.started',
      { correlationId: randomUUID(), user: 'old', machine: 'WS-O', payload: { trigger: 'logon' } },
      Date.now() - 89 * 86_400_000,
    );
    await suite.publisher.publishAll([old, recent]);
    await stored('user=old', 2);
    const deleted = await suite.audit.app.get(RetentionService).purgeNow();
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect((await suite.audit.json<Page>('/v1/events?user=old')).events.map((e) => e.id)).toEqual([
      recent.id,
    ]);
  });
});
