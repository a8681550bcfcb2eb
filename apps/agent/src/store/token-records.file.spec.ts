import { writeFileSync } from 'node:fs';
import { agentFixture, NOW, type AgentFixture } from '../testing/agent-fixtures';

describe('TokenRecordsFile', () => {
  let fixture: AgentFixture;
  beforeEach(() => {
    fixture = agentFixture();
  });
  afterEach(() => fixture.dispose());

  it('reads nothing known from a store that never had records, or a damaged file', () => {
    expect(fixture.store.records.read()).toEqual({});
    writeFileSync(fixture.store.layout.tokenRecordsFile, '{"format":1,"tokens":{"x":{"origin":"mars"}}}');
    expect(fixture.store.records.read()).toEqual({});
  });

  it('marks imports on this computer and keeps what else it knew of the token', () => {
    fixture.store.records.write({
      'certificate:AB': { origin: 'roamed', lastSyncedAt: NOW, issue: null },
    });
    fixture.store.records.markImported([
      { type: 'certificate', id: 'AB' },
      { type: 'stored-credential', id: 'vpn' },
    ]);
    expect(fixture.store.records.read()).toEqual({
      'certificate:AB': { origin: 'imported-here', lastSyncedAt: NOW, issue: null },
      'stored-credential:vpn': { origin: 'imported-here', lastSyncedAt: null, issue: null },
    });
  });

  it('refuses to write records that do not validate', () => {
    expect(() =>
      fixture.store.records.write({
        k: { origin: 'roamed', lastSyncedAt: -5, issue: null },
      }),
    ).toThrow(/invalid token records/);
  });
});
