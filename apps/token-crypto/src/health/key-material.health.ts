import { type HealthIndicatorFunction, type HealthIndicatorService } from '@nestjs/terminus';
import { type KeyRepository } from '../keys/key.repository';

const DAY_MS = 86_400_000;
/** Warn this long before the transport certificate expires: agents refuse to seal to an expired one. */
const EXPIRY_WARNING_DAYS = 30;

/**
 * terminus indicators of token-crypto's key material: whether the keys are loaded and usable. A transport
 * certificate close to expiry or expired, or an expired recovery agent, is "down" and makes crypto.health
 * "degraded" (the service still works), so that alerts fire before users notice. Versions and thumbprints only,
 * never key bytes.
 */
export class KeyMaterialHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly keys: KeyRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The four checks of crypto.health, in the order it reports them. */
  all(): HealthIndicatorFunction[] {
    return [
      () => this.keysOpen(),
      () => this.transportCertificate(),
      () => this.storageKeys(),
      () => this.recoveryAgents(),
    ];
  }

  keysOpen() {
    const indicator = this.indicators.check('keys');
    return this.keys.isClosed ? indicator.down({ message: 'shutting down' }) : indicator.up();
  }

  transportCertificate() {
    const indicator = this.indicators.check('transport-certificate');
    const transport = this.keys.transportCertificate;
    const daysLeft = Math.floor((transport.notAfter.getTime() - this.now().getTime()) / DAY_MS);
    const message =
      daysLeft < 0
        ? `${transport.thumbprint} expired ${-daysLeft} days ago`
        : `${transport.thumbprint} expires in ${daysLeft} days`;
    return daysLeft >= EXPIRY_WARNING_DAYS ? indicator.up({ message }) : indicator.down({ message });
  }

  storageKeys() {
    const summary = this.keys.summary();
    const loaded = summary.storageKeyVersions.map((version) => `v${version}`).join(' ');
    return this.indicators
      .check('storage-keys')
      .up({ message: `current v${summary.currentStorageKeyVersion}, loaded ${loaded}` });
  }

  recoveryAgents() {
    const indicator = this.indicators.check('recovery-agents');
    const now = this.now().getTime();
    const expired = this.keys.recoveryAgents.filter((agent) => agent.notAfter.getTime() < now);
    return expired.length > 0
      ? indicator.down({ message: `expired: ${expired.map((agent) => agent.thumbprint).join(', ')}` })
      : indicator.up({ message: `${this.keys.recoveryAgents.length} configured` });
  }
}
