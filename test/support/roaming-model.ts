// A pure model of one user's workstations and directory entry (libs/roaming's reconcile and apply-plan), kept in
// step with real agents: every local change the agents make is mirrored with the metadata they report, and every
// concurrent sync round is explained as some serial order of model syncs, since the gateway serializes writes
// with a compare-and-swap.
import {
  type LocalManifest,
  type Policy,
  type SyncPlan,
  type TokenKey,
  type TokenMeta,
  applyPlanToDirectory,
  applyPlanToLocal,
  describeUntrusted,
  NO_FLAGS,
  reconcile,
  tokenKeyString,
} from '@credroam/roaming';
import {
  directoryView,
  localView,
  sync as modelSync,
  type World,
} from '@credroam/roaming/reconcile/testing/simulation';

/** What a machine's sync would plan in `world`. */
function planOf(world: World, machine: number): SyncPlan {
  const local = world.machines[machine] as LocalManifest;
  return reconcile({ local, directory: world.directory, policy: world.policy, now: world.now });
}

/**
 * One model sync in which some planned downloads are not delivered, as logon-events' sync use-case does it: the
 * plan is written as planned, the machine skips those downloads and keeps its previous base entries for them.
 */
function syncWithUndelivered(world: World, machine: number, undelivered: ReadonlySet<string>): SyncPlan {
  const before = world.machines[machine] as LocalManifest;
  const plan = planOf(world, machine);
  world.directory = applyPlanToDirectory(world.directory, plan, world.now);
  const delivered: SyncPlan = {
    ...plan,
    downloads: plan.downloads.filter(({ token }) => !undelivered.has(tokenKeyString(token))),
    base: plan.base && {
      ...plan.base,
      entries: [
        ...plan.base.entries.filter((entry) => !undelivered.has(tokenKeyString(entry))),
        ...(before.base?.entries ?? []).filter((entry) => undelivered.has(tokenKeyString(entry))),
      ],
    },
  };
  world.machines[machine] = applyPlanToLocal(before, delivered, world.directory.createdAt);
  return plan;
}

/**
 * What a real workstation reported for one sync of a round: its tokens afterwards, the conflicts it saw, and the
 * downloads logon-events could not deliver because the directory moved on between the plan and reading the value
 * (a rejection DIRECTORY_UNAVAILABLE; the base keeps the old entry, so the next sync offers them again).
 */
export interface ObservedSync {
  view: string[];
  conflicts: string[];
  undelivered: { tokenType: string | null; displayId: string }[];
  /** Tokens held back as possibly purged deletions (rejections POSSIBLY_PURGED_DELETION), as `heldText` gives them. */
  heldBack: string[];
}

/** Order-free text for a token held back as a possibly purged deletion, the same for a plan and a sync report. */
export function heldText(rejection: { tokenType: string | null; displayId: string }): string {
  return `${rejection.tokenType}:${rejection.displayId}`;
}

function heldBack(plan: SyncPlan): string[] {
  return plan.rejections
    .filter((rejection) => rejection.code === 'POSSIBLY_PURGED_DELETION')
    .map(heldText)
    .sort();
}

/** A token as `credroam-agent list --json` prints it. */
export interface ListedMeta {
  type: string;
  id: string;
  modifiedAt: number;
  hash: string;
  size: number;
}

/** Order-free text for a conflict, the same for a plan's and for the agent's `sync --json` report. */
export function conflictText(conflict: { type: string; id: string; kind: string; winner: string }): string {
  return `${conflict.type}:${conflict.id} ${conflict.kind}, ${conflict.winner} won`;
}

export function listedView(tokens: readonly ListedMeta[]): string[] {
  return tokens.map((token) => `${token.type}:${token.id}=${token.hash}`).sort();
}

export function toTokenMeta(listed: ListedMeta): TokenMeta {
  // `list --json` shows no flags; the workstations here hold plain software tokens only.
  return {
    type: listed.type as TokenMeta['type'],
    id: listed.id,
    hash: listed.hash,
    modifiedAt: listed.modifiedAt,
    size: listed.size,
    flags: { ...NO_FLAGS },
  };
}

function copyWorld(world: World): World {
  // Plans are applied without mutation, so sharing the manifests and the directory is safe.
  return { ...world, machines: [...world.machines] };
}

/** The whole state as text, so that states reached by different orders can be told apart or merged. */
function fingerprint(world: World): string {
  const { directory } = world;
  return JSON.stringify({
    createdAt: directory.createdAt,
    watermark: directory.purgeWatermark,
    entries: [...directory.entries].map((entry) => JSON.stringify(entry)).sort(),
    machines: world.machines.map((machine) => ({
      tokens: [...machine.tokens].map((token) => JSON.stringify(token)).sort(),
      base: machine.base && {
        createdAt: machine.base.directoryCreatedAt,
        entries: machine.base.entries.map((entry) => JSON.stringify(entry)).sort(),
      },
    })),
  });
}

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** Runs the syncs of one round in the given order, all at the same server time. */
export function runRound(
  start: World,
  order: readonly number[],
  now: number,
): { world: World; plans: Map<number, SyncPlan> } {
  const world = copyWorld(start);
  world.now = now;
  const plans = new Map<number, SyncPlan>();
  for (const machine of order) plans.set(machine, modelSync(world, machine));
  return { world, plans };
}

export function machineViews(world: World): string[][] {
  return world.machines.map(localView);
}

/**
 * The model world, or rather every world consistent with what the real agents showed so far: when two serial
 * orders of a round explain the observations equally well but leave different merge bases behind, both are kept
 * until a later observation tells them apart.
 */
export class RoamingModel {
  private worlds: World[];

  constructor(machines: number, policy: Policy) {
    // Base null: a workstation's first sync is a first use, as for the real agents.
    this.worlds = [
      {
        now: 0,
        directory: { createdAt: null, modifiedAt: null, entries: [], reported: [], purgeWatermark: 0 },
        machines: Array.from({ length: machines }, (): LocalManifest => ({ tokens: [], base: null })),
        policy,
      },
    ];
  }

  /** One of the consistent worlds (they all agree on every machine's tokens and on the directory's content). */
  get world(): World {
    return this.worlds[0] as World;
  }

  get hypotheses(): number {
    return this.worlds.length;
  }

  view(machine: number): string[] {
    return localView(this.world.machines[machine] as LocalManifest);
  }

  directoryView(): string[] {
    return directoryView(this.world.directory);
  }

  /** Mirrors a local change: the token as the agent now reports it (added or edited). */
  put(machine: number, token: TokenMeta): void {
    this.update(machine, (tokens) => [
      ...tokens.filter((existing) => tokenKeyString(existing) !== tokenKeyString(token)),
      token,
    ]);
  }

  /** Mirrors a lost state file (deleted, or the whole store reinstalled but the tokens): no base any more. */
  loseState(machine: number): void {
    this.worlds = this.worlds.map((world) => {
      const next = copyWorld(world);
      next.machines[machine] = { ...(world.machines[machine] as LocalManifest), base: null };
      return next;
    });
  }

  remove(machine: number, key: TokenKey): void {
    this.update(machine, (tokens) =>
      tokens.filter((existing) => tokenKeyString(existing) !== tokenKeyString(key)),
    );
  }

  private update(machine: number, change: (tokens: TokenMeta[]) => TokenMeta[]): void {
    this.worlds = this.worlds.map((world) => {
      const next = copyWorld(world);
      const manifest = world.machines[machine] as LocalManifest;
      next.machines[machine] = { ...manifest, tokens: change(manifest.tokens) };
      return next;
    });
  }

  /**
   * Finds every serial order of one concurrent round (one sync per machine in `observed`) whose model syncs give
   * each machine exactly the tokens, conflicts and held-back tokens its real sync gave, and keeps the resulting
   * worlds. Returns how many distinct worlds explain the round (0: no serial order does, i.e. the real system did
   * something the model cannot).
   *
   * `retried` says how many times a machine's agent retried its sync (a fault suite): each earlier attempt may have
   * been carried out by the server with its answer lost on the way back (a replica killed after its write, a broker
   * connection closed under the reply). Such an attempt is a "lost reply": the plan is written to the directory,
   * the machine keeps what it had, and the retry reconciles again from there. Up to two per machine are tried, at
   * any point before its real sync.
   */
  explainRound(
    observed: ReadonlyMap<number, ObservedSync>,
    now: number,
    retried: ReadonlyMap<number, number> = new Map(),
  ): number {
    const explained = new Map<string, World>();
    for (const start of this.worlds) {
      const visited = new Set<string>();
      const search = (
        world: World,
        remaining: readonly number[],
        lostReplies: ReadonlyMap<number, number>,
      ): void => {
        const state = `${remaining.join(',')}|${[...lostReplies].join(',')}|${fingerprint(world)}`;
        if (visited.has(state)) return;
        visited.add(state);
        if (remaining.length === 0) {
          explained.set(fingerprint(world), world);
          return;
        }
        for (const machine of remaining) {
          const left = lostReplies.get(machine) ?? 0;
          if (left === 0) continue;
          const next = copyWorld(world);
          const plan = planOf(world, machine);
          next.directory = applyPlanToDirectory(world.directory, plan, world.now);
          search(next, remaining, new Map([...lostReplies, [machine, left - 1]]));
        }
        for (const machine of remaining) {
          const real = observed.get(machine) as ObservedSync;
          const next = copyWorld(world);
          const plan = planOf(world, machine);
          const undelivered = new Set(
            plan.downloads
              .filter(({ token }) =>
                real.undelivered.some(
                  (rejection) =>
                    rejection.tokenType === token.type && rejection.displayId === describeUntrusted(token.id),
                ),
              )
              .map(({ token }) => tokenKeyString(token)),
          );
          if (undelivered.size !== real.undelivered.length) continue;
          syncWithUndelivered(next, machine, undelivered);
          if (!sameList(localView(next.machines[machine] as LocalManifest), real.view)) continue;
          if (!sameList(plan.conflicts.map(conflictText).sort(), real.conflicts)) continue;
          if (!sameList(heldBack(plan), real.heldBack)) continue;
          search(
            next,
            remaining.filter((other) => other !== machine),
            new Map([...lostReplies, [machine, 0]]),
          );
        }
      };
      const lost = new Map(
        [...observed.keys()].map((machine) => [machine, Math.min(retried.get(machine) ?? 0, 2)]),
      );
      search({ ...copyWorld(start), now }, [...observed.keys()], lost);
    }
    if (explained.size > 0) this.worlds = [...explained.values()];
    return explained.size;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

/** Each machine's and the directory's version of some keys, for a failure message that shows why. */
export function describeKeys(world: World, keys: readonly string[]): Record<string, unknown> {
  const version = (token: { hash: string; modifiedAt: number; tombstone?: boolean } | undefined) =>
    token ? `${token.tombstone ? 'tombstone ' : ''}${token.hash.slice(0, 8)}@${token.modifiedAt}` : 'absent';
  return Object.fromEntries(
    keys.map((key) => [
      key,
      {
        directory: version(world.directory.entries.find((entry) => tokenKeyString(entry) === key)),
        machines: world.machines.map((machine) => ({
          local: version(machine.tokens.find((token) => tokenKeyString(token) === key)),
          base: machine.base
            ? version(machine.base.entries.find((entry) => tokenKeyString(entry) === key))
            : 'no base',
        })),
      },
    ]),
  );
}
