// Types for tls-ca.cjs (a private CA made with the openssl binary). TypeScript picks this file up for
// `import { createCa } from '../../scripts/lib/tls-ca.cjs'`.

export interface CertificateFiles {
  /** PEM certificate. */
  certFile: string;
  /** PEM private key (PKCS#8, unencrypted), mode 0600. */
  keyFile: string;
}

export interface CertificateAuthority extends CertificateFiles {
  /** Where the CA and the certificates it issues are written. */
  dir: string;
}

export interface CaOptions {
  /** OpenSSL form, default "/CN=credroam test CA". */
  subject?: string;
  /** Default 7. */
  days?: number;
  /** File names `<stem>.crt` / `<stem>.key`, default "ca". */
  stem?: string;
}

export interface IssueOptions {
  /** serverAuth (default) or clientAuth. */
  usage?: 'server' | 'client';
  /** IP addresses and DNS names for the subjectAltName; required for a server certificate. */
  hosts?: string[];
  /** Default "/CN=<first host or name>". */
  subject?: string;
  /** Default 7. */
  days?: number;
}

export interface LocalTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** What this call made: [] when everything was there already, else "ca" and/or "server". */
  created: ('ca' | 'server')[];
}

export function createCa(dir: string, options?: CaOptions): CertificateAuthority;
export function issueCertificate(
  ca: CertificateAuthority,
  name: string,
  options?: IssueOptions,
): CertificateFiles;
export function ensureLocalTls(dir: string, options?: { hosts?: string[] }): LocalTls;
