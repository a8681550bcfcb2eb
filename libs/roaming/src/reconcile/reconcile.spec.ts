import { applyPlanToDirectory, applyPlanToLocal, isPlanEmpty } from './apply-plan';
import { reconcile } from './reconcile';
import { DAY_MS } from './reconcile';
import {
  baseEntry,
  certificateId,
  CERT_ID,
  directoryEntry,
  directoryState,
  hashOf,
  localToken,
  machineBase,
  manifest,
  policy,
  T0,
} from './testing/builders';
import {
  CONTENTS,
  directoryView,
  newWorld,
  run as runHistory,
  sync as simulateSync,
} from './testing/simulation';

const NOW = T0 + DAY_MS;
const v1 = { content: 'v1', at: T0 - 10_000 };
const run = (
  input: Partial<Parameters<typeof reconcile>[0]> &
    Pick<Parameters<typeof reconcile>[0], 'local' | 'directory'>,
) => reconcile({ policy: policy(), now: NOW, ...input });

describe('reconcile: the three-way merge table', () => {
  it('does nothing when local, directory and base agree', () => {
    const plan = run({
      local: manifest([localToken(v1)], machineBase([baseEntry(v1)])),
      directory: directoryState([directoryEntry(v1)]),
    });
    expect(isPlanEmpty(plan)).toBe(true);
    expect(plan.base?.entries).toEqual([baseEntry(v1)]);
  });

  it('uploads a local edit when the directory still holds the base', () => {
    const edited = { content: 'v2', at: T0 };
    const plan = run({
      local: manifest([localToken(edited)], machineBase([baseEntry(v1)])),
      directory: directoryState([directoryEntry(v1)]),
    });
    expect(plan.uploads).toEqual([
      { token: { ...localToken(edited), tombstone: false }, replaces: directoryEntry(v1), conflict: false },
    ]);
    expect(plan.conflicts).toEqual([]);
  });

  it('uploads a new local token the directory has never seen', () => {
    const plan = run({ local: manifest([localToken(v1)], machineBase([])), directory: directoryState([]) });
    expect(plan.uploads.map((upload) => upload.token.hash)).toEqual([hashOf('v1')]);
    expect(plan.uploads[0]?.replaces).toBeNull();
  });

  it('downloads a directory change when the local copy is still the base', () => {
    const newer = { content: 'v2', at: T0 };
    const plan = run({
      local: manifest([localToken(v1)], machineBase([baseEntry(v1)])),
      directory: directoryState([directoryEntry(newer)]),
    });
    expect(plan.downloads).toEqual([{ token: { ...localToken(newer), tombstone: false }, conflict: false }]);
    expect(plan.base?.entries).toEqual([baseEntry(newer)]);
  });

  it('writes a tombstone when the token was deleted here and the directory still holds the base', () => {
    const plan = run({
      local: manifest([], machineBase([baseEntry(v1)])),
      directory: directoryState([directoryEntry(v1)]),
    });
    expect(plan.tombstones).toHaveLength(1);
    expect(plan.tombstones[0]?.token).toMatchObject({
      tombstone: true,
      hash: hashOf('v1'),
      modifiedAt: NOW,
      size: 0,
    });
    expect(plan.tombstones[0]?.replaces).toEqual(directoryEntry(v1));
  });

  it('downloads an edit made elsewhere over an older local deletion, with a conflict event', () => {
    const newer = { content: 'v2', at: T0 };
    const plan = run({
      local: manifest([], machineBase([baseEntry(v1)])),
      directory: directoryState([directoryEntry(newer)]),
    });
    expect(plan.downloads.map((download) => download.conflict)).toEqual([true]);
    expect(plan.conflicts).toEqual([
      expect.objectContaining({ kind: 'edit-beats-delete', winner: 'directory', local: null }),
    ]);
    expect(plan.tombstones).toEqual([]);
  });

  it('does nothing and drops the base when both sides already lost the token', () => {
    const plan = run({ local: manifest([], machineBase([baseEntry(v1)])), directory: directoryState([]) });
    expect(isPlanEmpty(plan)).toBe(true);
    expect(plan.base?.entries).toEqual([]);
  });

  it('records a tombstone as the new base when the token is deleted on both sides', () => {
    const tombstone = { content: 'v1', at: T0, tombstone: true };
    const plan = run({
      local: manifest([], machineBase([baseEntry(v1)])),
      directory: directoryState([directoryEntry(tombstone)]),
    });
    expect(isPlanEmpty(plan)).toBe(true);
    expect(plan.base?.entries).toEqual([baseEntry(tombstone)]);
  });

  it('deletes locally when the directory holds a tombstone and the local copy is the base', () => {
    const plan = run({
      local: manifest([localToken(v1)], machineBase([baseEntry(v1)])),
      directory: directoryState([directoryEntry({ content: 'v1', at: T0, tombstone: true })]),
    });
    expect(plan.localDeletions).toEqual([{ type: 'certificate', id: CERT_ID, reason: 'deleted-elsewhere' }]);
  });

  it('deletes locally when the tombstone was already purged and the local copy is the base', () => {
    const plan = run({
      local: manifest([localToken(v1)], machineBase([baseEntry(v1)])),
      directory: directoryState([]),
    });
    expect(plan.localDeletions).toEqual([
      { type: 'certificate', id: CERT_ID, reason: 'deletion-already-purged' },
    ]);
    expect(plan.uploads).toEqual([]);
  });

  it('keeps an edit made after the last sync over a tombstone, with a conflict event', () => {
    const edited = { content: 'v2', at: T0 + 5 };
    const plan = run({
      local: manifest([localToken(edited)], machineBase([baseEntry(v1)])),
      directory: directoryState([directoryEntry({ content: 'v1', at: T0 + 10, tombstone: true })]),
    });
    expect(plan.uploads.map((upload) => upload.conflict)).toEqual([true]);
    expect(plan.conflicts[0]).toMatchObject({ kind: 'edit-beats-delete', winner: 'local' });
  });

  it('keeps an edit made after the last sync when the deletion was already purged', () => {
    const edited = { content: 'v2', at: T0 };
    const plan = run({
      local: manifest([localToken(edited)], machineBase([baseEntry(v1)])),
      directory: directoryState([]),
    });
    expect(plan.uploads).toHaveLength(1);
    expect(plan.conflicts[0]).toMatchObject({ kind: 'edit-beats-delete', winner: 'local' });
  });

  it('records the same change made on both sides as synced without moving content', () => {
    const same = { content: 'v2', at: T0 };
    const plan = run({
      local: manifest([localToken({ ...same, at: T0 + 7 })], machineBase([baseEntry(v1)])),
      directory: directoryState([directoryEntry(same)]),
    });
    expect(isPlanEmpty(plan)).toBe(true);
    expect(plan.base?.entries).toEqual([baseEntry(same)]);
  });

  it('resolves a true conflict in favour of the newer change', () => {
    const local = { content: 'mine', at: T0 + 2 };
    const remote = { content: 'theirs', at: T0 + 1 };
    const plan = run({
      local: manifest([localToken(local)], machineBase([baseEntry(v1)])),
      directory: directoryState([directoryEntry(remote)]),
    });
    expect(plan.uploads.map((upload) => upload.token.hash)).toEqual([hashOf('mine')]);
    expect(plan.conflicts[0]).toMatchObject({ kind: 'both-changed', winner: 'local' });
  });

  it('lets the directory win a true conflict when its change is newer', () => {
    const plan = run({
      local: manifest([localToken({ content: 'mine', at: T0 + 1 })], machineBase([baseEntry(v1)])),
      directory: directoryState([directoryEntry({ content: 'theirs', at: T0 + 2 })]),
    });
    expect(plan.downloads.map((download) => download.token.hash)).toEqual([hashOf('theirs')]);
    expect(plan.conflicts[0]).toMatchObject({ kind: 'both-changed', winner: 'directory' });
  });

  it('breaks an exact time tie by the higher hash, the same way on every machine', () => {
    const [low, high] = ['a', 'b'].map(hashOf).sort();
    const contentFor = (hash: string | undefined) => (hash === hashOf('a') ? 'a' : 'b');
    const plan = run({
      local: manifest([localToken({ content: contentFor(low), at: T0 })], machineBase([])),
      directory: directoryState([directoryEntry({ content: contentFor(high), at: T0 })]),
    });
    expect(plan.downloads.map((download) => download.token.hash)).toEqual([high]);
    const mirrored = run({
      local: manifest([localToken({ content: contentFor(high), at: T0 })], machineBase([])),
      directory: directoryState([directoryEntry({ content: contentFor(low), at: T0 })]),
    });
    expect(mirrored.uploads.map((upload) => upload.token.hash)).toEqual([high]);
  });

  it('treats a base-less local token with a live directory value of other content as a true conflict', () => {
    const plan = run({
      local: manifest([localToken({ content: 'mine', at: T0 + 5 })], machineBase([])),
      directory: directoryState([directoryEntry({ content: 'theirs', at: T0 })]),
    });
    expect(plan.uploads).toHaveLength(1);
    expect(plan.conflicts[0]).toMatchObject({ kind: 'both-changed', winner: 'local' });
  });

  it('deletes a base-less local token that a tombstone with the same content hash deleted', () => {
    const plan = run({
      local: manifest([localToken({ content: 'v1', at: T0 + 50 })], machineBase([])),
      directory: directoryState([directoryEntry({ content: 'v1', at: T0, tombstone: true })]),
    });
    expect(plan.localDeletions).toHaveLength(1);
  });

  it('deletes a base-less local token older than the tombstone and than the last sync here', () => {
    const plan = run({
      local: manifest([localToken({ content: 'other', at: T0 - DAY_MS })], machineBase([], T0)),
      directory: directoryState([directoryEntry({ content: 'v1', at: T0, tombstone: true })]),
    });
    expect(plan.localDeletions).toHaveLength(1);
  });

  it('lets a token made here since the last sync beat a deletion synced after it (as if it had synced first)', () => {
    // B made the token at T0 + 1, then A's deletion synced at T0 + 5: the outcome must not depend on who syncs first.
    const plan = run({
      local: manifest([localToken({ content: 'made on B', at: T0 + 1 })], machineBase([], T0)),
      directory: directoryState([directoryEntry({ content: 'v1', at: T0 + 5, tombstone: true })]),
    });
    expect(plan.uploads.map((upload) => upload.conflict)).toEqual([true]);
    expect(plan.conflicts.map((conflict) => conflict.kind)).toEqual(['edit-beats-delete']);
  });

  it('lets the order of the syncs decide between a deletion and an edit made on a machine that lost its state file', () => {
    // The known exception to order independence (merge-rules.ts), kept so that a change to it is a decision: B has
    // no base, so its edit looks like an old copy once A's deletion has synced; synced first, it beats the deletion.
    const shared = runHistory(newWorld({ enrolled: true }), [
      { kind: 'edit', machine: 0, key: 0, content: 0, skew: 0 },
      { kind: 'sync', machine: 0 },
      { kind: 'sync', machine: 1 },
      { kind: 'delete', machine: 0, key: 0 },
      { kind: 'edit', machine: 1, key: 0, content: 1, skew: 0 },
      { kind: 'lose-state', machine: 1 },
    ]);
    const after = (order: number[]) => {
      const world = { ...shared, machines: [...shared.machines], now: shared.now + 10 };
      for (const machine of order) simulateSync(world, machine);
      return directoryView(world.directory).map((entry) => entry.slice(entry.indexOf('=') + 1));
    };
    expect(after([0, 1])).toEqual([]);
    expect(after([1, 0])).toEqual([hashOf(CONTENTS[1]!)]);
  });

  it('uploads a base-less local token newer than the tombstone and of other content', () => {
    const plan = run({
      local: manifest([localToken({ content: 'other', at: T0 + 1 })], machineBase([])),
      directory: directoryState([directoryEntry({ content: 'v1', at: T0, tombstone: true })]),
    });
    expect(plan.uploads.map((upload) => upload.conflict)).toEqual([true]);
  });

  it('downloads a directory token this machine never had', () => {
    const plan = run({
      local: manifest([], machineBase([])),
      directory: directoryState([directoryEntry(v1)]),
    });
    expect(plan.downloads).toHaveLength(1);
    expect(plan.conflicts).toEqual([]);
  });

  it('downloads a token re-created elsewhere after a deletion this machine had synced', () => {
    const plan = run({
      local: manifest([], machineBase([baseEntry({ content: 'v1', at: T0 - 5, tombstone: true })])),
      directory: directoryState([directoryEntry({ content: 'v1', at: T0 })]),
    });
    expect(plan.downloads.map((download) => download.conflict)).toEqual([false]);
  });

  it('uploads a token re-created here after a deletion this machine had synced, without a conflict', () => {
    const tombstone = { content: 'v1', at: T0 - 5, tombstone: true };
    const plan = run({
      local: manifest([localToken({ content: 'v1', at: T0 })], machineBase([baseEntry(tombstone)])),
      directory: directoryState([directoryEntry(tombstone)]),
    });
    expect(plan.uploads.map((upload) => upload.conflict)).toEqual([false]);
    expect(plan.uploads[0]?.replaces).toEqual(directoryEntry(tombstone));
  });
});

describe('reconcile: time, tombstones and full resyncs', () => {
  it('purges tombstones older than the tombstone lifetime and raises the purge watermark', () => {
    const old = { content: 'v1', at: NOW - 61 * DAY_MS, tombstone: true };
    const recent = { id: certificateId('other'), content: 'v9', at: NOW - 59 * DAY_MS, tombstone: true };
    const plan = run({
      local: manifest([], machineBase([])),
      directory: directoryState([directoryEntry(old), directoryEntry(recent)]),
    });
    expect(plan.purges).toEqual([{ entry: directoryEntry(old), reason: 'expired-tombstone' }]);
    expect(plan.purgeWatermark).toBe(old.at);
    expect(plan.base?.entries).toEqual([baseEntry(recent)]);
  });

  it('clamps a future-dated local timestamp to the receive time plus the allowed skew', () => {
    const plan = run({
      local: manifest([localToken({ content: 'v1', at: NOW + 10 * DAY_MS })], machineBase([])),
      directory: directoryState([]),
    });
    expect(plan.uploads[0]?.token.modifiedAt).toBe(NOW + 300_000);
  });

  it('does not let a planted future-dated directory value beat a genuine recent edit', () => {
    const plan = run({
      local: manifest([localToken({ content: 'mine', at: NOW })], machineBase([baseEntry(v1)])),
      directory: directoryState([directoryEntry({ content: 'planted', at: NOW + 365 * DAY_MS })]),
      policy: policy({ clockSkewSeconds: 0 }),
    });
    // Both clamp to NOW at worst; the tie then goes by hash, never by the planted date.
    expect(plan.conflicts[0]?.kind).toBe('both-changed');
    const winnerHash = [hashOf('mine'), hashOf('planted')].sort()[1];
    const uploaded = plan.uploads.map((upload) => upload.token.hash);
    const downloaded = plan.downloads.map((download) => download.token.hash);
    expect([...uploaded, ...downloaded]).toEqual([winnerHash]);
  });

  it('runs a full resync without a base and never re-uploads a token older than a purged deletion', () => {
    const plan = run({
      local: manifest(
        [
          localToken({ content: 'resurrected', at: T0 - 100 }),
          localToken({ id: certificateId('new'), content: 'new', at: T0 + 1 }),
        ],
        null,
      ),
      directory: directoryState([], T0 - 50),
    });
    expect(plan.fullResync).toBe('no-base');
    expect(plan.uploads.map((upload) => upload.token.hash)).toEqual([hashOf('new')]);
    expect(plan.rejections).toEqual([
      expect.objectContaining({ code: 'POSSIBLY_PURGED_DELETION', side: 'local' }),
    ]);
  });

  it('holds back a token it has no record of and older than a purged deletion even over another version in the directory', () => {
    // The other version was put there after the purge (re-created by a machine that saw the deletion); it says
    // nothing about this copy, which may be the deleted token itself. Newer by time or not, it is not uploaded.
    const plan = run({
      local: manifest([localToken({ content: 'held', at: T0 - 40 })], null),
      directory: directoryState([directoryEntry({ content: 're-created', at: T0 - 45 })], T0 - 40),
    });
    expect(plan.uploads).toEqual([]);
    expect(plan.downloads).toEqual([]);
    expect(plan.conflicts).toEqual([]);
    expect(plan.rejections).toEqual([
      expect.objectContaining({ code: 'POSSIBLY_PURGED_DELETION', side: 'local' }),
    ]);
    expect(plan.rejections[0]?.message).toContain("the directory's other version was not downloaded over it");
  });

  it('downloads a newer directory version over a token it holds back as a possibly purged deletion', () => {
    const plan = run({
      local: manifest([localToken({ content: 'held', at: T0 - 40 })], null),
      directory: directoryState([directoryEntry({ content: 're-created', at: T0 - 35 })], T0 - 40),
    });
    expect(plan.downloads.map((download) => download.token.hash)).toEqual([hashOf('re-created')]);
    expect(plan.conflicts).toEqual([expect.objectContaining({ kind: 'both-changed', winner: 'directory' })]);
    expect(plan.rejections).toEqual([]);
  });

  it('treats a base recorded against another incarnation of the directory entry as no base', () => {
    const plan = run({
      local: manifest([localToken(v1)], machineBase([baseEntry(v1)], T0, T0 - 999_999)),
      directory: directoryState([]),
    });
    expect(plan.fullResync).toBe('directory-reset');
    expect(plan.localDeletions).toEqual([]);
    expect(plan.uploads).toHaveLength(1);
  });

  it('flags a base older than the tombstone lifetime but still honours its per-key records', () => {
    const plan = run({
      local: manifest([localToken(v1)], machineBase([baseEntry(v1)], NOW - 90 * DAY_MS)),
      directory: directoryState([], T0 - 50),
    });
    expect(plan.fullResync).toBe('stale-base');
    expect(plan.localDeletions).toHaveLength(1);
    expect(plan.uploads).toEqual([]);
  });
});

describe('reconcile: policy and limits', () => {
  it('blocks the whole sync with TOKEN_LIMIT_EXCEEDED before any write when the count would pass maxTokens', () => {
    const tokens = ['a', 'b', 'c'].map((name) =>
      localToken({ id: certificateId(name), content: name, at: T0 }),
    );
    const plan = run({
      local: manifest(tokens, machineBase([])),
      directory: directoryState([]),
      policy: policy({ maxTokens: 2 }),
    });
    expect(plan.blocked?.code).toBe('TOKEN_LIMIT_EXCEEDED');
    expect(isPlanEmpty(plan)).toBe(true);
    expect(plan.base).toBeNull();
  });

  it('blocks the whole sync with TOTAL_SIZE_EXCEEDED when the live tokens would pass maxTotalBytes', () => {
    const tokens = ['a', 'b'].map((name) =>
      localToken({ id: certificateId(name), content: name, at: T0, size: 60_000 }),
    );
    const plan = run({
      local: manifest(tokens, machineBase([])),
      directory: directoryState([]),
      policy: policy({ maxTotalBytes: 100_000 }),
    });
    expect(plan.blocked?.code).toBe('TOTAL_SIZE_EXCEEDED');
    expect(plan.uploads).toEqual([]);
  });

  it('holds back a token over maxTokenBytes with TOKEN_SIZE_EXCEEDED and roams the rest', () => {
    const big = localToken({ id: certificateId('big'), content: 'big', at: T0, size: 70_000 });
    const small = localToken({ id: certificateId('small'), content: 'small', at: T0 });
    const plan = run({ local: manifest([big, small], machineBase([])), directory: directoryState([]) });
    expect(plan.uploads.map((upload) => upload.token.id)).toEqual([small.id]);
    expect(plan.rejections).toEqual([
      expect.objectContaining({ code: 'TOKEN_SIZE_EXCEEDED', displayId: JSON.stringify(big.id) }),
    ]);
  });

  it('roams nothing and says why when roaming is disabled', () => {
    const plan = run({
      local: manifest([localToken(v1)], null),
      directory: directoryState([]),
      policy: policy({ enabled: false }),
    });
    expect(plan.blocked?.code).toBe('ROAMING_DISABLED');
    expect(isPlanEmpty(plan)).toBe(true);
  });

  it('keeps stored credentials local unless policy enables them', () => {
    const credential = localToken({ type: 'stored-credential', id: 'TERMSRV/host', content: 'pw', at: T0 });
    const off = run({ local: manifest([credential], machineBase([])), directory: directoryState([]) });
    expect(off.uploads).toEqual([]);
    expect(off.rejections[0]?.code).toBe('POLICY_FILTERED');
    const on = run({
      local: manifest([credential], machineBase([])),
      directory: directoryState([]),
      policy: policy({ roamStoredCredentials: true }),
    });
    expect(on.uploads).toHaveLength(1);
  });

  it('roams a private key only with the roamed certificate that uses it', () => {
    const certificate = localToken({ content: 'cert', at: T0 });
    const paired = localToken({
      type: 'private-key',
      id: 'paired-key',
      content: 'k1',
      at: T0,
      linkedCertificate: CERT_ID,
    });
    const loose = localToken({ type: 'private-key', id: 'loose-key', content: 'k2', at: T0 });
    const plan = run({
      local: manifest([certificate, paired, loose], machineBase([])),
      directory: directoryState([]),
    });
    expect(plan.uploads.map((upload) => upload.token.id).sort()).toEqual([CERT_ID, 'paired-key']);
    expect(plan.rejections).toEqual([
      expect.objectContaining({ code: 'POLICY_FILTERED', displayId: '"loose-key"' }),
    ]);
  });

  it('never roams smart-card backed keys and roams smart-card certificates only when policy allows', () => {
    const card = {
      ...localToken({ content: 'card', at: T0 }),
      flags: { archived: false, encryptionKey: false, smartCard: true },
    };
    const off = run({ local: manifest([card], machineBase([])), directory: directoryState([]) });
    expect(off.uploads).toEqual([]);
    const on = run({
      local: manifest([card], machineBase([])),
      directory: directoryState([]),
      policy: policy({ roamSmartCardCertificates: true }),
    });
    expect(on.uploads).toHaveLength(1);
  });

  it('reports an unsafe directory identifier and still syncs everything else', () => {
    const directory = directoryState([directoryEntry(v1)]);
    directory.reported.push({
      ref: 'planted',
      origin: 'foreign',
      reason: 'unsafe-identifier',
      tokenType: 'private-key',
      displayId: '"..\\\\..\\\\evil.bat"',
      modifiedAt: NOW,
    });
    const plan = run({ local: manifest([], machineBase([])), directory });
    expect(plan.downloads).toHaveLength(1);
    expect(plan.rejections).toEqual([
      expect.objectContaining({ code: 'UNSAFE_IDENTIFIER', side: 'directory' }),
    ]);
    expect(plan.reported).toHaveLength(1);
  });

  it('keeps one of two duplicate values for a key and removes the other', () => {
    const older = directoryEntry({ content: 'old', at: T0 });
    const newer = directoryEntry({ content: 'new', at: T0 + 1 });
    const plan = run({ local: manifest([], machineBase([])), directory: directoryState([older, newer]) });
    expect(plan.purges).toEqual([{ entry: older, reason: 'duplicate' }]);
    expect(plan.downloads.map((download) => download.token.hash)).toEqual([hashOf('new')]);
  });
});

describe('reconcile: applying a plan', () => {
  it('reaches an empty plan on the next sync after applying the plan on both sides', () => {
    const local = manifest([localToken({ content: 'v2', at: T0 })], machineBase([baseEntry(v1)]));
    const directory = directoryState([
      directoryEntry(v1),
      directoryEntry({ id: certificateId('x'), content: 'x', at: T0 }),
    ]);
    const plan = run({ local, directory });
    const next = run({
      local: applyPlanToLocal(local, plan),
      directory: applyPlanToDirectory(directory, plan, NOW),
    });
    expect(isPlanEmpty(next)).toBe(true);
  });
});
