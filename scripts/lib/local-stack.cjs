'use strict';
// The local stack of `npm start` (and of end-to-end suites that want the same thing): a throwaway slapd with the
// demo users, the RabbitMQ on this machine, and each built service as its own process, on DESIGN.md section 11's
// defaults. Keys for first use are generated into the stack's data directory: token-crypto's, the grant key pair
// (logon-events signs, the gateway and token-crypto verify), and the broker accounts' passwords.
const { spawn, spawnSync } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const { createWriteStream, existsSync, mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { ensureSlapdInstalled, startSlapd, DEMO_USERS } = require('./slapd.cjs');
const { startSambaAd } = require('./samba-ad.cjs');
const { ensureRabbitMq } = require('./infrastructure.cjs');
const { dist, requireFromDist, SERVICE_NODE_FLAGS } = require('./run-service.cjs');
const { ServiceSupervisor } = require('./service-supervisor.cjs');

const root = join(__dirname, '..', '..');
const runService = join(__dirname, 'run-service.cjs');

function secretFile(dir, name, make) {
  const file = join(dir, name);
  if (!existsSync(file)) writeFileSync(file, make(), { mode: 0o600 });
  return file;
}

/** The grant key pair of the installation: logon-events gets the signing key, the others the public key. */
function grantKeyFiles(keyDir) {
  const signing = join(keyDir, 'grant-signing.pem');
  const publicKeys = join(keyDir, 'grant-public.pem');
  if (!existsSync(signing) || !existsSync(publicKeys)) {
    const { generateGrantKeyPair } = requireFromDist('libs/grants/src/grant-keys.js');
    const pair = generateGrantKeyPair();
    writeFileSync(signing, pair.signingKeyPem, { mode: 0o600 });
    writeFileSync(publicKeys, pair.publicKeyPem);
  }
  return { signing, publicKeys };
}

/**
 * Each service, the hooks and the operators get their own broker user in a vhost of the stack's own (named as the
 * namespace), with permissions limited to their own names. Without the broker's CLI (not root, a remote broker)
 * every service falls back to `amqpUrl`, with a warning.
 */
async function brokerAccounts(keyDir, namespace, amqpUrl, log) {
  const { BrokerPasswordsRepository } = requireFromDist(
    'apps/admin/src/broker/broker-passwords.repository.js',
  );
  const { provisionBrokerAccounts } = requireFromDist('apps/admin/src/broker/broker-provisioner.js');
  const admin = decodeURIComponent(new URL(amqpUrl).username);
  try {
    const passwords = new BrokerPasswordsRepository(join(keyDir, 'broker')).readOrCreate();
    const provisioned = await provisionBrokerAccounts({
      namespace,
      vhost: namespace,
      passwords,
      admins: [admin],
    });
    log(`broker: vhost ${namespace}, an account per service (passwords in ${join(keyDir, 'broker')})`);
    return (account) => provisioned.url(account, amqpUrl);
  } catch (error) {
    log(`WARNING: broker accounts not created (${error.message}); every service uses ${redacted(amqpUrl)}`);
    return () => amqpUrl;
  }
}

function redacted(url) {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function startProcess(name, env, logDir, readyLine, nodeArgs = [], timeoutMs = 30_000) {
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(
    process.execPath,
    [...SERVICE_NODE_FLAGS, ...nodeArgs, runService, name.replace(/#\d+$/, '')],
    {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`${name} did not become ready within ${timeoutMs / 1000} s; see ${log.path}`)),
      timeoutMs,
    );
    child.stdout.on('data', (chunk) => {
      seen = (seen + chunk.toString()).slice(-10_000);
      if (readyLine.test(seen)) {
        clearTimeout(timer);
        // The ready line's "url" (logon-events, audit), e.g. when the port was 0.
        const url = /"url":"(https?:\/\/[^"]+)"/.exec(seen)?.[1];
        resolve(url ? Object.assign(child, { readyUrl: url }) : child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} while starting; see ${log.path}`));
    });
  });
}

/**
 * What comes before startLocalStack on a fresh clone (`npm start`, `npm run demo`): dependencies installed, slapd
 * installed, and, unless `build` is false, a fresh build. Each step's output goes to the terminal; throws on failure.
 */
function prepareLocalStack({ log = console.log, build = true } = {}) {
  const step = (label, command, args) => {
    log(label);
    const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`${label} failed (exit ${result.status})`);
  };
  if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
    // libkrb5-dev before npm ci, which builds the optional `kerberos` addon only where its headers are.
    require('./infrastructure.cjs').ensureBuildPackages(log);
    step('installing dependencies (npm ci)', 'npm', ['ci']);
  }
  ensureSlapdInstalled();
  if (build) step('building', 'npm', ['run', '--silent', 'build']);
}

/** The URL a started service reported in its ready line, else its default (DESIGN.md section 11). */
function serviceUrl(stack, name) {
  const defaults = { 'logon-events': 'http://127.0.0.1:8440', audit: 'http://127.0.0.1:8441' };
  return stack.services.find((service) => service.name === name)?.url ?? defaults[name];
}

/**
 * Starts the stack; returns what it started and a stop(). `services` limits which services start (default:
 * every service that is built). A second stack beside another (a benchmark) passes its own `dataDir`,
 * `namespace`, `ldapPort: 0` (any free port) and ports through `serviceEnv`, e.g.
 * `{ 'logon-events': { CREDROAM_LOGON_PORT: '0' } }`; the returned services carry the `url` they reported.
 * `users` replaces the demo users; `serviceEnv` is merged last into each named service's environment.
 * `brokerAccounts: false` runs every service as `amqpUrl`'s user in its vhost (a benchmark that cleans up by
 * namespace); by default each gets its own broker account in a vhost named as the namespace. `https` (the files of
 * a server certificate for 127.0.0.1, e.g. tls-ca.cjs' ensureLocalTls) serves logon-events and audit over HTTPS
 * instead of plain HTTP on loopback. `directory: 'samba-ad'` runs a throwaway Samba AD DC (samba-ad.cjs) with its own demo
 * users on ldap://127.0.0.1:3389 instead of slapd (`users` and `ldapPort` then do not apply), and the gateway with
 * the active-directory dialect.
 */
async function startLocalStack({
  dataDir = join(root, '.data'),
  ldapPort = 3890,
  namespace = 'credroam',
  amqpUrl = 'amqp://guest:guest@127.0.0.1:5672',
  users = DEMO_USERS,
  services: only = undefined,
  serviceEnv = {},
  brokerAccounts: withAccounts = true,
  https = undefined,
  directory: directoryKind = 'slapd',
  replicas = {},
  nodeArgs = {},
  log = console.log,
} = {}) {
  if (directoryKind !== 'slapd' && directoryKind !== 'samba-ad')
    throw new Error(`unknown directory ${directoryKind}: slapd or samba-ad`);
  const logDir = join(dataDir, 'logs');
  const keyDir = join(dataDir, 'keys');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(join(keyDir, 'broker'), { recursive: true, mode: 0o700 });
  await ensureRabbitMq(log);

  const slapd = directoryKind === 'slapd' ? await startSlapd({ port: ldapPort, users }) : undefined;
  const samba = directoryKind === 'samba-ad' ? await startSambaAd({ port: 3389 }) : undefined;
  const directory = slapd ?? samba;
  let restarts = null;
  let startService = null;
  const supervisor = new ServiceSupervisor({
    start: (name) => startService(name),
    log: (line) => log(line),
    report: (restart) => restarts?.report(restart),
  });
  const stop = async () => {
    supervisor.stop();
    await restarts?.close();
    await Promise.all(
      supervisor.children().map(
        ({ child }) =>
          new Promise((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', resolve);
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
    await directory.stop();
  };

  try {
    const brokerUrlOf = withAccounts ? await brokerAccounts(keyDir, namespace, amqpUrl, log) : () => amqpUrl;
    const common = { CREDROAM_AMQP_NAMESPACE: namespace };
    const grantKeys = grantKeyFiles(keyDir);
    const channelKey = secretFile(keyDir, 'service-channel.key', () => randomBytes(32).toString('base64'));
    const cryptoKeys = join(keyDir, 'token-crypto');
    if (!existsSync(cryptoKeys) && existsSync(join(dist, 'apps/token-crypto/src/cli.js'))) {
      log(`generating token-crypto keys into ${cryptoKeys} (first use)`);
      const status = requireFromDist('apps/token-crypto/src/cli.js').runCli([
        'generate-keys',
        '--dir',
        cryptoKeys,
      ]);
      if (status !== 0) throw new Error('token-crypto key generation failed');
    }
    const services = [
      {
        name: 'directory-gateway',
        ready: /directory-gateway ready/,
        env: {
          ...(samba
            ? samba.gatewayEnv
            : {
                CREDROAM_LDAP_URL: slapd.url,
                CREDROAM_LDAP_BIND_DN: slapd.serviceDn,
                CREDROAM_LDAP_BIND_PASSWORD: slapd.servicePassword,
                CREDROAM_LDAP_BASE_DN: slapd.suffix,
              }),
          CREDROAM_SERVICE_CHANNEL_KEY_FILE: channelKey,
          CREDROAM_GRANT_PUBLIC_KEYS_FILE: grantKeys.publicKeys,
          CREDROAM_GATEWAY_HEALTH_PORT: '8442',
        },
      },
      {
        name: 'token-crypto',
        ready: /token-crypto ready/,
        env: {
          CREDROAM_KEY_DIR: cryptoKeys,
          CREDROAM_SERVICE_CHANNEL_KEY_FILE: channelKey,
          CREDROAM_GRANT_PUBLIC_KEYS_FILE: grantKeys.publicKeys,
          CREDROAM_CRYPTO_HEALTH_PORT: '8443',
        },
      },
      {
        name: 'logon-events',
        ready: /logon-events ready/,
        env: {
          CREDROAM_SESSION_KEY_FILE: secretFile(keyDir, 'session.key', () =>
            randomBytes(32).toString('base64'),
          ),
          CREDROAM_SERVICE_CHANNEL_KEY_FILE: channelKey,
          CREDROAM_GRANT_SIGNING_KEY_FILE: grantKeys.signing,
          ...(https
            ? { CREDROAM_LOGON_TLS_CERT_FILE: https.certFile, CREDROAM_LOGON_TLS_KEY_FILE: https.keyFile }
            : {}),
        },
      },
      {
        name: 'audit',
        ready: /audit listening/,
        env: {
          CREDROAM_AUDIT_OPERATOR_TOKEN: 'dev-operator-token',
          CREDROAM_AUDIT_DB: `sqlite:${join(dataDir, 'audit.sqlite')}`,
          ...(https
            ? { CREDROAM_AUDIT_TLS_CERT_FILE: https.certFile, CREDROAM_AUDIT_TLS_KEY_FILE: https.keyFile }
            : {}),
        },
      },
    ];
    // A replica beyond the first is named <service>#<n> (its own log file, supervised like the first).
    startService = (name) => {
      const service = services.find((candidate) => candidate.name === name.replace(/#\d+$/, ''));
      const env = {
        ...common,
        CREDROAM_AMQP_URL: brokerUrlOf(service.name),
        ...service.env,
        ...serviceEnv[service.name],
      };
      return startProcess(name, env, logDir, service.ready, nodeArgs[service.name]);
    };
    for (const service of services) {
      if (!existsSync(join(dist, 'apps', service.name, 'src', 'main.js'))) continue;
      if (only && !only.includes(service.name)) continue;
      for (let replica = 1; replica <= (replicas[service.name] ?? 1); replica++) {
        const name = replica === 1 ? service.name : `${service.name}#${replica}`;
        supervisor.watch(name, await startService(name));
      }
    }
    // The supervisor publishes as the broker's administrator, in the stack's vhost (the services' own, when
    // accounts were made), with the topic exchange the services use.
    restarts = restartReporter(vhostUrl(amqpUrl, brokerUrlOf('audit')), namespace, log);
    const started = supervisor
      .children()
      .map(({ name, child }) => ({ name, pid: child.pid, url: child.readyUrl }));
    // What a workstation's hook connects with for the AMQP ingress (the agent reads the namespace from the URL).
    const hookUrl = new URL(brokerUrlOf('hook'));
    hookUrl.searchParams.set('namespace', namespace);
    writeFileSync(join(keyDir, 'broker', 'hook.url'), `${hookUrl}\n`, { mode: 0o600 });
    // `credroam user` (the admin CLI) takes its CREDROAM_AMQP_URL from here.
    writeFileSync(join(keyDir, 'broker', 'admin-cli.url'), `${brokerUrlOf('admin-cli')}\n`, { mode: 0o600 });
    return { slapd, directory, services: started, logDir, hookUrl: hookUrl.toString(), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `url` with the vhost of `inVhost`. */
function vhostUrl(url, inVhost) {
  const result = new URL(url);
  result.pathname = new URL(inVhost).pathname;
  return result.toString();
}

/**
 * Publishes each restart as `service.restarted`, validated by the events contract like every event; a broker that
 * cannot take it costs a log line, never the supervision.
 */
function restartReporter(amqpUrl, namespace, log) {
  const { EventPublisher, amqpConfig } = requireFromDist('libs/messaging/src/index.js');
  const { createEvent } = requireFromDist('libs/roaming/src/index.js');
  const quiet = () => {};
  const said = (_fields, message) => log(`restart reporter: ${message}`);
  const publisher = new EventPublisher(amqpConfig({ url: amqpUrl, namespace }), {
    logger: { debug: quiet, info: quiet, warn: said, error: said },
  });
  return {
    report(payload) {
      const event = createEvent(
        'service.restarted',
        { correlationId: randomUUID(), user: null, machine: null, payload },
        { id: randomUUID(), now: Date.now() },
      );
      if (!event.ok) return log(`restart of ${payload.service} not published: ${event.error.message}`);
      publisher
        .publish(event.value)
        .catch((error) => log(`restart of ${payload.service} not published: ${error.message}`));
    },
    close: () => publisher.close(),
  };
}

module.exports = { prepareLocalStack, serviceUrl, startLocalStack };
