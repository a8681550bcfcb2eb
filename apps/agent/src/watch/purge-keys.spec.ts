import { POLICY_DEFAULTS, reconcile, tokenKeyString, type TokenMeta } from '@credroam/roaming';
import { agentFixture, NOW, type AgentFixture } from '../testing/agent-fixtures';
import { purgeRoamedKeys } from './purge-keys';

describe('purgeRoamedKeys', () => {
  let fixture: AgentFixture;
  beforeEach(() => {
    fixture = agentFixture();
  });
  afterEach(() => fixture.dispose());

  const entry = (meta: TokenMeta, hash = meta.hash) => ({
    type: meta.type,
    id: meta.id,
    hash,
    modifiedAt: meta.modifiedAt,
    tombstone: false,
  });

  function storeWithBase() {
    const roamed = fixture.token('private-key', 'roamed', Buffer.from('key one'));
    const edited = fixture.token('private-key', 'edited', Buffer.from('key two, edited here'));
    const fresh = fixture.token('private-key', 'fresh', Buffer.from('key three, never synced'));
    const certificate = fixture.token('certificate', 'A'.repeat(40), Buffer.from('certificate'));
    for (const token of [roamed, edited, fresh, certificate]) fixture.store.tokens.put(token);
    const editedBefore = fixture.token('private-key', 'edited', Buffer.from('key two'));
    fixture.store.state.write({
      format: 1,
      machine: 'ws-a',
      base: {
        directoryCreatedAt: NOW - 10_000,
        syncedAt: NOW - 500,
        entries: [entry(roamed.meta), entry(edited.meta, editedBefore.meta.hash), entry(certificate.meta)],
      },
      lastStamp: null,
      lastSync: null,
    });
    return { roamed, edited, editedBefore, fresh, certificate };
  }

  it('removes only private keys the directory already has, with their base entries', () => {
    const { roamed, certificate } = storeWithBase();
    const result = purgeRoamedKeys(fixture.store, 'ws-a');
    expect(result.purged).toEqual([{ type: 'private-key', id: 'roamed' }]);
    expect(result.kept.map((key) => key.id).sort()).toEqual(['edited', 'fresh']);
    expect(fixture.store.tokens.get(roamed.meta)).toBeNull();
    expect(fixture.store.tokens.get(certificate.meta)).not.toBeNull();
    const base = fixture.store.state.read().state!.base!;
    expect(base.entries.map((e) => e.id).sort()).toEqual(['A'.repeat(40), 'edited']);
  });

  it('leaves a state the next sync answers with a download of the key, never a deletion everywhere', () => {
    const { roamed, editedBefore, certificate } = storeWithBase();
    purgeRoamedKeys(fixture.store, 'ws-a');
    const directory = [roamed.meta, editedBefore.meta, certificate.meta].map((meta, index) => ({
      ...meta,
      tombstone: false,
      ref: `ref-${index}`,
    }));
    const plan = reconcile({
      local: {
        tokens: fixture.store.tokens.list().tokens.map((token) => token.meta),
        base: fixture.store.state.read().state!.base,
      },
      directory: {
        createdAt: NOW - 10_000,
        modifiedAt: NOW - 600,
        entries: directory,
        reported: [],
        purgeWatermark: 0,
      },
      policy: { ...POLICY_DEFAULTS, roamUnaffiliatedKeys: true },
      now: NOW,
    });
    expect(plan.tombstones).toEqual([]);
    expect(plan.downloads.map((download) => tokenKeyString(download.token))).toContain(
      tokenKeyString(roamed.meta),
    );
  });

  it('purges nothing without a usable state file', () => {
    fixture.store.tokens.put(fixture.token('private-key', 'roamed', Buffer.from('key one')));
    expect(purgeRoamedKeys(fixture.store, 'ws-a')).toEqual({
      purged: [],
      kept: [{ type: 'private-key', id: 'roamed' }],
    });
  });
});
