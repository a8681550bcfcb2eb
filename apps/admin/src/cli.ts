// credroam's admin command line for the broker: the accounts and permissions of an installation (DESIGN.md
// section 7a), as a table, as RabbitMQ definitions to import on a production broker, or created on this machine's
// broker as `npm start` does.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AMQP_DEFAULTS,
  BROKER_ACCOUNTS,
  brokerDefinitions,
  brokerPermissions,
  brokerUserName,
  namespaceSchema,
} from '@credroam/messaging';
import { RoamingError } from '@credroam/roaming';
import { BrokerPasswordsRepository } from './broker/broker-passwords.repository';
import { provisionBrokerAccounts } from './broker/broker-provisioner';
import { isUsageError, processIo, UsageError, type CliIo } from './cli-io';

export const USAGE = `usage: credroam broker <command> [options]

commands:
  permissions [--namespace NS] [--json]
      Each broker account of the installation and what it may configure, write and read (regular expressions
      over exchange and queue names, and routing keys on the events exchange).
  definitions --vhost VHOST --password-dir DIR [--namespace NS]
      RabbitMQ definitions (JSON, on stdout) that create VHOST and every account with its permissions; import
      them with "rabbitmqctl import_definitions FILE" or the management API. Passwords are read from
      DIR/<account>.password, and made (mode 0600) for the accounts that have none; only their hashes are printed.
  provision --vhost VHOST --password-dir DIR [--namespace NS] [--admin USER]
      The same, imported into this machine's RabbitMQ with rabbitmqctl (needs the broker's CLI, as root);
      --admin USER also gets full permissions on VHOST (an administrator for tooling).
  --help
      This text.

NS defaults to ${AMQP_DEFAULTS.namespace}. Exit codes: 0 done, 1 failed, 2 usage.`;

function option(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function namespaceOf(values: Record<string, string | boolean | undefined>): string {
  const given = values.namespace;
  const parsed = namespaceSchema.safeParse(typeof given === 'string' ? given : AMQP_DEFAULTS.namespace);
  if (!parsed.success) throw new UsageError(`--namespace ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
  return parsed.data;
}

function permissionsTable(namespace: string): string {
  const permissions = brokerPermissions(namespace);
  return BROKER_ACCOUNTS.map((account) => {
    const granted = permissions[account];
    return [
      `${brokerUserName(namespace, account)}`,
      `  configure  ${granted.configure}`,
      `  write      ${granted.write}`,
      `  read       ${granted.read}`,
      `  events     publish ${granted.events.write}   bind ${granted.events.read}`,
    ].join('\n');
  }).join('\n\n');
}

export async function runAdminCli(args: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    const [command, ...rest] = args;
    if (command === undefined || command === '--help' || command === '-h') {
      (command === undefined ? io.stderr : io.stdout)(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    const { values } = parseArgs({
      args: [...rest],
      options: {
        namespace: { type: 'string' },
        vhost: { type: 'string' },
        'password-dir': { type: 'string' },
        admin: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    });
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    const namespace = namespaceOf(values);
    switch (command) {
      case 'permissions':
        io.stdout(
          values.json
            ? `${JSON.stringify(brokerPermissions(namespace), null, 2)}\n`
            : `${permissionsTable(namespace)}\n`,
        );
        return 0;
      case 'definitions': {
        const vhost = option(values, 'vhost');
        const passwords = new BrokerPasswordsRepository(
          resolve(option(values, 'password-dir')),
        ).readOrCreate();
        io.stdout(`${JSON.stringify(brokerDefinitions({ namespace, vhost, passwords }), null, 2)}\n`);
        return 0;
      }
      case 'provision': {
        const vhost = option(values, 'vhost');
        const passwordDir = resolve(option(values, 'password-dir'));
        const passwords = new BrokerPasswordsRepository(passwordDir).readOrCreate();
        const admins = typeof values.admin === 'string' ? [values.admin] : [];
        await provisionBrokerAccounts({ namespace, vhost, passwords, admins });
        io.stderr(
          `created vhost ${vhost} and the accounts ${BROKER_ACCOUNTS.map((a) => brokerUserName(namespace, a)).join(', ')}; passwords in ${passwordDir}\n`,
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (isUsageError(error)) {
      io.stderr(`credroam broker: ${(error as Error).message}\n${USAGE.split('\n')[0]}\n`);
      return 2;
    }
    const message = error instanceof RoamingError ? `${error.message} [${error.code}]` : String(error);
    io.stderr(`credroam broker: ${message}\n`);
    return 1;
  }
}
