import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { agentFixture, NOW, type AgentFixture } from '../testing/agent-fixtures';
import { type AgentState } from './state.file';

const state = (syncedAt: number, stampByte = 1): AgentState => ({
  format: 1,
  machine: 'ws-a',
  base: { directoryCreatedAt: NOW - 10_000, syncedAt, entries: [] },
  lastStamp: Buffer.alloc(16, stampByte).toString('base64'),
  lastSync: null,
});

describe('StateFile', () => {
  let fixture: AgentFixture;
  beforeEach(() => {
    fixture = agentFixture();
  });
  afterEach(() => fixture.dispose());

  it('treats a missing file as a first use, unless a state file was ever written here', () => {
    expect(fixture.store.state.read()).toEqual({ health: 'missing', state: null, firstUse: true });
    fixture.store.state.write(state(NOW));
    rmSync(fixture.store.layout.stateFile);
    expect(fixture.store.state.read()).toEqual({ health: 'missing', state: null, firstUse: false });
  });

  it('reads back what it wrote and keeps the previous version as state.json~', () => {
    fixture.store.state.write(state(NOW - 1));
    fixture.store.state.write(state(NOW));
    expect(fixture.store.state.read()).toEqual({ health: 'ok', state: state(NOW) });
    const backup = JSON.parse(readFileSync(fixture.store.layout.stateBackupFile, 'utf8'));
    expect(backup).toEqual(state(NOW - 1));
  });

  it('keeps the backup of the previous merge base through writes that only move the sync times', () => {
    fixture.store.state.write(state(NOW - 2, 1));
    fixture.store.state.write(state(NOW - 1, 2));
    fixture.store.state.write(state(NOW, 2));
    expect(JSON.parse(readFileSync(fixture.store.layout.stateBackupFile, 'utf8'))).toEqual(state(NOW - 2, 1));
    fixture.store.state.write(state(NOW + 1, 3));
    expect(JSON.parse(readFileSync(fixture.store.layout.stateBackupFile, 'utf8'))).toEqual(state(NOW, 2));
  });

  it.each([
    ['truncated JSON', '{"format":1,"machine":'],
    ['a wrong shape', '{"format":1}'],
    ['binary garbage', '\u0000\u0001\u0002'],
  ])('reports %s as corrupt, so the next sync self-heals', (_label, text) => {
    writeFileSync(fixture.store.layout.stateFile, text);
    expect(fixture.store.state.read()).toMatchObject({ health: 'corrupt', state: null });
  });

  it('does not overwrite a good backup with a corrupt file', () => {
    fixture.store.state.write(state(NOW - 1));
    fixture.store.state.write(state(NOW));
    writeFileSync(fixture.store.layout.stateFile, 'garbage');
    fixture.store.state.write(state(NOW + 1));
    expect(JSON.parse(readFileSync(fixture.store.layout.stateBackupFile, 'utf8'))).toEqual(state(NOW - 1));
  });
});
