import { createHash } from 'node:crypto';
import { amqpNames } from './amqp-topology';
import { BROKER_ACCOUNTS, brokerDefinitions, brokerPermissions, rabbitPasswordHash } from './broker-accounts';

const NAMESPACE = 'credroam-test.a1';
const names = amqpNames(NAMESPACE);
const permissions = brokerPermissions(NAMESPACE);
const matches = (pattern: string, name: string) => new RegExp(pattern).test(name);

describe('brokerPermissions', () => {
  it('lets the hook account publish to the ingress exchange only, and configure and read nothing', () => {
    const hook = permissions.hook;
    expect(matches(hook.write, names.ingressExchange)).toBe(true);
    for (const other of [
      'amq.default',
      names.ingressQueue,
      names.eventsExchange,
      ...Object.values(names.rpcQueues),
    ]) {
      expect(matches(hook.write, other)).toBe(false);
    }
    for (const name of [names.ingressQueue, 'amq.gen-xyz', 'amq.rabbitmq.reply-to', '']) {
      expect(matches(hook.configure, name)).toBe(name === '');
      expect(matches(hook.read, name)).toBe(name === '');
    }
  });

  it("gives each service its own queue and no other service's", () => {
    const { rpcQueues } = names;
    expect(matches(permissions['directory-gateway'].read, rpcQueues['directory-gateway'])).toBe(true);
    expect(matches(permissions['directory-gateway'].read, rpcQueues['token-crypto'])).toBe(false);
    expect(matches(permissions['token-crypto'].read, rpcQueues['directory-gateway'])).toBe(false);
    expect(matches(permissions['logon-events'].read, rpcQueues['token-crypto'])).toBe(false);
    expect(matches(permissions.audit.read, rpcQueues['token-crypto'])).toBe(false);
    expect(matches(permissions.operator.write, 'amq.default')).toBe(false);
  });

  it('lets the admin CLI account publish to the admin exchange only, and read nothing', () => {
    const admin = permissions['admin-cli'];
    expect(matches(admin.write, names.adminExchange)).toBe(true);
    for (const other of [
      'amq.default',
      names.ingressExchange,
      names.eventsExchange,
      names.deadLetterQueue,
      ...Object.values(names.rpcQueues),
    ]) {
      expect(matches(admin.write, other)).toBe(false);
      expect(matches(admin.configure, other)).toBe(false);
    }
    for (const name of [
      names.rpcQueues['directory-gateway'],
      names.deadLetterQueue,
      'amq.rabbitmq.reply-to',
    ]) {
      expect(matches(admin.read, name)).toBe(false);
    }
    expect(admin.events).toEqual({ write: '^$', read: '^$' });
    // The gateway declares the exchange and binds its own queue to it; nobody else reads it.
    const gateway = permissions['directory-gateway'];
    expect(matches(gateway.configure, names.adminExchange)).toBe(true);
    expect(matches(gateway.read, names.adminExchange)).toBe(true);
    expect(matches(gateway.write, names.rpcQueues['directory-gateway'])).toBe(true);
    expect(matches(permissions['token-crypto'].read, names.adminExchange)).toBe(false);
    expect(matches(permissions.operator.write, names.adminExchange)).toBe(false);
  });

  it("escapes the namespace: a look-alike name in another installation's namespace does not match", () => {
    expect(matches(permissions['directory-gateway'].read, 'credroam-testXa1.directory-gateway.rpc')).toBe(
      false,
    );
    expect(matches(permissions.hook.write, 'credroam-test.a1.ingress.extra')).toBe(false);
  });

  it('lets each service publish only its own kinds of events', () => {
    const kinds = {
      gateway: permissions['directory-gateway'].events.write,
      logon: permissions['logon-events'].events.write,
    };
    expect(matches(kinds.gateway, 'security.request-refused')).toBe(true);
    expect(matches(kinds.gateway, 'sync.completed')).toBe(false);
    expect(matches(kinds.logon, 'sync.completed')).toBe(true);
    expect(matches(kinds.logon, 'security.request-refused')).toBe(false);
    expect(matches(permissions.audit.events.write, 'message.dead-lettered')).toBe(true);
    expect(matches(permissions.hook.events.write, 'sync.completed')).toBe(false);
  });
});

describe('brokerDefinitions', () => {
  const passwords = Object.fromEntries(
    BROKER_ACCOUNTS.map((account) => [account, `${account}-secret-pw`]),
  ) as Record<(typeof BROKER_ACCOUNTS)[number], string>;

  it('carries password hashes only, and every account with its permissions in the vhost', () => {
    const definitions = brokerDefinitions({
      namespace: NAMESPACE,
      vhost: 'vh',
      passwords,
      admins: ['root-admin'],
    });
    expect(JSON.stringify(definitions)).not.toContain('-secret-pw');
    expect(definitions.users.map((user) => user.name)).toEqual(
      BROKER_ACCOUNTS.map((account) => `${NAMESPACE}-${account}`),
    );
    expect(definitions.permissions).toHaveLength(BROKER_ACCOUNTS.length + 1);
    expect(definitions.permissions.at(-1)).toEqual({
      user: 'root-admin',
      vhost: 'vh',
      configure: '.*',
      write: '.*',
      read: '.*',
    });
    expect(new Set(definitions.topic_permissions.map((entry) => entry.exchange))).toEqual(
      new Set([names.eventsExchange]),
    );
  });

  it("hashes a password as RabbitMQ's rabbit_password_hashing_sha256 does: salt, then SHA-256 of salt and password", () => {
    const salt = Buffer.from('0a0b0c0d', 'hex');
    const hash = Buffer.from(rabbitPasswordHash('guest', salt), 'base64');
    expect(hash.subarray(0, 4)).toEqual(salt);
    expect(hash.subarray(4)).toEqual(createHash('sha256').update(salt).update('guest').digest());
  });
});
