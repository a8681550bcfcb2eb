import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { agentFixture, type AgentFixture } from '../testing/agent-fixtures';
import { tokenFileName } from './token-file-name';

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('TokenRepository', () => {
  let fixture: AgentFixture;
  beforeEach(() => {
    fixture = agentFixture();
  });
  afterEach(() => fixture.dispose());

  it('stores and lists tokens with their exact content', () => {
    const token = fixture.token('master-key', 'Preferred', Buffer.from('pointer'));
    fixture.store.tokens.put(token);
    expect(fixture.store.tokens.list()).toEqual({ tokens: [token], problems: [] });
    expect(fixture.store.tokens.get(token.meta)).toEqual(token);
  });

  it.each(['..\\..\\evil.bat', '../../x', '/etc/passwd', 'C:\\Windows\\Start Menu\\x.bat'])(
    'never derives a file name from the identifier %j',
    (id) => {
      const token = fixture.token('stored-credential', id, Buffer.from('secret'));
      fixture.store.tokens.put(token);
      const root = fixture.store.layout.root;
      const files = allFiles(fixture.dir).map((file) => relative(root, file));
      const tokenFiles = files.filter((file) => file.startsWith('tokens'));
      expect(tokenFiles).toEqual([join('tokens', 'stored-credential', tokenFileName(token.meta))]);
      expect(tokenFiles[0]).toMatch(/^tokens\/stored-credential\/[0-9a-f]{64}\.token$/);
      expect(files.every((file) => !file.startsWith('..'))).toBe(true);
      expect(fixture.store.tokens.get(token.meta)?.meta.id).toBe(id);
      expect(fixture.store.tokens.delete(token.meta)).toBe(true);
    },
  );

  it('refuses to store a token whose identifier fails the whitelist', () => {
    const token = fixture.token('private-key', '../../x', Buffer.from('key'));
    expect(() => fixture.store.tokens.put(token)).toThrow(/identifier/);
  });

  it('stores a batch of tokens of several types, each file 0600', () => {
    const tokens = [
      fixture.token('master-key', 'Preferred', Buffer.from('pointer')),
      fixture.token('stored-credential', 'mail', Buffer.from('secret')),
      fixture.token('stored-credential', 'vpn', Buffer.from('other')),
    ];
    fixture.store.tokens.putAll(tokens);
    const { tokens: listed, problems } = fixture.store.tokens.list();
    expect(problems).toEqual([]);
    expect(listed).toHaveLength(3);
    expect(listed).toEqual(expect.arrayContaining(tokens));
    for (const token of tokens) {
      const file = join(fixture.store.layout.tokenTypeDir(token.meta.type), tokenFileName(token.meta));
      expect(statSync(file).mode & 0o777).toBe(0o600);
    }
    expect(statSync(fixture.store.layout.tokenTypeDir('stored-credential')).mode & 0o777).toBe(0o700);
  });

  it.each([
    ['an identifier that fails the whitelist', { id: '../../x' }, /identifier/],
    ['a size that is not its content', { size: 99 }, /size mismatch/],
  ])('refuses a whole batch holding a token with %s, writing nothing', (_what, bad, error) => {
    const before = allFiles(fixture.dir).sort();
    const good = fixture.token('master-key', 'Preferred', Buffer.from('pointer'));
    const invalid = fixture.token('private-key', 'k', Buffer.from('key'));
    const batch = [good, { ...invalid, meta: { ...invalid.meta, ...bad } }];
    expect(() => fixture.store.tokens.putAll(batch)).toThrow(error);
    expect(allFiles(fixture.dir).sort()).toEqual(before);
    expect(existsSync(fixture.store.layout.tokenTypeDir('master-key'))).toBe(false);
    expect(fixture.store.tokens.list()).toEqual({ tokens: [], problems: [] });
  });

  it('ignores a planted file whose name is not its token key', () => {
    const token = fixture.token('master-key', 'Preferred', Buffer.from('pointer'));
    fixture.store.tokens.put(token);
    const dir = fixture.store.layout.tokenTypeDir('master-key');
    const real = join(dir, tokenFileName(token.meta));
    writeFileSync(join(dir, `${'0'.repeat(64)}.token`), readFileSync(real));
    const { tokens, problems } = fixture.store.tokens.list();
    expect(tokens).toHaveLength(1);
    expect(problems).toEqual([expect.objectContaining({ reason: 'file name does not match its token' })]);
  });

  it('reports a corrupt token file instead of failing the listing', () => {
    const dir = fixture.store.layout.tokenTypeDir('certificate');
    fixture.store.tokens.put(fixture.token('master-key', 'Preferred', Buffer.from('p')));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${'a'.repeat(64)}.token`), '{not json');
    const { tokens, problems } = fixture.store.tokens.list();
    expect(tokens).toHaveLength(1);
    expect(problems).toHaveLength(1);
  });

  it('keeps the store private (0700) and token files 0600', () => {
    const token = fixture.token('master-key', 'Preferred', Buffer.from('pointer'));
    fixture.store.tokens.put(token);
    expect(statSync(fixture.store.layout.root).mode & 0o777).toBe(0o700);
    const file = join(fixture.store.layout.tokenTypeDir('master-key'), tokenFileName(token.meta));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(fixture.store.layout.deviceKeyFile).mode & 0o777).toBe(0o600);
  });
});
