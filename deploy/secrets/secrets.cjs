#!/usr/bin/env node
'use strict';
// Every secret of a credroam installation, made at deploy time (none is ever committed), and where each consumer
// finds it. One table (SECRETS) serves both environments:
//
//   compose     node deploy/secrets/secrets.cjs compose --root /secrets
//               The one-shot `init` service of docker-compose.yml. /secrets/<consumer> are named volumes; each
//               consumer mounts only its own, read-only, at /run/credroam. Generated material is kept in
//               /secrets/operator (the init's own volume), so a second `docker compose up` reuses it.
//   kubernetes  node deploy/secrets/secrets.cjs kubernetes --out DIR [--amqp-url amqps://host:5671]
//               DIR/secrets/<Secret name>/<key> for `kubectl create secret generic NAME --from-file=DIR/secrets/NAME`
//               (README, "Cluster with kustomize"); DIR/state keeps the generated material for the next run.
//   show        node deploy/secrets/secrets.cjs show --root /secrets
//               What a person needs on a single host: the hooks' broker URL, the audit operator token, the
//               broker's and the directory's administrator passwords.
//
// Each Secret is mounted as a directory /run/credroam/<mount>/ holding its keys as files, in compose and in
// Kubernetes alike, so one set of paths (k8s/config/*.env) configures both.

const { randomBytes } = require('node:crypto');
const {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} = require('node:fs');
const { dirname, join, resolve } = require('node:path');
const { parseArgs } = require('node:util');

const MOUNT_ROOT = '/run/credroam';
const SERVICES = ['directory-gateway', 'token-crypto', 'logon-events', 'audit'];
/** Who reads a compose volume: the credroam image's uid, the official rabbitmq and postgres images' (999). */
const COMPOSE_CONSUMERS = {
  'directory-gateway': 10001,
  'token-crypto': 10001,
  'logon-events': 10001,
  audit: 10001,
  rabbitmq: 999,
  postgres: 999,
  openldap: 10389,
};

/**
 * name: the Kubernetes Secret; mount: its directory under /run/credroam; keys: key -> the generated material;
 * consumers: who mounts it; only: an environment that alone has it (compose runs its own directory and database,
 * Kubernetes' broker operator wants its administrator in a Secret of its own format).
 */
const SECRETS = [
  ...SERVICES.map((service) => ({
    name: `credroam-amqp-${service}`,
    mount: 'amqp',
    keys: { url: `amqp-url/${service}` },
    consumers: [service],
    what: `${service}'s broker URL, with the password of its own account credroam-${service}`,
  })),
  {
    name: 'credroam-amqp-operator',
    mount: 'amqp',
    keys: { url: 'amqp-url/operator' },
    consumers: [],
    only: 'kubernetes',
    what: 'the operators account (credroam-operator), which KEDA uses to read queue depths',
  },
  {
    name: 'credroam-ldap-bind',
    mount: 'ldap',
    keys: { password: 'ldap-gateway.password' },
    consumers: ['directory-gateway', 'openldap'],
    what: "the directory-gateway's LDAP service account password",
  },
  {
    name: 'credroam-ldap-admin',
    mount: 'ldap-admin',
    keys: { password: 'ldap-admin.password' },
    consumers: ['openldap'],
    only: 'compose',
    what: "the demo directory's rootdn password",
  },
  {
    name: 'credroam-service-channel',
    mount: 'service-channel',
    keys: { key: 'service-channel.key' },
    consumers: ['directory-gateway', 'token-crypto', 'logon-events'],
    what: 'the 32-byte key that seals logon passwords between logon-events, token-crypto and the gateway',
  },
  {
    name: 'credroam-grant-public',
    mount: 'grant-public',
    keys: { 'keys.pem': 'grant-public.pem' },
    consumers: ['directory-gateway', 'token-crypto'],
    what: "logon-events' grant public key(s) (Ed25519); not secret, but whoever changes it can forge grants",
  },
  {
    name: 'credroam-grant-signing',
    mount: 'grant-signing',
    keys: { 'key.pem': 'grant-signing.pem' },
    consumers: ['logon-events'],
    what: 'the Ed25519 key that signs grants',
  },
  {
    name: 'credroam-session-key',
    mount: 'session',
    keys: { key: 'session.key' },
    consumers: ['logon-events'],
    what: 'the HMAC key of session tokens (every logon-events replica the same)',
  },
  {
    name: 'credroam-token-crypto-keys',
    mount: 'token-crypto/keys',
    keys: {
      'transport.key': 'token-crypto/transport.key',
      'transport.crt': 'token-crypto/transport.crt',
      'hash-key-master.key': 'token-crypto/hash-key-master.key',
    },
    consumers: ['token-crypto'],
    what: 'the transport key and certificate, and the master of the token hash keys (never rotated)',
  },
  {
    name: 'credroam-storage-master-keys',
    mount: 'token-crypto/storage-master-keys',
    keys: { '*': 'token-crypto/storage-master-keys' },
    consumers: ['token-crypto'],
    what: 'the storage master keys v1.key, v2.key … (losing them loses every stored value: back them up)',
  },
  {
    name: 'credroam-audit-db',
    mount: 'audit-db',
    keys: { url: 'audit-db.url' },
    consumers: ['audit'],
    what: "audit's PostgreSQL URL with its password",
  },
  {
    name: 'credroam-audit-db-password',
    mount: 'audit-db',
    keys: { password: 'audit-db.password' },
    consumers: ['postgres'],
    only: 'compose',
    what: "the demo PostgreSQL's password of audit's database user",
  },
  {
    name: 'credroam-audit-operator-token',
    mount: 'audit-operator',
    keys: { token: 'audit-operator.token' },
    consumers: ['audit'],
    what: "the bearer token of audit's read-only operator role",
  },
  {
    name: 'credroam-broker-definitions',
    mount: 'broker-definitions',
    keys: { 'definitions.json': 'broker-definitions.json' },
    consumers: ['rabbitmq'],
    what: 'the broker definitions: accounts (password hashes), permissions, vhost and topology',
  },
  {
    name: 'credroam-rabbitmq-admin',
    mount: null,
    keys: {
      'default_user.conf': 'rabbitmq-admin/default_user.conf',
      username: 'rabbitmq-admin/username',
      password: 'rabbitmq-admin/password',
      host: 'rabbitmq-admin/host',
      port: 'rabbitmq-admin/port',
      provider: 'rabbitmq-admin/provider',
      type: 'rabbitmq-admin/type',
    },
    consumers: [],
    only: 'kubernetes',
    what: "the broker's administrator, in the RabbitMQ Cluster Operator's default-user format",
  },
];

function secretsFor(target) {
  return SECRETS.filter((secret) => !secret.only || secret.only === target);
}

/** The container path of a Secret's key (a `*` key: the directory itself). */
function mountedPath(secret, key) {
  if (!secret.mount) throw new Error(`${secret.name} is not mounted`);
  return key === '*' ? `${MOUNT_ROOT}/${secret.mount}` : `${MOUNT_ROOT}/${secret.mount}/${key}`;
}

const randomKey = () => `${randomBytes(32).toString('base64')}\n`;
const randomPassword = () => `${randomBytes(24).toString('base64url')}\n`;

function keep(file, make) {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, make(), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * Makes what is missing in `state` (never replaces a key) and derives the rest (URLs, definitions). Returns a
 * function giving the content of each material id used in SECRETS.keys.
 */
function prepareMaterial(modules, state, options) {
  const { messaging, roaming, grants, keyGenerator, BrokerPasswordsRepository, definitions } = modules;
  const { namespace, amqpUrl, queueType, auditDbUrl } = options;
  mkdirSync(state, { recursive: true, mode: 0o700 });
  const passwords = new BrokerPasswordsRepository(join(state, 'broker')).readOrCreate();
  const adminPassword = keep(join(state, 'broker', 'admin.password'), randomPassword);
  if (!existsSync(join(state, 'grant-signing.pem'))) {
    const pair = grants.generateGrantKeyPair();
    writeFileSync(join(state, 'grant-signing.pem'), pair.signingKeyPem, { mode: 0o600 });
    writeFileSync(join(state, 'grant-public.pem'), pair.publicKeyPem, { mode: 0o600 });
  }
  keep(join(state, 'service-channel.key'), randomKey);
  keep(join(state, 'session.key'), randomKey);
  keep(join(state, 'audit-operator.token'), randomPassword);
  keep(join(state, 'ldap-gateway.password'), randomPassword);
  keep(join(state, 'ldap-admin.password'), randomPassword);
  const dbPassword = keep(join(state, 'audit-db.password'), randomPassword);
  if (!existsSync(join(state, 'token-crypto', 'transport.key'))) {
    // Generated next to the state, then moved in whole: a half-written key directory is never left behind.
    const scratch = mkdtempSync(join(state, '.token-crypto-'));
    keyGenerator.generateKeys(join(scratch, 'keys'), { transportKeyBits: 3072, days: 1095 });
    cpSync(join(scratch, 'keys'), join(state, 'token-crypto'), { recursive: true });
    rmSync(scratch, { recursive: true, force: true });
  }
  const vhost = namespace;
  const urlOf = (account) => {
    const url = new URL(amqpUrl);
    url.username = messaging.brokerUserName(namespace, account);
    url.password = passwords[account];
    url.pathname = `/${encodeURIComponent(vhost)}`;
    return url.toString();
  };
  const admin = { user: definitions.DEFAULT_ADMIN, password: adminPassword };
  const broker = new URL(amqpUrl);
  const derived = {
    'broker-definitions.json': () =>
      `${JSON.stringify(
        definitions.buildDefinitions(messaging, roaming, { namespace, vhost, passwords, queueType, admin }),
        null,
        2,
      )}\n`,
    'audit-db.url': () =>
      auditDbUrl ??
      `postgres://credroam_audit:${encodeURIComponent(dbPassword)}@postgres:5432/credroam_audit\n`,
    'rabbitmq-admin/default_user.conf': () =>
      `default_user = ${admin.user}\ndefault_pass = ${admin.password}\n`,
    'rabbitmq-admin/username': () => admin.user,
    'rabbitmq-admin/password': () => admin.password,
    'rabbitmq-admin/host': () => broker.hostname,
    'rabbitmq-admin/port': () => broker.port || (broker.protocol === 'amqps:' ? '5671' : '5672'),
    'rabbitmq-admin/provider': () => 'rabbitmq',
    'rabbitmq-admin/type': () => 'rabbitmq',
  };
  for (const account of messaging.BROKER_ACCOUNTS)
    derived[`amqp-url/${account}`] = () => `${urlOf(account)}\n`;
  const hook = new URL(urlOf('hook'));
  hook.searchParams.set('namespace', namespace);
  return {
    content(id) {
      if (derived[id]) return derived[id]();
      return readFileSync(join(state, id));
    },
    /** A directory of the state (`*` keys): file name -> content. */
    directory(id) {
      return Object.fromEntries(
        readdirSync(join(state, id))
          .sort()
          .map((name) => [name, readFileSync(join(state, id, name))]),
      );
    },
    hookUrl: hook.toString(),
  };
}

function write(file, content, { uid, mode = 0o400 } = {}) {
  mkdirSync(dirname(file), { recursive: true });
  rmSync(file, { force: true });
  writeFileSync(file, content, { mode });
  if (uid !== undefined) chownSync(file, uid, uid);
}

/** The files of one Secret: key -> content (a `*` key expands to every file of its state directory). */
function filesOf(secret, material) {
  return Object.entries(secret.keys).flatMap(([key, id]) =>
    key === '*' ? Object.entries(material.directory(id)) : [[key, material.content(id)]],
  );
}

/** compose: each consumer's volume gets its secrets, owned by its uid (when run as root), read-only. */
function writeCompose(modules, root, options) {
  const material = prepareMaterial(modules, join(root, 'operator'), options);
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  for (const [consumer, uid] of Object.entries(COMPOSE_CONSUMERS)) {
    const scope = join(root, consumer);
    mkdirSync(scope, { recursive: true });
    // Replaced whole on every run, so a secret that moved or was dropped does not linger.
    for (const entry of readdirSync(scope)) rmSync(join(scope, entry), { recursive: true, force: true });
    for (const secret of secretsFor('compose').filter((one) => one.consumers.includes(consumer))) {
      for (const [key, content] of filesOf(secret, material)) {
        write(join(scope, secret.mount, key), content, asRoot ? { uid } : {});
      }
    }
    if (consumer === 'token-crypto') mkdirSync(join(scope, 'token-crypto', 'recovery'), { recursive: true });
    if (asRoot) chownTree(scope, uid);
  }
  // The hooks run on workstations: they reach the broker through the host's published port.
  const hook = new URL(material.hookUrl);
  hook.hostname = options.publicHost ?? 'localhost';
  writeFileSync(join(root, 'operator', 'hook.url'), `${hook}\n`, { mode: 0o600 });
  return material;
}

function chownTree(dir, uid) {
  chownSync(dir, uid, uid);
  chmodSync(dir, 0o500);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) chownTree(join(dir, entry.name), uid);
  }
}

/** kubernetes: DIR/secrets/<name>/<key>, ready for `kubectl create secret generic --from-file`. */
function writeKubernetes(modules, out, options) {
  const material = prepareMaterial(modules, join(out, 'state'), options);
  const secrets = join(out, 'secrets');
  rmSync(secrets, { recursive: true, force: true });
  for (const secret of secretsFor('kubernetes')) {
    if (secret.name === 'credroam-audit-db' && !options.auditDbUrl) continue;
    for (const [key, content] of filesOf(secret, material)) write(join(secrets, secret.name, key), content);
  }
  writeFileSync(join(out, 'hook.url'), `${material.hookUrl}\n`, { mode: 0o600 });
  return material;
}

function loadModules() {
  const { requireFromDist } = require(join(__dirname, '..', '..', 'scripts', 'lib', 'run-service.cjs'));
  return {
    messaging: requireFromDist('libs/messaging/src/index.js'),
    roaming: requireFromDist('libs/roaming/src/index.js'),
    grants: requireFromDist('libs/grants/src/grant-keys.js'),
    keyGenerator: requireFromDist('apps/token-crypto/src/keys/key-generator.js'),
    BrokerPasswordsRepository: requireFromDist('apps/admin/src/broker/broker-passwords.repository.js')
      .BrokerPasswordsRepository,
    definitions: require(join(__dirname, '..', 'rabbitmq', 'definitions.cjs')),
  };
}

const USAGE = `usage: secrets.cjs compose --root DIR [--public-host HOST]
       secrets.cjs kubernetes --out DIR [--amqp-url URL] [--audit-db-url-file FILE]
       secrets.cjs show --root DIR
common: [--namespace credroam] [--queue-type quorum|classic] (default: $CREDROAM_AMQP_QUEUE_TYPE or quorum)`;

function main(argv) {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      root: { type: 'string' },
      out: { type: 'string' },
      namespace: { type: 'string', default: 'credroam' },
      'queue-type': { type: 'string', default: process.env.CREDROAM_AMQP_QUEUE_TYPE || 'quorum' },
      'public-host': { type: 'string', default: process.env.CREDROAM_PUBLIC_HOST || 'localhost' },
      'amqp-url': { type: 'string', default: 'amqps://credroam-rabbitmq.credroam.svc:5671' },
      'audit-db-url-file': { type: 'string' },
    },
    strict: true,
  });
  const common = { namespace: values.namespace, queueType: values['queue-type'] };
  switch (command) {
    case 'compose': {
      if (!values.root) throw new Error(USAGE);
      const root = resolve(values.root);
      writeCompose(loadModules(), root, {
        ...common,
        amqpUrl: 'amqp://rabbitmq:5672',
        publicHost: values['public-host'],
      });
      console.log(`secrets ready in ${root} (queue type ${common.queueType}); "show" prints the operator's`);
      return;
    }
    case 'kubernetes': {
      if (!values.out) throw new Error(USAGE);
      const auditDbUrl = values['audit-db-url-file']
        ? readFileSync(values['audit-db-url-file'], 'utf8').trim()
        : undefined;
      const out = resolve(values.out);
      writeKubernetes(loadModules(), out, { ...common, amqpUrl: values['amqp-url'], auditDbUrl });
      console.log(`one directory per Secret in ${join(out, 'secrets')}; keep ${join(out, 'state')} offline`);
      if (!auditDbUrl) console.log('credroam-audit-db not written: pass --audit-db-url-file');
      return;
    }
    case 'show': {
      if (!values.root) throw new Error(USAGE);
      const state = join(resolve(values.root), 'operator');
      const read = (file) => readFileSync(join(state, file), 'utf8').trim();
      console.log(`hooks' broker URL           ${read('hook.url')}`);
      console.log(`audit operator token        ${read('audit-operator.token')}`);
      console.log(`broker administrator        credroam-admin / ${read('broker/admin.password')}`);
      console.log(
        `directory administrator     cn=admin,dc=credroam,dc=test / ${read('ldap-admin.password')}`,
      );
      return;
    }
    default:
      throw new Error(USAGE);
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(error.message);
    process.exit(2);
  }
}

module.exports = {
  SECRETS,
  SERVICES,
  MOUNT_ROOT,
  COMPOSE_CONSUMERS,
  secretsFor,
  mountedPath,
  writeCompose,
  writeKubernetes,
};
