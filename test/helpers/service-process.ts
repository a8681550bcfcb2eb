// Runs a Node service as a separate process for integration and e2e suites: its output goes to a log file under
// .artifacts/services (kept after the run for diagnosis), readiness is a log line or a predicate such as an HTTP
// health check, and stop() is SIGTERM with a SIGKILL fallback.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitFor } from './wait-for';

const ROOT = resolve(__dirname, '..', '..');
const LOG_DIR = join(ROOT, '.artifacts', 'services');
const RUN_SERVICE = resolve(ROOT, 'scripts', 'lib', 'run-service.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SERVICE_NODE_FLAGS } = require(RUN_SERVICE) as { SERVICE_NODE_FLAGS: string[] };

export type Readiness =
  /** A line of stdout/stderr matching this pattern. */
  | { line: RegExp }
  /** GET returns this status (default 200), e.g. http://127.0.0.1:8440/health/ready. */
  | { http: string; status?: number }
  /** Anything else; truthy when ready. */
  | { check: () => boolean | Promise<boolean> };

export interface ServiceProcessOptions {
  /** Names the log file: .artifacts/services/<name>-<timestamp>.log */
  name: string;
  /** Script to run with this Node (path relative to the repository root, or absolute). */
  script: string;
  args?: string[];
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Extra Node flags, e.g. ['--enable-source-maps']. */
  nodeArgs?: string[];
  cwd?: string;
  ready: Readiness;
  readyTimeoutMs?: number;
}

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Everything the process has printed so far. */
  output(): string;
  /** Its structured (pino) log lines, from `from` characters of its output on. */
  logLines(from?: number): Record<string, unknown>[];
  /** Resolves when the process has exited (also if it exits by itself). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after timeoutMs (default 5000); resolves with how it ended. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();
const killAll = () => running.forEach((child) => child.kill('SIGKILL'));

/** Starts the service and resolves once it is ready; rejects (and kills it) if it exits or times out first. */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `${options.name}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const log = createWriteStream(logFile);
  let output = '';
  const child = spawn(
    process.execPath,
    [
      // A credroam service runs with the Node flags it has in production (its heap limit among them).
      ...(resolve(ROOT, options.script) === RUN_SERVICE ? SERVICE_NODE_FLAGS : []),
      ...(options.nodeArgs ?? []),
      resolve(ROOT, options.script),
      ...(options.args ?? []),
    ],
    {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid === undefined) throw new Error(`could not start ${options.name} (${options.script})`);
  if (running.size === 0) process.on('exit', killAll);
  running.add(child);
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      log.write(chunk);
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      if (running.size === 0) process.removeListener('exit', killAll);
      // Flush the log before anyone reads it after exit.
      log.end(() => resolveExit({ code, signal }));
    }),
  );

  const stop = async (timeoutMs = 5_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return exited;
  };

  const handle: ServiceProcess = {
    name: options.name,
    pid: child.pid,
    logFile,
    output: () => output,
    logLines: (from = 0) => jsonLines(output.slice(from)),
    exited,
    stop,
  };
  const giveUp = new AbortController();
  const exitedEarly = exited.then(({ code, signal }) => {
    throw new Error(`${options.name} exited (code ${code}, signal ${signal}) before it was ready`);
  });
  exitedEarly.catch(() => undefined);
  try {
    await Promise.race([
      waitFor(() => isReady(options.ready, output), {
        description: `${options.name} to be ready`,
        timeoutMs: options.readyTimeoutMs ?? 15_000,
        intervalMs: 50,
        signal: giveUp.signal,
      }),
      exitedEarly,
    ]);
  } catch (error) {
    await stop(1_000);
    const tail = output.trimEnd().split('\n').slice(-20).join('\n');
    throw new Error(`${(error as Error).message}\n--- last output (${logFile}) ---\n${tail}`, {
      cause: error,
    });
  } finally {
    giveUp.abort();
  }
  return handle;
}

async function isReady(ready: Readiness, output: string): Promise<boolean> {
  if ('line' in ready) return ready.line.test(output);
  if ('check' in ready) return ready.check();
  const response = await fetch(ready.http, { signal: AbortSignal.timeout(1_000) });
  await response.body?.cancel();
  return response.status === (ready.status ?? 200);
}

/** The log file's content, for assertions after stop(). */
export function readServiceLog(service: ServiceProcess): string {
  return readFileSync(service.logFile, 'utf8');
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').flatMap((line) => {
    try {
      const parsed: unknown = JSON.parse(line);
      return typeof parsed === 'object' && parsed !== null ? [parsed as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}
