#!/usr/bin/env node
// `npm run check:merge`: the merge rules checked harder than CI can afford. The exhaustive checker at its large
// bound (every history of 3 machines, 2 keys, 2 contents, up to 7 steps, skewed clocks; tens of minutes, several
// GB of memory) and the random property suite at 100,000 cases per property (PROPERTY_RUNS overrides it), both
// printing their figures and seeds. Extra arguments go to Jest.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const specs = [
  'libs/roaming/src/reconcile/reconcile.exhaustive.spec.ts',
  'libs/roaming/src/reconcile/reconcile.property.spec.ts',
];
const env = {
  ...process.env,
  MERGE_CHECK: 'large',
  PROPERTY_RUNS: process.env.PROPERTY_RUNS || '100000',
  // The set of states seen so far is kept whole: the large bound needs more than Node's default heap.
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=10240`.trim(),
};
const started = Date.now();
const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const result = spawnSync(process.execPath, [jest, ...specs, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env,
});
console.log(
  `[check:merge] ${result.status === 0 ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s`,
);
process.exit(result.status ?? 1);
