// The local stack of `npm start` as a new user meets a crash: `kill -9` of a service. Its supervisor starts it
// again with backoff, says so in the log and as a `service.restarted` event, and syncs resume by themselves. The
// stack runs on free ports, in a broker namespace and data directory of its own, beside the other suites.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceUrl, startLocalStack, type LocalStack } from '../../scripts/lib/local-stack.cjs';
import { waitFor } from '../helpers/wait-for';
import { expectOk, Workstations } from '../support/agent-cli';
import { BrokerProbe, testNamespace } from '../support/messaging-fixtures';

interface StoredEvent {
  type: string;
  payload: Record<string, unknown>;
}

describe('the local stack supervises its services', () => {
  const namespace = testNamespace();
  const lines: string[] = [];
  let dir: string;
  let probe: BrokerProbe;
  let stack: LocalStack;
  const { run, login } = new Workstations(
    () => dir,
    () => serviceUrl(stack, 'logon-events'),
  );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'credroam-supervision-'));
    probe = await BrokerProbe.open(namespace);
    probe.trackConsumerQueue(probe.names.queue('audit'));
    stack = await startLocalStack({
      dataDir: join(dir, 'data'),
      ldapPort: 0,
      namespace,
      brokerAccounts: false,
      log: (line) => lines.push(line),
      serviceEnv: {
        'directory-gateway': { CREDROAM_GATEWAY_HEALTH_PORT: '0' },
        'token-crypto': { CREDROAM_CRYPTO_HEALTH_PORT: '0' },
        'logon-events': { CREDROAM_LOGON_PORT: '0' },
        audit: { CREDROAM_AUDIT_PORT: '0' },
      },
    });
    await login('ws-a');
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await probe?.cleanUp();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('restarts a killed directory-gateway, reports it, and the next sync succeeds without a restart of anything else', async () => {
    const gateway = stack.services.find((service) => service.name === 'directory-gateway')!;
    process.kill(gateway.pid, 'SIGKILL');
    await waitFor(() => lines.some((line) => /^directory-gateway restarted \(pid \d+/.test(line)), {
      description: 'the restart line',
      timeoutMs: 60_000,
    });
    expect(lines).toContainEqual('directory-gateway exited (signal SIGKILL); restarting in 1.0 s');
    expectOk(await run('ws-a', ['sync', '--trigger', 'logon']));

    const audit = serviceUrl(stack, 'audit');
    const restarts = await waitFor(
      async () => {
        const response = await fetch(`${audit}/v1/events?type=service.restarted`, {
          headers: { authorization: 'Bearer dev-operator-token' },
        });
        const { events } = (await response.json()) as { events: StoredEvent[] };
        return events.length > 0 && events;
      },
      { description: 'service.restarted in audit', timeoutMs: 30_000 },
    );
    expect(restarts).toEqual([
      expect.objectContaining({
        payload: expect.objectContaining({
          service: 'directory-gateway',
          exitCode: null,
          signal: 'SIGKILL',
          restarts: 1,
        }),
      }),
    ]);
  }, 120_000);
});
