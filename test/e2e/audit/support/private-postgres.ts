// A throwaway PostgreSQL cluster for fault tests: the shared server on this machine must never be stopped.
// initdb into a temp directory (as the postgres user when running as root: PostgreSQL refuses to run as root),
// start and stop with pg_ctl on a free port, remove everything afterwards. pg_ctl runs asynchronously: a suite
// whose workstations run in the test process must not have them frozen while PostgreSQL starts or stops.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = process.env.CREDROAM_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function postgresUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export interface PrivatePostgres {
  port: number;
  user: string;
  start(): Promise<void>;
  /** `fast` disconnects clients and shuts down cleanly; `immediate` is a crash (recovery from WAL at start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  remove(): Promise<void>;
}

export async function createPrivatePostgres(): Promise<PrivatePostgres> {
  if (!existsSync(join(BIN, 'initdb')))
    throw new Error(`PostgreSQL binaries not found in ${BIN} (set CREDROAM_PG_BIN)`);
  const owner = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'credroam-pg-'));
  const data = join(dir, 'data');
  chmodSync(dir, 0o755);
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const run = async (binary: string, args: string[]) => {
    await promisify(execFile)(
      owner ? 'runuser' : join(BIN, binary),
      owner ? ['-u', 'postgres', '--', join(BIN, binary), ...args] : args,
      { cwd: dir },
    );
  };
  const user = 'postgres';
  await run('initdb', ['-D', data, '-A', 'trust', '-U', user, '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  let running = false;
  const handle: PrivatePostgres = {
    port,
    user,
    async start() {
      await run('pg_ctl', [
        '-D',
        data,
        '-o',
        options,
        '-l',
        join(dir, 'postgres.log'),
        '-w',
        '-t',
        '30',
        'start',
      ]);
      running = true;
    },
    async stop(mode = 'fast') {
      await run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop']);
      running = false;
    },
    async remove() {
      if (running) await handle.stop().catch(() => undefined); // Already gone.
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
