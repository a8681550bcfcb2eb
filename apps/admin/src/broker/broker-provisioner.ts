import { spawn } from 'node:child_process';
import {
  BROKER_ACCOUNTS,
  brokerDefinitions,
  brokerUserName,
  type BrokerAccount,
  type BrokerDefinitions,
} from '@credroam/messaging';
import { RoamingError } from '@credroam/roaming';

export interface BrokerInstallation {
  namespace: string;
  vhost: string;
}

export interface ProvisionedAccounts extends BrokerInstallation {
  /** Each account's user and password. */
  accounts: Record<BrokerAccount, { user: string; password: string }>;
  /** The AMQP URL of `account` on the broker of `base` (its host and port), in the installation's vhost. */
  url(account: BrokerAccount, base: string): string;
}

/**
 * Creates the installation's vhost and broker accounts on the local RabbitMQ with `rabbitmqctl import_definitions`
 * (one call, not twenty: each rabbitmqctl start costs a fraction of a second), then waits until every account
 * can log in. Needs the broker's CLI and its Erlang cookie, as the local stack and the test suites have (root).
 */
export async function provisionBrokerAccounts(
  installation: BrokerInstallation & { passwords: Record<BrokerAccount, string>; admins?: string[] },
): Promise<ProvisionedAccounts> {
  const definitions = brokerDefinitions(installation);
  await importDefinitions(definitions);
  const accounts = Object.fromEntries(
    BROKER_ACCOUNTS.map((account) => [
      account,
      { user: brokerUserName(installation.namespace, account), password: installation.passwords[account] },
    ]),
  ) as ProvisionedAccounts['accounts'];
  await waitUntilImported(installation.vhost, definitions.permissions.length);
  return {
    namespace: installation.namespace,
    vhost: installation.vhost,
    accounts,
    url(account, base) {
      const url = new URL(base);
      url.username = encodeURIComponent(accounts[account].user);
      url.password = encodeURIComponent(accounts[account].password);
      url.pathname = `/${encodeURIComponent(installation.vhost)}`;
      return url.toString();
    },
  };
}

/** Deletes the vhost (with every queue and exchange in it) and the installation's users. */
export async function removeBrokerAccounts(installation: BrokerInstallation): Promise<void> {
  await rabbitmqctl('delete_vhost', installation.vhost).catch(() => undefined);
  for (const account of BROKER_ACCOUNTS) {
    await rabbitmqctl('delete_user', brokerUserName(installation.namespace, account)).catch(() => undefined);
  }
}

/** Through standard input: no file with password hashes on disk, and none the broker's own user cannot read. */
async function importDefinitions(definitions: BrokerDefinitions): Promise<void> {
  await rabbitmqctlWithInput(JSON.stringify(definitions), 'import_definitions');
}

/** The import runs asynchronously in the broker: done once the vhost lists every permission. */
async function waitUntilImported(vhost: string, permissions: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const listed = await rabbitmqctl('list_permissions', '-q', '--no-table-headers', '-p', vhost).catch(
      () => '',
    );
    if (listed.split('\n').filter((line) => line.trim() !== '').length >= permissions) return;
    if (Date.now() > deadline) {
      throw new RoamingError(
        'SERVICE_UNAVAILABLE',
        `the broker did not finish importing the accounts of ${vhost}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function rabbitmqctl(...args: string[]): Promise<string> {
  return rabbitmqctlWithInput('', ...args);
}

function rabbitmqctlWithInput(input: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const failed = (detail: string) =>
      reject(
        new RoamingError(
          'SERVICE_UNAVAILABLE',
          `rabbitmqctl ${args[0]} failed (it needs the local broker's CLI, as root): ${detail.trim().split('\n')[0]}`,
        ),
      );
    const child = spawn('rabbitmqctl', args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error) => failed(error.message));
    child.once('close', (code) => (code === 0 ? resolve(stdout) : failed(stderr || `exit code ${code}`)));
    child.stdin.end(input);
  });
}
