'use strict';
// A throwaway OpenLDAP slapd for tests and the local stack: our schema and ACLs (deploy/openldap), an mdb
// database loaded with slapadd before start, demo users and the gateway's service account, on a free loopback
// port, optionally with TLS. Plain CommonJS with node built-ins only, so Jest suites (through slapd.d.cts) and
// plain `node` scripts share it. Debian's slapd 2.5 is assumed (modules in /usr/lib/ldap, schemas in
// /etc/ldap/schema); ensureSlapdInstalled() installs it when missing.

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const tls = require('node:tls');
const { createCa, issueCertificate } = require('./tls-ca.cjs');
const { ThrowawayServer, ensureAptPackages, freePort, probeLdap } = require('./throwaway-server.cjs');

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';
const LDAPADD = '/usr/bin/ldapadd';
const LDAPMODIFY = '/usr/bin/ldapmodify';
const LDAPSEARCH = '/usr/bin/ldapsearch';
const MODULE_PATH = '/usr/lib/ldap';
const SYSTEM_SCHEMA_DIR = '/etc/ldap/schema';
// dyngroup: groupOfURLs/memberURL, which the dynlist overlay needs to compute memberOf.
const SYSTEM_SCHEMAS = ['core', 'cosine', 'nis', 'inetorgperson', 'dyngroup'];
const FRONTEND_ACL = [
  'to dn.base="" by users read by * none',
  'to dn.base="cn=Subschema" by users read by * none',
];
const DYNLIST_ATTRSET = 'groupOfURLs memberURL member+memberOf@groupOfNames';
const DEPLOY_DIR = path.resolve(__dirname, '..', '..', 'deploy', 'openldap');
// The suffix the shipped ACL files are written for; replaced by the instance's suffix when they are loaded.
const ACL_PLACEHOLDER_SUFFIX = 'dc=credroam,dc=test';
const DEFAULT_SUFFIX = 'dc=credroam,dc=test';
const SERVICE_CN = 'credroam-gateway';
/** The admin CLI's read-only account (credroam scan), as the ACLs in deploy/openldap name it. */
const READER_CN = 'credroam-admin';

const log = (message) => process.stderr.write(`[slapd] ${message}\n`);

function slapdInstalled() {
  return [SLAPD, SLAPADD, LDAPADD, LDAPMODIFY, LDAPSEARCH].every((file) => fs.existsSync(file));
}

/** Installs Debian's slapd and ldap-utils when missing (root only); parallel callers take turns. */
function ensureSlapdInstalled() {
  ensureAptPackages({ label: 'slapd', packages: ['slapd', 'ldap-utils'], installed: slapdInstalled, log });
}

/** {SSHA} as slapd verifies it: base64(SHA-1(password || salt) || salt). */
function sshaPassword(password) {
  const salt = crypto.randomBytes(8);
  const digest = crypto.createHash('sha1').update(password, 'utf8').update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

/** RFC 2849 SAFE-STRING: no NUL/CR/LF, ASCII only, not starting with space, ':' or '<', no trailing space. */
function ldifSafe(bytes) {
  if (bytes.length === 0) return true;
  if ([0x20, 0x3a, 0x3c].includes(bytes[0]) || bytes[bytes.length - 1] === 0x20) return false;
  return bytes.every((byte) => byte !== 0x00 && byte !== 0x0a && byte !== 0x0d && byte < 0x80);
}

/** One LDIF line; values that LDIF cannot carry plainly are base64. */
function ldifLine(attribute, value) {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
  return ldifSafe(bytes)
    ? `${attribute}: ${bytes.toString('latin1')}`
    : `${attribute}:: ${bytes.toString('base64')}`;
}

function ldifEntry(dn, attributes) {
  const lines = [ldifLine('dn', dn)];
  for (const [attribute, value] of Object.entries(attributes)) {
    for (const one of Array.isArray(value) ? value : [value]) lines.push(ldifLine(attribute, one));
  }
  return `${lines.join('\n')}\n\n`;
}

/** RFC 4514 escaping of one RDN value. */
function escapeRdnValue(value) {
  return String(value)
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^([ #])/, '\\$1')
    .replace(/ $/, '\\ ');
}

function suffixEntry(suffix) {
  const [first] = suffix.split(',');
  const [attribute, value] = first.split('=');
  switch (attribute.trim().toLowerCase()) {
    case 'dc':
      return { objectClass: ['top', 'dcObject', 'organization'], dc: value, o: value };
    case 'o':
      return { objectClass: ['top', 'organization'], o: value };
    case 'ou':
      return { objectClass: ['top', 'organizationalUnit'], ou: value };
    default:
      throw new Error(`unsupported suffix ${suffix}: its first RDN must be dc=, o= or ou=`);
  }
}

function normaliseOptions(options = {}) {
  const suffix = options.suffix ?? DEFAULT_SUFFIX;
  const dialect = options.dialect ?? 'openldap';
  if (dialect !== 'openldap' && dialect !== 'active-directory') throw new Error(`unknown dialect ${dialect}`);
  const configFormat = options.configFormat ?? 'slapd.conf';
  if (configFormat !== 'slapd.conf' && configFormat !== 'cn=config') {
    throw new Error(`unknown configFormat ${configFormat}`);
  }
  if (configFormat === 'cn=config' && options.ppolicy) {
    throw new Error('ppolicy is loaded in the slapd.conf format only');
  }
  if (configFormat === 'cn=config' && dialect !== 'openldap') {
    throw new Error(
      'configFormat cn=config loads deploy/openldap/credroam.ldif, which is the openldap dialect only',
    );
  }
  return {
    suffix,
    dialect,
    configFormat,
    users: options.users ?? [],
    groups: options.groups ?? [],
    port: options.port ?? 0,
    ldapsPort: options.ldapsPort ?? 0,
    ppolicy: options.ppolicy ?? false,
    tls: options.tls ?? false,
    dbNoSync: options.dbNoSync ?? true,
    adminPassword: options.adminPassword ?? 'admin',
    servicePassword: options.servicePassword ?? 'credroam-gateway-pass',
    readerPassword: options.readerPassword ?? 'credroam-admin-pass',
    debugLevel: options.debugLevel ?? 'none',
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 5_000,
    baseDir: options.baseDir ?? os.tmpdir(),
  };
}

/** Directory content: base entries, ou=people/services/groups, the gateway's account, users and groups. */
function buildData(o) {
  const peopleDn = `ou=people,${o.suffix}`;
  const servicesDn = `ou=services,${o.suffix}`;
  const groupsDn = `ou=groups,${o.suffix}`;
  const serviceDn = `cn=${SERVICE_CN},${servicesDn}`;
  let ldif = ldifEntry(o.suffix, suffixEntry(o.suffix));
  for (const [dn, ou] of [
    [peopleDn, 'people'],
    [servicesDn, 'services'],
    [groupsDn, 'groups'],
  ]) {
    ldif += ldifEntry(dn, { objectClass: ['top', 'organizationalUnit'], ou });
  }
  ldif += ldifEntry(serviceDn, {
    objectClass: ['top', 'applicationProcess', 'simpleSecurityObject'],
    cn: SERVICE_CN,
    description: 'credroam directory-gateway service account',
    userPassword: sshaPassword(o.servicePassword),
  });
  const readerDn = `cn=${READER_CN},${servicesDn}`;
  ldif += ldifEntry(readerDn, {
    objectClass: ['top', 'applicationProcess', 'simpleSecurityObject'],
    cn: READER_CN,
    description: 'credroam admin CLI read-only account',
    userPassword: sshaPassword(o.readerPassword),
  });
  const subOus = new Set();
  const users = o.users.map((user, index) => {
    if (!user.uid || typeof user.password !== 'string') throw new Error('every user needs uid and password');
    const parent = user.ou ? `ou=${escapeRdnValue(user.ou)},${peopleDn}` : peopleDn;
    if (user.ou && !subOus.has(parent)) {
      subOus.add(parent);
      ldif += ldifEntry(parent, { objectClass: ['top', 'organizationalUnit'], ou: user.ou });
    }
    const dn = `uid=${escapeRdnValue(user.uid)},${parent}`;
    const cn = user.cn ?? user.uid;
    const objectClass = ['top', 'person', 'organizationalPerson', 'inetOrgPerson'];
    const attributes = {
      uid: user.uid,
      cn,
      sn: user.sn ?? cn.split(' ').pop(),
      userPassword: sshaPassword(user.password),
    };
    if (user.mail) attributes.mail = user.mail;
    if (user.posix) {
      objectClass.push('posixAccount');
      Object.assign(attributes, {
        uidNumber: String(10_000 + index),
        gidNumber: String(10_000),
        homeDirectory: `/home/${user.uid}`,
      });
    }
    if (user.roaming) objectClass.push('credroamRoamingUser');
    ldif += ldifEntry(dn, { objectClass, ...attributes, ...user.attributes });
    return { uid: user.uid, dn, password: user.password, cn };
  });
  const byUid = new Map(users.map((user) => [user.uid, user.dn]));
  const groups = o.groups.map((group) => {
    const dn = `cn=${escapeRdnValue(group.cn)},${groupsDn}`;
    const members = (group.members ?? []).map((uid) => {
      const member = byUid.get(uid);
      if (!member) throw new Error(`group ${group.cn}: unknown member ${uid}`);
      return member;
    });
    // groupOfNames requires a member; an empty group names itself.
    ldif += ldifEntry(dn, {
      objectClass: ['top', 'groupOfNames'],
      cn: group.cn,
      member: members.length ? members : [dn],
    });
    return { cn: group.cn, dn, members };
  });
  return { ldif, peopleDn, servicesDn, groupsDn, serviceDn, readerDn, users, groups };
}

function readAcl(suffix, file) {
  return fs.readFileSync(path.join(DEPLOY_DIR, file), 'utf8').split(ACL_PLACEHOLDER_SUFFIX).join(suffix);
}

function schemaFile(dialect) {
  return path.join(
    DEPLOY_DIR,
    dialect === 'active-directory' ? 'credroam-ad-emulation.schema' : 'credroam.schema',
  );
}

function tlsDirectives(tls) {
  return tls
    ? [
        `TLSCACertificateFile ${tls.caFile}`,
        `TLSCertificateFile ${tls.certFile}`,
        `TLSCertificateKeyFile ${tls.keyFile}`,
      ]
    : [];
}

function writeSlapdConf(dir, o, data, tls) {
  const lines = [
    '# Generated by scripts/lib/slapd.cjs for a throwaway test directory.',
    ...SYSTEM_SCHEMAS.map((name) => `include ${path.join(SYSTEM_SCHEMA_DIR, `${name}.schema`)}`),
    `include ${schemaFile(o.dialect)}`,
    `pidfile ${path.join(dir, 'slapd.pid')}`,
    `argsfile ${path.join(dir, 'slapd.args')}`,
    `modulepath ${MODULE_PATH}`,
    'moduleload back_mdb',
    'moduleload dynlist',
    ...(o.ppolicy ? ['moduleload ppolicy'] : []),
    ...tlsDirectives(tls),
    '',
    '# Frontend: the root DSE and the subschema entry (the gateway checks the schema), nothing for anonymous.',
    ...FRONTEND_ACL.map((rule) => `access ${rule}`),
    '',
    'database mdb',
    `suffix "${o.suffix}"`,
    `rootdn "cn=admin,${o.suffix}"`,
    `rootpw ${sshaPassword(o.adminPassword)}`,
    `directory ${path.join(dir, 'data')}`,
    // mdb's default map is 10 MB; roaming values can add up in load tests. The file grows only as used.
    'maxsize 1073741824',
    ...(o.dbNoSync ? ['dbnosync'] : []),
    'index objectClass eq',
    'index uid eq',
    'index cn eq',
    'index entryUUID eq',
    'index member eq',
    '',
    ...(o.ppolicy ? [`include ${path.join(dir, 'credroam-ppolicy-acl.conf')}`] : []),
    `include ${path.join(dir, 'credroam-acl.conf')}`,
    '',
    // Maintains pwdChangedTime on every password change (no password policy entry needed for that).
    ...(o.ppolicy ? ['overlay ppolicy'] : []),
    '# memberOf computed at read time (so it also covers entries loaded with slapadd).',
    'overlay dynlist',
    `dynlist-attrset ${DYNLIST_ATTRSET}`,
    '',
  ];
  fs.writeFileSync(path.join(dir, 'credroam-acl.conf'), readAcl(o.suffix, 'credroam-acl.conf'));
  if (o.ppolicy) {
    fs.writeFileSync(
      path.join(dir, 'credroam-ppolicy-acl.conf'),
      readAcl(o.suffix, 'credroam-ppolicy-acl.conf'),
    );
  }
  fs.writeFileSync(path.join(dir, 'slapd.conf'), lines.join('\n'));
  fs.writeFileSync(path.join(dir, 'data.ldif'), data.ldif);
}

/** cn=config bootstrap without our schema and ACLs: those are then added online from the shipped LDIF files. */
function writeBootstrapConfig(dir, o, tls) {
  const entry = (dn, attributes) => ldifEntry(dn, attributes);
  const tlsAttributes = tls
    ? {
        olcTLSCACertificateFile: tls.caFile,
        olcTLSCertificateFile: tls.certFile,
        olcTLSCertificateKeyFile: tls.keyFile,
      }
    : {};
  let ldif = entry('cn=config', {
    objectClass: 'olcGlobal',
    cn: 'config',
    olcPidFile: path.join(dir, 'slapd.pid'),
    olcArgsFile: path.join(dir, 'slapd.args'),
    ...tlsAttributes,
  });
  ldif += entry('cn=module{0},cn=config', {
    objectClass: 'olcModuleList',
    cn: 'module{0}',
    olcModulePath: MODULE_PATH,
    olcModuleLoad: ['back_mdb', 'dynlist'],
  });
  ldif += entry('cn=schema,cn=config', { objectClass: 'olcSchemaConfig', cn: 'schema' });
  for (const name of SYSTEM_SCHEMAS) {
    const text = fs.readFileSync(path.join(SYSTEM_SCHEMA_DIR, `${name}.ldif`), 'utf8');
    ldif += `${text.replace(/^#.*\n/gm, '').trim()}\n\n`;
  }
  ldif += entry('olcDatabase={-1}frontend,cn=config', {
    objectClass: ['olcDatabaseConfig', 'olcFrontendConfig'],
    olcDatabase: '{-1}frontend',
    olcAccess: FRONTEND_ACL.map((rule, index) => `{${index}}${rule}`),
  });
  ldif += entry('olcDatabase={0}config,cn=config', {
    objectClass: 'olcDatabaseConfig',
    olcDatabase: '{0}config',
    olcAccess: '{0}to * by dn.exact=gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth manage by * none',
  });
  ldif += entry('olcDatabase={1}mdb,cn=config', {
    objectClass: ['olcDatabaseConfig', 'olcMdbConfig'],
    olcDatabase: '{1}mdb',
    olcSuffix: o.suffix,
    olcRootDN: `cn=admin,${o.suffix}`,
    olcRootPW: sshaPassword(o.adminPassword),
    olcDbDirectory: path.join(dir, 'data'),
    olcDbMaxSize: '1073741824',
    olcDbNoSync: o.dbNoSync ? 'TRUE' : 'FALSE',
    olcDbIndex: ['objectClass eq', 'uid eq', 'cn eq', 'entryUUID eq', 'member eq'],
  });
  ldif += entry('olcOverlay={0}dynlist,olcDatabase={1}mdb,cn=config', {
    objectClass: ['olcOverlayConfig', 'olcDynListConfig'],
    olcOverlay: '{0}dynlist',
    olcDynListAttrSet: DYNLIST_ATTRSET,
  });
  fs.writeFileSync(path.join(dir, 'bootstrap-config.ldif'), ldif);
}

/**
 * The TLS files slapd serves: those given (a suite's own CA), else a throwaway CA and a server certificate for
 * 127.0.0.1 and localhost in the instance's directory.
 */
function generateTls(dir, given) {
  if (typeof given === 'object') return { ...given };
  const ca = createCa(path.join(dir, 'tls'), { subject: '/CN=credroam throwaway test CA' });
  const server = issueCertificate(ca, 'server', { hosts: ['127.0.0.1', 'localhost'] });
  return { caFile: ca.certFile, ...server };
}

function runTool(command, args, input) {
  const result = spawnSync(command, args, { input, encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${path.basename(command)} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
  return result.stdout;
}

/**
 * Starts a throwaway slapd (see slapd.d.cts for the options and the handle).
 */
async function startSlapd(options = {}) {
  ensureSlapdInstalled();
  const startedAt = Date.now();
  const o = normaliseOptions(options);
  const dir = fs.mkdtempSync(path.join(o.baseDir, 'credroam-slapd-'));
  let instance;
  try {
    fs.mkdirSync(path.join(dir, 'data'));
    const data = buildData(o);
    const tls = o.tls ? generateTls(dir, o.tls) : undefined;
    const ldapiUrl = `ldapi://${encodeURIComponent(path.join(dir, 'ldapi'))}`;
    if (o.configFormat === 'slapd.conf') {
      writeSlapdConf(dir, o, data, tls);
      runTool(SLAPADD, ['-q', '-f', path.join(dir, 'slapd.conf'), '-l', path.join(dir, 'data.ldif')]);
    } else {
      writeBootstrapConfig(dir, o, tls);
      fs.mkdirSync(path.join(dir, 'slapd.d'));
      runTool(SLAPADD, [
        '-n0',
        '-F',
        path.join(dir, 'slapd.d'),
        '-l',
        path.join(dir, 'bootstrap-config.ldif'),
      ]);
      fs.writeFileSync(path.join(dir, 'data.ldif'), data.ldif);
    }
    instance = new SlapdInstance(dir, o, data, tls, ldapiUrl);
    await instance.startProcess({ pickPorts: true });
    if (o.configFormat === 'cn=config') {
      // What an operator does: add the schema and the ACLs to a running cn=config, as root over ldapi.
      runTool(LDAPADD, [
        '-Q',
        '-Y',
        'EXTERNAL',
        '-H',
        ldapiUrl,
        '-f',
        path.join(DEPLOY_DIR, 'credroam.ldif'),
      ]);
      fs.writeFileSync(path.join(dir, 'credroam-acl.ldif'), readAcl(o.suffix, 'credroam-acl.ldif'));
      runTool(LDAPMODIFY, [
        '-Q',
        '-Y',
        'EXTERNAL',
        '-H',
        ldapiUrl,
        '-f',
        path.join(dir, 'credroam-acl.ldif'),
      ]);
      const admin = ['-x', '-H', instance.url, '-D', instance.adminDn, '-w', o.adminPassword];
      runTool(LDAPADD, [...admin, '-f', path.join(dir, 'data.ldif')]);
    }
    instance.startupMs = Date.now() - startedAt;
    return instance;
  } catch (error) {
    await instance?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

class SlapdInstance extends ThrowawayServer {
  constructor(dir, o, data, tls, ldapiUrl) {
    super('slapd', dir, o);
    this.suffix = o.suffix;
    this.dialect = o.dialect;
    this.configFormat = o.configFormat;
    this.adminDn = `cn=admin,${o.suffix}`;
    this.adminPassword = o.adminPassword;
    this.serviceDn = data.serviceDn;
    this.servicePassword = o.servicePassword;
    this.readerDn = data.readerDn;
    this.readerPassword = o.readerPassword;
    this.peopleDn = data.peopleDn;
    this.servicesDn = data.servicesDn;
    this.groupsDn = data.groupsDn;
    this.users = data.users;
    this.groups = data.groups;
    this.caFile = tls?.caFile;
    this.caPem = tls ? fs.readFileSync(tls.caFile, 'utf8') : undefined;
    this.logFile = path.join(dir, 'slapd.log');
    this.ldapiUrl = o.configFormat === 'cn=config' ? ldapiUrl : undefined;
    this.startupMs = 0;
    this.port = o.port;
    this.ldapsPort = tls ? o.ldapsPort : undefined;
  }

  get url() {
    return `ldap://127.0.0.1:${this.port}`;
  }

  get ldapsUrl() {
    return this.ldapsPort === undefined ? undefined : `ldaps://127.0.0.1:${this.ldapsPort}`;
  }

  user(uid) {
    const user = this.users.find((candidate) => candidate.uid === uid);
    if (!user) throw new Error(`no user ${uid} in this directory`);
    return user;
  }

  async startProcess({ pickPorts = false } = {}) {
    if (this.child) throw new Error('slapd is already running');
    if (this.removed) throw new Error('this slapd was stopped and its directory removed');
    const autoPort = pickPorts && this.options.port === 0;
    const autoLdapsPort = pickPorts && this.options.ldapsPort === 0 && this.ldapsPort !== undefined;
    for (let attempt = 1; ; attempt++) {
      if (autoPort) this.port = await freePort();
      if (autoLdapsPort) this.ldapsPort = await freePort();
      try {
        await this.spawnAndWait();
        return;
      } catch (error) {
        // Another process may take the free port between our probe and slapd's bind: pick again.
        const portRace = /Address already in use|bind\(\) failed|daemon: bind/.test(String(error.message));
        if (!(portRace && (autoPort || autoLdapsPort) && attempt < 3)) throw error;
      }
    }
  }

  async spawnAndWait() {
    const urls = [`${this.url}/`];
    if (this.ldapsUrl) urls.push(`${this.ldapsUrl}/`);
    if (this.ldapiUrl) urls.push(this.ldapiUrl);
    const config =
      this.configFormat === 'cn=config'
        ? ['-F', path.join(this.dir, 'slapd.d')]
        : ['-f', path.join(this.dir, 'slapd.conf')];
    const logFd = fs.openSync(this.logFile, 'a');
    let child;
    try {
      // -d keeps slapd in the foreground, so this child's pid is slapd's own; its log goes to a file, not a
      // pipe, so nothing of it keeps the Node event loop busy.
      child = spawn(SLAPD, ['-d', this.options.debugLevel, ...config, '-h', urls.join(' ')], {
        stdio: ['ignore', logFd, logFd],
      });
    } finally {
      fs.closeSync(logFd);
    }
    this.adoptChild(child);
    await this.waitUntilReady(
      child,
      async () =>
        (await probeLdap(this.port)) &&
        (this.ldapsPort === undefined || (await tlsAnswers(this.ldapsPort, this.caPem))),
      { pollMs: 10, where: ` on ${this.url}` },
    );
  }

  /** Stops and starts slapd again on the same port with the same data. */
  async restart(options) {
    await this.stopProcess(options);
    await this.startProcess();
  }
}

/** Resolves true once ldaps answers a TLS handshake with a certificate the generated CA vouches for. */
function tlsAnswers(port, caPem) {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: [caPem], servername: 'localhost' });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('secureConnect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The local stack's demo users (DESIGN.md section 11). */
const DEMO_USERS = ['alice', 'bob', 'carol'].map((uid) => ({
  uid,
  password: `${uid}-pass`,
  cn: `${uid[0].toUpperCase()}${uid.slice(1)} Demo`,
  mail: `${uid}@credroam.test`,
}));

module.exports = {
  ensureSlapdInstalled,
  startSlapd,
  sshaPassword,
  DEMO_USERS,
  DEFAULT_SUFFIX,
  ACL_PLACEHOLDER_SUFFIX,
  DEPLOY_DIR,
};
