#!/usr/bin/env node
// `npm run bench [name] [args…]`: builds the services (dist/, which some benchmarks start as processes), compiles
// the benchmarks of bench/ apart into dist-bench/ (tsconfig.bench.json), then runs each (bench/*.bench.ts, each
// exporting main(args)) one after another in its own process, so their figures do not disturb each other.
// Benchmarks print; they assert nothing. `name` limits the run to benchmarks whose file name contains it; further
// arguments go to each benchmark's main (e.g. `npm run bench seal -- --quick`).
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { distBench } = require('./lib/run-bench.cjs');
const run = (command, args) => spawnSync(command, args, { cwd: root, stdio: 'inherit' }).status === 0;

const [filter = '', ...args] = process.argv.slice(2);
const found = readdirSync(join(root, 'bench'))
  .filter((name) => name.endsWith('.bench.ts') && name.includes(filter))
  .sort();
if (found.length === 0) {
  console.error(`no benchmark matches "${filter}"`);
  process.exit(2);
}
if (!run('npm', ['run', '--silent', 'build'])) process.exit(1);
rmSync(distBench, { recursive: true, force: true });
if (!run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.bench.json']))
  process.exit(1);
let failed = 0;
for (const name of found) {
  const module = join('bench', name.replace(/\.ts$/, '.js'));
  console.log(`\n=== ${module}`);
  if (!run(process.execPath, [join(root, 'scripts/lib/run-bench.cjs'), module, ...args])) failed++;
}
process.exit(failed > 0 ? 1 : 0);
