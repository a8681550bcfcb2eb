import { fail, ok, type Result, type TokenMeta } from '@credroam/roaming';
import {
  checkKeyMatchesCertificate,
  isEncryptedPrivateKey,
  parseCertificate,
  parseCertificationRequest,
  parsePrivateKey,
  type ParsedCertificate,
} from '@credroam/sealing';

/**
 * What a token's content must be, by type, before it is sealed for storage:
 * - certificate: one DER X.509 certificate whose SHA-1 thumbprint is the token id (THUMBPRINT_MISMATCH);
 * - private-key: one plain DER PKCS#8 key (the envelope protects it), which must belong to its linked certificate
 *   when that certificate is in the same batch (KEY_MISMATCH);
 * - certificate-request: one DER PKCS#10 request;
 * - master-key and stored-credential: opaque bytes, checked only by hash and size.
 */
export function validateTokenContent(
  token: TokenMeta,
  content: Buffer,
  batchCertificates: ReadonlyMap<string, ParsedCertificate>,
): Result<{ certificate?: ParsedCertificate }> {
  switch (token.type) {
    case 'certificate': {
      const certificate = parseCertificate(content);
      if (!certificate.ok) return certificate;
      if (certificate.value.thumbprint !== token.id) {
        return fail(
          'THUMBPRINT_MISMATCH',
          `certificate id ${token.id} is not the certificate's thumbprint ${certificate.value.thumbprint}`,
          { thumbprint: certificate.value.thumbprint },
        );
      }
      return ok({ certificate: certificate.value });
    }
    case 'private-key': {
      if (isEncryptedPrivateKey(content)) {
        return fail(
          'INVALID_INPUT',
          'a private-key token carries a plain PKCS#8 key (its envelope protects it)',
        );
      }
      const key = parsePrivateKey(content);
      if (!key.ok) return key;
      const linked = token.linkedCertificate ? batchCertificates.get(token.linkedCertificate) : undefined;
      if (linked) {
        const matches = checkKeyMatchesCertificate(key.value, linked);
        if (!matches.ok) return matches;
      }
      return ok({});
    }
    case 'certificate-request': {
      const request = parseCertificationRequest(content);
      return request.ok ? ok({}) : request;
    }
    case 'master-key':
    case 'stored-credential':
      return ok({});
  }
}
