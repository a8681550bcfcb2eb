'use strict';
// Starts a built service: `node scripts/lib/run-service.cjs <app>` runs dist/apps/<app>/src/main.js with the
// @credroam/* aliases of tsconfig.json resolved inside dist/ (tsc keeps the aliases as written).
const { join } = require('node:path');
const { existsSync } = require('node:fs');
const tsconfigPaths = require('tsconfig-paths');

const root = join(__dirname, '..', '..');
const dist = join(root, 'dist');
const APPS = ['directory-gateway', 'token-crypto', 'logon-events', 'audit'];

function runService(app) {
  if (!APPS.includes(app)) throw new Error(`unknown service "${app}"; one of ${APPS.join(', ')}`);
  const main = join(dist, 'apps', app, 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first`);
  const { paths } = require(join(root, 'tsconfig.json')).compilerOptions;
  tsconfigPaths.register({ baseUrl: dist, paths });
  require(main);
}

if (require.main === module) {
  const app = process.argv[2];
  try {
    runService(app);
  } catch (error) {
    console.error(`run-service: ${error.message}`);
    process.exit(2);
  }
}

module.exports = { runService, APPS };
