import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { GRANT_ISSUER, GRANT_TYPE, type RpcRequest } from '@credroam/roaming';
import { generateGrantKeyPair, parseGrantPublicKeys, parseGrantSigningKey } from './grant-keys';
import { GrantIssuer } from './grant.issuer';
import { GrantVerifier, type GrantVerdict } from './grant.verifier';
import { requestDigest } from './request-digest';

const devicePublicKey = () =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ type: 'spki', format: 'der' })
    .toString('base64');

const DEVICE = devicePublicKey();
const ALICE = {
  login: 'alice',
  stableId: '0b7e2c1a-4f3d-4b8e-9a21-6c5d4e3f2a10',
  dn: 'uid=alice,ou=people,dc=credroam,dc=test',
  devicePublicKey: DEVICE,
};
const BOB = {
  login: 'bob',
  stableId: '7d1f0e2b-3c4a-4d5e-8f60-718293a4b5c6',
  dn: 'uid=bob,ou=people,dc=credroam,dc=test',
  devicePublicKey: DEVICE,
};

const sealForAlice = (devicePublicKeyBase64 = DEVICE): RpcRequest<'crypto.seal-for-device'> => ({
  user: { stableId: ALICE.stableId, login: ALICE.login },
  devicePublicKey: devicePublicKeyBase64,
  items: [],
  includeHashKey: true,
});

const readAliceValues: RpcRequest<'directory.read-values'> = {
  userDn: ALICE.dn,
  keys: [{ type: 'certificate', id: 'A'.repeat(40) }],
};

function setup(options: { now?: number } = {}) {
  let now = options.now ?? Date.UTC(2026, 11, 3, 9, 0, 0);
  const pair = generateGrantKeyPair();
  const key = parseGrantSigningKey(pair.signingKeyPem);
  const issuer = new GrantIssuer(key, { lifetimeSeconds: 60, now: () => now });
  const verifierFor = (audience: 'token-crypto' | 'directory-gateway', extraKeys = '') =>
    new GrantVerifier(parseGrantPublicKeys(pair.publicKeyPem + extraKeys), {
      audience,
      maxLifetimeSeconds: 300,
      clockSkewSeconds: 30,
      now: () => now,
    });
  return {
    key,
    issuer,
    crypto: verifierFor('token-crypto'),
    gateway: verifierFor('directory-gateway'),
    verifierFor,
    publicKeyPem: pair.publicKeyPem,
    clock: () => now,
    advance: (ms: number) => (now += ms),
  };
}

function refusal(verdict: GrantVerdict) {
  if (verdict.ok) throw new Error('expected a refusal');
  return { code: verdict.code, grantedTo: verdict.grantedTo };
}

describe('GrantVerifier', () => {
  it('accepts a grant for exactly this operation, user, device and request', async () => {
    const { issuer, crypto } = setup();
    const request = sealForAlice();
    const grant = await issuer.issue('crypto.seal-for-device', request, ALICE);
    const verdict = await crypto.verify('crypto.seal-for-device', request, grant);
    expect(verdict).toMatchObject({
      ok: true,
      claims: { op: 'crypto.seal-for-device', usr: { login: 'alice' } },
    });
  });

  it('refuses a request that carries no grant', async () => {
    const { crypto } = setup();
    expect(refusal(await crypto.verify('crypto.seal-for-device', sealForAlice(), undefined))).toEqual({
      code: 'GRANT_REQUIRED',
      grantedTo: null,
    });
  });

  it("refuses alice's grant on a request that seals to the attacker's device key", async () => {
    const { issuer, crypto } = setup();
    const grant = await issuer.issue('crypto.seal-for-device', sealForAlice(), ALICE);
    const verdict = await crypto.verify('crypto.seal-for-device', sealForAlice(devicePublicKey()), grant);
    expect(refusal(verdict)).toEqual({ code: 'GRANT_MISMATCH', grantedTo: 'alice' });
  });

  it("refuses bob's grant on a request for alice's entry", async () => {
    const { issuer, gateway } = setup();
    const bobsRequest = { ...readAliceValues, userDn: BOB.dn };
    const grant = await issuer.issue('directory.read-values', bobsRequest, BOB);
    expect(refusal(await gateway.verify('directory.read-values', readAliceValues, grant))).toEqual({
      code: 'GRANT_MISMATCH',
      grantedTo: 'bob',
    });
  });

  it('refuses a grant for another operation, and one addressed to another service', async () => {
    const { issuer, crypto, gateway } = setup();
    const request = { user: { stableId: ALICE.stableId, login: ALICE.login }, items: [] };
    const resealGrant = await issuer.issue('crypto.reseal', request, ALICE);
    const asSealForStorage = { ...request, limits: { maxTokenBytes: 65_535 } };
    expect(refusal(await crypto.verify('crypto.seal-for-storage', asSealForStorage, resealGrant)).code).toBe(
      'GRANT_MISMATCH',
    );
    const gatewayGrant = await issuer.issue('directory.read-values', readAliceValues, ALICE);
    expect(refusal(await crypto.verify('crypto.seal-for-device', sealForAlice(), gatewayGrant)).code).toBe(
      'GRANT_MISMATCH',
    );
    expect((await gateway.verify('directory.read-values', readAliceValues, gatewayGrant)).ok).toBe(true);
  });

  it('refuses a write with a grant signed for different changes', async () => {
    const { issuer, gateway } = setup();
    const granted: RpcRequest<'directory.apply-changes'> = {
      userDn: ALICE.dn,
      expectedStamp: null,
      add: [],
      remove: [],
      purgeWatermark: 0,
    };
    const grant = await issuer.issue('directory.apply-changes', granted, ALICE);
    const changed = { ...granted, remove: ['ref-of-another-value'] };
    expect(refusal(await gateway.verify('directory.apply-changes', changed, grant)).code).toBe(
      'GRANT_MISMATCH',
    );
  });

  it('refuses an expired grant, and one replayed on the same replica', async () => {
    const { issuer, crypto, advance } = setup();
    const request = sealForAlice();
    const grant = await issuer.issue('crypto.seal-for-device', request, ALICE);
    expect((await crypto.verify('crypto.seal-for-device', request, grant)).ok).toBe(true);
    expect(refusal(await crypto.verify('crypto.seal-for-device', request, grant)).code).toBe('GRANT_INVALID');
    expect((await crypto.verify('crypto.seal-for-device', request, grant, true)).ok).toBe(true);
    advance(91_000);
    expect(refusal(await crypto.verify('crypto.seal-for-device', request, grant, true))).toEqual({
      code: 'GRANT_EXPIRED',
      grantedTo: 'alice',
    });
  });

  it('refuses a grant signed with a key it does not trust, or with its signature altered', async () => {
    const { crypto } = setup();
    const stranger = setup();
    const request = sealForAlice();
    const forged = await stranger.issuer.issue('crypto.seal-for-device', request, ALICE);
    expect(refusal(await crypto.verify('crypto.seal-for-device', request, forged))).toEqual({
      code: 'GRANT_INVALID',
      grantedTo: null,
    });
    const { issuer } = setup();
    const genuine = await issuer.issue('crypto.seal-for-device', request, ALICE);
    const [header, payload] = genuine.split('.');
    const trusting = new GrantVerifier(parseGrantPublicKeys(stranger.publicKeyPem), {
      audience: 'token-crypto',
      maxLifetimeSeconds: 300,
      clockSkewSeconds: 30,
    });
    const spliced = `${header}.${payload}.${forged.split('.')[2]}`;
    expect(refusal(await trusting.verify('crypto.seal-for-device', request, spliced)).code).toBe(
      'GRANT_INVALID',
    );
  });

  it('refuses a grant that lives longer than this service accepts, even when properly signed', async () => {
    const { key, crypto } = setup();
    const request = sealForAlice();
    const now = Math.floor(Date.UTC(2026, 11, 3, 9, 0, 0) / 1000);
    const longLived = await new SignJWT({
      op: 'crypto.seal-for-device',
      usr: { login: 'alice', stableId: ALICE.stableId, dn: ALICE.dn, deviceKeyHash: null },
      req: requestDigest(request),
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: GRANT_TYPE })
      .setIssuer(GRANT_ISSUER)
      .setAudience('token-crypto')
      .setJti('3f1e2d3c-4b5a-4697-8877-665544332211')
      .setIssuedAt(now)
      .setExpirationTime(now + 86_400)
      .sign(key.privateKey);
    expect(refusal(await crypto.verify('crypto.seal-for-device', request, longLived)).code).toBe(
      'GRANT_INVALID',
    );
  });

  it('accepts grants of either key while a rotation has both configured', async () => {
    const before = setup();
    const after = generateGrantKeyPair();
    const rotating = before.verifierFor('token-crypto', after.publicKeyPem);
    const rotatedIssuer = new GrantIssuer(parseGrantSigningKey(after.signingKeyPem), {
      lifetimeSeconds: 60,
      now: before.clock,
    });
    const request = sealForAlice();
    const old = await before.issuer.issue('crypto.seal-for-device', request, ALICE);
    const renewed = await rotatedIssuer.issue('crypto.seal-for-device', request, ALICE);
    expect((await rotating.verify('crypto.seal-for-device', request, old)).ok).toBe(true);
    expect((await rotating.verify('crypto.seal-for-device', request, renewed)).ok).toBe(true);
    expect(refusal(await before.crypto.verify('crypto.seal-for-device', request, renewed)).code).toBe(
      'GRANT_INVALID',
    );
  });
});

describe('GrantIssuer', () => {
  it('refuses to grant a request that names another user than the one authenticated', async () => {
    const { issuer } = setup();
    await expect(issuer.issue('directory.read-values', readAliceValues, BOB)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(
      issuer.issue('crypto.seal-for-device', sealForAlice(), { ...ALICE, devicePublicKey: null }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('operator grants', () => {
  const purgeAlice: RpcRequest<'directory.purge-user'> = {
    userDn: ALICE.dn,
    expectedStamp: null,
    types: null,
  };
  const target = { ...ALICE, devicePublicKey: null };

  function operatorSetup() {
    const logon = setup();
    const pair = generateGrantKeyPair();
    const operator = new GrantIssuer(parseGrantSigningKey(pair.signingKeyPem), {
      lifetimeSeconds: 60,
      operator: 'helpdesk-jo',
      now: logon.clock,
    });
    const gateway = new GrantVerifier(parseGrantPublicKeys(logon.publicKeyPem), {
      operatorKeys: parseGrantPublicKeys(pair.publicKeyPem),
      audience: 'directory-gateway',
      maxLifetimeSeconds: 300,
      clockSkewSeconds: 30,
      now: logon.clock,
    });
    return { logon, operator, gateway };
  }

  it('accepts an operator grant signed with a configured operator key, naming the operator', async () => {
    const { operator, gateway } = operatorSetup();
    const grant = await operator.issue('directory.purge-user', purgeAlice, target);
    const verdict = await gateway.verify('directory.purge-user', purgeAlice, grant);
    expect(verdict).toMatchObject({ ok: true, claims: { opr: 'helpdesk-jo', usr: { login: 'alice' } } });
  });

  it("keeps each operator command's grant to its own kind: a purge's grant does not cover an inspection", async () => {
    const { operator, gateway } = operatorSetup();
    const inspectAlice: RpcRequest<'directory.inspect-user'> = { userDn: ALICE.dn };
    const purge = await operator.issue('directory.purge-user', purgeAlice, target);
    const inspect = await operator.issue('directory.inspect-user', inspectAlice, target);
    expect(await gateway.verify('directory.inspect-user', inspectAlice, inspect)).toMatchObject({
      ok: true,
      claims: { op: 'directory.inspect-user', opr: 'helpdesk-jo' },
    });
    expect(refusal(await gateway.verify('directory.inspect-user', inspectAlice, purge)).code).toBe(
      'GRANT_MISMATCH',
    );
    expect(refusal(await gateway.verify('directory.purge-user', purgeAlice, inspect)).code).toBe(
      'GRANT_MISMATCH',
    );
  });

  it('refuses an operator command to a verifier without operator keys, and to logon-events keys', async () => {
    const { logon, operator } = operatorSetup();
    const grant = await operator.issue('directory.purge-user', purgeAlice, target);
    expect(refusal(await logon.gateway.verify('directory.purge-user', purgeAlice, grant)).code).toBe(
      'GRANT_INVALID',
    );
    await expect(logon.issuer.issue('directory.purge-user', purgeAlice, target)).rejects.toThrow(
      /only an operator grants it/,
    );
  });

  it('never lets an operator sign a logon operation, nor a grant naming an operator cover one', async () => {
    const { logon, operator, gateway } = operatorSetup();
    await expect(operator.issue('directory.read-values', readAliceValues, ALICE)).rejects.toThrow(
      /an operator grants only operator commands/,
    );
    const forged = await new SignJWT({
      op: 'directory.read-values',
      usr: { login: 'alice', stableId: ALICE.stableId, dn: ALICE.dn, deviceKeyHash: null },
      req: requestDigest(readAliceValues),
      opr: 'helpdesk-jo',
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: logon.key.kid, typ: GRANT_TYPE })
      .setIssuer(GRANT_ISSUER)
      .setAudience('directory-gateway')
      .setJti('00000000-0000-4000-8000-000000000000')
      .setIssuedAt(Math.floor(logon.clock() / 1000))
      .setExpirationTime(Math.floor(logon.clock() / 1000) + 60)
      .sign(logon.key.privateKey);
    expect(refusal(await gateway.verify('directory.read-values', readAliceValues, forged)).code).toBe(
      'GRANT_INVALID',
    );
  });
});
