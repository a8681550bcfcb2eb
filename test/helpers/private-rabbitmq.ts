// A private RabbitMQ node for one suite: its own node name, ports, data and log directories in a temporary
// directory, stopped and removed at the end. With TLS files it listens only on amqps:// (no plain listener) with the
// suite's own CA; without, on plain amqp:// over loopback (the fault suites). startPrivateRabbitCluster clusters
// several such nodes (`rabbitmqctl join_cluster`). Debian's rabbitmq-server switches to the rabbitmq user when
// started as root, so the files it reads are copied into a directory that user owns, and every node shares that
// user's Erlang cookie. Needs root (as `npm test` runs); about 8 s to answer on a quiet machine.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { freePort } from '../e2e/audit/support/private-postgres';
import { waitFor } from './wait-for';

export interface PrivateRabbitMqTls {
  caFile: string;
  /** The broker's server certificate (for 127.0.0.1) and key. */
  certFile: string;
  keyFile: string;
  /** A client certificate and key the broker accepts, to probe it with when it requires one. */
  clientCertFile?: string;
  clientKeyFile?: string;
  /** Refuse clients without a certificate of the CA (ssl_options.fail_if_no_peer_cert). Default false. */
  requireClientCertificate?: boolean;
}

/** TLS files: amqps:// only. None: plain amqp:// on loopback. */
export type PrivateRabbitMqOptions = (PrivateRabbitMqTls | { caFile?: undefined }) & {
  startTimeoutMs?: number;
};

export interface PrivateRabbitMq {
  /** `amqps://guest:guest@127.0.0.1:<port>` or `amqp://…` (guest may log on over loopback). */
  url: string;
  port: number;
  node: string;
  /** `rabbitmqctl -n <node> …` as root, its output. */
  ctl(args: string[]): string;
  /** The Erlang VM's pid (for a SIGKILL), or null when it is not running. */
  pid(): number | null;
  /** SIGKILL of the Erlang VM: the node vanishes as in a power cut. */
  kill(): void;
  /** Starts the node again on the same data (after kill() or `stop`), resolves once it answers. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { env, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`,
    );
  return result.stdout;
}

/** Whether a TLS handshake with the broker completes: it is up and serving amqps://. */
function handshakes(port: number, options: PrivateRabbitMqTls): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(options.caFile),
      ...(options.clientCertFile && options.clientKeyFile
        ? { cert: readFileSync(options.clientCertFile), key: readFileSync(options.clientKeyFile) }
        : {}),
    });
    socket.setTimeout(2_000, () => socket.destroy());
    socket.once('secureConnect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

/** Whether the broker answers an AMQP protocol header with its connection.start (a frame of type 1). */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.setTimeout(2_000, () => socket.destroy());
    socket.once('connect', () => socket.write(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')));
    socket.once('data', (chunk: Buffer) => {
      socket.destroy();
      resolve(chunk[0] === 1);
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

interface NodeSpec {
  /** The node's short name (before @localhost). */
  name: string;
  options: PrivateRabbitMqOptions;
}

async function launchNode({ name, options }: NodeSpec): Promise<PrivateRabbitMq> {
  if (process.getuid?.() !== 0)
    throw new Error('a private RabbitMQ needs root (rabbitmq-server switches users)');
  const owner = { uid: Number(run('id', ['-u', 'rabbitmq'])), gid: Number(run('id', ['-g', 'rabbitmq'])) };
  const dir = mkdtempSync(join(tmpdir(), 'credroam-rabbitmq-'));
  chmodSync(dir, 0o755);
  const file = (sub: string) => join(dir, sub);
  for (const sub of ['mnesia', 'log', 'tls']) mkdirSync(file(sub));
  const [port, distPort] = [await freePort(), await freePort()];
  const node = `${name}@localhost`;
  const tlsOptions = options.caFile === undefined ? null : (options as PrivateRabbitMqTls);
  const owned = [
    dir,
    ...['mnesia', 'log', 'tls', 'rabbitmq.conf', 'enabled_plugins', 'rabbitmq-env.conf'].map(file),
  ];
  let listeners: string[];
  if (tlsOptions) {
    const tls = { ca: file('tls/ca.crt'), cert: file('tls/server.crt'), key: file('tls/server.key') };
    copyFileSync(tlsOptions.caFile, tls.ca);
    copyFileSync(tlsOptions.certFile, tls.cert);
    copyFileSync(tlsOptions.keyFile, tls.key);
    owned.push(...Object.values(tls));
    listeners = [
      // No plain listener at all: every client has to speak TLS.
      'listeners.tcp = none',
      `listeners.ssl.default = 127.0.0.1:${port}`,
      `ssl_options.cacertfile = ${tls.ca}`,
      `ssl_options.certfile = ${tls.cert}`,
      `ssl_options.keyfile = ${tls.key}`,
      'ssl_options.verify = verify_peer',
      `ssl_options.fail_if_no_peer_cert = ${tlsOptions.requireClientCertificate === true}`,
      'ssl_options.versions.1 = tlsv1.3',
      'ssl_options.versions.2 = tlsv1.2',
    ];
  } else {
    listeners = [`listeners.tcp.default = 127.0.0.1:${port}`];
  }
  writeFileSync(file('rabbitmq.conf'), [...listeners, ''].join('\n'));
  // No management plugin (it would want port 15672 of the machine's broker), epmd and distribution on loopback.
  writeFileSync(file('enabled_plugins'), '[].\n');
  writeFileSync(
    file('rabbitmq-env.conf'),
    'ERL_EPMD_ADDRESS=127.0.0.1\nexport ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"\n',
  );
  for (const path of owned) chownSync(path, owner.uid, owner.gid);

  const epmdWasRunning = spawnSync('epmd', ['-names'], { encoding: 'utf8' }).status === 0;
  const serverEnv = {
    ...process.env,
    RABBITMQ_NODENAME: node,
    RABBITMQ_CONF_ENV_FILE: file('rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: file('rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: file('enabled_plugins'),
    RABBITMQ_MNESIA_BASE: file('mnesia'),
    RABBITMQ_LOG_BASE: file('log'),
    RABBITMQ_PID_FILE: file('rabbitmq.pid'),
    RABBITMQ_DIST_PORT: String(distPort),
  };
  const ctl = (args: string[]) => run('rabbitmqctl', ['-q', '-n', node, ...args]);
  const pid = () => {
    if (!existsSync(file('rabbitmq.pid'))) return null;
    const value = Number(readFileSync(file('rabbitmq.pid'), 'utf8'));
    return Number.isInteger(value) && value > 0 ? value : null;
  };
  const kill = () => {
    const current = pid();
    if (current === null) return;
    try {
      process.kill(current, 'SIGKILL');
    } catch {
      // Gone.
    }
    rmSync(file('rabbitmq.pid'), { force: true });
  };
  const answers = async () => {
    await waitFor(() => (tlsOptions ? handshakes(port, tlsOptions) : greets(port)), {
      description: `the private RabbitMQ ${node} to answer on 127.0.0.1:${port}`,
      timeoutMs: options.startTimeoutMs ?? 90_000,
      intervalMs: 250,
    });
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      ctl(['stop']);
    } catch {
      // Not up (a failed start) or already gone: the pid file says whether anything is left to end.
      kill();
    }
    // An epmd this node started is ours to end; `-kill` refuses while other nodes are registered with it.
    if (!epmdWasRunning) spawnSync('epmd', ['-kill'], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
  };
  const start = async () => {
    run('rabbitmq-server', ['-detached'], serverEnv);
    try {
      await answers();
    } catch (error) {
      const logs = existsSync(file('log'))
        ? run('sh', ['-c', `tail -n 30 ${file('log')}/*.log 2>/dev/null || true`])
        : '';
      throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
    }
  };
  try {
    await start();
  } catch (error) {
    await stop();
    throw error;
  }
  const scheme = tlsOptions ? 'amqps' : 'amqp';
  return {
    url: `${scheme}://guest:guest@127.0.0.1:${port}`,
    port,
    node,
    ctl,
    pid,
    kill,
    restart: start,
    stop,
  };
}

export function startPrivateRabbitMq(options: PrivateRabbitMqOptions = {}): Promise<PrivateRabbitMq> {
  return launchNode({
    name: `credroam-${options.caFile ? 'tls' : 'node'}-${randomBytes(4).toString('hex')}`,
    options,
  });
}

export interface PrivateRabbitCluster {
  nodes: PrivateRabbitMq[];
  /** Every node's URL, comma-separated: what CREDROAM_AMQP_URL takes for a cluster. */
  urls: string;
  /** Seconds it took to start and cluster the nodes. */
  startSeconds: number;
  stop(): Promise<void>;
}

/**
 * `size` plain nodes clustered with `rabbitmqctl join_cluster`: the first starts alone, each other one starts,
 * stops its app, joins the first and starts its app again. Nodes start one after the other (on two cores, three
 * Erlang VMs booting at once starve each other).
 */
export async function startPrivateRabbitCluster(
  size: number,
  options: { startTimeoutMs?: number } = {},
): Promise<PrivateRabbitCluster> {
  const started = Date.now();
  const prefix = `credroam-cluster-${randomBytes(3).toString('hex')}`;
  const nodes: PrivateRabbitMq[] = [];
  const stop = async () => {
    // The last node stops first; the others then leave a cluster that has no one to wait for.
    for (const node of [...nodes].reverse()) await node.stop();
  };
  try {
    for (let index = 1; index <= size; index++) {
      const node = await launchNode({ name: `${prefix}-${index}`, options });
      nodes.push(node);
      if (index > 1) {
        node.ctl(['stop_app']);
        node.ctl(['join_cluster', nodes[0]!.node]);
        node.ctl(['start_app']);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes,
    urls: nodes.map((node) => node.url).join(','),
    startSeconds: (Date.now() - started) / 1000,
    stop,
  };
}
