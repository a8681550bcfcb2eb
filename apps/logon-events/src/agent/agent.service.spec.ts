import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { INGRESS_FRESHNESS_MS, RoamingError, SERVER_TIME_DETAIL, type RoamingEvent } from '@credroam/roaming';
import { signDeviceProof, spkiDer } from '@credroam/sealing';
import { ChangeNotifier } from '../changes/change-notifier';
import { ChangeWaitsService } from '../changes/change-waits.service';
import { RateLimitStore } from '../rate-limit/rate-limit.store';
import { RateLimits } from '../rate-limit/rate-limits';
import { DeviceProofVerifier } from '../sessions/device-proof.verifier';
import { type SessionsService } from '../sessions/sessions.service';
import { type KerberosLogonService } from '../sessions/kerberos-logon.service';
import { type SessionRenewalService } from '../sessions/session-renewal.service';
import { type SyncService } from '../sync/sync.service';
import { type WorkstationEventsService } from '../workstation/workstation-events.service';
import { AgentService, bearerToken } from './agent.service';
import { sessionClaims } from '../testing/session-claims';

const NOW = Date.UTC(2026, 10, 25, 12);
const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const claims = sessionClaims({
  devicePublicKey: spkiDer(device.publicKey).toString('base64'),
  transport: 'amqp',
  exp: NOW + 60_000,
});

function setup(userBurst = 5) {
  const sessions = {
    authenticate: jest.fn((token: string | undefined) => {
      if (token !== 'good') throw new RoamingError('UNAUTHENTICATED', 'no');
      return claims;
    }),
    policyFor: jest.fn(async () => ({ policy: { enabled: true }, sources: {} })),
    createSession: jest.fn(async () => ({})),
  } as unknown as SessionsService;
  const syncs = { sync: jest.fn(async () => ({ status: 'up-to-date' })) } as unknown as SyncService;
  const workstationEvents = {
    report: jest.fn(async () => ({ eventId: randomUUID() })),
  } as unknown as WorkstationEventsService;
  const renewals = {
    prove: jest.fn(() => ({ claims })),
    renew: jest.fn(async () => ({ sessionToken: 'renewed' })),
  } as unknown as SessionRenewalService;
  const clock = { now: () => NOW, sleep: async () => undefined, random: () => 0 };
  const log = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const published: RoamingEvent[] = [];
  const events = { publishAll: jest.fn(async (batch: RoamingEvent[]) => void published.push(...batch)) };
  const limits = new RateLimits(
    { user: { burst: userBurst, perSecond: 0.01 }, client: { burst: 3, perSecond: 0.01 } },
    new RateLimitStore({ redisUrl: null, namespace: 'credroam-unit' }, log),
    { events, clock, log },
  );
  const agent = new AgentService({
    sessions,
    kerberos: {} as unknown as KerberosLogonService,
    renewals,
    syncs,
    workstationEvents,
    changes: new ChangeWaitsService(new ChangeNotifier({ rememberMs: 60_000, maxUsers: 10, now: () => NOW })),
    proofs: new DeviceProofVerifier(),
    clock,
    limits,
  });
  return { agent, sessions, syncs, workstationEvents, renewals, published };
}

const http = { transport: 'http' as const, clientAddress: '10.0.0.1' };
/** A message as the agent signs it: every message is new bytes, so none is a replay. */
const amqp = (issuedAt = NOW, signer = device.privateKey) => {
  const message = Buffer.from(JSON.stringify({ kind: 'sync', id: randomUUID() }));
  const proof = { message, issuedAt, signature: signDeviceProof(signer, issuedAt, message) };
  return { transport: 'amqp' as const, proof };
};

describe('AgentService', () => {
  it("runs the sync for the token's user, whatever the body says", async () => {
    const { agent, syncs } = setup();
    await agent.sync('good', { user: 'bob' }, http, 'c');
    expect(syncs.sync).toHaveBeenCalledWith(expect.objectContaining({ claims }), { user: 'bob' }, 'c', {});
  });

  it('runs an AMQP sync only with a fresh, unseen proof by the device key of the session', async () => {
    const { agent, syncs } = setup(100);
    const signed = amqp();
    await agent.sync('good', {}, signed, 'c');
    expect(syncs.sync).toHaveBeenCalledTimes(1);
    const refusals: [string, ReturnType<typeof amqp> | { transport: 'amqp'; proof: null }, RegExp][] = [
      ['the same message again', signed, /already processed/],
      ['no proof', { transport: 'amqp', proof: null }, /must carry a device proof/],
      [
        'another device key',
        amqp(NOW, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
        /does not match/,
      ],
    ];
    for (const [, caller, message] of refusals) {
      await expect(agent.sync('good', {}, caller, 'c')).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        message,
      });
    }
    expect(syncs.sync).toHaveBeenCalledTimes(1);
  });

  it("refuses a proof dated beyond the freshness window as CLOCK_SKEW, naming the server's time", async () => {
    const { agent, syncs } = setup(100);
    for (const [issuedAt, message] of [
      [NOW - INGRESS_FRESHNESS_MS - 1_000, /dated 121 s behind this server's clock .*clock is off/],
      [NOW + 600_000, /dated 600 s ahead of this server's clock .*clock is off/],
    ] as const) {
      await expect(agent.sync('good', {}, amqp(issuedAt), 'c')).rejects.toMatchObject({
        code: 'CLOCK_SKEW',
        retryable: true,
        message,
        details: { [SERVER_TIME_DETAIL]: NOW },
      });
    }
    expect(syncs.sync).not.toHaveBeenCalled();
  });

  it('refuses a bad token before any work', async () => {
    const { agent, syncs } = setup();
    await expect(agent.sync('bad', {}, http, 'c')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(syncs.sync).not.toHaveBeenCalled();
  });

  it('limits each client address over HTTP', async () => {
    const { agent } = setup(100);
    for (let i = 0; i < 3; i++) await agent.policy('good', http, 'c');
    await expect(agent.policy('good', http, 'c')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await expect(agent.policy('good', { ...http, clientAddress: '10.0.0.2' }, 'c')).resolves.toBeDefined();
  });

  it('takes a workstation report for the session only, signed over AMQP, within the user rate', async () => {
    const { agent, workstationEvents } = setup(2);
    await agent.reportEvent('good', { code: 1006 }, http, 'c');
    expect(workstationEvents.report).toHaveBeenCalledWith(claims, { code: 1006 }, 'c');
    await expect(
      agent.reportEvent('good', {}, { transport: 'amqp', proof: null }, 'c'),
    ).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await agent.reportEvent('good', {}, amqp(), 'c');
    await expect(agent.reportEvent('good', {}, http, 'c')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(workstationEvents.report).toHaveBeenCalledTimes(2);
  });

  it('renews only after the proof holds, within the user rate', async () => {
    const { agent, renewals } = setup(1);
    await agent.renewSession({ sessionToken: 'x' }, http, 'c');
    await expect(agent.renewSession({ sessionToken: 'x' }, http, 'c')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    });
    expect(renewals.prove).toHaveBeenCalledTimes(2);
    expect(renewals.renew).toHaveBeenCalledTimes(1);
  });

  it("limits logons per login and source, so a stranger's guesses do not lock the user out", async () => {
    const { agent, sessions } = setup(2);
    const logon = { user: 'Carol', password: 'guess' };
    const stranger = { ...http, clientAddress: '203.0.113.9' };
    await agent.createSession(logon, stranger, 'c');
    await agent.createSession({ ...logon, user: 'carol' }, stranger, 'c');
    await expect(agent.createSession(logon, stranger, 'c')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await agent.createSession({ ...logon, password: 'carol-pass' }, http, 'c');
    expect(sessions.createSession).toHaveBeenCalledTimes(3);
  });

  it('audits the first refusal of a window as security.rate-limited, not every refused request', async () => {
    const { agent, published } = setup(1);
    const stranger = { ...http, clientAddress: '203.0.113.9' };
    await agent.createSession({ user: 'carol', password: 'guess' }, stranger, 'c1');
    for (const correlationId of ['c2', 'c3']) {
      await expect(
        agent.createSession({ user: 'carol', password: 'guess' }, stranger, correlationId),
      ).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 100 } });
    }
    expect(published).toEqual([
      expect.objectContaining({
        type: 'security.rate-limited',
        correlationId: 'c2',
        user: 'carol',
        payload: {
          limit: 'logon',
          transport: 'http',
          source: '203.0.113.9',
          retryAfterSeconds: 100,
          shared: false,
        },
      }),
    ]);
  });

  it('limits each user on every transport, until the window of burst / rate seconds ends', async () => {
    const { agent } = setup(2);
    await agent.sync('good', {}, amqp(), 'c');
    await agent.sync('good', {}, amqp(), 'c');
    await expect(agent.sync('good', {}, amqp(), 'c')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { retryAfterSeconds: 200 },
    });
  });
});

describe('bearerToken', () => {
  it('takes the token of a Bearer header, and nothing else', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(() => bearerToken('Basic YWxpY2U6eA==')).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED' }),
    );
  });
});
