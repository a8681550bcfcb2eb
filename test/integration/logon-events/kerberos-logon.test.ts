// Kerberos single sign-on against a real KDC: a throwaway Samba AD DC (its KDC reached through the forwarded port),
// the HTTP service principal and its keytab made with samba-tool, directory-gateway in the AD dialect, token-crypto
// and logon-events verifying SPNEGO with the keytab, and the real agent (`login --kerberos`) with a private ticket
// cache filled by kinit. Every request the agent sends passes through a recording proxy: no password crosses it.
import { execFile } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AGENT_API_PATHS, type RoamingEvent } from '@credroam/roaming';
import { startMitKdc } from '../../helpers/mit-kdc';
import { useSambaAd } from '../../helpers/samba-ad';
import { waitFor } from '../../helpers/wait-for';
import { agent, expectOk } from '../../support/agent-cli';
import { deviceKey } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';
import { startRoamingServices, type RoamingServices } from '../../support/logon-stack';

interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Forwards every request to `target` and keeps what the agent sent. */
async function recordingProxy(target: string): Promise<{ url: string; seen: Recorded[]; server: Server }> {
  const seen: Recorded[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body });
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(
          (entry): entry is [string, string] =>
            typeof entry[1] === 'string' && !['host', 'content-length', 'connection'].includes(entry[0]),
        ),
      );
      fetch(`${target}${request.url ?? '/'}`, {
        method: request.method ?? 'GET',
        headers,
        body: body === '' ? undefined : body,
      })
        .then(async (answer) => {
          const text = await answer.text();
          const out: Record<string, string> = { 'content-type': 'application/json' };
          const negotiate = answer.headers.get('www-authenticate');
          if (negotiate) out['www-authenticate'] = negotiate;
          response.writeHead(answer.status, out).end(text);
        })
        .catch(() => response.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

describe('Kerberos logon against a Samba AD KDC', () => {
  const samba = useSambaAd();
  const namespace = testNamespace();
  let services: RoamingServices;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let probe: BrokerProbe;
  let events: string;
  let work: string;
  let krb5Config: string;
  /** logon-events' own copy of krb5.conf, so that its clock tolerance can differ from the workstations'. */
  let acceptorConfig: string;
  let keytab: string;

  /** kinit into a ticket cache of the test's own (KRB5CCNAME), the password given to kinit alone. */
  const kinit = (
    login: string,
    cache: string,
    extra: string[] = [],
    { realm = samba().realm, password = samba().user(login).password, config = krb5Config } = {},
  ) =>
    new Promise<void>((resolve, reject) => {
      const child = execFile(
        'kinit',
        [...extra, `${login}@${realm}`],
        { env: { ...process.env, KRB5_CONFIG: config, KRB5CCNAME: `FILE:${cache}` } },
        (error, _stdout, stderr) => (error ? reject(new Error(`kinit ${login}: ${stderr}`)) : resolve()),
      );
      child.stdin?.end(`${password}\n`);
    });
  const ticketValid = (cache: string) =>
    new Promise<boolean>((resolve) =>
      execFile(
        'klist',
        ['-s', '-c', `FILE:${cache}`],
        { env: { ...process.env, KRB5_CONFIG: krb5Config } },
        (error) => resolve(!error),
      ),
    );
  /** A SPNEGO token for logon-events made from `cache` by the `kerberos` package, as the agent makes one. */
  const spnegoToken = (cache: string) =>
    new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [
          '-e',
          "const k = require('kerberos'); k.initializeClient('HTTP@127.0.0.1', { mechOID: k.GSS_MECH_OID_SPNEGO })" +
            '.then((client) => client.step(""))' +
            '.then((token) => process.stdout.write(token), (error) => { console.error(error.message); process.exit(1); });',
        ],
        { env: { ...process.env, KRB5_CONFIG: krb5Config, KRB5CCNAME: `FILE:${cache}` } },
        (error, stdout, stderr) => (error ? reject(new Error(`SPNEGO token: ${stderr}`)) : resolve(stdout)),
      ),
    );
  /** The agent as a logon script runs it: no password on its standard input, only the ticket cache. */
  const kerberosLogin = (store: string, cache: string, config = krb5Config) =>
    agent(['--store', store, 'login', '--server', proxy.url, '--kerberos', '--machine', 'ws-krb'], {
      env: { KRB5_CONFIG: config, KRB5CCNAME: `FILE:${cache}` },
    });
  const sessionRequests = () =>
    proxy.seen.filter((request) => request.path === AGENT_API_PATHS.kerberosSessions);
  const eventsOfType = async (type: string, count: number): Promise<RoamingEvent[]> => {
    const messages = await probe.take(events, count, 8_000);
    return messages
      .map((message) => JSON.parse(message.content.toString('utf8')) as RoamingEvent)
      .filter((event) => event.type === type);
  };

  beforeAll(async () => {
    const startedAt = Date.now();
    work = mkdtempSync(join(samba().dir, 'kerberos-'));
    krb5Config = samba().writeKrb5Conf(join(work, 'krb5.conf'));
    acceptorConfig = join(work, 'krb5-acceptor.conf');
    copyFileSync(krb5Config, acceptorConfig);
    keytab = join(work, 'http.keytab');
    const principal = samba().addServicePrincipal('HTTP/127.0.0.1', keytab);
    probe = await BrokerProbe.open(namespace);
    events = await probe.observe('kerberos-logon-test', ['session.opened', 'logon.kerberos-refused']);
    services = await startRoamingServices(
      samba(),
      namespace,
      {},
      {
        logonEnv: {
          CREDROAM_KERBEROS_KEYTAB: keytab,
          CREDROAM_KERBEROS_SERVICE_PRINCIPAL: principal,
          KRB5_CONFIG: acceptorConfig,
        },
      },
    );
    proxy = await recordingProxy(services.stack.url);
    process.stderr.write(`[kerberos-logon] stack ready in ${Date.now() - startedAt} ms\n`);
  }, 120_000);

  afterAll(async () => {
    proxy?.server.close();
    for (const service of services?.stack.processes ?? []) await service.stop();
    await services?.gateway.stop();
    await probe?.cleanUp();
  }, 30_000);

  it('logs alice on with her ticket: no password crosses the wire, the device key is registered, sync works', async () => {
    const cache = join(work, 'alice.cc');
    await kinit('alice', cache);
    const store = join(work, 'alice-store');
    const login = await kerberosLogin(store, cache);
    expectOk(login);
    expect(login.stdout).toMatch(
      /^logged in as alice with Kerberos on http:\/\/127\.0\.0\.1:\d+\/ \(machine ws-krb\)/,
    );

    const [request] = sessionRequests();
    expect(request?.method).toBe('POST');
    expect(request?.headers.authorization).toMatch(/^Negotiate [A-Za-z0-9+/]+=*$/);
    // The device key is registered in the same exchange; nothing else is in the body.
    expect(Object.keys(JSON.parse(request!.body) as object).sort()).toEqual([
      'agentVersion',
      'devicePublicKey',
      'machine',
    ]);
    const [opened] = await eventsOfType('session.opened', 1);
    expect(opened).toMatchObject({ user: 'alice', machine: 'ws-krb', payload: { method: 'kerberos' } });

    // The session works for a session-requiring call: the logon sync.
    expectOk(await agent(['--store', store, 'sync', '--trigger', 'logon']));
    const password = samba().user('alice').password;
    for (const seen of proxy.seen) expect(JSON.stringify(seen)).not.toContain(password);
  }, 30_000);

  it('refuses the same SPNEGO token a second time (the replay cache), with a Negotiate challenge', async () => {
    const [request] = sessionRequests();
    const replay = await fetch(`${services.stack.url}${AGENT_API_PATHS.kerberosSessions}`, {
      method: 'POST',
      headers: { authorization: String(request!.headers.authorization), 'content-type': 'application/json' },
      body: JSON.stringify({
        machine: 'ws-evil',
        devicePublicKey: deviceKey().publicKey,
        agentVersion: '0.1.0',
      }),
    });
    expect(replay.status).toBe(401);
    expect(replay.headers.get('www-authenticate')).toBe('Negotiate');
    const problem = (await replay.json()) as { error: { code: string; message: string } };
    expect(problem.error.code).toBe('KERBEROS_REFUSED');
    expect(problem.error.message).toMatch(/replay/i);
    const [refused] = await eventsOfType('logon.kerberos-refused', 1);
    expect(refused).toMatchObject({
      user: null,
      machine: 'ws-evil',
      payload: { reason: 'ticket-refused', principal: null, transport: 'http' },
    });
  }, 30_000);

  it('refuses to log on with an expired ticket or none, before anything is sent', async () => {
    const sentBefore = proxy.seen.length;
    const cache = join(work, 'bob.cc');
    await kinit('bob', cache, ['-l', '1s']);
    await waitFor(async () => !(await ticketValid(cache)), {
      description: "bob's 1-second ticket to expire",
      timeoutMs: 10_000,
      intervalMs: 200,
    });
    const expired = await kerberosLogin(join(work, 'bob-store'), cache);
    expect(expired.code).toBe(3);
    expect(expired.stderr).toMatch(/Kerberos ticket .* has expired: run kinit/);

    const none = await kerberosLogin(join(work, 'carol-store'), join(work, 'no-such.cc'));
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/no Kerberos ticket in FILE:.*no-such\.cc: run kinit/);
    expect(proxy.seen.length).toBe(sentBefore);
  }, 30_000);

  it('refuses a ticket of another realm, even for a login that exists here and a key the keytab holds', async () => {
    // OTHER.TEST: a KDC of its own with an alice of its own, and its HTTP/127.0.0.1 key in logon-events' keytab
    // too (the keytab's content is read at each logon): GSSAPI accepts the ticket, the realm check refuses it.
    const other = await startMitKdc(
      join(work, 'other-realm'),
      'OTHER.TEST',
      [{ login: 'alice', password: 'other-alice-pass' }],
      ['HTTP/127.0.0.1'],
    );
    try {
      await other.exportKeytab('HTTP/127.0.0.1', keytab);
      const bothRealms = join(work, 'krb5-both.conf');
      copyFileSync(krb5Config, bothRealms);
      appendFileSync(bothRealms, `  OTHER.TEST = {\n    kdc = ${other.kdc}\n  }\n`);
      const cache = join(work, 'other-alice.cc');
      await kinit('alice', cache, [], {
        realm: 'OTHER.TEST',
        password: 'other-alice-pass',
        config: bothRealms,
      });
      const refused = await kerberosLogin(join(work, 'other-alice-store'), cache, bothRealms);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(
        /alice@OTHER\.TEST is not of realm CREDROAM\.TEST.*\[KERBEROS_FOREIGN_REALM\]/,
      );
      const [event] = await eventsOfType('logon.kerberos-refused', 1);
      expect(event).toMatchObject({
        user: null,
        machine: 'ws-krb',
        payload: { reason: 'foreign-realm', principal: 'alice@OTHER.TEST', transport: 'http' },
      });
    } finally {
      await other.stop();
    }
  }, 30_000);
  it('refuses at the service a SPNEGO token whose ticket has expired since it was made', async () => {
    // A workstation cannot make a token from an expired ticket (above), so this one is made while carol's 2-second
    // ticket is valid and presented after it ended. MIT's acceptor allows its clock tolerance (`clockskew`, 300 s by
    // default) past a ticket's end; logon-events' krb5.conf sets 1 s here, re-read by libkrb5 at the next context.
    const tolerant = readFileSync(acceptorConfig, 'utf8');
    writeFileSync(acceptorConfig, tolerant.replace('[libdefaults]\n', '[libdefaults]\n  clockskew = 1\n'));
    const cache = join(work, 'carol.cc');
    // Samba's KDC answers a TGS request made with so short a TGT "Ticket expired", so the service ticket comes
    // straight from the AS exchange (kinit -S).
    await kinit('carol', cache, ['-l', '6s', '-S', 'HTTP/127.0.0.1']);
    const token = await spnegoToken(cache);
    await waitFor(async () => !(await ticketValid(cache)), {
      description: "carol's 6-second ticket to expire",
      timeoutMs: 10_000,
      intervalMs: 200,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const late = await fetch(`${services.stack.url}${AGENT_API_PATHS.kerberosSessions}`, {
      method: 'POST',
      headers: { authorization: `Negotiate ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        machine: 'ws-late',
        devicePublicKey: deviceKey().publicKey,
        agentVersion: '0.1.0',
      }),
    });
    expect(late.status).toBe(401);
    const problem = (await late.json()) as { error: { code: string; message: string } };
    expect(problem.error.code).toBe('KERBEROS_REFUSED');
    // libkrb5 checks the authenticator's age and the ticket's end against the same tolerance, in an order of its
    // own: a token this stale fails both, and either refusal is the service refusing it.
    expect(problem.error.message).toMatch(/ticket expired|clock skew too great/i);
    const [refused] = await eventsOfType('logon.kerberos-refused', 1);
    expect(refused).toMatchObject({ user: null, machine: 'ws-late', payload: { reason: 'ticket-refused' } });
  }, 30_000);
});
