// The operator grant of `credroam user purge` (DESIGN.md section 7a, contracts/grants.ts): signed with the
// operator's own Ed25519 key, which the gateway trusts through CREDROAM_OPERATOR_PUBLIC_KEYS_FILE.
import { userInfo } from 'node:os';
import { GrantIssuer, readGrantSigningKey } from '@credroam/grants';
import { operatorNameSchema, RoamingError } from '@credroam/roaming';

export const OPERATOR_ENV = Object.freeze({
  keyFile: 'CREDROAM_OPERATOR_KEY_FILE',
  name: 'CREDROAM_OPERATOR_NAME',
} as const);

/** Long enough for one purge RPC, short enough that a copy off the broker is worth nothing. */
const LIFETIME_SECONDS = 60;

export function operatorIssuer(env: NodeJS.ProcessEnv = process.env): GrantIssuer {
  const keyFile = env[OPERATOR_ENV.keyFile]?.trim();
  if (!keyFile) {
    throw new RoamingError('KEY_UNAVAILABLE', `${OPERATOR_ENV.keyFile} must name the operator's signing key`);
  }
  const name = operatorNameSchema.safeParse(env[OPERATOR_ENV.name]?.trim() || userInfo().username);
  if (!name.success)
    throw new RoamingError('INVALID_INPUT', `${OPERATOR_ENV.name} is not a valid operator name`);
  const key = readGrantSigningKey(keyFile, `the operator key (${OPERATOR_ENV.keyFile})`);
  return new GrantIssuer(key, { lifetimeSeconds: LIFETIME_SECONDS, operator: name.data });
}
