#!/usr/bin/env node
// `npm start`: installs what is missing, builds, and runs the local stack in the foreground until Ctrl-C/SIGTERM.
// `npm start -- --https` serves logon-events and audit over HTTPS with the local CA's certificate instead of plain
// HTTP on loopback (DESIGN.md section 11 keeps http://127.0.0.1:8440 as the default).
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const USAGE = 'usage: npm start [-- [--https] [--directory slapd|samba-ad]]';
const args = process.argv.slice(2);
let https = false;
let directoryKind = 'slapd';
while (args.length > 0) {
  const arg = args.shift();
  if (arg === '--https') https = true;
  else if (arg === '--directory' && ['slapd', 'samba-ad'].includes(args[0])) directoryKind = args.shift();
  else {
    console.error(`[start] unknown or incomplete argument ${arg}; ${USAGE}`);
    process.exit(2);
  }
}
const { prepareLocalStack, serviceUrl, startLocalStack } = require('./lib/local-stack.cjs');
try {
  prepareLocalStack({ log: (line) => console.log(`[start] ${line}`) });
  if (directoryKind === 'samba-ad') require('./lib/samba-ad.cjs').ensureSambaInstalled();
} catch (error) {
  console.error(`[start] ${error.message}`);
  process.exit(1);
}

// The local CA and a server certificate for 127.0.0.1, localhost and ::1, made on first use and kept, so that a
// workstation or browser told to trust the CA once keeps doing so.
const tls = require('./lib/tls-ca.cjs').ensureLocalTls(join(root, '.data', 'tls'));
const show = (file) => relative(process.cwd(), file) || file;
if (tls.created.length > 0)
  console.log(`[start] made ${tls.created.join(' and ')} certificate(s) in ${show(dirname(tls.caFile))}`);

let stack;
try {
  stack = await startLocalStack({
    log: (line) => console.log(`[start] ${line}`),
    directory: directoryKind,
    ...(https ? { https: { certFile: tls.certFile, keyFile: tls.keyFile } } : {}),
  });
} catch (error) {
  console.error(`[start] the stack did not come up: ${error.message}`);
  process.exit(1);
}

const { directory } = stack;
const logonUrl = `${serviceUrl(stack, 'logon-events')}/`;
const auditUrl = `${serviceUrl(stack, 'audit')}/`;
const trust = https
  ? `logon-events and audit serve HTTPS with ${show(tls.certFile)}, issued by the local CA ${show(tls.caFile)}:
                     trust it with --ca-file ${show(tls.caFile)} (credroam-agent login), curl --cacert ${show(tls.caFile)},
                     or in a browser or system store (it is this machine's own CA; dev only)`
  : `local CA ${show(tls.caFile)}; logon-events and audit serve plain HTTP on loopback here:
                     "npm start -- --https" serves them over HTTPS, trusted with --ca-file ${show(tls.caFile)}
                     (credroam-agent login) or curl --cacert ${show(tls.caFile)}`;
console.log(`
credroam local stack is up (Ctrl-C stops everything)

  directory (${directoryKind === 'slapd' ? 'slapd)  ' : 'Samba AD)'} ${directory.url}   base ${directory.suffix}
                     admin ${directory.adminDn} / ${directory.adminPassword}   (dev only)
                     demo users: ${directory.users.map((user) => `${user.uid} / ${user.password}`).join(', ')}
  RabbitMQ           127.0.0.1:5672 (accounts: the "broker:" line above)
  AMQP ingress       ${stack.hookUrl}
                     (the workstations' hook account: it can only publish to the ingress; dev only, printed)
  logon-events       ${logonUrl}   (POST /v1/sessions, POST /v1/sync, GET /v1/policy, /health/*, /docs)
  audit dashboard    ${auditUrl}   operator token dev-operator-token (Authorization: Bearer …)
  TLS                ${trust}
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
