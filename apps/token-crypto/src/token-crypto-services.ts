import { InspectService } from './inspect/inspect.service';
import { type KeyStore } from './keys/key-store';
import { ResealPasswordService } from './password/reseal-password.service';
import { ResealService } from './sealing/reseal.service';
import { SealForDeviceService } from './sealing/seal-for-device.service';
import { SealForStorageService } from './sealing/seal-for-storage.service';
import { TransportCertificateService } from './transport/transport-certificate.service';

/** token-crypto's use-cases over one key store: what the Nest module provides, and what tests and the bench build. */
export interface TokenCryptoServices {
  keys: KeyStore;
  transportCertificate: TransportCertificateService;
  inspect: InspectService;
  sealForStorage: SealForStorageService;
  sealForDevice: SealForDeviceService;
  reseal: ResealService;
  resealPassword: ResealPasswordService;
}

export function createTokenCryptoServices(
  keys: KeyStore,
  now: () => Date = () => new Date(),
): TokenCryptoServices {
  return {
    keys,
    transportCertificate: new TransportCertificateService(keys),
    inspect: new InspectService(keys, now),
    sealForStorage: new SealForStorageService(keys),
    sealForDevice: new SealForDeviceService(keys),
    reseal: new ResealService(keys),
    resealPassword: new ResealPasswordService(keys, () => now().getTime()),
  };
}
