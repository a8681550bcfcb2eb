import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  RoamingError,
  unwrap,
  type MachineBase,
  type SyncCheckRequest,
  type SyncCheckResponse,
  type SyncRequest,
  type SyncResponse,
  type TokenMeta,
  type WorkstationEventRequest,
} from '@credroam/roaming';
import { certificateThumbprint, createDownloadKey, openEnvelope, sealEnvelope } from '@credroam/sealing';
import { tokenFileName } from '../store/token-file-name';
import { agentFixture, NOW, SYNC_STAMP, syncResponse, type AgentFixture } from '../testing/agent-fixtures';
import { type AgentApiClient } from './agent-api.client';
import { SyncService } from './sync.service';

const response = syncResponse;

function baseOf(...tokens: TokenMeta[]): MachineBase {
  return {
    directoryCreatedAt: NOW - 5000,
    syncedAt: NOW - 100,
    entries: tokens.map((token) => ({
      type: token.type,
      id: token.id,
      hash: token.hash,
      modifiedAt: token.modifiedAt,
      tombstone: false,
    })),
  };
}

describe('SyncService', () => {
  let fixture: AgentFixture;
  let sent: SyncRequest[];
  let answer: (request: SyncRequest) => SyncResponse;
  let reported: WorkstationEventRequest[];
  let checks: SyncCheckRequest[];
  let checkAnswer: (request: SyncCheckRequest) => SyncCheckResponse;
  let service: SyncService;

  beforeEach(() => {
    fixture = agentFixture();
    sent = [];
    reported = [];
    answer = () => response();
    checks = [];
    checkAnswer = (request) => ({
      status: 'up-to-date',
      code: 1,
      correlationId: 'c-check',
      stamp: request.stamp,
      syncedAt: NOW + 1,
      settled: request.settled,
    });
    const client = {
      sync: async (_token: string, request: SyncRequest) => {
        sent.push(request);
        return answer(request);
      },
      checkSync: async (_token: string, request: SyncCheckRequest) => {
        checks.push(request);
        return checkAnswer(request);
      },
      reportEvent: async (_token: string, body: WorkstationEventRequest) => {
        reported.push(body);
        return { eventId: '0b7e6a57-5a5e-4d0e-9a7e-0d5c2f1e3a4b' };
      },
    } as unknown as AgentApiClient;
    service = new SyncService(
      fixture.store,
      () => client,
      () => NOW,
    );
  });
  afterEach(() => fixture.dispose());

  const device = () => fixture.store.deviceKeys.load()!;

  describe('a steady sync after a settled one', () => {
    const MARK = 'M'.repeat(22);
    const settle = async () => {
      const token = fixture.token('master-key', 'Preferred', Buffer.from('kept'));
      fixture.store.tokens.put(token);
      answer = () => response({ base: baseOf(token.meta), settled: MARK });
      await service.sync('logon');
      return token;
    };

    it('asks the check instead of sending the manifest, and records the sync it stands for', async () => {
      const token = await settle();
      expect(fixture.store.state.read()).toMatchObject({ state: { settled: { mark: MARK } } });
      const outcome = await service.sync('unlock');
      expect(sent).toHaveLength(1);
      expect(checks).toEqual([
        { trigger: 'unlock', machine: 'ws-a', stamp: SYNC_STAMP, syncedAt: NOW - 100, settled: MARK },
      ]);
      expect(outcome.response).toMatchObject({
        status: 'up-to-date',
        correlationId: 'c-check',
        settled: MARK,
      });
      expect(fixture.store.state.read()).toMatchObject({
        state: {
          base: { ...baseOf(token.meta), syncedAt: NOW + 1 },
          lastStamp: SYNC_STAMP,
          lastSync: { status: 'up-to-date', correlationId: 'c-check', trigger: 'unlock' },
          settled: { mark: MARK },
        },
      });
    });

    it('sends the manifest when the check says the directory changed', async () => {
      await settle();
      checkAnswer = () => ({ status: 'changed', correlationId: 'c-miss', reason: 'directory-changed' });
      answer = () => response({ correlationId: 'c-full' });
      const outcome = await service.sync('logon');
      expect(checks).toHaveLength(1);
      expect(sent).toHaveLength(2);
      expect(outcome.response.correlationId).toBe('c-full');
      // That answer was not settled: the next sync sends its manifest again.
      await service.sync('logon');
      expect({ checks: checks.length, sent: sent.length }).toEqual({ checks: 1, sent: 3 });
    });

    it('sends the manifest when a token changed here since', async () => {
      await settle();
      fixture.store.tokens.put(fixture.token('stored-credential', 'mail', Buffer.from('new')));
      await service.sync('store-change');
      expect(checks).toEqual([]);
      expect(sent[1]?.uploads.map((upload) => upload.id)).toEqual(['mail']);
    });
  });
  const sealForDevice = (content: Buffer) =>
    unwrap(sealEnvelope(content, [{ publicKey: device().publicKey }])).toString('base64');

  it('uploads only tokens changed since the base, sealed to the transport certificate', async () => {
    const same = fixture.token('master-key', 'Preferred', Buffer.from('same'));
    const edited = fixture.token('stored-credential', 'mail', Buffer.from('new password'));
    fixture.store.tokens.put(same);
    fixture.store.tokens.put(edited);
    fixture.store.state.write({
      format: 1,
      machine: 'ws-a',
      base: baseOf(same.meta, { ...edited.meta, hash: 'b'.repeat(64) }),
      lastStamp: SYNC_STAMP,
      lastSync: null,
    });
    await service.sync('logon');
    const request = sent[0]!;
    expect(request.lastStamp).toBe(SYNC_STAMP);
    expect(request.uploads.map((upload) => upload.id)).toEqual(['mail']);
    const opened = openEnvelope(Buffer.from(request.uploads[0]!.envelope, 'base64'), [
      { privateKey: fixture.transport.privateKey, certificate: fixture.transport.certificate },
    ]);
    expect(unwrap(opened).toString()).toBe('new password');
  });

  it('sends base null and no stamp when the state file is corrupt, and says it self-healed', async () => {
    const token = fixture.token('master-key', 'Preferred', Buffer.from('kept'));
    fixture.store.tokens.put(token);
    writeFileSync(fixture.store.layout.stateFile, '{"format":1,"base":');
    answer = () => response({ code: 2, fullResync: 'no-base', base: baseOf(token.meta) });
    const outcome = await service.sync('logon');
    expect(sent[0]!.manifest.base).toBeNull();
    expect(sent[0]!.lastStamp).toBeNull();
    expect(sent[0]!.uploads).toHaveLength(1);
    expect(outcome.selfHealed).toMatch(/not valid JSON/);
    expect(reported).toEqual([{ code: 1006, problem: 'state file is not valid JSON', trigger: 'logon' }]);
    expect(fixture.store.tokens.list().tokens).toEqual([token]);
    expect(fixture.store.state.read()).toMatchObject({ health: 'ok', state: { base: baseOf(token.meta) } });
  });

  it('reconciles the applications’ stores before the manifest is built and after the apply, and reports their problems', async () => {
    const added = fixture.token('certificate', 'A'.repeat(40), Buffer.from('added in the application'));
    const seen: number[] = [];
    const applicationStore = {
      reconcile: () => {
        seen.push(fixture.store.state.read().health === 'ok' ? 1 : 0);
        if (seen.length === 1) {
          fixture.store.tokens.put(added);
          return [];
        }
        return ['NSS database /x: cannot add to NSS ABC: broken'];
      },
    };
    const outcome = await service.sync('store-change', [
      applicationStore,
      {
        reconcile: () => {
          throw new Error('NSS database /y: certutil is not installed');
        },
      },
    ]);
    // Before: no state file yet, and the token it added went up with this sync; after: the new base is written.
    expect(seen).toEqual([0, 1]);
    expect(sent[0]!.uploads.map((upload) => upload.id)).toEqual([added.meta.id]);
    expect(outcome.applicationStoreProblems).toEqual([
      'NSS database /y: certutil is not installed',
      'NSS database /x: cannot add to NSS ABC: broken',
    ]);
  });

  it('writes verified downloads, applies deletions and records the new base last', async () => {
    const gone = fixture.token('master-key', 'Preferred', Buffer.from('old'));
    fixture.store.tokens.put(gone);
    const incoming = fixture.token('stored-credential', 'vpn', Buffer.from('roamed secret'));
    answer = () =>
      response({
        downloads: [{ token: incoming.meta, envelope: sealForDevice(incoming.content) }],
        localDeletions: [{ type: 'master-key', id: 'Preferred', reason: 'deleted-elsewhere' }],
        base: baseOf(incoming.meta),
      });
    const outcome = await service.sync('pulse');
    expect(outcome).toMatchObject({ downloaded: 1, deleted: 1 });
    expect(fixture.store.tokens.list().tokens).toEqual([incoming]);
    expect(fixture.store.state.read()).toMatchObject({
      state: { base: baseOf(incoming.meta), lastStamp: SYNC_STAMP },
    });
    // What status shows: the download roamed and synced now; the deleted token's record is gone.
    expect(fixture.store.records.read()).toEqual({
      'stored-credential:vpn': { origin: 'roamed', lastSyncedAt: NOW, issue: null },
    });
  });

  it('writes nothing when a download does not match its keyed hash', async () => {
    const claimed = fixture.token('stored-credential', 'vpn', Buffer.from('what the server claims'));
    answer = () =>
      response({
        downloads: [{ token: claimed.meta, envelope: sealForDevice(Buffer.from('something else entirely')) }],
        base: baseOf(claimed.meta),
      });
    await expect(service.sync('pulse')).rejects.toMatchObject({ code: 'INTEGRITY_CHECK_FAILED' });
    expect(fixture.store.tokens.list().tokens).toEqual([]);
    expect(fixture.store.state.read().health).toBe('missing');
  });

  describe('download keys (one key agreement per batch)', () => {
    const sealedToNewKey = (device: KeyObject, ...contents: Buffer[]) => {
      const { key, envelope } = unwrap(createDownloadKey(device));
      return {
        keyEnvelope: envelope.toString('base64'),
        envelopes: contents.map((content) => unwrap(sealEnvelope(content, [key])).toString('base64')),
      };
    };

    it('opens each download with the download key the answer sealed to the device', async () => {
      const first = fixture.token('stored-credential', 'vpn', Buffer.from('roamed secret'));
      const second = fixture.token('master-key', 'Preferred', Buffer.from('another secret'));
      const batchA = sealedToNewKey(device().publicKey, first.content);
      const batchB = sealedToNewKey(device().publicKey, second.content);
      answer = () =>
        response({
          downloads: [
            { token: first.meta, envelope: batchA.envelopes[0]! },
            { token: second.meta, envelope: batchB.envelopes[0]! },
          ],
          downloadKeys: [batchA.keyEnvelope, batchB.keyEnvelope],
          base: baseOf(first.meta, second.meta),
        });
      await expect(service.sync('logon')).resolves.toMatchObject({ downloaded: 2 });
      expect(fixture.store.tokens.list().tokens).toEqual(expect.arrayContaining([first, second]));
    });

    it('writes nothing when a download key was sealed to another device', async () => {
      const incoming = fixture.token('stored-credential', 'vpn', Buffer.from('roamed secret'));
      const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
      const batch = sealedToNewKey(stranger, incoming.content);
      answer = () =>
        response({
          downloads: [{ token: incoming.meta, envelope: batch.envelopes[0]! }],
          downloadKeys: [batch.keyEnvelope],
          base: baseOf(incoming.meta),
        });
      await expect(service.sync('logon')).rejects.toMatchObject({ code: 'INTEGRITY_CHECK_FAILED' });
      expect(fixture.store.tokens.list().tokens).toEqual([]);
      expect(fixture.store.state.read().health).toBe('missing');
    });

    it('refuses a download sealed to the device key when the answer says downloads are sealed to download keys', async () => {
      const incoming = fixture.token('stored-credential', 'vpn', Buffer.from('roamed secret'));
      const batch = sealedToNewKey(device().publicKey, Buffer.from('unused'));
      answer = () =>
        response({
          downloads: [{ token: incoming.meta, envelope: sealForDevice(incoming.content) }],
          downloadKeys: [batch.keyEnvelope],
          base: baseOf(incoming.meta),
        });
      await expect(service.sync('logon')).rejects.toMatchObject({ code: 'INTEGRITY_CHECK_FAILED' });
      expect(fixture.store.tokens.list().tokens).toEqual([]);
    });
  });

  it('refuses a download whose identifier fails the whitelist, even if the schema was bypassed', async () => {
    const planted = fixture.token('private-key', 'ok-id', Buffer.from('x'));
    answer = () =>
      response({
        downloads: [
          { token: { ...planted.meta, id: '..\\..\\evil.bat' }, envelope: sealForDevice(planted.content) },
        ],
      });
    await expect(service.sync('pulse')).rejects.toMatchObject({ code: 'UNSAFE_IDENTIFIER' });
    expect(fixture.store.tokens.list().tokens).toEqual([]);
  });

  describe('certificates roamed by Windows clients', () => {
    const certificate = () => fixture.transport.certificate.der;
    const windowsAnswer = (thumbprint: string, der: Buffer) =>
      response({
        windowsCertificates: [{ thumbprint, modifiedAt: NOW - 1000, der: der.toString('base64') }],
        reported: [
          {
            ref: 'r1',
            origin: 'foreign',
            reason: 'foreign',
            tokenType: 'certificate',
            displayId: `"${thumbprint}"`,
            modifiedAt: NOW - 1000,
            windows: { kind: 'certificate', thumbprint },
          },
          {
            ref: 'r2',
            origin: 'foreign',
            reason: 'foreign',
            tokenType: 'private-key',
            displayId: '"container"',
            modifiedAt: NOW - 1000,
            windows: {
              kind: 'private-key',
              provider: 'cng',
              container: null,
              masterKeys: ['563e7e10-0351-4855-8f9a-5c6ba86a2c04'],
              unreadable: false,
            },
          },
        ],
      });

    it('keeps them read-only beside the tokens, never in the manifest, and the Windows-only keys for status', async () => {
      const thumbprint = certificateThumbprint(certificate());
      answer = () => windowsAnswer(thumbprint, certificate());
      await service.sync('pulse');
      expect(fixture.store.windows.read()).toMatchObject({
        syncedAt: NOW,
        certificates: [{ thumbprint }],
        windowsOnly: [{ ref: 'r2', windows: { kind: 'private-key' } }],
      });
      expect(fixture.store.tokens.list().tokens).toEqual([]);
      await service.sync('pulse');
      expect(sent[1]?.manifest.tokens).toEqual([]);
      expect(sent[1]?.uploads).toEqual([]);
      // A server that predates them says nothing: what the store has stays.
      answer = () => response();
      await service.sync('pulse');
      expect(fixture.store.windows.read().certificates).toHaveLength(1);
    });

    it('does not write them again while they are unchanged', async () => {
      const thumbprint = certificateThumbprint(certificate());
      answer = () => windowsAnswer(thumbprint, certificate());
      await service.sync('pulse');
      const written = statSync(fixture.store.layout.windowsRoamedFile).ino;
      await service.sync('pulse');
      expect(statSync(fixture.store.layout.windowsRoamedFile).ino).toBe(written);
    });

    it('writes nothing when a certificate is not the one its thumbprint names', async () => {
      answer = () => windowsAnswer('B6AF1EF9D302A7332208091CC8C1EFF836F60620', certificate());
      await expect(service.sync('pulse')).rejects.toMatchObject({ code: 'THUMBPRINT_MISMATCH' });
      expect(fixture.store.windows.read().certificates).toEqual([]);
      expect(fixture.store.state.read().health).toBe('missing');
    });
  });

  it('opens no key for a sync with nothing to upload or download, and fails the first use of a broken one', async () => {
    writeFileSync(fixture.store.layout.deviceKeyFile, 'not a key', { mode: 0o600 });
    await expect(service.sync('logon')).resolves.toMatchObject({ downloaded: 0 });
    const token = fixture.token('master-key', 'Preferred', Buffer.from('from elsewhere'));
    answer = () => response({ status: 'synced', downloads: [{ token: token.meta, envelope: 'AAAA' }] });
    await expect(service.sync('logon')).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringMatching(/device key is unreadable/),
    });
  });

  it('changes nothing on disk when the sync is blocked', async () => {
    fixture.store.tokens.put(fixture.token('master-key', 'Preferred', Buffer.from('kept')));
    answer = () =>
      response({
        status: 'blocked',
        code: 1008,
        block: {
          code: 'TOKEN_LIMIT_EXCEEDED',
          message: 'too many',
          limit: { name: 'maxTokens', allowed: 2000, actual: 2001 },
        },
      });
    await service.sync('pulse');
    expect(fixture.store.state.read().health).toBe('missing');
    expect(fixture.store.tokens.list().tokens).toHaveLength(1);
  });

  it('requires a live session, or one the device key may still renew', async () => {
    const expired = new SyncService(
      fixture.store,
      () => ({}) as AgentApiClient,
      () => NOW + 11 * 3_600_000,
    );
    await expect(expired.sync('pulse')).rejects.toMatchObject({
      code: 'SESSION_EXPIRED',
      message: expect.stringMatching(/can no longer be renewed.*credroam-agent login/),
    });
  });

  it('renews and sends the same request once more when the server says the session expired', async () => {
    const tokens: string[] = [];
    const client = {
      sync: async (token: string, request: SyncRequest) => {
        tokens.push(token);
        if (tokens.length === 1) throw new RoamingError('SESSION_EXPIRED', 'expired by the server clock');
        sent.push(request);
        return response();
      },
      renewSession: async () => ({
        sessionToken: 'renewed-token-0123456789',
        expiresAt: new Date(NOW + 900_000).toISOString(),
        renewableUntil: fixture.session.renewableUntil,
        policy: fixture.session.policy,
      }),
    } as unknown as AgentApiClient;
    await new SyncService(
      fixture.store,
      () => client,
      () => NOW,
    ).sync('pulse');
    expect(tokens).toEqual([fixture.session.sessionToken, 'renewed-token-0123456789']);
    expect(sent).toHaveLength(1);
  });

  it('reports a local store write failure (1003) and still fails the sync', async () => {
    const token = fixture.token('master-key', 'Preferred', Buffer.from('x'));
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    jest.spyOn(fixture.store.tokens, 'putAll').mockImplementation(() => {
      throw full;
    });
    answer = () => response({ downloads: [{ token: token.meta, envelope: sealForDevice(token.content) }] });
    await expect(service.sync('pulse')).rejects.toThrow(/writing the local store failed: ENOSPC/);
    expect(reported).toEqual([
      {
        code: 1003,
        problem: expect.stringMatching(/^writing the local store failed: ENOSPC/),
        trigger: 'pulse',
      },
    ]);
  });

  it('never fails a sync because its report could not be sent', async () => {
    const failing = {
      sync: async () => response(),
      reportEvent: async () => {
        throw new Error('broker down');
      },
    } as unknown as AgentApiClient;
    writeFileSync(fixture.store.layout.stateFile, 'garbage');
    const outcome = await new SyncService(
      fixture.store,
      () => failing,
      () => NOW,
    ).sync('logon');
    expect(outcome.response.status).toBe('synced');
  });

  it('leaves the old state when it crashes before the state file is replaced; the next sync repairs it', async () => {
    let crash = true;
    const crashing = agentFixture({
      beforeRename: (_temp, target) => {
        if (crash && target.endsWith('state.json')) throw new Error('simulated crash');
      },
    });
    try {
      const old = crashing.token('master-key', 'Preferred', Buffer.from('old'));
      crashing.store.tokens.put(old);
      crash = false;
      crashing.store.state.write({
        format: 1,
        machine: 'ws-a',
        base: baseOf(old.meta),
        lastStamp: SYNC_STAMP,
        lastSync: null,
      });
      crash = true;
      const device = crashing.store.deviceKeys.load()!;
      const incoming = crashing.token('master-key', 'Preferred', Buffer.from('newer'), { modifiedAt: NOW });
      const client = {
        sync: async () =>
          response({
            downloads: [
              {
                token: incoming.meta,
                envelope: unwrap(sealEnvelope(incoming.content, [{ publicKey: device.publicKey }])).toString(
                  'base64',
                ),
              },
            ],
            base: baseOf(incoming.meta),
          }),
      } as unknown as AgentApiClient;
      await expect(
        new SyncService(
          crashing.store,
          () => client,
          () => NOW,
        ).sync('pulse'),
      ).rejects.toThrow('simulated crash');
      // Either version of each file, never a torn one: the token is new, the base still the old one.
      expect(crashing.store.tokens.list().tokens).toEqual([incoming]);
      expect(crashing.store.state.read()).toMatchObject({ health: 'ok', state: { base: baseOf(old.meta) } });
    } finally {
      crashing.dispose();
    }
  });

  it('asks for a broken token file again instead of reporting it as deleted', async () => {
    const good = fixture.token('master-key', 'Preferred', Buffer.from('good'));
    const broken = fixture.token('stored-credential', 'mail', Buffer.from('secret'));
    fixture.store.tokens.put(good);
    fixture.store.tokens.put(broken);
    fixture.store.state.write({
      format: 1,
      machine: 'ws-a',
      base: baseOf(good.meta, broken.meta),
      lastStamp: SYNC_STAMP,
      lastSync: null,
    });
    writeFileSync(
      join(fixture.store.layout.tokenTypeDir('stored-credential'), tokenFileName(broken.meta)),
      '{',
    );
    const outcome = await service.sync('pulse');
    expect(sent[0]!.manifest.tokens.map((token) => token.id)).toEqual(['Preferred']);
    expect(sent[0]!.manifest.base!.entries.map((entry) => entry.id)).toEqual(['Preferred']);
    expect(outcome.skippedFiles).toBe(1);
  });
});
