import { randomUUID } from 'node:crypto';
import { checkAmqp, type AmqpConfig } from '@credroam/messaging';
import { type Health } from '@credroam/roaming';
import { type CryptoPort, type DirectoryPort } from '../ports/logon.ports';

/** `/health/ready`: the broker, and directory-gateway and token-crypto answering their health RPC. */
export class ReadinessService {
  constructor(
    private readonly amqp: AmqpConfig,
    private readonly directory: DirectoryPort,
    private readonly crypto: CryptoPort,
  ) {}

  async check(): Promise<Health> {
    const correlationId = `health-${randomUUID()}`;
    const remote = async (call: () => Promise<Health>) => {
      try {
        const health = await call();
        return { ok: health.status === 'ok', detail: health.status };
      } catch (error) {
        return { ok: false, detail: (error as Error).message.slice(0, 1024) };
      }
    };
    const [broker, gateway, crypto] = await Promise.all([
      checkAmqp(this.amqp),
      remote(() => this.directory.health(correlationId)),
      remote(() => this.crypto.health(correlationId)),
    ]);
    const checks = { broker, 'directory-gateway': gateway, 'token-crypto': crypto };
    return { status: Object.values(checks).every((check) => check.ok) ? 'ok' : 'degraded', checks };
  }
}
