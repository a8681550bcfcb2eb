import { type KeyObject } from 'node:crypto';
import { fail, ok, type Result } from '@credroam/roaming';
import {
  decodePem,
  keyMatchesCertificate,
  looksLikePem,
  parseCertificate,
  parsePkcs12,
  parsePrivateKey,
  wipe,
  type ParsedCertificate,
} from '@credroam/sealing';

export interface RecoveryKey {
  privateKey: KeyObject;
  certificate?: ParsedCertificate;
}

/**
 * A recovery agent's key as administrators keep it: a PKCS#12 file (key and certificate, password protected) or
 * a PKCS#8 key (PEM or DER, plain or encrypted), optionally with the certificate in another file.
 */
export function readRecoveryKey(
  keyFile: Buffer,
  password: string | undefined,
  certificateFile?: Buffer,
): Result<RecoveryKey> {
  let certificate: ParsedCertificate | undefined;
  if (certificateFile) {
    const der = looksLikePem(certificateFile)
      ? firstBlock(certificateFile, 'CERTIFICATE')
      : ok(certificateFile);
    if (!der.ok) return der;
    const parsed = parseCertificate(der.value);
    if (!parsed.ok) return parsed;
    certificate = parsed.value;
  }
  let key: Result<RecoveryKey>;
  if (looksLikePem(keyFile)) {
    const blocks = decodePem(keyFile);
    if (!blocks.ok) return blocks;
    const block = blocks.value.find((candidate) => candidate.label.endsWith('PRIVATE KEY'));
    if (!block) return fail('INVALID_INPUT', 'the recovery key file holds no PRIVATE KEY block');
    const parsed = parsePrivateKey(block.der, password);
    wipe(block.der);
    key = parsed.ok ? ok({ privateKey: parsed.value.key }) : parsed;
  } else {
    const asKey = parsePrivateKey(keyFile, password);
    if (asKey.ok) key = ok({ privateKey: asKey.value.key });
    else {
      const bundle = parsePkcs12(keyFile, password ?? '');
      if (!bundle.ok) return bundle.error.code === 'CRYPTO_PARSE_FAILED' ? asKey : bundle;
      const [entry] = bundle.value.keys;
      if (!entry) return fail('INVALID_INPUT', 'the PKCS#12 file holds no private key');
      const own = bundle.value.certificates.find((candidate) =>
        keyMatchesCertificate(entry.value, candidate.value),
      );
      key = ok({ privateKey: entry.value.key, ...(own ? { certificate: own.value } : {}) });
    }
  }
  if (!key.ok) return key;
  const chosen = certificate ?? key.value.certificate;
  if (chosen && !keyMatchesCertificate(key.value.privateKey, chosen)) {
    return fail('KEY_MISMATCH', `the recovery key does not belong to certificate ${chosen.thumbprint}`);
  }
  return ok({ privateKey: key.value.privateKey, ...(chosen ? { certificate: chosen } : {}) });
}

function firstBlock(bytes: Buffer, label: string): Result<Buffer> {
  const blocks = decodePem(bytes);
  if (!blocks.ok) return blocks;
  const block = blocks.value.find((candidate) => candidate.label === label);
  return block ? ok(block.der) : fail('INVALID_INPUT', `no ${label} PEM block`);
}
