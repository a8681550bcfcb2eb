import { createHash, randomBytes } from 'node:crypto';
import { amqpNames } from './amqp-topology';

/**
 * Who connects to the broker (DESIGN.md section 7a): each service, the workstations' hook account and the
 * operators get a user of their own, whose RabbitMQ permissions cover their own exchanges and queues only.
 *
 * What permissions cannot express: a reply to an RPC or ingress request travels through the default exchange, and
 * RabbitMQ grants the default exchange whole (any routing key, so any queue). Every party that answers requests
 * (the gateway, token-crypto, logon-events) or retries through a delay queue (audit) can therefore publish to any
 * queue of the vhost; what keeps that harmless is the grant a request for a user's secrets must carry, not the
 * broker. The hook account, which only asks, gets no default exchange and no queue at all: it publishes to the
 * ingress exchange and reads its answers on direct reply-to, which needs no permission. The admin CLI's account
 * (`credroam user`) is built the same way on the admin exchange, which routes to the gateway only the patterns
 * an operator command needs (ADMIN_CLI_PATTERNS).
 */
export const BROKER_ACCOUNTS = [
  'directory-gateway',
  'token-crypto',
  'logon-events',
  'audit',
  'hook',
  'operator',
  'admin-cli',
] as const;
export type BrokerAccount = (typeof BROKER_ACCOUNTS)[number];

export interface BrokerPermissions {
  /** Regular expressions over exchange and queue names, as `rabbitmqctl set_permissions` takes them. */
  configure: string;
  write: string;
  read: string;
  /** Routing keys the account may publish (write) and bind (read) on the events exchange (topic permissions). */
  events: { write: string; read: string };
}

const NOTHING = '^$';
const DEFAULT_EXCHANGE = 'amq.default';

function escape(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function anyOf(...patterns: string[]): string {
  return `^(${patterns.join('|')})$`;
}

/** The broker user of `account` in an installation: `<namespace>-<account>`. */
export function brokerUserName(namespace: string, account: BrokerAccount): string {
  return `${amqpNames(namespace).namespace}-${account}`;
}

/** The permissions of every account of the installation whose names derive from `namespace`. */
export function brokerPermissions(namespace: string): Readonly<Record<BrokerAccount, BrokerPermissions>> {
  const names = amqpNames(namespace);
  const events = escape(names.eventsExchange);
  const deadLetter = escape(names.deadLetterExchange);
  const deadLetters = escape(names.deadLetterQueue);
  const ingressExchange = escape(names.ingressExchange);
  const ingressQueue = escape(names.ingressQueue);
  const ingressRetry = escape(names.retryQueue(names.ingressQueue));
  const adminExchange = escape(names.adminExchange);
  const own = (service: 'directory-gateway' | 'token-crypto') => escape(names.rpcQueues[service]);
  const audit = `${escape(names.queue('audit'))}(\\..*)?`;
  const operator = `${escape(names.queue('operator'))}\\..*`;
  const changeFeed = `${escape(names.queue('logon-events.changes'))}\\..*`;
  // A poison request goes to the dead letters, announced by a message.dead-lettered event (RpcServer).
  const replier = (service: 'directory-gateway' | 'token-crypto'): BrokerPermissions => ({
    configure: anyOf(own(service), events, deadLetter, deadLetters),
    write: anyOf(escape(DEFAULT_EXCHANGE), events, deadLetter, deadLetters),
    read: anyOf(own(service), deadLetter),
    events: { write: '^(security\\.|message\\.dead-lettered$)', read: NOTHING },
  });
  const gateway = replier('directory-gateway');
  return Object.freeze({
    // The gateway also declares the admin exchange and binds its own queue to it (binding needs write on the
    // queue and read on the exchange).
    'directory-gateway': {
      ...gateway,
      configure: anyOf(own('directory-gateway'), events, adminExchange, deadLetter, deadLetters),
      write: anyOf(escape(DEFAULT_EXCHANGE), events, own('directory-gateway'), deadLetter, deadLetters),
      read: anyOf(own('directory-gateway'), adminExchange, deadLetter),
    },
    'token-crypto': replier('token-crypto'),
    // The RPC clients declare the services' queues as the servers do, so that either may start first. The
    // ingress is consumed like every queue: a retry queue, and what is given up goes to the dead letters. Each
    // replica hears the directory changes on a queue of its own, to wake the workstations waiting for them.
    'logon-events': {
      configure: anyOf(
        own('directory-gateway'),
        own('token-crypto'),
        ingressExchange,
        ingressQueue,
        ingressRetry,
        events,
        deadLetter,
        deadLetters,
        changeFeed,
      ),
      write: anyOf(
        escape(DEFAULT_EXCHANGE),
        events,
        ingressQueue,
        ingressRetry,
        deadLetter,
        deadLetters,
        changeFeed,
      ),
      read: anyOf(ingressQueue, ingressRetry, ingressExchange, deadLetter, events, changeFeed),
      events: {
        write: '^((session|sync|token|policy|directory)\\.|message\\.dead-lettered$)',
        read: '^directory\\.changed$',
      },
    },
    audit: {
      configure: anyOf(audit, events, deadLetter, deadLetters),
      write: anyOf(escape(DEFAULT_EXCHANGE), audit, events, deadLetter, deadLetters),
      read: anyOf(audit, events, deadLetter),
      events: { write: '^message\\.dead-lettered$', read: '.*' },
    },
    hook: {
      configure: NOTHING,
      write: anyOf(ingressExchange),
      read: NOTHING,
      events: { write: NOTHING, read: NOTHING },
    },
    // The admin CLI asks the gateway through the admin exchange (which it may declare, as the gateway does) and
    // reads its answers on direct reply-to: no queue, no default exchange, no events.
    'admin-cli': {
      configure: anyOf(adminExchange),
      write: anyOf(adminExchange),
      read: NOTHING,
      events: { write: NOTHING, read: NOTHING },
    },
    // Operators tap the events and inspect dead letters through queues of their own; they publish nothing.
    operator: {
      configure: anyOf(operator),
      write: anyOf(operator),
      read: anyOf(operator, events, deadLetters),
      events: { write: NOTHING, read: '.*' },
    },
  });
}

/** A RabbitMQ definitions document (the format of `rabbitmqctl import_definitions` and the management API). */
export interface BrokerDefinitions {
  vhosts: { name: string }[];
  users: { name: string; password_hash: string; hashing_algorithm: string; tags: string[] }[];
  permissions: { user: string; vhost: string; configure: string; write: string; read: string }[];
  topic_permissions: { user: string; vhost: string; exchange: string; write: string; read: string }[];
}

/**
 * RabbitMQ's stored form of a password (rabbit_password_hashing_sha256): base64 of a 4-byte salt followed by
 * SHA-256 over the salt and the UTF-8 password. Definitions carry this instead of the password itself.
 */
export function rabbitPasswordHash(password: string, salt = randomBytes(4)): string {
  const digest = createHash('sha256').update(salt).update(password, 'utf8').digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

/**
 * The definitions that create `vhost` and every account of the installation with its permissions; `admins` (e.g.
 * the broker's administrator, for tooling) get full permissions on the vhost. Import with `rabbitmqctl
 * import_definitions FILE` or the management API: it adds and updates, it never deletes.
 */
export function brokerDefinitions(options: {
  namespace: string;
  vhost: string;
  passwords: Readonly<Record<BrokerAccount, string>>;
  admins?: readonly string[];
}): BrokerDefinitions {
  const { namespace, vhost } = options;
  const permissions = brokerPermissions(namespace);
  const events = amqpNames(namespace).eventsExchange;
  const accounts = BROKER_ACCOUNTS.map((account) => ({ account, user: brokerUserName(namespace, account) }));
  return {
    vhosts: [{ name: vhost }],
    users: accounts.map(({ account, user }) => ({
      name: user,
      password_hash: rabbitPasswordHash(options.passwords[account]),
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      tags: [],
    })),
    permissions: [
      ...accounts.map(({ account, user }) => {
        const { configure, write, read } = permissions[account];
        return { user, vhost, configure, write, read };
      }),
      ...(options.admins ?? []).map((user) => ({ user, vhost, configure: '.*', write: '.*', read: '.*' })),
    ],
    topic_permissions: accounts.map(({ account, user }) => ({
      user,
      vhost,
      exchange: events,
      ...permissions[account].events,
    })),
  };
}
