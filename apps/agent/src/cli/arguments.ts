import { parseArgs } from 'node:util';
import { UsageError } from './exit-codes';

export interface GlobalArguments {
  store?: string;
  help: boolean;
  command?: string;
  /** What follows the command, global options removed. */
  rest: string[];
}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export interface CommandArguments {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Takes the global options (`--store DIR`, `--help`) wherever they stand, and the command name. */
export function parseGlobalArguments(argv: readonly string[]): GlobalArguments {
  const result: GlobalArguments = { help: false, rest: [] };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    if (arg === '--') {
      result.rest.push(...argv.slice(index));
      break;
    }
    if (arg === '--store' || arg.startsWith('--store=')) {
      const value = arg === '--store' ? argv[++index] : arg.slice('--store='.length);
      if (value === undefined || value === '' || (arg === '--store' && value.startsWith('--'))) {
        throw new UsageError('--store needs a directory');
      }
      result.store = value;
    } else if (arg === '--help' || arg === '-h') {
      result.help = true;
    } else if (result.command === undefined && !arg.startsWith('-')) {
      result.command = arg;
    } else {
      result.rest.push(arg);
    }
  }
  return result;
}

/** A command's own options, strictly: an unknown option or a missing value is a usage error. */
export function parseCommandArguments(
  args: readonly string[],
  options: OptionSpec,
  positionals: { min: number; max: number; names: string },
): CommandArguments {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'invalid arguments');
  }
  const found = parsed.positionals;
  if (found.length < positionals.min) throw new UsageError(`missing ${positionals.names}`);
  if (found.length > positionals.max)
    throw new UsageError(`unexpected argument ${JSON.stringify(found[positionals.max])}`);
  return { values: parsed.values as CommandArguments['values'], positionals: found };
}

export function stringOption(values: CommandArguments['values'], name: string): string | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`--${name} needs a value`);
  return value;
}

export function requiredOption(values: CommandArguments['values'], name: string): string {
  const value = stringOption(values, name);
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}
