import { randomBytes } from 'node:crypto';
import {
  INGRESS_FRESHNESS_MS,
  POLICY_DEFAULTS,
  POLICY_KNOBS,
  RoamingError,
  type RoamingEvent,
  type RpcRequest,
} from '@credroam/roaming';
import { openServiceSecret, sealServiceSecret } from '@credroam/sealing';
import { type CryptoRepository, type DirectoryRepository } from '../repositories/logon.repositories';
import { ALICE } from '../testing/session-claims';
import { PolicyCache } from './policy.cache';
import { ReplayMemory } from './replay-memory';
import { SessionTokenSigner } from './session-token';
import { RateLimitStore } from '../rate-limit/rate-limit.store';
import { LogonFailureMonitor } from './logon-failure.monitor';
import { SessionsService, type Transport } from './sessions.service';

const NOW = Date.UTC(2026, 10, 25, 12);
const USER = ALICE;
const POLICY = {
  policy: { ...POLICY_DEFAULTS },
  sources: Object.fromEntries(POLICY_KNOBS.map((knob) => [knob, 'default' as const])),
} as Awaited<ReturnType<DirectoryRepository['resolvePolicy']>>;
/** A logon's origin as the agent service passes it. */
const from = (transport: Transport) => ({
  transport,
  source: transport === 'http' ? '192.0.2.7' : 'amqp-ingress',
});
const DEVICE_KEY = Buffer.from('device spki').toString('base64');

function setup() {
  const channelKey = randomBytes(32);
  const sessionKey = randomBytes(32);
  const seen: { sealedPassword?: string } = {};
  const directory = {
    verifyPassword: jest.fn(async (request: RpcRequest<'directory.verify-password'>) => {
      seen.sealedPassword = request.sealedPassword;
      const opened = openServiceSecret(
        channelKey,
        `verify-password:${request.login}`,
        Buffer.from(request.sealedPassword, 'base64'),
      );
      if (!opened.ok || opened.value.toString() !== 'alice-pass') {
        throw new RoamingError('INVALID_CREDENTIALS', 'bind refused');
      }
      return { user: USER };
    }),
    resolvePolicy: jest.fn(async () => POLICY),
    lookupUser: jest.fn(async () => ({ user: USER })),
  } as unknown as DirectoryRepository;
  const crypto = {
    transportCertificate: jest.fn(async () => ({
      certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      thumbprint: 'A'.repeat(40),
    })),
    sealForDevice: jest.fn(async () => ({
      items: [],
      hashKeyEnvelope: Buffer.from('hash key').toString('base64'),
    })),
    // Stands in for token-crypto: the fake "transport envelope" is "cms:" + password, then "#" + what makes two
    // sealings of one password differ (as a real envelope's random key does).
    resealPassword: jest.fn(async (request: RpcRequest<'crypto.reseal-password'>) => {
      const opened = Buffer.from(request.sealedPassword, 'base64').toString();
      if (!opened.startsWith('cms:')) throw new RoamingError('INTEGRITY_CHECK_FAILED', 'not opened');
      const sealed = sealServiceSecret(
        channelKey,
        `verify-password:${request.login}`,
        Buffer.from(opened.slice('cms:'.length).split('#')[0]!),
      );
      if (!sealed.ok) throw RoamingError.fromInfo(sealed.error);
      return { sealedPassword: sealed.value.toString('base64') };
    }),
  } as unknown as CryptoRepository;
  const published: RoamingEvent[] = [];
  const log = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const service = new SessionsService(
    {
      directory,
      crypto,
      events: { publishAll: async (events) => void published.push(...events) },
      clock: { now: () => NOW, sleep: async () => undefined, random: () => 0 },
      signer: new SessionTokenSigner(sessionKey),
      policies: new PolicyCache(),
      log,
      failures: new LogonFailureMonitor(
        { threshold: 2, windowMs: 60_000 },
        new RateLimitStore({ redisUrl: null, namespace: 'credroam-unit' }, log),
      ),
      sealedPasswords: new ReplayMemory(2 * INGRESS_FRESHNESS_MS),
    },
    { serviceChannelKey: channelKey, sessionLifetimeMs: 15 * 60_000 },
  );
  return { service, directory, crypto, published, seen };
}

const body = {
  user: 'alice',
  password: 'alice-pass',
  machine: 'ws-01',
  devicePublicKey: DEVICE_KEY,
  agentVersion: '1.0.0',
};

describe('SessionsService', () => {
  it('checks the password sealed for the gateway and returns a 15-minute session for this machine', async () => {
    const { service, published, seen } = setup();
    const session = await service.createSession(body, from('http'), 'corr-1');
    expect(seen.sealedPassword).not.toContain('alice-pass');
    expect(session.expiresAt).toBe(new Date(NOW + 15 * 60_000).toISOString());
    const claims = service.authenticate(session.sessionToken, 'http');
    expect(claims).toMatchObject({
      login: 'alice',
      dn: USER.dn,
      machine: 'ws-01',
      devicePublicKey: DEVICE_KEY,
    });
    expect(published.map((event) => event.type)).toEqual(['session.opened']);
    expect(JSON.stringify(published)).not.toContain('alice-pass');
  });

  it('answers INVALID_CREDENTIALS for a wrong password, without a session, and reports the failure without the password', async () => {
    const { service, published } = setup();
    await expect(
      service.createSession({ ...body, password: 'nope' }, from('http'), 'c'),
    ).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    expect(published).toEqual([
      expect.objectContaining({
        type: 'logon.failed',
        code: 4625,
        user: 'alice',
        machine: 'ws-01',
        payload: { reason: 'INVALID_CREDENTIALS', transport: 'http', source: '192.0.2.7' },
      }),
    ]);
    expect(JSON.stringify(published)).not.toContain('nope');
  });

  it('raises one alert per user and per source when failures go over the threshold', async () => {
    const { service, published } = setup();
    for (let attempt = 0; attempt < 4; attempt++) {
      await expect(service.createSession({ ...body, password: 'nope' }, from('http'), 'c')).rejects.toThrow();
    }
    const alerts = published.filter((event) => event.type === 'logon.failures-exceeded');
    expect(alerts.map(({ user, payload }) => ({ user, payload }))).toEqual([
      {
        user: 'alice',
        payload: { scope: 'user', source: null, failures: 3, threshold: 2, windowSeconds: 60 },
      },
      {
        user: null,
        payload: { scope: 'source', source: '192.0.2.7', failures: 3, threshold: 2, windowSeconds: 60 },
      },
    ]);
  });

  it('refuses a clear password over AMQP by contract, without asking anyone', async () => {
    const { service, directory, crypto } = setup();
    await expect(service.createSession(body, from('amqp'), 'c')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(crypto.resealPassword).not.toHaveBeenCalled();
    expect(directory.verifyPassword).not.toHaveBeenCalled();
  });

  it('refuses a sealed password used a second time (a replay read off the broker) before any bind', async () => {
    const { service, directory } = setup();
    const { password: _password, ...rest } = body;
    void _password;
    const request = { ...rest, sealedPassword: Buffer.from('cms:alice-pass#1').toString('base64') };
    await service.createSession(request, from('amqp'), 'c');
    await expect(service.createSession(request, from('amqp'), 'c')).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'this sealed password was already used (a replay)',
    });
    expect(directory.verifyPassword).toHaveBeenCalledTimes(1);
  });

  it('has token-crypto re-seal a sealed password for the gateway, over AMQP and HTTP', async () => {
    const { service, crypto, seen, published } = setup();
    const { password: _password, ...rest } = body;
    void _password;
    const sealed = (password: string, nonce = '') =>
      Buffer.from(`cms:${password}#${nonce}`).toString('base64');
    for (const transport of ['amqp', 'http'] as const) {
      const session = await service.createSession(
        { ...rest, sealedPassword: sealed('alice-pass', transport) },
        from(transport),
        'c',
      );
      expect(service.authenticate(session.sessionToken, transport)).toMatchObject({
        login: 'alice',
        transport,
      });
      // Accepted only on the transport it was opened on.
      expect(() =>
        service.authenticate(session.sessionToken, transport === 'http' ? 'amqp' : 'http'),
      ).toThrow(/only accepted there/);
    }
    // Before the password is checked, the grant covers the logon attempt only: its login and device.
    expect(crypto.resealPassword).toHaveBeenCalledWith(
      { login: 'alice', devicePublicKey: DEVICE_KEY, sealedPassword: sealed('alice-pass', 'amqp') },
      { login: 'alice', stableId: null, dn: null, devicePublicKey: DEVICE_KEY },
      'c',
    );
    expect(seen.sealedPassword).not.toContain(sealed('alice-pass'));
    await expect(
      service.createSession({ ...rest, sealedPassword: sealed('nope') }, from('amqp'), 'c'),
    ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    // Over AMQP the source is the ingress, and per-source counting is left to HTTP.
    expect(published.filter((event) => event.type === 'logon.failed').map((event) => event.payload)).toEqual([
      { reason: 'INVALID_CREDENTIALS', transport: 'amqp', source: 'amqp-ingress' },
    ]);
    await expect(
      service.createSession(
        { ...rest, sealedPassword: Buffer.from('junk').toString('base64') },
        from('amqp'),
        'c',
      ),
    ).rejects.toMatchObject({ code: 'INTEGRITY_CHECK_FAILED' });
  });

  it('serves the policy cached at logon without asking the directory again', async () => {
    const { service, directory } = setup();
    const session = await service.createSession(body, from('http'), 'c');
    const claims = service.authenticate(session.sessionToken, 'http');
    expect(await service.policyFor(claims, 'c')).toEqual(POLICY);
    expect(directory.resolvePolicy).toHaveBeenCalledTimes(1);
    expect(directory.lookupUser).not.toHaveBeenCalled();
  });

  it('answers UNAUTHENTICATED without a token', () => {
    const { service } = setup();
    expect(() => service.authenticate(undefined, 'http')).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED' }),
    );
  });
});
