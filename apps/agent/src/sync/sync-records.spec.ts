import { describeUntrusted, type TokenMeta } from '@credroam/roaming';
import { type TokenRecords } from '../store/token-records.file';
import { NOW, syncResponse } from '../testing/agent-fixtures';
import { recordSync } from './sync-records';

const hash = (c: string) => c.repeat(64);
const token = (id: string, h = hash('a')): Pick<TokenMeta, 'type' | 'id' | 'hash'> => ({
  type: 'stored-credential',
  id,
  hash: h,
});
const entry = (id: string, h = hash('a'), tombstone = false) => ({
  type: 'stored-credential' as const,
  id,
  hash: h,
  modifiedAt: NOW - 10,
  tombstone,
});

const response = syncResponse;

const base = (...entries: ReturnType<typeof entry>[]) => ({
  directoryCreatedAt: NOW - 5000,
  syncedAt: NOW,
  entries,
});

describe('recordSync', () => {
  it('marks tokens in the new base with their current content as synced now, and keeps their origin', () => {
    const previous: TokenRecords = {
      'stored-credential:mine': { origin: 'imported-here', lastSyncedAt: NOW - 999, issue: null },
      'stored-credential:stale': { origin: 'imported-here', lastSyncedAt: NOW - 999, issue: null },
    };
    const next = recordSync({
      previous,
      // "stale" changed locally while the base still holds its old content: it did not sync now.
      response: response({ base: base(entry('mine'), entry('stale', hash('b'))) }),
      present: [token('mine'), token('stale'), token('old')],
      now: NOW,
    });
    expect(next).toEqual({
      'stored-credential:mine': { origin: 'imported-here', lastSyncedAt: NOW, issue: null },
      'stored-credential:stale': { origin: 'imported-here', lastSyncedAt: NOW - 999, issue: null },
      'stored-credential:old': { origin: null, lastSyncedAt: null, issue: null },
    });
  });

  it('records downloads as roamed and a conflict with who won, then keeps the conflict as history', () => {
    const meta: TokenMeta = {
      type: 'stored-credential',
      id: 'vpn',
      hash: hash('a'),
      modifiedAt: NOW - 10,
      size: 3,
      flags: { archived: false, encryptionKey: false, smartCard: false },
    };
    const first = recordSync({
      previous: {
        'stored-credential:vpn': { origin: 'imported-here', lastSyncedAt: NOW - 999, issue: null },
      },
      response: response({
        downloads: [{ token: meta, envelope: 'AA==' }],
        conflicts: [
          {
            type: 'stored-credential',
            id: 'vpn',
            kind: 'both-changed',
            winner: 'directory',
            local: null,
            directory: null,
          },
        ],
        base: base(entry('vpn')),
      }),
      present: [token('vpn')],
      now: NOW,
    });
    const conflicted = {
      origin: 'roamed',
      lastSyncedAt: NOW,
      issue: { kind: 'conflict', at: NOW, conflict: 'both-changed', winner: 'directory' },
    };
    expect(first).toEqual({ 'stored-credential:vpn': conflicted });
    const quiet = recordSync({
      previous: first,
      response: response({ base: base(entry('vpn')) }),
      present: [token('vpn')],
      now: NOW + 60_000,
    });
    expect(quiet).toEqual({ 'stored-credential:vpn': { ...conflicted, lastSyncedAt: NOW + 60_000 } });
  });

  it('records a rejection by its quoted display id, keeps the last sync time, and clears it once synced', () => {
    const rejection = {
      tokenType: 'stored-credential' as const,
      displayId: describeUntrusted('held'),
      side: 'local' as const,
      code: 'POSSIBLY_PURGED_DELETION' as const,
      message: 'it was not uploaded',
    };
    const held = recordSync({
      previous: {
        'stored-credential:held': { origin: 'imported-here', lastSyncedAt: NOW - 999, issue: null },
      },
      response: response({ rejections: [rejection, { ...rejection, tokenType: null, displayId: '"x"' }] }),
      present: [token('held')],
      now: NOW,
    });
    expect(held).toEqual({
      'stored-credential:held': {
        origin: 'imported-here',
        lastSyncedAt: NOW - 999,
        issue: {
          kind: 'rejection',
          at: NOW,
          side: 'local',
          code: 'POSSIBLY_PURGED_DELETION',
          message: 'it was not uploaded',
        },
      },
    });
    const cleared = recordSync({
      previous: held,
      response: response({ base: base(entry('held')) }),
      present: [token('held')],
      now: NOW + 1,
    });
    expect(cleared).toEqual({
      'stored-credential:held': { origin: 'imported-here', lastSyncedAt: NOW + 1, issue: null },
    });
  });
});
