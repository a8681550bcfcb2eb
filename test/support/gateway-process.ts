import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { gatewayEnv, type TestDirectory } from './gateway-fixtures';
import { brokerUrl } from './messaging-fixtures';

/** Writes a fresh service channel key into the directory's temp dir (removed with it) and returns key and path. */
export function serviceChannelKey(slapd: TestDirectory): { key: Buffer; file: string } {
  const key = randomBytes(32);
  const file = join(slapd.dir, `service-channel-${randomBytes(4).toString('hex')}.key`);
  writeFileSync(file, key.toString('base64'), { mode: 0o600 });
  return { key, file };
}

/**
 * One directory-gateway replica as its own process (built code from dist/), consuming the namespace's queue;
 * `extra` overrides any variable (e.g. CREDROAM_AMQP_URL with a broker account of its own).
 */
export function startGatewayProcess(
  slapd: TestDirectory,
  namespace: string,
  name: string,
  extra: Record<string, string> = {},
): Promise<ServiceProcess> {
  return startServiceProcess({
    name,
    script: 'scripts/lib/run-service.cjs',
    args: ['directory-gateway'],
    env: { CREDROAM_AMQP_URL: brokerUrl(), CREDROAM_AMQP_NAMESPACE: namespace, ...gatewayEnv(slapd, extra) },
    ready: { line: /directory-gateway ready/ },
    readyTimeoutMs: 20_000,
  });
}
