import { syncResponseSchema, type SyncRequest } from '@credroam/roaming';
import { AgentApiClient } from './agent-api.client';
import { startSyncTrace } from './sync-trace';

const SYNC_OK = {
  status: 'up-to-date',
  code: 1,
  correlationId: 'c-1',
  stamp: null,
  downloads: [],
  localDeletions: [],
  conflicts: [],
  rejections: [],
  reported: [],
  base: { directoryCreatedAt: null, syncedAt: 1, entries: [] },
  fullResync: null,
  block: null,
};
const REQUEST: SyncRequest = {
  trigger: 'pulse',
  machine: 'ws-a',
  lastStamp: null,
  baseStatus: 'first-use',
  manifest: { tokens: [], base: null },
  uploads: [],
};

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

function client(replies: Reply[]) {
  const sleeps: number[] = [];
  const calls: RequestInit[] = [];
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    calls.push(init);
    const reply = replies.shift();
    if (!reply) throw new Error('no more replies');
    if (reply instanceof Error) throw reply;
    return new Response(reply.body === undefined ? '' : JSON.stringify(reply.body), {
      status: reply.status,
      headers: reply.headers,
    });
  }) as unknown as typeof fetch;
  const api = new AgentApiClient({
    server: 'http://127.0.0.1:8440/',
    fetch: fetchImpl,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 },
  });
  return { api, sleeps, calls };
}

const problem = (code: string) => ({
  error: { code, message: `${code} happened`, retryable: false },
  correlationId: 'c',
});

describe('AgentApiClient', () => {
  it('sends the bearer token and returns a validated answer', async () => {
    const { api, calls } = client([{ status: 200, body: SYNC_OK }]);
    await expect(api.sync('session-token-0123456789', REQUEST)).resolves.toEqual(
      syncResponseSchema.parse(SYNC_OK),
    );
    expect((calls[0]!.headers as Record<string, string>).authorization).toBe(
      'Bearer session-token-0123456789',
    );
  });

  it('retries 503 and network errors with growing backoff, then succeeds', async () => {
    const { api, sleeps } = client([
      { status: 503 },
      new TypeError('fetch failed'),
      { status: 200, body: SYNC_OK },
    ]);
    await api.sync('session-token-0123456789', REQUEST);
    expect(sleeps).toEqual([75, 150]);
  });

  it("sends the sync's traceparent on every attempt, so the services' spans join the workstation's trace", async () => {
    const { api, calls } = client([{ status: 503 }, { status: 200, body: SYNC_OK }]);
    const syncTrace = startSyncTrace();
    await api.sync('session-token-0123456789', REQUEST, undefined, syncTrace);
    expect(calls.map((call) => (call.headers as Record<string, string>).traceparent)).toEqual([
      syncTrace.headers.traceparent,
      syncTrace.headers.traceparent,
    ]);
  });

  it('honours Retry-After on 429', async () => {
    const { api, sleeps } = client([
      { status: 429, body: problem('RATE_LIMITED'), headers: { 'retry-after': '2' } },
      { status: 200, body: SYNC_OK },
    ]);
    await api.sync('session-token-0123456789', REQUEST);
    expect(sleeps).toEqual([2000]);
  });

  it('retries a lost write race (409) that the server did not absorb', async () => {
    const { api, calls } = client([
      { status: 409, body: problem('DIRECTORY_STAMP_CHANGED') },
      { status: 200, body: SYNC_OK },
    ]);
    await api.sync('session-token-0123456789', REQUEST);
    expect(calls).toHaveLength(2);
  });

  it('does not retry a request the server refused', async () => {
    const { api, calls } = client([{ status: 400, body: problem('INVALID_INPUT') }]);
    await expect(api.sync('session-token-0123456789', REQUEST)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(calls).toHaveLength(1);
  });

  it('gives up after the bounded attempts as unreachable, saying why the connection failed', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8440'), { code: 'ECONNREFUSED' });
    const { api, sleeps } = client(
      Array.from({ length: 4 }, () => new TypeError('fetch failed', { cause: refused })),
    );
    await expect(api.sync('session-token-0123456789', REQUEST)).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringMatching(/is unreachable \(ECONNREFUSED\)$/),
    });
    expect(sleeps).toHaveLength(3);
  });

  it("names a connection the server closed under the request by undici's words, not its internal code", async () => {
    const closed = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const { api } = client(Array.from({ length: 4 }, () => new TypeError('fetch failed', { cause: closed })));
    await expect(api.sync('session-token-0123456789', REQUEST)).rejects.toMatchObject({
      message: expect.stringMatching(/is unreachable \(other side closed\)$/),
    });
  });

  it('does not retry an expired session', async () => {
    const { api, calls } = client([{ status: 401, body: problem('SESSION_EXPIRED') }]);
    await expect(api.sync('session-token-0123456789', REQUEST)).rejects.toMatchObject({
      code: 'SESSION_EXPIRED',
    });
    expect(calls).toHaveLength(1);
  });

  it('refuses an answer that breaks the contract before anyone acts on it', async () => {
    const { api } = client([{ status: 200, body: { ...SYNC_OK, downloads: 'everything' } }]);
    await expect(api.sync('session-token-0123456789', REQUEST)).rejects.toMatchObject({
      code: 'CONTRACT_VIOLATION',
    });
  });

  it('refuses a local deletion whose identifier fails the whitelist', async () => {
    const { api } = client([
      {
        status: 200,
        body: {
          ...SYNC_OK,
          status: 'synced',
          localDeletions: [{ type: 'private-key', id: '../../x', reason: 'deleted-elsewhere' }],
        },
      },
    ]);
    await expect(api.sync('session-token-0123456789', REQUEST)).rejects.toMatchObject({
      code: 'CONTRACT_VIOLATION',
    });
  });
});
