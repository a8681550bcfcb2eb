import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempStoreDir } from '../testing/agent-fixtures';
import { agentConfigPath, DEFAULT_AGENT_CONFIG, loadAgentConfig, parseAgentConfig } from './agent-config';

describe('agent configuration', () => {
  it('takes the documented keys and fills in the defaults', () => {
    expect(parseAgentConfig({ server: 'https://logon.example.com:8440' }, 'f')).toEqual({
      server: 'https://logon.example.com:8440',
      insecure: false,
      logonBudgetSeconds: 5,
      nssdb: true,
    });
    expect(
      parseAgentConfig(
        {
          server: 'amqps://hook:pw@mq.example.com/credroam',
          caFile: '/etc/ssl/corp.pem',
          logonBudgetSeconds: 2,
        },
        'f',
      ),
    ).toMatchObject({ caFile: '/etc/ssl/corp.pem', logonBudgetSeconds: 2 });
  });

  it('refuses unknown keys by name, and says which keys it knows', () => {
    expect(() =>
      parseAgentConfig({ server: 'https://a.example', sever: 'x', budget: 1 }, '/etc/credroam/agent.json'),
    ).toThrow(
      'agent configuration /etc/credroam/agent.json: unknown keys "sever", "budget" (known: server, caFile, insecure, logonBudgetSeconds, nssdb)',
    );
  });

  it.each([
    [{}, /server/],
    [{ server: 'ftp://a.example' }, /server/],
    [{ server: 'https://a.example', logonBudgetSeconds: 0 }, /logonBudgetSeconds/],
    [{ server: 'https://a.example', caFile: 'relative.pem' }, /caFile: must be an absolute path/],
    [{ server: 'https://a.example', nssdb: 'yes' }, /nssdb/],
    [[], /must be a JSON object/],
  ])('refuses %j in one line naming the key', (json, message) => {
    expect(() => parseAgentConfig(json, 'f')).toThrow(message);
  });

  it('reads the file CREDROAM_AGENT_CONFIG names, and says what is wrong with a missing or broken one', () => {
    const dir = tempStoreDir();
    try {
      const file = join(dir, 'agent.json');
      expect(agentConfigPath(undefined, {})).toBe(DEFAULT_AGENT_CONFIG);
      expect(agentConfigPath(undefined, { CREDROAM_AGENT_CONFIG: file })).toBe(file);
      expect(agentConfigPath('/x.json', { CREDROAM_AGENT_CONFIG: file })).toBe('/x.json');
      expect(() => loadAgentConfig(file)).toThrow(`agent configuration ${file}: ENOENT`);
      writeFileSync(file, '{"server": ');
      expect(() => loadAgentConfig(file)).toThrow(`agent configuration ${file}: not valid JSON`);
      writeFileSync(file, '{"server": "http://127.0.0.1:8440"}');
      expect(loadAgentConfig(file).server).toBe('http://127.0.0.1:8440');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
