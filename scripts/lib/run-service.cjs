'use strict';
// Runs built code from dist/ with the @credroam/* aliases of tsconfig.json resolved inside dist/ (tsc keeps the
// aliases as written). `node scripts/lib/run-service.cjs <app>` starts dist/apps/<app>/src/main.js.
const { join } = require('node:path');
const { existsSync } = require('node:fs');
const tsconfigPaths = require('tsconfig-paths');

const root = join(__dirname, '..', '..');
const dist = join(root, 'dist');
const APPS = ['directory-gateway', 'token-crypto', 'logon-events', 'audit'];

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

module.exports = { runService, requireFromDist, APPS, dist };
