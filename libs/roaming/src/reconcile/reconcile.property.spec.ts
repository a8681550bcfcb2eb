import fc from 'fast-check';
import { tokenKeyString } from '../tokens/token-key';
import { isPlanEmpty } from './apply-plan';
import { reconcile } from './reconcile';
import {
  directoryView,
  historyArb,
  KEYS,
  localView,
  MACHINES,
  newWorld,
  run,
  sync,
  type SyncObservation,
} from './testing/simulation';

const RUNS = { numRuns: Number(process.env.PROPERTY_RUNS ?? 1000) };
const machineOrder = fc
  .array(fc.integer({ min: 0, max: MACHINES - 1 }), { minLength: MACHINES, maxLength: MACHINES })
  .map((order) => [...new Set([...order, ...Array.from({ length: MACHINES }, (_, i) => i)])]);

/** Newer wins; an exact tie goes to the higher hash: the order every conflict is decided by. */
const isNewer = (a: { modifiedAt: number; hash: string }, b: { modifiedAt: number; hash: string }) =>
  a.modifiedAt > b.modifiedAt || (a.modifiedAt === b.modifiedAt && a.hash > b.hash);

describe('reconcile: properties over random multi-machine histories', () => {
  it('is deterministic: the same state gives the same plan, whatever order the lists arrive in', () => {
    fc.assert(
      fc.property(
        historyArb({ loseState: true }),
        fc.integer({ min: 0, max: MACHINES - 1 }),
        fc.boolean(),
        (history, machine, reverse) => {
          const world = run(newWorld(), history);
          const local = world.machines[machine]!;
          const input = { local, directory: world.directory, policy: world.policy, now: world.now };
          const first = reconcile(input);
          const shuffled = reconcile({
            ...input,
            local: { ...local, tokens: reverse ? [...local.tokens].reverse() : local.tokens },
            directory: { ...world.directory, entries: [...world.directory.entries].reverse() },
          });
          expect(shuffled).toEqual(first);
          expect(reconcile(input)).toEqual(first);
        },
      ),
      RUNS,
    );
  });

  it('is idempotent: after a plan is applied, syncing again at once plans nothing', () => {
    fc.assert(
      fc.property(
        historyArb({ loseState: true }),
        fc.integer({ min: 0, max: MACHINES - 1 }),
        (history, machine) => {
          const world = run(newWorld(), history);
          sync(world, machine);
          const again = sync(world, machine);
          expect(isPlanEmpty(again)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('converges: machines syncing in any order end with identical token sets equal to the directory', () => {
    fc.assert(
      fc.property(historyArb(), machineOrder, machineOrder, (history, firstRound, secondRound) => {
        const world = run(newWorld({ enrolled: true }), history);
        for (const machine of [...firstRound, ...secondRound]) sync(world, machine);
        const expected = directoryView(world.directory);
        for (const manifest of world.machines) expect(localView(manifest)).toEqual(expected);
        for (let machine = 0; machine < MACHINES; machine++)
          expect(isPlanEmpty(sync(world, machine))).toBe(true);
      }),
      RUNS,
    );
  });

  it('does not depend on sync order: machines in step that edit and delete, then sync, leave one directory', () => {
    // Changes made after every version they compete with (as real edits are, clocks within the allowed skew),
    // each edit with content of its own. (The same content made independently on two machines at different times
    // keeps the time of whichever synced first: not covered here.)
    const change = fc.oneof(
      fc.record({
        kind: fc.constant('edit' as const),
        machine: fc.integer({ min: 0, max: MACHINES - 1 }),
        key: fc.integer({ min: 0, max: KEYS.length - 1 }),
        content: fc.constant(0),
        skew: fc.constant(0),
      }),
      fc.record({
        kind: fc.constant('delete' as const),
        machine: fc.integer({ min: 0, max: MACHINES - 1 }),
        key: fc.integer({ min: 0, max: KEYS.length - 1 }),
      }),
    );
    fc.assert(
      fc.property(
        historyArb(),
        fc.array(change, { minLength: 1, maxLength: 8 }),
        machineOrder,
        machineOrder,
        (history, changes, firstOrder, secondOrder) => {
          const world = run(newWorld({ enrolled: true }), history);
          for (let round = 0; round < 2; round++) for (let m = 0; m < MACHINES; m++) sync(world, m);
          const fresh = changes.map((change, index) =>
            change.kind === 'edit' ? { ...change, content: 4 + index } : change,
          );
          run(world, [{ kind: 'advance', ms: 5_000 }, ...fresh]);
          const directoryAfter = (order: number[]) => {
            const copy = structuredClone(world);
            for (const machine of order) sync(copy, machine);
            return directoryView(copy.directory);
          };
          expect(directoryAfter(secondOrder)).toEqual(directoryAfter(firstOrder));
        },
      ),
      RUNS,
    );
  });

  it('converges after first uses and lost state files, except for tokens it holds back and reports', () => {
    fc.assert(
      fc.property(
        historyArb({ loseState: true }),
        machineOrder,
        machineOrder,
        (history, firstRound, secondRound) => {
          const world = run(newWorld(), history);
          for (const machine of [...firstRound, ...secondRound]) sync(world, machine);
          const expected = directoryView(world.directory);
          for (let machine = 0; machine < MACHINES; machine++) {
            const plan = sync(world, machine);
            expect(isPlanEmpty(plan)).toBe(true);
            const held = new Set(
              plan.rejections
                .filter((rejection) => rejection.code === 'POSSIBLY_PURGED_DELETION')
                .map((rejection) => `${rejection.tokenType}:${JSON.parse(rejection.displayId) as string}`),
            );
            const view = localView(world.machines[machine]!).filter(
              (token) => !held.has(token.split('=')[0]!),
            );
            expect(view).toEqual(expected);
          }
        },
      ),
      RUNS,
    );
  });

  it('never loses an update: a change made since the last sync only yields to a newer one', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        const observations: SyncObservation[] = [];
        run(newWorld({ enrolled: true }), history, (observation) => observations.push(observation));
        for (const { before, directoryBefore, plan } of observations) {
          const base = new Map((before.base?.entries ?? []).map((entry) => [tokenKeyString(entry), entry]));
          const stored = new Map(directoryBefore.entries.map((entry) => [tokenKeyString(entry), entry]));
          for (const local of before.tokens) {
            const name = tokenKeyString(local);
            const seen = base.get(name);
            const changedHere = !seen || seen.tombstone || seen.hash !== local.hash;
            if (!changedHere) continue;
            const download = plan.downloads.find((candidate) => tokenKeyString(candidate.token) === name);
            if (download) expect(isNewer(download.token, local)).toBe(true);
            const deleted = plan.localDeletions.some((deletion) => tokenKeyString(deletion) === name);
            if (deleted) {
              const tombstone = stored.get(name);
              expect(seen).toBeUndefined();
              expect(tombstone?.tombstone).toBe(true);
              expect(tombstone!.hash === local.hash || local.modifiedAt <= tombstone!.modifiedAt).toBe(true);
            }
          }
          // And in the other direction: an upload only replaces a change it has not seen when it is newer.
          for (const upload of plan.uploads) {
            const replaced = upload.replaces;
            const seen = base.get(tokenKeyString(upload.token));
            const unseenChange =
              replaced && !replaced.tombstone && (!seen || seen.hash !== replaced.hash || seen.tombstone);
            if (unseenChange) expect(isNewer(upload.token, replaced)).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });

  it('never resurrects a purged deletion when a machine lost its state file', () => {
    fc.assert(
      fc.property(historyArb({ loseState: true }), (history) => {
        const observations: SyncObservation[] = [];
        run(newWorld(), history, (observation) => observations.push(observation));
        for (const { before, directoryBefore, plan } of observations) {
          if (plan.fullResync !== 'no-base') continue;
          for (const upload of plan.uploads) {
            if (upload.replaces) continue;
            expect(upload.token.modifiedAt).toBeGreaterThan(directoryBefore.purgeWatermark);
          }
          expect(before.base).toBeNull();
        }
      }),
      RUNS,
    );
  });
});
