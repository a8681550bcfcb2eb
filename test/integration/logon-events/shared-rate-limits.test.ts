// Rate limits shared by logon-events replicas through Redis (the machine's own, 127.0.0.1:6379): an attacker who
// spreads guesses over the replicas gets no more than from one, the user at her own workstation is not locked out,
// the lockout is audited once, and a replica that cannot reach Redis still limits on its own.
import { request } from 'node:http';
import { Redis } from 'ioredis';
import {
  AGENT_API_PATHS,
  parseEvent,
  problemSchema,
  type ErrorCode,
  type RoamingEvent,
} from '@credroam/roaming';
import { type ServiceProcess } from '../../helpers/service-process';
import { useSlapd } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { serviceChannelKey, startGatewayProcess } from '../../support/gateway-process';
import { deviceKey, startLogonStack, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';

const REDIS_URL = 'redis://127.0.0.1:6379';

interface Answer {
  status: number;
  code: ErrorCode | null;
  retryAfter: string | undefined;
}

/** A logon to `url` from the loopback address `from`, so one machine can play the attacker and the victim. */
function logon(url: string, user: string, password: string, from = '127.0.0.1'): Promise<Answer> {
  const body = JSON.stringify({
    user,
    password,
    machine: 'ws-rate',
    devicePublicKey: deviceKey().publicKey,
    agentVersion: '0.1.0',
  });
  return new Promise((resolve, reject) => {
    const call = request(
      `${url}${AGENT_API_PATHS.sessions}`,
      { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json' } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        response.on('end', () => {
          const problem = problemSchema.safeParse(JSON.parse(text));
          resolve({
            status: response.statusCode ?? 0,
            code: problem.success ? problem.data.error.code : null,
            retryAfter: response.headers['retry-after'],
          });
        });
      },
    );
    call.on('error', reject);
    call.end(body);
  });
}

describe('rate limits shared by logon-events replicas', () => {
  const slapd = useSlapd({ users: [{ uid: 'carol', password: 'carol-pass' }] });
  const namespace = testNamespace();
  // Three logons per login and source in a window of 300 s; sources are not what is limited here.
  const limits = {
    CREDROAM_RATE_USER_BURST: '3',
    CREDROAM_RATE_USER_PER_SECOND: '0.01',
    CREDROAM_RATE_CLIENT_BURST: '1000',
    CREDROAM_RATE_CLIENT_PER_SECOND: '1000',
    CREDROAM_LOGON_AMQP_INGRESS: 'false',
  };
  const processes: ServiceProcess[] = [];
  let replicaA: LogonStack;
  let replicaB: LogonStack;
  let probe: BrokerProbe;
  let events: string;
  let channelKeyFile: string;

  beforeAll(async () => {
    probe = await BrokerProbe.open(namespace);
    events = await probe.observe('rate-limits-test', ['security.rate-limited']);
    channelKeyFile = serviceChannelKey(slapd()).file;
    processes.push(
      await startGatewayProcess(slapd(), namespace, 'gateway-rate', {
        CREDROAM_SERVICE_CHANNEL_KEY_FILE: channelKeyFile,
      }),
    );
    const shared = { ...limits, CREDROAM_RATE_LIMIT_REDIS_URL: REDIS_URL };
    replicaA = await startLogonStack(slapd(), namespace, channelKeyFile, shared);
    processes.push(...replicaA.processes);
    replicaB = await startLogonStack(slapd(), namespace, channelKeyFile, shared, {
      keyDir: replicaA.keyDir,
      sessionKey: replicaA.sessionKey,
    });
    processes.push(...replicaB.processes);
  }, 90_000);

  afterAll(async () => {
    for (const service of processes) await service.stop();
    await probe?.cleanUp();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`credroam:${namespace}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }, 30_000);

  it("allows a stranger's guesses spread over two replicas no more than one replica would, and not carol's own logon", async () => {
    const guesses: Answer[] = [];
    for (const replica of [replicaA, replicaB, replicaA, replicaB, replicaA])
      guesses.push(await logon(replica.url, 'carol', 'guess'));
    expect(guesses.map(({ status, code }) => [status, code])).toEqual([
      [401, 'INVALID_CREDENTIALS'],
      [401, 'INVALID_CREDENTIALS'],
      [401, 'INVALID_CREDENTIALS'],
      [429, 'RATE_LIMITED'],
      [429, 'RATE_LIMITED'],
    ]);
    const retryAfter = Number(guesses[3]!.retryAfter);
    expect(retryAfter).toBeGreaterThan(200);
    expect(retryAfter).toBeLessThanOrEqual(300);

    // carol at her own workstation (another source) is not the one slowed down.
    expect(await logon(replicaB.url, 'carol', 'carol-pass', '127.0.0.2')).toMatchObject({ status: 201 });
  }, 30_000);

  it('audits the lockout once, as counted for every replica', async () => {
    const seen: RoamingEvent[] = [];
    await waitFor(
      async () => {
        for (;;) {
          const message = await probe.channel.get(events, { noAck: true });
          if (message === false) return seen.length > 0;
          const event = parseEvent(JSON.parse(message.content.toString('utf8')));
          if (event.ok) seen.push(event.value);
        }
      },
      { description: 'security.rate-limited on the broker', timeoutMs: 10_000 },
    );
    expect(seen).toEqual([
      expect.objectContaining({
        type: 'security.rate-limited',
        user: 'carol',
        payload: expect.objectContaining({ limit: 'logon', source: '127.0.0.1', shared: true }),
      }),
    ]);
  });

  it('limits per replica while Redis is out of reach, instead of failing the logon', async () => {
    const alone = await startLogonStack(
      slapd(),
      namespace,
      channelKeyFile,
      { ...limits, CREDROAM_RATE_LIMIT_REDIS_URL: 'redis://127.0.0.1:1' },
      { keyDir: replicaA.keyDir, sessionKey: replicaA.sessionKey },
    );
    processes.push(...alone.processes);
    const answers: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++)
      answers.push((await logon(alone.url, 'carol', 'guess', '127.0.0.3')).status);
    expect(answers).toEqual([401, 401, 401, 429]);
    const logonEvents = alone.processes.find((service) => service.name === 'logon-events')!;
    expect(logonEvents.output()).toContain('rate limits counted per replica');
  }, 60_000);
});
