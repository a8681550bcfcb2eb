import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenCryptoConfig } from '../config/token-crypto.config';
import { generateKeys, addStorageMasterKey } from './key-generator';
import { parseMasterKeyText, readKeyMaterial } from './key-material.reader';
import { KeyRepository } from './key.repository';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'token-crypto-keys-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const load = (env: NodeJS.ProcessEnv) => readKeyMaterial(loadTokenCryptoConfig(env, '/'));
const problem = (env: NodeJS.ProcessEnv) => {
  try {
    load(env);
    return 'loaded';
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
};

describe('master key text', () => {
  it('accepts 32 random bytes as base64 or hex', () => {
    const key = randomBytes(32);
    expect(parseMasterKeyText(`${key.toString('base64')}\n`, 'k')).toEqual(key);
    expect(parseMasterKeyText(key.toString('hex'), 'k')).toEqual(key);
  });

  it.each([
    ['too short', randomBytes(16).toString('base64'), /must be 32 random bytes/],
    ['not base64', 'x'.repeat(44), /must be 32 random bytes/],
    ['all zeros', Buffer.alloc(32).toString('base64'), /is weak/],
    ['a repeated pattern', Buffer.alloc(32, 'ab').toString('hex'), /is weak/],
  ])('refuses a key that is %s', (_label, text, message) => {
    expect(() => parseMasterKeyText(text, 'storage master key x')).toThrow(message);
  });
});

describe('loading key material', () => {
  const dir = tempDir();
  const generated = generateKeys(dir, { transportKeyBits: 2048 });

  it('loads what generate-keys wrote, with the highest version current', () => {
    const { version } = addStorageMasterKey(dir);
    const material = load({ CREDROAM_KEY_DIR: dir });
    expect(material.transport.certificate.thumbprint).toBe(generated.transportThumbprint);
    expect([...material.storageMasterKeys.keys()].sort()).toEqual([1, version]);
    expect(material.currentStorageKeyVersion).toBe(2);
    expect(material.warnings).toEqual([]);
    const pinned = load({ CREDROAM_KEY_DIR: dir, CREDROAM_STORAGE_KEY_CURRENT: '1' });
    expect(new KeyRepository(pinned).currentKeyVersion).toBe(1);
  });

  it('refuses to overwrite keys', () => {
    expect(() => generateKeys(dir)).toThrow(/refusing to overwrite/);
  });

  it('names the missing file and what to do', () => {
    expect(problem({ CREDROAM_KEY_DIR: tempDir() })).toMatch(
      /^KEY_UNAVAILABLE: transport private key not found at .*generate-keys/,
    );
    expect(problem({ CREDROAM_KEY_DIR: dir, CREDROAM_STORAGE_KEY_CURRENT: '7' })).toMatch(
      /CURRENT is 7, but only versions 1, 2/,
    );
    expect(problem({ CREDROAM_KEY_DIR: dir, CREDROAM_STORAGE_KEYS_DIR: tempDir() })).toMatch(
      /no storage master key found/,
    );
  });

  it('takes inline master keys from the environment and refuses duplicates and weak ones', () => {
    const a = randomBytes(32).toString('base64');
    const b = randomBytes(32).toString('base64');
    const inline = load({
      CREDROAM_KEY_DIR: dir,
      CREDROAM_STORAGE_MASTER_KEYS: `1:${a},3:${b}`,
      CREDROAM_HASH_KEY_MASTER: randomBytes(32).toString('hex'),
    });
    expect(inline.currentStorageKeyVersion).toBe(3);
    expect(problem({ CREDROAM_KEY_DIR: dir, CREDROAM_STORAGE_MASTER_KEYS: `1:${a},2:${a}` })).toMatch(
      /v1 and v2 are identical/,
    );
    expect(
      problem({ CREDROAM_KEY_DIR: dir, CREDROAM_STORAGE_MASTER_KEYS: `1:${a}`, CREDROAM_HASH_KEY_MASTER: a }),
    ).toMatch(/must differ/);
    expect(
      problem({
        CREDROAM_KEY_DIR: dir,
        CREDROAM_STORAGE_MASTER_KEYS: `1:${Buffer.alloc(32).toString('base64')}`,
      }),
    ).toMatch(/is weak/);
  });

  it('loads the optional service channel key and refuses a malformed one by its variable', () => {
    expect(load({ CREDROAM_KEY_DIR: dir }).serviceChannelKey).toBeNull();
    const channelDir = tempDir();
    const key = randomBytes(32);
    const file = join(channelDir, 'service-channel.key');
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600 });
    expect(
      load({ CREDROAM_KEY_DIR: dir, CREDROAM_SERVICE_CHANNEL_KEY_FILE: file }).serviceChannelKey,
    ).toEqual(key);
    const short = join(channelDir, 'short.key');
    writeFileSync(short, randomBytes(16).toString('base64'), { mode: 0o600 });
    expect(problem({ CREDROAM_KEY_DIR: dir, CREDROAM_SERVICE_CHANNEL_KEY_FILE: short })).toMatch(
      /^KEY_UNAVAILABLE: service channel key .*short.key \(CREDROAM_SERVICE_CHANNEL_KEY_FILE\) must be 32/,
    );
  });

  it('refuses a transport certificate that is not the transport key’s', () => {
    const other = tempDir();
    generateKeys(other, { transportKeyBits: 2048 });
    expect(
      problem({ CREDROAM_KEY_DIR: dir, CREDROAM_TRANSPORT_CERT_FILE: join(other, 'transport.crt') }),
    ).toMatch(/does not belong to the key/);
  });

  it('loads recovery agents from the recovery directory and refuses ones that cannot receive envelopes', () => {
    const agentDir = tempDir();
    generateKeys(agentDir, { transportKeyBits: 2048 });
    mkdirSync(join(dir, 'recovery'), { recursive: true });
    writeFileSync(join(dir, 'recovery', 'kra.crt'), readFileSync(join(agentDir, 'transport.crt')));
    expect(load({ CREDROAM_KEY_DIR: dir }).recoveryAgents).toHaveLength(1);
    const bogus = join(agentDir, 'bogus.crt');
    writeFileSync(bogus, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(problem({ CREDROAM_KEY_DIR: dir, CREDROAM_RECOVERY_CERT_FILES: bogus })).toMatch(
      /recovery agent certificate .*bogus.crt/,
    );
    rmSync(join(dir, 'recovery'), { recursive: true });
  });

  it('warns about key files others can read', () => {
    const loose = tempDir();
    generateKeys(loose, { transportKeyBits: 2048 });
    chmodSync(join(loose, 'hash-key-master.key'), 0o644);
    expect(load({ CREDROAM_KEY_DIR: loose }).warnings).toEqual([
      expect.stringMatching(/hash key master .* readable by others/),
    ]);
  });

  it("accepts a key file readable by a group of the service's own (a Kubernetes Secret with fsGroup)", () => {
    const shared = tempDir();
    generateKeys(shared, { transportKeyBits: 2048 });
    chmodSync(join(shared, 'hash-key-master.key'), 0o640);
    expect(load({ CREDROAM_KEY_DIR: shared }).warnings).toEqual([]);
  });

  it('zeroes master keys on close', () => {
    const material = load({ CREDROAM_KEY_DIR: dir });
    const store = new KeyRepository(material);
    store.close();
    expect([...material.storageMasterKeys.values()].every((key) => key.every((byte) => byte === 0))).toBe(
      true,
    );
    expect(material.hashKeyMaster.every((byte) => byte === 0)).toBe(true);
  });
});
