import { parseWith } from '../validation/parse';
import {
  amqpCreateSessionRequestSchema,
  createSessionRequestSchema,
  createSessionResponseSchema,
  INGRESS_KINDS,
  ingressEnvelopeSchema,
  ingressMessageSchema,
  ingressReplySchemas,
  policyResponseSchema,
  problemSchema,
  renewalProofMessage,
  renewSessionRequestSchema,
  syncRequestSchema,
  workstationEventRequestSchema,
  syncResponseSchema,
} from './sync';
import {
  bytes,
  CERTIFICATE_ID,
  CERTIFICATE_PEM,
  certificateMeta,
  CORRELATION_ID,
  DEVICE_KEY,
  effectivePolicy,
  ENVELOPE,
  machineBase,
  NOW,
  STAMP,
  syncRequest,
} from './testing/contract-examples';

const session = {
  user: 'alice',
  machine: 'WS-0042.corp',
  devicePublicKey: DEVICE_KEY,
  agentVersion: '0.1.0',
};

function syncResponse() {
  return {
    status: 'synced',
    code: 1,
    correlationId: CORRELATION_ID,
    stamp: bytes(16, 0x02),
    downloads: [{ token: certificateMeta(), envelope: ENVELOPE }],
    localDeletions: [{ type: 'master-key', id: 'Preferred', reason: 'deleted-elsewhere' }],
    conflicts: [],
    rejections: [],
    reported: [],
    base: machineBase(),
    fullResync: null,
    block: null,
  };
}

function refusal(schema: Parameters<typeof parseWith>[0], input: unknown) {
  const parsed = parseWith(schema, input);
  expect(parsed.ok).toBe(false);
  return parsed.ok ? undefined : parsed.error;
}

describe('create-session', () => {
  it('accepts a clear password over HTTP or a sealed one', () => {
    expect(createSessionRequestSchema.safeParse({ ...session, password: 'alice-pass' }).success).toBe(true);
    expect(createSessionRequestSchema.safeParse({ ...session, sealedPassword: bytes(600) }).success).toBe(
      true,
    );
  });

  it('requires exactly one of password and sealedPassword', () => {
    refusal(createSessionRequestSchema, session);
    refusal(createSessionRequestSchema, { ...session, password: 'alice-pass', sealedPassword: bytes(600) });
  });

  it('refuses a clear password on the broker', () => {
    expect(amqpCreateSessionRequestSchema.safeParse({ ...session, sealedPassword: bytes(600) }).success).toBe(
      true,
    );
    refusal(amqpCreateSessionRequestSchema, {
      ...session,
      sealedPassword: bytes(600),
      password: 'alice-pass',
    });
    refusal(ingressMessageSchema, { kind: 'create-session', body: { ...session, password: 'alice-pass' } });
  });

  it('refuses a machine id that could become a path', () => {
    refusal(createSessionRequestSchema, { ...session, machine: '../../etc', password: 'x' });
  });

  it('answers with a session, the transport certificate, the policy and the sealed hash key', () => {
    const response = {
      sessionToken: 'v1.5f0c2a9e8b7d4c3a2f1e0d9c8b7a6f5e',
      expiresAt: new Date(NOW + 8 * 3_600_000).toISOString(),
      renewableUntil: new Date(NOW + 10 * 3_600_000).toISOString(),
      transportCertificatePem: CERTIFICATE_PEM,
      policy: effectivePolicy(),
      hashKeyEnvelope: bytes(240),
    };
    expect(createSessionResponseSchema.safeParse(response).success).toBe(true);
    refusal(createSessionResponseSchema, { ...response, hashKey: bytes(32) });
  });
});

describe('renew-session', () => {
  const renewal = {
    sessionToken: 'v1.5f0c2a9e8b7d4c3a2f1e0d9c8b7a6f5e',
    proof: { issuedAt: NOW, signature: bytes(72) },
  };

  it('takes a token and a device proof, and never a password', () => {
    expect(renewSessionRequestSchema.safeParse(renewal).success).toBe(true);
    refusal(renewSessionRequestSchema, { ...renewal, password: 'alice-pass' });
    refusal(renewSessionRequestSchema, { sessionToken: renewal.sessionToken });
    expect(ingressMessageSchema.safeParse({ kind: 'renew-session', body: renewal }).success).toBe(true);
  });

  it('signs a message of its own, so no other device proof can renew a session', () => {
    expect(renewalProofMessage('t1').equals(renewalProofMessage('t2'))).toBe(false);
    expect(renewalProofMessage('t1').toString('utf8')).toContain('renew-session');
  });
});

describe('workstation events', () => {
  it('takes a local failure with its Windows code and one printable line', () => {
    const event = { code: 1006, problem: 'state file is not valid JSON', trigger: 'logon' };
    expect(workstationEventRequestSchema.safeParse(event).success).toBe(true);
    expect(workstationEventRequestSchema.safeParse({ ...event, code: 1002, trigger: null }).success).toBe(
      true,
    );
    refusal(workstationEventRequestSchema, { ...event, code: 1008 });
    refusal(workstationEventRequestSchema, { ...event, problem: 'two\nlines' });
    refusal(workstationEventRequestSchema, { ...event, problem: 'x'.repeat(513) });
    refusal(workstationEventRequestSchema, { ...event, user: 'mallory' });
  });
});

describe('sync request', () => {
  it('accepts a logon sync with one upload of a listed token', () => {
    expect(parseWith(syncRequestSchema, syncRequest()).ok).toBe(true);
  });

  it('accepts the first sync of a machine: no stamp, no base', () => {
    const first = syncRequest();
    first.lastStamp = null as never;
    first.manifest.base = null as never;
    first.baseStatus = 'first-use' as never;
    expect(parseWith(syncRequestSchema, first).ok).toBe(true);
  });

  it('requires baseStatus to say whether a base is given', () => {
    const lost = syncRequest();
    lost.manifest.base = null as never;
    expect(refusal(syncRequestSchema, lost)?.message).toMatch(/^baseStatus: /);
    expect(refusal(syncRequestSchema, { ...syncRequest(), baseStatus: 'lost' })?.message).toMatch(
      /^baseStatus: /,
    );
    refusal(syncRequestSchema, { ...syncRequest(), baseStatus: undefined });
  });

  it('refuses an upload of a token the manifest does not list', () => {
    const request = syncRequest();
    request.uploads.push({ type: 'master-key', id: 'Preferred', envelope: ENVELOPE });
    expect(refusal(syncRequestSchema, request)?.message).toMatch(
      /^uploads\.1: upload master-key "Preferred" is not in/,
    );
  });

  it('refuses a manifest that lists one key twice', () => {
    const request = syncRequest();
    request.manifest.tokens.push({ ...certificateMeta(), hash: 'b'.repeat(64) } as never);
    expect(refusal(syncRequestSchema, request)?.message).toMatch(/^manifest\.tokens\.2: .* appears twice/);
  });

  it('refuses the same upload twice', () => {
    const request = syncRequest();
    request.uploads.push(request.uploads[0]!);
    refusal(syncRequestSchema, request);
  });

  it('refuses a planted identifier as INVALID_TOKEN_ID', () => {
    const request = syncRequest();
    request.uploads[0]!.id = '..\\..\\Windows\\Start Menu\\Programs\\Startup\\x.bat';
    expect(refusal(syncRequestSchema, request)?.code).toBe('INVALID_TOKEN_ID');
  });

  it('refuses plaintext content smuggled into an upload', () => {
    const request = syncRequest();
    Object.assign(request.uploads[0]!, { content: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' });
    expect(refusal(syncRequestSchema, request)?.code).toBe('INVALID_INPUT');
  });

  it.each([
    ['an unknown trigger', { trigger: 'boot' }],
    ['a stamp that is not 16 bytes', { lastStamp: bytes(8) }],
    ['a stamp that is not base64', { lastStamp: 'not base64 at all!!!!!!!' }],
  ])('refuses %s', (_label, change) => {
    refusal(syncRequestSchema, { ...syncRequest(), ...change });
  });
});

describe('sync response', () => {
  it('accepts a synced answer with downloads and local deletions', () => {
    expect(parseWith(syncResponseSchema, syncResponse()).ok).toBe(true);
  });

  it('accepts a self-healing answer after a lost base', () => {
    expect(syncResponseSchema.safeParse({ ...syncResponse(), code: 2, fullResync: 'no-base' }).success).toBe(
      true,
    );
  });

  it('accepts an up-to-date answer that changes nothing', () => {
    const upToDate = {
      ...syncResponse(),
      status: 'up-to-date',
      stamp: STAMP,
      downloads: [],
      localDeletions: [],
    };
    expect(syncResponseSchema.safeParse(upToDate).success).toBe(true);
    refusal(syncResponseSchema, { ...upToDate, downloads: syncResponse().downloads });
  });

  it('ties a block to its Windows code', () => {
    const blocked = {
      ...syncResponse(),
      status: 'blocked',
      code: 1008,
      downloads: [],
      localDeletions: [],
      block: {
        code: 'TOKEN_LIMIT_EXCEEDED',
        message: '412 tokens, policy allows 400',
        limit: { name: 'maxTokens', allowed: 400, actual: 412 },
      },
    };
    expect(syncResponseSchema.safeParse(blocked).success).toBe(true);
    refusal(syncResponseSchema, { ...blocked, code: 1011 });
    refusal(syncResponseSchema, { ...blocked, block: null });
    refusal(syncResponseSchema, { ...blocked, status: 'synced' });
    refusal(syncResponseSchema, { ...syncResponse(), code: 1008 });
  });

  it('refuses a local deletion of a planted identifier as INVALID_TOKEN_ID', () => {
    const response = syncResponse();
    response.localDeletions = [{ type: 'private-key', id: '../x', reason: 'deleted-elsewhere' }];
    expect(refusal(syncResponseSchema, response)?.code).toBe('INVALID_TOKEN_ID');
  });

  it('refuses a download that carries its content in clear', () => {
    const response = syncResponse();
    Object.assign(response.downloads[0]!, { content: 'MIIB' });
    refusal(syncResponseSchema, response);
  });
});

describe('policy, errors and AMQP ingress', () => {
  it('serves the effective policy with its sources', () => {
    expect(policyResponseSchema.safeParse(effectivePolicy()).success).toBe(true);
  });

  it('answers errors with a code and the correlation id to quote', () => {
    const problem = {
      error: { code: 'SESSION_EXPIRED', message: 'log on again', retryable: false },
      correlationId: CORRELATION_ID,
    };
    expect(problemSchema.safeParse(problem).success).toBe(true);
    refusal(problemSchema, { ...problem, stack: 'Error: at ...' });
  });

  it('requires a session token for a sync over AMQP and none at logon', () => {
    const sessionToken = 'v1.5f0c2a9e8b7d4c3a2f1e0d9c8b7a6f5e';
    expect(ingressMessageSchema.safeParse({ kind: 'sync', sessionToken, body: syncRequest() }).success).toBe(
      true,
    );
    refusal(ingressMessageSchema, { kind: 'sync', body: syncRequest() });
    refusal(ingressMessageSchema, {
      kind: 'create-session',
      sessionToken,
      body: { ...session, sealedPassword: bytes(600) },
    });
  });

  it('answers a bare transport-certificate question over AMQP', () => {
    expect(ingressMessageSchema.safeParse({ kind: 'transport-certificate' }).success).toBe(true);
    refusal(ingressMessageSchema, { kind: 'transport-certificate', body: {} });
  });

  it('replies over AMQP with the serialised Result of the call', () => {
    expect(ingressReplySchemas.sync.safeParse({ ok: true, value: syncResponse() }).success).toBe(true);
    const failed = { ok: false, error: { code: 'INVALID_CREDENTIALS', message: 'no', retryable: false } };
    expect(ingressReplySchemas['create-session'].safeParse(failed).success).toBe(true);
  });

  it('keeps certificate ids in downloads to their whitelist', () => {
    const response = syncResponse();
    response.downloads[0]!.token.id = CERTIFICATE_ID.toLowerCase();
    expect(refusal(syncResponseSchema, response)?.code).toBe('INVALID_TOKEN_ID');
  });
});

describe('ingressEnvelopeSchema', () => {
  it('knows every kind of ingressMessageSchema', () => {
    expect([...INGRESS_KINDS].sort()).toEqual(
      ['create-session', 'renew-session', 'report-event', 'sync', 'transport-certificate'].sort(),
    );
  });

  it('takes any request of a known kind, leaving its fields to the use-case', () => {
    expect(ingressEnvelopeSchema.safeParse({ kind: 'sync', sessionToken: 42, body: 'x' }).success).toBe(true);
    expect(ingressEnvelopeSchema.safeParse({ kind: 'transport-certificate' }).success).toBe(true);
  });

  it('refuses what is not an agent request at all: another kind, another field, no object', () => {
    for (const message of [
      { kind: 'drop-tables' },
      { kind: 'sync', extra: 1 },
      { body: {} },
      [],
      'sync',
      null,
    ]) {
      expect(ingressEnvelopeSchema.safeParse(message).success).toBe(false);
    }
  });
});
