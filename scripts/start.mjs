#!/usr/bin/env node
// `npm start`: installs what is missing, builds, and runs the local stack in the foreground until Ctrl-C/SIGTERM.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const step = (label, command, args) => {
  console.log(`[start] ${label}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`[start] ${label} failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
};

if (!existsSync(join(root, 'node_modules', '.package-lock.json')))
  step('installing dependencies (npm ci)', 'npm', ['ci']);
require('./lib/slapd.cjs').ensureSlapdInstalled();
step('building', 'npm', ['run', '--silent', 'build']);

const { startLocalStack } = require('./lib/local-stack.cjs');
let stack;
try {
  stack = await startLocalStack({ log: (line) => console.log(`[start] ${line}`) });
} catch (error) {
  console.error(`[start] the stack did not come up: ${error.message}`);
  process.exit(1);
}

const { slapd } = stack;
console.log(`
credroam local stack is up (Ctrl-C stops everything)

  directory (slapd)  ${slapd.url}   base ${slapd.suffix}
                     admin ${slapd.adminDn} / ${slapd.adminPassword}   (dev only)
                     demo users: ${slapd.users.map((user) => `${user.uid} / ${user.password}`).join(', ')}
  RabbitMQ           127.0.0.1:5672 (accounts: the "broker:" line above)
  AMQP ingress       ${stack.hookUrl}
                     (the workstations' hook account: it can only publish to the ingress; dev only, printed)
  logon-events       http://127.0.0.1:8440/   (POST /v1/sessions, POST /v1/sync, GET /v1/policy, /health/*, /docs)
  audit dashboard    http://127.0.0.1:8441/   operator token dev-operator-token (Authorization: Bearer …)
  services           ${stack.services.map((service) => `${service.name} (pid ${service.pid})`).join(', ')}
  logs               ${stack.logDir}
`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log('[start] stopping');
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
