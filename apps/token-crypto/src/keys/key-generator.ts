import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RoamingError } from '@credroam/roaming';
import { createSelfSignedCertificate, encodePem, wipe } from '@credroam/sealing';
import { MASTER_KEY_BYTES } from './key-material.reader';

export interface GenerateKeysOptions {
  /** RSA modulus size of the transport key: 3072 by default (NIST's 128-bit level, valid beyond 2030). */
  transportKeyBits?: 2048 | 3072 | 4096;
  /** Validity of the transport certificate, in days. */
  days?: number;
  now?: Date;
}

export interface GeneratedKeys {
  transportThumbprint: string;
  transportNotAfter: Date;
  files: string[];
}

const DAY_MS = 86_400_000;

function writeSecret(file: string, content: string | Buffer): void {
  // "wx": never overwrite a key that may already protect data.
  writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
}

function masterKeyText(): string {
  const key = randomBytes(MASTER_KEY_BYTES);
  const text = `${key.toString('base64')}\n`;
  wipe(key);
  return text;
}

/**
 * First setup, once: the transport key pair and its self-signed certificate, storage master key v1 and the hash
 * key master, in the layout CREDROAM_KEY_DIR expects. Refuses to touch a directory that already has any of them:
 * regenerating a master key would make every value sealed under it unreadable.
 */
export function generateKeys(dir: string, options: GenerateKeysOptions = {}): GeneratedKeys {
  const files = {
    transportKey: join(dir, 'transport.key'),
    transportCertificate: join(dir, 'transport.crt'),
    storageKey: join(dir, 'storage-master-keys', 'v1.key'),
    hashKeyMaster: join(dir, 'hash-key-master.key'),
  };
  const existing = Object.values(files).filter((file) => existsSync(file));
  if (existing.length > 0) {
    throw new RoamingError(
      'INVALID_INPUT',
      `refusing to overwrite existing keys (${existing.join(', ')}); generate-keys runs once per installation`,
    );
  }
  mkdirSync(join(dir, 'storage-master-keys'), { recursive: true, mode: 0o700 });

  const now = options.now ?? new Date();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: options.transportKeyBits ?? 3072 });
  const certificate = createSelfSignedCertificate(privateKey, {
    commonName: 'credroam token-crypto transport',
    // A little slack for workstations whose clocks run behind.
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + (options.days ?? 1095) * DAY_MS),
  });
  if (!certificate.ok) throw RoamingError.fromInfo(certificate.error);

  writeSecret(files.transportKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(files.transportCertificate, encodePem('CERTIFICATE', certificate.value.der), {
    mode: 0o644,
    flag: 'wx',
  });
  writeSecret(files.storageKey, masterKeyText());
  writeSecret(files.hashKeyMaster, masterKeyText());
  return {
    transportThumbprint: certificate.value.thumbprint,
    transportNotAfter: certificate.value.notAfter,
    files: Object.values(files),
  };
}

/**
 * Key rotation: writes storage master key version N+1 next to the existing ones and returns N+1. Roll the file
 * out to every replica with CREDROAM_STORAGE_KEY_CURRENT still at N, then raise it (or unset it) everywhere, then
 * re-seal users' values (crypto.reseal); older versions stay loaded for as long as values use them.
 */
export function addStorageMasterKey(dir: string): { version: number; file: string } {
  const keysDir = join(dir, 'storage-master-keys');
  if (!existsSync(keysDir))
    throw new RoamingError('INVALID_INPUT', `${keysDir} not found (run generate-keys first)`);
  const versions = readdirSync(keysDir)
    .map((name) => /^v([1-9]\d{0,9})\.key$/.exec(name)?.[1])
    .filter((version): version is string => version !== undefined)
    .map(Number);
  const version = (versions.length ? Math.max(...versions) : 0) + 1;
  const file = join(keysDir, `v${version}.key`);
  writeSecret(file, masterKeyText());
  return { version, file };
}
