import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { RoamingError } from '@credroam/roaming';
import { createSelfSignedCertificate, type ParsedCertificate } from '@credroam/sealing';
import { KeyRepository } from './key.repository';

export interface EphemeralKeyStoreOptions {
  transportKeyBits?: number;
  /** Storage master key versions to create; the highest is current unless `current` says otherwise. */
  storageKeyVersions?: number[];
  current?: number;
  recoveryAgents?: ParsedCertificate[];
  /** Reuse master keys (e.g. to model two replicas, or a replica restarted with one more version). */
  storageMasterKeys?: Map<number, Buffer>;
  hashKeyMaster?: Buffer;
  /** The service channel key for crypto.reseal-password; none by default. */
  serviceChannelKey?: Buffer;
}

/**
 * A KeyRepository of freshly generated keys that exist only in this process: for benchmarks and tests, which need the
 * real algorithms without key files. The service itself only ever loads keys through readKeyMaterial.
 */
export function createEphemeralKeyStore(options: EphemeralKeyStoreOptions = {}): KeyRepository {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: options.transportKeyBits ?? 2048 });
  const now = Date.now();
  const certificate = createSelfSignedCertificate(privateKey, {
    commonName: 'credroam token-crypto transport (ephemeral)',
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 365 * 86_400_000),
  });
  if (!certificate.ok) throw RoamingError.fromInfo(certificate.error);
  // Copies: closing one store zeroes its keys and must not zero another's.
  const storageMasterKeys = options.storageMasterKeys
    ? new Map([...options.storageMasterKeys].map(([version, key]) => [version, Buffer.from(key)] as const))
    : new Map((options.storageKeyVersions ?? [1]).map((version) => [version, randomBytes(32)] as const));
  return new KeyRepository({
    transport: { certificate: certificate.value, privateKey },
    storageMasterKeys,
    currentStorageKeyVersion: options.current ?? Math.max(...storageMasterKeys.keys()),
    hashKeyMaster: options.hashKeyMaster ? Buffer.from(options.hashKeyMaster) : randomBytes(32),
    recoveryAgents: options.recoveryAgents ?? [],
    serviceChannelKey: options.serviceChannelKey ? Buffer.from(options.serviceChannelKey) : null,
  });
}
