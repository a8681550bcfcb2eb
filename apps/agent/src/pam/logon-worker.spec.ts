import { agentConfigSchema } from '../config/agent-config';
import { EXIT, type ExitCode } from '../cli/exit-codes';
import { agentFixture, type AgentFixture } from '../testing/agent-fixtures';
import { runLogonWork, type RunAgent } from './logon-worker';
import { type LogonWork } from './pam-request';

describe('runLogonWork at session close', () => {
  let fixture: AgentFixture;
  beforeEach(() => {
    fixture = agentFixture();
  });
  afterEach(() => fixture.dispose());

  /** Closes this process's session (the only one), with the policy's purgeOnLogoff as given. */
  async function closeLastSession(purgeOnLogoff: boolean) {
    const session = fixture.store.session.read()!;
    fixture.store.session.write({
      ...session,
      policy: { ...session.policy, policy: { ...session.policy.policy, purgeOnLogoff } },
    });
    const work: LogonWork = {
      user: 'alice',
      phase: 'close_session',
      service: 'login',
      sessionPid: process.pid,
      store: fixture.store.layout.root,
      config: agentConfigSchema.parse({ server: 'http://127.0.0.1:8440' }),
    };
    const commands: string[][] = [];
    const runAgent: RunAgent = async (argv) => {
      commands.push(argv);
      return {
        code: EXIT.ok as ExitCode,
        stdout: argv.includes('purge-keys') ? 'purged private-key k\n' : '',
        stderr: '',
      };
    };
    const logs: string[] = [];
    expect(await runLogonWork(work, runAgent, (_priority, message) => logs.push(message))).toBe(EXIT.ok);
    return { commands: commands.map((argv) => argv.slice(2).join(' ')), logs };
  }

  it('runs the logoff sync, then purge-keys when the policy purges on logoff', async () => {
    const { commands, logs } = await closeLastSession(true);
    expect(commands).toEqual(['sync --trigger logoff', 'purge-keys']);
    expect(logs).toContain('purgeOnLogoff for alice: purged private-key k');
  });

  it('runs the logoff sync only when it does not', async () => {
    expect((await closeLastSession(false)).commands).toEqual(['sync --trigger logoff']);
  });
});

describe('runLogonWork in Kerberos mode', () => {
  let fixture: AgentFixture;
  beforeEach(() => {
    fixture = agentFixture();
  });
  afterEach(() => fixture.dispose());

  it('logs on with the ticket at session open (no password anywhere), syncs, then counts the session', async () => {
    const work: LogonWork = {
      user: 'alice',
      phase: 'open_session',
      service: 'sshd',
      sessionPid: process.pid,
      store: fixture.store.layout.root,
      config: agentConfigSchema.parse({ server: 'https://logon.example.com' }),
      kerberos: { ticketCache: 'FILE:/tmp/krb5cc_1000_abc' },
    };
    const calls: { argv: string[]; stdin: string | undefined }[] = [];
    const runAgent: RunAgent = async (argv, stdin) => {
      calls.push({ argv, stdin });
      return { code: EXIT.ok as ExitCode, stdout: '', stderr: '' };
    };
    const logs: string[] = [];
    expect(await runLogonWork(work, runAgent, (_priority, message) => logs.push(message))).toBe(EXIT.ok);
    expect(calls.map(({ argv }) => argv.slice(2).join(' '))).toEqual([
      'login --server https://logon.example.com --user alice --kerberos',
      'sync --trigger logon',
      'nss sync',
    ]);
    expect(calls.every(({ stdin }) => stdin === undefined)).toBe(true);
    expect(logs[0]).toMatch(/^Kerberos logon for alice \(sshd\)/);
  });
});
