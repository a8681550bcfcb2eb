#!/usr/bin/env node
// `npm run bench [name]`: builds, then runs every benchmark (dist/**/bench/*.bench.js, each exporting main()) one
// after another in its own process, so their figures do not disturb each other. Benchmarks print; they assert
// nothing. `name` limits the run to benchmarks whose file name contains it.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { dist } = require('./lib/run-service.cjs');

function* benchmarks(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* benchmarks(path);
    else if (name.endsWith('.bench.js') && dir.endsWith('bench')) yield path;
  }
}

const filter = process.argv[2] ?? '';
if (spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0)
  process.exit(1);
const found = [...benchmarks(dist)].filter((path) => path.includes(filter));
if (found.length === 0) {
  console.error(`no benchmark matches "${filter}"`);
  process.exit(2);
}
let failed = 0;
for (const path of found) {
  const module = relative(dist, path);
  console.log(`\n=== ${module}`);
  const code = `require(${JSON.stringify(join(root, 'scripts/lib/run-service.cjs'))}).requireFromDist(${JSON.stringify(module)}).main().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); })`;
  const result = spawnSync(process.execPath, ['-e', code], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
