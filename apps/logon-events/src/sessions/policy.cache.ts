import { type RpcResponse } from '@credroam/roaming';
import { type SessionClaims } from './session-token';

export type EffectivePolicyWire = RpcResponse<'directory.resolve-policy'>;

interface Entry {
  policy: EffectivePolicyWire;
  exp: number;
}

const MAX_SESSIONS = 200_000;

/**
 * The effective policy resolved at logon, per session, so a sync does not ask the directory again. In memory and
 * per replica: a replica that did not see the logon resolves it once. Kept for `maxAgeMs` at most (and never past
 * the session), so a policy changed in the directory reaches the next sync after that, without a new logon.
 */
export class PolicyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxAgeMs = 60_000) {}

  private static keyOf(claims: SessionClaims): string {
    return `${claims.dn}\n${claims.machine}\n${claims.exp}`;
  }

  get(claims: SessionClaims, now: number): EffectivePolicyWire | null {
    const key = PolicyCache.keyOf(claims);
    const entry = this.entries.get(key);
    if (entry && entry.exp <= now) {
      this.entries.delete(key);
      return null;
    }
    return entry?.policy ?? null;
  }

  remember(claims: SessionClaims, policy: EffectivePolicyWire, now: number): void {
    if (this.entries.size >= MAX_SESSIONS) this.sweep(now);
    this.entries.set(PolicyCache.keyOf(claims), { policy, exp: Math.min(claims.exp, now + this.maxAgeMs) });
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.exp <= now) this.entries.delete(key);
    if (this.entries.size >= MAX_SESSIONS) this.entries.clear();
  }
}
