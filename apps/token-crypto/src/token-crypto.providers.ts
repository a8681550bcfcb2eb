import { type Provider } from '@nestjs/common';
import { InspectService } from './inspect/inspect.service';
import { KeyStore } from './keys/key-store';
import { ResealPasswordService } from './password/reseal-password.service';
import { ResealService } from './sealing/reseal.service';
import { SealForDeviceService } from './sealing/seal-for-device.service';
import { SealForStorageService } from './sealing/seal-for-storage.service';
import { TransportCertificateService } from './transport/transport-certificate.service';

/**
 * token-crypto's use-cases over one key store, one provider each. The module serves them to its handlers;
 * integration suites compile the same list into a testing module.
 */
export function tokenCryptoProviders(keys: KeyStore, now: () => Date = () => new Date()): Provider[] {
  const overKeys = <T>(use: new (keys: KeyStore) => T): Provider => ({
    provide: use,
    inject: [KeyStore],
    useFactory: (store: KeyStore) => new use(store),
  });
  return [
    { provide: KeyStore, useValue: keys },
    overKeys(TransportCertificateService),
    overKeys(SealForStorageService),
    overKeys(SealForDeviceService),
    overKeys(ResealService),
    {
      provide: InspectService,
      inject: [KeyStore],
      useFactory: (store: KeyStore) => new InspectService(store, now),
    },
    {
      provide: ResealPasswordService,
      inject: [KeyStore],
      useFactory: (store: KeyStore) => new ResealPasswordService(store, () => now().getTime()),
    },
  ];
}
