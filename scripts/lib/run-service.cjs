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
 * The Node flags every service runs with (the local stack, the image's entrypoint). V8's young generation may
 * otherwise grow to 3 x 16 MB semi-spaces per process under a logon storm: with 8 MB, logon-events peaked at
 * 178-234 MB instead of 239-252 MB in bench:storm (1,000 users x 20 tokens), at no CPU cost per logon that the runs
 * could see (docs/logon-storm.md).
 */
const SERVICE_NODE_FLAGS = ['--max-semi-space-size=8'];

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
