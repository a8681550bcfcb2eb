import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeDirectoryToken, encodeDnBinary, unwrap } from '@credroam/roaming';
import { createSelfSignedCertificate, encodePem } from '@credroam/sealing';
import { runCli, type CliIo } from './cli';
import { loadTokenCryptoConfig } from './config/token-crypto.config';
import { readKeyMaterial } from './keys/key-material.reader';
import { KeyRepository } from './keys/key.repository';
import { SealForStorageService } from './sealing/seal-for-storage.service';
import { ALICE, LIMITS, meta, someSecret, upload } from './testing/agent.fixture';

const dir = mkdtempSync(join(tmpdir(), 'token-crypto-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...argv: string[]) {
  const out: Buffer[] = [];
  let err = '';
  const io: CliIo = {
    stdout: (bytes) => out.push(Buffer.from(bytes)),
    stderr: (text) => {
      err += text;
    },
  };
  const code = runCli(argv, io);
  return { code, stdout: Buffer.concat(out), stderr: err };
}

describe('token-crypto CLI', () => {
  const keyDir = join(dir, 'keys');

  it('prints its usage for --help, and refuses unknown commands and options', () => {
    expect(run('--help')).toMatchObject({
      code: 0,
      stderr: expect.stringMatching(/generate-keys --dir DIR/),
    });
    expect(run('frobnicate').code).toBe(2);
    expect(run('generate-keys', '--bogus').code).toBe(2);
    expect(run().code).toBe(2);
  });

  it('generates keys once, with private files readable by the owner only', () => {
    const first = run('generate-keys', '--dir', keyDir, '--transport-key-bits', '2048');
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/transport certificate [0-9A-F]{40}/);
    expect(statSync(join(keyDir, 'transport.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(keyDir, 'storage-master-keys', 'v1.key')).mode & 0o777).toBe(0o600);
    expect(run('generate-keys', '--dir', keyDir)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/refusing to overwrite/),
    });
    expect(run('generate-keys', '--dir', join(dir, 'x'), '--transport-key-bits', '1024').code).toBe(1);
  });

  it('adds storage key versions', () => {
    expect(run('new-storage-key', '--dir', keyDir)).toMatchObject({
      code: 0,
      stderr: expect.stringMatching(/v2/),
    });
  });

  it('recovers a stored value offline with a recovery agent’s key, from the raw or DN-Binary directory value', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const agent = unwrap(
      createSelfSignedCertificate(privateKey, {
        commonName: 'KRA',
        notBefore: new Date(0),
        notAfter: new Date(4e12),
      }),
    );
    mkdirSync(join(keyDir, 'recovery'));
    writeFileSync(join(keyDir, 'recovery', 'kra.crt'), encodePem('CERTIFICATE', agent.der));
    writeFileSync(join(dir, 'kra.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const encryptedKey = privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'kra-pass',
    });
    writeFileSync(join(dir, 'kra-encrypted.key'), encryptedKey);
    writeFileSync(join(dir, 'kra.pass'), 'kra-pass\n');

    const keys = new KeyRepository(readKeyMaterial(loadTokenCryptoConfig({ CREDROAM_KEY_DIR: keyDir })));
    const secret = someSecret(700);
    const token = meta(keys, ALICE, 'stored-credential', 'mail', secret);
    const [item] = unwrap(
      await new SealForStorageService(keys).seal({
        user: ALICE,
        limits: LIMITS,
        items: [{ token, envelope: upload(keys, secret) }],
      }),
    ).items;
    if (!item?.ok) throw new Error('not sealed');
    const value = unwrap(
      encodeDirectoryToken({
        token: { ...token, tombstone: false },
        keyVersion: item.keyVersion,
        sealed: Buffer.from(item.sealed, 'base64'),
      }),
    );
    writeFileSync(join(dir, 'value.bin'), value);
    writeFileSync(join(dir, 'value.txt'), encodeDnBinary(value, 'cn=alice,ou=people,dc=credroam,dc=test'));

    const raw = run('recover', '--recovery-key', join(dir, 'kra.key'), '--value', join(dir, 'value.bin'));
    expect(raw.code).toBe(0);
    expect(raw.stdout).toEqual(secret);
    expect(raw.stderr).toMatch(/token stored-credential "mail", header size 700\nstorage key version 2/);

    const out = join(dir, 'recovered');
    const dnBinary = run(
      'recover',
      '--recovery-key',
      join(dir, 'kra-encrypted.key'),
      '--password-file',
      join(dir, 'kra.pass'),
      '--recovery-cert',
      join(keyDir, 'recovery', 'kra.crt'),
      '--value',
      join(dir, 'value.txt'),
      '--out',
      out,
    );
    expect(dnBinary.code).toBe(0);
    expect(readFileSync(out)).toEqual(secret);
    expect(statSync(out).mode & 0o777).toBe(0o600);

    const wrongKey = run(
      'recover',
      '--recovery-key',
      join(keyDir, 'transport.key'),
      '--value',
      join(dir, 'value.bin'),
    );
    expect(wrongKey).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/INTEGRITY_CHECK_FAILED|KEY_UNAVAILABLE/),
    });
    keys.close();
  });
});
