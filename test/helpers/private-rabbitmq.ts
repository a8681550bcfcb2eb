// A private RabbitMQ node for one suite, listening only on amqps:// (no plain listener) with the suite's own CA:
// its own node name, ports, data and log directories in a temporary directory, stopped and removed at the end.
// Debian's rabbitmq-server switches to the rabbitmq user when started as root, so the files it reads are copied
// into a directory that user owns. Needs root (as `npm test` runs); about 8 s to answer on a quiet machine.
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
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { freePort } from '../e2e/audit/support/private-postgres';
import { waitFor } from './wait-for';

export interface PrivateRabbitMqOptions {
  caFile: string;
  /** The broker's server certificate (for 127.0.0.1) and key. */
  certFile: string;
  keyFile: string;
  /** A client certificate and key the broker accepts, to probe it with when it requires one. */
  clientCertFile?: string;
  clientKeyFile?: string;
  /** Refuse clients without a certificate of the CA (ssl_options.fail_if_no_peer_cert). Default false. */
  requireClientCertificate?: boolean;
  startTimeoutMs?: number;
}

export interface PrivateRabbitMq {
  /** `amqps://guest:guest@127.0.0.1:<port>` (guest may log on over loopback). */
  url: string;
  port: number;
  node: string;
  /** `rabbitmqctl -n <node> …` as root, its output. */
  ctl(args: string[]): string;
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
function handshakes(port: number, options: PrivateRabbitMqOptions): Promise<boolean> {
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

export async function startPrivateRabbitMq(options: PrivateRabbitMqOptions): Promise<PrivateRabbitMq> {
  if (process.getuid?.() !== 0)
    throw new Error('a private RabbitMQ needs root (rabbitmq-server switches users)');
  const owner = { uid: Number(run('id', ['-u', 'rabbitmq'])), gid: Number(run('id', ['-g', 'rabbitmq'])) };
  const dir = mkdtempSync(join(tmpdir(), 'credroam-rabbitmq-'));
  chmodSync(dir, 0o755);
  const file = (name: string) => join(dir, name);
  for (const sub of ['mnesia', 'log', 'tls']) mkdirSync(file(sub));
  const tls = { ca: file('tls/ca.crt'), cert: file('tls/server.crt'), key: file('tls/server.key') };
  copyFileSync(options.caFile, tls.ca);
  copyFileSync(options.certFile, tls.cert);
  copyFileSync(options.keyFile, tls.key);
  const [port, distPort] = [await freePort(), await freePort()];
  const node = `credroam-tls-${randomBytes(4).toString('hex')}@localhost`;
  writeFileSync(
    file('rabbitmq.conf'),
    [
      // No plain listener at all: every client has to speak TLS.
      'listeners.tcp = none',
      `listeners.ssl.default = 127.0.0.1:${port}`,
      `ssl_options.cacertfile = ${tls.ca}`,
      `ssl_options.certfile = ${tls.cert}`,
      `ssl_options.keyfile = ${tls.key}`,
      'ssl_options.verify = verify_peer',
      `ssl_options.fail_if_no_peer_cert = ${options.requireClientCertificate === true}`,
      'ssl_options.versions.1 = tlsv1.3',
      'ssl_options.versions.2 = tlsv1.2',
      '',
    ].join('\n'),
  );
  // No management plugin (it would want port 15672 of the machine's broker), epmd and distribution on loopback.
  writeFileSync(file('enabled_plugins'), '[].\n');
  writeFileSync(
    file('rabbitmq-env.conf'),
    'ERL_EPMD_ADDRESS=127.0.0.1\nexport ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"\n',
  );
  for (const path of [
    dir,
    ...['mnesia', 'log', 'tls', 'rabbitmq.conf', 'enabled_plugins', 'rabbitmq-env.conf'].map(file),
    ...Object.values(tls),
  ])
    chownSync(path, owner.uid, owner.gid);

  const epmdWasRunning = spawnSync('epmd', ['-names'], { encoding: 'utf8' }).status === 0;
  run('rabbitmq-server', ['-detached'], {
    ...process.env,
    RABBITMQ_NODENAME: node,
    RABBITMQ_CONF_ENV_FILE: file('rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: file('rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: file('enabled_plugins'),
    RABBITMQ_MNESIA_BASE: file('mnesia'),
    RABBITMQ_LOG_BASE: file('log'),
    RABBITMQ_PID_FILE: file('rabbitmq.pid'),
    RABBITMQ_DIST_PORT: String(distPort),
  });

  const ctl = (args: string[]) => run('rabbitmqctl', ['-q', '-n', node, ...args]);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      ctl(['stop']);
    } catch {
      // Not up (a failed start) or already gone: the pid file says whether anything is left to end.
      const pid = existsSync(file('rabbitmq.pid')) ? Number(readFileSync(file('rabbitmq.pid'), 'utf8')) : NaN;
      if (Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone.
        }
      }
    }
    // An epmd this node started is ours to end; `-kill` refuses while other nodes are registered with it.
    if (!epmdWasRunning) spawnSync('epmd', ['-kill'], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => handshakes(port, options), {
      description: `the private RabbitMQ ${node} to answer on amqps://127.0.0.1:${port}`,
      timeoutMs: options.startTimeoutMs ?? 60_000,
      intervalMs: 250,
    });
  } catch (error) {
    const logs = existsSync(file('log'))
      ? run('sh', ['-c', `tail -n 30 ${file('log')}/*.log 2>/dev/null || true`])
      : '';
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
  }
  return { url: `amqps://guest:guest@127.0.0.1:${port}`, port, node, ctl, stop };
}
