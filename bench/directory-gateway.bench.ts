import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'ldapts';
import amqplib from 'amqplib';
import { NO_FLAGS, type DirectoryAddition } from '@credroam/roaming';
import { rawRoamingSearch, rawSearchAndSwap, percentile } from '@credroam/benchmarking';
import { GRANT_ENV, generateGrantKeyPair, GrantIssuer, parseGrantSigningKey } from '@credroam/grants';
import { amqpConfig, amqpNames, RpcClient } from '@credroam/messaging';
import type * as SlapdLauncher from '../scripts/lib/slapd.cjs';

/**
 * The gateway's RPC round trip (read-state; read-state + apply-changes) next to what ldapts alone gets from the
 * same slapd at the same concurrency (a search; a search + compare-and-swap modify). Run: npm run bench gateway.
 */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const BROKER = process.env.CREDROAM_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

interface Figures {
  label: string;
  ops: number;
  seconds: number;
  latencies: number[];
}

async function measure(label: string, worker: (index: number) => () => Promise<void>): Promise<Figures> {
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, index) => {
      const step = worker(index);
      while (performance.now() < deadline) {
        const begin = performance.now();
        await step();
        latencies.push(performance.now() - begin);
      }
    }),
  );
  return { label, ops: latencies.length, seconds: (performance.now() - started) / 1000, latencies };
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('benchmark set-up is inconsistent');
  return value;
}

function report(rows: Figures[]): void {
  console.log(`concurrency ${CONCURRENCY}, ${SECONDS} s per measurement`);
  console.log(
    'measurement'.padEnd(42) + 'ops/s'.padStart(10) + 'p50 ms'.padStart(10) + 'p95 ms'.padStart(10),
  );
  for (const row of rows) {
    const sorted = [...row.latencies].sort((a, b) => a - b);
    console.log(
      row.label.padEnd(42) +
        (row.ops / row.seconds).toFixed(0).padStart(10) +
        percentile(sorted, 50).toFixed(2).padStart(10) +
        percentile(sorted, 95).toFixed(2).padStart(10),
    );
  }
}

function addition(index: number, round: number): DirectoryAddition {
  return {
    token: {
      type: 'certificate',
      id: randomBytes(20).toString('hex').toUpperCase(),
      modifiedAt: Date.now(),
      hash: randomBytes(32).toString('hex'),
      size: 1500,
      flags: { ...NO_FLAGS },
      tombstone: false,
    },
    keyVersion: 1,
    sealed: randomBytes(1800 + ((index + round) % 7)).toString('base64'),
  };
}

async function startGateway(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [join(process.cwd(), 'scripts/lib/run-service.cjs'), 'directory-gateway'],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the gateway did not start'));
    }, 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('directory-gateway ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the gateway exited with ${code}`)));
  });
  // Settle once ready: from here on its output only matters to the operator.
  child.stdout?.resume();
  return child;
}

export async function main(): Promise<void> {
  const launcher = (await import(join(process.cwd(), 'scripts/lib/slapd.cjs'))) as typeof SlapdLauncher;
  const users = Array.from({ length: CONCURRENCY }, (_, index) => ({
    uid: `bench-${index}`,
    password: `bench-${index}-pass`,
    roaming: true,
  }));
  const slapd = await launcher.startSlapd({ users });
  const namespace = `credroam-bench-${randomBytes(4).toString('hex')}`;
  // The bench plays logon-events: it signs the grant each write needs, as logon-events does after a logon.
  const grantKeys = generateGrantKeyPair();
  const grants = new GrantIssuer(parseGrantSigningKey(grantKeys.signingKeyPem), { lifetimeSeconds: 60 });
  const grantPublicKeys = join(slapd.dir, 'grant-public.pem');
  writeFileSync(grantPublicKeys, grantKeys.publicKeyPem);
  const gateway = await startGateway({
    [GRANT_ENV.publicKeysFile]: grantPublicKeys,
    CREDROAM_LDAP_URL: slapd.url,
    CREDROAM_LDAP_BIND_DN: slapd.serviceDn,
    CREDROAM_LDAP_BIND_PASSWORD: slapd.servicePassword,
    CREDROAM_LDAP_BASE_DN: slapd.suffix,
    CREDROAM_AMQP_URL: BROKER,
    CREDROAM_AMQP_NAMESPACE: namespace,
  });
  const config = amqpConfig({ url: BROKER, namespace });
  const rpc = new RpcClient(config, 'directory-gateway');
  await rpc.connect();
  const raw = await Promise.all(
    Array.from({ length: 4 }, async () => {
      const client = new Client({ url: slapd.url, timeout: 10_000 });
      await client.bind(slapd.serviceDn, slapd.servicePassword);
      return client;
    }),
  );
  const dnOf = (index: number) => required(slapd.users[index]).dn;
  const connection = (index: number) => required(raw[index % raw.length]);
  const call = rpc.call.bind(rpc);
  try {
    const results: Figures[] = [];
    results.push(
      await measure('gateway RPC read-state', (index) => async () => {
        await call('directory.read-state', { userDn: dnOf(index) }, { correlationId: randomUUID() });
      }),
    );
    results.push(
      await measure('gateway RPC read-state + apply-changes', (index) => {
        let round = 0;
        let previous: string | null = null;
        return async () => {
          const { stamp, state } = await call(
            'directory.read-state',
            { userDn: dnOf(index) },
            { correlationId: randomUUID() },
          );
          previous = state.entries[0]?.ref ?? null;
          await call(
            'directory.apply-changes',
            {
              userDn: dnOf(index),
              expectedStamp: stamp,
              add: [addition(index, round++)],
              remove: previous ? [previous] : [],
              purgeWatermark: 0,
            },
            {
              correlationId: randomUUID(),
              grant: (payload) =>
                grants.issue('directory.apply-changes', payload, {
                  login: `bench-${index}`,
                  stableId: null,
                  dn: dnOf(index),
                  devicePublicKey: null,
                }),
            },
          );
        };
      }),
    );
    const search = (index: number) => rawRoamingSearch(connection(index), dnOf(index));
    results.push(
      await measure('raw ldapts search (4 connections)', (index) => async () => void (await search(index))),
    );
    results.push(
      await measure('raw ldapts search + CAS modify (4 connections)', (index) => {
        let round = 0;
        return async () => {
          await rawSearchAndSwap(connection(index), dnOf(index), ++round);
        };
      }),
    );
    report(results);
    const [gatewayRead, gatewayWrite, rawRead, rawWrite] = results.map((row) => row.ops / row.seconds);
    console.log(
      `ratio gateway/raw: read ${((gatewayRead ?? 0) / (rawRead ?? 1)).toFixed(2)}, write ${((gatewayWrite ?? 0) / (rawWrite ?? 1)).toFixed(2)}`,
    );
    console.log(
      'slapd: throwaway, mdb with dbnosync; gateway: one process, LDAP pool of 4; broker: the local RabbitMQ',
    );
  } finally {
    await rpc.close();
    await Promise.all(raw.map((client) => client.unbind()));
    gateway.kill('SIGTERM');
    const connection = await amqplib.connect(BROKER);
    const channel = await connection.createChannel();
    await channel.deleteQueue(amqpNames(namespace).rpcQueues['directory-gateway']);
    await connection.close();
    await slapd.stop();
  }
}
