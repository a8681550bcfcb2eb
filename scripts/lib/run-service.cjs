'use strict';
// Runs built code from dist/ with the @credroam/* aliases of tsconfig.json resolved inside dist/ (tsc keeps the
// aliases as written). `node scripts/lib/run-service.cjs <app>` starts dist/apps/<app>/src/main.js.
const { join } = require('node:path');
const { existsSync } = require('node:fs');
const tsconfigPaths = require('tsconfig-paths');

const root = join(__dirname, '..', '..');
const dist = join(root, 'dist');
const APPS = ['directory-gateway', 'token-crypto', 'logon-events', 'audit'];
/**
 * The Node flags every service runs with (the local stack, the image's entrypoint), measured in bench:storm
 * (docs/logon-storm.md):
 * - 8 MB semi-spaces: V8's young generation may otherwise grow to 3 x 16 MB per process under a logon storm;
 * - a 256 MB old space: with a small limit V8 lets the heap grow to 1.3-1.5 times what survived the last full
 *   collection, not 4 times, and it collects hard before a container's memory limit kills the process. With both,
 *   every service peaked at 130-150 MB at 1,000 users x 20 tokens (logon-events 240 MB without the limit), no
 *   service's heap passed 110 MB with 8 users of 2,000 tokens at once, and the CPU per logon stayed within the
 *   runs' noise.
 */
const SERVICE_NODE_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=256'];

function registerDistAliases() {
  const { paths } = require(join(root, 'tsconfig.json')).compilerOptions;
  tsconfigPaths.register({ baseUrl: dist, paths });
}

/** Loads a module from dist/ (path relative to dist/), with the aliases registered. */
function requireFromDist(relativePath) {
  const file = join(dist, relativePath);
  if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run build" first`);
  registerDistAliases();
  return require(file);
}

function runService(app) {
  if (!APPS.includes(app)) throw new Error(`unknown service "${app}"; one of ${APPS.join(', ')}`);
  return requireFromDist(join('apps', app, 'src', 'main.js'));
}

if (require.main === module) {
  try {
    runService(process.argv[2]);
  } catch (error) {
    console.error(`run-service: ${error.message}`);
    process.exit(2);
  }
}

module.exports = { runService, requireFromDist, APPS, SERVICE_NODE_FLAGS, dist };
