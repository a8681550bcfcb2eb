import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTempStoreLayout } from '../testing/agent-fixtures';
import { AgentStore } from './agent-store';
import { assertStoreIsPrivate } from './store-permissions';

describe('assertStoreIsPrivate', () => {
  const scratch = useTempStoreLayout();

  it('accepts a new store and files of mode 0600, including a symlink that stays inside the store', () => {
    writeFileSync(scratch.layout.deviceKeyFile, 'key', { mode: 0o600 });
    writeFileSync(join(scratch.layout.root, 'state.real'), '{}', { mode: 0o600 });
    symlinkSync(join(scratch.layout.root, 'state.real'), scratch.layout.stateFile);
    expect(() => assertStoreIsPrivate(scratch.layout)).not.toThrow();
  });

  it('refuses a store directory other users can read, and says what to run, without changing it', () => {
    chmodSync(scratch.layout.root, 0o755);
    expect(() => AgentStore.open(scratch.layout)).toThrow(
      `refusing the store: store ${scratch.layout.root} is open to other users (mode 0755): run "chmod 700 ${scratch.layout.root}"`,
    );
  });

  it('refuses a store that belongs to another user', () => {
    expect(() => assertStoreIsPrivate(scratch.layout, 4242)).toThrow(
      /belongs to uid \d+, not to this user \(uid 4242\)/,
    );
  });

  it.each([
    ['state file', () => scratch.layout.stateFile],
    ['session file', () => scratch.layout.sessionFile],
    ['device key file', () => scratch.layout.deviceKeyFile],
  ])('refuses a %s other users can read', (label, file) => {
    writeFileSync(file(), 'x', { mode: 0o600 });
    chmodSync(file(), 0o644);
    expect(() => assertStoreIsPrivate(scratch.layout)).toThrow(
      `${label} ${file()} is open to other users (mode 0644): run "chmod 600 ${file()}"`,
    );
  });

  it('refuses a key or state file that is a symlink out of the store', () => {
    const outside = join(scratch.dir, 'elsewhere');
    mkdirSync(outside);
    writeFileSync(join(outside, 'key.pem'), 'x', { mode: 0o600 });
    symlinkSync(join(outside, 'key.pem'), scratch.layout.deviceKeyFile);
    expect(() => assertStoreIsPrivate(scratch.layout)).toThrow(
      `device key file ${scratch.layout.deviceKeyFile} is a symlink to ${join(outside, 'key.pem')}, outside the store`,
    );
    rmSync(scratch.layout.deviceKeyFile);
    symlinkSync(join(scratch.dir, 'missing'), scratch.layout.stateFile);
    expect(() => assertStoreIsPrivate(scratch.layout)).toThrow(
      `state file ${scratch.layout.stateFile} is a symlink to nothing`,
    );
  });
});
