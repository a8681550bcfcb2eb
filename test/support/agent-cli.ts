// Runs bin/credroam-agent as a real process, as a logon script would (needs "npm run build").
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
export const AGENT = join(ROOT, 'bin', 'credroam-agent');

export interface AgentRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function agent(
  args: string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<AgentRun> {
  return new Promise((resolveRun) => {
    const child = execFile(
      AGENT,
      args,
      {
        env: { ...process.env, CREDROAM_AGENT_RETRY_BASE_MS: '10', CREDROAM_STORE: '', ...options.env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolveRun({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
    child.stdin?.end(options.stdin ?? '');
  });
}

/** Shows stderr in the failure message, not just the exit code. */
export function expectOk(run: AgentRun): void {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
}

/** A token's content as the agent stored it (files are named by a hash of type and id, never by the id). */
export function tokenContent(store: string, type: string, id: string): Buffer {
  const name = `${createHash('sha256').update(`${type}\0${id}`).digest('hex')}.token`;
  const file = JSON.parse(readFileSync(join(store, 'tokens', type, name), 'utf8')) as { content: string };
  return Buffer.from(file.content, 'base64');
}

/** A stored credential's token content, as the agent's `credential set` makes it (apps/agent README). */
export function credentialContent(secret: string, userName: string): Buffer {
  return Buffer.from(JSON.stringify({ format: 1, userName, secret: Buffer.from(secret).toString('base64') }));
}

export interface ListedToken {
  type: string;
  id: string;
  modifiedAt: number;
  hash: string;
  size: number;
}

export interface SyncSummary {
  status: string;
  /** The W3C trace id of the sync, shared by the services' spans of it. */
  traceId: string;
  rejections: { code: string; displayId: string }[];
  reported: number;
}

/**
 * Simulated workstations of one test: each is an agent store under `dir()`, logged on to `server()`. The
 * members are arrow functions so a suite can destructure them.
 */
export class Workstations {
  constructor(
    private readonly dir: () => string,
    private readonly server: () => string,
  ) {}

  readonly store = (workstation: string): string => join(this.dir(), workstation);

  readonly run = (workstation: string, args: string[], stdin?: string): Promise<AgentRun> =>
    agent(['--store', this.store(workstation), ...args], stdin === undefined ? {} : { stdin });

  readonly login = async (workstation: string, user = 'alice', server = this.server()): Promise<void> => {
    expectOk(
      await this.run(
        workstation,
        ['login', '--server', server, '--user', user, '--password-stdin', '--machine', workstation],
        `${user}-pass\n`,
      ),
    );
  };

  readonly sync = async (workstation: string): Promise<SyncSummary> => {
    const result = await this.run(workstation, ['sync', '--json']);
    expectOk(result);
    return JSON.parse(result.stdout) as SyncSummary;
  };

  readonly list = async (workstation: string): Promise<ListedToken[]> => {
    const result = await this.run(workstation, ['list', '--json']);
    expectOk(result);
    return (JSON.parse(result.stdout) as ListedToken[]).sort((a, b) => a.id.localeCompare(b.id));
  };
}
