'use strict';
// What the suites need from the machine: slapd and Samba installed (each suite starts its own), RabbitMQ and PostgreSQL
// answering. A node-svc machine starts the brokers before a session; this starts whichever is not running.
const net = require('node:net');
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const { ensureSlapdInstalled } = require('./slapd.cjs');
const { ensureSambaInstalled } = require('./samba-ad.cjs');

function portOpen(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitForPort(port, label, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${label} did not answer on 127.0.0.1:${port} within ${timeoutMs / 1000} s`);
}

async function ensureRabbitMq(log) {
  if (await portOpen(5672)) return;
  log('RabbitMQ is not answering on 127.0.0.1:5672; starting it (rabbitmq-server -detached)');
  execFileSync('rabbitmq-server', ['-detached'], { stdio: 'inherit' });
  await waitForPort(5672, 'RabbitMQ', 60_000);
}

async function ensurePostgres(log) {
  if (await portOpen(5432)) return;
  log('PostgreSQL is not answering on 127.0.0.1:5432; starting it (pg_ctlcluster)');
  const [version] = readdirSync('/etc/postgresql');
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], {
    stdio: 'inherit',
  });
  await waitForPort(5432, 'PostgreSQL', 30_000);
}

/** Redis, for the rate limits that logon-events replicas share (test/integration/logon-events/shared-rate-limits). */
async function ensureRedis(log) {
  if (await portOpen(6379)) return;
  log('Redis is not answering on 127.0.0.1:6379; starting it (redis-server, nothing kept on disk)');
  execFileSync(
    'redis-server',
    ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no'],
    { stdio: 'inherit' },
  );
  await waitForPort(6379, 'Redis', 30_000);
}

/**
 * Debian packages the suites drive directly: Chromium for the dashboard test, OpenSSL as an interop peer, faketime
 * (libfaketime) for the one clock the concurrent-workstations suite moves a day forward (test/support/shared-clock.ts),
 * certutil and pk12util (libnss3-tools) for the agent's NSS database sync, pamtester for the logon through PAM
 * (test/e2e/workstation/pam-logon.test.ts), systemd-analyze to verify the agent's systemd units
 * (test/deployment/systemd-units.test.ts; no systemd runs).
 */
const PACKAGES = [
  // A KDC of a second realm for the Kerberos suite's foreign-realm ticket (test/helpers/mit-kdc.ts).
  { binary: '/usr/sbin/krb5kdc', name: 'krb5-kdc' },
  { binary: '/usr/sbin/kadmin.local', name: 'krb5-admin-server' },
  { binary: '/usr/bin/chromium', name: 'chromium' },
  { binary: '/usr/bin/openssl', name: 'openssl' },
  { binary: '/usr/sbin/runuser', name: 'util-linux' },
  { binary: '/usr/bin/faketime', name: 'faketime' },
  { binary: '/usr/bin/certutil', name: 'libnss3-tools' },
  { binary: '/usr/bin/pamtester', name: 'pamtester' },
  { binary: '/usr/bin/systemd-analyze', name: 'systemd' },
  { binary: '/usr/bin/redis-server', name: 'redis-server' },
];

function ensureDebianPackages(log) {
  installMissing([...BUILD_PACKAGES, ...PACKAGES], log);
}

/**
 * What `npm ci` needs to build the native addons: libkrb5's headers for the `kerberos` package (the GSSAPI binding
 * of the Kerberos logon). It is an optional dependency, so npm ci would succeed without them and leave Kerberos
 * out: this runs BEFORE npm ci (scripts/test.mjs, prepareLocalStack), so that CI builds it and the Kerberos suite
 * runs.
 */
const BUILD_PACKAGES = [{ binary: '/usr/include/gssapi/gssapi_krb5.h', name: 'libkrb5-dev' }];

function ensureBuildPackages(log = console.log) {
  installMissing(BUILD_PACKAGES, log);
}

function installMissing(packages, log) {
  const missing = packages.filter(({ binary }) => !existsSync(binary)).map(({ name }) => name);
  if (missing.length === 0) return;
  log(`installing ${missing.join(', ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
}

async function ensureInfrastructure({ log = console.log } = {}) {
  ensureSlapdInstalled();
  // The Samba AD DC suites' packages (about 1.5 min the first time); their template domain is made by the first
  // suite that needs it.
  ensureSambaInstalled();
  ensureDebianPackages(log);
  await ensureRabbitMq(log);
  await ensurePostgres(log);
  await ensureRedis(log);
}

module.exports = {
  ensureInfrastructure,
  ensureBuildPackages,
  ensureRabbitMq,
  ensurePostgres,
  portOpen,
  waitForPort,
};
