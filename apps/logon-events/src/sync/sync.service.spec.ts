import {
  encodeRoamingTimestamp,
  RoamingError,
  syncCheckResponseSchema,
  syncResponseSchema,
  tokenKeyString,
  unwrap,
  type DirectoryState,
  type RoamingEvent,
  type RpcRequest,
  type RpcResponse,
  type StoredValue,
  type TokenKey,
} from '@credroam/roaming';
import {
  baseEntry,
  directoryEntry,
  directoryState,
  localToken,
  machineBase,
  manifest,
  policy,
  T0,
} from '@credroam/roaming/reconcile/testing/builders';
import { CERTIFICATE_FACTS } from '@credroam/roaming/contracts/testing/contract-examples';
import { type Grantee } from '@credroam/grants';
import {
  type Clock,
  type CryptoRepository,
  type DirectoryRepository,
  type EventSink,
} from '../repositories/logon.repositories';
import { type SyncSession } from './sync-session';
import { settledMark } from './settled-mark';
import { SyncService } from './sync.service';
import { sessionClaims } from '../testing/session-claims';

const USER_DN = 'uid=alice,ou=people,dc=credroam,dc=test';
const stampAt = (modifiedAt: number) =>
  unwrap(encodeRoamingTimestamp({ createdAt: T0 - 1000, modifiedAt })).toString('base64');
const ENVELOPE = Buffer.from('cms enveloped data').toString('base64');

class FakeDirectory implements DirectoryRepository {
  reads = 0;
  /** Whom each call for the user's data was made on behalf of. */
  grantees: Grantee[] = [];
  writes: RpcRequest<'directory.apply-changes'>[] = [];
  /** Stamp changes to answer before a write succeeds, each after another writer's change. */
  lostRaces = 0;
  constructor(
    public state: DirectoryState,
    public stamp: string | null,
  ) {}

  lookupUser(): never {
    throw new Error('not used');
  }
  verifyPassword(): never {
    throw new Error('not used');
  }
  checkAccount(): never {
    throw new Error('not used');
  }
  resolvePolicy(): never {
    throw new Error('not used');
  }
  async readState() {
    this.reads += 1;
    return { stamp: this.stamp, state: this.state };
  }
  stampReads = 0;
  async readStamp() {
    this.stampReads += 1;
    return { stamp: this.stamp };
  }
  async applyChanges(request: RpcRequest<'directory.apply-changes'>, grantee: Grantee) {
    this.grantees.push(grantee);
    if (request.expectedStamp !== this.stamp) throw new RoamingError('DIRECTORY_STAMP_CHANGED', 'stale');
    if (this.lostRaces > 0) {
      this.lostRaces -= 1;
      this.stamp = stampAt(T0 + 100 + this.lostRaces);
      throw new RoamingError('DIRECTORY_STAMP_CHANGED', 'another writer got there first');
    }
    this.writes.push(request);
    this.stamp = stampAt(T0 + 500);
    return { stamp: this.stamp, createdAt: T0 - 1000 };
  }
  async readStoredValues(_dn: string, keys: TokenKey[], grantee: Grantee) {
    this.grantees.push(grantee);
    const wanted = keys.map(tokenKeyString);
    return new Map<string, StoredValue>(
      this.state.entries
        .filter((entry) => wanted.includes(tokenKeyString(entry)))
        .map((entry) => {
          // eslint-disable-next-line @typescript-eslint/no-unused-vars
          const { ref, ...token } = entry;
          return [tokenKeyString(entry), { token, keyVersion: 1, sealed: ENVELOPE }] as const;
        }),
    );
  }
}

class FakeCrypto implements CryptoRepository {
  calls: string[] = [];
  /** How many items each call carried. */
  batchSizes: number[] = [];
  grantees: Grantee[] = [];
  transportCertificate(): never {
    throw new Error('not used');
  }
  resealPassword(): never {
    throw new Error('not used');
  }
  async sealForStorage(
    request: RpcRequest<'crypto.seal-for-storage'>,
    grantee: Grantee,
  ): Promise<RpcResponse<'crypto.seal-for-storage'>> {
    this.calls.push('seal-for-storage');
    this.batchSizes.push(request.items.length);
    this.grantees.push(grantee);
    return {
      items: request.items.map(({ token }) => ({
        type: token.type,
        id: token.id,
        ok: true as const,
        keyVersion: 1,
        sealed: ENVELOPE,
        ...(token.type === 'certificate' ? { certificate: CERTIFICATE_FACTS } : {}),
      })),
    };
  }
  /** Whether each seal-for-device call asked for a download key. */
  downloadKeyAsked: boolean[] = [];
  async sealForDevice(request: RpcRequest<'crypto.seal-for-device'>, grantee: Grantee) {
    this.calls.push('seal-for-device');
    this.batchSizes.push(request.items.length);
    this.grantees.push(grantee);
    this.downloadKeyAsked.push(request.downloadKey === true);
    return {
      ...(request.downloadKey
        ? {
            downloadKeyEnvelope: Buffer.from(`download key ${this.downloadKeyAsked.length}`).toString(
              'base64',
            ),
          }
        : {}),
      items: request.items.map(({ token }) => ({
        type: token.type,
        id: token.id,
        ok: true as const,
        envelope: ENVELOPE,
        ...(token.type === 'certificate' ? { certificate: CERTIFICATE_FACTS } : {}),
      })),
      hashKeyEnvelope: null,
    };
  }
}

class RecordingEvents implements EventSink {
  events: RoamingEvent[] = [];
  async publishAll(events: readonly RoamingEvent[]) {
    this.events.push(...events);
  }
  types(): string[] {
    return this.events.map((event) => event.type);
  }
}

const clock = (): Clock & { slept: number[] } => {
  const slept: number[] = [];
  return { now: () => T0, sleep: async (ms) => void slept.push(ms), random: () => 0.5, slept };
};

const session: SyncSession = {
  claims: sessionClaims({ exp: T0 + 60_000 }),
  policy: policy(),
};

function setup(state: DirectoryState, stamp: string | null) {
  const directory = new FakeDirectory(state, stamp);
  const crypto = new FakeCrypto();
  const events = new RecordingEvents();
  const time = clock();
  const log = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const saga = new SyncService(
    { directory, crypto, events, clock: time, log },
    { maxWriteAttempts: 3, retryBaseDelayMs: 40 },
  );
  return { directory, crypto, events, time, saga };
}

const alice = { content: 'alice-signing', at: T0 - 10_000 };

/** ws-01's first sync (no base yet), uploading alice's certificate. */
const firstUpload = () => ({
  trigger: 'store-change',
  machine: 'ws-01',
  lastStamp: null,
  baseStatus: 'first-use',
  manifest: manifest([localToken(alice)], null),
  uploads: [{ type: 'certificate', id: localToken(alice).id, envelope: ENVELOPE }],
});

/** A logon of ws-01, which holds alice's certificate and synced it before. */
const logonWithBase = (lastStamp: string | null) => ({
  trigger: 'logon',
  machine: 'ws-01',
  lastStamp,
  baseStatus: 'kept',
  manifest: manifest([localToken(alice)], machineBase([baseEntry(alice)])),
  uploads: [],
});

describe('SyncService', () => {
  describe('the settled check', () => {
    const stamp = stampAt(T0 - 5000);
    const settledSync = async () => {
      const setUp = setup(directoryState([directoryEntry(alice)]), stamp);
      const answer = await setUp.saga.sync(session, logonWithBase(stamp), 'corr-full', {
        settledCheck: true,
      });
      setUp.events.events = [];
      return { ...setUp, answer };
    };
    const checkOf = (settled: string | undefined, overrides: Record<string, unknown> = {}) => ({
      trigger: 'logon',
      machine: 'ws-01',
      stamp,
      syncedAt: T0 - 60_000,
      settled,
      ...overrides,
    });

    it('marks an answer that leaves nothing for later as settled, under the mark of its policy', async () => {
      const { answer } = await settledSync();
      expect(answer.settled).toBe(settledMark(session.policy));
      const other = settledMark({ ...session.policy, tombstoneDays: session.policy.tombstoneDays + 1 });
      expect(other).not.toBe(answer.settled);
    });

    it('does not mark an answer that reports a token held back: every full sync reports it again', async () => {
      const { saga } = setup(directoryState([directoryEntry(alice)]), stamp);
      const credential = localToken({
        type: 'stored-credential',
        id: 'mail',
        content: 'secret',
        at: T0 - 100,
      });
      const request = {
        ...logonWithBase(stamp),
        manifest: manifest([localToken(alice), credential], machineBase([baseEntry(alice)])),
      };
      const withoutCredentials = { ...session, policy: { ...session.policy, roamStoredCredentials: false } };
      const answer = await saga.sync(withoutCredentials, request, 'corr-held', { settledCheck: true });
      expect(answer.rejections).toEqual([expect.objectContaining({ code: 'POLICY_FILTERED' })]);
      expect(answer).not.toHaveProperty('settled');
    });

    it('leaves the mark out for an agent that did not say it understands it (its schema would refuse it)', async () => {
      const { saga } = setup(directoryState([directoryEntry(alice)]), stamp);
      const answer = await saga.sync(session, logonWithBase(stamp), 'corr-old-agent');
      expect(answer).not.toHaveProperty('settled');
    });

    it('answers up to date from one stamp read, audited as a completed sync, while nothing moved', async () => {
      const { answer, directory, events, saga } = await settledSync();
      const checked = await saga.check(session, checkOf(answer.settled), 'corr-check');
      expect(syncCheckResponseSchema.parse(checked)).toEqual({
        status: 'up-to-date',
        code: 1,
        correlationId: 'corr-check',
        stamp,
        syncedAt: T0,
        settled: answer.settled,
      });
      expect({ reads: directory.reads, stampReads: directory.stampReads }).toEqual({
        reads: 1,
        stampReads: 1,
      });
      expect(events.types()).toEqual(['sync.started', 'sync.completed']);
      expect(events.events[1]).toMatchObject({
        correlationId: 'corr-check',
        code: 1,
        payload: { upToDate: true },
      });
    });

    it('sends the workstation to a full sync, auditing nothing, when the stamp, the policy or the base age moved', async () => {
      const { answer, directory, events, saga } = await settledSync();
      directory.stamp = stampAt(T0 - 10);
      await expect(saga.check(session, checkOf(answer.settled), 'c1')).resolves.toMatchObject({
        status: 'changed',
        reason: 'directory-changed',
      });
      directory.stamp = stamp;
      const stricter = { ...session, policy: { ...session.policy, maxTokens: 1 } };
      await expect(saga.check(stricter, checkOf(answer.settled), 'c2')).resolves.toMatchObject({
        reason: 'policy-changed',
      });
      const disabled = { ...session, policy: { ...session.policy, enabled: false } };
      await expect(saga.check(disabled, checkOf(settledMark(disabled.policy)), 'c3')).resolves.toMatchObject({
        reason: 'policy-changed',
      });
      const old = T0 - (session.policy.tombstoneDays * 86_400_000 + 1);
      await expect(
        saga.check(session, checkOf(answer.settled, { syncedAt: old }), 'c4'),
      ).resolves.toMatchObject({
        reason: 'stale-base',
      });
      expect(events.events).toEqual([]);
      expect(directory.stampReads).toBe(1);
    });

    it("refuses a check for another machine than the session's, and a body off the contract", async () => {
      const { answer, saga } = await settledSync();
      await expect(
        saga.check(session, checkOf(answer.settled, { machine: 'ws-02' }), 'c'),
      ).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(saga.check(session, checkOf(undefined), 'c')).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
      await expect(saga.check(session, checkOf(answer.settled, { manifest: [] }), 'c')).rejects.toMatchObject(
        {
          code: 'INVALID_INPUT',
        },
      );
    });
  });

  it('answers up to date after exactly one directory read and no crypto call when nothing changed', async () => {
    const stamp = stampAt(T0 - 5000);
    const { directory, crypto, events, saga } = setup(directoryState([directoryEntry(alice)]), stamp);
    const response = await saga.sync(session, logonWithBase(stamp), 'corr-fast');
    expect(syncResponseSchema.parse(response)).toMatchObject({ status: 'up-to-date', code: 1, stamp });
    expect(directory.reads).toBe(1);
    expect(directory.writes).toEqual([]);
    expect(crypto.calls).toEqual([]);
    expect(events.types()).toEqual(['sync.started', 'sync.completed']);
    expect(events.events[1]).toMatchObject({ correlationId: 'corr-fast', payload: { upToDate: true } });
  });

  it('seals a new local token for storage and writes it with compare-and-swap', async () => {
    const { directory, crypto, events, saga } = setup(
      { ...directoryState([]), createdAt: null, modifiedAt: null },
      null,
    );
    const response = await saga.sync(session, firstUpload(), 'corr-upload');
    expect(syncResponseSchema.parse(response).status).toBe('synced');
    expect(crypto.calls).toEqual(['seal-for-storage']);
    expect(directory.writes).toHaveLength(1);
    expect(directory.writes[0]).toMatchObject({
      userDn: USER_DN,
      expectedStamp: null,
      add: [{ keyVersion: 1, sealed: ENVELOPE, token: { hash: localToken(alice).hash } }],
    });
    // The write created the stamp: the base carries its created time.
    expect(response.base.directoryCreatedAt).toBe(T0 - 1000);
    expect(response.stamp).toBe(directory.stamp);
    // A first use has no base to lose: ordinary roaming, no self-healing.
    expect(events.types()).toEqual(['sync.started', 'token.uploaded', 'directory.changed', 'sync.completed']);
    expect(events.events.map((event) => event.code)).toEqual([1, 1, 1, 1]);
    // What the user's other workstations are woken with: the new stamp's time, no token.
    expect(events.events[2]).toMatchObject({
      user: session.claims.login,
      machine: session.claims.machine,
      payload: { trigger: firstUpload().trigger, modifiedAt: new Date(T0 + 500).toISOString() },
    });
    expect(response.code).toBe(1);
    expect(JSON.stringify(events.events)).not.toContain(ENVELOPE);
    // The certificate's facts go to the inventory in the event, never into the directory write.
    expect(events.events[1]!.payload).toMatchObject({ type: 'certificate', certificate: CERTIFICATE_FACTS });
    expect(directory.writes[0]!.add[0]).not.toHaveProperty('certificate');
  });

  it("reports a lost state file as Windows' 502 then 2 (self-healing by a full resync)", async () => {
    const { events, saga } = setup(directoryState([directoryEntry(alice)]), stampAt(T0 - 5000));
    const response = await saga.sync(
      session,
      {
        trigger: 'logon',
        machine: 'ws-01',
        lastStamp: null,
        baseStatus: 'lost',
        manifest: manifest([localToken(alice)], null),
        uploads: [],
      },
      'corr-lost',
    );
    expect(response).toMatchObject({ code: 2, fullResync: 'no-base' });
    expect(events.types()).toEqual(['sync.started', 'sync.self-heal-needed', 'sync.completed']);
    expect(events.events.map((event) => event.code)).toEqual([1, 502, 2]);
  });

  it('re-reads and retries with jittered backoff after a lost race, and says so', async () => {
    const { directory, crypto, events, time, saga } = setup(directoryState([]), stampAt(T0 - 5000));
    directory.lostRaces = 2;
    const response = await saga.sync(session, firstUpload(), 'corr-retry');
    expect(response.status).toBe('synced');
    expect(directory.reads).toBe(3);
    expect(directory.writes).toHaveLength(1);
    // Sealed once: a retry reuses what token-crypto already sealed.
    expect(crypto.calls).toEqual(['seal-for-storage']);
    expect(time.slept).toEqual([30, 60]);
    const retried = events.events.filter((event) => event.type === 'directory.write-retried');
    expect(retried.map((event) => event.payload)).toEqual([
      { attempt: 1, reason: 'DIRECTORY_STAMP_CHANGED', delayMs: 30 },
      { attempt: 2, reason: 'DIRECTORY_STAMP_CHANGED', delayMs: 60 },
    ]);
  });

  it('gives up after the last attempt and publishes sync.failed with code 1005', async () => {
    const { directory, events, saga } = setup(directoryState([]), stampAt(T0 - 5000));
    directory.lostRaces = 10;
    const request = firstUpload();
    await expect(saga.sync(session, request, 'corr-fail')).rejects.toMatchObject({
      code: 'DIRECTORY_STAMP_CHANGED',
    });
    const failed = events.events.find((event) => event.type === 'sync.failed');
    expect(failed).toMatchObject({ code: 1005, payload: { attempts: 3 } });
    expect(events.types()).toEqual([
      'sync.started',
      'directory.write-retried',
      'directory.write-retried',
      'sync.failed',
    ]);
  });

  it('re-seals a token changed elsewhere for the device', async () => {
    const edited = { content: 'alice-signing-v2', at: T0 - 2000 };
    const state = directoryState([directoryEntry(edited)]);
    const { crypto, events, saga } = setup(state, stampAt(T0 - 2000));
    const response = await saga.sync(session, logonWithBase(stampAt(T0 - 5000)), 'corr-down');
    expect(response.downloads).toEqual([
      { token: expect.objectContaining({ hash: localToken(edited).hash }), envelope: ENVELOPE },
    ]);
    expect(crypto.calls).toEqual(['seal-for-device']);
    expect(events.events.find((event) => event.type === 'token.downloaded')?.payload).toMatchObject({
      certificate: CERTIFICATE_FACTS,
    });
  });

  describe('a user with many tokens', () => {
    const many = Array.from({ length: 450 }, (_, index) => ({
      content: `token-${index}`,
      at: T0 - 5000 + index,
      id: index.toString(16).toUpperCase().padStart(40, '0'),
    }));

    const firstLogon = {
      trigger: 'logon',
      machine: 'ws-01',
      lastStamp: null,
      baseStatus: 'first-use',
      manifest: manifest([], null),
      uploads: [],
    } as const;

    it('has its downloads re-sealed in calls of at most 200 items, every one delivered', async () => {
      const { crypto, saga } = setup(
        directoryState(many.map((spec) => directoryEntry(spec))),
        stampAt(T0 - 100),
      );
      const response = await saga.sync(session, firstLogon, 'corr-many-down');
      expect(crypto.calls).toEqual(['seal-for-device', 'seal-for-device', 'seal-for-device']);
      expect(crypto.batchSizes).toEqual([200, 200, 50]);
      expect(response.downloads.map((download) => download.token.id).sort()).toEqual(
        many.map((spec) => spec.id).sort(),
      );
    });

    it('has each call seal its downloads to one download key for an agent that opens them, and no key otherwise', async () => {
      const state = directoryState(many.map((spec) => directoryEntry(spec)));
      const current = setup(state, stampAt(T0 - 100));
      const keyed = await current.saga.sync(session, firstLogon, 'corr-keys', { downloadKeys: true });
      expect(current.crypto.downloadKeyAsked).toEqual([true, true, true]);
      expect(keyed.downloadKeys).toHaveLength(3);
      expect(keyed.downloads).toHaveLength(many.length);

      const older = setup(state, stampAt(T0 - 100));
      const plain = await older.saga.sync(session, firstLogon, 'corr-no-keys');
      expect(older.crypto.downloadKeyAsked).toEqual([false, false, false]);
      expect(plain).not.toHaveProperty('downloadKeys');
      expect(plain.downloads).toHaveLength(many.length);
    });

    it('has its uploads sealed in calls of at most 200 items, every one written', async () => {
      const { directory, crypto, saga } = setup(directoryState([]), null);
      const response = await saga.sync(
        session,
        {
          ...firstUpload(),
          manifest: manifest(
            many.map((spec) => localToken(spec)),
            null,
          ),
          uploads: many.map((spec) => ({ type: 'certificate', id: spec.id, envelope: ENVELOPE })),
        },
        'corr-many-up',
      );
      expect(crypto.batchSizes).toEqual([200, 200, 50]);
      expect(response.rejections).toEqual([]);
      expect(directory.writes).toHaveLength(1);
    });
  });

  it("asks for the user's data on behalf of the session's user and device only", async () => {
    const edited = { content: 'alice-signing-v2', at: T0 - 2000 };
    const mine = { content: 'alice-new', at: T0 - 1000, id: 'A1'.repeat(20) };
    const { directory, crypto, saga } = setup(directoryState([directoryEntry(edited)]), stampAt(T0 - 2000));
    const request = {
      ...logonWithBase(stampAt(T0 - 5000)),
      manifest: manifest([localToken(alice), localToken(mine)], machineBase([baseEntry(alice)])),
      uploads: [{ type: 'certificate', id: mine.id, envelope: ENVELOPE }],
    };
    await saga.sync(session, request, 'corr-grants');
    const { login, stableId, dn, devicePublicKey } = session.claims;
    const grantees = [...directory.grantees, ...crypto.grantees];
    expect(crypto.calls).toEqual(['seal-for-storage', 'seal-for-device']);
    expect(grantees).toHaveLength(4);
    for (const grantee of grantees) expect(grantee).toEqual({ login, stableId, dn, devicePublicKey });
  });

  it("stops a sync over the policy's token limit with Windows' 1008 and the figures of the block", async () => {
    const { directory, crypto, events, saga } = setup(directoryState([]), null);
    const limited: SyncSession = { ...session, policy: { ...session.policy, maxTokens: 1 } };
    const second = { content: 'alice-second', at: T0 - 1000, id: 'B2'.repeat(20) };
    const request = {
      ...firstUpload(),
      manifest: manifest([localToken(alice), localToken(second)], null),
    };
    const response = await saga.sync(limited, request, 'corr-blocked');
    expect(syncResponseSchema.parse(response)).toMatchObject({
      status: 'blocked',
      code: 1008,
      block: { code: 'TOKEN_LIMIT_EXCEEDED', limit: { name: 'maxTokens', allowed: 1, actual: 2 } },
    });
    expect(directory.writes).toEqual([]);
    expect(crypto.calls).toEqual([]);
    expect(events.events.find((event) => event.type === 'policy.limit-exceeded')).toMatchObject({
      code: 1008,
      payload: { limit: 'maxTokens', allowed: 1, actual: 2 },
    });
  });

  it('stops a sync when policy disables roaming, with 1009 and no limit event', async () => {
    const { events, saga } = setup(directoryState([]), null);
    const disabled: SyncSession = { ...session, policy: { ...session.policy, enabled: false } };
    const response = await saga.sync(disabled, firstUpload(), 'corr-disabled');
    expect(response).toMatchObject({ status: 'blocked', code: 1009, block: { limit: null } });
    expect(events.types()).toEqual(['sync.started']);
  });

  it('refuses a sync for another machine than the session', async () => {
    const { directory, saga } = setup(directoryState([]), null);
    await expect(
      saga.sync(
        session,
        {
          trigger: 'logon',
          machine: 'ws-02',
          lastStamp: null,
          baseStatus: 'first-use',
          manifest: manifest([], null),
          uploads: [],
        },
        'corr-machine',
      ),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(directory.reads).toBe(0);
  });

  it('refuses a body off contract with INVALID_INPUT before any I/O', async () => {
    const { directory, saga } = setup(directoryState([]), null);
    await expect(
      saga.sync(session, { trigger: 'logon', userDn: 'uid=bob' }, 'corr-bad'),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(directory.reads).toBe(0);
  });

  it('keeps the old base for a download it could not deliver, so the next sync offers it again', async () => {
    const edited = { content: 'alice-signing-v2', at: T0 - 2000 };
    const { directory, saga } = setup(directoryState([directoryEntry(edited)]), stampAt(T0 - 2000));
    directory.readStoredValues = () =>
      Promise.reject(new RoamingError('SERVICE_UNAVAILABLE', 'no read-values RPC'));
    const response = await saga.sync(session, logonWithBase(stampAt(T0 - 5000)), 'corr-undelivered', {
      settledCheck: true,
    });
    expect(syncResponseSchema.parse(response).downloads).toEqual([]);
    expect(response.rejections).toEqual([
      expect.objectContaining({ side: 'directory', code: 'SERVICE_UNAVAILABLE' }),
    ]);
    expect(response.base.entries).toEqual([baseEntry(alice)]);
    // Left for the next sync, which must therefore send its manifest.
    expect(response.settled).toBeUndefined();
  });

  it('writes nothing for an upload token-crypto refuses, and reports it', async () => {
    const { directory, crypto, events, saga } = setup(directoryState([]), stampAt(T0 - 5000));
    crypto.sealForStorage = async (request) => ({
      items: request.items.map(({ token }) => ({
        type: token.type,
        id: token.id,
        ok: false as const,
        error: {
          code: 'THUMBPRINT_MISMATCH' as const,
          message: 'not the listed certificate',
          retryable: false,
        },
      })),
    });
    const response = await saga.sync(session, firstUpload(), 'corr-refused', { settledCheck: true });
    expect(directory.writes).toEqual([]);
    expect(response.rejections).toEqual([expect.objectContaining({ code: 'THUMBPRINT_MISMATCH' })]);
    expect(response.base.entries).toEqual([]);
    expect(events.types()).toContain('token.rejected');
    expect(response.settled).toBeUndefined();
  });
});
