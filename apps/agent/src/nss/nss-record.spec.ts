import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentFixture, type AgentFixture } from '../testing/agent-fixtures';
import { NssRecord } from './nss-record';

const A = 'A'.repeat(40);
const B = 'B'.repeat(40);

describe('NssRecord', () => {
  let fixture: AgentFixture;
  beforeEach(() => {
    fixture = agentFixture();
  });
  afterEach(() => fixture.dispose());
  const file = () => join(fixture.store.layout.root, 'nss.json');

  it('keeps one list per database, in a file of the store only its owner reads', () => {
    const record = new NssRecord(fixture.store);
    record.write('/home/a/.pki/nssdb', new Map([[A, { key: true }]]));
    record.write('/other', new Map([[B, { key: false }]]));
    expect([...record.read('/home/a/.pki/nssdb')]).toEqual([[A, { key: true }]]);
    expect([...record.read('/other')]).toEqual([[B, { key: false }]]);
    expect(record.read('/never')).toEqual(new Map());
    expect(statSync(file()).mode & 0o777).toBe(0o600);
  });

  it('reads an unusable record as empty', () => {
    const record = new NssRecord(fixture.store);
    for (const text of [
      '{"format":1,',
      '{"format":1,"databases":{"/d":[{"thumbprint":"../x","key":true}]}}',
    ]) {
      writeFileSync(file(), text);
      expect(record.read('/d')).toEqual(new Map());
    }
  });
});
