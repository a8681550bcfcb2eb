'use strict';
// Runs one compiled benchmark from dist-bench/ (tsconfig.bench.json): `node scripts/lib/run-bench.cjs
// bench/grants.bench.js [args…]` calls its main(args). Benchmarks are compiled apart from the services, so no
// service's dist/ carries them; the @credroam/* aliases resolve inside dist-bench/ (tsc keeps them as written).
const { join } = require('node:path');
const { existsSync } = require('node:fs');
const tsconfigPaths = require('tsconfig-paths');

const root = join(__dirname, '..', '..');
const distBench = join(root, 'dist-bench');

function runBench(relativePath, args) {
  const file = join(distBench, relativePath);
  if (!existsSync(file))
    throw new Error(`${file} is missing: run "npm run bench" (it compiles the benchmarks)`);
  const { paths } = require(join(root, 'tsconfig.json')).compilerOptions;
  tsconfigPaths.register({ baseUrl: distBench, paths });
  return require(file).main(args);
}

if (require.main === module) {
  const [relativePath, ...args] = process.argv.slice(2);
  Promise.resolve()
    .then(() => runBench(relativePath, args))
    .then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
}

module.exports = { runBench, distBench };
