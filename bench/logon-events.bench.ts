import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import amqplib, { type Channel } from 'amqplib';
import {
  AGENT_API_PATHS,
  INGRESS_PROOF_HEADERS,
  NO_FLAGS,
  unwrap,
  type CreateSessionResponse,
  type SyncResponse,
  type TokenMeta,
  type Upload,
} from '@credroam/roaming';
import { percentile, printServiceLogTails, rawRoamingSearch, rawSearchAndSwap } from '@credroam/benchmarking';
import { amqpNames, ingressQueue } from '@credroam/messaging';
import {
  createSelfSignedCertificate,
  decodePem,
  deviceKeyHash,
  openSecret,
  parseCertificate,
  sealEnvelope,
  sealLogonPassword,
  SECRET_PURPOSES,
  signDeviceProof,
  tokenHash,
  type ParsedCertificate,
} from '@credroam/sealing';

/**
 * The agent protocol end to end (logon-events over HTTP and over its AMQP ingress, directory-gateway and
 * token-crypto over RabbitMQ, one throwaway slapd): logons per second and syncs per second (nothing changed; one
 * certificate uploaded per sync) with N simulated workstations, next to what ldapts alone gets from the same slapd
 * at the same concurrency.
 * Starts its own stack (scripts/lib/local-stack.cjs) on a unique AMQP namespace and free ports, so it runs beside
 * `npm start` or the suites. Run: npm run bench logon.
 */
const WORKSTATIONS = Number(process.env.BENCH_WORKSTATIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const BROKER = process.env.CREDROAM_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const RAW_CONNECTIONS = 4;
const NO_LIMIT = '100000';

interface StackUser {
  uid: string;
  password: string;
  dn: string;
}

interface LocalStack {
  slapd: { url: string; serviceDn: string; servicePassword: string; users: StackUser[] };
  services: { name: string; pid: number; url?: string }[];
  logDir: string;
  stop(): Promise<void>;
}

interface LocalStackModule {
  startLocalStack(options: {
    dataDir: string;
    ldapPort: number;
    namespace: string;
    amqpUrl: string;
    users: { uid: string; password: string; roaming?: boolean }[];
    services: string[];
    serviceEnv: Record<string, Record<string, string>>;
    brokerAccounts: boolean;
    log: (line: string) => void;
  }): Promise<LocalStack>;
}

interface Figures {
  label: string;
  ops: number;
  failures: number;
  seconds: number;
  latencies: number[];
}

/** One step of one workstation: resolves to the latency to record (only the request, not the agent's own work). */
type Step = () => Promise<{ ms: number; ok: boolean }>;

async function measure(label: string, worker: (index: number) => Step): Promise<Figures> {
  const latencies: number[] = [];
  let failures = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WORKSTATIONS }, async (_, index) => {
      const step = worker(index);
      while (performance.now() < deadline) {
        const { ms, ok } = await step();
        if (ok) latencies.push(ms);
        else failures++;
      }
    }),
  );
  return { label, ops: latencies.length, failures, seconds: (performance.now() - started) / 1000, latencies };
}

/** Times one request. */
async function timed<T>(request: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const begin = performance.now();
  const value = await request();
  return { ms: performance.now() - begin, value };
}

function required<T>(value: T | undefined | null): T {
  if (value === undefined || value === null) throw new Error('benchmark set-up is inconsistent');
  return value;
}

function rate(row: Figures | undefined): number {
  return row && row.seconds > 0 ? row.ops / row.seconds : 0;
}

function report(rows: Figures[], loadBefore: number[]): void {
  console.log(`${WORKSTATIONS} workstations (one user each), ${SECONDS} s per measurement`);
  console.log(
    `load average before the run ${loadBefore.map((load) => load.toFixed(2)).join(' ')} on this machine's ` +
      `${availableParallelism()} CPUs (anything else running shares them)`,
  );
  console.log(
    'measurement'.padEnd(48) +
      'ops/s'.padStart(9) +
      'p50 ms'.padStart(9) +
      'p95 ms'.padStart(9) +
      'p99 ms'.padStart(9) +
      'failed'.padStart(8),
  );
  for (const row of rows) {
    const sorted = [...row.latencies].sort((a, b) => a - b);
    console.log(
      row.label.padEnd(48) +
        rate(row).toFixed(0).padStart(9) +
        percentile(sorted, 50).toFixed(1).padStart(9) +
        percentile(sorted, 95).toFixed(1).padStart(9) +
        percentile(sorted, 99).toFixed(1).padStart(9) +
        String(row.failures).padStart(8),
    );
  }
}

async function post(
  url: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : {} };
}

/**
 * The agent side of the AMQP ingress for many workstations at once: one channel, answers on direct reply-to
 * matched by correlation id.
 */
class IngressRequester {
  private readonly waiting = new Map<string, (reply: { ok: boolean; value?: unknown }) => void>();

  private constructor(
    private readonly channel: Channel,
    private readonly queue: string,
  ) {}

  static async open(channel: Channel, namespace: string): Promise<IngressRequester> {
    const requester = new IngressRequester(channel, ingressQueue(namespace));
    await channel.consume(
      'amq.rabbitmq.reply-to',
      (message) => {
        const id = message?.properties.correlationId as string | undefined;
        const resolve = id === undefined ? undefined : requester.waiting.get(id);
        if (!message || !resolve || id === undefined) return;
        requester.waiting.delete(id);
        resolve(JSON.parse(message.content.toString('utf8')) as { ok: boolean; value?: unknown });
      },
      { noAck: true },
    );
    return requester;
  }

  ask(content: Buffer, headers?: Record<string, string>): Promise<{ ok: boolean; value?: unknown }> {
    const correlationId = randomUUID();
    return new Promise((resolve) => {
      this.waiting.set(correlationId, resolve);
      this.channel.sendToQueue(this.queue, content, {
        replyTo: 'amq.rabbitmq.reply-to',
        correlationId,
        ...(headers ? { headers } : {}),
      });
    });
  }
}

/** A simulated workstation: its device key, its user, its session and what its state file would hold. */
class Workstation {
  readonly machine: string;
  readonly devicePublicKey: string;
  private readonly devicePrivateKey: KeyObject;
  session: CreateSessionResponse | undefined;
  hashKey: Buffer | undefined;
  transport: ParsedCertificate | undefined;
  stamp: string | null = null;
  base: SyncResponse['base'] | null = null;
  tokens: TokenMeta[] = [];
  private readonly certificateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

  constructor(
    index: number,
    readonly user: StackUser,
  ) {
    this.machine = `bench-ws-${index}`;
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.devicePublicKey = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    this.devicePrivateKey = privateKey;
  }

  logonBody(): Record<string, string> {
    return {
      user: this.user.uid,
      password: this.user.password,
      machine: this.machine,
      devicePublicKey: this.devicePublicKey,
      agentVersion: '0.1.0',
    };
  }

  /** What the agent does with a new session: open the hash key with the device key, read the transport certificate. */
  adopt(session: CreateSessionResponse): void {
    this.session = session;
    this.hashKey = unwrap(
      openSecret(SECRET_PURPOSES.hashKey, Buffer.from(session.hashKeyEnvelope, 'base64'), [
        { privateKey: this.devicePrivateKey },
      ]),
    );
    this.transport = unwrap(
      parseCertificate(required(unwrap(decodePem(session.transportCertificatePem))[0]).der),
    );
  }

  /** A fresh certificate in the local store: hashed with the user's hash key, sealed to the transport certificate. */
  freshCertificate(): { token: TokenMeta; upload: Upload } {
    const modifiedAt = Date.now() - 1000;
    const certificate = unwrap(
      createSelfSignedCertificate(this.certificateKey, {
        commonName: `roamed ${randomBytes(6).toString('hex')}`,
        notBefore: new Date(modifiedAt - 86_400_000),
        notAfter: new Date(modifiedAt + 365 * 86_400_000),
      }),
    );
    const token: TokenMeta = {
      type: 'certificate',
      id: certificate.thumbprint,
      hash: tokenHash(required(this.hashKey), certificate.der),
      modifiedAt,
      size: certificate.der.length,
      flags: { ...NO_FLAGS },
    };
    const envelope = unwrap(sealEnvelope(certificate.der, [{ certificate: required(this.transport) }]));
    return { token, upload: { type: token.type, id: token.id, envelope: envelope.toString('base64') } };
  }

  syncBody(tokens: TokenMeta[], uploads: Upload[]): Record<string, unknown> {
    return {
      trigger: uploads.length > 0 ? 'store-change' : 'unlock',
      machine: this.machine,
      lastStamp: this.stamp,
      baseStatus: this.base ? 'kept' : 'first-use',
      manifest: { tokens, base: this.base },
      uploads,
    };
  }

  /** create-session over AMQP: the password sealed to the transport certificate, bound to login, key and time. */
  amqpLogonMessage(): Buffer {
    const binding = {
      login: this.user.uid,
      deviceKeyHash: deviceKeyHash(this.devicePublicKey),
      issuedAt: Date.now(),
    };
    const password = Buffer.from(this.user.password, 'utf8');
    const sealed = unwrap(sealLogonPassword(binding, password, [{ certificate: required(this.transport) }]));
    const body = { ...this.logonBody(), sealedPassword: sealed.toString('base64') } as Record<string, string>;
    delete body.password;
    return Buffer.from(JSON.stringify({ kind: 'create-session', body }));
  }

  /** A sync over AMQP: the message and its device proof headers. */
  amqpSync(sessionToken: string, body: Record<string, unknown>): [Buffer, Record<string, string>] {
    const content = Buffer.from(JSON.stringify({ kind: 'sync', sessionToken, body }));
    const issuedAt = Date.now();
    return [
      content,
      {
        [INGRESS_PROOF_HEADERS.issuedAt]: String(issuedAt),
        [INGRESS_PROOF_HEADERS.signature]: signDeviceProof(this.devicePrivateKey, issuedAt, content),
      },
    ];
  }

  /** Takes what the agent keeps from a sync answer; false when it was not the expected outcome. */
  settle(status: number, body: unknown, expected: SyncResponse['status'], tokens: TokenMeta[]): boolean {
    if (status !== 200) return false;
    const answer = body as SyncResponse;
    this.stamp = answer.stamp;
    this.base = answer.base;
    this.tokens = tokens;
    return answer.status === expected && answer.rejections.length === 0 && answer.conflicts.length === 0;
  }
}

/** Deletes the namespace's queues and exchanges, each on its own channel (a missing one closes a channel). */
async function cleanBroker(namespace: string): Promise<void> {
  const names = amqpNames(namespace);
  const ingress = ingressQueue(namespace);
  const connection = await amqplib.connect(BROKER);
  try {
    const queues = [...Object.values(names.rpcQueues), ingress, names.deadLetterQueue];
    const exchanges = [names.eventsExchange, names.deadLetterExchange, names.ingressExchange];
    for (const queue of queues) {
      const channel = await connection.createChannel();
      await channel.deleteQueue(queue).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
    for (const exchange of exchanges) {
      const channel = await connection.createChannel();
      await channel.deleteExchange(exchange).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
  } finally {
    await connection.close();
  }
}

export async function main(): Promise<void> {
  const launcher = (await import(join(process.cwd(), 'scripts/lib/local-stack.cjs'))) as LocalStackModule;
  const dataDir = mkdtempSync(join(tmpdir(), 'credroam-bench-logon-'));
  const namespace = `credroam-bench-${randomBytes(4).toString('hex')}`;
  let stack: LocalStack | undefined;
  const raw: Client[] = [];
  const loadBefore = loadavg();
  console.log(`AMQP namespace ${namespace}, data ${dataDir}`);
  try {
    stack = await launcher.startLocalStack({
      dataDir,
      ldapPort: 0,
      namespace,
      amqpUrl: BROKER,
      users: Array.from({ length: WORKSTATIONS }, (_, index) => ({
        uid: `bench-${index}`,
        password: `bench-${index}-pass`,
        roaming: true,
      })),
      // audit is left out: it only consumes the events, and its queue would compete for the same two CPUs.
      services: ['directory-gateway', 'token-crypto', 'logon-events'],
      serviceEnv: {
        // Beside a running local stack: any free ports.
        'directory-gateway': { CREDROAM_GATEWAY_HEALTH_PORT: '0' },
        'token-crypto': { CREDROAM_CRYPTO_HEALTH_PORT: '0' },
        'logon-events': {
          CREDROAM_LOGON_PORT: '0',
          CREDROAM_RATE_USER_BURST: NO_LIMIT,
          CREDROAM_RATE_USER_PER_SECOND: NO_LIMIT,
          CREDROAM_RATE_CLIENT_BURST: NO_LIMIT,
          CREDROAM_RATE_CLIENT_PER_SECOND: NO_LIMIT,
        },
      },
      // The bench's own namespace on the shared vhost, removed by name afterwards.
      brokerAccounts: false,
      log: (line) => console.log(`[stack] ${line}`),
    });
    const { slapd } = stack;
    const url = required(stack.services.find((service) => service.name === 'logon-events')?.url);
    const stations = slapd.users.map((user, index) => new Workstation(index, user));
    const station = (index: number) => required(stations[index]);
    const results: Figures[] = [];

    // The raw ceiling: what ldapts alone gets from the same slapd (the gateway's pool is 4 connections too).
    for (let index = 0; index < RAW_CONNECTIONS; index++) {
      const client = new Client({ url: slapd.url, timeout: 10_000 });
      await client.bind(slapd.serviceDn, slapd.servicePassword);
      raw.push(client);
    }
    const dnOf = (index: number) => required(slapd.users[index]).dn;
    const connection = (index: number) => required(raw[index % raw.length]);
    const search = (index: number) => rawRoamingSearch(connection(index), dnOf(index));

    // Logon: POST /v1/sessions (password check, user and policy lookup, hash key sealed to the device key).
    results.push(
      await measure('logon  POST /v1/sessions', (index) => async () => {
        const ws = station(index);
        const { ms, value } = await timed(() => post(url, AGENT_API_PATHS.sessions, ws.logonBody()));
        if (value.status === 201) ws.adopt(value.body as CreateSessionResponse);
        return { ms, ok: value.status === 201 };
      }),
    );

    // Every workstation's first sync (no base) uploads one certificate: the user then has a roaming entry, and
    // the workstation a stamp and a base, as after any real first logon with something to roam.
    await Promise.all(
      stations.map(async (ws) => {
        const { token, upload } = ws.freshCertificate();
        const body = ws.syncBody([token], [upload]);
        const answer = await post(url, AGENT_API_PATHS.sync, body, ws.session?.sessionToken);
        if (!ws.settle(answer.status, answer.body, 'synced', [token])) {
          throw new Error(
            `first sync of ${ws.machine} failed: ${answer.status} ${JSON.stringify(answer.body)}`,
          );
        }
      }),
    );

    results.push(
      await measure('sync   nothing changed (fast path)', (index) => async () => {
        const ws = station(index);
        const body = ws.syncBody(ws.tokens, []);
        const token = required(ws.session).sessionToken;
        const { ms, value } = await timed(() => post(url, AGENT_API_PATHS.sync, body, token));
        return { ms, ok: ws.settle(value.status, value.body, 'up-to-date', ws.tokens) };
      }),
    );

    // The raw ceiling on the same entries as the fast path (one certificate per user).
    results.push(
      await measure(`raw ldapts search, 1 token/user (${RAW_CONNECTIONS} conn.)`, (index) => async () => {
        const { ms } = await timed(() => search(index));
        return { ms, ok: true };
      }),
    );
    // The same logon and fast path over the AMQP ingress: a sealed, bound password (one more RPC, token-crypto
    // re-seals it) and a signed sync (the device proof is checked in logon-events, no crypto call).
    const amqp = await amqplib.connect(BROKER);
    try {
      const ingress = await IngressRequester.open(await amqp.createChannel(), namespace);
      const amqpSessions = new Map<number, string>();
      results.push(
        await measure('logon  AMQP ingress (sealed password)', (index) => async () => {
          const ws = station(index);
          const { ms, value } = await timed(() => ingress.ask(ws.amqpLogonMessage()));
          if (value.ok) amqpSessions.set(index, (value.value as CreateSessionResponse).sessionToken);
          return { ms, ok: value.ok };
        }),
      );
      results.push(
        await measure('sync   nothing changed, AMQP ingress (signed)', (index) => async () => {
          const ws = station(index);
          const [content, headers] = ws.amqpSync(
            required(amqpSessions.get(index)),
            ws.syncBody(ws.tokens, []),
          );
          const { ms, value } = await timed(() => ingress.ask(content, headers));
          return { ms, ok: ws.settle(value.ok ? 200 : 500, value.value, 'up-to-date', ws.tokens) };
        }),
      );
    } finally {
      await amqp.close().catch(() => undefined);
    }
    results.push(
      await measure('sync   one certificate uploaded', (index) => async () => {
        const ws = station(index);
        const { token: added, upload } = ws.freshCertificate();
        const tokens = [...ws.tokens, added];
        const body = ws.syncBody(tokens, [upload]);
        const session = required(ws.session).sessionToken;
        const { ms, value } = await timed(() => post(url, AGENT_API_PATHS.sync, body, session));
        const ok = ws.settle(value.status, value.body, 'synced', tokens);
        if (!ok) {
          // Start over from the directory's state next time rather than repeat a bad base.
          ws.stamp = null;
          ws.base = null;
        }
        return { ms, ok };
      }),
    );
    const tokenCounts = stations.map((ws) => ws.tokens.length);

    // The same search on the entries the upload run grew (every uploaded certificate stays).
    results.push(
      await measure('raw ldapts search, entries as uploads left them', (index) => async () => {
        const { ms } = await timed(() => search(index));
        return { ms, ok: true };
      }),
    );

    results.push(
      await measure(`raw ldapts search + CAS modify (${RAW_CONNECTIONS} conn.)*`, (index) => {
        let round = 0;
        return async () => {
          const { ms } = await timed(async () => {
            await rawSearchAndSwap(connection(index), dnOf(index), ++round);
          });
          return { ms, ok: true };
        };
      }),
    );

    report(results, loadBefore);
    const [logon, fast, rawRead, amqpLogon, amqpFast, upload, , rawWrite] = results.map(rate);
    const ratio = (a = 0, b = 0) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
    console.log(
      `ratio to raw ldapts: fast-path sync / search ${ratio(fast, rawRead)}, ` +
        `upload sync / search+modify ${ratio(upload, rawWrite)}, logon / search ${ratio(logon, rawRead)}`,
    );
    console.log(
      `AMQP ingress / HTTP: logon ${ratio(amqpLogon, logon)}, fast-path sync ${ratio(amqpFast, fast)}`,
    );
    console.log(
      '* each modify replaces the stamp and every msPKIAccountCredentials value with one new value, so its ' +
        'entries stay at one value; the gateway adds the new value beside the others',
    );
    console.log(
      `tokens per user after the upload run: min ${Math.min(...tokenCounts)}, max ${Math.max(...tokenCounts)} ` +
        '(each upload sync lists every earlier one in its manifest)',
    );
    console.log(
      'one machine runs everything: slapd (mdb, dbnosync), RabbitMQ, the three services as one process each ' +
        '(gateway LDAP pool of 4) and this load generator; latencies time the HTTP request only',
    );
  } catch (error) {
    // The data directory goes away below: keep what the services said.
    printServiceLogTails(join(dataDir, 'logs'));
    throw error;
  } finally {
    await Promise.all(raw.map((client) => client.unbind().catch(() => undefined)));
    await stack?.stop();
    await cleanBroker(namespace).catch((error: unknown) => console.error('broker clean-up failed:', error));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
