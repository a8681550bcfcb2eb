// The last sync per machine, from audit's user summary (GET /v1/users/:user/summary, operator token).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { RoamingError } from '@credroam/roaming';
import { userSummarySchema } from '../../../audit/src/contract/audit-api.schemas';
import { type MachineSync } from './user-report';

export const ADMIN_AUDIT_ENV = Object.freeze({
  url: 'CREDROAM_ADMIN_AUDIT_URL',
  tokenFile: 'CREDROAM_ADMIN_AUDIT_TOKEN_FILE',
} as const);

const machinesSchema = z.object({ machines: userSummarySchema.shape.machines });

/** null when audit is not configured (no URL): the caller says "unknown". */
export async function lastSyncs(
  login: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<MachineSync[] | null> {
  const url = env[ADMIN_AUDIT_ENV.url]?.trim();
  if (!url) return null;
  const tokenFile = env[ADMIN_AUDIT_ENV.tokenFile]?.trim();
  let token: string | undefined;
  try {
    token = tokenFile ? readFileSync(tokenFile, 'utf8').trim() : undefined;
  } catch (error) {
    throw new RoamingError('KEY_UNAVAILABLE', `${ADMIN_AUDIT_ENV.tokenFile}: ${(error as Error).message}`);
  }
  const address = new URL(
    `v1/users/${encodeURIComponent(login)}/summary`,
    url.endsWith('/') ? url : `${url}/`,
  );
  let response: Response;
  try {
    response = await fetch(address, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new RoamingError(
      'SERVICE_UNAVAILABLE',
      `audit at ${address.origin} is unreachable: ${(error as Error).message}`,
    );
  }
  if (!response.ok) {
    throw new RoamingError('SERVICE_UNAVAILABLE', `audit answered ${response.status} for the user summary`);
  }
  const parsed = machinesSchema.safeParse(await response.json());
  if (!parsed.success)
    throw new RoamingError('CONTRACT_VIOLATION', 'audit answered a user summary off its contract');
  return parsed.data.machines.map(({ machine, outcome, code, at }) => ({ machine, outcome, code, at }));
}
