'use strict';
// What the throwaway directory launchers (slapd.cjs, samba-ad.cjs) share: installing their Debian packages once
// per machine (parallel Jest workers take turns), a lock file, free ports, the LDAP readiness probe, and the
// watchdog that cleans up after a Node process killed without running its exit handlers, and the handle's
// process lifecycle (ThrowawayServer).

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
}

/**
 * Runs `work` holding an exclusive lock file in the temp directory (its holder's pid inside, so a lock left by a
 * dead process is taken over). Waiting is synchronous, so it also serves code that cannot await; when `work`
 * returns a promise, the lock is held until it settles.
 */
function withLockFile(name, work, { timeoutMs = 10 * 60_000 } = {}) {
  const lock = path.join(os.tmpdir(), name);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lock, 'utf8')) || 0;
      if (holder && !processAlive(holder)) fs.rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock} (pid ${holder})`);
      else sleepSync(500);
    }
  }
  const release = () => fs.rmSync(lock, { force: true });
  let result;
  try {
    result = work();
  } catch (error) {
    release();
    throw error;
  }
  if (result && typeof result.then === 'function') return result.finally(release);
  release();
  return result;
}

/**
 * Installs Debian packages when `installed()` says something is missing (root only). A policy-rc.d that answers
 * 101 stops the packages from starting (and leaving behind) system daemons; an existing one is restored afterwards.
 */
function ensureAptPackages({
  label,
  packages,
  installed,
  log = (message) => process.stderr.write(`${message}\n`),
}) {
  if (installed()) return;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(
      `${label} is not installed and this process is not root: run ` +
        `\`sudo apt-get install --no-install-recommends ${packages.join(' ')}\` (policy-rc.d 101 keeps it from starting)`,
    );
  }
  // Waiters wait for the lock, not for the binaries: those appear before the packages are configured.
  withLockFile(`credroam-${label}-install.lock`, () => {
    if (installed()) return;
    const policy = '/usr/sbin/policy-rc.d';
    const previousPolicy = fs.existsSync(policy) ? fs.readFileSync(policy) : undefined;
    try {
      fs.writeFileSync(
        policy,
        '#!/bin/sh\n# credroam: do not start services during package installation\nexit 101\n',
        { mode: 0o755 },
      );
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      const startedAt = Date.now();
      log(`${label} missing: apt-get update`);
      run('apt-get', ['update'], { env });
      log(`apt-get install ${packages.join(' ')}`);
      run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env });
      if (!installed()) throw new Error(`apt-get finished but ${label} is still missing`);
      log(`${label} installed in ${Math.round((Date.now() - startedAt) / 1000)} s`);
    } finally {
      if (previousPolicy) fs.writeFileSync(policy, previousPolicy, { mode: 0o755 });
      else fs.rmSync(policy, { force: true });
    }
  });
}

/** A free TCP port on 127.0.0.1 (bind port 0, read it, release it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Resolves true once the server answers an LDAP anonymous bind, i.e. it is serving, not merely listening.
 * `target`: a port on 127.0.0.1, or the path of a Unix socket (ldapi).
 */
function probeLdap(target) {
  // LDAPMessage { messageID 1, BindRequest { version 3, name "", simple "" } }, then an UnbindRequest.
  const bind = Buffer.from('300c020101600702010304008000', 'hex');
  const unbind = Buffer.from('30050201024200', 'hex');
  return new Promise((resolve) => {
    const socket = net.connect(
      typeof target === 'number' ? { host: '127.0.0.1', port: target } : { path: target },
    );
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write(bind));
    socket.on('data', (chunk) => {
      // A BindResponse is [APPLICATION 1] (0x61) after the messageID.
      const ok = chunk[0] === 0x30 && chunk.includes(0x61);
      socket.end(unbind);
      done(ok);
    });
  });
}

function tailOf(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * If this Node process dies without running its exit handlers (SIGKILL, a killed Jest worker), a tiny shell
 * holding our end of a pipe sees EOF, kills `pid` and removes `dir`. Returns the shell's child process; kill it
 * (and destroy its stdin) once the server stopped normally.
 */
function spawnWatchdog(pid, dir) {
  const watchdog = spawn(
    '/bin/sh',
    ['-c', 'read _ignored; kill -KILL "$1" 2>/dev/null; rm -rf "$2"', 'watchdog', String(pid), dir],
    { stdio: ['pipe', 'ignore', 'ignore'] },
  );
  watchdog.unref();
  watchdog.stdin.on('error', () => undefined);
  if (watchdog.stdin._handle && typeof watchdog.stdin._handle.unref === 'function')
    watchdog.stdin._handle.unref();
  return watchdog;
}

function stopWatchdog(watchdog) {
  if (!watchdog) return;
  if (watchdog.exitCode === null && watchdog.signalCode === null) {
    try {
      watchdog.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  watchdog.stdin.destroy();
}

// Instances whose directory still exists: the exit hook kills their server and removes the directory.
const live = new Set();
function killAllOnExit() {
  for (const instance of live) instance.killNow();
}

/**
 * The process side of a throwaway server's handle: one child at a time whose pid is the server's own, a watchdog
 * for it, a stop with a SIGKILL after a grace, and the removal of its directory (also from process.on('exit')).
 * Subclasses spawn the child, hand it to adoptChild() and wait with waitUntilReady().
 */
class ThrowawayServer {
  /** `label` names the server in errors; `options` needs startTimeoutMs and stopTimeoutMs. */
  constructor(label, dir, options) {
    this.label = label;
    this.dir = dir;
    this.options = options;
    this.child = undefined;
    this.exited = undefined;
    this.watchdog = undefined;
    this.removed = false;
  }

  get pid() {
    return this.child?.pid;
  }

  get running() {
    return this.child !== undefined;
  }

  /** The log lines quoted when the server fails to start. */
  startLogTail() {
    return tailOf(this.logFile);
  }

  adoptChild(child) {
    child.unref();
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.once('exit', () => {
      // Also when the server dies on its own: its watchdog must not outlive it (the pid could be reused).
      if (this.child === child) this.cleanupAfterExit();
    });
    if (live.size === 0) process.on('exit', killAllOnExit);
    live.add(this);
    this.watchdog = spawnWatchdog(child.pid, this.dir);
  }

  /** Polls `ready()` every `pollMs` until it resolves true; throws (server stopped) on exit or timeout. */
  async waitUntilReady(child, ready, { pollMs, where = '' }) {
    const deadline = Date.now() + this.options.startTimeoutMs;
    for (;;) {
      if (this.child !== child) {
        const { code, signal } = await this.exited;
        this.cleanupAfterExit();
        throw new Error(
          `${this.label} exited during start (code ${code}, signal ${signal}):\n${this.startLogTail()}`,
        );
      }
      if (await ready()) return;
      if (Date.now() > deadline) {
        await this.stopProcess();
        throw new Error(
          `${this.label} did not answer${where} within ${this.options.startTimeoutMs} ms:\n${tailOf(this.logFile)}`,
        );
      }
      await delay(pollMs);
    }
  }

  cleanupAfterExit() {
    stopWatchdog(this.watchdog);
    this.watchdog = undefined;
    this.child = undefined;
  }

  /** Stops the server process only (its directory is kept). */
  async stopProcess({ signal = 'SIGTERM', timeoutMs = this.options.stopTimeoutMs } = {}) {
    const child = this.child;
    if (!child) return;
    stopWatchdog(this.watchdog);
    this.watchdog = undefined;
    child.kill(signal);
    let timer;
    const killed = new Promise((resolve) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, timeoutMs);
    });
    await Promise.race([this.exited, killed]);
    await this.exited;
    clearTimeout(timer);
    this.cleanupAfterExit();
  }

  /** Stops the server and removes its directory. Safe to call twice. */
  async stop() {
    await this.stopProcess();
    this.removeDir();
    this.untrack();
  }

  /** The exit hook no longer removes the directory (for a stopped server whose directory is kept on purpose). */
  untrack() {
    live.delete(this);
    if (live.size === 0) process.removeListener('exit', killAllOnExit);
  }

  /** Synchronous last resort from process.on('exit'). */
  killNow() {
    if (this.child) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.cleanupAfterExit();
    this.removeDir();
    live.delete(this);
  }

  removeDir() {
    if (this.removed) return;
    this.removed = true;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Keeps a launcher script in the foreground until Ctrl-C or SIGTERM, then stops `server` and exits 0; exits 1
 * when the server dies on its own (the child is unref'd, so this interval is what keeps the process alive).
 */
function holdInForeground(label, server) {
  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    clearInterval(watch);
    console.error(`[${label}] ${signal}: stopping`);
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const watch = setInterval(() => {
    if (!server.running && !stopping) {
      stopping = true;
      clearInterval(watch);
      console.error(`[${label}] ${label} exited unexpectedly; log: ${server.logFile}`);
      void server.stop().then(() => process.exit(1));
    }
  }, 500);
}

/**
 * The main of a launcher script (scripts/slapd.cjs, scripts/samba-ad.cjs): a usage error exits 2 with `help`,
 * `{ help: true }` from `parse` prints it; otherwise `start(options)` starts the server and prints its details,
 * and the process holds it in the foreground. A failure to start exits 1.
 */
function runLauncher({ label, help, parse, start }) {
  const main = async () => {
    let options;
    try {
      options = parse(process.argv.slice(2));
    } catch (error) {
      console.error(`${error.message}\n\n${help}`);
      process.exit(2);
    }
    if (options.help) {
      console.log(help);
      return;
    }
    holdInForeground(label, await start(options));
  };
  main().catch((error) => {
    console.error(`[${label}] ${error.message}`);
    process.exit(1);
  });
}

module.exports = {
  ThrowawayServer,
  delay,
  runLauncher,
  ensureAptPackages,
  freePort,
  probeLdap,
  processAlive,
  spawnWatchdog,
  stopWatchdog,
  tailOf,
  withLockFile,
};
