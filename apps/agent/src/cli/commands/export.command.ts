import { describeUntrusted, isSafeTokenId } from '@credroam/roaming';
import { EXPORT_KDF_ITERATIONS } from '@credroam/sealing';
import {
  findCertificateBundle,
  normalizeThumbprint,
  windowsCertificateBundles,
} from '../../export/certificate-bundle';
import { writeExportFile } from '../../export/export-file';
import { EXPORT_FORMATS, exportBytes, needsPassphrase, type ExportFormat } from '../../export/export-formats';
import { readPassword, type Command } from '../command';
import { EXIT, UsageError } from '../exit-codes';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a stored certificate or its key to a file (PEM, DER, PKCS#8, PKCS#12)',
  usage: `usage: credroam-agent export CERTIFICATE (--pem FILE | --der FILE | --pkcs8 FILE | --p12 FILE)
                            [--passphrase-stdin] [--force]

CERTIFICATE is a certificate's id, its SHA-1 thumbprint (any case, colons allowed: what "list" and
"openssl x509 -fingerprint" show). Exactly one output:
  --pem FILE     the certificate, PEM
  --der FILE     the certificate, DER
  --pkcs8 FILE   its private key, encrypted PKCS#8 (PEM), needs --passphrase-stdin
  --p12 FILE     the certificate with its key (when stored) as PKCS#12, needs --passphrase-stdin
  --passphrase-stdin  the passphrase protecting the key: the first line of standard input (PBES2:
                 PBKDF2-HMAC-SHA-256 with ${EXPORT_KDF_ITERATIONS.toLocaleString('en')} iterations, AES-256-CBC)
  --force        replace FILE if it exists (otherwise an existing file is refused)
A certificate roamed by a Windows client exports too (read-only, without its key, which is Windows-only).
Files are created with mode 0600. Reads the local store only: no login or server needed.`,
  options: {
    pem: { type: 'string' },
    der: { type: 'string' },
    pkcs8: { type: 'string' },
    p12: { type: 'string' },
    'passphrase-stdin': { type: 'boolean' },
    force: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1, names: 'CERTIFICATE' },
  async run(context, { values, positionals }) {
    const given = positionals[0] as string;
    const thumbprint = normalizeThumbprint(given);
    if (!isSafeTokenId('certificate', thumbprint)) {
      throw new UsageError(
        `${describeUntrusted(given)} is not a certificate id (its SHA-1 thumbprint, 40 hex digits)`,
      );
    }
    const outputs = EXPORT_FORMATS.filter((format) => values[format] !== undefined);
    if (outputs.length !== 1) {
      throw new UsageError('give exactly one of --pem, --der, --pkcs8, --p12');
    }
    const format = outputs[0] as ExportFormat;
    const file = values[format];
    if (typeof file !== 'string' || file.length === 0) throw new UsageError(`--${format} needs a file name`);
    const wantsPassphrase = values['passphrase-stdin'] === true;
    if (needsPassphrase(format) && !wantsPassphrase) {
      throw new UsageError(`--${format} exports a private key: --passphrase-stdin is required`);
    }
    if (!needsPassphrase(format) && wantsPassphrase) {
      throw new UsageError(`--${format} writes the certificate only; --passphrase-stdin does not apply`);
    }
    const store = context.store();
    const windows = findCertificateBundle(store.tokens, thumbprint)
      ? null
      : (windowsCertificateBundles(store.windows.read()).find((b) => b.thumbprint === thumbprint) ?? null);
    const bundle = findCertificateBundle(store.tokens, thumbprint) ?? windows;
    if (!bundle) {
      context.io.stderr(`no certificate ${thumbprint} in the store\n`);
      return EXIT.failed;
    }
    if (format === 'pkcs8' && !bundle.privateKey) {
      context.io.stderr(
        windows
          ? `certificate ${thumbprint} was roamed by a Windows client: its private key is Windows-only\n`
          : `certificate ${thumbprint} has no private key in the store\n`,
      );
      return EXIT.failed;
    }
    let protection = null;
    if (wantsPassphrase) {
      const password = await readPassword(context);
      if (password.length === 0) throw new UsageError('the passphrase on standard input is empty');
      protection = { password };
    }
    writeExportFile(file, exportBytes(bundle, format, protection), values.force === true);
    const what =
      format === 'pkcs8'
        ? 'private key'
        : format === 'p12' && bundle.privateKey
          ? 'certificate and private key'
          : 'certificate';
    context.io.stdout(`exported ${what} of ${thumbprint} to ${file}\n`);
    return EXIT.ok;
  },
};
