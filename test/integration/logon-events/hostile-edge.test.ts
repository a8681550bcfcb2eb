// logon-events' HTTP edge as an attacker without an account meets it: every refusal is cheap, bounded and in the
// one problem format, with logon-events as its own process (with directory-gateway, token-crypto, slapd, RabbitMQ).
// What one request shows (413, 415, 404, bad JSON, …) is data in test/corpus/logon-events-http; here, what needs a
// flood, raw sockets or a clock.
import { readFileSync } from 'node:fs';
import { Agent, get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { AGENT_API_PATHS, problemSchema, type ErrorCode } from '@credroam/roaming';
import { type ServiceProcess } from '../../helpers/service-process';
import { useSlapd } from '../../helpers/slapd';
import { serviceChannelKey, startGatewayProcess } from '../../support/gateway-process';
import { deviceKey, http, startLogonStack, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';

/** Peak resident memory of a process so far (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const line = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line?.[1] ?? 0) / 1024;
}

/** One raw HTTP/1.1 exchange: what the server wrote before it closed the connection. */
function rawExchange(url: string, request: string, { end = true } = {}): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => (end ? socket.end(request) : socket.write(request)));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** A GET through `agent`: its status, the Keep-Alive header and whether it went over a connection kept from before. */
function getThrough(
  agent: Agent,
  url: string,
): Promise<{ status: number | undefined; keepAlive: IncomingHttpHeaders[string]; reusedSocket: boolean }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { agent }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({
          status: response.statusCode,
          keepAlive: response.headers['keep-alive'],
          reusedSocket: request.reusedSocket,
        }),
      );
    });
    request.on('error', reject);
  });
}

/** The status and problem of a raw answer. */
function parseRaw(answer: string): { status: number; code: ErrorCode; correlationId: string } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
  const problem = problemSchema.parse(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)));
  return { status, code: problem.error.code, correlationId: problem.correlationId };
}

describe("logon-events' HTTP edge against hostile requests", () => {
  const slapd = useSlapd({ users: [{ uid: 'carol', password: 'carol-pass' }] });
  const namespace = testNamespace();
  let processes: ServiceProcess[] = [];
  let stack: LogonStack;
  let probe: BrokerProbe;
  const logonProcess = () => processes.find((service) => service.name === 'logon-events')!;

  beforeAll(async () => {
    probe = await BrokerProbe.open(namespace);
    const key = serviceChannelKey(slapd());
    const gateway = await startGatewayProcess(slapd(), namespace, 'gateway-edge', {
      CREDROAM_SERVICE_CHANNEL_KEY_FILE: key.file,
    });
    stack = await startLogonStack(slapd(), namespace, key.file, {
      CREDROAM_RATE_CLIENT_BURST: '1000',
      CREDROAM_RATE_CLIENT_PER_SECOND: '1000',
    });
    processes = [...stack.processes, gateway];
  }, 90_000);

  afterAll(async () => {
    for (const service of processes) await service.stop();
    await probe?.cleanUp();
  }, 30_000);

  it('answers a flood of unauthenticated decompression bombs with 401 and 415, staying small', async () => {
    // 64 KB of gzip that inflates to 63 MB of JSON: the attack measured on main (48 at once took 4.1 GB).
    const bomb = gzipSync(Buffer.from(`{"a":"${'x'.repeat(63 * 1024 * 1024)}"}`), { level: 9 });
    const send = (path: string, token?: string) =>
      fetch(`${stack.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: bomb,
      }).then(async (response) => ({
        status: response.status,
        code: problemSchema.parse(await response.json()).error.code,
      }));
    const answers = await Promise.all([
      ...Array.from({ length: 24 }, () => send(AGENT_API_PATHS.sync)),
      ...Array.from({ length: 24 }, () => send(AGENT_API_PATHS.sessions)),
    ]);
    expect(answers.slice(0, 24)).toEqual(Array(24).fill({ status: 401, code: 'UNAUTHENTICATED' }));
    expect(answers.slice(24)).toEqual(Array(24).fill({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }));
    expect(peakRssMb(logonProcess().pid)).toBeLessThan(200);
    // Still serving: a good logon succeeds.
    const logon = await http(stack.url, 'POST', AGENT_API_PATHS.sessions, {
      body: {
        user: 'carol',
        password: 'carol-pass',
        machine: 'ws-01',
        devicePublicKey: deviceKey().publicKey,
        agentVersion: '0.1.0',
      },
    });
    expect(logon.status).toBe(201);
  }, 120_000);

  it("answers what Node's parser refuses (431, a smuggling attempt) with a problem body too", async () => {
    const huge = await rawExchange(
      stack.url,
      `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(parseRaw(huge)).toMatchObject({ status: 431, code: 'VALUE_TOO_LARGE' });
    const smuggled = await rawExchange(
      stack.url,
      `POST ${AGENT_API_PATHS.sessions} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    expect(parseRaw(smuggled)).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
  });

  it('drops a client that stalls in its headers within seconds, with 408', async () => {
    const started = Date.now();
    const answer = await rawExchange(stack.url, `POST ${AGENT_API_PATHS.sessions} HTTP/1.1\r\nHost: x\r\n`, {
      end: false,
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(parseRaw(answer)).toMatchObject({ status: 408, code: 'TIMEOUT' });
  }, 30_000);

  // Regression: at Node's default of 5 s, bench:storm's busy load generator sent syncs on connections the server had
  // just closed ("server … is unreachable (other side closed)").
  it('keeps an idle connection 65 s: a request after 11 s idle (past the headers deadline) is answered on it', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const url = `${stack.url}/health/live`;
      expect(await getThrough(agent, url)).toEqual({
        status: 200,
        keepAlive: 'timeout=65',
        reusedSocket: false,
      });
      await delay(11_000);
      expect(await getThrough(agent, url)).toEqual({
        status: 200,
        keepAlive: 'timeout=65',
        reusedSocket: true,
      });
    } finally {
      agent.destroy();
    }
  }, 30_000);
});
