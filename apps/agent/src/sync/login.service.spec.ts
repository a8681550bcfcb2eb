import { createPublicKey, randomBytes } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { unwrap, type CreateSessionResponse } from '@credroam/roaming';
import { SECRET_PURPOSES, sealSecret } from '@credroam/sealing';
import { keyFixture } from '../../../../libs/sealing/src/testing/key-fixtures';
import { AgentStore } from '../store/agent-store';
import { StoreLayout } from '../store/store-layout';
import { NOW, sessionGrant, tempStoreDir } from '../testing/agent-fixtures';
import { type LogonClient, type SessionRequest } from './logon-client';
import { LoginService } from './login.service';

describe('LoginService', () => {
  let dir: string;
  let store: AgentStore;
  let requests: SessionRequest[];
  let hashKeyFor: (request: SessionRequest) => string;
  const transport = keyFixture('rsa-2048', 'login-transport');
  const hashKey = randomBytes(32);

  const client = {
    server: 'http://127.0.0.1:8440',
    createSession: async (request: SessionRequest): Promise<CreateSessionResponse> => {
      requests.push(request);
      return sessionGrant(transport, hashKeyFor(request));
    },
  } as unknown as LogonClient;

  const sealedToDevice = (request: SessionRequest) => {
    const device = createPublicKey({
      key: request.deviceKey.spki,
      format: 'der',
      type: 'spki',
    });
    return unwrap(sealSecret(SECRET_PURPOSES.hashKey, hashKey, [{ publicKey: device }])).toString('base64');
  };

  beforeEach(() => {
    dir = tempStoreDir();
    store = AgentStore.open(new StoreLayout(join(dir, 'store')));
    requests = [];
    hashKeyFor = sealedToDevice;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const login = (user = 'alice') =>
    new LoginService(store, client, () => NOW).login({
      server: 'http://127.0.0.1:8440',
      user,
      password: 'alice-pass',
      machine: 'ws-a',
    });

  it('generates the device key once, registers it and keeps the session', async () => {
    await login();
    await login();
    expect(requests[0]!.deviceKey.spki).toEqual(requests[1]!.deviceKey.spki);
    expect(statSync(store.layout.deviceKeyFile).mode & 0o777).toBe(0o600);
    expect(store.session.read()).toMatchObject({ user: 'alice', machine: 'ws-a' });
    expect(statSync(store.layout.sessionFile).mode & 0o777).toBe(0o600);
  });

  it('keeps no session when the hash key does not open with the device key', async () => {
    const stranger = keyFixture('p-256', 'stranger');
    hashKeyFor = () =>
      unwrap(sealSecret(SECRET_PURPOSES.hashKey, hashKey, [{ publicKey: stranger.publicKey }])).toString(
        'base64',
      );
    await expect(login()).rejects.toMatchObject({ code: 'INTEGRITY_CHECK_FAILED' });
    expect(store.session.read()).toBeNull();
  });

  it("refuses to reuse another user's store", async () => {
    await login('alice');
    await expect(login('bob')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
