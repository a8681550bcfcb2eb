import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { agentFixture, NOW, tempStoreDir, type AgentFixture } from '../testing/agent-fixtures';
import { parseGlobalArguments } from './arguments';
import { COMMANDS, runCli } from './cli';
import { type CliEnvironment } from './cli-context';

function environment(stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const env: CliEnvironment = {
    io: { stdout: (text) => out.push(text), stderr: (text) => err.push(text), readStdin: async () => stdin },
    env: {},
    now: () => NOW,
  };
  return { env, out: () => out.join(''), err: () => err.join('') };
}

describe('global arguments', () => {
  it('takes --store and --help wherever they stand', () => {
    expect(parseGlobalArguments(['list', '--store', '/s', '--json'])).toEqual({
      store: '/s',
      help: false,
      command: 'list',
      rest: ['--json'],
    });
    expect(parseGlobalArguments(['--store=/s', 'sync', '--help'])).toMatchObject({ store: '/s', help: true });
  });
});

describe('runCli', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempStoreDir();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const store = () => join(dir, 'store');

  it.each([
    [['--help'], 0],
    [['sync', '--help'], 0],
    [[], 2],
    [['frobnicate'], 2],
    [['list', '--verbose'], 2],
    [['list', 'extra'], 2],
    [['sync', '--trigger', 'sometimes'], 2],
    [['login', '--user', 'alice', '--password-stdin'], 2],
    [['login', '--server', 'ftp://x', '--user', 'alice', '--password-stdin'], 2],
    [['delete', 'password', 'x'], 2],
    [['login', '--server', 'http://h', '--user', 'a', '--password-stdin', '--key-type', 'dsa'], 2],
    [['delete', 'private-key', '..\\..\\evil.bat'], 2],
    [['import'], 2],
    [['sync'], 3],
    [['import', '/nonexistent/file.pem'], 2],
    [['credential', 'set', 'TERMSRV/host'], 2],
    [['credential', 'show', 'TERMSRV/host', '--secret-stdin'], 2],
    [['credential', 'set', 'bad\u0007target', '--secret-stdin'], 2],
    [['credential', 'set'], 2],
    [['credential', 'set', 'TERMSRV/host', '--secret-stdin'], 2],
    [['nss', 'purge'], 2],
    [['export', 'A'.repeat(40)], 2],
    [['export', 'A'.repeat(40), '--p12', 'x.p12'], 2],
    [['export', 'A'.repeat(40), '--pem', 'x.pem', '--passphrase-stdin'], 2],
    [['wait-synced', '--timeout', 'soon'], 2],
    [['wait-synced', '--timeout', '0'], 3],
    [['watch', '--debounce-ms', '-1'], 2],
    [['purge-keys', '--force'], 2],
  ])('%j exits %i with one-line errors', async (args, code) => {
    const io = environment();
    expect(await runCli(['--store', store(), ...args], io.env)).toBe(code);
    if (code !== 0) expect(io.err().split('\n')[0]).toMatch(/^credroam-agent: /);
  });

  it('prints the help of each command', async () => {
    for (const command of COMMANDS.map((known) => known.name)) {
      const io = environment();
      expect(await runCli([command, '--help'], io.env)).toBe(0);
      expect(io.out()).toContain(`usage: credroam-agent ${command}`);
    }
  });

  describe('with a logged-in store', () => {
    let fixture: AgentFixture;
    beforeEach(() => {
      fixture = agentFixture();
    });
    afterEach(() => fixture.dispose());

    it('lists tokens as JSON with exactly type, id, modifiedAt, hash and size', async () => {
      const token = fixture.token('master-key', 'Preferred', Buffer.from('pointer'));
      fixture.store.tokens.put(token);
      const io = environment();
      expect(await runCli(['--store', fixture.store.layout.root, 'list', '--json'], io.env)).toBe(0);
      expect(JSON.parse(io.out())).toEqual([
        {
          type: 'master-key',
          id: 'Preferred',
          modifiedAt: token.meta.modifiedAt,
          hash: token.meta.hash,
          size: 7,
        },
      ]);
    });

    it('deletes a token, and fails (1) on one that is not there', async () => {
      fixture.store.tokens.put(fixture.token('master-key', 'Preferred', Buffer.from('pointer')));
      const root = fixture.store.layout.root;
      expect(await runCli(['--store', root, 'delete', 'master-key', 'Preferred'], environment().env)).toBe(0);
      expect(await runCli(['--store', root, 'delete', 'master-key', 'Preferred'], environment().env)).toBe(1);
    });

    it('sets a stored credential from standard input, never printing the secret, and edits it', async () => {
      const root = fixture.store.layout.root;
      const args = [
        '--store',
        root,
        'credential',
        'set',
        'TERMSRV/host',
        '--secret-stdin',
        '--username',
        'al',
      ];
      const first = environment('hunter2\n');
      expect(await runCli(args, first.env)).toBe(0);
      expect(first.out()).toBe('added stored-credential TERMSRV/host\n');
      expect(first.out() + first.err()).not.toContain('hunter2');
      expect(fixture.store.records.read()['stored-credential:TERMSRV/host']).toMatchObject({
        origin: 'imported-here',
      });
      const stored = fixture.store.tokens.get({ type: 'stored-credential', id: 'TERMSRV/host' })!;
      expect(JSON.parse(stored.content.toString('utf8'))).toEqual({
        format: 1,
        userName: 'al',
        secret: Buffer.from('hunter2').toString('base64'),
      });
      const again = environment('hunter2\n');
      expect(await runCli([...args, '--json'], again.env)).toBe(0);
      expect(JSON.parse(again.out())).toMatchObject({ status: 'unchanged' });
      const edit = environment('hunter3');
      expect(await runCli(args, edit.env)).toBe(0);
      expect(edit.out()).toBe('updated stored-credential TERMSRV/host\n');
    });

    it('waits for the logon sync: done once a sync is recorded at or after the login', async () => {
      const root = fixture.store.layout.root;
      const pending = environment();
      expect(await runCli(['--store', root, 'wait-synced', '--timeout', '0'], pending.env)).toBe(1);
      expect(pending.err()).toBe('credroam-agent: the logon sync has not completed within 0 s\n');
      const synced = (at: number) =>
        fixture.store.state.write({
          format: 1,
          machine: 'ws-a',
          base: null,
          lastStamp: null,
          lastSync: { at, trigger: 'logon', status: 'synced', code: 1, correlationId: 'c-1' },
        });
      synced(NOW - 1);
      expect(await runCli(['--store', root, 'wait-synced', '--timeout', '0'], environment().env)).toBe(1);
      synced(NOW);
      expect(await runCli(['--store', root, 'wait-synced', '--timeout', '0'], environment().env)).toBe(0);
    });

    it('purges nothing while the policy keeps keys on logoff', async () => {
      fixture.store.tokens.put(fixture.token('private-key', 'k', Buffer.from('key')));
      const io = environment();
      expect(await runCli(['--store', fixture.store.layout.root, 'purge-keys', '--json'], io.env)).toBe(0);
      expect(JSON.parse(io.out())).toEqual({ purgeOnLogoff: false, purged: [], kept: [] });
      expect(fixture.store.tokens.get({ type: 'private-key', id: 'k' })).not.toBeNull();
    });

    it('reports status as JSON, with each token', async () => {
      fixture.store.tokens.put(fixture.token('master-key', 'Preferred', Buffer.from('pointer')));
      const io = environment();
      expect(await runCli(['--store', fixture.store.layout.root, 'status', '--json'], io.env)).toBe(0);
      expect(JSON.parse(io.out())).toMatchObject({
        loggedIn: true,
        user: 'alice',
        machine: 'ws-a',
        stateFile: 'missing',
        tokens: 1,
        tokenDetails: [
          {
            type: 'master-key',
            id: 'Preferred',
            name: 'Preferred',
            origin: 'unknown',
            lastSynced: null,
            issue: null,
            note: null,
          },
        ],
      });
    });

    it('shows per token where it came from, its last sync and what happened to it, in words', async () => {
      fixture.store.tokens.put(fixture.token('stored-credential', 'vpn', Buffer.from('secret')));
      fixture.store.records.write({
        'stored-credential:vpn': {
          origin: 'roamed',
          lastSyncedAt: NOW - 2 * 3_600_000,
          issue: { kind: 'conflict', at: NOW - 2 * 3_600_000, conflict: 'both-changed', winner: 'directory' },
        },
      });
      const io = environment();
      expect(await runCli(['--store', fixture.store.layout.root, 'status'], io.env)).toBe(0);
      expect(io.out()).toContain(
        [
          'stored-credential  vpn',
          '    from         roamed from the directory',
          `    last synced  2 hours ago (${new Date(NOW - 2 * 3_600_000).toISOString()})`,
          '    note         your change was replaced by a newer one from another computer',
        ].join('\n'),
      );
    });

    it('draws progress on stderr only when it is a terminal', async () => {
      const syncOnce = async (stderrIsTerminal: boolean) => {
        const io = environment();
        io.env.io = { ...io.env.io, stderrIsTerminal };
        io.env.fetch = (async () => {
          throw new TypeError('fetch failed');
        }) as unknown as typeof fetch;
        io.env.sleep = async () => undefined;
        expect(
          await runCli(['--store', fixture.store.layout.root, 'sync', '--trigger', 'logon'], io.env),
        ).toBe(4);
        return io.err();
      };
      expect(await syncOnce(false)).not.toContain('sync: ');
      const drawn = await syncOnce(true);
      expect(drawn).toContain('\r\x1b[2Ksync: reading the local store');
      // The line is cleared before the error, so the error stands on a line of its own.
      expect(drawn).toContain('\r\x1b[2Kcredroam-agent: ');
    });

    it('answers 4 when the server cannot be reached', async () => {
      const io = environment();
      io.env.fetch = (async () => {
        throw new TypeError('fetch failed');
      }) as unknown as typeof fetch;
      io.env.sleep = async () => undefined;
      expect(await runCli(['--store', fixture.store.layout.root, 'sync'], io.env)).toBe(4);
      expect(io.err()).toMatch(/unreachable/);
    });
  });

  describe('plain servers and TLS options', () => {
    /** A CLI environment whose fetch records where it was asked to go and fails as an unreachable server does. */
    function recorded() {
      const io = environment('alice-pass\n');
      const urls: string[] = [];
      io.env.fetch = (async (url: string) => {
        urls.push(url);
        throw new TypeError('fetch failed');
      }) as unknown as typeof fetch;
      io.env.sleep = async () => undefined;
      io.env.env = { CREDROAM_AGENT_RETRY_ATTEMPTS: '1' };
      return { ...io, urls };
    }
    const login = (server: string, ...extra: string[]) => [
      '--store',
      store(),
      'login',
      '--server',
      server,
      '--user',
      'alice',
      '--password-stdin',
      ...extra,
    ];

    it.each([
      ['http://192.0.2.10:8440', 'http://192.0.2.10', 'https://'],
      ['http://logon.example.com:8440', 'http://logon.example.com', 'https://'],
      ['http://0.0.0.0:8440', 'http://0.0.0.0', 'https://'],
      ['amqp://hook:s3cret@mq.example.com/credroam', 'amqp://mq.example.com', 'amqps://'],
    ])('refuses %s before any connection, in one line saying why and how', async (server, shown, secure) => {
      const io = recorded();
      expect(await runCli(login(server), io.env)).toBe(2);
      const lines = io.err().trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      const [line] = lines;
      expect(line).toContain(`credroam-agent: refusing ${shown}: a plain`);
      expect(line).toContain("not on this machine's loopback address");
      expect(line).toContain(`use ${secure}`);
      expect(line).toContain('--insecure');
      expect(io.err()).not.toContain('s3cret');
      expect(io.urls).toEqual([]);
    });

    it.each(['http://127.0.0.1:8440', 'http://127.3.2.1:8440', 'http://localhost:8440', 'http://[::1]:8440'])(
      'talks plain HTTP to the loopback address %s',
      async (server) => {
        const io = recorded();
        expect(await runCli(login(server), io.env)).toBe(4);
        expect(io.urls).toHaveLength(1);
      },
    );

    it('talks plain HTTP to another host when told --insecure, and keeps refusing it in a session without', async () => {
      const io = recorded();
      expect(await runCli(login('http://192.0.2.10:8440', '--insecure'), io.env)).toBe(4);
      expect(io.urls).toEqual(['http://192.0.2.10:8440/v1/sessions']);

      const fixture = agentFixture();
      try {
        const session = fixture.store.session.read()!;
        fixture.store.session.write({ ...session, server: 'http://192.0.2.10:8440/' });
        const sync = recorded();
        expect(await runCli(['--store', fixture.store.layout.root, 'sync'], sync.env)).toBe(2);
        expect(sync.err()).toMatch(/refusing http:\/\/192\.0\.2\.10/);
        expect(sync.urls).toEqual([]);
        fixture.store.session.write({ ...session, server: 'http://192.0.2.10:8440/', insecure: true });
        const insecure = recorded();
        expect(await runCli(['--store', fixture.store.layout.root, 'sync'], insecure.env)).toBe(4);
        expect(insecure.urls).toEqual(['http://192.0.2.10:8440/v1/sync']);
      } finally {
        fixture.dispose();
      }
    });

    it.each([
      [
        ['--insecure'],
        'https://logon.example.com',
        /--insecure applies to plain http:\/\/ and amqp:\/\/ servers; it never turns certificate checks off/,
      ],
      [
        ['--ca-file', '/etc/ca.crt'],
        'http://127.0.0.1:8440',
        /--ca-file applies to https:\/\/ and amqps:\/\/ servers/,
      ],
      [
        ['--ca-file', '/nonexistent/ca.crt'],
        'https://logon.example.com',
        /--ca-file: cannot read \/nonexistent\/ca\.crt \(ENOENT\)/,
      ],
    ])('refuses %j with %s', async (extra, server, pattern) => {
      const io = recorded();
      expect(await runCli(login(server, ...extra), io.env)).toBe(2);
      expect(io.err()).toMatch(pattern);
      expect(io.urls).toEqual([]);
    });
  });
});
