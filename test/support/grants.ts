// One grant key pair per test process, as an installation has one: the services a suite starts are configured
// with its files, and a suite that calls the gateway or token-crypto directly signs grants with it, acting as
// logon-events does for a user it authenticated.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GRANT_ENV,
  generateGrantKeyPair,
  GrantIssuer,
  GrantVerifier,
  parseGrantPublicKeys,
  parseGrantSigningKey,
  type Grantee,
} from '@credroam/grants';
import { type RpcCallOptions } from '@credroam/messaging';
import {
  isGrantedPattern,
  requestSubject,
  type RpcPattern,
  type RpcRequest,
  type RpcService,
} from '@credroam/roaming';

export interface TestGrants {
  /** For logon-events: CREDROAM_GRANT_SIGNING_KEY_FILE. */
  issuerEnv: Record<string, string>;
  /** For the gateway and token-crypto: CREDROAM_GRANT_PUBLIC_KEYS_FILE. */
  verifierEnv: Record<string, string>;
  issuer: GrantIssuer;
  verifier(service: RpcService): GrantVerifier;
  /**
   * The `grant` call option for `pattern` (undefined for an open pattern), granting whoever the payload names: a
   * suite that talks to a service directly plays logon-events for its own test users.
   */
  grantFor<P extends RpcPattern>(pattern: P): RpcCallOptions<P>['grant'];
}

let current: TestGrants | undefined;

export function testGrants(): TestGrants {
  current ??= createTestGrants();
  return current;
}

function createTestGrants(): TestGrants {
  const dir = mkdtempSync(join(tmpdir(), 'credroam-grants-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const { signingKeyPem, publicKeyPem } = generateGrantKeyPair();
  const signingKeyFile = join(dir, 'grant-signing.pem');
  const publicKeysFile = join(dir, 'grant-public.pem');
  writeFileSync(signingKeyFile, signingKeyPem, { mode: 0o600 });
  writeFileSync(publicKeysFile, publicKeyPem);
  const issuer = new GrantIssuer(parseGrantSigningKey(signingKeyPem), { lifetimeSeconds: 60 });
  return {
    issuerEnv: { [GRANT_ENV.signingKeyFile]: signingKeyFile },
    verifierEnv: { [GRANT_ENV.publicKeysFile]: publicKeysFile },
    issuer,
    verifier: (service) =>
      new GrantVerifier(parseGrantPublicKeys(publicKeyPem), {
        audience: service,
        maxLifetimeSeconds: 300,
        clockSkewSeconds: 30,
      }),
    grantFor<P extends RpcPattern>(pattern: P): RpcCallOptions<P>['grant'] {
      if (!isGrantedPattern(pattern)) return undefined;
      return (payload: RpcRequest<P>) => {
        const subject = requestSubject(pattern, payload as never);
        const grantee: Grantee = {
          login: subject.login ?? 'test-grantee',
          stableId: subject.stableId ?? null,
          dn: subject.dn ?? null,
          devicePublicKey: subject.devicePublicKey ?? null,
        };
        return issuer.issue(pattern, payload as never, grantee);
      };
    },
  };
}
