#!/usr/bin/env node
// `npm test`: installs what a fresh machine lacks, starts what is not running, type-checks, lints, runs every
// suite once and ends with the plain `N passed, N failed` line that CI reads. Extra arguments go to Jest.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const run = (command, args) => spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
const results = { passed: 0, failed: 0 };

function finish() {
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed > 0 ? 1 : 0);
}

function ensureDependencies() {
  // libkrb5-dev first: npm ci builds the optional `kerberos` addon only where its headers are.
  try {
    require('./lib/infrastructure.cjs').ensureBuildPackages((line) => console.log(`[test] ${line}`));
  } catch (error) {
    console.error(`[test] could not install the build packages: ${error.message}`);
  }
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('[test] installing dependencies (npm ci)');
  if (run('npm', ['ci', '--no-audit', '--no-fund']).status !== 0) {
    console.error('[test] npm ci failed');
    results.failed++;
    finish();
  }
}

async function ensureServices() {
  const { ensureInfrastructure } = require('./lib/infrastructure.cjs');
  try {
    await ensureInfrastructure({ log: (line) => console.log(`[test] ${line}`) });
  } catch (error) {
    console.error(`[test] could not prepare the test infrastructure: ${error.message}`);
    results.failed++;
    finish();
  }
}

/** A whole-tree check (build, types, lint) counts as one test: it passes or fails as a unit. */
async function check(label, command, args) {
  console.log(`[test] ${label}`);
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  const status = await new Promise((resolve) => child.once('close', (code) => resolve(code)));
  if (status === 0) results.passed++;
  else {
    console.error(`[test] ${label} failed`);
    results.failed++;
  }
}

/** One Jest run, its results added to the count; `name` names its report (.artifacts/jest-<name>.json). */
async function runJest(name, extraArgs) {
  const artifacts = join(root, '.artifacts');
  mkdirSync(artifacts, { recursive: true });
  const report = join(artifacts, `jest-${name}.json`);
  rmSync(report, { force: true });
  const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
  const child = spawn(process.execPath, [jest, '--json', `--outputFile=${report}`, ...extraArgs], {
    cwd: root,
    stdio: 'inherit',
    env: process.env,
  });
  const status = await new Promise((resolve) => child.once('close', (code) => resolve(code)));
  if (!existsSync(report)) {
    results.failed++;
    return;
  }
  const summary = JSON.parse(readFileSync(report, 'utf8'));
  results.passed += summary.numPassedTests;
  // A suite that fails to load has no test results of its own, so it counts as a failure.
  results.failed += summary.numFailedTests + summary.numRuntimeErrorTestSuites;
  if (status !== 0 && summary.numFailedTests + summary.numRuntimeErrorTestSuites === 0) results.failed++;
}

ensureDependencies();
await ensureServices();
const jestArgs = process.argv.slice(2);
// The integration and e2e suites run the built services as separate processes.
await check('building (npm run build)', 'npm', ['run', '--silent', 'build']);
if (jestArgs.length > 0) await runJest('report', jestArgs);
else {
  // Jest gives one worker on two cores, and the suites that start services run one at a time: the whole-tree
  // checks and the unit specs, pure CPU with no timing in them, take the other core meanwhile.
  await Promise.all([
    (async () => {
      await runJest('unit', ['--selectProjects', 'unit']);
      await check('type-checking tests too (tsc --noEmit)', process.execPath, [
        require.resolve('typescript/bin/tsc'),
        '-p',
        'tsconfig.json',
        '--noEmit',
      ]);
      await check('linting (eslint, prettier)', 'npm', ['run', '--silent', 'lint']);
    })(),
    runJest('report', ['--selectProjects', 'integration', 'e2e', 'deployment']),
  ]);
}
finish();
