import fc from 'fast-check';
import { tokenKeyString } from '../../tokens/token-key';
import { type Policy } from '../../policy/policy';
import { applyPlanToDirectory, applyPlanToLocal } from '../apply-plan';
import { type DirectoryState, type LocalManifest, type SyncPlan } from '../model';
import { DAY_MS, reconcile } from '../reconcile';
import { certificateId, hashOf, policy as buildPolicy, T0 } from './builders';

/**
 * A small world for property tests: a few machines of one user, one directory, a shared clock, and random
 * edits, deletions, syncs, clock jumps and lost state files. Keys and contents come from tiny pools so that
 * collisions, equal contents and conflicts are frequent.
 */
export const KEYS = [
  { type: 'certificate' as const, id: certificateId('one') },
  { type: 'certificate' as const, id: certificateId('two') },
  { type: 'master-key' as const, id: '7fc19508-7b85-4a7c-9e5d-15f9e00e7ce5' },
];
/** Histories draw from the first four contents (so equal contents are frequent); the rest are for fresh edits. */
export const CONTENTS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'];
const HISTORY_CONTENTS = 4;

export type Command =
  | { kind: 'edit'; machine: number; key: number; content: number; skew: number }
  | { kind: 'delete'; machine: number; key: number }
  | { kind: 'sync'; machine: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'lose-state'; machine: number };

export const MACHINES = 3;

const machineArb = fc.integer({ min: 0, max: MACHINES - 1 });

export function commandArb(options: { loseState: boolean }): fc.Arbitrary<Command> {
  const keyArb = fc.integer({ min: 0, max: KEYS.length - 1 });
  const edit = fc.record({
    kind: fc.constant('edit' as const),
    machine: machineArb,
    key: keyArb,
    content: fc.integer({ min: 0, max: HISTORY_CONTENTS - 1 }),
    // Workstation clocks drift a little; the clamp only bites beyond the allowed skew.
    skew: fc.integer({ min: -2000, max: 2000 }),
  });
  const remove = fc.record({ kind: fc.constant('delete' as const), machine: machineArb, key: keyArb });
  const syncOnce = fc.record({ kind: fc.constant('sync' as const), machine: machineArb });
  const tick = fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 5 }) });
  // Long enough jumps to expire tombstones (the test policy keeps them one day).
  const jump = fc.record({
    kind: fc.constant('advance' as const),
    ms: fc.integer({ min: DAY_MS / 2, max: 3 * DAY_MS }),
  });
  const loseState = fc.record({ kind: fc.constant('lose-state' as const), machine: machineArb });
  return fc.oneof(
    { arbitrary: edit, weight: 6 },
    { arbitrary: remove, weight: 3 },
    { arbitrary: syncOnce, weight: 8 },
    { arbitrary: tick, weight: 3 },
    { arbitrary: jump, weight: 1 },
    { arbitrary: loseState, weight: options.loseState ? 1 : 0 },
  );
}

export const historyArb = (options = { loseState: false }) =>
  fc.array(commandArb(options), { minLength: 10, maxLength: 60, size: 'max' });

export interface World {
  now: number;
  directory: DirectoryState;
  machines: LocalManifest[];
  policy: Policy;
}

export interface SyncObservation {
  machine: number;
  before: LocalManifest;
  directoryBefore: DirectoryState;
  plan: SyncPlan;
  now: number;
  policy: Policy;
}

/**
 * `enrolled`: every machine already synced once against the empty directory, so none is on its first use
 * (where a token older than a purged deletion is ambiguous and held back by design).
 */
export function newWorld({
  enrolled = false,
  policy = buildPolicy({ tombstoneDays: 1 }),
  machines = MACHINES,
} = {}): World {
  const base = enrolled ? { directoryCreatedAt: null, syncedAt: T0 - 1, entries: [] } : null;
  return {
    now: T0,
    directory: { createdAt: null, modifiedAt: null, entries: [], reported: [], purgeWatermark: 0 },
    machines: Array.from({ length: machines }, () => ({ tokens: [], base })),
    policy,
  };
}

export function sync(
  world: World,
  machine: number,
  observe?: (observation: SyncObservation) => void,
): SyncPlan {
  const before = world.machines[machine] as LocalManifest;
  const plan = reconcile({ local: before, directory: world.directory, policy: world.policy, now: world.now });
  observe?.({
    machine,
    before,
    directoryBefore: world.directory,
    plan,
    now: world.now,
    policy: world.policy,
  });
  world.directory = applyPlanToDirectory(world.directory, plan, world.now);
  world.machines[machine] = applyPlanToLocal(before, plan, world.directory.createdAt);
  return plan;
}

export function run(
  world: World,
  commands: readonly Command[],
  observe?: (observation: SyncObservation) => void,
): World {
  for (const command of commands) {
    // Every step takes at least a millisecond, as real edits do.
    world.now += 1;
    applyCommand(world, command, observe);
  }
  return world;
}

/** One step of a history, at the world's current time (the exhaustive checker moves the clock on its own). */
export function applyCommand(
  world: World,
  command: Command,
  observe?: (observation: SyncObservation) => void,
): void {
  switch (command.kind) {
    case 'edit': {
      const key = KEYS[command.key] as (typeof KEYS)[number];
      const local = world.machines[command.machine] as LocalManifest;
      const token = {
        ...key,
        hash: hashOf(CONTENTS[command.content] as string),
        modifiedAt: world.now + command.skew,
        size: 100,
        flags: { archived: false, encryptionKey: false, smartCard: false },
      };
      const others = local.tokens.filter((existing) => tokenKeyString(existing) !== tokenKeyString(key));
      world.machines[command.machine] = { ...local, tokens: [...others, token] };
      return;
    }
    case 'delete': {
      const key = KEYS[command.key] as (typeof KEYS)[number];
      const local = world.machines[command.machine] as LocalManifest;
      world.machines[command.machine] = {
        ...local,
        tokens: local.tokens.filter((existing) => tokenKeyString(existing) !== tokenKeyString(key)),
      };
      return;
    }
    case 'sync':
      sync(world, command.machine, observe);
      return;
    case 'advance':
      world.now += command.ms;
      return;
    case 'lose-state': {
      const local = world.machines[command.machine] as LocalManifest;
      world.machines[command.machine] = { ...local, base: null };
      return;
    }
  }
}

/** What a machine holds, as comparable text: key and content hash of every live token. */
export function localView(manifest: LocalManifest): string[] {
  return manifest.tokens.map((token) => `${tokenKeyString(token)}=${token.hash}`).sort();
}

export function directoryView(directory: DirectoryState): string[] {
  return directory.entries
    .filter((entry) => !entry.tombstone)
    .map((entry) => `${tokenKeyString(entry)}=${entry.hash}`)
    .sort();
}
