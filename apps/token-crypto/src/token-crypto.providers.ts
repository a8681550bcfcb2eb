import { type Provider } from '@nestjs/common';
import { InspectService } from './inspect/inspect.service';
import { KeyRepository } from './keys/key.repository';
import { ResealPasswordService } from './password/reseal-password.service';
import { ResealService } from './sealing/reseal.service';
import { SealForDeviceService } from './sealing/seal-for-device.service';
import { SealForStorageService } from './sealing/seal-for-storage.service';
import { TransportCertificateService } from './transport/transport-certificate.service';

/**
 * token-crypto's use-cases over one key repository, one provider each. The module serves them to its handlers;
 * integration suites compile the same list into a testing module.
 */
export function tokenCryptoProviders(keys: KeyRepository, now: () => Date = () => new Date()): Provider[] {
  const overKeys = <T>(use: new (keys: KeyRepository) => T): Provider => ({
    provide: use,
    inject: [KeyRepository],
    useFactory: (store: KeyRepository) => new use(store),
  });
  return [
    { provide: KeyRepository, useValue: keys },
    overKeys(TransportCertificateService),
    overKeys(SealForStorageService),
    overKeys(SealForDeviceService),
    overKeys(ResealService),
    {
      provide: InspectService,
      inject: [KeyRepository],
      useFactory: (store: KeyRepository) => new InspectService(store, now),
    },
    {
      provide: ResealPasswordService,
      inject: [KeyRepository],
      useFactory: (store: KeyRepository) => new ResealPasswordService(store, () => now().getTime()),
    },
  ];
}
