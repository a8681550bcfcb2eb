import { RoamingError, renewalProofMessage, type RenewSessionResponse } from '@credroam/roaming';
import { verifyDeviceProof } from '@credroam/sealing';
import { agentFixture, NOW, type AgentFixture } from '../testing/agent-fixtures';
import { renewalBody, type LogonClient } from './logon-client';
import { RENEW_AHEAD_MS, SessionRenewal } from './session-renewal';

const HOUR = 3_600_000;

describe('SessionRenewal', () => {
  let fixture: AgentFixture;
  let calls: string[];
  let renew: () => Promise<RenewSessionResponse>;

  beforeEach(() => {
    fixture = agentFixture();
    calls = [];
    renew = async () => ({
      sessionToken: 'renewed-token-0123456789',
      expiresAt: new Date(NOW + 2 * HOUR).toISOString(),
      renewableUntil: fixture.session.renewableUntil!,
      policy: fixture.session.policy,
    });
  });
  afterEach(() => fixture.dispose());

  const renewal = (now: number) => {
    const client = {
      renewSession: async (token: string) => {
        calls.push(token);
        return renew();
      },
    } as unknown as LogonClient;
    return new SessionRenewal(
      fixture.store,
      () => client,
      () => now,
    );
  };

  it('leaves a session with time to run alone', async () => {
    await renewal(NOW).ensureFresh();
    expect(calls).toEqual([]);
  });

  it('renews an expired session with the device key and keeps the new token, never a password', async () => {
    await renewal(NOW + 2 * HOUR).ensureFresh();
    expect(calls).toEqual([fixture.session.sessionToken]);
    const kept = fixture.store.session.read()!;
    expect(kept.sessionToken).toBe('renewed-token-0123456789');
    expect(kept.expiresAt).toBe(new Date(NOW + 2 * HOUR).toISOString());
    expect(JSON.stringify(kept)).not.toMatch(/password/i);
  });

  it('renews a session about to expire', async () => {
    await renewal(Date.parse(fixture.session.expiresAt) - RENEW_AHEAD_MS / 2).ensureFresh();
    expect(calls).toHaveLength(1);
  });

  it('says to log on again when the server refuses, with its reason', async () => {
    renew = async () => {
      throw new RoamingError('UNAUTHENTICATED', 'the session was not renewed: the account is disabled');
    };
    await expect(renewal(NOW + 2 * HOUR).ensureFresh()).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringMatching(/account is disabled.*credroam-agent login/),
    });
    expect(fixture.store.session.read()!.sessionToken).toBe(fixture.session.sessionToken);
  });

  it('does not ask once the renewal window is over', async () => {
    await expect(renewal(NOW + 11 * HOUR).ensureFresh()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
    expect(calls).toEqual([]);
  });

  it('keeps using a session still valid when the server cannot be reached', async () => {
    renew = async () => {
      throw new RoamingError('SERVICE_UNAVAILABLE', 'unreachable');
    };
    const almost = Date.parse(fixture.session.expiresAt) - 1000;
    await expect(renewal(almost).ensureFresh()).resolves.toBeUndefined();
    await expect(renewal(NOW + 2 * HOUR).ensureFresh()).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
  });

  it('signs the token with the device key in a renewal body', () => {
    const device = fixture.store.deviceKeys.load()!;
    const body = renewalBody('a-session-token-0123', device, NOW);
    expect(body.proof.issuedAt).toBe(NOW);
    const message = renewalProofMessage('a-session-token-0123');
    expect(verifyDeviceProof(device.publicKey, NOW, message, body.proof.signature)).toBe(true);
    expect(verifyDeviceProof(device.publicKey, NOW, renewalProofMessage('other'), body.proof.signature)).toBe(
      false,
    );
  });
});
