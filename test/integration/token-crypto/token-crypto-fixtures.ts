// Shared by the token-crypto suites: a key directory written by generate-keys, recovery agents made by the openssl
// binary, and the service's use-cases over the keys loaded from that directory (as the service loads them).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { loadTokenCryptoConfig } from '../../../apps/token-crypto/src/config/token-crypto.config';
import { generateKeys } from '../../../apps/token-crypto/src/keys/key-generator';
import { readKeyMaterial } from '../../../apps/token-crypto/src/keys/key-material.reader';
import { KeyRepository } from '../../../apps/token-crypto/src/keys/key.repository';
import { tokenCryptoProviders } from '../../../apps/token-crypto/src/token-crypto.providers';
import { InspectService } from '../../../apps/token-crypto/src/inspect/inspect.service';
import { ResealPasswordService } from '../../../apps/token-crypto/src/password/reseal-password.service';
import { ResealService } from '../../../apps/token-crypto/src/sealing/reseal.service';
import { SealForDeviceService } from '../../../apps/token-crypto/src/sealing/seal-for-device.service';
import { SealForStorageService } from '../../../apps/token-crypto/src/sealing/seal-for-storage.service';
import { TransportCertificateService } from '../../../apps/token-crypto/src/transport/transport-certificate.service';
import { openssl, type GeneratedCertificate, type OpensslWorkspace } from '../../helpers/openssl';

export interface Installation {
  keyDir: string;
  keys: KeyRepository;
  services: TokenCryptoUseCases;
  recoveryRsa: GeneratedCertificate;
  recoveryEc: GeneratedCertificate;
}

/** generate-keys into the workspace, two recovery agents (RSA and P-256) made by openssl, keys loaded. */
export async function install(workspace: OpensslWorkspace): Promise<Installation> {
  const keyDir = join(workspace.dir, 'keys');
  generateKeys(keyDir, { transportKeyBits: 2048 });
  const recoveryRsa = await workspace.selfSignedCertificate({ subject: '/CN=credroam recovery agent' });
  const recoveryEc = await workspace.selfSignedCertificate({
    algorithm: 'p-256',
    subject: '/CN=credroam recovery EC',
  });
  mkdirSync(join(keyDir, 'recovery'));
  copyFileSync(recoveryRsa.certFile, join(keyDir, 'recovery', 'rsa.crt'));
  copyFileSync(recoveryEc.certFile, join(keyDir, 'recovery', 'ec.crt'));
  const keys = new KeyRepository(readKeyMaterial(loadTokenCryptoConfig({ CREDROAM_KEY_DIR: keyDir })));
  return { keyDir, keys, services: await tokenCryptoUseCases(keys), recoveryRsa, recoveryEc };
}

/** token-crypto's use-cases, wired by the same provider list as the running service. */
export interface TokenCryptoUseCases {
  transportCertificate: TransportCertificateService;
  inspect: InspectService;
  sealForStorage: SealForStorageService;
  sealForDevice: SealForDeviceService;
  reseal: ResealService;
  resealPassword: ResealPasswordService;
}

async function tokenCryptoUseCases(keys: KeyRepository): Promise<TokenCryptoUseCases> {
  const module = await Test.createTestingModule({ providers: tokenCryptoProviders(keys) }).compile();
  return {
    transportCertificate: module.get(TransportCertificateService),
    inspect: module.get(InspectService),
    sealForStorage: module.get(SealForStorageService),
    sealForDevice: module.get(SealForDeviceService),
    reseal: module.get(ResealService),
    resealPassword: module.get(ResealPasswordService),
  };
}

/** Writes bytes into the workspace and returns the path. */
export function put(workspace: OpensslWorkspace, name: string, bytes: Buffer | string): string {
  const file = join(workspace.dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** `openssl cms -decrypt` of a DER envelope with extra arguments (-inkey, -secretkey …). */
export function cmsDecrypt(workspace: OpensslWorkspace, envelope: Buffer, args: string[]): Promise<Buffer> {
  const file = put(workspace, `envelope-${Math.random().toString(36).slice(2)}.der`, envelope);
  return openssl(['cms', '-decrypt', '-inform', 'DER', '-in', file, ...args]);
}
