#!/usr/bin/env node
// `npm test`: installs what a fresh machine lacks, runs every suite once and ends with the plain
// `N passed, N failed` line that CI reads.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (command, args, options = {}) =>
  spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env, ...options });

function ensureDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('[test] installing dependencies (npm ci)');
  const result = run('npm', ['ci', '--no-audit', '--no-fund']);
  if (result.status !== 0) {
    console.error('[test] npm ci failed');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

function runJest(extraArgs) {
  const artifacts = join(root, '.artifacts');
  mkdirSync(artifacts, { recursive: true });
  const report = join(artifacts, 'jest-report.json');
  rmSync(report, { force: true });
  const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
  const result = run(process.execPath, [jest, '--json', `--outputFile=${report}`, ...extraArgs]);
  if (!existsSync(report)) return { passed: 0, failed: 1, status: result.status ?? 1 };
  const summary = JSON.parse(readFileSync(report, 'utf8'));
  // A suite that fails to load has no test results of its own, so count it as a failure.
  const failed = summary.numFailedTests + summary.numRuntimeErrorTestSuites;
  return { passed: summary.numPassedTests, failed, status: result.status ?? 1 };
}

ensureDependencies();
const { passed, failed, status } = runJest(process.argv.slice(2));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || status !== 0 ? 1 : 0);
