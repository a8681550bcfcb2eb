/**
 * Why a TLS connection failed, when it failed because of TLS, from the error Node (or fetch, or amqplib) raised.
 * Such failures do not heal by retrying: they want a configuration change, which the caller names (a variable,
 * a command-line option).
 */
export type TlsFailure =
  /** The peer's certificate does not chain to a trusted CA (a private CA not given, a self-signed certificate). */
  | 'untrusted'
  /** The certificate does not name the host that was dialled. */
  | 'name-mismatch'
  /** The certificate has expired or is not valid yet. */
  | 'expired'
  /** The server wants a client certificate and got none (or one it does not trust). */
  | 'client-certificate-refused'
  /** The other end does not speak TLS at all (a TLS URL to a plain port). */
  | 'not-tls';

const BY_CODE: Readonly<Record<string, TlsFailure>> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted',
  CERT_UNTRUSTED: 'untrusted',
  CERT_SIGNATURE_FAILURE: 'untrusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'name-mismatch',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'expired',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'client-certificate-refused',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'client-certificate-refused',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'client-certificate-refused',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'client-certificate-refused',
  ERR_SSL_WRONG_VERSION_NUMBER: 'not-tls',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'not-tls',
};

/** The TLS reason of `error` or of any error in its `cause` chain (fetch wraps the socket's error), else null. */
export function tlsFailureOf(error: unknown): { kind: TlsFailure; code: string } | null {
  // Duck-typed, not `instanceof Error`: errors raised by Node's core can come from another realm (Jest's VM).
  let current: unknown = error;
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 5; depth += 1) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    const kind = typeof code === 'string' ? BY_CODE[code] : undefined;
    if (kind && typeof code === 'string') return { kind, code };
    current = cause;
  }
  return null;
}

/** One sentence on what is wrong, for a message that then says what to set. */
export function describeTlsFailure(failure: { kind: TlsFailure; code: string }, peer: string): string {
  switch (failure.kind) {
    case 'untrusted':
      return `the certificate of ${peer} is not trusted (${failure.code})`;
    case 'name-mismatch':
      return `the certificate of ${peer} does not name that host (${failure.code})`;
    case 'expired':
      return `the certificate of ${peer} is expired or not yet valid (${failure.code})`;
    case 'client-certificate-refused':
      return `${peer} refused the TLS handshake: it wants a client certificate it trusts (${failure.code})`;
    case 'not-tls':
      return `${peer} does not speak TLS on that port (${failure.code})`;
  }
}
