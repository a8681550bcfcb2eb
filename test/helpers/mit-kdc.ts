// A throwaway MIT Kerberos KDC of a realm of its own (krb5-kdc, krb5-admin-server), for what Samba's one realm
// cannot show: tickets of another realm. Its database, stash, keytabs and log live in `dir`; it listens on a free
// TCP (and UDP) port of 127.0.0.1 and is stopped with stop(). Starting one takes well under a second.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './wait-for';

export interface MitKdc {
  realm: string;
  /** `127.0.0.1:PORT`, for a krb5.conf's `kdc =`. */
  kdc: string;
  /** Exports the keys of `principal` (e.g. HTTP/127.0.0.1) into `keytab`, appending to what it holds. */
  exportKeytab(principal: string, keytab: string): Promise<void>;
  stop(): Promise<void>;
}

const run = (command: string, args: string[], env: NodeJS.ProcessEnv) =>
  new Promise<void>((resolve, reject) =>
    execFile(command, args, { env }, (error, _stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')}: ${stderr}`)) : resolve(),
    ),
  );

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A realm with `users` (login and password) and `services` (principals with random keys). */
export async function startMitKdc(
  dir: string,
  realm: string,
  users: readonly { login: string; password: string }[],
  services: readonly string[],
): Promise<MitKdc> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const kdc = `127.0.0.1:${port}`;
  writeFileSync(
    join(dir, 'kdc.conf'),
    [
      '[realms]',
      `  ${realm} = {`,
      `    database_name = ${join(dir, 'principal')}`,
      `    key_stash_file = ${join(dir, 'stash')}`,
      `    kdc_listen = ${kdc}`,
      `    kdc_tcp_listen = ${kdc}`,
      '  }',
      '[logging]',
      `  kdc = FILE:${join(dir, 'kdc.log')}`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'krb5.conf'),
    `[libdefaults]\n  default_realm = ${realm}\n[realms]\n  ${realm} = {\n    kdc = ${kdc}\n  }\n`,
  );
  const env = {
    ...process.env,
    KRB5_KDC_PROFILE: join(dir, 'kdc.conf'),
    KRB5_CONFIG: join(dir, 'krb5.conf'),
  };
  await run('kdb5_util', ['create', '-r', realm, '-s', '-P', `master-${port}`], env);
  const kadmin = (query: string) => run('kadmin.local', ['-r', realm, '-q', query], env);
  for (const { login, password } of users) await kadmin(`addprinc -pw ${password} ${login}`);
  for (const service of services) await kadmin(`addprinc -randkey ${service}`);
  const child: ChildProcess = spawn('krb5kdc', ['-n', '-r', realm], { env, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      }),
    { description: `the ${realm} KDC on ${kdc}`, timeoutMs: 10_000, intervalMs: 50 },
  );
  return {
    realm,
    kdc,
    exportKeytab: (principal, keytab) => kadmin(`ktadd -k ${keytab} ${principal}`),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
