import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type Grantee } from '@credroam/grants';
import {
  devicePublicKeySchema,
  distinguishedNameSchema,
  loginNameSchema,
  machineIdSchema,
  RoamingError,
  stableIdSchema,
} from '@credroam/roaming';

/**
 * The session token: `base64url(JSON payload) "." base64url(HMAC-SHA-256(key, first part))`. Stateless, so any
 * replica holding the key checks it and knows the device to seal downloads to; short-lived, so a stolen token is
 * worth little. A session opened over AMQP is only accepted over AMQP, where every use is signed by the device key.
 */
export const sessionClaimsSchema = z
  .object({
    login: loginNameSchema,
    dn: distinguishedNameSchema,
    stableId: stableIdSchema,
    machine: machineIdSchema,
    /** The device public key registered at logon (SPKI, base64): downloads are sealed to it. */
    devicePublicKey: devicePublicKeySchema,
    /** Where the session was opened, and so the only transport it is accepted on. */
    transport: z.enum(['http', 'amqp']),
    /** The password logon this session comes from (ms UTC): renewals keep it, and are bounded by policy from it. */
    authAt: z.number().int().min(0),
    /** Expiry, ms UTC. */
    exp: z.number().int().min(0),
  })
  .strict();
export type SessionClaims = z.output<typeof sessionClaimsSchema>;

export const SESSION_KEY_MIN_BYTES = 32;

/** The user and device a session authenticated: whom the grants of its requests are for. */
export function granteeOf(claims: SessionClaims): Grantee {
  return {
    login: claims.login,
    stableId: claims.stableId,
    dn: claims.dn,
    devicePublicKey: claims.devicePublicKey,
  };
}

/** A session is accepted only on the transport it was opened on (an AMQP one needs device proofs throughout). */
export function checkTransport(claims: SessionClaims, transport: SessionClaims['transport']): void {
  if (claims.transport !== transport) {
    throw new RoamingError(
      'UNAUTHENTICATED',
      `this session was opened over ${claims.transport.toUpperCase()} and is only accepted there`,
    );
  }
}

function mac(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(body, 'ascii').digest();
}

export class SessionTokenSigner {
  constructor(private readonly key: Buffer) {
    if (key.length < SESSION_KEY_MIN_BYTES) {
      throw new RoamingError(
        'KEY_UNAVAILABLE',
        `the session key must be at least ${SESSION_KEY_MIN_BYTES} bytes`,
      );
    }
  }

  sign(claims: SessionClaims): string {
    const body = Buffer.from(JSON.stringify(sessionClaimsSchema.parse(claims)), 'utf8').toString('base64url');
    return `${body}.${mac(this.key, body).toString('base64url')}`;
  }

  /** UNAUTHENTICATED for anything not signed with our key; SESSION_EXPIRED for a genuine token past `exp`. */
  verify(token: string, now: number): SessionClaims {
    const claims = this.verifyGenuine(token);
    if (claims.exp <= now) throw new RoamingError('SESSION_EXPIRED', 'the session has expired; log on again');
    return claims;
  }

  /** The claims of a token signed with our key, expired or not (a renewal checks its own bounds). */
  verifyGenuine(token: string): SessionClaims {
    const parts = token.split('.');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new RoamingError('UNAUTHENTICATED', 'the session token is malformed');
    }
    const [body, signature] = parts as [string, string];
    const expected = mac(this.key, body);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new RoamingError('UNAUTHENTICATED', 'the session token is not valid');
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw new RoamingError('UNAUTHENTICATED', 'the session token is not valid');
    }
    const claims = sessionClaimsSchema.safeParse(json);
    if (!claims.success) throw new RoamingError('UNAUTHENTICATED', 'the session token is not valid');
    return claims.data;
  }
}
