import { type Health } from '@credroam/roaming';
import { type KeyStore } from '../keys/key-store';

const DAY_MS = 86_400_000;
/** Warn this long before the transport certificate expires: agents refuse to seal to an expired one. */
const EXPIRY_WARNING_DAYS = 30;

/**
 * crypto.health: whether the keys are loaded and usable. A transport certificate close to expiry or expired, or
 * an expired recovery agent, makes the service "degraded" (it still works), so that alerts fire before users
 * notice. Other checks (the broker) are added by the transport.
 */
export class HealthService {
  constructor(
    private readonly keys: KeyStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  check(extra: Health['checks'] = {}): Health {
    const now = this.now().getTime();
    const summary = this.keys.summary();
    const transport = this.keys.transportCertificate;
    const daysLeft = Math.floor((transport.notAfter.getTime() - now) / DAY_MS);
    const expiredAgents = this.keys.recoveryAgents.filter((agent) => agent.notAfter.getTime() < now);
    const checks: Health['checks'] = {
      keys: { ok: !this.keys.isClosed, ...(this.keys.isClosed ? { detail: 'shutting down' } : {}) },
      'transport-certificate': {
        ok: daysLeft >= EXPIRY_WARNING_DAYS,
        detail:
          daysLeft < 0
            ? `${transport.thumbprint} expired ${-daysLeft} days ago`
            : `${transport.thumbprint} expires in ${daysLeft} days`,
      },
      'storage-keys': {
        ok: true,
        detail: `current v${summary.currentStorageKeyVersion}, loaded ${summary.storageKeyVersions.map((v) => `v${v}`).join(' ')}`,
      },
      'recovery-agents': {
        ok: expiredAgents.length === 0,
        detail:
          expiredAgents.length > 0
            ? `expired: ${expiredAgents.map((agent) => agent.thumbprint).join(', ')}`
            : `${summary.recoveryAgents.length} configured`,
      },
      ...extra,
    };
    const healthy = Object.values(checks).every((check) => check.ok);
    return { status: healthy ? 'ok' : 'degraded', checks };
  }
}
