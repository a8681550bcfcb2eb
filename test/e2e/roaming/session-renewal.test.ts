// Sessions that outlive the password, and events from the workstation (issue 14), on a real stack: slapd with the
// password policy overlay, RabbitMQ, directory-gateway, token-crypto, logon-events and audit as processes, and the
// agent as a process. One clock (libfaketime) lets the 30-second sessions lapse without waiting. After the first
// session's lifetime, syncs over HTTP and over the AMQP ingress keep working without the password; a workstation's
// unusable state file reaches the audit as 1006; once the account is disabled in slapd, the next sync is refused
// with exit 3 and a clear message, and the audit holds the refusal.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventEnvelope } from '@credroam/roaming';
import { OPERATOR_TOKEN } from '../../integration/audit/support/audit-app';
import { type ServiceProcess } from '../../helpers/service-process';
import { useSlapd } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { agent, expectOk, type AgentRun } from '../../support/agent-cli';
import { startRoamingServices, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';
import { SharedClock } from '../../support/shared-clock';
import { tearDown } from '../../support/teardown';
import { ensureAuditBuilt, startAuditProcess, type AuditProcess } from '../audit/support/audit-process';
import { freePort } from '../audit/support/private-postgres';

const USER = 'renewer';
const PASSWORD = 'renewer-pass';
const LIFETIME_SECONDS = 30;
/** Past a session's lifetime (and the agent's renew-ahead margin): the next sync must renew. */
const LIFETIME_PASSES_MS = 2 * LIFETIME_SECONDS * 1000 + 60_000;

describe('sessions renewed by the device key, refused once the account is disabled', () => {
  const slapd = useSlapd({ ppolicy: true, users: [{ uid: USER, password: PASSWORD }] });
  const namespace = testNamespace();
  let probe: BrokerProbe;
  let clock: SharedClock;
  let dir: string;
  let gateway: ServiceProcess;
  let stack: LogonStack;
  let audit: AuditProcess;

  const run = (workstation: string, args: string[], stdin?: string): Promise<AgentRun> =>
    agent(['--store', join(dir, workstation), ...args], {
      env: clock.workstationEnv(0),
      ...(stdin === undefined ? {} : { stdin }),
    });
  const login = async (workstation: string, server: string) =>
    expectOk(
      await run(
        workstation,
        ['login', '--server', server, '--user', USER, '--password-stdin', '--machine', workstation],
        `${PASSWORD}\n`,
      ),
    );
  const session = (workstation: string) =>
    JSON.parse(readFileSync(join(dir, workstation, 'session.json'), 'utf8')) as {
      sessionToken: string;
      expiresAt: string;
    };
  const auditEvents = async (type: string): Promise<EventEnvelope[]> => {
    const response = await fetch(`${audit.url}/v1/events?type=${type}&user=${USER}`, {
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    return ((await response.json()) as { events: EventEnvelope[] }).events;
  };
  const awaitAudit = (type: string, match: (event: EventEnvelope) => boolean) =>
    waitFor(async () => (await auditEvents(type)).find(match), {
      description: `a ${type} event in the audit`,
      timeoutMs: 10_000,
    });

  beforeAll(async () => {
    ensureAuditBuilt();
    probe = await BrokerProbe.open(namespace);
    probe.track({ queues: [`${namespace}.logon-events.ingress`] });
    probe.trackConsumerQueue(probe.names.queue('audit'));
    dir = mkdtempSync(join(tmpdir(), 'credroam-e2e-renewal-'));
    clock = SharedClock.create(dir);
    audit = await startAuditProcess('renewal-audit', await freePort(), {
      CREDROAM_AMQP_NAMESPACE: namespace,
      CREDROAM_AUDIT_DB: `sqlite:${join(dir, 'audit.sqlite')}`,
    });
    ({ gateway, stack } = await startRoamingServices(
      slapd(),
      namespace,
      {},
      {
        logonEnv: { CREDROAM_SESSION_LIFETIME_SECONDS: String(LIFETIME_SECONDS) },
        everyProcess: clock.serviceEnv(),
      },
    ));
  }, 120_000);

  afterAll(async () => {
    await tearDown({ services: [...(stack?.processes ?? []), gateway, audit], probe, dir });
  }, 30_000);

  it('keeps syncing without the password after the first session, then refuses a disabled account', async () => {
    await login('ws-http', stack.url);
    await login('ws-amqp', stack.ingressUrl);
    for (const workstation of ['ws-http', 'ws-amqp']) expectOk(await run(workstation, ['sync']));
    const first = { http: session('ws-http'), amqp: session('ws-amqp') };

    await clock.advance(LIFETIME_PASSES_MS);
    // No password on stdin, none in the store: the device key renews the lapsed sessions.
    for (const workstation of ['ws-http', 'ws-amqp']) expectOk(await run(workstation, ['sync']));
    for (const [workstation, before] of [
      ['ws-http', first.http],
      ['ws-amqp', first.amqp],
    ] as const) {
      const renewed = session(workstation);
      expect(renewed.sessionToken).not.toBe(before.sessionToken);
      expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(clock.now());
      for (const file of readdirSync(join(dir, workstation), { recursive: true, encoding: 'utf8' })) {
        if (file.endsWith('.json'))
          expect(readFileSync(join(dir, workstation, file), 'utf8')).not.toContain(PASSWORD);
      }
    }
    await awaitAudit('session.renewed', (event) => event.machine === 'ws-amqp');

    // A state file the workstation cannot use is self-healed there and reported to the audit, over either transport.
    for (const workstation of ['ws-http', 'ws-amqp']) {
      writeFileSync(join(dir, workstation, 'state.json'), '{"format":1,"base":');
      const healed = await run(workstation, ['sync']);
      expect(healed).toMatchObject({ code: 0, stderr: expect.stringMatching(/self-healing/) });
      const reported = await awaitAudit(
        'workstation.failure-reported',
        (event) => event.machine === workstation && event.code === 1006,
      );
      expect(reported.payload).toEqual({
        code: 1006,
        problem: 'state file is not valid JSON',
        trigger: 'pulse',
      });
    }

    disable(USER);
    await clock.advance(LIFETIME_PASSES_MS);
    for (const workstation of ['ws-http', 'ws-amqp']) {
      const refused = await run(workstation, ['sync']);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(/not renewed: the account is disabled.*credroam-agent login/);
    }
    const refusal = await awaitAudit('session.renewal-refused', (event) => event.machine === 'ws-http');
    expect(refusal).toMatchObject({ code: 1009, payload: { reason: 'disabled', transport: 'http' } });
  }, 90_000);

  /** What an administrator does with ppolicy: a permanent lock, which the gateway maps to "disabled". */
  function disable(uid: string): void {
    const ldif = `dn: ${slapd().user(uid).dn}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n`;
    execFileSync(
      'ldapmodify',
      ['-x', '-H', slapd().url, '-D', slapd().adminDn, '-w', slapd().adminPassword],
      {
        input: ldif,
      },
    );
  }
});
