import { spawnSync } from 'node:child_process';
import { agentFixture, type AgentFixture } from '../testing/agent-fixtures';
import { OpenSessions } from './open-sessions';

describe('OpenSessions', () => {
  let fixture: AgentFixture;
  beforeEach(() => {
    fixture = agentFixture();
  });
  afterEach(() => fixture.dispose());

  it('counts the sessions still open, and forgets one whose process died without closing it', () => {
    const sessions = new OpenSessions(fixture.store.layout, fixture.store.writer);
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    sessions.open(gone);
    sessions.open(process.pid);
    sessions.open(process.ppid);
    expect(sessions.close(process.ppid)).toBe(1);
    expect(sessions.close(process.pid)).toBe(0);
  });
});
