import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { NO_FLAGS, type RpcRequest } from '@credroam/roaming';
import {
  generateGrantKeyPair,
  GrantIssuer,
  GrantVerifier,
  parseGrantPublicKeys,
  parseGrantSigningKey,
} from '@credroam/grants';

/**
 * What a grant costs one request, isolated from the broker and the directory: logon-events signs it, the service
 * verifies it (signature, claims, the request's canonical digest). Measured for a logon's hash-key request and for
 * downloads of 1, 20 and 200 stored values of 4 KiB. Run: npm run bench grants.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

function download(items: number): RpcRequest<'crypto.seal-for-device'> {
  const devicePublicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ type: 'spki', format: 'der' })
    .toString('base64');
  return {
    user: { stableId: '0b7e2c1a-4f3d-4b8e-9a21-6c5d4e3f2a10', login: 'alice' },
    devicePublicKey,
    includeHashKey: items === 0,
    items: Array.from({ length: items }, (_, index) => ({
      token: {
        type: 'certificate' as const,
        id: randomBytes(20).toString('hex').toUpperCase(),
        hash: randomBytes(32).toString('hex'),
        modifiedAt: 1_796_000_000_000 + index,
        size: 4096,
        flags: { ...NO_FLAGS },
        tombstone: false,
      },
      keyVersion: 1,
      sealed: randomBytes(4096).toString('base64'),
    })),
  };
}

export async function main(): Promise<void> {
  const pair = generateGrantKeyPair();
  const issuer = new GrantIssuer(parseGrantSigningKey(pair.signingKeyPem), { lifetimeSeconds: 60 });
  const verifier = new GrantVerifier(parseGrantPublicKeys(pair.publicKeyPem), {
    audience: 'token-crypto',
    maxLifetimeSeconds: 300,
    clockSkewSeconds: 30,
  });
  console.log('request                               issue µs  verify µs  per request µs');
  for (const items of [0, 1, 20, 200]) {
    const request = download(items);
    const grantee = {
      login: 'alice',
      stableId: request.user.stableId,
      dn: 'uid=alice,ou=people,dc=credroam,dc=test',
      devicePublicKey: request.devicePublicKey,
    };
    let issued = 0;
    let issueMs = 0;
    let verifyMs = 0;
    const deadline = performance.now() + SECONDS * 1000;
    while (performance.now() < deadline) {
      const started = performance.now();
      const grant = await issuer.issue('crypto.seal-for-device', request, grantee);
      const signedAt = performance.now();
      const verdict = await verifier.verify('crypto.seal-for-device', request, grant);
      if (!verdict.ok) throw new Error(`grant refused: ${verdict.reason}`);
      verifyMs += performance.now() - signedAt;
      issueMs += signedAt - started;
      issued++;
    }
    const label =
      items === 0 ? 'seal-for-device, hash key (logon)' : `seal-for-device, ${items} x 4 KiB values`;
    const micros = (ms: number) => ((ms / issued) * 1000).toFixed(0).padStart(9);
    console.log(`${label.padEnd(36)}${micros(issueMs)}  ${micros(verifyMs)}  ${micros(issueMs + verifyMs)}`);
  }
  console.log('an upload sync carries two grants (seal-for-storage, apply-changes), a download two more');
}
