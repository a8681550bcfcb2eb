#!/usr/bin/env node
/* global fetch, AbortSignal */
// `npm run demo`: two simulated workstations of alice act out a roaming story (import, roam, conflict, delete, a
// planted value detected) against the local stack, while the audit dashboard shows it. See HELP.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { prepareLocalStack, serviceUrl, startLocalStack } = require('./lib/local-stack.cjs');
const { portOpen } = require('./lib/infrastructure.cjs');
const { DEFAULT_SUFFIX } = require('./lib/slapd.cjs');
const { actOutStory, STEPS } = require('./lib/demo-story.cjs');

const HELP = `usage: npm run demo [-- options]

Two simulated workstations of alice (ws-a, ws-b: stores of bin/credroam-agent in a temporary directory) act out
a roaming story, step by step, while the audit dashboard shows it: both log on; ws-a imports a certificate and
its key; ws-b syncs and has them, byte for byte; a saved password edited on both while ws-b is offline becomes a
conflict the newer edit wins; a deletion on ws-a reaches ws-b as a tombstone; a value planted in alice's
directory entry (identifier ..\\..\\evil) is refused at ws-b's sync and flagged by "credroam scan".

With no stack running, the demo starts one as "npm start" does (install, build, slapd, services; data in
.data/), with a policy that roams stored credentials (the conflict needs one), and leaves it running after the
story until Ctrl-C. With a stack already running (logon-events on 127.0.0.1:8440 and audit on :8441, e.g. the
demo's own from an earlier run), it uses that one; its policy must roam stored credentials, which the built-in
policy of "npm start" does not. The temporary stores are removed at the end.

options:
  --pace-ms N      pause between steps, in milliseconds (default 2500)
  --fast           no pauses (same as --pace-ms 0)
  --stop           stop the stack the demo started once the story ends, instead of leaving it running
  --free-ports     start a stack of its own on free ports (never uses a running one): beside another stack
  --namespace NS   broker namespace of a stack the demo starts (default credroam); another namespace runs
                   every service as the broker's guest user in its default vhost, with no account per service
  --data-dir DIR   data, keys and logs of a stack the demo starts (default .data)
  --no-build       start the services from dist/ as it is, without "npm run build"
  -h, --help       this text

exit codes: 0 the story went as told, 1 a step failed (named on the last line), 2 a wrong command line,
130 interrupted (Ctrl-C)`;

const LOCAL = { logon: 8440, audit: 8441, ldap: 3890, gatewayHealth: 8442, cryptoHealth: 8443 };
const AUDIT_TOKEN = 'dev-operator-token';
const DEFAULT_NAMESPACE = 'credroam';

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'pace-ms': { type: 'string' },
      fast: { type: 'boolean' },
      stop: { type: 'boolean' },
      'free-ports': { type: 'boolean' },
      namespace: { type: 'string' },
      'data-dir': { type: 'string' },
      'no-build': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  const paceMs = values.fast ? 0 : Number(values['pace-ms'] ?? 2500);
  if (!Number.isInteger(paceMs) || paceMs < 0 || paceMs > 60_000)
    throw new Error('--pace-ms must be a whole number of milliseconds from 0 to 60000');
  const namespace = values.namespace ?? DEFAULT_NAMESPACE;
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(namespace))
    throw new Error('--namespace must be lower-case letters, digits, ".", "_" or "-" (at most 64)');
  return {
    help: values.help === true,
    paceMs,
    stop: values.stop === true,
    freePorts: values['free-ports'] === true,
    namespace,
    dataDir: values['data-dir'] ?? join(root, '.data'),
    build: values['no-build'] !== true,
  };
}

const log = (line) => console.log(`[demo] ${line}`);

/** GET url, answering whether it is a credroam health endpoint that says it is up. */
async function credroamAnswers(url) {
  try {
    const response = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(2000) });
    const body = await response.json();
    return response.ok && typeof body === 'object' && body !== null && body.status === 'ok';
  } catch {
    return false;
  }
}

/**
 * The stack on DESIGN.md section 11's ports, when one answers there; null when those ports are free. Anything
 * else on them is an error that names the port, rather than a story acted against the wrong server.
 */
async function runningLocalStack() {
  const logonUrl = `http://127.0.0.1:${LOCAL.logon}`;
  const auditUrl = `http://127.0.0.1:${LOCAL.audit}`;
  const [logonOpen, auditOpen] = [await portOpen(LOCAL.logon), await portOpen(LOCAL.audit)];
  if (!logonOpen && !auditOpen) {
    for (const port of [LOCAL.ldap, LOCAL.gatewayHealth, LOCAL.cryptoHealth]) {
      if (await portOpen(port))
        throw new Error(
          `port ${port} is in use by something else, and the local stack needs it: stop it, or run with --free-ports`,
        );
    }
    return null;
  }
  const listeners = [
    { open: logonOpen, port: LOCAL.logon, url: logonUrl, name: 'logon-events' },
    { open: auditOpen, port: LOCAL.audit, url: auditUrl, name: 'audit' },
  ];
  for (const { open, port, url, name } of listeners) {
    if (open && !(await credroamAnswers(url)))
      throw new Error(
        `port ${port} is in use by something that is not credroam's ${name}: stop it, or run with --free-ports`,
      );
  }
  const missing = listeners.find(({ open }) => !open);
  if (missing)
    throw new Error(
      `${missing.name} is not answering on port ${missing.port} while the rest of a stack is: restart that stack`,
    );
  return { logonUrl, auditUrl };
}

/** The throwaway slapd's fixed credentials (DESIGN.md section 11; scripts/lib/slapd.cjs' defaults). */
function localDirectory(url = `ldap://127.0.0.1:${LOCAL.ldap}`) {
  return {
    url,
    suffix: DEFAULT_SUFFIX,
    adminDn: `cn=admin,${DEFAULT_SUFFIX}`,
    adminPassword: 'admin',
    readerDn: `cn=credroam-admin,ou=services,${DEFAULT_SUFFIX}`,
    readerPassword: 'credroam-admin-pass',
  };
}

async function startStack(options) {
  prepareLocalStack({ log, build: options.build });
  const policyFile = join(options.dataDir, 'demo-policy.json');
  // Stored credentials roam only where policy says so (off by default, as on Windows); the conflict needs one.
  writeFileSync(policyFile, `${JSON.stringify({ defaults: { roamStoredCredentials: true } })}\n`);
  const free = (variable) => (options.freePorts ? { [variable]: '0' } : {});
  const throwaway = options.namespace !== DEFAULT_NAMESPACE;
  const stack = await startLocalStack({
    log,
    dataDir: options.dataDir,
    namespace: options.namespace,
    brokerAccounts: !throwaway,
    ...(options.freePorts ? { ldapPort: 0 } : {}),
    serviceEnv: {
      'directory-gateway': { CREDROAM_POLICY_FILE: policyFile, ...free('CREDROAM_GATEWAY_HEALTH_PORT') },
      'token-crypto': free('CREDROAM_CRYPTO_HEALTH_PORT'),
      'logon-events': free('CREDROAM_LOGON_PORT'),
      audit: free('CREDROAM_AUDIT_PORT'),
    },
  });
  return {
    stack,
    target: {
      logonUrl: serviceUrl(stack, 'logon-events'),
      auditUrl: serviceUrl(stack, 'audit'),
      ingressUrl: stack.hookUrl,
      ldap: localDirectory(stack.slapd.url),
    },
  };
}

async function main() {
  let options;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    console.error(`[demo] ${error.message}; "npm run demo -- --help" lists the options`);
    return 2;
  }
  if (options.help) {
    console.log(HELP);
    return 0;
  }

  let started = null;
  let dir = null;
  let failedStep = null;
  let interrupted = false;
  const cleanUp = async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
    const stack = started;
    started = null;
    if (stack) {
      log('stopping the stack the demo started');
      await stack.stop();
    }
  };
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    log('interrupted');
    void cleanUp().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let target;
  try {
    const running = options.freePorts ? null : await runningLocalStack();
    if (running) {
      log(`using the stack running on ${running.logonUrl} and ${running.auditUrl}`);
      // Its broker accounts may be another checkout's: both workstations use HTTP.
      target = { ...running, ingressUrl: null, ldap: localDirectory(), attached: true };
    } else {
      log('no stack is running: starting one as "npm start" does');
      const began = performance.now();
      const up = await startStack(options).catch((error) => {
        throw new Error(`the stack did not come up: ${error.message}`);
      });
      started = up.stack;
      target = up.target;
      log(
        `the stack is up (${((performance.now() - began) / 1000).toFixed(1)} s); logs in ${started.logDir}`,
      );
    }
  } catch (error) {
    console.error(`[demo] ${error.message}`);
    await cleanUp();
    return 1;
  }

  console.log(`
Open the audit dashboard now: ${target.auditUrl}/
Paste the operator token ${AUDIT_TOKEN} and press Connect: each step below shows up there as it happens
("Last hour" counters, the live feed, and "User" once you search for alice).
`);
  const pause = () => new Promise((resolve) => setTimeout(resolve, options.paceMs));
  await pause();

  let summary = [];
  let failed = false;
  try {
    dir = mkdtempSync(join(tmpdir(), 'credroam-demo-'));
    summary = await actOutStory({
      stack: { ...target, auditToken: AUDIT_TOKEN },
      dir,
      say: (line) => console.log(line),
      pause,
      onStep: (step) => {
        failedStep = step;
      },
    });
  } catch (error) {
    if (interrupted) return 130;
    failed = true;
    if (failedStep) {
      const index = STEPS.indexOf(failedStep) + 1;
      console.error(`\n==> step ${index}/${STEPS.length} ${failedStep.name}: FAILED`);
      console.error(`[demo] failed at step ${index} (${failedStep.name}): ${error.message}`);
    } else {
      console.error(`[demo] failed before the story began: ${error.message}`);
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
  if (failed) {
    if (started) log(`the services' logs are in ${started.logDir}`);
    await cleanUp();
    return 1;
  }

  console.log(`
The story went as told:
${summary.map((line) => `  ${line}`).join('\n')}
Dashboard: ${target.auditUrl}/ (token ${AUDIT_TOKEN}); the workstations' temporary stores are removed.`);
  if (!started) {
    console.log('The stack was already running; it keeps running.');
    return 0;
  }
  if (options.stop) {
    await cleanUp();
    return 0;
  }
  console.log(
    `The stack the demo started keeps running for the dashboard: Ctrl-C stops it (logs in ${started.logDir}).`,
  );
  return waitForInterrupt(cleanUp, 0);
}

/** Stays in the foreground until Ctrl-C or SIGTERM, then stops the stack and ends with `code`. */
function waitForInterrupt(cleanUp, code) {
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  return new Promise((resolve) => {
    const stop = () => void cleanUp().then(() => resolve(code));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

process.exit(await main());
