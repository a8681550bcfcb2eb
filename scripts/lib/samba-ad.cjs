'use strict';
// A throwaway Samba 4 Active Directory domain controller for tests and the local stack: the real AD schema
// (msPKIAccountCredentials and msPKIDPAPIMasterKeys as linked DN-Binary attributes, the octet-string stamp, all
// three confidential), AD's ACL model, demo users and credroam's two accounts with the delegation that
// deploy/active-directory/credroam-ad-delegation.txt gives as samba-tool commands (run from that file). Plain CommonJS with node built-ins only (types in samba-ad.d.cts).
//
// Two costs shape it (figures in README "Active Directory (Samba) for development"):
// - Provisioning a domain takes tens of seconds on a busy machine, so it is done once per machine into a template
//   directory (os.tmpdir(), keyed by TEMPLATE_VERSION) that every DC copies (xattrs kept: Samba's sysvol ACLs).
// - Samba's LDAP ports are compiled in (389/636), and only one process can own 127.0.0.1:389. Each DC therefore
//   runs in a network namespace of its own (`unshare --net`, root), where 389 is always free, and is reached
//   through its ldapi socket (a path, so visible from every namespace): this process forwards a free TCP port on
//   127.0.0.1 to that socket. Any number of DCs (parallel Jest workers) coexist, and nothing on the host's 389 or
//   636 matters. The forwarder lives as long as the process that started the DC.

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const {
  ThrowawayServer,
  ensureAptPackages,
  probeLdap,
  tailOf,
  withLockFile,
} = require('./throwaway-server.cjs');
const { createCa, issueCertificate } = require('./tls-ca.cjs');

const SAMBA = '/usr/sbin/samba';
const SAMBA_TOOL = '/usr/bin/samba-tool';
const LDBMODIFY = '/usr/bin/ldbmodify';
const LDBSEARCH = '/usr/bin/ldbsearch';
const UNSHARE = '/usr/bin/unshare';
const IP = '/usr/sbin/ip';
const NSENTER = '/usr/bin/nsenter';
/** Runs inside the DC's namespace: unix socket argv[1] to 127.0.0.1:636; ends when its parent's pipe closes. */
const LDAPS_RELAY = `
const net = require('node:net');
net.createServer((client) => {
  const upstream = net.connect(636, '127.0.0.1');
  const end = () => { client.destroy(); upstream.destroy(); };
  client.on('error', end); upstream.on('error', end);
  client.pipe(upstream).pipe(client);
}).listen(process.argv[1]);
process.stdin.on('end', () => process.exit(0)).resume();
`;
const PROVISION_SCHEMA = '/usr/share/samba/setup/ad-schema';
// samba-ad-provision is only a Recommends of samba-ad-dc, and installs run with --no-install-recommends.
const PACKAGES = [
  'samba',
  'samba-ad-dc',
  'samba-ad-provision',
  'winbind',
  'krb5-user',
  'ldb-tools',
  'ldap-utils',
  'libsasl2-modules-gssapi-mit',
  'iproute2',
];

const REALM = 'CREDROAM.TEST';
const KDC_PORT = 1088;
const KDC_RELAY = path.join(__dirname, 'kdc-relay.cjs');
const DOMAIN = 'CREDROAM';
const BASE_DN = 'DC=credroam,DC=test';
const USERS_DN = `CN=Users,${BASE_DN}`;
const ADMIN_DN = `CN=Administrator,${USERS_DN}`;
// Provisioning still enforces complexity, so the administrator's password must satisfy it.
const ADMIN_PASSWORD = 'Admin-pass-1';
const SERVICE_LOGIN = 'credroam-gateway';
const SERVICE_PASSWORD = 'credroam-gateway-pass';
const READER_LOGIN = 'credroam-admin';
const READER_PASSWORD = 'credroam-admin-pass';
/** Bump when the template's content changes: older templates are then ignored (and left to the temp cleaner). */
const TEMPLATE_VERSION = 1;

/** The local stack's demo users (DESIGN.md section 11), by sAMAccountName. */
const DEMO_USERS = ['alice', 'bob', 'carol'].map((login) => ({
  login,
  password: `${login}-pass`,
  displayName: `${login[0].toUpperCase()}${login.slice(1)} Demo`,
}));

const log = (message) => process.stderr.write(`[samba-ad] ${message}\n`);

function sambaInstalled() {
  return [SAMBA, SAMBA_TOOL, LDBMODIFY, LDBSEARCH, UNSHARE, IP, PROVISION_SCHEMA].every((file) =>
    fs.existsSync(file),
  );
}

/** Installs Debian's Samba AD DC packages when missing (root only); parallel callers take turns. */
function ensureSambaInstalled() {
  ensureAptPackages({ label: 'samba-ad', packages: PACKAGES, installed: sambaInstalled, log });
}

function runTool(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${path.basename(command)} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
  return result.stdout;
}

/** unicodePwd as AD takes it: the password in double quotes, UTF-16LE. */
function unicodePwd(password) {
  return Buffer.from(`"${password}"`, 'utf16le').toString('base64');
}

function userLdif({ login, password, displayName, description, servicePrincipalName }) {
  return [
    `dn: CN=${login},${USERS_DN}`,
    'changetype: add',
    'objectClass: user',
    `sAMAccountName: ${login}`,
    `userPrincipalName: ${login}@credroam.test`,
    ...(displayName ? [`displayName: ${displayName}`] : []),
    ...(description ? [`description: ${description}`] : []),
    ...(servicePrincipalName ? [`servicePrincipalName: ${servicePrincipalName}`] : []),
    // NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD; without a password, Samba's default: a disabled account (and no
    // password hashing, which is most of the time an added user takes).
    ...(password ? ['userAccountControl: 66048', `unicodePwd:: ${unicodePwd(password)}`] : []),
    '',
  ].join('\n');
}

/** What `credroam schema --dialect active-directory` prints for delegation; its samba-tool lines are applied here. */
const DELEGATION_FILE = path.join(
  __dirname,
  '..',
  '..',
  'deploy',
  'active-directory',
  'credroam-ad-delegation.txt',
);
/** The forest root the files in deploy/active-directory are written for. */
const PLACEHOLDER_SUFFIX = 'DC=example,DC=com';
const SID_PLACEHOLDER = /<([\w-]+) SID>/g;

/** The `samba-tool dsacl set` lines of a delegation text: the object DN and the SDDL ACEs of each. */
function sambaToolDelegation(text) {
  return text
    .split('\n')
    .filter((line) => line.startsWith('samba-tool dsacl set '))
    .map((line) => {
      const objectDn = /--objectdn="([^"]+)"/.exec(line)?.[1];
      const sddl = /--sddl="([^"]+)"/.exec(line)?.[1];
      if (!objectDn || !sddl || !/ --action=allow /.test(line))
        throw new Error(`not a samba-tool dsacl line this script understands: ${line}`);
      return { objectDn: objectDn.replace(PLACEHOLDER_SUFFIX, BASE_DN), sddl };
    });
}

function sidOf(dir, login) {
  const out = runTool(LDBSEARCH, [
    '-H',
    path.join(dir, 'private', 'sam.ldb'),
    '-b',
    `CN=${login},${USERS_DN}`,
    '-s',
    'base',
    'objectSid',
  ]);
  const sid = /^objectSid: (S-[\d-]+)$/m.exec(out)?.[1];
  if (!sid) throw new Error(`no objectSid for ${login}`);
  return sid;
}

/**
 * Runs the samba-tool lines of a delegation text (deploy/active-directory/credroam-ad-delegation.txt, as the admin
 * CLI prints it) on the DC in `dir`, with `sids` in place of the `<name SID>` placeholders. A line naming an
 * account that `sids` does not give is skipped: `{ 'credroam-gateway': sid }` delegates the gateway's rights only.
 */
function applyDelegation(dir, text, sids) {
  const lines = sambaToolDelegation(text);
  if (lines.length === 0) throw new Error('the delegation text has no samba-tool lines');
  let applied = 0;
  for (const { objectDn, sddl } of lines) {
    const accounts = [...sddl.matchAll(SID_PLACEHOLDER)].map((match) => match[1]);
    if (!accounts.every((account) => account in sids)) continue;
    runTool(SAMBA_TOOL, [
      'dsacl',
      'set',
      '-H',
      path.join(dir, 'private', 'sam.ldb'),
      '-s',
      path.join(dir, 'etc', 'smb.conf'),
      `--objectdn=${objectDn}`,
      '--action=allow',
      `--sddl=${sddl.replace(SID_PLACEHOLDER, (_, account) => sids[account])}`,
    ]);
    applied += 1;
  }
  if (applied === 0) throw new Error(`no samba-tool line names ${Object.keys(sids).join(', ')}`);
}

/** Applies an LDIF of changes to the DC's database with ldbmodify (a C tool: fast, and safe while samba runs). */
function runLdif(dir, ldif) {
  const ldifFile = path.join(dir, `changes-${crypto.randomBytes(4).toString('hex')}.ldif`);
  fs.writeFileSync(ldifFile, ldif);
  try {
    runTool(LDBMODIFY, ['-H', path.join(dir, 'private', 'sam.ldb'), ldifFile]);
  } finally {
    fs.rmSync(ldifFile, { force: true });
  }
}

/**
 * AD's MaxPageSize (lDAPAdminLimits of the Default Query Policy, 1000 as provisioned): the most entries one page
 * of a paged search returns. Samba reads it per connection.
 */
function setMaxPageSize(dir, size) {
  runLdif(
    dir,
    [
      `dn: CN=Default Query Policy,CN=Query-Policies,CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,${BASE_DN}`,
      'changetype: modify',
      'delete: lDAPAdminLimits',
      'lDAPAdminLimits: MaxPageSize=1000',
      '-',
      'add: lDAPAdminLimits',
      `lDAPAdminLimits: MaxPageSize=${size}`,
      '-',
      '',
    ].join('\n'),
  );
}

/** Provisions the domain into `dir` and adds the accounts, the password settings and the delegation. */
function provision(dir) {
  for (const sub of ['run', 'log']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const options = {
    interfaces: '127.0.0.1',
    'bind interfaces only': 'yes',
    'server services': 'ldap, kdc',
    // Inside the DC's own namespace (kdc-relay.cjs carries the KDC's TCP port out of it through a unix socket).
    'krb5 port': String(KDC_PORT),
    'kpasswd port': '1464',
    'pid directory': path.join(dir, 'run'),
    'ncalrpc dir': path.join(dir, 'run', 'ncalrpc'),
    'winbindd socket directory': path.join(dir, 'run', 'winbindd'),
    'ntp signd socket directory': path.join(dir, 'run', 'ntp'),
    'log file': path.join(dir, 'log', 'samba.log'),
  };
  runTool(SAMBA_TOOL, [
    'domain',
    'provision',
    `--realm=${REALM}`,
    `--domain=${DOMAIN}`,
    '--server-role=dc',
    '--dns-backend=NONE',
    '--use-rfc2307',
    '--host-name=dc1',
    `--adminpass=${ADMIN_PASSWORD}`,
    `--targetdir=${dir}`,
    ...Object.entries(options).map(([name, value]) => `--option=${name} = ${value}`),
  ]);
  // Provisioning drops this option silently: without it Samba refuses simple binds on plain ldap:// (and on
  // ldapi), which is how the gateway binds on the loopback (LDAPS or StartTLS elsewhere).
  const smbConf = path.join(dir, 'etc', 'smb.conf');
  fs.writeFileSync(
    smbConf,
    fs
      .readFileSync(smbConf, 'utf8')
      .replace('[global]\n', '[global]\n\tldap server require strong auth = no\n'),
  );

  // One ldbmodify (a C tool, fast) instead of a samba-tool run per user (a Python start each).
  const ldif = [
    // Complexity off (pwdProperties 0) for the demo passwords, as `samba-tool domain passwordsettings set
    // --complexity=off` does.
    [`dn: ${BASE_DN}`, 'changetype: modify', 'replace: pwdProperties', 'pwdProperties: 0', '-', ''].join(
      '\n',
    ),
    ...DEMO_USERS.map((user) => userLdif(user)),
    userLdif({
      login: SERVICE_LOGIN,
      password: SERVICE_PASSWORD,
      description: 'credroam directory-gateway service account',
    }),
    userLdif({
      login: READER_LOGIN,
      password: READER_PASSWORD,
      description: 'credroam admin CLI read-only account',
    }),
  ].join('\n');
  runLdif(dir, ldif);
  applyDelegation(dir, fs.readFileSync(DELEGATION_FILE, 'utf8'), {
    [SERVICE_LOGIN]: sidOf(dir, SERVICE_LOGIN),
    [READER_LOGIN]: sidOf(dir, READER_LOGIN),
  });
}

/**
 * Keyed by our template version, Samba's, and the delegation's samba-tool lines, so that an upgraded Samba or a
 * changed delegation provisions afresh.
 */
function templateDir() {
  const samba = runTool(SAMBA, ['--version'])
    .trim()
    .replace(/^Version /, '')
    .replace(/[^\w.+-]/g, '_');
  const delegation = crypto
    .createHash('sha256')
    .update(JSON.stringify(sambaToolDelegation(fs.readFileSync(DELEGATION_FILE, 'utf8'))))
    .digest('hex')
    .slice(0, 8);
  return path.join(os.tmpdir(), `credroam-samba-ad-template-v${TEMPLATE_VERSION}-${samba}-${delegation}`);
}

/**
 * The provisioned template, made once per machine (parallel callers take turns). It is built beside and renamed
 * into place, so a template that exists is complete. Its first start also makes Samba's own TLS certificate.
 */
async function ensureTemplate() {
  const template = templateDir();
  const ready = () => fs.existsSync(path.join(template, 'template.json'));
  if (ready()) return { template, built: false };
  return withLockFile('credroam-samba-ad-template.lock', async () => {
    if (ready()) return { template, built: false };
    const startedAt = Date.now();
    fs.rmSync(template, { recursive: true, force: true });
    const building = fs.mkdtempSync(`${template}.building-`);
    try {
      log(`provisioning the template domain ${REALM} into ${building} (once per machine)`);
      provision(building);
      // Started once, so that the copies start with their TLS certificate made and are known to work.
      const first = new SambaAdInstance(building, {});
      await first.startProcess();
      await first.stopProcess();
      first.untrack();
      fs.rmSync(path.join(building, 'log'), { recursive: true, force: true });
      fs.mkdirSync(path.join(building, 'log'));
      fs.writeFileSync(
        path.join(building, 'template.json'),
        JSON.stringify({ version: TEMPLATE_VERSION, dir: building, realm: REALM }),
      );
      fs.renameSync(building, template);
    } catch (error) {
      fs.rmSync(building, { recursive: true, force: true });
      throw error;
    }
    log(`template ready in ${Math.round((Date.now() - startedAt) / 100) / 10} s`);
    return { template, built: true };
  });
}

/** A copy of the template whose configuration names the copy's own directory. */
function instantiate(template, baseDir) {
  const dir = fs.mkdtempSync(path.join(baseDir, 'credroam-samba-ad-'));
  // cp -a keeps the extended attributes (the NT ACLs of sysvol) that fs.cpSync would drop.
  runTool('/bin/cp', ['-a', `${template}/.`, dir]);
  const { dir: builtIn } = JSON.parse(fs.readFileSync(path.join(dir, 'template.json'), 'utf8'));
  const smbConf = path.join(dir, 'etc', 'smb.conf');
  fs.writeFileSync(smbConf, fs.readFileSync(smbConf, 'utf8').split(builtIn).join(dir));
  return dir;
}

class SambaAdInstance extends ThrowawayServer {
  constructor(dir, options) {
    super('samba', dir, {
      port: options.port ?? 0,
      startTimeoutMs: options.startTimeoutMs ?? 60_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 5_000,
    });
    this.realm = REALM;
    this.domain = DOMAIN;
    this.suffix = BASE_DN;
    this.peopleDn = USERS_DN;
    this.dialect = 'active-directory';
    this.adminDn = ADMIN_DN;
    this.adminPassword = ADMIN_PASSWORD;
    this.serviceDn = `CN=${SERVICE_LOGIN},${USERS_DN}`;
    this.servicePassword = SERVICE_PASSWORD;
    this.readerDn = `CN=${READER_LOGIN},${USERS_DN}`;
    this.readerPassword = READER_PASSWORD;
    this.users = DEMO_USERS.map(({ login, password }) => ({
      uid: login,
      login,
      dn: `CN=${login},${USERS_DN}`,
      password,
    }));
    this.ldapiPath = path.join(dir, 'private', 'ldapi');
    this.kdcSocketPath = path.join(dir, 'run', 'kdc.sock');
    this.logFile = path.join(dir, 'log', 'samba.log');
    this.port = undefined;
    this.kdcPort = undefined;
    this.startupMs = 0;
    this.timings = {};
    this.forwarders = [];
    this.relay = undefined;
    this.ldapsPort = undefined;
    this.caFile = undefined;
  }

  get ldapsUrl() {
    return this.ldapsPort === undefined ? undefined : `ldaps://127.0.0.1:${this.ldapsPort}`;
  }

  get url() {
    if (this.port === undefined) throw new Error('the DC has no LDAP forwarder yet');
    return `ldap://127.0.0.1:${this.port}`;
  }

  /** What the directory-gateway needs to be told about this directory (README "Configuration"). */
  get gatewayEnv() {
    return {
      CREDROAM_LDAP_URL: this.url,
      CREDROAM_LDAP_BIND_DN: this.serviceDn,
      CREDROAM_LDAP_BIND_PASSWORD: this.servicePassword,
      CREDROAM_LDAP_BASE_DN: this.suffix,
      CREDROAM_LDAP_USER_BASE: this.peopleDn,
      CREDROAM_LDAP_USER_FILTER: '(&(objectCategory=person)(objectClass=user))',
      CREDROAM_LDAP_LOGIN_ATTRIBUTE: 'sAMAccountName',
      CREDROAM_LDAP_STABLE_ID_ATTRIBUTE: 'objectGUID',
      // AD's class user already may hold the roaming attributes: no auxiliary class to add.
      CREDROAM_LDAP_ROAMING_OBJECT_CLASS: '',
      CREDROAM_DIRECTORY_DIALECT: 'active-directory',
    };
  }

  user(login) {
    const user = this.users.find((candidate) => candidate.login === login);
    if (!user) throw new Error(`no user ${login} in this directory`);
    return user;
  }

  async startProcess() {
    if (this.child) throw new Error('samba is already running');
    if (this.removed) throw new Error('this DC was stopped and its directory removed');
    const smbConf = path.join(this.dir, 'etc', 'smb.conf');
    const logFd = fs.openSync(path.join(this.dir, 'log', 'samba.out'), 'a');
    let child;
    try {
      // unshare and sh exec into samba, so the child's pid is samba's own. -M single: one process. The KDC relay
      // is started first in the same namespace, as samba's child once sh has exec'd (it exits with samba).
      child = spawn(
        UNSHARE,
        [
          '--net',
          '/bin/sh',
          '-c',
          `${IP} link set lo up && { "$2" "$3" "$4" "$5" & } && exec "$0" -F -M single -s "$1"`,
          SAMBA,
          smbConf,
          process.execPath,
          KDC_RELAY,
          this.kdcSocketPath,
          String(KDC_PORT),
        ],
        { stdio: ['ignore', logFd, logFd] },
      );
    } finally {
      fs.closeSync(logFd);
    }
    this.adoptChild(child);
    await this.waitUntilReady(
      child,
      async () => fs.existsSync(this.ldapiPath) && (await probeLdap(this.ldapiPath)),
      { pollMs: 50 },
    );
  }

  /** Adds users to the DC in one ldbmodify run (samba-tool takes seconds per user); see samba-ad.d.cts. */
  addUsers(users) {
    runLdif(this.dir, users.map((user) => userLdif(user)).join('\n'));
    return users.map((user) => `CN=${user.login},${USERS_DN}`);
  }

  sidOf(login) {
    return sidOf(this.dir, login);
  }

  applyDelegation(text, sids) {
    applyDelegation(this.dir, text, sids);
  }

  startLogTail() {
    return `${tailOf(path.join(this.dir, 'log', 'samba.out'))}\n${tailOf(this.logFile)}`;
  }

  /** A TCP port on 127.0.0.1 in this namespace that carries each connection to the unix socket `target`. */
  async forward(target, port) {
    const sockets = new Set();
    const server = net.createServer((client) => {
      const upstream = net.connect({ path: target });
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        // Either side failing ends both: the LDAP client sees a dropped connection, as with a dead server.
        socket.once('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    server.unref();
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.forwarders.push({ server, sockets });
    return server.address().port;
  }

  /** The DC's ldapi socket (LDAP) and the KDC relay's socket (Kerberos over TCP), each on a TCP port here. */
  async startForwarder() {
    this.port = await this.forward(this.ldapiPath, this.options.port);
    this.kdcPort = await this.forward(this.kdcSocketPath, 0);
  }

  /**
   * LDAPS: a relay inside the DC's namespace (nsenter) from a unix socket to its 127.0.0.1:636, and a forwarded
   * TCP port here to that socket. TLS runs end to end between the client and samba; the relay sees ciphertext.
   */
  async startLdapsForwarder() {
    const relaySocket = path.join(this.dir, 'run', 'ldaps.sock');
    const relay = spawn(
      NSENTER,
      [`--net=/proc/${this.pid}/ns/net`, '--', process.execPath, '-e', LDAPS_RELAY, relaySocket],
      { stdio: ['pipe', 'ignore', 'inherit'] },
    );
    this.relay = relay;
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(relaySocket)) {
      if (relay.exitCode !== null || Date.now() > deadline) throw new Error('the LDAPS relay did not start');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.ldapsPort = await this.forward(relaySocket, 0);
  }

  async stopForwarder() {
    const forwarders = this.forwarders.splice(0);
    this.relay?.kill('SIGTERM');
    this.relay = undefined;
    for (const forwarder of forwarders) {
      for (const socket of forwarder.sockets) socket.destroy();
      await new Promise((resolve) => forwarder.server.close(() => resolve()));
    }
  }

  /**
   * A krb5.conf for this DC's realm (written to `file`): the KDC over TCP through the forwarded port, no DNS, no
   * reverse lookups (the service principals name 127.0.0.1). Point KRB5_CONFIG at it.
   */
  writeKrb5Conf(file) {
    if (this.kdcPort === undefined) throw new Error('the DC has no KDC forwarder yet');
    fs.writeFileSync(file, krb5Conf(this.realm, `127.0.0.1:${this.kdcPort}`));
    return file;
  }

  /**
   * Adds a service principal (e.g. HTTP/127.0.0.1) to a new account of its own and exports its keys to `keytab`:
   * what an administrator does with `samba-tool user create` + `samba-tool spn add` + `samba-tool domain
   * exportkeytab` (or setspn and ktpass on Windows); the account and its SPN go in with one ldbmodify, faster than
   * two more samba-tool starts. Returns the full principal.
   */
  addServicePrincipal(service, keytab) {
    const account = `svc-${service.replace(/[^A-Za-z0-9]/g, '-').toLowerCase()}`.slice(0, 20);
    const smbConf = path.join(this.dir, 'etc', 'smb.conf');
    const sam = path.join(this.dir, 'private', 'sam.ldb');
    const ldifFile = path.join(this.dir, `${account}.ldif`);
    fs.writeFileSync(
      ldifFile,
      userLdif({
        login: account,
        password: `${account}-Pass-1`,
        description: `service principal ${service}`,
        servicePrincipalName: service,
      }),
    );
    try {
      runTool(LDBMODIFY, ['-H', sam, ldifFile]);
    } finally {
      fs.rmSync(ldifFile, { force: true });
    }
    const principal = `${service}@${this.realm}`;
    runTool(SAMBA_TOOL, ['domain', 'exportkeytab', keytab, `--principal=${principal}`, '-s', smbConf]);
    return principal;
  }

  /** Stops samba and the forwarders and removes the directory. Safe to call twice. */
  async stop() {
    await this.stopForwarder();
    await super.stop();
  }
}

/** A minimal krb5.conf: one realm, its KDC at `kdc` (host:port; TCP only: udp_preference_limit = 1, the
 * forwarder carries TCP), no DNS and no canonicalisation. */
function krb5Conf(realm, kdc) {
  return [
    '[libdefaults]',
    `  default_realm = ${realm}`,
    '  dns_lookup_kdc = false',
    '  dns_lookup_realm = false',
    '  rdns = false',
    '  dns_canonicalize_hostname = false',
    '  udp_preference_limit = 1',
    '[realms]',
    `  ${realm} = {`,
    `    kdc = ${kdc}`,
    '  }',
    '',
  ].join('\n');
}

/**
 * Samba's own TLS certificate names no IP address: a CA of this DC's own and a certificate for 127.0.0.1 (the
 * forwarded LDAPS port), written into smb.conf before samba starts.
 */
function configureTls(dir) {
  const ca = createCa(path.join(dir, 'tls'), { subject: '/CN=credroam throwaway Samba CA' });
  const server = issueCertificate(ca, 'dc', { hosts: ['127.0.0.1'] });
  const smbConf = path.join(dir, 'etc', 'smb.conf');
  const settings = [
    'tls enabled = yes',
    `tls keyfile = ${server.keyFile}`,
    `tls certfile = ${server.certFile}`,
    `tls cafile = ${ca.certFile}`,
  ];
  fs.writeFileSync(
    smbConf,
    fs
      .readFileSync(smbConf, 'utf8')
      .replace('[global]\n', `[global]\n${settings.map((line) => `\t${line}\n`).join('')}`),
  );
  return ca.certFile;
}

/** Starts a throwaway Samba AD DC (see samba-ad.d.cts); stop() it when done. */
async function startSambaAd(options = {}) {
  const startedAt = Date.now();
  ensureSambaInstalled();
  const installedAt = Date.now();
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    throw new Error('a throwaway Samba DC runs in a network namespace of its own, which needs root');
  const { template } = await ensureTemplate();
  const templateAt = Date.now();
  const dir = instantiate(template, options.baseDir ?? os.tmpdir());
  const instance = new SambaAdInstance(dir, options);
  try {
    if (options.maxPageSize !== undefined) setMaxPageSize(dir, options.maxPageSize);
    if (options.tls) instance.caFile = configureTls(dir);
    await instance.startProcess();
    await instance.startForwarder();
    if (options.tls) await instance.startLdapsForwarder();
  } catch (error) {
    await instance.stop();
    throw error;
  }
  const readyAt = Date.now();
  instance.startupMs = readyAt - startedAt;
  instance.timings = {
    installMs: installedAt - startedAt,
    templateMs: templateAt - installedAt,
    copyAndStartMs: readyAt - templateAt,
  };
  return instance;
}

module.exports = {
  ensureSambaInstalled,
  krb5Conf,
  startSambaAd,
  DEMO_USERS,
};
