import { isDeepStrictEqual } from 'node:util';
import { tokenKeyString } from '../../tokens/token-key';
import { isPlanEmpty } from '../apply-plan';
import { type LocalManifest, type SyncPlan } from '../model';
import { reconcile } from '../reconcile';
import { directoryView, localView, sync, type SyncObservation, type World } from './simulation';

/**
 * The merge-rule properties (DESIGN.md section 5) as plain checks over the simulation, shared by the random
 * property suite and the exhaustive checker so that both hold the rules to the same statement. Each check returns
 * what went wrong, in words, or null.
 */

type Stamped = { modifiedAt: number; hash: string };

/** Plans are applied without mutation, so a world is copied by copying its list of machines. */
export function copyWorld(world: World): World {
  return { ...world, machines: [...world.machines] };
}

/**
 * Newer as the server decides it: future-dated times count as the receive time plus the allowed skew (the clamp
 * of DESIGN.md section 5), and an exact tie goes to the higher hash.
 */
function newerAsSeen(a: Stamped, b: Stamped, latestAllowed: number): boolean {
  const at = Math.min(a.modifiedAt, latestAllowed);
  const bt = Math.min(b.modifiedAt, latestAllowed);
  return at > bt || (at === bt && a.hash > b.hash);
}

function describePlan(plan: SyncPlan): string {
  const keys = (items: readonly { type: string; id: string }[]) =>
    items.map((item) => tokenKeyString({ type: item.type as never, id: item.id }));
  return JSON.stringify({
    uploads: keys(plan.uploads.map((upload) => upload.token)),
    downloads: keys(plan.downloads.map((download) => download.token)),
    localDeletions: keys(plan.localDeletions),
    tombstones: keys(plan.tombstones.map((tombstone) => tombstone.token)),
    purges: keys(plan.purges.map((purge) => purge.entry)),
    conflicts: keys(plan.conflicts),
  });
}

/**
 * Deterministic: the same state gives the same plan, twice and whatever order the lists arrive in. `plan`: the
 * plan this state already gave, when there is one (that is the first of the two).
 */
export function determinismViolation(world: World, machine: number, plan?: SyncPlan): string | null {
  const local = world.machines[machine] as LocalManifest;
  const input = { local, directory: world.directory, policy: world.policy, now: world.now };
  // Reversing lists of fewer than two items gives the same input: nothing to compare then.
  if (plan && local.tokens.length < 2 && world.directory.entries.length < 2) return null;
  const first = plan ?? reconcile(input);
  const reordered = reconcile({
    ...input,
    local: { ...local, tokens: [...local.tokens].reverse() },
    directory: { ...world.directory, entries: [...world.directory.entries].reverse() },
  });
  if (!isDeepStrictEqual(reordered, first))
    return `machine ${machine}: the plan depends on the order of the lists`;
  if (!plan && !isDeepStrictEqual(reconcile(input), first)) {
    return `machine ${machine}: the same input gave another plan`;
  }
  return null;
}

/** Idempotent: once a plan is applied, syncing again at once plans nothing. `synced` is the world after the sync. */
export function idempotenceViolation(synced: World, machine: number): string | null {
  const again = reconcile({
    local: synced.machines[machine] as LocalManifest,
    directory: synced.directory,
    policy: synced.policy,
    now: synced.now,
  });
  return isPlanEmpty(again)
    ? null
    : `machine ${machine}: syncing again at once still plans ${describePlan(again)}`;
}

/**
 * No lost update: a change made here since the last sync is only overwritten or deleted by a newer version, and an
 * upload only replaces a change this machine has not seen when it is newer.
 */
export function lostUpdateViolations({
  machine,
  before,
  directoryBefore,
  plan,
  now,
  policy,
}: SyncObservation) {
  const violations: string[] = [];
  if (plan.downloads.length + plan.localDeletions.length + plan.uploads.length === 0) return violations;
  const latestAllowed = now + policy.clockSkewSeconds * 1000;
  const base = new Map((before.base?.entries ?? []).map((entry) => [tokenKeyString(entry), entry]));
  const stored = new Map(directoryBefore.entries.map((entry) => [tokenKeyString(entry), entry]));
  for (const local of before.tokens) {
    const name = tokenKeyString(local);
    const seen = base.get(name);
    const changedHere = !seen || seen.tombstone || seen.hash !== local.hash;
    if (!changedHere) continue;
    const download = plan.downloads.find((candidate) => tokenKeyString(candidate.token) === name);
    if (download && !newerAsSeen(download.token, local, latestAllowed)) {
      violations.push(`machine ${machine}: ${name} changed here was overwritten by an older version`);
    }
    if (!plan.localDeletions.some((deletion) => tokenKeyString(deletion) === name)) continue;
    const tombstone = stored.get(name);
    const deletedByIt =
      tombstone?.tombstone === true &&
      (tombstone.hash === local.hash ||
        Math.min(local.modifiedAt, latestAllowed) <= Math.min(tombstone.modifiedAt, latestAllowed));
    if (seen || !deletedByIt) {
      violations.push(
        `machine ${machine}: ${name} changed here was deleted by an older or unrelated deletion`,
      );
    }
  }
  for (const upload of plan.uploads) {
    const replaced = upload.replaces;
    const seen = base.get(tokenKeyString(upload.token));
    const unseenChange =
      replaced && !replaced.tombstone && (!seen || seen.hash !== replaced.hash || seen.tombstone);
    if (unseenChange && !newerAsSeen(upload.token, replaced, latestAllowed)) {
      violations.push(
        `machine ${machine}: an upload of ${tokenKeyString(upload.token)} replaced a newer change it had not seen`,
      );
    }
  }
  return violations;
}

/**
 * No resurrection of a purged deletion: a machine never uploads a token it has no record of, older than the
 * newest purged deletion, unless it made the token since its last sync (allowing for clock skew). Whatever the
 * directory holds for the key: once the tombstone is gone nothing tells an old copy of a deleted token from an
 * edit, so such a token is held back and reported, not uploaded (not even over a version re-created elsewhere).
 */
export function resurrectionViolations({ machine, before, directoryBefore, plan, policy }: SyncObservation) {
  const violations: string[] = [];
  if (plan.uploads.length === 0 && (plan.fullResync !== 'no-base' || before.base === null)) return violations;
  if (plan.fullResync === 'no-base' && before.base !== null) {
    violations.push(`machine ${machine}: a full resync for want of a base, with a base`);
  }
  const trusted = plan.fullResync !== 'no-base' && plan.fullResync !== 'directory-reset' ? before.base : null;
  const madeSince = trusted ? trusted.syncedAt - policy.clockSkewSeconds * 1000 : Number.POSITIVE_INFINITY;
  const known = new Set((trusted?.entries ?? []).map((entry) => tokenKeyString(entry)));
  for (const { token } of plan.uploads) {
    if (known.has(tokenKeyString(token)) || token.modifiedAt > madeSince) continue;
    if (token.modifiedAt <= directoryBefore.purgeWatermark) {
      violations.push(
        `machine ${machine}: uploaded ${tokenKeyString(token)}, of which it had no record, older than a purged deletion`,
      );
    }
  }
  return violations;
}

/** Every per-sync property at once, for a sync observed in a history or in a convergence round. */
export function syncViolations(observation: SyncObservation): string[] {
  return [...lostUpdateViolations(observation), ...resurrectionViolations(observation)];
}

/**
 * Settled: one more sync of any machine plans nothing, and every machine holds exactly the directory's content.
 * With `exceptHeld`, a machine may keep a token it holds back and reports as a possibly purged deletion (after a
 * lost state file or a first use): that key is left out on both sides, but only when holding it back is justified,
 * i.e. the token has no base entry here and is no newer than the purge watermark.
 */
export function settledViolation(world: World, { exceptHeld }: { exceptHeld: boolean }): string | null {
  const expected = directoryView(world.directory);
  for (const [machine, local] of world.machines.entries()) {
    const plan = reconcile({ local, directory: world.directory, policy: world.policy, now: world.now });
    if (!isPlanEmpty(plan)) return `machine ${machine}: one more sync still plans ${describePlan(plan)}`;
    const held = new Set(
      plan.rejections
        .filter((rejection) => rejection.code === 'POSSIBLY_PURGED_DELETION')
        .map((rejection) => `${rejection.tokenType}:${JSON.parse(rejection.displayId) as string}`),
    );
    if (held.size > 0 && !exceptHeld) return `machine ${machine}: holds back ${[...held].join(', ')}`;
    const latestAllowed = world.now + world.policy.clockSkewSeconds * 1000;
    for (const name of held) {
      const token = local.tokens.find((candidate) => tokenKeyString(candidate) === name);
      const recorded = local.base?.entries.some((entry) => tokenKeyString(entry) === name);
      if (!token || recorded || Math.min(token.modifiedAt, latestAllowed) > world.directory.purgeWatermark) {
        return `machine ${machine}: holds back ${name} without cause`;
      }
    }
    const keyOf = (entry: string) => entry.slice(0, entry.indexOf('='));
    const view = localView(local).filter((entry) => !held.has(keyOf(entry)));
    const directory = held.size === 0 ? expected : expected.filter((entry) => !held.has(keyOf(entry)));
    if (view.length !== directory.length || view.some((entry, index) => entry !== directory[index])) {
      return `machine ${machine} holds ${JSON.stringify(view)} but the directory ${JSON.stringify(directory)}`;
    }
  }
  return null;
}

/** Two rounds of syncs in the given orders, every sync checked on the way, then a settled world. */
export function convergenceViolations(
  start: World,
  rounds: readonly (readonly number[])[],
  { exceptHeld }: { exceptHeld: boolean },
): string[] {
  const world = copyWorld(start);
  const violations: string[] = [];
  for (const machine of rounds.flat()) {
    sync(world, machine, (observation) => violations.push(...syncViolations(observation)));
  }
  const settled = settledViolation(world, { exceptHeld });
  if (settled) violations.push(`after rounds ${JSON.stringify(rounds)}: ${settled}`);
  return violations;
}
