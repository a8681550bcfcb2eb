import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { parseWith, RoamingError } from '@credroam/roaming';

/**
 * token-crypto's configuration: where its keys are. Every key is read from a file (mounted secret) or, for the
 * symmetric master keys, from an environment variable (secret reference); nothing else about keys is
 * configurable, so there is nothing to get subtly wrong. `token-crypto generate-keys --dir DIR` writes the
 * layout below once; CREDROAM_KEY_DIR=DIR then finds everything.
 *
 *   DIR/transport.key                 PKCS#8 PEM, the key agents seal uploads to
 *   DIR/transport.crt                 its self-signed certificate
 *   DIR/storage-master-keys/vN.key    storage master key version N (32 random bytes, base64)
 *   DIR/hash-key-master.key           the master of every user's token hash key (32 random bytes, base64)
 *   DIR/recovery/*.crt                optional key-recovery-agent certificates (PEM)
 */
export interface TokenCryptoConfig {
  transportKeyFile: string;
  transportCertificateFile: string;
  storageKeysDir: string;
  /** Inline storage master keys ("1:<base64>,2:<base64>"); when set, storageKeysDir is not read. */
  storageMasterKeysInline: string | null;
  /** The version new values are sealed under; null = the highest present. */
  currentStorageKeyVersion: number | null;
  hashKeyMasterFile: string;
  hashKeyMasterInline: string | null;
  /** Explicit recovery certificate files; null = every *.crt / *.pem in recoveryDir. */
  recoveryCertificateFiles: string[] | null;
  recoveryDir: string;
  /**
   * The key shared with logon-events and directory-gateway (base64, 32 bytes); null = no
   * crypto.reseal-password, which then answers KEY_UNAVAILABLE.
   */
  serviceChannelKeyFile: string | null;
}

/** Environment variables holding key material inline: scrub them from the environment once read. */
export const SECRET_ENV_VARIABLES = ['CREDROAM_STORAGE_MASTER_KEYS', 'CREDROAM_HASH_KEY_MASTER'] as const;

const path = z.string().min(1).max(4096);
const envSchema = z.object({
  CREDROAM_KEY_DIR: path.default('.credroam/keys/token-crypto'),
  CREDROAM_TRANSPORT_KEY_FILE: path.optional(),
  CREDROAM_TRANSPORT_CERT_FILE: path.optional(),
  CREDROAM_STORAGE_KEYS_DIR: path.optional(),
  CREDROAM_STORAGE_MASTER_KEYS: z.string().min(1).optional(),
  CREDROAM_STORAGE_KEY_CURRENT: z.coerce.number().int().min(1).max(0xffff_ffff).optional(),
  CREDROAM_HASH_KEY_MASTER_FILE: path.optional(),
  CREDROAM_HASH_KEY_MASTER: z.string().min(1).optional(),
  CREDROAM_RECOVERY_CERT_FILES: z.string().optional(),
  CREDROAM_SERVICE_CHANNEL_KEY_FILE: path.optional(),
});

/** Reads and validates the environment; every problem is reported by variable name. */
export function loadTokenCryptoConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): TokenCryptoConfig {
  const parsed = parseWith(envSchema, env, 'INVALID_INPUT');
  if (!parsed.ok)
    throw new RoamingError('INVALID_INPUT', `token-crypto configuration: ${parsed.error.message}`);
  const values = parsed.value;
  const dir = absolute(values.CREDROAM_KEY_DIR, cwd);
  const file = (explicit: string | undefined, name: string) =>
    explicit ? absolute(explicit, cwd) : join(dir, name);
  const recoveryFiles = values.CREDROAM_RECOVERY_CERT_FILES?.split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => absolute(entry, cwd));
  return {
    transportKeyFile: file(values.CREDROAM_TRANSPORT_KEY_FILE, 'transport.key'),
    transportCertificateFile: file(values.CREDROAM_TRANSPORT_CERT_FILE, 'transport.crt'),
    storageKeysDir: file(values.CREDROAM_STORAGE_KEYS_DIR, 'storage-master-keys'),
    storageMasterKeysInline: values.CREDROAM_STORAGE_MASTER_KEYS ?? null,
    currentStorageKeyVersion: values.CREDROAM_STORAGE_KEY_CURRENT ?? null,
    hashKeyMasterFile: file(values.CREDROAM_HASH_KEY_MASTER_FILE, 'hash-key-master.key'),
    hashKeyMasterInline: values.CREDROAM_HASH_KEY_MASTER ?? null,
    recoveryCertificateFiles:
      values.CREDROAM_RECOVERY_CERT_FILES === undefined ? null : (recoveryFiles ?? []),
    recoveryDir: join(dir, 'recovery'),
    serviceChannelKeyFile: values.CREDROAM_SERVICE_CHANNEL_KEY_FILE
      ? absolute(values.CREDROAM_SERVICE_CHANNEL_KEY_FILE, cwd)
      : null,
  };
}

function absolute(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}
