import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type KeyObject } from 'node:crypto';
import { RoamingError } from '@credroam/roaming';
import {
  checkKeyMatchesCertificate,
  decodePem,
  isExpired,
  looksLikePem,
  parseCertificate,
  parsePrivateKey,
  recipientKeyKind,
  STORAGE_MASTER_KEY_BYTES,
  wipe,
  type ParsedCertificate,
} from '@credroam/sealing';
import { type TokenCryptoConfig } from '../config/token-crypto.config';

/**
 * The only code that reads key files. Everything it returns lives in the KeyRepository; every problem is a
 * KEY_UNAVAILABLE error naming the file or variable and what to do, and never shows key bytes.
 */
export interface KeyMaterial {
  transport: { certificate: ParsedCertificate; privateKey: KeyObject };
  storageMasterKeys: Map<number, Buffer>;
  currentStorageKeyVersion: number;
  hashKeyMaster: Buffer;
  recoveryAgents: ParsedCertificate[];
  /** The service channel key (crypto.reseal-password), when configured. */
  serviceChannelKey: Buffer | null;
  /** Conditions worth an operator's attention that do not stop the service (expiry, file modes). */
  warnings: string[];
}

export const MASTER_KEY_BYTES = STORAGE_MASTER_KEY_BYTES;
const VERSION_FILE = /^v([1-9]\d{0,9})\.key$/;

function problem(message: string): RoamingError {
  return new RoamingError('KEY_UNAVAILABLE', message);
}

function readSecretFile(file: string, what: string, warnings: string[]): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw problem(
      code === 'ENOENT'
        ? `${what} not found at ${file} (run "token-crypto generate-keys --dir DIR" once, then set CREDROAM_KEY_DIR)`
        : `${what} at ${file} cannot be read (${code ?? 'error'})`,
    );
  }
  try {
    const exposure = exposureOf(statSync(file));
    if (exposure) warnings.push(`${what} ${file} is readable by ${exposure}`);
  } catch {
    // A file that was just read but cannot be stat'ed is not worth failing over.
  }
  return bytes;
}

/**
 * A symmetric master key as text: 32 bytes in base64 or hex, surrounding whitespace ignored. Refused when it is
 * not 32 bytes or is visibly not random (all zeros, a repeated pattern): a weak master key weakens every user.
 */
export function parseMasterKeyText(text: string, what: string): Buffer {
  const trimmed = text.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) key = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) key = Buffer.from(trimmed, 'base64');
  if (key === null || key.length !== MASTER_KEY_BYTES) {
    throw problem(
      `${what} must be ${MASTER_KEY_BYTES} random bytes in base64 or hex (generate-keys writes one)`,
    );
  }
  // 32 random bytes show about 30 distinct values; fewer than 16 happens by chance with probability < 2^-60.
  if (new Set(key).size < 16) {
    wipe(key);
    throw problem(`${what} is weak (not random); generate a new one with "token-crypto generate-keys"`);
  }
  return key;
}

function readDerOrPem(bytes: Buffer, labels: string[], what: string, file: string): Buffer[] {
  if (!looksLikePem(bytes)) return [bytes];
  const blocks = decodePem(bytes);
  if (!blocks.ok) throw problem(`${what} ${file}: ${blocks.error.message}`);
  const wanted = blocks.value.filter((block) => labels.includes(block.label));
  if (wanted.length === 0) {
    const found = blocks.value.map((block) => block.label).join(', ');
    throw problem(`${what} ${file} holds ${found}, expected ${labels.join(' or ')}`);
  }
  return wanted.map((block) => block.der);
}

function readTransport(config: TokenCryptoConfig, warnings: string[]): KeyMaterial['transport'] {
  const keyFile = config.transportKeyFile;
  const keyBytes = readSecretFile(keyFile, 'transport private key', warnings);
  if (looksLikePem(keyBytes) && keyBytes.includes('ENCRYPTED PRIVATE KEY')) {
    wipe(keyBytes);
    throw problem(`transport private key ${keyFile} is encrypted; store it unencrypted in a mounted secret`);
  }
  const [keyDer] = readDerOrPem(keyBytes, ['PRIVATE KEY'], 'transport private key', keyFile);
  const key = parsePrivateKey(keyDer as Buffer);
  wipe(keyBytes, keyDer);
  if (!key.ok) throw problem(`transport private key ${keyFile}: ${key.error.message}`);
  const kind = recipientKeyKind(key.value.publicKey);
  if ('error' in kind) throw problem(`transport private key ${keyFile}: ${kind.error}`);

  const certFile = config.transportCertificateFile;
  const [certDer] = readDerOrPem(
    readSecretFile(certFile, 'transport certificate', []),
    ['CERTIFICATE'],
    'transport certificate',
    certFile,
  );
  const certificate = parseCertificate(certDer as Buffer);
  if (!certificate.ok) throw problem(`transport certificate ${certFile}: ${certificate.error.message}`);
  const matches = checkKeyMatchesCertificate(key.value, certificate.value);
  if (!matches.ok)
    throw problem(`transport certificate ${certFile} does not belong to the key in ${keyFile}`);
  if (isExpired(certificate.value, new Date())) {
    warnings.push(
      `transport certificate ${certificate.value.thumbprint} expired on ${certificate.value.notAfter.toISOString()}`,
    );
  }
  return { certificate: certificate.value, privateKey: key.value.key };
}

function readStorageKeys(config: TokenCryptoConfig, warnings: string[]): Map<number, Buffer> {
  const keys = new Map<number, Buffer>();
  if (config.storageMasterKeysInline !== null) {
    for (const entry of config.storageMasterKeysInline.split(',')) {
      const match = /^\s*([1-9]\d{0,9}):(.+)$/.exec(entry);
      if (!match) throw problem('CREDROAM_STORAGE_MASTER_KEYS must be "<version>:<base64 key>,…"');
      const version = Number(match[1]);
      if (keys.has(version)) throw problem(`CREDROAM_STORAGE_MASTER_KEYS names version ${version} twice`);
      keys.set(
        version,
        parseMasterKeyText(match[2] as string, `CREDROAM_STORAGE_MASTER_KEYS version ${version}`),
      );
    }
  } else {
    const dir = config.storageKeysDir;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      throw problem(
        `storage master keys directory ${dir} not found (run "token-crypto generate-keys --dir DIR")`,
      );
    }
    for (const name of names) {
      const match = VERSION_FILE.exec(name);
      if (!match) continue;
      const file = join(dir, name);
      const text = readSecretFile(file, `storage master key`, warnings);
      keys.set(Number(match[1]), parseMasterKeyText(text.toString('latin1'), `storage master key ${file}`));
      wipe(text);
    }
  }
  if (keys.size === 0) {
    throw problem(
      `no storage master key found in ${config.storageKeysDir} (expected files named v1.key, v2.key, …)`,
    );
  }
  const seen = [...keys.entries()];
  for (const [index, [version, key]] of seen.entries()) {
    for (const [otherVersion, other] of seen.slice(index + 1)) {
      if (key.equals(other))
        throw problem(`storage master keys v${version} and v${otherVersion} are identical`);
    }
  }
  return keys;
}

function readRecoveryAgents(config: TokenCryptoConfig, warnings: string[]): ParsedCertificate[] {
  let files = config.recoveryCertificateFiles;
  if (files === null) {
    files = existsSync(config.recoveryDir)
      ? readdirSync(config.recoveryDir)
          .filter((name) => /\.(crt|pem|cer)$/.test(name))
          .sort()
          .map((name) => join(config.recoveryDir, name))
      : [];
  }
  const agents: ParsedCertificate[] = [];
  for (const file of files) {
    for (const der of readDerOrPem(
      readSecretFile(file, 'recovery agent certificate', []),
      ['CERTIFICATE'],
      'recovery agent certificate',
      file,
    )) {
      const certificate = parseCertificate(der);
      if (!certificate.ok) throw problem(`recovery agent certificate ${file}: ${certificate.error.message}`);
      const key = certificate.value.publicKey;
      const kind = key ? recipientKeyKind(key) : { error: 'its key algorithm is not supported' };
      if ('error' in kind)
        throw problem(`recovery agent certificate ${file} cannot receive envelopes: ${kind.error}`);
      if (isExpired(certificate.value, new Date())) {
        warnings.push(
          `recovery agent certificate ${certificate.value.thumbprint} expired on ${certificate.value.notAfter.toISOString()}`,
        );
      }
      agents.push(certificate.value);
    }
  }
  return agents;
}

/** Loads every key token-crypto needs, or throws a KEY_UNAVAILABLE RoamingError that says what is wrong. */
export function readKeyMaterial(config: TokenCryptoConfig): KeyMaterial {
  const warnings: string[] = [];
  const transport = readTransport(config, warnings);
  const storageMasterKeys = readStorageKeys(config, warnings);
  const versions = [...storageMasterKeys.keys()];
  const currentStorageKeyVersion = config.currentStorageKeyVersion ?? Math.max(...versions);
  if (!storageMasterKeys.has(currentStorageKeyVersion)) {
    throw problem(
      `CREDROAM_STORAGE_KEY_CURRENT is ${currentStorageKeyVersion}, but only versions ${versions.sort((a, b) => a - b).join(', ')} are loaded`,
    );
  }
  let hashKeyMaster: Buffer;
  if (config.hashKeyMasterInline !== null) {
    hashKeyMaster = parseMasterKeyText(config.hashKeyMasterInline, 'CREDROAM_HASH_KEY_MASTER');
  } else {
    const text = readSecretFile(config.hashKeyMasterFile, 'hash key master', warnings);
    hashKeyMaster = parseMasterKeyText(
      text.toString('latin1'),
      `hash key master ${config.hashKeyMasterFile}`,
    );
    wipe(text);
  }
  if ([...storageMasterKeys.values()].some((key) => key.equals(hashKeyMaster))) {
    throw problem('the hash key master must differ from every storage master key');
  }
  let serviceChannelKey: Buffer | null = null;
  if (config.serviceChannelKeyFile !== null) {
    const file = config.serviceChannelKeyFile;
    const text = readSecretFile(file, 'service channel key', warnings);
    serviceChannelKey = parseMasterKeyText(
      text.toString('latin1'),
      `service channel key ${file} (CREDROAM_SERVICE_CHANNEL_KEY_FILE)`,
    );
    wipe(text);
  }
  return {
    transport,
    storageMasterKeys,
    currentStorageKeyVersion,
    hashKeyMaster,
    recoveryAgents: readRecoveryAgents(config, warnings),
    serviceChannelKey,
    warnings,
  };
}

/**
 * Who besides the owner can read a key file. A group of this process's own is fine: Kubernetes mounts a Secret
 * root-owned, readable by the pod's fsGroup (mode 0440), which only this service's containers are in.
 */
function exposureOf(stats: { mode: number; gid: number }): string | null {
  if ((stats.mode & 0o007) !== 0) return 'others';
  if ((stats.mode & 0o070) === 0) return null;
  const groups = process.getgroups?.() ?? [];
  return groups.includes(stats.gid) || process.getgid?.() === stats.gid
    ? null
    : 'a group this service is not in';
}
