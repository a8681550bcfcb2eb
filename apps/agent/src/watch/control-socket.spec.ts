import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenControl, sendControl, type AttemptReport } from './control-socket';

describe('control socket', () => {
  let dir: string;
  let servers: Server[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'credroam-control-'));
    servers = [];
  });
  afterEach(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  const report: AttemptReport = {
    result: 'synced',
    exitCode: 0,
    message: 'synced: 1 sent, 0 downloaded, 0 deleted',
  };
  const listen = async (handlers = { pulse: async () => report, stop: async () => undefined }) => {
    const server = await listenControl(join(dir, 'watch.sock'), handlers);
    servers.push(server);
    return server;
  };

  it('answers a pulse with the report of the sync it ran', async () => {
    await listen();
    expect(await sendControl(join(dir, 'watch.sock'), { op: 'pulse' }, 5_000)).toEqual({
      op: 'pulse',
      attempt: report,
    });
  });

  it('answers a stop once the daemon has stopped', async () => {
    let stopped = false;
    await listen({ pulse: async () => report, stop: async () => void (stopped = true) });
    expect(await sendControl(join(dir, 'watch.sock'), { op: 'stop' }, 5_000)).toEqual({ op: 'stop' });
    expect(stopped).toBe(true);
  });

  it('is null without a daemon, also when a crash left the socket file', async () => {
    expect(await sendControl(join(dir, 'watch.sock'), { op: 'pulse' }, 5_000)).toBeNull();
    writeFileSync(join(dir, 'watch.sock'), '');
    expect(await sendControl(join(dir, 'watch.sock'), { op: 'pulse' }, 5_000)).toBeNull();
    await listen();
    expect(await sendControl(join(dir, 'watch.sock'), { op: 'pulse' }, 5_000)).not.toBeNull();
  });

  it('refuses a second daemon for the same store', async () => {
    await listen();
    await expect(listen()).rejects.toThrow('a watch daemon already runs for this store');
  });

  it('hangs up on a request that is not one', async () => {
    let pulses = 0;
    await listen({ pulse: async () => ((pulses += 1), report), stop: async () => undefined });
    const closed = new Promise<string>((resolve) => {
      const socket = createConnection(join(dir, 'watch.sock'), () => socket.write('{"op":"rm -rf"}\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
    });
    expect(await closed).toBe('');
    expect(pulses).toBe(0);
  });
});
