import { ok, type Result, type RpcResponse } from '@credroam/roaming';
import { type KeyRepository } from '../keys/key.repository';

/** crypto.transport-certificate: the certificate agents seal uploads (and secrets) to, and its thumbprint to pin. */
export class TransportCertificateService {
  constructor(private readonly keys: KeyRepository) {}

  get(): Result<RpcResponse<'crypto.transport-certificate'>> {
    return ok({
      certificatePem: this.keys.transportCertificatePem,
      thumbprint: this.keys.transportCertificate.thumbprint,
    });
  }
}
