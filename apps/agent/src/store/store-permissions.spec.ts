import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempStoreDir } from '../testing/agent-fixtures';
import { AgentStore } from './agent-store';
import { StoreLayout } from './store-layout';
import { assertStoreIsPrivate } from './store-permissions';

describe('assertStoreIsPrivate', () => {
  let dir: string;
  let layout: StoreLayout;
  beforeEach(() => {
    dir = tempStoreDir();
    layout = new StoreLayout(join(dir, 'store'));
    layout.ensure();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a new store and files of mode 0600, including a symlink that stays inside the store', () => {
    writeFileSync(layout.deviceKeyFile, 'key', { mode: 0o600 });
    writeFileSync(join(layout.root, 'state.real'), '{}', { mode: 0o600 });
    symlinkSync(join(layout.root, 'state.real'), layout.stateFile);
    expect(() => assertStoreIsPrivate(layout)).not.toThrow();
  });

  it('refuses a store directory other users can read, and says what to run, without changing it', () => {
    chmodSync(layout.root, 0o755);
    expect(() => AgentStore.open(layout)).toThrow(
      `refusing the store: store ${layout.root} is open to other users (mode 0755): run "chmod 700 ${layout.root}"`,
    );
  });

  it('refuses a store that belongs to another user', () => {
    expect(() => assertStoreIsPrivate(layout, 4242)).toThrow(
      /belongs to uid \d+, not to this user \(uid 4242\)/,
    );
  });

  it.each([
    ['state file', () => layout.stateFile],
    ['session file', () => layout.sessionFile],
    ['device key file', () => layout.deviceKeyFile],
  ])('refuses a %s other users can read', (label, file) => {
    writeFileSync(file(), 'x', { mode: 0o600 });
    chmodSync(file(), 0o644);
    expect(() => assertStoreIsPrivate(layout)).toThrow(
      `${label} ${file()} is open to other users (mode 0644): run "chmod 600 ${file()}"`,
    );
  });

  it('refuses a key or state file that is a symlink out of the store', () => {
    const outside = join(dir, 'elsewhere');
    mkdirSync(outside);
    writeFileSync(join(outside, 'key.pem'), 'x', { mode: 0o600 });
    symlinkSync(join(outside, 'key.pem'), layout.deviceKeyFile);
    expect(() => assertStoreIsPrivate(layout)).toThrow(
      `device key file ${layout.deviceKeyFile} is a symlink to ${join(outside, 'key.pem')}, outside the store`,
    );
    rmSync(layout.deviceKeyFile);
    symlinkSync(join(dir, 'missing'), layout.stateFile);
    expect(() => assertStoreIsPrivate(layout)).toThrow(
      `state file ${layout.stateFile} is a symlink to nothing`,
    );
  });
});
