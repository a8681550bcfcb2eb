// Runs the built audit service as its own process (node scripts/lib/run-service.cjs audit), as the local stack
// and a deployment run it, so that it can be killed with SIGKILL. Builds dist/ first when the sources are newer.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startServiceProcess, type ServiceProcess } from '../../../helpers/service-process';
import { OPERATOR_TOKEN } from '../../../integration/audit/support/audit-app';

const ROOT = resolve(__dirname, '..', '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'apps', 'audit', 'src', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function isBuilt(): boolean {
  const sources = Math.max(
    newestSource(join(ROOT, 'apps', 'audit', 'src')),
    ...['roaming', 'messaging', 'platform'].map((lib) => newestSource(join(ROOT, 'libs', lib, 'src'))),
  );
  return existsSync(MAIN) && statSync(MAIN).mtimeMs >= sources;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * `tsc -p tsconfig.build.json` unless dist/ is newer than every source audit is built from. Suites running in
 * parallel workers take turns through a lock directory, so only one of them builds.
 */
export function ensureAuditBuilt(): void {
  if (isBuilt()) return;
  mkdirSync(join(ROOT, '.artifacts'), { recursive: true });
  const lock = join(ROOT, '.artifacts', 'audit-build.lock');
  for (const deadline = Date.now() + 180_000; ; sleep(250)) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left behind by a killed run is stale after five minutes.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000)
        rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another build holds ${lock}`);
    }
  }
  try {
    if (isBuilt()) return;
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`build failed:\n${result.stdout}${result.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface AuditProcess extends ServiceProcess {
  url: string;
}

export async function startAuditProcess(
  name: string,
  port: number,
  env: NodeJS.ProcessEnv,
): Promise<AuditProcess> {
  const url = `http://127.0.0.1:${port}`;
  const service = await startServiceProcess({
    name,
    script: 'scripts/lib/run-service.cjs',
    args: ['audit'],
    env: {
      CREDROAM_AUDIT_OPERATOR_TOKEN: OPERATOR_TOKEN,
      CREDROAM_AUDIT_PORT: String(port),
      CREDROAM_AUDIT_RETRY_DELAY_MS: '200',
      ...env,
    },
    ready: { http: `${url}/health/ready` },
    readyTimeoutMs: 30_000,
  });
  return Object.assign(service, { url });
}
