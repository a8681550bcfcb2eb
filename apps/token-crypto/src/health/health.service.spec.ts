import { createEphemeralKeyStore } from '../keys/ephemeral-key-store';
import { HealthService } from './health.service';

describe('health', () => {
  it('is ok with fresh keys and degraded when the transport certificate nears expiry', () => {
    const keys = createEphemeralKeyStore({ storageKeyVersions: [1, 2] });
    const fresh = new HealthService(keys).check();
    expect(fresh.status).toBe('ok');
    expect(fresh.checks['storage-keys']?.detail).toBe('current v2, loaded v1 v2');
    const soon = new HealthService(
      keys,
      () => new Date(keys.transportCertificate.notAfter.getTime() - 86_400_000),
    ).check();
    expect(soon.status).toBe('degraded');
    expect(soon.checks['transport-certificate']?.detail).toMatch(/expires in 1 days/);
  });

  it('turns degraded once the keys are closed at shutdown, and never shows key bytes', () => {
    const keys = createEphemeralKeyStore();
    keys.close();
    const health = new HealthService(keys).check();
    expect(health.checks.keys).toEqual({ ok: false, detail: 'shutting down' });
    expect(() => keys.hashKey('x')).toThrow(/shutting down/);
  });
});
