import { type RpcResponse } from '@credroam/roaming';
import { type SessionClaims } from './session-token';

export type EffectivePolicyWire = RpcResponse<'directory.resolve-policy'>;

interface Entry {
  devicePublicKey: string;
  policy: EffectivePolicyWire | null;
  exp: number;
}

const MAX_SESSIONS = 200_000;

/**
 * What a session registered at logon and the token does not carry: the device public key (the token holds only
 * its hash) and the resolved policy. In memory, per replica: a replica that does not know a session re-resolves
 * the policy, but cannot seal downloads without the device key (the agent then logs on again).
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();

  static keyOf(claims: SessionClaims): string {
    return `${claims.dn}\n${claims.machine}\n${claims.deviceKeyHash}`;
  }

  register(claims: SessionClaims, devicePublicKey: string, policy: EffectivePolicyWire, now: number): void {
    if (this.entries.size >= MAX_SESSIONS) this.sweep(now);
    this.entries.set(SessionCache.keyOf(claims), { devicePublicKey, policy, exp: claims.exp });
  }

  devicePublicKey(claims: SessionClaims, now: number): string | null {
    return this.live(claims, now)?.devicePublicKey ?? null;
  }

  policy(claims: SessionClaims, now: number): EffectivePolicyWire | null {
    return this.live(claims, now)?.policy ?? null;
  }

  rememberPolicy(claims: SessionClaims, policy: EffectivePolicyWire, now: number): void {
    const entry = this.live(claims, now);
    if (entry) entry.policy = policy;
  }

  private live(claims: SessionClaims, now: number): Entry | undefined {
    const key = SessionCache.keyOf(claims);
    const entry = this.entries.get(key);
    if (entry && entry.exp <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.exp <= now) this.entries.delete(key);
    if (this.entries.size >= MAX_SESSIONS) this.entries.clear();
  }
}
