'use strict';
// The workstation agent as one CommonJS file that runs on Node.js alone (no repository, no node_modules): what the
// Debian package installs as /usr/lib/credroam-agent/agent.cjs, and what bin/credroam-agent runs from dist/ (`npm run
// build` ends with `node scripts/lib/agent-bundle.cjs`): one file starts in a third of the time the agent's modules
// in dist/ take to resolve and load one by one (Nest and OpenTelemetry's SDK come in through the libraries' barrels).
const { builtinModules } = require('node:module');
const { chmodSync, mkdirSync } = require('node:fs');
const { dirname, join, sep } = require('node:path');

const root = join(__dirname, '..', '..');
/** The bundle bin/credroam-agent runs; `npm run build` writes it after tsc. */
const DIST_BUNDLE = join(root, 'dist', 'agent', 'credroam-agent.cjs');
const libs = `${sep}libs${sep}`;

/**
 * The libraries' barrels (libs/<name>/src/index.ts) also export their Nest modules, which the agent never uses.
 * The libraries have no import-time side effects the agent relies on, so marking their files side-effect free
 * lets the bundler drop every module the agent does not use, and Nest with them.
 */
const libsWithoutSideEffects = {
  name: 'libs-without-side-effects',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'resolved') return undefined;
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'resolved',
      });
      if (resolved.errors.length > 0 || !resolved.path.includes(libs)) return undefined;
      return { ...resolved, sideEffects: false };
    });
  },
};

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Bundles apps/agent into `outfile` (executable, with a node shebang); fails if anything but Node is required. */
async function bundleAgent(outfile) {
  const esbuild = require('esbuild');
  mkdirSync(dirname(outfile), { recursive: true });
  const result = await esbuild.build({
    entryPoints: [join(root, 'apps', 'agent', 'src', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    tsconfig: join(root, 'tsconfig.json'),
    banner: { js: '#!/usr/bin/env node' },
    // Nest is reached only through the libraries' barrels and dropped with them (see above); external here so
    // that its optional requires (grpc, kafka, ...) are not resolved for nothing.
    external: ['@nestjs/*', 'nestjs-pino'],
    plugins: [libsWithoutSideEffects],
    metafile: true,
    logLevel: 'warning',
  });
  const [output] = Object.values(result.metafile.outputs);
  const foreign = [...new Set(output.imports.map((entry) => entry.path))].filter(
    (path) => !builtins.has(path),
  );
  if (foreign.length > 0) {
    throw new Error(`the agent bundle still requires ${foreign.join(', ')}: it must run on Node.js alone`);
  }
  chmodSync(outfile, 0o755);
  return outfile;
}

module.exports = { bundleAgent, DIST_BUNDLE };

if (require.main === module) {
  bundleAgent(DIST_BUNDLE).catch((error) => {
    console.error(`agent-bundle: ${error.message}`);
    process.exit(1);
  });
}
