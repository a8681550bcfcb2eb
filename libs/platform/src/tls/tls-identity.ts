import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureVersion } from 'node:tls';
import { RoamingError } from '@credroam/roaming';
import { isLoopbackHost } from './loopback';

/** TLS 1.0 and 1.1 are deprecated (RFC 8996); Node's default is the same, said here so that no flag lowers it. */
export const MIN_TLS_VERSION: SecureVersion = 'TLSv1.2';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** A certificate chain (leaf first) and its key, checked to belong together and to be valid now. */
export interface TlsIdentity {
  cert: Buffer;
  key: Buffer;
  /** What the ready line may say about it: nothing secret. */
  summary: { subject: string; subjectAltName: string | null; validTo: string; fingerprint256: string };
}

/** The environment variables of one HTTP listener, for messages that name them. */
export interface HttpListenerVariables {
  host: string;
  certFile: string;
  keyFile: string;
  allowPlaintext: string;
}

export interface HttpListenerSettings {
  host: string;
  certFile: string | undefined;
  keyFile: string | undefined;
  allowPlaintext: boolean;
}

function invalid(message: string): RoamingError {
  return new RoamingError('INVALID_INPUT', message);
}

function readVariableFile(path: string, variable: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw invalid(`${variable}: cannot read ${path} (${code})`);
  }
}

/** Every certificate of a PEM file, in order; names the variable when there is none or one does not parse. */
export function readCertificates(path: string, variable: string): X509Certificate[] {
  const blocks = readVariableFile(path, variable).toString('utf8').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw invalid(`${variable}: ${path} holds no PEM certificate`);
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw invalid(`${variable}: certificate ${index + 1} in ${path} does not parse`);
    }
  });
}

/** An unencrypted PEM private key; the services have nowhere to take a passphrase from. */
export function readPrivateKey(path: string, variable: string): { pem: Buffer; key: KeyObject } {
  const pem = readVariableFile(path, variable);
  try {
    return { pem, key: createPrivateKey(pem) };
  } catch (error) {
    const encrypted =
      /passphrase|encrypted/i.test((error as Error).message) || /ENCRYPTED/.test(pem.toString());
    throw invalid(
      encrypted
        ? `${variable}: the key in ${path} is encrypted; give it unencrypted (protect the file instead)`
        : `${variable}: ${path} holds no PEM private key`,
    );
  }
}

/**
 * Reads and checks a certificate (leaf first, then any intermediates) and its private key, as a TLS server or a
 * TLS client presents them: readable, parseable, the key matching the leaf, the leaf valid at `now`. Every
 * problem names its variable; no key material is ever part of a message.
 */
export function readTlsIdentity(
  files: { certFile: string; keyFile: string },
  variables: { certFile: string; keyFile: string },
  now = Date.now(),
): TlsIdentity {
  const chain = readCertificates(files.certFile, variables.certFile);
  const leaf = chain[0] as X509Certificate;
  const { pem: key, key: keyObject } = readPrivateKey(files.keyFile, variables.keyFile);
  if (!leaf.checkPrivateKey(keyObject)) {
    throw invalid(
      `${variables.keyFile}: the key in ${files.keyFile} does not match the certificate in ${files.certFile} (${variables.certFile}; the server's own certificate comes first)`,
    );
  }
  if (now < Date.parse(leaf.validFrom)) {
    throw invalid(
      `${variables.certFile}: the certificate in ${files.certFile} is not valid before ${leaf.validFrom}`,
    );
  }
  if (now > Date.parse(leaf.validTo)) {
    throw invalid(`${variables.certFile}: the certificate in ${files.certFile} expired on ${leaf.validTo}`);
  }
  const cert = Buffer.from(chain.map((certificate) => certificate.toString()).join(''));
  try {
    // What the listener will do with them: anything OpenSSL still refuses is reported now, not at the first client.
    createSecureContext({ cert, key, minVersion: MIN_TLS_VERSION });
  } catch (error) {
    throw invalid(`${variables.certFile} / ${variables.keyFile}: ${(error as Error).message}`);
  }
  return {
    cert,
    key,
    summary: {
      subject: leaf.subject.replace(/\n/g, ', '),
      subjectAltName: leaf.subjectAltName ?? null,
      validTo: leaf.validTo,
      fingerprint256: leaf.fingerprint256,
    },
  };
}

/**
 * The TLS of an HTTP listener (logon-events, audit) from its settings: HTTPS when both files are given, else
 * plain HTTP, which is refused on anything but a loopback address unless the operator allowed it explicitly
 * (a TLS-terminating proxy in front, a private container network). DESIGN.md section 7a.
 */
export function httpListenerTls(
  settings: HttpListenerSettings,
  variables: HttpListenerVariables,
  now = Date.now(),
): TlsIdentity | null {
  const { certFile, keyFile } = settings;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw invalid(`set both ${variables.certFile} and ${variables.keyFile} (HTTPS), or neither (plain HTTP)`);
  }
  if (certFile !== undefined && keyFile !== undefined) {
    return readTlsIdentity({ certFile, keyFile }, variables, now);
  }
  if (!settings.allowPlaintext && !isLoopbackHost(settings.host)) {
    throw invalid(
      `${variables.host} is ${settings.host}, not a loopback address, and no certificate is set: serve HTTPS ` +
        `(${variables.certFile} and ${variables.keyFile}) or allow plain HTTP with ${variables.allowPlaintext}=true ` +
        `(only behind a TLS-terminating proxy or on a private network)`,
    );
  }
  return null;
}

/** Options for Nest's `httpsOptions` (node:https createServer). */
export function httpsServerOptions(tls: TlsIdentity): {
  cert: Buffer;
  key: Buffer;
  minVersion: SecureVersion;
} {
  return { cert: tls.cert, key: tls.key, minVersion: MIN_TLS_VERSION };
}

/** The URL a listener reports in its ready line: https with TLS, an IPv6 host in brackets. */
export function listenerUrl(tls: TlsIdentity | null, host: string, port: number): string {
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
