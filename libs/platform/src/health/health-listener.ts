import { z } from 'zod';
import { parseWith, RoamingError } from '@credroam/roaming';
import { envWholeNumber } from '../env';

/** Where a broker-only service answers `/health/*` over HTTP, for orchestrators' probes. */
export interface HealthListener {
  host: string;
  port: number;
}

/**
 * The listener two variables name: the port (0: any free port) and the host (default 127.0.0.1). Without a port the
 * service opens no HTTP listener at all: its health is then only the RPC.
 */
export function healthListenerFromEnv(
  variables: { host: string; port: string },
  env: NodeJS.ProcessEnv = process.env,
): HealthListener | null {
  const { port, host } = variables;
  const schema = z.object({
    [port]: envWholeNumber(0, 65_535).optional(),
    [host]: z.string().min(1).max(255).default('127.0.0.1'),
  });
  const present = Object.fromEntries(
    [port, host]
      .map((name) => [name, env[name]?.trim()])
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = parseWith(schema, present, 'INVALID_INPUT');
  if (!parsed.ok) throw new RoamingError('INVALID_INPUT', `health listener: ${parsed.error.message}`);
  const values = parsed.value as Record<string, string | number | undefined>;
  const chosen = values[port];
  return typeof chosen === 'number' ? { host: String(values[host]), port: chosen } : null;
}
