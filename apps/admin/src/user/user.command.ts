// `credroam user show USER` and `credroam user purge USER`, through the directory-gateway over the broker (the
// admin exchange: libs/messaging broker-accounts): a lookup (metadata only) and then an operator RPC with an
// operator grant, which the gateway verifies and audits: directory.inspect-user for a show,
// directory.purge-user for a purge.
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { Logger } from '@nestjs/common';
import { type GrantIssuer } from '@credroam/grants';
import { loadAmqpConfig, RpcClient, type MessagingLogger } from '@credroam/messaging';
import {
  RoamingError,
  type DirectoryUser,
  type OperatorPattern,
  type RpcRequest,
  type TokenType,
} from '@credroam/roaming';
import { type CliIo } from '../cli-io';
import { lastSyncs } from './audit-syncs';
import { operatorIssuer } from './operator-grants';
import { formatUserReport, userReport } from './user-report';

/** The CLI reports failures itself, in one line; the client's own log lines would only repeat them. */
const silentLogger: MessagingLogger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

export async function withGateway<T>(work: (gateway: RpcClient) => Promise<T>): Promise<T> {
  // Nest's RMQ client logs its connection on stdout, which belongs to the command's output (--json).
  Logger.overrideLogger(false);
  const gateway = new RpcClient(loadAmqpConfig(), 'directory-gateway', {
    logger: silentLogger,
    route: 'admin-exchange',
  });
  try {
    await gateway.connect();
    return await work(gateway);
  } finally {
    await gateway.close();
  }
}

/** Signs the operator grant of `pattern` for `user`'s entry, over the request exactly as it is sent. */
function operatorGrant<P extends OperatorPattern>(issuer: GrantIssuer, pattern: P, user: DirectoryUser) {
  const { login, stableId, dn } = user;
  return (payload: RpcRequest<P>) =>
    issuer.issue(pattern, payload, { login, stableId, dn, devicePublicKey: null });
}

/** The user's entry and roaming state, read under an operator grant of its own kind (audited as an inspection). */
async function inspectUser(gateway: RpcClient, issuer: GrantIssuer, login: string, correlationId: string) {
  const { user } = await gateway.call('directory.lookup-user', { login }, { correlationId });
  const read = await gateway.call(
    'directory.inspect-user',
    { userDn: user.dn },
    { correlationId, grant: operatorGrant(issuer, 'directory.inspect-user', user) },
  );
  return { user, ...read };
}

export async function showUser(login: string, json: boolean, io: CliIo): Promise<number> {
  // Before the broker: without the operator's key there is nothing to ask.
  const issuer = operatorIssuer();
  const report = await withGateway(async (gateway) => {
    const correlationId = randomUUID();
    const { user, state } = await inspectUser(gateway, issuer, login, correlationId);
    const effective = await gateway.call(
      'directory.resolve-policy',
      { userDn: user.dn, groups: user.groups },
      { correlationId },
    );
    return userReport(user, state, effective, await lastSyncs(user.login), Date.now());
  });
  io.stdout(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatUserReport(report)}\n`);
  return 0;
}

export interface PurgeOptions {
  login: string;
  types: TokenType[] | null;
  yes: boolean;
  json: boolean;
  /** Asks the operator to type the login; false when the answer is anything else. */
  confirm?: (question: string) => Promise<boolean>;
}

export async function purgeUser(options: PurgeOptions, io: CliIo): Promise<number> {
  const issuer = operatorIssuer();
  return withGateway(async (gateway) => {
    const correlationId = randomUUID();
    const { user, stamp, state } = await inspectUser(gateway, issuer, options.login, correlationId);
    const wanted = options.types === null ? null : new Set<string>(options.types);
    const types = [
      ...state.entries.map((entry) => entry.type),
      ...state.reported.map((value) => value.tokenType),
    ];
    const values = types.filter((type) => wanted === null || (type !== null && wanted.has(type))).length;
    const what = options.types === null ? 'all roaming values' : `the ${options.types.join(', ')} values`;
    if (!options.yes) {
      const confirm = options.confirm ?? confirmOnTerminal;
      const agreed = await confirm(
        `Remove ${what} of ${user.login} (${user.dn}): ${values} listed now. Type the login to confirm: `,
      );
      if (!agreed) {
        io.stderr('credroam user purge: not confirmed, nothing removed\n');
        return 1;
      }
    }
    try {
      const result = await gateway.call(
        'directory.purge-user',
        { userDn: user.dn, expectedStamp: stamp, types: options.types },
        { correlationId, grant: operatorGrant(issuer, 'directory.purge-user', user) },
      );
      io.stdout(
        options.json
          ? `${JSON.stringify({ user: user.login, dn: user.dn, types: options.types, removed: result.removed }, null, 2)}\n`
          : `removed ${result.removed} values of ${user.login}\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof RoamingError && error.code === 'DIRECTORY_STAMP_CHANGED') {
        throw new RoamingError(
          'DIRECTORY_STAMP_CHANGED',
          `${user.login}'s roaming data changed since it was read (a logon wrote); nothing was removed, run the purge again`,
        );
      }
      throw error;
    }
  });

  async function confirmOnTerminal(question: string): Promise<boolean> {
    if (!process.stdin.isTTY) {
      throw new RoamingError(
        'INVALID_INPUT',
        'not on a terminal: pass --yes to purge without a confirmation',
      );
    }
    const terminal = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return (await terminal.question(question)).trim() === options.login;
    } finally {
      terminal.close();
    }
  }
}
