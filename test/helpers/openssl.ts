// Test fixtures made by the openssl binary (keys, self-signed certificates, CSRs, PKCS#12), so no opaque blobs
// are checked in and the formats are exactly what OpenSSL produces.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** rsa-1024 only for weak-key fixtures (the fleet inventory flags it). */
export type KeyAlgorithm = 'rsa-2048' | 'rsa-1024' | 'p-256';

export interface GeneratedKey {
  keyFile: string;
  /** PKCS#8 PEM (BEGIN PRIVATE KEY), unencrypted. */
  keyPem: string;
  /** PKCS#8 DER. */
  keyDer: Buffer;
}

export interface GeneratedCertificate extends GeneratedKey {
  certFile: string;
  certPem: string;
  certDer: Buffer;
  /** SHA-1 of the DER as 40 upper-case hex digits (Windows' thumbprint), from `openssl x509 -fingerprint -sha1`. */
  thumbprint: string;
}

export interface GeneratedRequest extends GeneratedKey {
  csrFile: string;
  csrPem: string;
  csrDer: Buffer;
}

export interface CertificateOptions {
  algorithm?: KeyAlgorithm;
  /** OpenSSL form, default "/CN=credroam test". */
  subject?: string;
  days?: number;
  /** The signature's digest, default OpenSSL's (SHA-256); sha1 for weak-signature fixtures. */
  digest?: 'sha1' | 'sha256' | 'sha384';
}

export interface Pkcs12Options {
  password: string;
  /** Friendly name shown by Windows' certificate store. */
  name?: string;
  /** 3DES/SHA-1 instead of OpenSSL 3's AES-256/PBKDF2, for consumers (older Windows) that need it. */
  legacy?: boolean;
}

/** Runs openssl with arguments (never through a shell); rejects with its stderr. */
export async function openssl(args: string[], cwd?: string): Promise<Buffer> {
  try {
    const { stdout } = await execFileAsync('openssl', args, { cwd, encoding: 'buffer', maxBuffer: 16 << 20 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl ${args[0]} failed: ${stderr || (error as Error).message}`, { cause: error });
  }
}

const keyArgs: Record<KeyAlgorithm, string[]> = {
  'rsa-2048': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  'rsa-1024': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
  'p-256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
};

/** A temporary directory of generated fixtures; dispose() removes it. */
export class OpensslWorkspace {
  private counter = 0;

  private constructor(readonly dir: string) {}

  static async create(): Promise<OpensslWorkspace> {
    return new OpensslWorkspace(await mkdtemp(join(tmpdir(), 'credroam-openssl-')));
  }

  private file(stem: string, extension: string): string {
    this.counter += 1;
    return join(this.dir, `${stem}-${this.counter}.${extension}`);
  }

  async generateKey(algorithm: KeyAlgorithm = 'rsa-2048'): Promise<GeneratedKey> {
    const keyFile = this.file('key', 'pem');
    await openssl(['genpkey', ...keyArgs[algorithm], '-out', keyFile]);
    return this.readKey(keyFile);
  }

  async selfSignedCertificate(options: CertificateOptions = {}): Promise<GeneratedCertificate> {
    const key = await this.generateKey(options.algorithm);
    const certFile = this.file('cert', 'pem');
    await openssl(
      ['req', '-new', '-x509', '-key', key.keyFile, '-out', certFile].concat([
        '-subj',
        options.subject ?? '/CN=credroam test',
        '-days',
        String(options.days ?? 30),
        ...(options.digest ? [`-${options.digest}`] : []),
      ]),
    );
    const certPem = await readFile(certFile, 'utf8');
    const certDer = await openssl(['x509', '-in', certFile, '-outform', 'DER']);
    return { ...key, certFile, certPem, certDer, thumbprint: await this.thumbprint(certFile) };
  }

  async certificateRequest(options: Omit<CertificateOptions, 'days'> = {}): Promise<GeneratedRequest> {
    const key = await this.generateKey(options.algorithm);
    const csrFile = this.file('request', 'pem');
    await openssl(
      ['req', '-new', '-key', key.keyFile, '-out', csrFile].concat([
        '-subj',
        options.subject ?? '/CN=credroam test',
      ]),
    );
    const csrPem = await readFile(csrFile, 'utf8');
    const csrDer = await openssl(['req', '-in', csrFile, '-outform', 'DER']);
    return { ...key, csrFile, csrPem, csrDer };
  }

  /** PKCS#12 (PFX) of a certificate and its key; returns the DER bytes and the file. */
  async pkcs12(
    certificate: GeneratedCertificate,
    options: Pkcs12Options,
  ): Promise<{ file: string; der: Buffer }> {
    const file = this.file('bundle', 'p12');
    const passwordFile = this.file('password', 'txt');
    // The password goes through a file so it never appears in a process listing.
    await writeFile(passwordFile, options.password, { mode: 0o600 });
    const legacy = options.legacy
      ? ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']
      : [];
    await openssl(
      ['pkcs12', '-export', '-in', certificate.certFile, '-inkey', certificate.keyFile, '-out', file].concat([
        '-passout',
        `file:${passwordFile}`,
        '-name',
        options.name ?? 'credroam test',
        ...legacy,
      ]),
    );
    return { file, der: await readFile(file) };
  }

  /** Windows-style thumbprint (upper-case hex SHA-1 of the DER) of a PEM certificate file. */
  async thumbprint(certFile: string): Promise<string> {
    const output = (await openssl(['x509', '-in', certFile, '-noout', '-fingerprint', '-sha1'])).toString();
    const match = /Fingerprint=([0-9A-F:]+)/i.exec(output);
    if (!match?.[1]) throw new Error(`unexpected openssl fingerprint output: ${output}`);
    return match[1].replace(/:/g, '').toUpperCase();
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private async readKey(keyFile: string): Promise<GeneratedKey> {
    const keyPem = await readFile(keyFile, 'utf8');
    const keyDer = await openssl(['pkey', '-in', keyFile, '-outform', 'DER']);
    return { keyFile, keyPem, keyDer };
  }
}
