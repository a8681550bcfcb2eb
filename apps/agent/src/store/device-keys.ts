import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { spkiDer } from '@credroam/sealing';
import { type AtomicFileWriter } from './atomic-file.writer';
import { type StoreLayout } from './store-layout';

export type DeviceKeyKind = 'p-256' | 'rsa-3072';

export interface DeviceKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo, as login registers it. */
  spki: Buffer;
}

/**
 * The workstation's device key pair: downloads and the user's hash key are sealed to its public half. Generated
 * at first login; the private key is a PKCS#8 PEM file of mode 0600 that never leaves the store.
 */
export class DeviceKeys {
  constructor(
    private readonly layout: StoreLayout,
    private readonly writer: AtomicFileWriter,
  ) {}

  load(): DeviceKeyPair | null {
    let pem: string;
    try {
      pem = readFileSync(this.layout.deviceKeyFile, 'utf8');
    } catch {
      return null;
    }
    try {
      return pairOf(createPrivateKey({ key: pem, format: 'pem' }));
    } catch {
      return null;
    }
  }

  loadOrCreate(kind: DeviceKeyKind = 'p-256'): DeviceKeyPair {
    const existing = this.load();
    if (existing) return existing;
    const { privateKey } =
      kind === 'p-256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 3072 });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
    this.writer.write(this.layout.deviceKeyFile, pem, 0o600);
    return pairOf(privateKey);
  }
}

function pairOf(privateKey: KeyObject): DeviceKeyPair {
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, spki: spkiDer(publicKey) };
}
