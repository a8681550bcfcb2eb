// Nobody on the broker is trusted (DESIGN.md section 7a). The whole stack runs in a vhost of its own where every
// service, the workstations' hook, the operators and the admin CLI have their own broker account, as `npm start`
// sets it up.
// alice and bob roam as usual; then someone holding the broker's administrator account replays the attack of
// issue 11 (lookup-user, read-state, read-values, seal-for-device to a key of their own) and its variations with
// grants captured off the broker (the firehose is on): another user's grant, an expired one, one for another
// device key, a write with a grant for other changes, a replay, a forgery. Every call that touches a secret is
// refused, nothing is sealed to the attacker's key, and audit holds a security event per refusal.
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { generateGrantKeyPair, GrantIssuer, parseGrantSigningKey } from '@credroam/grants';
import { amqpNames, brokerUserName, RpcClient, BROKER_ACCOUNTS } from '@credroam/messaging';
import {
  INGRESS_ROUTING_KEY,
  RoamingError,
  type GrantErrorCode,
  type RpcPattern,
  type RpcRequest,
} from '@credroam/roaming';
import { openEnvelope } from '@credroam/sealing';
import {
  provisionBrokerAccounts,
  removeBrokerAccounts,
  type ProvisionedAccounts,
} from '../../../apps/admin/src/broker/broker-provisioner';
import { type ServiceProcess } from '../../helpers/service-process';
import { OpensslWorkspace } from '../../helpers/openssl';
import { useSlapd } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { OPERATOR_TOKEN } from '../../integration/audit/support/audit-app';
import { expectOk, Workstations } from '../../support/agent-cli';
import {
  askThrough,
  consumeFrom,
  declareQueue,
  publishTo,
  publishToQueue,
  tryAs,
} from '../../support/broker-access';
import { serviceChannelKey, startGatewayProcess } from '../../support/gateway-process';
import { startLogonStack, type LogonStack } from '../../support/logon-stack';
import { brokerUrl, testConfig, testNamespace } from '../../support/messaging-fixtures';
import { tearDown } from '../../support/teardown';
import { TracedVhost } from '../../support/traced-vhost';
import { ensureAuditBuilt, startAuditProcess, type AuditProcess } from '../audit/support/audit-process';
import { freePort } from '../audit/support/private-postgres';

/** Short, so that a captured grant can be shown expired within the suite; long enough to use it fresh first. */
const GRANT_LIFETIME_SECONDS = 10;

interface CapturedRequest<P extends RpcPattern> {
  payload: RpcRequest<P>;
  grant: string;
}

interface Refusal {
  correlationId: string;
  operation: RpcPattern;
  code: GrantErrorCode;
}

function deviceKeyPair(): { publicKey: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), privateKey };
}

/** Every base64 value under an `envelope` or `hashKeyEnvelope` key of a JSON body: what is sealed to a device. */
function deviceEnvelopes(value: unknown): Buffer[] {
  if (Array.isArray(value)) return value.flatMap(deviceEnvelopes);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    (key === 'envelope' || key === 'hashKeyEnvelope') && typeof inner === 'string'
      ? [Buffer.from(inner, 'base64')]
      : deviceEnvelopes(inner),
  );
}

describe('broker accounts and grants: an attacker on the broker gets nothing usable', () => {
  const slapd = useSlapd({
    users: [
      { uid: 'alice', password: 'alice-pass' },
      { uid: 'bob', password: 'bob-pass' },
    ],
  });
  const namespace = testNamespace();
  const admin = new URL(brokerUrl());
  admin.pathname = `/${namespace}`;
  const adminUrl = admin.toString();
  const names = amqpNames(namespace);
  let accounts: ProvisionedAccounts;
  let trace: TracedVhost | undefined;
  let gateway: ServiceProcess | undefined;
  let stack: LogonStack | undefined;
  let audit: AuditProcess | undefined;
  let workspace: OpensslWorkspace | undefined;
  let dir: string | undefined;
  const urlOf = (account: (typeof BROKER_ACCOUNTS)[number]) => accounts.url(account, brokerUrl());
  const hookUrl = () => {
    const url = new URL(urlOf('hook'));
    url.searchParams.set('namespace', namespace);
    return url.toString();
  };
  const { run, login, sync, list } = new Workstations(
    () => dir ?? '',
    () => stack?.url ?? '',
  );

  beforeAll(async () => {
    ensureAuditBuilt();
    dir = mkdtempSync(join(tmpdir(), 'credroam-e2e-attacker-'));
    const passwords = Object.fromEntries(BROKER_ACCOUNTS.map((account) => [account, randomUUID()])) as Record<
      (typeof BROKER_ACCOUNTS)[number],
      string
    >;
    accounts = await provisionBrokerAccounts({
      namespace,
      vhost: namespace,
      passwords,
      admins: [decodeURIComponent(admin.username)],
    });
    trace = await TracedVhost.attach(namespace, adminUrl);
    const channelKeyFile = serviceChannelKey(slapd()).file;
    const verifying = { CREDROAM_GRANT_CLOCK_SKEW_SECONDS: '1' };
    gateway = await startGatewayProcess(slapd(), namespace, 'attacker-gateway', {
      CREDROAM_SERVICE_CHANNEL_KEY_FILE: channelKeyFile,
      CREDROAM_AMQP_URL: urlOf('directory-gateway'),
      ...verifying,
    });
    stack = await startLogonStack(
      slapd(),
      namespace,
      channelKeyFile,
      {
        CREDROAM_AMQP_URL: urlOf('logon-events'),
        CREDROAM_GRANT_LIFETIME_SECONDS: String(GRANT_LIFETIME_SECONDS),
      },
      undefined,
      {},
      { CREDROAM_AMQP_URL: urlOf('token-crypto'), ...verifying },
    );
    audit = await startAuditProcess('attacker-audit', await freePort(), {
      CREDROAM_AMQP_URL: urlOf('audit'),
      CREDROAM_AMQP_NAMESPACE: namespace,
      CREDROAM_AUDIT_DB: `sqlite:${join(dir, 'audit.sqlite')}`,
    });
    workspace = await OpensslWorkspace.create();
  }, 180_000);

  afterAll(async () => {
    await tearDown({ services: [...(stack?.processes ?? []), gateway, audit], workspace, dir });
    await trace?.dispose();
    await removeBrokerAccounts({ namespace, vhost: namespace });
  }, 60_000);

  it('runs every service under its own account: alice roams a key and its certificate to a hook on the ingress', async () => {
    const certificate = await workspace!.selfSignedCertificate({ algorithm: 'p-256', subject: '/CN=alice' });
    await login('ws-a');
    expectOk(await run('ws-a', ['import', certificate.certFile]));
    expectOk(await run('ws-a', ['import', certificate.keyFile]));
    expect((await sync('ws-a')).rejections).toEqual([]);
    await login('ws-b', 'alice', hookUrl());
    await sync('ws-b');
    expect((await list('ws-b')).map((token) => token.type).sort()).toEqual(['certificate', 'private-key']);
    await login('ws-c', 'bob');
    await sync('ws-c');
  }, 60_000);

  it('lets the hook account publish to the ingress exchange and nothing else', async () => {
    const hook = urlOf('hook');
    const answer = await askThrough(hook, names.ingressExchange, INGRESS_ROUTING_KEY, {
      kind: 'transport-certificate',
    });
    expect(answer).toMatchObject({ ok: true, value: { transportCertificatePem: expect.any(String) } });
    for (const queue of [...Object.values(names.rpcQueues), names.ingressQueue]) {
      expect(await tryAs(hook, publishToQueue(queue))).toBe('refused');
      expect(await tryAs(hook, consumeFrom(queue))).toBe('refused');
    }
    expect(await tryAs(hook, publishTo(names.eventsExchange, 'sync.completed'))).toBe('refused');
    expect(await tryAs(hook, publishTo(names.deadLetterExchange, 'sync.completed'))).toBe('refused');
    expect(await tryAs(hook, declareQueue(names.queue('hook-tap')))).toBe('refused');
    expect(await tryAs(hook, declareQueue(''))).toBe('refused');
  });

  it("lets each service's account do its own work and nothing else", async () => {
    const { rpcQueues } = names;
    const refusedTo = async (
      account: (typeof BROKER_ACCOUNTS)[number],
      attempts: Parameters<typeof tryAs>[1][],
    ) => {
      for (const attempt of attempts) expect(await tryAs(urlOf(account), attempt)).toBe('refused');
    };
    await refusedTo('directory-gateway', [
      consumeFrom(rpcQueues['token-crypto']),
      consumeFrom(names.ingressQueue),
      publishTo(names.eventsExchange, 'token.uploaded'),
      publishTo(names.ingressExchange, INGRESS_ROUTING_KEY),
      declareQueue(names.queue('tap')),
    ]);
    await refusedTo('token-crypto', [
      consumeFrom(rpcQueues['directory-gateway']),
      publishTo(names.eventsExchange, 'sync.completed'),
      declareQueue(names.ingressQueue),
    ]);
    await refusedTo('logon-events', [
      consumeFrom(rpcQueues['directory-gateway']),
      consumeFrom(rpcQueues['token-crypto']),
      publishTo(names.eventsExchange, 'security.request-refused'),
      consumeFrom(names.deadLetterQueue),
    ]);
    await refusedTo('audit', [
      consumeFrom(rpcQueues['token-crypto']),
      publishTo(names.ingressExchange, INGRESS_ROUTING_KEY),
      publishTo(names.eventsExchange, 'sync.completed'),
    ]);
    await refusedTo('operator', [
      publishToQueue(rpcQueues['token-crypto']),
      publishTo(names.eventsExchange, 'sync.completed'),
      consumeFrom(rpcQueues['directory-gateway']),
    ]);
    await refusedTo('admin-cli', [
      publishToQueue(rpcQueues['directory-gateway']),
      publishToQueue(rpcQueues['token-crypto']),
      publishTo(names.eventsExchange, 'security.operator-action'),
      publishTo(names.ingressExchange, INGRESS_ROUTING_KEY),
      consumeFrom(rpcQueues['directory-gateway']),
      consumeFrom(names.deadLetterQueue),
      declareQueue(names.queue('admin-tap')),
    ]);
    expect(await tryAs(urlOf('hook'), publishTo(names.adminExchange, 'directory.lookup-user'))).toBe(
      'refused',
    );
    // The admin CLI's account reaches the gateway through the admin exchange, for what operator commands need
    // only: a request the exchange does not route (here one that would need a logon grant) goes nowhere.
    const adminCli = new RpcClient(
      testConfig(namespace, { url: urlOf('admin-cli'), rpcTimeoutMs: 10_000 }),
      'directory-gateway',
      { route: 'admin-exchange' },
    );
    try {
      const { user } = await adminCli.call(
        'directory.lookup-user',
        { login: 'alice' },
        { correlationId: randomUUID() },
      );
      expect(user.login).toBe('alice');
      const unrouted = adminCli.call(
        'directory.read-values',
        { userDn: user.dn, keys: [{ type: 'master-key', id: 'Preferred' }] },
        { correlationId: randomUUID(), timeoutMs: 2_000 },
      );
      await expect(unrouted).rejects.toMatchObject({ code: 'TIMEOUT' });
    } finally {
      await adminCli.close();
    }
    // The operators' own tap on the events is theirs to declare and read.
    const tap = names.queue('operator.siem');
    expect(
      await tryAs(urlOf('operator'), async (channel) => {
        await channel.assertQueue(tap, { autoDelete: true });
        await channel.bindQueue(tap, names.eventsExchange, '#');
        await channel.consume(tap, () => undefined);
      }),
    ).toBe('allowed');
    expect(Object.values(accounts.accounts).map((account) => account.user)).toEqual(
      BROKER_ACCOUNTS.map((account) => brokerUserName(namespace, account)),
    );
  }, 60_000);

  it("refuses every request for alice's secrets made with the administrator account, with an event for each", async () => {
    const attacker = deviceKeyPair();
    const client = new RpcClient(
      testConfig(namespace, { url: adminUrl, rpcTimeoutMs: 10_000 }),
      'directory-gateway',
    );
    const crypto = new RpcClient(
      testConfig(namespace, { url: adminUrl, rpcTimeoutMs: 10_000 }),
      'token-crypto',
    );
    const attackStarted = trace!.messages.length;
    const refusals: Refusal[] = [];
    const call = <P extends RpcPattern>(pattern: P, payload: RpcRequest<P>, grant?: string) => {
      const correlationId = randomUUID();
      const target = pattern.startsWith('crypto.') ? crypto : client;
      const promise = target.call(pattern, payload, {
        correlationId,
        ...(grant === undefined ? {} : { grant: async () => grant }),
      });
      return { correlationId, promise };
    };
    const refused = async <P extends RpcPattern>(
      code: GrantErrorCode,
      pattern: P,
      payload: RpcRequest<P>,
      grant?: string,
    ) => {
      const { correlationId, promise } = call(pattern, payload, grant);
      const error = await promise.then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(RoamingError);
      expect({ pattern, code: (error as RoamingError).code }).toEqual({ pattern, code });
      refusals.push({ correlationId, operation: pattern, code });
    };
    const captured = <P extends RpcPattern>(
      pattern: P,
      matches: (payload: RpcRequest<P>) => boolean,
    ): CapturedRequest<P> => {
      const request = trace!
        .publishedTo(names.rpcQueues[pattern.startsWith('crypto.') ? 'token-crypto' : 'directory-gateway'])
        .map((message) => JSON.parse(message.body.toString('utf8')) as { pattern?: string; data?: unknown })
        .filter((body) => body.pattern === pattern)
        .map((body) => body.data as { payload: RpcRequest<P>; grant?: string })
        .filter((data) => data.grant !== undefined && matches(data.payload))
        .at(-1);
      if (!request?.grant) throw new Error(`no ${pattern} request with a grant was captured`);
      return { payload: request.payload, grant: request.grant };
    };

    try {
      // 1-2: what only names things stays open to services.
      const { user } = await call('directory.lookup-user', { login: 'alice' }).promise;
      const { state } = await call('directory.read-state', { userDn: user.dn }).promise;
      const keys = state.entries.map(({ type, id }) => ({ type, id }));
      expect(keys.map((key) => key.type).sort()).toEqual(['certificate', 'private-key']);
      const alice = { stableId: user.stableId, login: user.login };

      // 3-4: the attack as filed, without a grant.
      await refused('GRANT_REQUIRED', 'directory.read-values', { userDn: user.dn, keys });
      const toAttacker = {
        user: alice,
        devicePublicKey: attacker.publicKey,
        items: [],
        includeHashKey: true,
      };
      await refused('GRANT_REQUIRED', 'crypto.seal-for-device', toAttacker);

      // Fresh grants taken off the broker as they pass: alice uploads a certificate that ws-b then downloads. Each
      // is used soon after it was captured: a grant lives GRANT_LIFETIME_SECONDS, and an agent run on a busy machine
      // takes seconds (past its lifetime, a grant is refused as expired before its request is even compared).
      const another = await workspace!.selfSignedCertificate({ algorithm: 'p-256', subject: '/CN=alice 2' });
      expectOk(await run('ws-a', ['import', another.certFile]));
      await sync('ws-a');
      const alicesWrite = captured('directory.apply-changes', (payload) => payload.userDn === user.dn);
      await refused(
        'GRANT_MISMATCH',
        'directory.apply-changes',
        {
          ...alicesWrite.payload,
          expectedStamp: (await call('directory.read-state', { userDn: user.dn }).promise).stamp,
          add: [],
          remove: state.entries.map((entry) => entry.ref),
        },
        alicesWrite.grant,
      );
      await sync('ws-b');
      const alicesRead = captured('directory.read-values', (payload) => payload.userDn === user.dn);
      const alicesDownload = captured(
        'crypto.seal-for-device',
        (payload) => payload.user.login === 'alice' && payload.items.length > 0,
      );
      const stampBefore = (await call('directory.read-state', { userDn: user.dn }).promise).stamp;
      await refused(
        'GRANT_MISMATCH',
        'crypto.seal-for-device',
        { ...alicesDownload.payload, devicePublicKey: attacker.publicKey },
        alicesDownload.grant,
      );
      await refused('GRANT_MISMATCH', 'directory.read-values', { userDn: user.dn, keys }, alicesRead.grant);
      // The exact request again: already used (and it would only reseal to alice's own device).
      await refused('GRANT_INVALID', 'crypto.seal-for-device', alicesDownload.payload, alicesDownload.grant);
      // bob's own grant, from his logon, for alice's data or for bob's sealed to the attacker.
      await login('ws-c', 'bob');
      const bobs = captured('crypto.seal-for-device', (payload) => payload.user.login === 'bob');
      await refused('GRANT_MISMATCH', 'crypto.seal-for-device', toAttacker, bobs.grant);
      await refused(
        'GRANT_MISMATCH',
        'crypto.seal-for-device',
        { ...bobs.payload, devicePublicKey: attacker.publicKey },
        bobs.grant,
      );
      const forged = new GrantIssuer(parseGrantSigningKey(generateGrantKeyPair().signingKeyPem), {
        lifetimeSeconds: 60,
      });
      const forgedGrant = await forged.issue('crypto.seal-for-device', toAttacker, {
        ...alice,
        dn: user.dn,
        devicePublicKey: attacker.publicKey,
      });
      await refused('GRANT_INVALID', 'crypto.seal-for-device', toAttacker, forgedGrant);

      // Later, the captured grant has expired.
      const expiresAt = (decodeJwt(alicesRead.grant).exp ?? 0) * 1000;
      await waitFor(() => Date.now() > expiresAt + 1_500, {
        description: "alice's captured grant to expire",
        timeoutMs: 60_000,
        intervalMs: 200,
      });
      await refused('GRANT_EXPIRED', 'directory.read-values', alicesRead.payload, alicesRead.grant);

      // Nothing was written, and nothing that crossed the broker since opens with the attacker's key.
      expect((await call('directory.read-state', { userDn: user.dn }).promise).stamp).toBe(stampBefore);
      const sealedSince = trace!.messages.slice(attackStarted).flatMap((message) => {
        try {
          return deviceEnvelopes(JSON.parse(message.body.toString('utf8')));
        } catch {
          return [];
        }
      });
      for (const envelope of sealedSince) {
        expect(openEnvelope(envelope, [{ privateKey: attacker.privateKey }]).ok).toBe(false);
      }

      // Audit holds one security event per refusal.
      const stored = await waitFor(
        async () => {
          const answer = await fetch(`${audit!.url}/v1/events?type=security.request-refused&limit=100`, {
            headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
          });
          const { events } = (await answer.json()) as {
            events: { correlationId: string; payload: Refusal }[];
          };
          return events.length >= refusals.length ? events : undefined;
        },
        { description: 'audit to store a security event per refusal', timeoutMs: 20_000 },
      );
      for (const refusal of refusals) {
        expect(stored.find((event) => event.correlationId === refusal.correlationId)?.payload).toMatchObject({
          operation: refusal.operation,
          code: refusal.code,
        });
      }
    } finally {
      await client.close();
      await crypto.close();
    }
  }, 120_000);
});
