import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  describeTlsFailure,
  isLoopbackHost,
  readCertificates,
  readTlsIdentity,
  tlsFailureOf,
} from '@credroam/platform';
import { RoamingError } from '@credroam/roaming';

/**
 * TLS to the broker (DESIGN.md section 7a): amqps:// URLs, a private CA to trust, a client certificate, and the
 * rule that a plain amqp:// URL is accepted only to a loopback address unless the operator allowed it.
 */
export const AMQP_TLS_ENV = Object.freeze({
  caFile: 'CREDROAM_AMQP_CA_FILE',
  certFile: 'CREDROAM_AMQP_CERT_FILE',
  keyFile: 'CREDROAM_AMQP_KEY_FILE',
  allowPlaintext: 'CREDROAM_AMQP_ALLOW_PLAINTEXT',
} as const);

/**
 * The files, not their content: a configuration holding paths can be printed or compared without leaking a key.
 * They are checked at boot (loadAmqpTls) and read when a connection's options are built.
 */
export const amqpTlsFilesSchema = z
  .object({
    /** The CA (PEM, one or more certificates) that alone is trusted for the broker's certificate. */
    caFile: z.string().min(1).optional(),
    /** A client certificate (PEM, leaf first) and its unencrypted key, for brokers that ask for one. */
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
  })
  .strict();
export type AmqpTlsFiles = z.output<typeof amqpTlsFilesSchema>;

function invalid(problem: string): RoamingError {
  return new RoamingError('INVALID_INPUT', `invalid messaging configuration: ${problem}`);
}

/**
 * Reads and checks the broker's TLS settings for `url` (already validated) from `env`: `{ tls }` for an amqps://
 * URL with a CA or a client certificate, `{}` otherwise. Refuses, naming the variables, a plain amqp:// URL to a
 * host that is not loopback (unless CREDROAM_AMQP_ALLOW_PLAINTEXT=true), TLS files next to a plain URL (they
 * would silently do nothing), half a client certificate, and files that are unreadable, unparseable, mismatched
 * or expired. The URL itself is never echoed: it may carry a password.
 */
export function loadAmqpTls(url: string, env: NodeJS.ProcessEnv = process.env): { tls?: AmqpTlsFiles } {
  const read = (name: string) => env[name]?.trim() || undefined;
  const caFile = read(AMQP_TLS_ENV.caFile);
  const certFile = read(AMQP_TLS_ENV.certFile);
  const keyFile = read(AMQP_TLS_ENV.keyFile);
  const allowPlaintext = read(AMQP_TLS_ENV.allowPlaintext) ?? 'false';
  if (allowPlaintext !== 'true' && allowPlaintext !== 'false') {
    throw invalid(`${AMQP_TLS_ENV.allowPlaintext} must be true or false`);
  }
  const broker = new URL(url);
  if (broker.protocol === 'amqp:') {
    const given = [
      [AMQP_TLS_ENV.caFile, caFile],
      [AMQP_TLS_ENV.certFile, certFile],
      [AMQP_TLS_ENV.keyFile, keyFile],
    ].flatMap(([name, value]) => (value === undefined ? [] : [name]));
    if (given.length > 0) {
      throw invalid(`${given.join(', ')} set, but CREDROAM_AMQP_URL is a plain amqp:// URL: use amqps://`);
    }
    if (allowPlaintext !== 'true' && !isLoopbackHost(broker.hostname)) {
      throw invalid(
        `CREDROAM_AMQP_URL is a plain amqp:// URL to ${broker.hostname}, not a loopback address: use amqps:// ` +
          `(with ${AMQP_TLS_ENV.caFile} for a private CA) or allow it with ${AMQP_TLS_ENV.allowPlaintext}=true ` +
          `(only on a private network)`,
      );
    }
    return {};
  }
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw invalid(
      `set both ${AMQP_TLS_ENV.certFile} and ${AMQP_TLS_ENV.keyFile} (a client certificate), or neither`,
    );
  }
  try {
    if (caFile !== undefined) readCertificates(caFile, AMQP_TLS_ENV.caFile);
    if (certFile !== undefined && keyFile !== undefined) {
      readTlsIdentity(
        { certFile, keyFile },
        { certFile: AMQP_TLS_ENV.certFile, keyFile: AMQP_TLS_ENV.keyFile },
      );
    }
  } catch (error) {
    throw invalid((error as Error).message);
  }
  const tls: AmqpTlsFiles = {
    ...(caFile !== undefined ? { caFile } : {}),
    ...(certFile !== undefined ? { certFile } : {}),
    ...(keyFile !== undefined ? { keyFile } : {}),
  };
  return Object.keys(tls).length > 0 ? { tls } : {};
}

/**
 * What amqplib passes to tls.connect for amqps:// (it sets the server name itself): the CA replaces the system's
 * trust store, so only certificates it issued are accepted; the client certificate is presented when asked.
 */
export function amqpSocketTls(tls: AmqpTlsFiles | undefined): { ca?: Buffer[]; cert?: Buffer; key?: Buffer } {
  if (!tls) return {};
  return {
    ...(tls.caFile ? { ca: [readFileSync(tls.caFile)] } : {}),
    ...(tls.certFile && tls.keyFile
      ? { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }
      : {}),
  };
}

/**
 * For a log line or an error after a failed connection: what to change when it failed because of TLS (retrying
 * will not help), else undefined.
 */
export function brokerTlsHint(error: unknown): string | undefined {
  const failure = tlsFailureOf(error);
  if (!failure) return undefined;
  const what = describeTlsFailure(failure, 'the broker');
  switch (failure.kind) {
    case 'untrusted':
      return `${what}: set ${AMQP_TLS_ENV.caFile} to the CA that issued it`;
    case 'client-certificate-refused':
      return `${what}: set ${AMQP_TLS_ENV.certFile} and ${AMQP_TLS_ENV.keyFile} to a certificate its CA issued`;
    case 'not-tls':
      return `${what}: check the port of the amqps:// URL in CREDROAM_AMQP_URL (5671 by default)`;
    case 'name-mismatch':
      return `${what}: use a host name in CREDROAM_AMQP_URL that the certificate names`;
    case 'expired':
      return `${what}: the broker needs a renewed certificate`;
  }
}
