import { runDirectoryCli, type DirectoryCommand } from './directory-cli';

function recorder() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: () => out.join(''),
    err: () => err.join(''),
    io: { stdout: (text: string) => void out.push(text), stderr: (text: string) => void err.push(text) },
  };
}

describe('credroam user, policy, scan and schema command lines', () => {
  it.each(['user', 'policy', 'scan', 'schema'] as DirectoryCommand[])(
    '%s --help prints its usage and exits 0',
    async (command) => {
      const cli = recorder();
      expect(await runDirectoryCli(command, ['--help'], cli.io)).toBe(0);
      expect(cli.out()).toContain(`usage: credroam ${command}`);
      expect(cli.out()).toContain('Exit codes');
    },
  );

  it.each([
    ['user', []],
    ['user', ['show']],
    ['user', ['show', 'alice', 'bob']],
    ['user', ['show', 'alice', '--yes']],
    ['user', ['purge', 'alice', '--type', 'wallpaper']],
    ['user', ['delete', 'alice']],
    ['policy', []],
    ['policy', ['apply', 'maxTokens=5']],
    ['policy', ['set']],
    ['policy', ['set', 'maxTokenz=5']],
    ['policy', ['set', 'maxTokens=0']],
    ['policy', ['set', 'enabled=maybe']],
    ['policy', ['set', 'maxTokens=5', '--ou', 'ou=a,dc=x', '--group', 'cn=g,dc=x']],
    ['policy', ['set', 'maxTokens=5', '--priority', '3']],
    ['policy', ['set', 'maxTokens=5', '--group', 'cn=g,dc=x', '--priority', '1001']],
    ['policy', ['set', 'maxTokens=5', '--ou', 'not a dn']],
    ['policy', ['show', 'maxTokens=5']],
    ['policy', ['show', '--ou', 'ou=a,dc=x']],
    ['policy', ['show', '--user', ' alice']],
    ['scan', ['--bogus']],
    [
      'scan',
      [
        '--dialect',
        'novell',
        '--url',
        'ldap://x',
        '--bind-dn',
        'cn=x',
        '--password-file',
        __filename,
        '--base',
        'dc=x',
      ],
    ],
    ['scan', []],
    ['schema', []],
    ['schema', ['--dialect', 'novell']],
  ] as [DirectoryCommand, string[]][])('%s %j is a usage error (exit 2)', async (command, args) => {
    const cli = recorder();
    expect(await runDirectoryCli(command, args, cli.io)).toBe(2);
    expect(cli.err()).toMatch(new RegExp(`^credroam ${command}: .+\\nusage: credroam ${command}`));
  });

  it('refuses to send the bind password in the clear to another host', async () => {
    const cli = recorder();
    const args = [
      '--url',
      'ldap://directory.example.com',
      '--bind-dn',
      'cn=x',
      '--password-file',
      __filename,
    ];
    expect(await runDirectoryCli('scan', [...args, '--base', 'dc=x'], cli.io)).toBe(2);
    expect(cli.err()).toContain('plain ldap:// to another host');
  });

  it('prints the OpenLDAP schema and ACLs, and the AD confidential flags and delegation', async () => {
    const openldap = recorder();
    expect(await runDirectoryCli('schema', ['--dialect', 'openldap'], openldap.io)).toBe(0);
    expect(openldap.out()).toContain('# ===== deploy/openldap/credroam.ldif');
    expect(openldap.out()).toContain("NAME 'msPKIAccountCredentials'");
    expect(openldap.out()).toContain("NAME 'credroamPolicy'");
    expect(openldap.out()).toContain('to dn.subtree="cn=credroam-policy,dc=credroam,dc=test"');
    expect(openldap.out()).toContain('cn=credroam-admin,ou=services');
    const ad = recorder();
    expect(await runDirectoryCli('schema', ['--dialect', 'active-directory', '--json'], ad.io)).toBe(0);
    const files = JSON.parse(ad.out()).files as { path: string; text: string }[];
    expect(files.map((file) => file.path)).toEqual([
      'deploy/active-directory/credroam-ad.ldif',
      'deploy/active-directory/credroam-ad-policy.ldif',
      'deploy/active-directory/credroam-ad-delegation.txt',
    ]);
    expect(files[0]!.text).toContain('searchFlags: 128');
    expect(files[1]!.text).toContain('lDAPDisplayName: credroamPolicy');
    expect(files[2]!.text).toContain('dsacls');
    expect(files[2]!.text).toContain('CN=credroam-policy');
  });
});
