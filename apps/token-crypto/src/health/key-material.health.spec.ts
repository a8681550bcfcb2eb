import { HealthIndicatorService } from '@nestjs/terminus';
import { createEphemeralKeyStore } from '../keys/ephemeral-key-store';
import { type KeyRepository } from '../keys/key.repository';
import { KeyMaterialHealthIndicator } from './key-material.health';

/** Every indicator's result, merged as terminus merges them into `details`. */
async function details(keys: KeyRepository, now?: () => Date) {
  const indicator = new KeyMaterialHealthIndicator(new HealthIndicatorService(), keys, now);
  const results = await Promise.all(indicator.all().map((check) => check()));
  return Object.assign({}, ...results) as Record<string, { status: string; message?: string }>;
}

describe('key material health', () => {
  it('is up with fresh keys and down for the transport certificate when it nears expiry', async () => {
    const keys = createEphemeralKeyStore({ storageKeyVersions: [1, 2] });
    const fresh = await details(keys);
    expect(Object.keys(fresh)).toEqual(['keys', 'transport-certificate', 'storage-keys', 'recovery-agents']);
    expect(Object.values(fresh).every((check) => check.status === 'up')).toBe(true);
    expect(fresh['storage-keys']?.message).toBe('current v2, loaded v1 v2');
    const soon = await details(
      keys,
      () => new Date(keys.transportCertificate.notAfter.getTime() - 86_400_000),
    );
    expect(soon['transport-certificate']).toEqual({
      status: 'down',
      message: expect.stringMatching(/expires in 1 days/),
    });
  });

  it('turns down once the keys are closed at shutdown, and never shows key bytes', async () => {
    const keys = createEphemeralKeyStore();
    keys.close();
    expect((await details(keys)).keys).toEqual({ status: 'down', message: 'shutting down' });
    expect(() => keys.hashKey('x')).toThrow(/shutting down/);
  });
});
