import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoamingError, type SyncRequest } from '@credroam/roaming';
import { createCa, issueCertificate } from '../../../../scripts/lib/tls-ca.cjs';
import { AgentApiClient } from './agent-api.client';
import { fetchTrusting, plainServerRefusal, serverTlsError } from './transport-security';

/** An HTTPS server with a certificate of the suite's own CA: echoes POSTs, answers /none with 204, /hang never. */
async function httpsServer(certFile: string, keyFile: string): Promise<{ server: Server; url: string }> {
  const server = createServer(
    { cert: readFileSync(certFile), key: readFileSync(keyFile) },
    (request, response) => {
      if (request.url === '/hang') return;
      if (request.url === '/none') return void response.writeHead(204).end();
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () =>
        response
          .writeHead(201, {
            'content-type': 'application/json',
            'x-seen-auth': request.headers.authorization ?? '',
          })
          .end(Buffer.concat(chunks)),
      );
    },
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const post = (body: string, signal = AbortSignal.timeout(5_000)) => ({
  method: 'POST',
  headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
  body,
  signal,
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('the agent over HTTPS with a private CA', () => {
  let dir: string;
  let caPem: string;
  let otherCaPem: string;
  let server: Server;
  let url: string;
  let misnamed: { server: Server; url: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'credroam-agent-tls-'));
    const ca = createCa(join(dir, 'ca'));
    const other = createCa(join(dir, 'other'));
    caPem = readFileSync(ca.certFile, 'utf8');
    otherCaPem = readFileSync(other.certFile, 'utf8');
    const cert = issueCertificate(ca, 'logon', { hosts: ['127.0.0.1', 'localhost'] });
    ({ server, url } = await httpsServer(cert.certFile, cert.keyFile));
    const elsewhere = issueCertificate(ca, 'elsewhere', { hosts: ['logon.example.com'] });
    misnamed = await httpsServer(elsewhere.certFile, elsewhere.keyFile);
  });
  afterAll(async () => {
    server.closeAllConnections();
    misnamed.server.closeAllConnections();
    await Promise.all([server, misnamed.server].map((one) => new Promise((done) => one.close(done))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('trusts the given CA: status, headers and body come back as fetch gives them', async () => {
    const response = await fetchTrusting(caPem)(`${url}/v1/sync`, post('{"a":1}'));
    expect(response.status).toBe(201);
    expect(response.headers.get('x-seen-auth')).toBe('Bearer t');
    expect(await response.json()).toEqual({ a: 1 });
    expect((await fetchTrusting(caPem)(`${url}/none`, post(''))).status).toBe(204);
  });

  it.each([
    ['the system CAs (built-in fetch)', () => fetch(`${url}/v1/sync`, post('{}'))],
    ['another CA', () => fetchTrusting(otherCaPem)(`${url}/v1/sync`, post('{}'))],
  ])(
    'is refused by a client trusting %s, with a message that says to give --ca-file',
    async (_label, call) => {
      const error = serverTlsError(await rejection(call()), url);
      expect(error).toBeInstanceOf(RoamingError);
      expect(error?.message).toMatch(
        new RegExp(`^the certificate of ${url} is not trusted \\(\\w+\\): log in again with --ca-file`),
      );
    },
  );

  it('checks that the certificate names the host it dialled', async () => {
    const error = serverTlsError(
      await rejection(fetchTrusting(caPem)(`${misnamed.url}/x`, post(''))),
      misnamed.url,
    );
    expect(error?.message).toMatch(/does not name that host \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
  });

  it('rejects with the signal’s reason when it times out, as fetch does', async () => {
    const error = await rejection(fetchTrusting(caPem)(`${url}/hang`, post('', AbortSignal.timeout(100))));
    expect((error as Error).name).toBe('TimeoutError');
    expect(serverTlsError(error, url)).toBeNull();
  });

  it('gives up on an untrusted server at once instead of retrying', async () => {
    let attempts = 0;
    const api = new AgentApiClient({
      server: url,
      fetch: (target, init) => {
        attempts += 1;
        return fetch(target, init);
      },
      sleep: async () => undefined,
    });
    const request = { trigger: 'pulse', machine: 'ws-a' } as SyncRequest;
    const error = (await rejection(api.sync('token', request))) as RoamingError;
    expect([error.code, attempts]).toEqual(['SERVICE_UNAVAILABLE', 1]);
    expect(error.message).toMatch(/not trusted/);
  });
});

describe('plainServerRefusal', () => {
  it.each([
    ['https://logon.example.com', false],
    ['amqps://hook:pw@mq.example.com/credroam', false],
    ['http://127.0.0.1:8440', false],
    ['amqp://guest:guest@localhost:5672', false],
    ['http://[::1]:8440', false],
    ['http://10.1.2.3:8440', true],
    ['amqp://guest:guest@mq:5672', true],
  ])('%s refused: %s', (server, refused) => {
    expect(plainServerRefusal(new URL(server), false) !== null).toBe(refused);
    expect(plainServerRefusal(new URL(server), true)).toBeNull();
  });
});
