import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  POLICY_DEFAULTS,
  POLICY_KNOBS,
  renewalProofMessage,
  type AccountStatus,
  type RoamingEvent,
  type RpcRequest,
} from '@credroam/roaming';
import { signDeviceProof } from '@credroam/sealing';
import { type DirectoryRepository } from '../repositories/logon.repositories';
import { ALICE, sessionClaims } from '../testing/session-claims';
import { DeviceProofVerifier } from './device-proof.verifier';
import { PolicyCache } from './policy.cache';
import { SessionRenewalService } from './session-renewal.service';
import { SessionTokenSigner } from './session-token';

const HOUR = 3_600_000;
const LOGON = Date.UTC(2026, 10, 25, 8);
const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const DEVICE_KEY = device.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const USER = ALICE;
const policyWith = (sessionRenewalHours: number) =>
  ({
    policy: { ...POLICY_DEFAULTS, sessionRenewalHours },
    sources: Object.fromEntries(POLICY_KNOBS.map((knob) => [knob, 'default' as const])),
  }) as Awaited<ReturnType<DirectoryRepository['resolvePolicy']>>;

function setup({ status = 'usable' as AccountStatus, renewalHours = 10, now = LOGON + HOUR } = {}) {
  const signer = new SessionTokenSigner(randomBytes(32));
  const checked: RpcRequest<'directory.check-account'>[] = [];
  const directory = {
    checkAccount: jest.fn(async (request: RpcRequest<'directory.check-account'>) => {
      checked.push(request);
      return { status, user: status === 'missing' ? null : USER };
    }),
    resolvePolicy: jest.fn(async () => policyWith(renewalHours)),
  } as unknown as DirectoryRepository;
  const published: RoamingEvent[] = [];
  const service = new SessionRenewalService(
    {
      directory,
      events: { publishAll: async (events) => void published.push(...events) },
      clock: { now: () => now, sleep: async () => undefined, random: () => 0 },
      signer,
      policies: new PolicyCache(),
      proofs: new DeviceProofVerifier(),
      log: { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() },
    },
    { sessionLifetimeMs: 15 * 60_000 },
  );
  // The logon's session, expired 45 minutes ago.
  const token = signer.sign(
    sessionClaims({ devicePublicKey: DEVICE_KEY, authAt: LOGON, exp: LOGON + 15 * 60_000 }),
  );
  const body = (privateKey = device.privateKey, sessionToken = token, issuedAt = now) => ({
    sessionToken,
    proof: { issuedAt, signature: signDeviceProof(privateKey, issuedAt, renewalProofMessage(sessionToken)) },
  });
  return { service, signer, checked, published, body, now, token };
}

describe('SessionRenewalService', () => {
  it('renews an expired session for a usable account, keeping the logon time', async () => {
    const { service, signer, checked, published, body, now } = setup();
    const renewed = await service.renew(service.prove(body(), 'http'), 'corr-1');
    expect(checked).toEqual([
      {
        login: 'alice',
        stableId: USER.stableId,
        dn: USER.dn,
        authenticatedAt: new Date(LOGON).toISOString(),
      },
    ]);
    expect(renewed.expiresAt).toBe(new Date(now + 15 * 60_000).toISOString());
    expect(renewed.renewableUntil).toBe(new Date(LOGON + 10 * HOUR).toISOString());
    const claims = signer.verify(renewed.sessionToken, now);
    expect(claims).toMatchObject({ authAt: LOGON, devicePublicKey: DEVICE_KEY, machine: 'ws-01' });
    expect(published.map((event) => [event.type, event.code])).toEqual([['session.renewed', 1]]);
  });

  it('never lets a renewed session run past the renewal window', async () => {
    const { service, body } = setup({ now: LOGON + 10 * HOUR - 60_000 });
    const renewed = await service.renew(service.prove(body(), 'http'), 'corr-1');
    expect(renewed.expiresAt).toBe(new Date(LOGON + 10 * HOUR).toISOString());
  });

  it.each([
    ['disabled', 'UNAUTHENTICATED', /account is disabled/],
    ['locked', 'UNAUTHENTICATED', /account is locked/],
    ['password-changed', 'UNAUTHENTICATED', /password was changed/],
    ['missing', 'UNAUTHENTICATED', /no longer exists/],
  ] as const)('refuses an account %s, with an audit event', async (status, code, message) => {
    const { service, published, body } = setup({ status });
    await expect(service.renew(service.prove(body(), 'http'), 'corr-1')).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message),
    });
    expect(published).toEqual([
      expect.objectContaining({
        type: 'session.renewal-refused',
        code: 1009,
        user: 'alice',
        machine: 'ws-01',
        payload: { transport: 'http', reason: status, authenticatedAt: new Date(LOGON).toISOString() },
      }),
    ]);
  });

  it('refuses once policy sessionRenewalHours have passed since the password logon', async () => {
    const { service, published, body } = setup({ renewalHours: 1, now: LOGON + HOUR + 1 });
    await expect(service.renew(service.prove(body(), 'http'), 'corr-1')).rejects.toMatchObject({
      code: 'SESSION_EXPIRED',
      message: expect.stringMatching(/sessionRenewalHours/),
    });
    expect(published[0]).toMatchObject({ payload: { reason: 'renewal-window-over' } });
  });

  it('refuses a proof by another key, a replayed proof and a forged token before asking the directory', async () => {
    const { service, checked, body, token } = setup();
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(() => service.prove(body(other), 'http')).toThrow(/device proof does not match/);
    const once = body();
    service.prove(once, 'http');
    expect(() => service.prove(once, 'http')).toThrow(/replay/);
    const forged = new SessionTokenSigner(randomBytes(32)).sign(
      sessionClaims({ devicePublicKey: DEVICE_KEY, exp: LOGON }),
    );
    expect(() => service.prove(body(device.privateKey, forged), 'http')).toThrow(/not valid/);
    expect(() => service.prove({ sessionToken: token, password: 'x' }, 'http')).toThrow();
    expect(checked).toEqual([]);
  });

  it('accepts a session only on the transport it was opened on', () => {
    const { service, body } = setup();
    expect(() => service.prove(body(), 'amqp')).toThrow(/opened over HTTP/);
  });
});
