#!/usr/bin/env node
'use strict';
// The broker's whole configuration for one installation, as one RabbitMQ definitions document: the vhost (with
// its default queue type), the per-service accounts with their permissions (libs/messaging broker-accounts, as
// `bin/credroam broker definitions` prints them), an administrator, and the RPC and event topology (exchanges,
// queues, bindings) with exactly the arguments the services declare (libs/messaging amqp-topology). Every
// environment loads this same document at broker boot (compose: the init step writes it; Kubernetes: a Secret
// mounted into the RabbitmqCluster), so the topology is declared once, in code, and used everywhere.
//
//   node deploy/rabbitmq/definitions.cjs --password-dir DIR [--namespace credroam] [--vhost credroam]
//        [--queue-type quorum|classic] [--admin credroam-admin]  > definitions.json
//
// Queue type: quorum (replicated, the default) or classic (a single local broker without quorum support). It is
// set once, as the vhost's default queue type; RabbitMQ (3.12 and later) applies it to every durable queue a
// service declares without an x-queue-type argument, and falls back to classic for exclusive ones (audit's live
// feed), so the services need no setting of their own for it (see the deployment notes in the README).
// Passwords are read from DIR/<account>.password (made when missing, like `credroam broker definitions`) and
// DIR/admin.password; only their hashes are printed.

const { randomBytes } = require('node:crypto');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { parseArgs } = require('node:util');

const QUEUE_TYPES = ['quorum', 'classic'];
const DEFAULT_ADMIN = 'credroam-admin';

/** Exchanges, queues and bindings of an installation, from the same functions the services declare with. */
function brokerTopology(messaging, roaming, { namespace, vhost, queueType, auditQueue }) {
  if (!QUEUE_TYPES.includes(queueType))
    throw new Error(`queue type must be one of ${QUEUE_TYPES.join(', ')}`);
  const names = messaging.amqpNames(namespace);
  const exchange = (name, type) => ({
    name,
    vhost,
    type,
    durable: messaging.EXCHANGE_OPTIONS.durable === true,
    auto_delete: false,
    internal: false,
    arguments: {},
  });
  const queue = (name, options) => ({
    name,
    vhost,
    durable: options.durable === true,
    auto_delete: false,
    arguments: { ...(options.arguments ?? {}), 'x-queue-type': queueType },
  });
  const binding = (source, destination, routingKey) => ({
    source,
    vhost,
    destination,
    destination_type: 'queue',
    routing_key: routingKey,
    arguments: {},
  });
  const audit = auditQueue ?? names.queue('audit');
  const consumers = [
    { queue: names.ingressQueue, exchange: names.ingressExchange, keys: [roaming.INGRESS_ROUTING_KEY] },
    { queue: audit, exchange: names.eventsExchange, keys: ['#'] },
  ];
  return {
    exchanges: [
      exchange(names.eventsExchange, 'topic'),
      exchange(names.deadLetterExchange, 'topic'),
      exchange(names.ingressExchange, 'direct'),
      exchange(names.adminExchange, 'direct'),
    ],
    queues: [
      ...Object.values(names.rpcQueues).map((name) => queue(name, messaging.rpcQueueOptions())),
      queue(names.deadLetterQueue, messaging.deadLetterQueueOptions()),
      ...consumers.flatMap(({ queue: name }) => [
        queue(name, messaging.workQueueOptions(names)),
        queue(names.retryQueue(name), messaging.retryQueueOptions(name)),
      ]),
    ],
    bindings: [
      binding(names.deadLetterExchange, names.deadLetterQueue, '#'),
      ...consumers.flatMap(({ queue: name, exchange: source, keys }) =>
        keys.map((key) => binding(source, name, key)),
      ),
      // What the gateway binds at start (libs/messaging rpc.server): the admin CLI's requests.
      ...messaging.ADMIN_CLI_PATTERNS.map((pattern) =>
        binding(names.adminExchange, names.rpcQueues['directory-gateway'], pattern),
      ),
    ],
  };
}

/** The full definitions document: vhost, accounts, administrator, permissions and topology. */
function buildDefinitions(messaging, roaming, options) {
  const { namespace, vhost, passwords, queueType, admin } = options;
  const accounts = messaging.brokerDefinitions({ namespace, vhost, passwords, admins: [admin.user] });
  return {
    vhosts: [
      { name: vhost, metadata: { default_queue_type: queueType, description: `credroam ${namespace}` } },
    ],
    users: [
      ...accounts.users,
      {
        name: admin.user,
        password_hash: messaging.rabbitPasswordHash(admin.password),
        hashing_algorithm: 'rabbit_password_hashing_sha256',
        tags: ['administrator'],
      },
    ],
    permissions: accounts.permissions,
    topic_permissions: accounts.topic_permissions,
    ...brokerTopology(messaging, roaming, options),
  };
}

function readOrCreatePassword(file) {
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

function main(argv) {
  const { requireFromDist } = require(join(__dirname, '..', '..', 'scripts', 'lib', 'run-service.cjs'));
  const { values } = parseArgs({
    args: argv,
    options: {
      'password-dir': { type: 'string' },
      namespace: { type: 'string', default: 'credroam' },
      vhost: { type: 'string' },
      'queue-type': { type: 'string', default: process.env.CREDROAM_AMQP_QUEUE_TYPE || 'quorum' },
      admin: { type: 'string', default: DEFAULT_ADMIN },
    },
    strict: true,
  });
  if (!values['password-dir']) throw new Error('--password-dir is required');
  const dir = resolve(values['password-dir']);
  const messaging = requireFromDist('libs/messaging/src/index.js');
  const roaming = requireFromDist('libs/roaming/src/index.js');
  const { BrokerPasswordsRepository } = requireFromDist(
    'apps/admin/src/broker/broker-passwords.repository.js',
  );
  const passwords = new BrokerPasswordsRepository(dir).readOrCreate();
  const definitions = buildDefinitions(messaging, roaming, {
    namespace: values.namespace,
    vhost: values.vhost ?? values.namespace,
    passwords,
    queueType: values['queue-type'],
    admin: { user: values.admin, password: readOrCreatePassword(join(dir, 'admin.password')) },
  });
  process.stdout.write(`${JSON.stringify(definitions, null, 2)}\n`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`definitions: ${error.message}`);
    process.exit(2);
  }
}

module.exports = { brokerTopology, buildDefinitions, QUEUE_TYPES, DEFAULT_ADMIN };
