import { parseCommandArguments, parseGlobalArguments } from './arguments';
import { CliContext, type CliEnvironment } from './cli-context';
import { type Command } from './command';
import { credentialCommand } from './commands/credential.command';
import { deleteCommand } from './commands/delete.command';
import { exportCommand } from './commands/export.command';
import { importCommand } from './commands/import.command';
import { listCommand } from './commands/list.command';
import { loginCommand } from './commands/login.command';
import { nssCommand } from './commands/nss.command';
import { pamHookCommand } from './commands/pam-hook.command';
import { statusCommand } from './commands/status.command';
import { purgeKeysCommand } from './commands/purge-keys.command';
import { syncCommand } from './commands/sync.command';
import { waitSyncedCommand } from './commands/wait-synced.command';
import { watchCommand } from './commands/watch.command';
import { describeFailure, EXIT, exitCodeFor, UsageError, type ExitCode } from './exit-codes';

export const COMMANDS: readonly Command[] = [
  loginCommand,
  importCommand,
  credentialCommand,
  listCommand,
  deleteCommand,
  exportCommand,
  syncCommand,
  nssCommand,
  statusCommand,
  pamHookCommand,
  watchCommand,
  waitSyncedCommand,
  purgeKeysCommand,
];

export const USAGE = `usage: credroam-agent [--store DIR] <command> [options]

commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(11)} ${command.summary}`).join('\n')}

global options:
  --store DIR   the local store (default $CREDROAM_STORE, else $XDG_DATA_HOME/credroam or ~/.local/share/credroam)
  --help        this text, or a command's help after its name

exit codes: 0 ok, 1 operation failed, 2 usage error, 3 not logged in or session expired, 4 server unreachable`;

/** Runs one command line; never throws, always answers with an exit code. */
export async function runCli(argv: readonly string[], environment: CliEnvironment): Promise<ExitCode> {
  const { io } = environment;
  try {
    const global = parseGlobalArguments(argv);
    if (global.command === undefined) {
      if (global.help) {
        io.stdout(`${USAGE}\n`);
        return EXIT.ok;
      }
      throw new UsageError('missing command (try --help)');
    }
    const command = COMMANDS.find((candidate) => candidate.name === global.command);
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(global.command)} (try --help)`);
    if (global.help) {
      io.stdout(`${command.usage}\n`);
      return EXIT.ok;
    }
    const args = parseCommandArguments(global.rest, command.options, command.positionals);
    return await command.run(new CliContext(environment, global.store), args);
  } catch (error) {
    const code = exitCodeFor(error);
    io.stderr(`credroam-agent: ${describeFailure(error)}\n`);
    if (
      code === EXIT.usage &&
      !(error instanceof UsageError && (error.complete || error.message.includes('--help')))
    ) {
      io.stderr('run "credroam-agent --help" for usage\n');
    }
    return code;
  }
}
