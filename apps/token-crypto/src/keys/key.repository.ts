import { hkdfSync } from 'node:crypto';
import { fail, ok, RoamingError, type Result } from '@credroam/roaming';
import {
  deriveStorageKeys,
  encodePem,
  wipe,
  type OpeningKey,
  type ParsedCertificate,
  type StorageKeys,
} from '@credroam/sealing';
import { type KeyMaterial } from './key-material.reader';

/** A summary safe to log and report: versions and thumbprints, never key bytes. */
export interface KeyStoreSummary {
  transportThumbprint: string;
  transportNotAfter: string;
  storageKeyVersions: number[];
  currentStorageKeyVersion: number;
  recoveryAgents: string[];
}

const HASH_KEY_SALT = Buffer.from('credroam/hash-key/v1', 'ascii');

/**
 * The one place token-crypto's keys live. Services ask it for per-user keys derived on demand (and wipe them
 * after use); the master keys never leave it and are zeroed on close(). Private keys are node KeyObjects, which
 * OpenSSL holds outside the JS heap and frees when they are collected; JavaScript cannot zero them.
 */
export class KeyRepository {
  private closed = false;
  private readonly transportPem: string;

  constructor(private readonly material: Omit<KeyMaterial, 'warnings'>) {
    this.transportPem = encodePem('CERTIFICATE', material.transport.certificate.der);
  }

  get currentKeyVersion(): number {
    return this.material.currentStorageKeyVersion;
  }

  get transportCertificate(): ParsedCertificate {
    return this.material.transport.certificate;
  }

  get transportCertificatePem(): string {
    return this.transportPem;
  }

  get recoveryAgents(): readonly ParsedCertificate[] {
    return this.material.recoveryAgents;
  }

  /** What opens envelopes sealed to the transport certificate. */
  transportKeys(): OpeningKey[] {
    this.assertOpen();
    return [
      { privateKey: this.material.transport.privateKey, certificate: this.material.transport.certificate },
    ];
  }

  /** What seals secrets for directory-gateway; KEY_UNAVAILABLE without CREDROAM_SERVICE_CHANNEL_KEY_FILE. */
  serviceChannelKey(): Result<Buffer> {
    this.assertOpen();
    const key = this.material.serviceChannelKey;
    return key
      ? ok(key)
      : fail('KEY_UNAVAILABLE', 're-sealing passwords needs CREDROAM_SERVICE_CHANNEL_KEY_FILE');
  }

  hasKeyVersion(version: number): boolean {
    return this.material.storageMasterKeys.has(version);
  }

  /** The user's storage KEK and MAC key for a master key version; KEY_UNAVAILABLE when that version is not held. */
  storageKeys(version: number, stableId: string): Result<StorageKeys> {
    this.assertOpen();
    const master = this.material.storageMasterKeys.get(version);
    if (!master) {
      return fail('KEY_UNAVAILABLE', `storage master key version ${version} is not loaded`, {
        keyVersion: version,
      });
    }
    return ok(deriveStorageKeys(master, version, stableId));
  }

  /**
   * The user's token hash key: HKDF-SHA-256(hash key master, salt "credroam/hash-key/v1",
   * info "credroam/hash-key" 0x00 stableId, 32). Never rotated: every hash in the directory depends on it.
   */
  hashKey(stableId: string): Buffer {
    this.assertOpen();
    const info = Buffer.concat([Buffer.from('credroam/hash-key\0', 'ascii'), Buffer.from(stableId, 'utf8')]);
    return Buffer.from(hkdfSync('sha256', this.material.hashKeyMaster, HASH_KEY_SALT, info, 32));
  }

  summary(): KeyStoreSummary {
    const { transport, storageMasterKeys, currentStorageKeyVersion, recoveryAgents } = this.material;
    return {
      transportThumbprint: transport.certificate.thumbprint,
      transportNotAfter: transport.certificate.notAfter.toISOString(),
      storageKeyVersions: [...storageMasterKeys.keys()].sort((a, b) => a - b),
      currentStorageKeyVersion,
      recoveryAgents: recoveryAgents.map((agent) => agent.thumbprint),
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Zeroes the master keys; every later use fails loudly instead of deriving from zeros. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const key of this.material.storageMasterKeys.values()) wipe(key);
    wipe(this.material.hashKeyMaster, this.material.serviceChannelKey);
  }

  private assertOpen(): void {
    if (this.closed) throw new RoamingError('SERVICE_UNAVAILABLE', 'token-crypto is shutting down');
  }
}
