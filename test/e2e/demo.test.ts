// `npm run demo` as a new user runs it, against the real stack it starts (throwaway slapd, RabbitMQ, the four built
// services as processes): on free ports, in a broker namespace and data directory of its own, so that it runs
// beside the other suites and a developer's `npm start`. Every step of the story must succeed, audit must hold the
// story's events, and Ctrl-C must stop what the demo started. Needs "npm run build" (the demo runs with --no-build).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor } from '../helpers/wait-for';
import { BrokerProbe, testNamespace } from '../support/messaging-fixtures';

const ROOT = resolve(__dirname, '..', '..');
const DEMO = join(ROOT, 'scripts', 'demo.mjs');
const STEPS = ['logon', 'import', 'roam', 'conflict', 'delete', 'planted', 'audit'];
const OPERATOR_TOKEN = 'dev-operator-token';

interface StoredEvent {
  type: string;
  code: number;
  machine: string | null;
  payload: Record<string, unknown>;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
}

describe('npm run demo', () => {
  const namespace = testNamespace();
  let dataDir: string;
  let probe: BrokerProbe;
  let demo: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'credroam-demo-e2e-'));
    probe = await BrokerProbe.open(namespace);
    probe.trackConsumerQueue(probe.names.queue('audit'));
    probe.trackConsumerQueue(probe.names.ingressQueue);
  });

  afterAll(async () => {
    // A failed test may leave the demo running: Ctrl-C stops the stack it started.
    if (demo && demo.exitCode === null) {
      demo.kill('SIGINT');
      const timer = setTimeout(() => demo?.kill('SIGKILL'), 20_000);
      await exited(demo);
      clearTimeout(timer);
    }
    await probe?.cleanUp();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('answers --help, refuses a wrong command line with exit code 2, and says why a stack did not come up', () => {
    const help = spawnSync(process.execPath, [DEMO, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--pace-ms N');
    const wrong = spawnSync(process.execPath, [DEMO, '--pace-ms', 'soon'], { encoding: 'utf8' });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/--pace-ms must be a whole number/);
    const noData = join(dataDir, 'not-a-directory');
    writeFileSync(noData, '');
    const args = ['--fast', '--free-ports', '--no-build', '--data-dir', join(noData, 'data')];
    const failed = spawnSync(process.execPath, [DEMO, ...args], { encoding: 'utf8' });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/^\[demo\] the stack did not come up: .*not-a-directory/m);
    expect(failed.stdout).not.toContain('step 1/');
  });

  it('acts out every step against the stack it starts, audit records the story, and Ctrl-C stops the stack', async () => {
    const started = Date.now();
    const args = ['--fast', '--free-ports', '--no-build', '--namespace', namespace, '--data-dir', dataDir];
    const child = spawn(process.execPath, [DEMO, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    demo = child;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));

    await waitFor(() => output.includes('keeps running for the dashboard') || child.exitCode !== null, {
      description: 'the demo to finish its story',
      timeoutMs: 240_000,
      intervalMs: 200,
    });
    expect({ exit: child.exitCode, failed: /FAILED/.test(output) }).toEqual({ exit: null, failed: false });
    // The dashboard comes first, before the story.
    const dashboard = /Open the audit dashboard now: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
    expect(dashboard).not.toBeNull();
    expect(output.indexOf(dashboard![0])).toBeLessThan(output.indexOf('step 1/'));
    for (const [index, step] of STEPS.entries()) {
      expect(output).toMatch(new RegExp(`==> step ${index + 1}/${STEPS.length} ${step}: done`));
    }
    expect(output).toContain('byte-identical');
    expect(output).toMatch(/unsafe-identifier +uid=alice,/);
    console.log(
      `npm run demo: the story took ${((Date.now() - started) / 1000).toFixed(1)} s with the stack`,
    );

    // Audit's query API, as the dashboard reads it: the story's events for alice.
    const query = new URLSearchParams({
      user: 'alice',
      type: 'sync.completed,token.conflict,token.rejected,token.tombstoned,token.downloaded',
      limit: '500',
    });
    const response = await fetch(`${dashboard![1]}/v1/events?${query}`, {
      headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    expect(response.status).toBe(200);
    const { events } = (await response.json()) as { events: StoredEvent[] };
    const of = (type: string) => events.filter((event) => event.type === type);
    expect(new Set(of('sync.completed').map((event) => event.machine))).toEqual(new Set(['ws-a', 'ws-b']));
    expect(of('token.conflict')).toEqual([
      expect.objectContaining({ code: 501, payload: expect.objectContaining({ type: 'stored-credential' }) }),
    ]);
    expect(of('token.rejected')).toEqual([
      expect.objectContaining({
        machine: 'ws-b',
        payload: expect.objectContaining({ code: 'UNSAFE_IDENTIFIER' }),
      }),
    ]);
    expect(
      of('token.tombstoned')
        .map((event) => event.payload.type)
        .sort(),
    ).toEqual(['certificate', 'private-key']);
    expect(of('token.downloaded').length).toBeGreaterThanOrEqual(3);

    child.kill('SIGINT');
    expect(await exited(child)).toBe(0);
    expect(output).toContain('stopping the stack the demo started');
    // The temporary stores are gone, and so is the stack.
    expect(output).toMatch(/temporary stores are removed/);
    const audit = await fetch(`${dashboard![1]}/health/live`).then(
      () => 'answering',
      () => 'stopped',
    );
    expect(audit).toBe('stopped');
  }, 300_000);
});
