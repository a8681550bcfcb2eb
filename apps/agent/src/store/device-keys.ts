import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RoamingError } from '@credroam/roaming';
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

  /**
   * The key pair, parsed on first use: most syncs over HTTP download nothing and never need it, and importing the
   * key is a good part of what a logon costs the workstation. A file that turns out not to be a key then fails
   * that use with UNAUTHENTICATED; null when there is no key file.
   */
  load(): DeviceKeyPair | null {
    const pem = this.readPem();
    return pem === null ? null : lazyPairOf(pem);
  }

  loadOrCreate(kind: DeviceKeyKind = 'p-256'): DeviceKeyPair {
    const stored = this.readPem();
    const existing = stored === null ? null : parsedPair(stored);
    if (existing) return existing;
    const { privateKey } =
      kind === 'p-256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 3072 });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
    this.writer.write(this.layout.deviceKeyFile, pem, 0o600);
    return pairOf(privateKey);
  }

  private readPem(): string | null {
    try {
      return readFileSync(this.layout.deviceKeyFile, 'utf8');
    } catch {
      return null;
    }
  }
}

function parsedPair(pem: string): DeviceKeyPair | null {
  try {
    return pairOf(createPrivateKey({ key: pem, format: 'pem' }));
  } catch {
    return null;
  }
}

function lazyPairOf(pem: string): DeviceKeyPair {
  let pair: DeviceKeyPair | undefined;
  const parsed = (): DeviceKeyPair => {
    pair ??= parsedPair(pem) ?? undefined;
    if (!pair)
      throw new RoamingError('UNAUTHENTICATED', 'the device key is unreadable: run "credroam-agent login"');
    return pair;
  };
  return {
    get privateKey() {
      return parsed().privateKey;
    },
    get publicKey() {
      return parsed().publicKey;
    },
    get spki() {
      return parsed().spki;
    },
  };
}

function pairOf(privateKey: KeyObject): DeviceKeyPair {
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, spki: spkiDer(publicKey) };
}
