// token-crypto behind the real broker: the Nest microservice as main.ts builds it (TokenCryptoModule over
// rpcServerOptions), called with RpcClient. One sync's worth of calls: transport certificate, upload, download.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Logger, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RoamingError, RPC_PATTERNS, unwrap, type RpcPattern, type RpcRequest } from '@credroam/roaming';
import { RpcClient, rpcServerOptions, type AmqpConfig } from '@credroam/messaging';
import { parseCertificate, decodePem, sealEnvelope } from '@credroam/sealing';
import { createEphemeralKeyStore } from '../../../apps/token-crypto/src/keys/ephemeral-key-store';
import { type KeyRepository } from '../../../apps/token-crypto/src/keys/key.repository';
import { TokenCryptoModule } from '../../../apps/token-crypto/src/token-crypto.module';
import {
  ALICE,
  device,
  LIMITS,
  meta,
  someSecret,
  stored,
} from '../../../apps/token-crypto/src/testing/agent.fixture';
import { testGrants } from '../../support/grants';
import { BrokerProbe, recordingLogger, testConfig, testNamespace } from '../../support/messaging-fixtures';

// openssl subprocesses and thousands of envelopes: generous under a loaded CI machine.
jest.setTimeout(30_000);

Logger.overrideLogger(false);

const namespace = testNamespace();
const logger = recordingLogger();
let config: AmqpConfig;
let probe: BrokerProbe;
let keys: KeyRepository;
let server: INestMicroservice;
let client: RpcClient;

beforeAll(async () => {
  config = testConfig(namespace);
  probe = await BrokerProbe.open(namespace);
  keys = createEphemeralKeyStore();
  server = await NestFactory.createMicroservice(
    TokenCryptoModule.forRoot(keys, testGrants().verifier('token-crypto'), config, logger),
    {
      ...rpcServerOptions(config, 'token-crypto'),
      logger: false,
    },
  );
  await server.listen();
  client = new RpcClient(config, 'token-crypto', { logger });
  await client.connect();
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await probe?.cleanUp();
});

const call = <P extends RpcPattern>(pattern: P, payload: RpcRequest<P>) =>
  client.call(pattern, payload, { correlationId: randomUUID(), grant: testGrants().grantFor(pattern) });

describe('token-crypto over RabbitMQ', () => {
  it('runs a sync: the agent seals to the transport certificate, the value is stored, then sealed to the device', async () => {
    const { certificatePem, thumbprint } = await call(RPC_PATTERNS.transportCertificate, {});
    const transport = unwrap(parseCertificate(unwrap(decodePem(certificatePem))[0]!.der));
    expect(transport.thumbprint).toBe(thumbprint);

    const secret = someSecret(600);
    const token = meta(keys, ALICE, 'stored-credential', 'Domain:target=mail', secret);
    const envelope = sealEnvelope(secret, [{ certificate: transport }]);
    if (!envelope.ok) throw new Error('not sealed');
    const storedItems = await call(RPC_PATTERNS.sealForStorage, {
      user: ALICE,
      limits: LIMITS,
      items: [{ token, envelope: envelope.value.toString('base64') }],
    });
    const [item] = storedItems.items;
    if (!item?.ok) throw new Error('not stored');

    const workstation = device('ec');
    const downloaded = await call(RPC_PATTERNS.sealForDevice, {
      user: ALICE,
      devicePublicKey: workstation.publicKey,
      items: [stored(token, item.keyVersion, item.sealed)],
      includeHashKey: true,
    });
    const [download] = downloaded.items;
    expect(download?.ok && workstation.open(download.envelope)).toEqual(secret);
    expect(downloaded.hashKeyEnvelope).toEqual(expect.any(String));
  });

  it('answers per-item errors in the reply and request-level errors as RoamingErrors with their code', async () => {
    const secret = someSecret();
    const token = meta(keys, ALICE, 'stored-credential', 'x', secret);
    const reply = await call(RPC_PATTERNS.sealForDevice, {
      user: ALICE,
      devicePublicKey: device().publicKey,
      items: [stored(token, 1, Buffer.from('not a storage envelope').toString('base64'))],
      includeHashKey: false,
    });
    expect(!reply.items[0]!.ok && reply.items[0]!.error.code).toBe('INTEGRITY_CHECK_FAILED');
    await expect(
      call(RPC_PATTERNS.sealForDevice, {
        user: ALICE,
        devicePublicKey: Buffer.from('nope').toString('base64'),
        items: [],
        includeHashKey: true,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' } satisfies Partial<RoamingError>);
  });

  it('reports its health', async () => {
    const health = await call(RPC_PATTERNS.cryptoHealth, {});
    expect(health.status).toBe('ok');
    expect(Object.keys(health.checks)).toEqual([
      'keys',
      'transport-certificate',
      'storage-keys',
      'recovery-agents',
    ]);
  });

  it('never logs key material or token content', () => {
    const text = logger.text();
    expect(text).toContain('crypto.seal-for-storage');
    expect(text).not.toMatch(/sealed|envelope|BEGIN/);
  });
});
