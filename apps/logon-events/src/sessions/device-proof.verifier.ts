import { createHash } from 'node:crypto';
import { freshnessRefusal, INGRESS_FRESHNESS_MS, RoamingError, unwrap } from '@credroam/roaming';
import { devicePublicKey, verifyDeviceProof } from '@credroam/sealing';
import { ReplayMemory } from './replay-memory';
import { type SessionClaims } from './session-token';

/** A message's device proof as it arrived: the bytes it signs, when it was made and the signature. */
export interface DeviceProof {
  message: Buffer;
  issuedAt: number;
  signature: string;
}

/**
 * Checks that a message over the shared broker was signed by the session's device key, recently, and not seen
 * before. A replay is refused for as long as its proof is fresh on this replica; after that the freshness check
 * refuses it everywhere.
 */
export class DeviceProofVerifier {
  private readonly seen = new ReplayMemory(INGRESS_FRESHNESS_MS);

  verify(claims: SessionClaims, proof: DeviceProof | null, now: number): void {
    if (proof === null) {
      throw new RoamingError('UNAUTHENTICATED', 'a sync over AMQP must carry a device proof in its headers');
    }
    const stale = freshnessRefusal('the device proof', proof.issuedAt, now);
    if (stale) throw stale;
    const key = unwrap(devicePublicKey(claims.devicePublicKey));
    if (!verifyDeviceProof(key, proof.issuedAt, proof.message, proof.signature)) {
      throw new RoamingError('UNAUTHENTICATED', "the device proof does not match the session's device key");
    }
    // Keyed by what was signed, not by the signature: an ECDSA signature has a second valid form (s → n − s).
    const signed = `${proof.issuedAt}:${createHash('sha256').update(proof.message).digest('base64')}`;
    if (this.seen.seenBefore(signed, proof.issuedAt, now)) {
      throw new RoamingError('UNAUTHENTICATED', 'this message was already processed (a replay)');
    }
  }
}
