import { type CommandArguments, type OptionSpec } from './arguments';
import { type CliContext } from './cli-context';
import { type ExitCode } from './exit-codes';

export interface Command {
  name: string;
  summary: string;
  /** Full help text of the command. */
  usage: string;
  options: OptionSpec;
  positionals: { min: number; max: number; names: string };
  run(context: CliContext, args: CommandArguments): Promise<ExitCode>;
}

/** Reads a password from standard input: the first line, without its line break. */
export async function readPassword(context: CliContext): Promise<string> {
  const text = await context.io.readStdin();
  const password = text.replace(/\r?\n$/, '').split(/\r?\n/)[0] ?? '';
  return password;
}
