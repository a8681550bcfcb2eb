import {
  credentialDescriptionSchema,
  fail,
  ok,
  parseWith,
  type CredentialDescription,
  type Result,
  type RpcRequest,
} from '@credroam/roaming';
import {
  certificateFacts,
  clipCertificateName,
  contractKeySize,
  isExpired,
  keyMatchesCertificate,
  openSecret,
  SECRET_PURPOSES,
  wipe,
  type ParsedCertificate,
} from '@credroam/sealing';
import { type KeyRepository } from '../keys/key.repository';
import { readCredentialFile, type CredentialFile } from './credential-file.reader';

type Request = RpcRequest<'crypto.inspect'>;

const NO_CERTIFICATE = {
  subject: null,
  issuer: null,
  serialNumber: null,
  notBefore: null,
  notAfter: null,
  thumbprint: null,
  expired: null,
} as const;

/**
 * crypto.inspect: what a certificate, key, request or PKCS#12 file is, for import and for the admin CLI. The file's
 * password, when it needs one, arrives as a secret envelope (purpose "inspect-password") sealed to the transport
 * certificate. Malformed input of any kind is a typed error.
 */
export class InspectService {
  constructor(
    private readonly keys: KeyRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  inspect(request: Request): Result<CredentialDescription> {
    let password: string | undefined;
    if (request.passwordEnvelope !== undefined) {
      const opened = openSecret(
        SECRET_PURPOSES.inspectPassword,
        Buffer.from(request.passwordEnvelope, 'base64'),
        this.keys.transportKeys(),
      );
      if (!opened.ok) return opened;
      password = opened.value.toString('utf8');
      wipe(opened.value);
    }
    const file = readCredentialFile(Buffer.from(request.data, 'base64'), request.format, password);
    if (!file.ok) return file;
    const description = this.describe(file.value);
    if (!description.ok) return description;
    // The reply must satisfy the contract; a value outside it here is a bug, not the caller's problem.
    const checked = parseWith(credentialDescriptionSchema, description.value, 'INTERNAL');
    return checked.ok
      ? checked
      : fail('INTERNAL', `inspect produced an invalid description: ${checked.error.message}`);
  }

  describe(file: CredentialFile): Result<CredentialDescription> {
    const { certificates, keys, requests } = file;
    const pkcs12 = file.container === 'pkcs12';
    if (certificates.length > 0) {
      const certificate =
        file.pairedCertificate ??
        certificates.find((candidate) => keys.some((key) => keyMatchesCertificate(key, candidate))) ??
        (certificates[0] as ParsedCertificate);
      const described = this.describeCertificate(certificate);
      if (!described.ok) return described;
      return ok({
        kind: pkcs12 ? 'pkcs12' : 'certificate',
        ...described.value,
        ...(keys.length > 0
          ? { keyMatchesCertificate: keys.some((key) => keyMatchesCertificate(key, certificate)) }
          : {}),
      });
    }
    const [key] = keys;
    if (key) {
      return ok({
        kind: pkcs12 ? 'pkcs12' : 'private-key',
        ...NO_CERTIFICATE,
        keyAlgorithm: key.keyAlgorithm,
        keySize: contractKeySize(key.keySize),
      });
    }
    const [certificateRequest] = requests;
    if (certificateRequest) {
      return ok({
        kind: 'certificate-request',
        ...NO_CERTIFICATE,
        subject: clipCertificateName(certificateRequest.subject),
        keyAlgorithm: certificateRequest.keyAlgorithm,
        keySize: contractKeySize(certificateRequest.keySize),
      });
    }
    return fail('CRYPTO_PARSE_FAILED', 'the file holds no certificate, private key or request');
  }

  private describeCertificate(
    certificate: ParsedCertificate,
  ): Result<Omit<CredentialDescription, 'kind' | 'keyMatchesCertificate'>> {
    const facts = certificateFacts(certificate);
    if (!facts.ok) return facts;
    const { subject, issuer, serialNumber, notBefore, notAfter, keyAlgorithm, keySize } = facts.value;
    return ok({
      subject,
      issuer,
      serialNumber,
      notBefore,
      notAfter,
      thumbprint: certificate.thumbprint,
      keyAlgorithm,
      keySize,
      expired: isExpired(certificate, this.now()),
    });
  }
}
