#!/usr/bin/env node
// `npm run package:agent`: the workstation agent as a Debian package a fleet installs,
// dist/packages/credroam-agent_<version>_all.deb (the agent is JavaScript: one package for every architecture).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { bundleAgent } = require('./lib/agent-bundle.cjs');

const NAME = 'credroam-agent';
const { version, license } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const deploy = (...parts) => join(root, 'deploy', ...parts);

function place(stage, path, content, mode = 0o644) {
  const file = join(stage, path);
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  writeFileSync(file, content, { mode });
}

async function stageTree(stage) {
  await bundleAgent(join(stage, 'usr', 'lib', NAME, 'agent.cjs'));
  mkdirSync(join(stage, 'usr', 'bin'), { recursive: true });
  symlinkSync(`../lib/${NAME}/agent.cjs`, join(stage, 'usr', 'bin', NAME));
  place(stage, 'etc/credroam/agent.json', readFileSync(deploy('agent', 'agent.json')));
  place(stage, `usr/share/doc/${NAME}/pam.example`, readFileSync(deploy('agent', 'pam.example')));
  place(stage, `usr/share/doc/${NAME}/copyright`, `credroam\nLicense: ${license}\n`);
  place(
    stage,
    `usr/share/man/man1/${NAME}.1.gz`,
    gzipSync(readFileSync(deploy('agent', `${NAME}.1`)), { level: 9 }),
  );
  // The user units of the watch daemon (deploy/systemd/), when this tree has them.
  const units = deploy('systemd');
  if (existsSync(units)) {
    for (const unit of readdirSync(units).filter((name) => /\.(service|timer|socket|path)$/.test(name))) {
      mkdirSync(join(stage, 'usr', 'lib', 'systemd', 'user'), { recursive: true });
      copyFileSync(join(units, unit), join(stage, 'usr', 'lib', 'systemd', 'user', unit));
    }
  }
  place(stage, 'DEBIAN/conffiles', '/etc/credroam/agent.json\n');
  place(
    stage,
    'DEBIAN/control',
    [
      `Package: ${NAME}`,
      `Version: ${version}`,
      'Architecture: all',
      'Section: admin',
      'Priority: optional',
      'Maintainer: credroam <credroam@localhost>',
      'Depends: nodejs (>= 20)',
      'Recommends: libpam-modules, libnss3-tools',
      'Description: credroam workstation agent',
      " Roams the user's certificates, keys and saved passwords through the directory: a local store,",
      ' the device key of the machine and the sync client of logon-events, run at logon by pam_exec.',
      '',
    ].join('\n'),
  );
}

const stage = mkdtempSync(join(tmpdir(), `${NAME}-stage-`));
chmodSync(stage, 0o755);
try {
  await stageTree(stage);
  const arch = 'all';
  const out = join(root, 'dist', 'packages', `${NAME}_${version}_${arch}.deb`);
  mkdirSync(dirname(out), { recursive: true });
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, out], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  console.log(out);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
