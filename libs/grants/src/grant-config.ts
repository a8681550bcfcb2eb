import { z } from 'zod';
import { envWholeNumber } from '@credroam/platform';
import { parseWith, RoamingError, type RpcService } from '@credroam/roaming';
import { readGrantPublicKeys, readGrantSigningKey } from './grant-keys';
import { GrantIssuer } from './grant.issuer';
import { GrantVerifier } from './grant.verifier';

/** The grant variables, named once: the services' READMEs and the deployment files use these names. */
export const GRANT_ENV = Object.freeze({
  signingKeyFile: 'CREDROAM_GRANT_SIGNING_KEY_FILE',
  lifetimeSeconds: 'CREDROAM_GRANT_LIFETIME_SECONDS',
  publicKeysFile: 'CREDROAM_GRANT_PUBLIC_KEYS_FILE',
  maxLifetimeSeconds: 'CREDROAM_GRANT_MAX_LIFETIME_SECONDS',
  clockSkewSeconds: 'CREDROAM_GRANT_CLOCK_SKEW_SECONDS',
  /** The gateway: the operators' public keys (operator grants, credroam user purge); optional. */
  operatorPublicKeysFile: 'CREDROAM_OPERATOR_PUBLIC_KEYS_FILE',
} as const);

const required = z.string().min(1, { message: 'is required' });

const issuerEnvSchema = z.object({
  [GRANT_ENV.signingKeyFile]: required,
  [GRANT_ENV.lifetimeSeconds]: envWholeNumber(1, 900).default(60),
});

const verifierEnvSchema = z.object({
  [GRANT_ENV.publicKeysFile]: required,
  [GRANT_ENV.maxLifetimeSeconds]: envWholeNumber(1, 3600).default(300),
  [GRANT_ENV.clockSkewSeconds]: envWholeNumber(0, 300).default(30),
  [GRANT_ENV.operatorPublicKeysFile]: z.string().min(1).optional(),
});

function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv, who: string): z.output<S> {
  const present = Object.fromEntries(
    Object.values(GRANT_ENV)
      .map((name) => [name, env[name]?.trim()] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = parseWith(schema, present, 'INVALID_INPUT');
  if (!parsed.ok)
    throw new RoamingError('INVALID_INPUT', `${who} grant configuration: ${parsed.error.message}`);
  return parsed.value;
}

function withVariable<T>(variable: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    const info = error instanceof RoamingError ? error : new RoamingError('KEY_UNAVAILABLE', String(error));
    throw new RoamingError(info.code, `${variable}: ${info.message}`);
  }
}

/** logon-events' issuer, from its environment; every problem names its variable. */
export function grantIssuerFromEnv(env: NodeJS.ProcessEnv = process.env): GrantIssuer {
  const values = parseEnv(issuerEnvSchema, env, 'logon-events');
  const key = withVariable(GRANT_ENV.signingKeyFile, () =>
    readGrantSigningKey(values[GRANT_ENV.signingKeyFile]),
  );
  return new GrantIssuer(key, { lifetimeSeconds: values[GRANT_ENV.lifetimeSeconds] });
}

/** The verifier of `service` (directory-gateway or token-crypto), from its environment. */
export function grantVerifierFromEnv(
  service: RpcService,
  env: NodeJS.ProcessEnv = process.env,
): GrantVerifier {
  const values = parseEnv(verifierEnvSchema, env, service);
  const keys = withVariable(GRANT_ENV.publicKeysFile, () =>
    readGrantPublicKeys(values[GRANT_ENV.publicKeysFile]),
  );
  const operatorKeysFile = values[GRANT_ENV.operatorPublicKeysFile];
  const operatorKeys =
    operatorKeysFile === undefined
      ? []
      : withVariable(GRANT_ENV.operatorPublicKeysFile, () =>
          readGrantPublicKeys(operatorKeysFile, 'the operator public keys'),
        );
  return new GrantVerifier(keys, {
    operatorKeys,
    audience: service,
    maxLifetimeSeconds: values[GRANT_ENV.maxLifetimeSeconds],
    clockSkewSeconds: values[GRANT_ENV.clockSkewSeconds],
  });
}
