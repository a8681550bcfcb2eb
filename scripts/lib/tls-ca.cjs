'use strict';
// A private certificate authority made with the openssl binary, for the TLS of the local stack (`npm start`
// keeps one under .data/tls) and of the suites (each makes a throwaway one): a CA, server certificates for
// given host names and addresses, client certificates. P-256 keys, because they are quick to generate.
// Plain CommonJS with node built-ins only, typed for TypeScript by tls-ca.d.cts.

const { execFileSync } = require('node:child_process');
const { randomBytes, X509Certificate } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const DAY_MS = 86_400_000;

function openssl(cwd, args) {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = error.stderr ? error.stderr.toString().trim() : '';
    throw new Error(`openssl ${args[0]} failed: ${stderr || error.message}`, { cause: error });
  }
}

/** A serial number that no other certificate of this CA has (random, as RFC 5280 recommends). */
function serial() {
  return `0x${randomBytes(16).toString('hex')}`;
}

function subjectAltName(hosts) {
  return hosts.map((host) => (net.isIP(host) ? `IP:${host}` : `DNS:${host}`)).join(',');
}

/** The file names of `<stem>`: the key is written mode 0600, the certificate readable by anyone. */
function keyAndCertificate(dir, stem) {
  return { keyFile: path.join(dir, `${stem}.key`), certFile: path.join(dir, `${stem}.crt`) };
}

/**
 * A self-signed CA in `dir` (`<stem>.crt`, `<stem>.key`): basicConstraints CA, keyCertSign only.
 * @param {string} dir
 * @param {{ subject?: string, days?: number, stem?: string }} [options]
 */
function createCa(dir, { subject = '/CN=credroam test CA', days = 7, stem = 'ca' } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const files = keyAndCertificate(dir, stem);
  openssl(dir, [
    'req',
    '-x509',
    ...NEW_KEY,
    '-subj',
    subject,
    '-days',
    String(days),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    files.keyFile,
    '-out',
    files.certFile,
  ]);
  fs.chmodSync(files.keyFile, 0o600);
  return { dir, ...files };
}

/**
 * A certificate signed by `ca`, in `ca.dir` as `<name>.crt` / `<name>.key`. A server certificate names `hosts`
 * (IP addresses and DNS names) in its subjectAltName, which is what clients check; a client certificate carries
 * clientAuth only.
 * @param {{ dir: string, certFile: string, keyFile: string }} ca
 * @param {string} name
 * @param {{ usage?: 'server' | 'client', hosts?: string[], subject?: string, days?: number }} [options]
 */
function issueCertificate(ca, name, { usage = 'server', hosts = [], subject, days = 7 } = {}) {
  if (usage === 'server' && hosts.length === 0) throw new Error('a server certificate needs hosts');
  const files = keyAndCertificate(ca.dir, name);
  const request = path.join(ca.dir, `${name}.csr`);
  const extensionsFile = path.join(ca.dir, `${name}.ext`);
  const extensions = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    `extendedKeyUsage=${usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
    ...(hosts.length > 0 ? [`subjectAltName=${subjectAltName(hosts)}`] : []),
  ];
  fs.writeFileSync(extensionsFile, `${extensions.join('\n')}\n`);
  openssl(ca.dir, [
    'req',
    '-new',
    ...NEW_KEY,
    '-subj',
    subject ?? `/CN=${hosts[0] ?? name}`,
    '-keyout',
    files.keyFile,
    '-out',
    request,
  ]);
  fs.chmodSync(files.keyFile, 0o600);
  openssl(ca.dir, [
    'x509',
    '-req',
    '-in',
    request,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-set_serial',
    serial(),
    '-days',
    String(days),
    '-extfile',
    extensionsFile,
    '-out',
    files.certFile,
  ]);
  fs.rmSync(request, { force: true });
  fs.rmSync(extensionsFile, { force: true });
  return files;
}

/** Whether a PEM certificate file exists and stays valid for at least `marginDays` more days. */
function validFor(certFile, marginDays) {
  try {
    const certificate = new X509Certificate(fs.readFileSync(certFile));
    return Date.parse(certificate.validTo) - Date.now() > marginDays * DAY_MS;
  } catch {
    return false;
  }
}

/**
 * The local stack's CA and server certificate in `dir` (`ca.crt`, `ca.key`, `server.crt`, `server.key`), made on
 * first use and kept: the CA for ten years, so that a workstation or browser told to trust it once keeps doing so;
 * the server certificate for 397 days (what browsers accept), renewed when it has less than 30 days left or
 * when the CA was made anew.
 * @param {string} dir
 * @param {{ hosts?: string[] }} [options]
 */
function ensureLocalTls(dir, { hosts = ['127.0.0.1', 'localhost', '::1'] } = {}) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = { dir, ...keyAndCertificate(dir, 'ca') };
  const created = [];
  if (!fs.existsSync(ca.keyFile) || !validFor(ca.certFile, 30)) {
    createCa(dir, { subject: '/CN=credroam local stack CA', days: 3650 });
    created.push('ca');
  }
  const server = keyAndCertificate(dir, 'server');
  if (created.length > 0 || !fs.existsSync(server.keyFile) || !validFor(server.certFile, 30)) {
    issueCertificate(ca, 'server', { hosts, subject: '/CN=credroam local stack', days: 397 });
    created.push('server');
  }
  return { caFile: ca.certFile, certFile: server.certFile, keyFile: server.keyFile, created };
}

module.exports = { createCa, issueCertificate, ensureLocalTls };
