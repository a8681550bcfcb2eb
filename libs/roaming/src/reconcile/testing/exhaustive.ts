import { planWritesDirectory } from '../apply-plan';
import { type DirectoryState, type LocalManifest } from '../model';
import { DAY_MS } from '../reconcile';
import { hashOf } from './builders';
import {
  copyWorld,
  determinismViolation,
  idempotenceViolation,
  settledViolation,
  syncViolations,
} from './merge-properties';
import { applyCommand, CONTENTS, KEYS, newWorld, sync, type Command, type World } from './simulation';

/**
 * Exhaustive checking in the small: every history up to a bound, not a sample of them. A history is a sequence of
 * steps by a few workstations of one user: edit a key to one of a few contents, delete a token it holds, sync,
 * lose its state file, let a millisecond pass, let the tombstone lifetime pass, or set its clock off by one of a
 * few offsets (its later edits carry that skew). Time moves only when a step says so, so syncs and edits of
 * several machines within one millisecond, and the exact ties they give, are among the histories.
 *
 * The search is over states, not step lists: histories that reach the same state have the same future, so each
 * state is checked once and its successors are explored once, breadth first. Two states count as the same when
 * they differ only by
 *  - the names of the machines or of the keys (machines start alike, and nothing in reconcile depends on a key's
 *    name beyond the order of a plan's lists; both keys are certificates, which no policy filter holds back),
 *  - the order of a list (reconcile is deterministic whatever the order: checked on every state, and with at most
 *    two keys, reversing a list is every order of it),
 *  - a shift of every time by the same amount (reconcile only compares times with each other and with now plus
 *    or minus a constant).
 * The number of histories is counted exactly, as the number of step sequences from the empty world, by counting
 * paths through the states. The rounds of syncs the convergence check runs from each state are cut short the same
 * way: what the rest of a round finds from a world part-way through it does not depend on machine names either, so
 * it is kept by that world's canonical key (with the machines that already synced in the round marked).
 *
 * On every state: the plan of every machine is deterministic; syncing any machine is idempotent, loses no update
 * and resurrects no purged deletion; and two rounds of syncs in any order settle the world (each machine then
 * holds the directory's content, except tokens it holds back and reports). The second round is run in one order
 * and, when it writes nothing, stands for every order (each machine then sees the same directory whatever the
 * order); when it does write, every order is run.
 */

export interface MergeCheckBound {
  machines: number;
  /** At most two: see the note on list order above. */
  keys: number;
  contents: number;
  steps: number;
  /** The clock offsets (ms) a workstation may be set to; 0 is always among them (every clock starts right). */
  clockOffsets: readonly number[];
}

/** Past this many entries a memo of settled outcomes starts again: a bound on memory, not on what is checked. */
const MEMO_LIMIT = 1_500_000;

/**
 * Small enough for every CI run (about 20 s on two busy cores): one key, every clock right, yet the shortest
 * history of issue 12's kind (7 steps, settled by an exact-time tie) is inside it.
 */
export const CI_BOUND: MergeCheckBound = {
  machines: 3,
  keys: 1,
  contents: 2,
  steps: 7,
  clockOffsets: [0],
};

/**
 * For `npm run check:merge`: two keys (so the purge watermark and the base are shared by keys), and clocks that
 * can be a second slow (within the allowed skew: new since the last sync, yet older than what just happened), an
 * hour slow (beyond it: older than the last sync) or an hour fast (clamped by the server).
 */
export const LARGE_BOUND: MergeCheckBound = {
  machines: 3,
  keys: 2,
  contents: 2,
  steps: 7,
  clockOffsets: [0, -1000, -3_600_000, 3_600_000],
};

/** A bound in words, for test names and reports. */
export function describeBound({ machines, keys, contents, steps, clockOffsets }: MergeCheckBound): string {
  const clocks = clockOffsets.filter((offset) => offset !== 0);
  return (
    `${machines} machines, ${keys} key${keys === 1 ? '' : 's'}, ${contents} contents, up to ${steps} steps` +
    (clocks.length > 0
      ? `, clock offsets ${clocks.map((offset) => `${offset} ms`).join(', ')}`
      : ', every clock right')
  );
}

export type Step = Command | { kind: 'set-clock'; machine: number; offset: number };

export interface MergeViolation {
  /** The shortest history that reaches the state, replayable with `replay`. */
  history: Step[];
  problems: string[];
}

export interface MergeCheckReport {
  bound: MergeCheckBound;
  /** Step sequences of 1 to `steps` steps from the empty world, every one of which was checked. */
  histories: number;
  states: number;
  transitions: number;
  syncsChecked: number;
  settledReused: number;
  elapsedMs: number;
  violations: MergeViolation[];
}

interface Node {
  world: World;
  /** Each machine's clock offset, applied to its edits. */
  offsets: number[];
}

export function replay(steps: readonly Step[], machines = 3): World {
  const world = newWorld({ machines });
  const offsets = Array.from({ length: machines }, () => 0);
  for (const step of steps) {
    if (step.kind === 'set-clock') offsets[step.machine] = step.offset;
    else applyCommand(world, step.kind === 'edit' ? { ...step, skew: offsets[step.machine]! } : step);
  }
  return world;
}

function permutations(items: readonly number[]): number[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

function stepsFrom({ world, offsets }: Node, bound: MergeCheckBound): Step[] {
  const steps: Step[] = [];
  const lapse = world.policy.tombstoneDays * DAY_MS + 1;
  for (let machine = 0; machine < bound.machines; machine++) {
    const local = world.machines[machine]!;
    for (let key = 0; key < bound.keys; key++) {
      for (let content = 0; content < bound.contents; content++) {
        steps.push({ kind: 'edit', machine, key, content, skew: offsets[machine]! });
      }
      // Deleting a token the machine does not hold changes nothing: not a step.
      if (local.tokens.some((token) => token.id === KEYS[key]!.id))
        steps.push({ kind: 'delete', machine, key });
    }
    steps.push({ kind: 'sync', machine });
    if (local.base) steps.push({ kind: 'lose-state', machine });
    for (const offset of bound.clockOffsets) {
      if (offset !== offsets[machine]) steps.push({ kind: 'set-clock', machine, offset });
    }
  }
  steps.push({ kind: 'advance', ms: 1 }, { kind: 'advance', ms: lapse });
  return steps;
}

type Stamped = { id: string; hash: string; modifiedAt: number; tombstone?: boolean };

class Canonicalizer {
  private readonly keyIndex = new Map(KEYS.map((key, index) => [key.id, index]));
  private readonly contentIndex = new Map(CONTENTS.map((content, index) => [hashOf(content), index]));
  private readonly keyLabels: number[][];
  /**
   * Each machine's and the directory's part of the text, under every naming of the keys, kept for the object and
   * time it was made for: a sync replaces one machine's manifest and the directory, and the other machines' stay
   * the same objects, so most parts are reused.
   */
  private readonly machineParts = new WeakMap<LocalManifest, { now: number; parts: string[] }>();
  private readonly directoryParts = new WeakMap<DirectoryState, { now: number; parts: string[] }>();

  constructor(keys: number) {
    this.keyLabels = permutations(Array.from({ length: keys }, (_, index) => index));
  }

  /**
   * The state as text, the same for states that differ only by machine or key names, list order or a common time
   * shift. Sizes, flags and refs are left out: every token of the simulation has the same size and flags, and a
   * ref is made of the fields that are in. `marked` machines are told apart from the others.
   */
  key({ world, offsets }: Node, marked: readonly number[] = []): string {
    const now = world.now;
    const machines = world.machines.map((local) =>
      this.parts(this.machineParts, local, now, this.machinePart),
    );
    const directory = this.parts(this.directoryParts, world.directory, now, this.directoryPart);
    let best: string | null = null;
    for (let naming = 0; naming < this.keyLabels.length; naming++) {
      const machineText = machines
        .map((parts, index) => `${marked.includes(index) ? '*' : ''}${offsets[index]}|${parts[naming]}`)
        .sort()
        .join(';');
      const key = `${machineText}#${directory[naming]}`;
      if (best === null || key < best) best = key;
    }
    return best!;
  }

  private parts<T extends object>(
    cache: WeakMap<T, { now: number; parts: string[] }>,
    item: T,
    now: number,
    render: (item: T, labels: readonly number[], now: number) => string,
  ): string[] {
    const cached = cache.get(item);
    if (cached?.now === now) return cached.parts;
    const parts = this.keyLabels.map((labels) => render(item, labels, now));
    cache.set(item, { now, parts });
    return parts;
  }

  private list(items: readonly Stamped[], labels: readonly number[], now: number): string {
    return items
      .map(
        (item) =>
          `${labels[this.keyIndex.get(item.id)!]}.${this.contentIndex.get(item.hash)}.${item.modifiedAt - now}${item.tombstone ? 't' : ''}`,
      )
      .sort()
      .join(',');
  }

  private readonly machinePart = (local: LocalManifest, labels: readonly number[], now: number): string => {
    const base = local.base
      ? `${relative(local.base.syncedAt, now)}/${relative(local.base.directoryCreatedAt, now)}/${this.list(local.base.entries, labels, now)}`
      : '-';
    return `${this.list(local.tokens, labels, now)}|${base}`;
  };

  private readonly directoryPart = (
    directory: DirectoryState,
    labels: readonly number[],
    now: number,
  ): string => {
    const watermark = directory.purgeWatermark === 0 ? 'n' : relative(directory.purgeWatermark, now);
    return `${relative(directory.createdAt, now)}/${relative(directory.modifiedAt, now)}/${watermark}/${this.list(directory.entries, labels, now)}`;
  };
}

function relative(at: number | null, now: number): string {
  return at === null ? 'n' : String(at - now);
}

/** What one state's check needs besides the state: the orders of a round, and what was settled before. */
interface CheckContext {
  bound: MergeCheckBound;
  orders: number[][];
  canonical: Canonicalizer;
  /** Problems found after the second rounds from a world after a first round, by that world's canonical key. */
  settledAfter: Map<string, string[]>;
  /** The same for the rest of a first round, by the canonical key of the world part-way, synced machines marked. */
  roundRest: Map<string, string[]>;
  counts: { syncs: number; settledReused: number };
}

/** Checks every property on one state; returns the problems and the world after syncing each machine. */
function checkState(node: Node, context: CheckContext) {
  const { bound, orders, counts } = context;
  const problems: string[] = [];
  const machines = Array.from({ length: bound.machines }, (_, index) => index);
  const syncObserved = (world: World, machine: number, problemsFound: string[]) => {
    counts.syncs++;
    let wrote = false;
    const plan = sync(world, machine, (observation) => {
      problemsFound.push(...syncViolations(observation));
      wrote = planWritesDirectory(observation.plan) && !observation.plan.blocked;
    });
    return { plan, wrote };
  };
  // The second round from a world after a first round, and the settled check after it. The outcome does not
  // depend on the names of the machines (every order is covered either way), so it is kept by canonical key.
  const secondRounds = (afterFirst: World): string[] => {
    const key = context.canonical.key({ world: afterFirst, offsets: machines.map(() => 0) });
    const known = context.settledAfter.get(key);
    if (known) {
      counts.settledReused++;
      return known;
    }
    const found: string[] = [];
    const world = copyWorld(afterFirst);
    let wrote = false;
    for (const machine of machines) wrote = syncObserved(world, machine, found).wrote || wrote;
    const settled = settledViolation(world, { exceptHeld: true });
    if (settled) found.push(`after a second round ${machines}: ${settled}`);
    // A second round that writes nothing lets every machine see the same directory in any order; one that writes
    // is run in every order.
    for (const order of wrote ? orders.slice(1) : []) {
      const other = copyWorld(afterFirst);
      for (const machine of order) syncObserved(other, machine, found);
      const problem = settledViolation(other, { exceptHeld: true });
      if (problem) found.push(`after a second round ${order}: ${problem}`);
    }
    context.settledAfter.set(key, found);
    return found;
  };
  // The rest of a first round from a world part-way through it, whose outcome does not depend on machine names
  // either: kept by canonical key, with the machines that already synced in this round marked.
  const restOfFirstRound = (world: World, done: number[]): string[] => {
    if (done.length === bound.machines) {
      return secondRounds(world).map((problem) => `after a first round ${done}, ${problem}`);
    }
    const key = context.canonical.key({ world, offsets: machines.map(() => 0) }, done);
    const known = context.roundRest.get(key);
    if (known) {
      counts.settledReused++;
      return known;
    }
    const found: string[] = [];
    for (const machine of machines) {
      if (done.includes(machine)) continue;
      const next = copyWorld(world);
      syncObserved(next, machine, found);
      found.push(...restOfFirstRound(next, [...done, machine]));
    }
    context.roundRest.set(key, found);
    return found;
  };
  // Every machine's own sync from this state: the history's next step, checked for determinism and idempotence.
  const synced: World[] = [];
  for (const machine of machines) {
    const next = copyWorld(node.world);
    const { plan } = syncObserved(next, machine, problems);
    synced[machine] = next;
    const determinism = determinismViolation(node.world, machine, plan);
    if (determinism) problems.push(determinism);
    const idempotence = idempotenceViolation(next, machine);
    if (idempotence) problems.push(idempotence);
    problems.push(...restOfFirstRound(next, [machine]));
  }
  return { problems: [...new Set(problems)], synced };
}

/**
 * Explores every state reachable within the bound, breadth first, checking each. Stops early once
 * `maxViolations` states broke a property.
 */
export function checkMergeRules(
  bound: MergeCheckBound,
  {
    maxViolations = 3,
    onDepth,
  }: { maxViolations?: number; onDepth?: (depth: number, states: number, elapsedMs: number) => void } = {},
): MergeCheckReport {
  if (bound.keys > 2) throw new Error('at most two keys: reversing a list of three is not every order of it');
  if (bound.keys > KEYS.length || bound.contents > CONTENTS.length || bound.machines < 1) {
    throw new Error('the bound is outside the simulation');
  }
  if (!bound.clockOffsets.includes(0)) throw new Error('every clock starts right: 0 must be an offset');
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
  const canonical = new Canonicalizer(bound.keys);
  const orders = permutations(Array.from({ length: bound.machines }, (_, index) => index));
  const context: CheckContext = {
    bound,
    orders,
    canonical,
    settledAfter: new Map(),
    roundRest: new Map(),
    counts: { syncs: 0, settledReused: 0 },
  };
  const ids = new Map<string, number>();
  const parent: number[] = [];
  const via: (Step | null)[] = [];
  const successors: Int32Array[] = [];
  /** The worlds after each machine's sync, of the states waiting to be expanded (computed by their check). */
  const synced = new Map<number, World[]>();
  const violations: MergeViolation[] = [];
  let transitions = 0;

  const historyOf = (id: number): Step[] => {
    const steps: Step[] = [];
    for (let at = id; parent[at]! >= 0; at = parent[at]!) steps.unshift(via[at]!);
    return steps;
  };
  const discover = (node: Node, from: number, step: Step | null) => {
    const key = canonical.key(node);
    const known = ids.get(key);
    if (known !== undefined) return { id: known, fresh: false };
    const id = parent.length;
    ids.set(key, id);
    parent.push(from);
    via.push(step);
    return { id, fresh: true };
  };

  const root: Node = {
    world: newWorld({ machines: bound.machines }),
    offsets: Array.from({ length: bound.machines }, () => 0),
  };
  /** Checks a state; true when the search should go on. */
  const check = (id: number, node: Node): { synced: World[]; goOn: boolean } => {
    const { problems, synced } = checkState(node, context);
    if (problems.length > 0) {
      // Checked again without what earlier states settled, so that every machine number names this state's.
      const exact = checkState(node, { ...context, settledAfter: new Map(), roundRest: new Map() }).problems;
      violations.push({ history: historyOf(id), problems: exact });
    }
    return { synced, goOn: violations.length < maxViolations };
  };
  let frontier: { id: number; node: Node }[] = [{ id: discover(root, -1, null).id, node: root }];
  let goOn = true;
  for (let depth = 0; depth < bound.steps && goOn; depth++) {
    const next: { id: number; node: Node }[] = [];
    for (const { id, node } of frontier) {
      const checked: { synced: World[]; goOn: boolean } =
        depth === 0 ? check(id, node) : { synced: synced.get(id)!, goOn };
      synced.delete(id);
      goOn = checked.goOn;
      if (!goOn) break;
      const out: number[] = [];
      for (const step of stepsFrom(node, bound)) {
        transitions++;
        let child: Node;
        if (step.kind === 'sync') child = { world: checked.synced[step.machine]!, offsets: node.offsets };
        else if (step.kind === 'set-clock') {
          child = {
            world: node.world,
            offsets: node.offsets.map((at, m) => (m === step.machine ? step.offset : at)),
          };
        } else {
          child = { world: copyWorld(node.world), offsets: node.offsets };
          applyCommand(child.world, step);
        }
        const found = discover(child, id, step);
        out.push(found.id);
        if (!found.fresh) continue;
        // A new state is checked at once; only those with steps left are kept, with their syncs, for the next level.
        const result = check(found.id, child);
        goOn = result.goOn;
        if (!goOn) break;
        if (depth + 1 < bound.steps) {
          next.push({ id: found.id, node: child });
          synced.set(found.id, result.synced);
        }
      }
      successors[id] = Int32Array.from(out);
      if (!goOn) break;
      for (const memo of [context.settledAfter, context.roundRest]) if (memo.size > MEMO_LIMIT) memo.clear();
    }
    onDepth?.(depth + 1, ids.size, elapsed());
    frontier = next;
  }

  return {
    bound,
    histories: violations.length > 0 ? 0 : countHistories(successors, bound.steps),
    states: ids.size,
    transitions,
    syncsChecked: context.counts.syncs,
    settledReused: context.counts.settledReused,
    elapsedMs: elapsed(),
    violations,
  };
}

/** Paths of 1 to `steps` steps from the root (state 0), with multiplicity: the number of step sequences. */
function countHistories(successors: readonly Int32Array[], steps: number): number {
  let level = new Map<number, number>([[0, 1]]);
  let total = 0;
  for (let depth = 1; depth <= steps; depth++) {
    const next = new Map<number, number>();
    for (const [id, paths] of level) {
      for (const to of successors[id]!) next.set(to, (next.get(to) ?? 0) + paths);
    }
    for (const paths of next.values()) total += paths;
    level = next;
  }
  return total;
}
