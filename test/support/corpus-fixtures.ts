// What the corpus runners of the agent protocol share (test/integration/corpus): the hostile sessions made from a
// genuine one, the placeholders replaced in a case's data, and the end check that nothing was written.
import { randomBytes, randomUUID } from 'node:crypto';
import { type RpcClient } from '@credroam/messaging';
import { type RoamingEvent } from '@credroam/roaming';
import { SessionTokenSigner, type SessionClaims } from '../../apps/logon-events/src/sessions/session-token';
import { type ServiceProcess } from '../helpers/service-process';
import { type TestDirectory } from './gateway-fixtures';
import { serviceChannelKey, startGatewayProcess } from './gateway-process';
import { startLogonStack, type LogonStack } from './logon-stack';
import { type BrokerProbe } from './messaging-fixtures';

/** The events a refused request may publish: its refusal's own, never a change. */
export const REFUSAL_EVENTS: ReadonlySet<string> = new Set([
  'logon.failed',
  'logon.failures-exceeded',
  'sync.started',
  'sync.failed',
  // A sync blocked by the policy or refusing tokens completes, with nothing written (the entries are compared).
  'sync.completed',
  'token.rejected',
  'policy.limit-exceeded',
]);

/**
 * From alice's genuine token: her claims signed with another key (forged), signed with the installation's key but
 * expired (expired), and her token with its payload edited to name bob, signature kept (edited).
 */
export function hostileSessions(
  directory: TestDirectory,
  genuine: string,
  sessionKey: Buffer,
  device: { publicKey: string; transport: 'http' | 'amqp' },
): { forged: string; expired: string; edited: string; claims: SessionClaims } {
  const [payload, signature] = genuine.split('.') as [string, string];
  const issued = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const claims: SessionClaims = {
    login: 'alice',
    dn: directory.user('alice').dn,
    stableId: issued.stableId as string,
    machine: 'ws-01',
    devicePublicKey: device.publicKey,
    transport: device.transport,
    authAt: Date.now(),
    exp: Date.now() + 600_000,
  };
  const bob = { ...issued, dn: directory.user('bob').dn, login: 'bob' };
  return {
    forged: new SessionTokenSigner(randomBytes(32)).sign(claims),
    expired: new SessionTokenSigner(sessionKey).sign({ ...claims, exp: Date.now() - 1 }),
    edited: `${Buffer.from(JSON.stringify(bob)).toString('base64url')}.${signature}`,
    claims,
  };
}

/**
 * directory-gateway, token-crypto and logon-events as processes on `directory`, with rate limits out of the way
 * (a corpus sends hundreds of requests from one client). Stop `processes` in this order.
 */
export async function startCorpusStack(
  directory: TestDirectory,
  namespace: string,
  name: string,
): Promise<{ stack: LogonStack; processes: ServiceProcess[] }> {
  const key = serviceChannelKey(directory);
  const gateway = await startGatewayProcess(directory, namespace, `gateway-${name}`, {
    CREDROAM_SERVICE_CHANNEL_KEY_FILE: key.file,
  });
  try {
    const stack = await startLogonStack(directory, namespace, key.file, {
      CREDROAM_RATE_CLIENT_BURST: '100000',
      CREDROAM_RATE_CLIENT_PER_SECOND: '100000',
      CREDROAM_RATE_USER_BURST: '100000',
    });
    return { stack, processes: [...stack.processes, gateway] };
  } catch (error) {
    await gateway.stop();
    throw error;
  }
}

/** An empty sync body of a machine that holds nothing yet (first use), with what a case overrides. */
export function firstUseSync(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    trigger: 'logon',
    machine: 'ws-01',
    lastStamp: null,
    baseStatus: 'first-use',
    manifest: { tokens: [], base: null },
    uploads: [],
    ...overrides,
  };
}

/** `value` with every string passed through `replace`, however deep. */
export function mapStrings(value: unknown, replace: (text: string) => string): unknown {
  if (typeof value === 'string') return replace(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, replace));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, replace)]));
  }
  return value;
}

/** `value` with every "$FILL" string replaced by `char` repeated `length` times (an input too big to write out). */
export function filled(value: unknown, char: string, length: number): unknown {
  const fill = char.repeat(length);
  return mapStrings(value, (text) => (text === '$FILL' ? fill : text));
}

/** The directory state of each user, as the gateway reads it: compared before and after a corpus. */
export function readStates(gateway: RpcClient, directory: TestDirectory, uids: string[]): Promise<unknown[]> {
  return Promise.all(
    uids.map((uid) =>
      gateway.call(
        'directory.read-state',
        { userDn: directory.user(uid).dn },
        { correlationId: randomUUID() },
      ),
    ),
  );
}

/** The types of the events `queue` holds now (taken). */
export async function publishedTypes(probe: BrokerProbe, queue: string): Promise<string[]> {
  return (await probe.drain(queue)).map(
    (message) => (JSON.parse(message.content.toString('utf8')) as RoamingEvent).type,
  );
}
