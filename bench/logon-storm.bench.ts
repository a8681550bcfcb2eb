import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'ldapts';
import { decodeDirectoryValue, tokenKeyString, unwrap } from '@credroam/roaming';
import { openStoredValue, tokenHash, wipeStorageKeys } from '@credroam/sealing';
import {
  createThrowawayDatabase,
  percentile,
  printServiceLogTails,
  rawRoamingSearch,
  rawSearchAndSwap,
  type ThrowawayDatabase,
} from '@credroam/benchmarking';
import amqplib from 'amqplib';
import { runCli as tokenCryptoCli } from '../apps/token-crypto/src/cli';
import { loadTokenCryptoConfig } from '../apps/token-crypto/src/config/token-crypto.config';
import { KeyRepository } from '../apps/token-crypto/src/keys/key.repository';
import { readKeyMaterial } from '../apps/token-crypto/src/keys/key-material.reader';
import { type LocalStack, type LocalStackOptions } from '../scripts/lib/local-stack.cjs';
import { brokerPid, peakRssMb, sample, type ProcessSample } from './storm/process-meter';
import { seedUsers, templateTokens, type SeededUser, type TemplateToken } from './storm/seed';
import { WireCounter, Workstation } from './storm/workstation';

/**
 * The 8 a.m. logon storm (issue 19): N users with T tokens each in a throwaway slapd (seeded by the fast loader of
 * storm/seed.ts), the whole stack (logon-events, directory-gateway, token-crypto, audit; R processes of each) on a
 * unique AMQP namespace and free ports, and C simulated workstations driven by the agent's own sync library in this
 * process, through three phases: firstLogon (a new workstation: session, then everything downloads), steady
 * (a sync where nothing changed) and oneChanged (a sync uploading one changed token). Then, on the same slapd at
 * the same concurrency, ldapts alone: a search per user and a search + compare-and-swap modify per user. Prints
 * the figures and writes them to bench/results/latest.json (and a dated copy); asserts nothing, but checks the
 * final directory state of a sample of users against the model of what they should hold.
 * Run: npm run bench:storm -- --help
 */
const BROKER = process.env.CREDROAM_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const PHASES = ['firstLogon', 'steady', 'oneChanged'] as const;
type Phase = (typeof PHASES)[number];
/** The gateway's LDAP pool is 4 connections: the raw ceiling gets as many. */
const RAW_CONNECTIONS = 4;
const NO_LIMIT = '100000';
const SERVICES = ['directory-gateway', 'token-crypto', 'logon-events', 'audit'];
const AUDIT_DATABASES = ['sqlite', 'postgres'] as const;
type AuditDatabase = (typeof AUDIT_DATABASES)[number];

const USAGE = `usage: npm run bench:storm -- [options]
  --users N          users seeded in the directory (default 10000)
  --tokens T         tokens per user (default 20; certificates, RSA and EC keys, requests, credentials)
  --concurrency C    simulated workstations logging on at once (default 32)
  --replicas R       processes of every service (default 1)
  --audit-db KIND    sqlite (default: one file, the embedded default) or postgres (a database of its own on
                     CREDROAM_BENCH_PG, default postgres://postgres@127.0.0.1:5432/postgres, dropped after the run);
                     audit replicas beyond one belong on postgres, as in a scaled deployment
  --phases LIST      comma-separated, of ${PHASES.join(', ')} (default all; without firstLogon the
                     workstations are set up untimed first)
  --sample S         users whose final directory state is checked against the model (default 100)
  --cpu-prof DIR     write the services' V8 CPU profiles (whole run) and the load generator's (timed phases) to DIR
  --help             this text`;

class UsageError extends Error {}

interface Options {
  users: number;
  tokens: number;
  concurrency: number;
  replicas: number;
  auditDb: AuditDatabase;
  phases: Phase[];
  sample: number;
  cpuProfDir: string | null;
}

function whole(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw new UsageError(
      `--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`,
    );
  return value;
}

export function parseOptions(args: readonly string[]): Options | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        users: { type: 'string' },
        tokens: { type: 'string' },
        concurrency: { type: 'string' },
        replicas: { type: 'string' },
        'audit-db': { type: 'string' },
        phases: { type: 'string' },
        sample: { type: 'string' },
        'cpu-prof': { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.help) return null;
  const phases = (parsed.phases ?? PHASES.join(',')).split(',').map((phase) => phase.trim());
  const unknown = phases.filter((phase) => !(PHASES as readonly string[]).includes(phase));
  if (unknown.length > 0 || phases.length === 0)
    throw new UsageError(
      `--phases takes ${PHASES.join(', ')}; unknown: ${unknown.join(', ') || '(none given)'}`,
    );
  const users = whole('users', parsed.users, 10_000, 1, 1_000_000);
  const auditDb = parsed['audit-db'] ?? 'sqlite';
  if (!(AUDIT_DATABASES as readonly string[]).includes(auditDb))
    throw new UsageError(`--audit-db takes ${AUDIT_DATABASES.join(' or ')}, not ${JSON.stringify(auditDb)}`);
  return {
    users,
    tokens: whole('tokens', parsed.tokens, 20, 1, 2_000),
    concurrency: whole('concurrency', parsed.concurrency, 32, 1, 4_096),
    replicas: whole('replicas', parsed.replicas, 1, 1, 8),
    auditDb: auditDb as AuditDatabase,
    phases: PHASES.filter((phase) => phases.includes(phase)),
    sample: Math.min(users, whole('sample', parsed.sample, 100, 0, 1_000_000)),
    cpuProfDir: parsed['cpu-prof'] ?? null,
  };
}

interface Run {
  ops: number;
  failures: string[];
  seconds: number;
  latencies: number[];
}

/** Every user once, `concurrency` at a time; each step's latency is what it awaited. */
async function everyUser(
  count: number,
  concurrency: number,
  step: (index: number) => Promise<void>,
): Promise<Run> {
  const latencies: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let index = next++; index < count; index = next++) {
        const begin = performance.now();
        try {
          await step(index);
          latencies.push(performance.now() - begin);
        } catch (error) {
          failures.push(`user ${index}: ${(error as Error).message}`);
        }
      }
    }),
  );
  return { ops: latencies.length, failures, seconds: (performance.now() - started) / 1000, latencies };
}

interface Meter {
  processes: { name: string; pid: number }[];
  before(): Map<string, ProcessSample>;
}

interface PhaseFigures {
  logons: number;
  failures: number;
  seconds: number;
  logonsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  rawCeilingPerSec: number | null;
  rawCeiling: 'search' | 'search+modify';
  ratio: number | null;
  /** Agent to edge: HTTP requests and responses (line, headers, body) per logon. */
  bytesPerLogon: number;
  /** Inside the cluster: rchar + wchar of each service process per logon (broker and LDAP sockets, logs). */
  clusterIoBytesPerLogon: Record<string, number | null>;
  cpuSecondsPerLogon: Record<string, number | null>;
  firstFailures: string[];
}

function figures(
  run: Run,
  wireBytes: number,
  before: Map<string, ProcessSample>,
  after: Map<string, ProcessSample>,
  rawCeiling: PhaseFigures['rawCeiling'],
): PhaseFigures {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  const per = (delta: number | null) => (delta === null || run.ops === 0 ? null : delta / run.ops);
  const delta = (name: string, field: keyof ProcessSample) => {
    const a = before.get(name)?.[field];
    const b = after.get(name)?.[field];
    return a === null || a === undefined || b === null || b === undefined ? null : b - a;
  };
  const names = [...after.keys()];
  return {
    logons: run.ops,
    failures: run.failures.length,
    seconds: run.seconds,
    logonsPerSec: run.seconds > 0 ? run.ops / run.seconds : 0,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    rawCeilingPerSec: null,
    rawCeiling,
    ratio: null,
    bytesPerLogon: run.ops > 0 ? wireBytes / run.ops : 0,
    clusterIoBytesPerLogon: Object.fromEntries(
      names
        .filter((name) => SERVICES.some((service) => name.startsWith(service)))
        .map((name) => [name, per(delta(name, 'ioBytes'))]),
    ),
    cpuSecondsPerLogon: Object.fromEntries(names.map((name) => [name, per(delta(name, 'cpuSeconds'))])),
    firstFailures: run.failures.slice(0, 5),
  };
}

/** The peak resident set of every metered process so far, by name (MB). */
function rssOf(meter: Meter): Record<string, number | null> {
  return Object.fromEntries(meter.processes.map(({ name, pid }) => [name, peakRssMb(pid)]));
}

function meterOf(stack: LocalStack): Meter {
  const processes = [
    { name: 'load generator', pid: process.pid },
    ...stack.services.map(({ name, pid }) => ({ name, pid })),
    ...(stack.slapd?.pid ? [{ name: 'slapd', pid: stack.slapd.pid }] : []),
  ];
  const broker = brokerPid();
  if (broker !== null) processes.push({ name: 'rabbitmq (beam.smp, shared)', pid: broker });
  return {
    processes,
    before: () => new Map(processes.map(({ name, pid }) => [name, sample(pid)])),
  };
}

/** The model: what each user's entry must hold, token key -> content. */
type Model = Map<string, Buffer>[];

function modelOf(users: number, tokens: readonly TemplateToken[]): Model {
  return Array.from(
    { length: users },
    () => new Map(tokens.map((token) => [tokenKeyString(token), token.content])),
  );
}

/**
 * Reads a sample of users' entries and opens every value with token-crypto's keys: each must be a live credroam
 * value whose hash is the user's hash of its content, and the set must be exactly the model's (no token lost,
 * doubled or left at an old content); the user's workstation must hold the same.
 */
async function verify(
  client: Client,
  dnOf: (index: number) => string,
  users: readonly SeededUser[],
  model: Model,
  keys: KeyRepository,
  stations: readonly (Workstation | undefined)[],
  sampleSize: number,
): Promise<{ checked: number; problems: string[] }> {
  const problems: string[] = [];
  const step = sampleSize > 0 ? Math.max(1, Math.floor(users.length / sampleSize)) : users.length + 1;
  let checked = 0;
  for (let index = 0; index < users.length && checked < sampleSize; index += step, checked++) {
    const user = users[index] as SeededUser;
    const expected = model[index] as Map<string, Buffer>;
    const entry = await rawRoamingSearch(client, dnOf(index));
    const wires = ['msPKIAccountCredentials', 'msPKIDPAPIMasterKeys'].flatMap((attribute) =>
      ([] as Buffer[]).concat((entry[attribute] as Buffer | Buffer[] | undefined) ?? []),
    );
    const hashKey = keys.hashKey(user.stableId);
    const seen = new Set<string>();
    for (const wire of wires) {
      const decoded = decodeDirectoryValue(wire);
      if (!decoded.ok || decoded.value.kind !== 'token' || decoded.value.token.tombstone) {
        problems.push(`${user.uid}: a value that is not a live credroam token`);
        continue;
      }
      const { token, keyVersion, sealed } = decoded.value;
      const key = tokenKeyString(token);
      if (seen.has(key)) problems.push(`${user.uid}: ${key} twice`);
      seen.add(key);
      const storageKeys = unwrap(keys.storageKeys(keyVersion, user.stableId));
      const opened = openStoredValue(
        sealed,
        {
          stableId: user.stableId,
          type: token.type,
          id: token.id,
          keyVersion,
          hash: token.hash,
          size: token.size,
        },
        storageKeys,
      );
      wipeStorageKeys(storageKeys);
      const want = expected.get(key);
      if (!opened.ok) problems.push(`${user.uid}: ${key} does not open: ${opened.error.message}`);
      else if (!want) problems.push(`${user.uid}: ${key} is not in the model`);
      else if (!opened.value.equals(want)) problems.push(`${user.uid}: ${key} holds an old or wrong content`);
      else if (token.hash !== tokenHash(hashKey, want)) problems.push(`${user.uid}: ${key} has a wrong hash`);
    }
    for (const key of expected.keys()) if (!seen.has(key)) problems.push(`${user.uid}: ${key} is missing`);
    const station = stations[index];
    if (station) {
      const held = new Map(station.tokens().map((token) => [tokenKeyString(token.meta), token.content]));
      const same =
        held.size === expected.size &&
        [...expected].every(([key, content]) => held.get(key)?.equals(content));
      if (!same) problems.push(`${user.uid}: the workstation's store differs from the model`);
    }
    hashKey.fill(0);
  }
  return { checked, problems };
}

/** Profiles this process between start() and stop() (the timed phases), with the inspector. */
async function loadGeneratorProfiler(dir: string | null) {
  if (dir === null) return { start: async () => undefined, stop: async () => undefined };
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  return {
    start: async () => void (await session.post('Profiler.start')),
    stop: async (label: string) => {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(join(dir, `load-generator-${label}.cpuprofile`), JSON.stringify(profile));
    },
  };
}

function fmt(value: number | null, digits = 1): string {
  return value === null ? 'n/a' : value.toFixed(digits);
}

function printPhase(name: string, row: PhaseFigures): void {
  console.log(
    `\n${name}: ${row.logons} logons in ${row.seconds.toFixed(1)} s = ${row.logonsPerSec.toFixed(0)}/s ` +
      `(failed ${row.failures}); p50 ${fmt(row.p50Ms)} ms, p95 ${fmt(row.p95Ms)} ms, p99 ${fmt(row.p99Ms)} ms; ` +
      `raw ${row.rawCeiling} ceiling ${fmt(row.rawCeilingPerSec, 0)}/s, ratio ${fmt(row.ratio, 3)}`,
  );
  console.log(`  agent<->edge ${row.bytesPerLogon.toFixed(0)} bytes per logon`);
  for (const failure of row.firstFailures) console.log(`  failure: ${failure}`);
  console.log('  process'.padEnd(40) + 'CPU ms/logon'.padStart(14) + 'I/O bytes/logon'.padStart(18));
  for (const [name, cpu] of Object.entries(row.cpuSecondsPerLogon)) {
    const io = row.clusterIoBytesPerLogon[name];
    console.log(
      `  ${name}`.padEnd(40) +
        fmt(cpu === null ? null : cpu * 1000, 3).padStart(14) +
        (io === undefined ? '' : fmt(io, 0)).padStart(18),
    );
  }
}

export async function main(args: readonly string[] = []): Promise<void> {
  let options: Options | null;
  try {
    options = parseOptions(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench:storm: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
  if (options === null) {
    console.log(USAGE);
    return;
  }
  const { users: userCount, tokens: tokenCount, concurrency, replicas, phases } = options;
  const { startLocalStack } = (await import(join(process.cwd(), 'scripts/lib/local-stack.cjs'))) as {
    startLocalStack(options: LocalStackOptions): Promise<LocalStack>;
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'credroam-storm-'));
  const namespace = `credroam-storm-${randomBytes(4).toString('hex')}`;
  const loadBefore = loadavg();
  if (options.cpuProfDir) mkdirSync(options.cpuProfDir, { recursive: true });
  console.log(
    `logon storm: ${userCount} users x ${tokenCount} tokens, ${concurrency} workstations at once, ` +
      `${replicas} process(es) per service, audit on ${options.auditDb}, phases ${phases.join(', ')}; ` +
      `AMQP namespace ${namespace}, data ${dataDir}`,
  );
  let stack: LocalStack | undefined;
  let auditDatabase: ThrowawayDatabase | undefined;
  const raw: Client[] = [];
  try {
    if (options.auditDb === 'postgres') auditDatabase = await createThrowawayDatabase('credroam_storm_audit');
    // token-crypto's keys first: the seeded values are sealed under them, and the stack's token-crypto loads them.
    const keyDir = join(dataDir, 'keys', 'token-crypto');
    mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
    if (tokenCryptoCli(['generate-keys', '--dir', keyDir]) !== 0)
      throw new Error('token-crypto generate-keys failed');
    const keys = new KeyRepository(readKeyMaterial(loadTokenCryptoConfig({ CREDROAM_KEY_DIR: keyDir })));
    let clock = performance.now();
    const templates = templateTokens(tokenCount);
    const tokenBytes = templates.reduce((sum, token) => sum + token.content.length, 0);
    const seededAt = Date.now() - 3_600_000;
    const { seeded, slapdUsers } = seedUsers(keys, userCount, templates, seededAt);
    console.log(
      `sealed ${userCount * tokenCount} values (${tokenBytes} bytes of tokens per user) in ` +
        `${((performance.now() - clock) / 1000).toFixed(1)} s`,
    );
    clock = performance.now();
    // Stored credentials roam only where policy says so (off by default, as on Windows); the storm holds some.
    const policyFile = join(dataDir, 'storm-policy.json');
    writeFileSync(policyFile, `${JSON.stringify({ defaults: { roamStoredCredentials: true } })}\n`);
    const port0 = { CREDROAM_GATEWAY_HEALTH_PORT: '0', CREDROAM_POLICY_FILE: policyFile };
    const cpuProf = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
    stack = await startLocalStack({
      dataDir,
      ldapPort: 0,
      namespace,
      amqpUrl: BROKER,
      users: slapdUsers,
      services: SERVICES,
      replicas: Object.fromEntries(SERVICES.map((service) => [service, replicas])),
      nodeArgs: Object.fromEntries(SERVICES.map((service) => [service, cpuProf])),
      serviceEnv: {
        'directory-gateway': { ...port0 },
        'token-crypto': { CREDROAM_CRYPTO_HEALTH_PORT: '0' },
        'logon-events': {
          CREDROAM_LOGON_PORT: '0',
          CREDROAM_RATE_USER_BURST: NO_LIMIT,
          CREDROAM_RATE_USER_PER_SECOND: NO_LIMIT,
          CREDROAM_RATE_CLIENT_BURST: NO_LIMIT,
          CREDROAM_RATE_CLIENT_PER_SECOND: NO_LIMIT,
        },
        audit: {
          CREDROAM_AUDIT_PORT: '0',
          ...(auditDatabase ? { CREDROAM_AUDIT_DB: auditDatabase.url } : {}),
        },
      },
      brokerAccounts: false,
      log: (line) => console.log(`[stack] ${line}`),
    });
    const slapd = stack.slapd;
    if (!slapd) throw new Error('the storm needs the throwaway slapd');
    console.log(
      `stack up (slapd loaded and services ready) in ${((performance.now() - clock) / 1000).toFixed(1)} s`,
    );
    const edges = stack.services
      .filter((service) => service.name.startsWith('logon-events'))
      .map((service) => service.url);
    if (edges.some((url) => url === undefined) || edges.length === 0)
      throw new Error('logon-events has no URL');
    const meter = meterOf(stack);
    // What each process holds before any logon: the part of its peak that no load made.
    const readyRss = rssOf(meter);
    const wire = new WireCounter();
    const stationsDir = join(dataDir, 'workstations');
    const stations: (Workstation | undefined)[] = new Array(userCount);
    const model = modelOf(userCount, templates);
    const dns = new Map(slapd.users.map((user) => [user.uid, user.dn]));
    const dnOf = (index: number) => required(dns.get(`storm-${index}`));
    const results: Partial<Record<Phase, PhaseFigures>> = {};
    const profiler = await loadGeneratorProfiler(options.cpuProfDir);

    const phase = async (
      name: Phase,
      step: (index: number) => Promise<void>,
      ceiling: PhaseFigures['rawCeiling'],
    ) => {
      const wireBefore = wire.bytes;
      const before = meter.before();
      await profiler.start();
      const run = await everyUser(userCount, concurrency, step);
      await profiler.stop(name);
      results[name] = figures(run, wire.bytes - wireBefore, before, meter.before(), ceiling);
      console.log(`${name}: ${run.ops} logons, ${run.failures.length} failed, ${run.seconds.toFixed(1)} s`);
      for (const failure of run.failures.slice(0, 3)) console.log(`  failure: ${failure}`);
    };

    const firstLogon = async (index: number) => {
      const user = seeded[index] as SeededUser;
      const station = new Workstation(
        user,
        `storm-ws-${index}`,
        stationsDir,
        edges[index % edges.length] as string,
        wire,
      );
      stations[index] = station;
      const outcome = await station.firstLogon();
      if (outcome.response.downloads.length !== tokenCount)
        throw new Error(
          `first logon downloaded ${outcome.response.downloads.length} of ${tokenCount} tokens ` +
            `(${outcome.response.downloads.map((download) => download.token.type).join(', ')}); ` +
            JSON.stringify({
              rejections: outcome.response.rejections,
              conflicts: outcome.response.conflicts,
            }).slice(0, 400),
        );
    };
    if (phases.includes('firstLogon')) await phase('firstLogon', firstLogon, 'search');
    else {
      const setUp = await everyUser(userCount, concurrency, firstLogon);
      console.log(`set-up (untimed first logons): ${setUp.ops} done, ${setUp.failures.length} failed`);
      for (const failure of setUp.failures.slice(0, 3)) console.log(`  failure: ${failure}`);
    }
    if (phases.includes('steady')) {
      await phase(
        'steady',
        async (index) => {
          const outcome = await required(stations[index]).sync();
          if (outcome.response.status !== 'up-to-date')
            throw new Error(`status ${outcome.response.status}, not up-to-date`);
        },
        'search',
      );
    }
    if (phases.includes('oneChanged')) {
      // The change itself is the user's work on the workstation, made before the timed sync.
      const changed = seeded.map((_, index) => randomBytes(300 + (index % 1200)));
      const changedKeys = seeded.map((_, index) => {
        try {
          // A workstation whose first logon failed holds nothing to change: its sync below counts as failed.
          return tokenKeyString(required(stations[index]).changeOne(changed[index] as Buffer));
        } catch {
          return undefined;
        }
      });
      await phase(
        'oneChanged',
        async (index) => {
          if (changedKeys[index] === undefined)
            throw new Error('nothing changed: its first logon had failed');
          const outcome = await required(stations[index]).sync();
          if (outcome.response.status !== 'synced' || outcome.uploaded !== 1)
            throw new Error(`status ${outcome.response.status}, uploaded ${outcome.uploaded}`);
          const key = changedKeys[index];
          if (key) model[index]?.set(key, changed[index] as Buffer);
        },
        'search+modify',
      );
    }

    // The final directory state against the model, before the raw swap below overwrites entries.
    for (let index = 0; index < RAW_CONNECTIONS; index++) {
      const client = new Client({ url: slapd.url, timeout: 30_000 });
      await client.bind(slapd.serviceDn, slapd.servicePassword);
      raw.push(client);
    }
    const connection = (index: number) => required(raw[index % raw.length]);
    const verification = await verify(connection(0), dnOf, seeded, model, keys, stations, options.sample);
    console.log(
      `verified ${verification.checked} users against the model: ` +
        (verification.problems.length === 0 ? 'all correct' : `${verification.problems.length} problem(s)`),
    );
    for (const problem of verification.problems.slice(0, 10)) console.log(`  ${problem}`);

    // The raw ceilings: ldapts alone on the same slapd, same concurrency, every user once.
    const rawSearch = await everyUser(userCount, concurrency, async (index) => {
      await rawRoamingSearch(connection(index), dnOf(index));
    });
    const rawSwap = await everyUser(userCount, concurrency, async (index) => {
      await rawSearchAndSwap(connection(index), dnOf(index), 1);
    });
    const rate = (run: Run) => (run.seconds > 0 ? run.ops / run.seconds : 0);
    const ceilings = { search: rate(rawSearch), 'search+modify': rate(rawSwap) };
    for (const row of Object.values(results)) {
      row.rawCeilingPerSec = ceilings[row.rawCeiling];
      row.ratio = row.rawCeilingPerSec > 0 ? row.logonsPerSec / row.rawCeilingPerSec : null;
    }

    const peakRss = rssOf(meter);
    const loadAfter = loadavg();
    console.log(
      `\nload average before ${loadBefore.map((load) => load.toFixed(2)).join(' ')}, after ` +
        `${loadAfter.map((load) => load.toFixed(2)).join(' ')} on ${availableParallelism()} CPUs (shared machine: noisy)`,
    );
    console.log(
      `raw ldapts (${RAW_CONNECTIONS} connections, ${concurrency} at once): search ${ceilings.search.toFixed(0)}/s ` +
        `(failed ${rawSearch.failures.length}), search + CAS modify ${ceilings['search+modify'].toFixed(0)}/s ` +
        `(failed ${rawSwap.failures.length})`,
    );
    for (const name of PHASES) {
      const row = results[name];
      if (row) printPhase(name, row);
    }
    const rssLine = (rss: Record<string, number | null>) =>
      Object.entries(rss)
        .map(([name, mb]) => `${name} ${fmt(mb, 0)}`)
        .join(', ');
    console.log(`\nRSS when the stack was ready (VmHWM, MB): ${rssLine(readyRss)}`);
    console.log(`peak RSS (VmHWM, MB): ${rssLine(peakRss)}`);
    console.log(`tokens' own size per user: ${tokenBytes} bytes`);

    const report = {
      measuredAt: new Date().toISOString(),
      options: {
        users: userCount,
        tokens: tokenCount,
        concurrency,
        replicas,
        auditDb: options.auditDb,
        phases,
      },
      machine: { cpus: availableParallelism(), loadBefore, loadAfter },
      tokenBytesPerUser: tokenBytes,
      rawCeilings: {
        searchPerSec: ceilings.search,
        searchAndSwapPerSec: ceilings['search+modify'],
        connections: RAW_CONNECTIONS,
      },
      ...results,
      readyRssMb: readyRss,
      peakRssMb: peakRss,
      verification,
    };
    const resultsDir = join(process.cwd(), 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const text = `${JSON.stringify(report, null, 2)}\n`;
    writeFileSync(join(resultsDir, 'latest.json'), text);
    writeFileSync(join(resultsDir, `storm-${report.measuredAt.replace(/[:.]/g, '-')}.json`), text);
    console.log(`\nwritten to bench/results/latest.json (and a dated copy)`);
    if (options.cpuProfDir)
      console.log(`CPU profiles in ${options.cpuProfDir} (open in Chrome DevTools or speedscope)`);
  } catch (error) {
    printServiceLogTails(stack?.logDir ?? join(dataDir, 'logs'), 10);
    throw error;
  } finally {
    await Promise.all(raw.map((client) => client.unbind().catch(() => undefined)));
    await stack?.stop();
    await cleanBroker(namespace).catch((error: unknown) => console.error('broker clean-up failed:', error));
    await auditDatabase?.drop().catch((error: unknown) => console.error('database clean-up failed:', error));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface MessagingNames {
  amqpNames(namespace: string): {
    rpcQueues: Record<string, string>;
    deadLetterQueue: string;
    ingressQueue: string;
    eventsExchange: string;
    deadLetterExchange: string;
    ingressExchange: string;
    queue(name: string): string;
    retryQueue(queue: string): string;
  };
}

/**
 * Deletes the namespace's queues (the audit's own too) and exchanges, each on its own channel (a missing one closes
 * a channel). The names come from dist/'s @credroam/messaging, the copy the stack launcher loads: importing the
 * library here too would register its metrics twice in this process.
 */
async function cleanBroker(namespace: string): Promise<void> {
  const { requireFromDist } = (await import(join(process.cwd(), 'scripts/lib/run-service.cjs'))) as {
    requireFromDist(path: string): unknown;
  };
  const names = (requireFromDist('libs/messaging/src/index.js') as MessagingNames).amqpNames(namespace);
  const audit = names.queue('audit');
  const connection = await amqplib.connect(BROKER);
  try {
    const queues = [
      ...Object.values(names.rpcQueues),
      names.ingressQueue,
      names.deadLetterQueue,
      audit,
      names.retryQueue(audit),
    ];
    for (const queue of queues) {
      const channel = await connection.createChannel();
      await channel.deleteQueue(queue).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
    for (const exchange of [names.eventsExchange, names.deadLetterExchange, names.ingressExchange]) {
      const channel = await connection.createChannel();
      await channel.deleteExchange(exchange).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
  } finally {
    await connection.close();
  }
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the workstation of this user was not set up');
  return value;
}
