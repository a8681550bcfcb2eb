// Shared by the logon-events suite: the three services as separate processes (directory-gateway, token-crypto,
// logon-events) on one throwaway directory (slapd or a Samba AD DC) and a unique AMQP namespace, and a small HTTP client for the agent protocol.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NO_FLAGS, unwrap, type CreateSessionResponse } from '@credroam/roaming';
import {
  createSelfSignedCertificate,
  decodePem,
  openSecret,
  parseCertificate,
  sealEnvelope,
  SECRET_PURPOSES,
  tokenHash,
} from '@credroam/sealing';
import { generateKeys } from '../../apps/token-crypto/src/keys/key-generator';
import { startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { type TestDirectory } from './gateway-fixtures';
import { serviceChannelKey, startGatewayProcess } from './gateway-process';
import { testGrants } from './grants';
import { brokerUrl } from './messaging-fixtures';

export interface LogonStack {
  url: string;
  /** The same logon-events over the broker: what `credroam-agent login --server` takes for the AMQP ingress. */
  ingressUrl: string;
  sessionKey: Buffer;
  /** token-crypto's key directory: pass it (and sessionKey) to start another replica of the same installation. */
  keyDir: string;
  processes: ServiceProcess[];
}

export interface ReplicaOf {
  keyDir: string;
  sessionKey: Buffer;
}

export interface DeviceKey {
  /** Base64 SPKI, as the agent registers it. */
  publicKey: string;
  privateKey: KeyObject;
}

export function deviceKey(): DeviceKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), privateKey };
}

/**
 * What the agent does before an upload: open the hash key with the device key, hash a fresh certificate with it
 * and seal the certificate to the transport certificate.
 */
export function agentUpload(session: CreateSessionResponse, device: DeviceKey, modifiedAt: number) {
  const hashKey = unwrap(
    openSecret(SECRET_PURPOSES.hashKey, Buffer.from(session.hashKeyEnvelope, 'base64'), [
      { privateKey: device.privateKey },
    ]),
  );
  const transport = unwrap(parseCertificate(unwrap(decodePem(session.transportCertificatePem))[0]!.der));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const certificate = unwrap(
    createSelfSignedCertificate(privateKey, {
      commonName: `roamed ${randomBytes(4).toString('hex')}`,
      notBefore: new Date(modifiedAt - 86_400_000),
      notAfter: new Date(modifiedAt + 365 * 86_400_000),
    }),
  );
  const token = {
    type: 'certificate' as const,
    id: certificate.thumbprint,
    hash: tokenHash(hashKey, certificate.der),
    modifiedAt,
    size: certificate.der.length,
    flags: { ...NO_FLAGS },
  };
  const envelope = unwrap(sealEnvelope(certificate.der, [{ certificate: transport }])).toString('base64');
  return { token, content: certificate.der, hashKey, upload: { type: token.type, id: token.id, envelope } };
}

function keyFile(slapd: TestDirectory, name: string, key: Buffer): string {
  const file = join(slapd.dir, `${name}-${randomBytes(4).toString('hex')}.key`);
  writeFileSync(file, key.toString('base64'), { mode: 0o600 });
  return file;
}

/**
 * token-crypto with keys made by its own generator, and logon-events on a free port. `extra` goes to logon-events'
 * environment, `tokenCryptoEnv` to token-crypto's (e.g. a broker account of its own in CREDROAM_AMQP_URL),
 * `everyProcess` to both.
 */
export async function startLogonStack(
  slapd: TestDirectory,
  namespace: string,
  channelKeyFile: string,
  extra: Record<string, string> = {},
  replicaOf?: ReplicaOf,
  /** Added to both processes' environment (e.g. a shared clock); `extra` goes to logon-events only. */
  everyProcess: Record<string, string> = {},
  tokenCryptoEnv: Record<string, string> = {},
): Promise<LogonStack> {
  const amqp = { CREDROAM_AMQP_URL: brokerUrl(), CREDROAM_AMQP_NAMESPACE: namespace };
  const keyDir = replicaOf?.keyDir ?? join(slapd.dir, `token-crypto-${randomBytes(4).toString('hex')}`);
  if (!replicaOf) generateKeys(keyDir, { transportKeyBits: 2048 });
  const crypto = await startServiceProcess({
    name: 'token-crypto',
    script: 'scripts/lib/run-service.cjs',
    args: ['token-crypto'],
    // The channel key lets token-crypto re-seal AMQP logon passwords for the gateway (crypto.reseal-password).
    env: {
      ...everyProcess,
      ...amqp,
      ...testGrants().verifierEnv,
      CREDROAM_KEY_DIR: keyDir,
      CREDROAM_SERVICE_CHANNEL_KEY_FILE: channelKeyFile,
      ...tokenCryptoEnv,
    },
    ready: { line: /token-crypto ready/ },
    readyTimeoutMs: 20_000,
  });
  const sessionKey = replicaOf?.sessionKey ?? randomBytes(32);
  const logon = await startServiceProcess({
    name: 'logon-events',
    script: 'scripts/lib/run-service.cjs',
    args: ['logon-events'],
    env: {
      ...everyProcess,
      ...amqp,
      CREDROAM_LOGON_PORT: '0',
      CREDROAM_SESSION_KEY_FILE: keyFile(slapd, 'session', sessionKey),
      CREDROAM_SERVICE_CHANNEL_KEY_FILE: channelKeyFile,
      ...testGrants().issuerEnv,
      CREDROAM_SYNC_RETRY_BASE_MS: '10',
      ...extra,
    },
    ready: { line: /logon-events ready/ },
    readyTimeoutMs: 20_000,
  }).catch(async (error: unknown) => {
    await crypto.stop();
    throw error;
  });
  const url = /"url":"(https?:\/\/[^"]+)"/.exec(logon.output())?.[1];
  if (!url) throw new Error('logon-events did not print its URL');
  return { url, ingressUrl: ingressUrl(namespace), sessionKey, keyDir, processes: [logon, crypto] };
}

/** The broker URL an agent logs on to for the AMQP ingress of `namespace`. */
export function ingressUrl(namespace: string): string {
  const url = new URL(brokerUrl());
  url.searchParams.set('namespace', namespace);
  return url.toString();
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function http(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

export interface RoamingServices {
  gateway: ServiceProcess;
  stack: LogonStack;
}

/**
 * What a roaming suite runs: directory-gateway and the logon stack (token-crypto, logon-events) sharing one service
 * channel key. `gatewayEnv` goes to directory-gateway (e.g. CREDROAM_POLICY_FILE), `logonEnv` to logon-events,
 * `everyProcess` to all three (e.g. a shared clock).
 */
export async function startRoamingServices(
  slapd: TestDirectory,
  namespace: string,
  gatewayEnv: Record<string, string> = {},
  {
    logonEnv = {},
    everyProcess = {},
  }: { logonEnv?: Record<string, string>; everyProcess?: Record<string, string> } = {},
): Promise<RoamingServices> {
  const channel = serviceChannelKey(slapd);
  const gateway = await startGatewayProcess(slapd, namespace, 'e2e-gateway', {
    ...everyProcess,
    CREDROAM_SERVICE_CHANNEL_KEY_FILE: channel.file,
    ...gatewayEnv,
  });
  try {
    const stack = await startLogonStack(slapd, namespace, channel.file, logonEnv, undefined, everyProcess);
    return { gateway, stack };
  } catch (error) {
    await gateway.stop();
    throw error;
  }
}
