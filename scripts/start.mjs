#!/usr/bin/env node
// `npm start`: brings up what exists of the local stack. For now that is the shared library: it installs
// dependencies when missing, type-checks and builds, then prints what is there and what is coming.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (label, command, args) => {
  console.log(`[start] ${label}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`[start] ${label} failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
};

if (!existsSync(join(root, 'node_modules', '.package-lock.json')))
  step('installing dependencies', 'npm', ['ci']);
step('building', 'npm', ['run', 'build', '--silent']);
console.log(`[start] built into ${join(root, 'dist')}:
  libs/roaming   token model, value codec, reconcile, policy, contracts
No service runs yet; the directory gateway, token-crypto, logon-events and audit arrive with their issues.`);
