// RPC over the real broker: an in-process Nest microservice built with rpcServer (rpcServerOptions plus a graceful
// close) and RpcHandlerRunner, called through RpcClient (and, past the client's own validation, a bare ClientRMQ).
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import {
  RoamingError,
  RPC_PATTERNS,
  type Health,
  type RoamingEvent,
  type RpcPattern,
  type RpcRequest,
  type RpcResponse,
} from '@credroam/roaming';
import { RPC_EXAMPLES } from '@credroam/roaming/contracts/testing/rpc-examples';
import {
  rpcClientOptions,
  RpcClient,
  RpcGrantGuard,
  RpcHandlerRunner,
  rpcServer,
  type AmqpConfig,
  type RpcCallMeta,
} from '@credroam/messaging';
import { Controller, Logger, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientRMQ, Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { waitFor } from '../../helpers/wait-for';
import { testGrants } from '../../support/grants';
import {
  BrokerProbe,
  recordingLogger,
  TcpProxy,
  testConfig,
  testNamespace,
} from '../../support/messaging-fixtures';

// Nest's own client logs ("Successfully connected") would only clutter the test output.
Logger.overrideLogger(false);

const HEALTHY: Health = { status: 'ok', checks: { ldap: { ok: true, detail: 'test double' } } };

/** What the test controller does for each pattern; tests swap these in. */
type Work<P extends RpcPattern> = (request: RpcRequest<P>, meta: RpcCallMeta) => Promise<RpcResponse<P>>;
const calls: Partial<Record<RpcPattern, number>> = {};
const count = (pattern: RpcPattern) => {
  calls[pattern] = (calls[pattern] ?? 0) + 1;
};
const behaviour = {
  health: (async () => HEALTHY) as Work<'directory.health'>,
  applyChanges: (async () => {
    throw new RoamingError('DIRECTORY_STAMP_CHANGED', 'another writer changed the stamp');
  }) as Work<'directory.apply-changes'>,
  // Off contract on purpose: a stamp must be 16 bytes of base64.
  readState: (async () => ({ stamp: 'not-a-stamp', state: null })) as unknown as Work<'directory.read-state'>,
  lookupUser: (async () => {
    throw new Error('ldap bind failed for cn=admin with password hunter2');
  }) as Work<'directory.lookup-user'>,
};

const logger = recordingLogger();
const refusals: RoamingEvent[] = [];
const grantGuard = new RpcGrantGuard(
  testGrants().verifier('directory-gateway'),
  { publish: async (event) => void refusals.push(event) },
  logger,
);

@Controller()
class DirectoryTestController {
  constructor(private readonly rpc: RpcHandlerRunner) {}

  @MessagePattern(RPC_PATTERNS.directoryHealth)
  health(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.directoryHealth, message, ctx, (request, meta) => {
      count(RPC_PATTERNS.directoryHealth);
      return behaviour.health(request, meta);
    });
  }

  @MessagePattern(RPC_PATTERNS.applyChanges)
  applyChanges(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.applyChanges, message, ctx, (request, meta) => {
      count(RPC_PATTERNS.applyChanges);
      return behaviour.applyChanges(request, meta);
    });
  }

  @MessagePattern(RPC_PATTERNS.readState)
  readState(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.readState, message, ctx, (request, meta) => {
      count(RPC_PATTERNS.readState);
      return behaviour.readState(request, meta);
    });
  }

  @MessagePattern(RPC_PATTERNS.lookupUser)
  lookupUser(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.lookupUser, message, ctx, (request, meta) => {
      count(RPC_PATTERNS.lookupUser);
      return behaviour.lookupUser(request, meta);
    });
  }
}

@Module({
  controllers: [DirectoryTestController],
  providers: [{ provide: RpcHandlerRunner, useFactory: () => new RpcHandlerRunner(logger, grantGuard) }],
})
class DirectoryTestModule {}

async function expectRoamingError(promise: Promise<unknown>): Promise<RoamingError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RoamingError);
  return error as RoamingError;
}

describe('RPC over RabbitMQ (rpcServer, RpcHandlerRunner, RpcClient)', () => {
  const namespace = testNamespace();
  let config: AmqpConfig;
  let probe: BrokerProbe;
  let server: INestMicroservice;
  let client: RpcClient;

  beforeAll(async () => {
    config = testConfig(namespace);
    probe = await BrokerProbe.open(namespace);
    server = await NestFactory.createMicroservice(DirectoryTestModule, {
      ...rpcServer(config, 'directory-gateway', { logger }),
      logger: false,
    });
    await server.listen();
    client = new RpcClient(config, 'directory-gateway', { logger });
    await client.connect();
  });

  afterAll(async () => {
    try {
      await Promise.allSettled([client?.close(), server?.close()]);
    } finally {
      await probe?.cleanUp();
    }
  }, 15_000);

  it('answers a call with the handler’s value, validated on both ends', async () => {
    const correlationId = randomUUID();
    const before = calls['directory.health'] ?? 0;

    const health = await client.call(RPC_PATTERNS.directoryHealth, {}, { correlationId });

    expect(health).toEqual(HEALTHY);
    expect(calls['directory.health']).toBe(before + 1);
    const line = logger.lines.find((entry) => entry.fields.correlationId === correlationId);
    expect(line?.fields).toEqual(
      expect.objectContaining({ pattern: 'directory.health', outcome: 'OK', durationMs: expect.any(Number) }),
    );
  });

  it('declares the service queue durable under the namespace', async () => {
    const queue = await probe.channel.checkQueue(`${namespace}.directory-gateway.rpc`);
    expect(queue.consumerCount).toBe(1);
  });

  it('refuses an invalid request in the client, before anything is sent', async () => {
    const before = calls['directory.health'] ?? 0;
    const error = await expectRoamingError(
      client.call(RPC_PATTERNS.directoryHealth, { unexpected: true } as never, {
        correlationId: randomUUID(),
      }),
    );
    expect(error.code).toBe('CONTRACT_VIOLATION');
    expect(calls['directory.health'] ?? 0).toBe(before);
  });

  it('answers an invalid request with CONTRACT_VIOLATION without running the handler', async () => {
    // A bare Nest client, as a peer with an outdated contract would send.
    const raw = new ClientRMQ(rpcClientOptions(config, 'directory-gateway').options);
    try {
      const before = calls['directory.health'] ?? 0;
      const reply = await firstValueFrom(
        raw.send(RPC_PATTERNS.directoryHealth, { correlationId: 'raw-1', payload: { unexpected: true } }),
      );
      expect(reply).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'CONTRACT_VIOLATION', retryable: false }),
      });
      const missingCorrelation = await firstValueFrom(
        raw.send(RPC_PATTERNS.directoryHealth, { payload: {} }),
      );
      expect(missingCorrelation).toEqual(
        expect.objectContaining({
          ok: false,
          error: expect.objectContaining({ code: 'CONTRACT_VIOLATION' }),
        }),
      );
      expect(calls['directory.health'] ?? 0).toBe(before);
    } finally {
      await raw.close();
    }
  });

  it('carries a thrown RoamingError’s code and retryability to the caller', async () => {
    const example = RPC_EXAMPLES['directory.apply-changes'].request;
    const error = await expectRoamingError(
      client.call(RPC_PATTERNS.applyChanges, example, {
        correlationId: randomUUID(),
        grant: testGrants().grantFor(RPC_PATTERNS.applyChanges),
      }),
    );
    expect(error.code).toBe('DIRECTORY_STAMP_CHANGED');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('another writer changed the stamp');
  });

  it('refuses a request for user data that carries no grant before any work, and reports the refusal', async () => {
    const example = RPC_EXAMPLES['directory.apply-changes'].request;
    const before = calls['directory.apply-changes'] ?? 0;
    const correlationId = randomUUID();
    const error = await expectRoamingError(
      client.call(RPC_PATTERNS.applyChanges, example, { correlationId }),
    );
    expect(error.code).toBe('GRANT_REQUIRED');
    expect(calls['directory.apply-changes'] ?? 0).toBe(before);
    expect(refusals.find((event) => event.correlationId === correlationId)).toMatchObject({
      type: 'security.request-refused',
      code: 1010,
      payload: { operation: 'directory.apply-changes', code: 'GRANT_REQUIRED', targetDn: example.userDn },
    });
  });

  it('answers INTERNAL for an unexpected exception, without leaking its message', async () => {
    const correlationId = randomUUID();
    const error = await expectRoamingError(
      client.call(RPC_PATTERNS.lookupUser, { login: 'alice' }, { correlationId }),
    );
    expect(error.code).toBe('INTERNAL');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain(correlationId);
  });

  it('answers INTERNAL when the handler’s reply breaks the contract, and logs it as a bug', async () => {
    const correlationId = randomUUID();
    const error = await expectRoamingError(
      client.call(RPC_PATTERNS.readState, RPC_EXAMPLES['directory.read-state'].request, { correlationId }),
    );
    expect(error.code).toBe('INTERNAL');
    const bug = logger.lines.find(
      (line) =>
        line.level === 'error' && line.fields.correlationId === correlationId && 'problem' in line.fields,
    );
    expect(bug?.fields.problem).toEqual(expect.stringContaining('stamp'));
  });

  it('never logs a payload', async () => {
    const login = `payload-marker-${randomUUID()}`;
    await expectRoamingError(
      client.call(RPC_PATTERNS.lookupUser, { login }, { correlationId: randomUUID() }),
    );
    expect(logger.text()).not.toContain(login);
  });

  it('refuses a pattern of another service', async () => {
    const error = await expectRoamingError(
      client.call('crypto.health' as never, {} as never, { correlationId: randomUUID() }),
    );
    expect(error.code).toBe('CONTRACT_VIOLATION');
  });

  it('times out with TIMEOUT (retryable) when no replica consumes, and the broker drops the stale request', async () => {
    const crypto = new RpcClient(config, 'token-crypto', { logger });
    try {
      await crypto.connect();
      const error = await expectRoamingError(
        crypto.call(RPC_PATTERNS.cryptoHealth, {}, { correlationId: randomUUID(), timeoutMs: 300 }),
      );
      expect(error.code).toBe('TIMEOUT');
      expect(error.retryable).toBe(true);
      // The request carried the caller's timeout as its TTL: nobody will run it after the caller gave up.
      await waitFor(async () => (await probe.readyCount(crypto.queue)) === 0, {
        description: 'the expired request to leave the queue',
      });
    } finally {
      await crypto.close();
    }
  });

  it('reports SERVICE_UNAVAILABLE when the broker cannot be reached', async () => {
    const unreachable = new RpcClient(
      { ...config, url: 'amqp://guest:guest@127.0.0.1:1' },
      'directory-gateway',
      {
        logger,
        connectTimeoutMs: 2_000,
      },
    );
    try {
      const error = await expectRoamingError(
        unreachable.call(RPC_PATTERNS.directoryHealth, {}, { correlationId: randomUUID(), timeoutMs: 2_000 }),
      );
      expect(error.code).toBe('SERVICE_UNAVAILABLE');
      expect(error.retryable).toBe(true);
    } finally {
      await unreachable.close();
    }
  });

  it('recovers after losing its broker connection', async () => {
    const proxy = await TcpProxy.start();
    const proxied = new RpcClient({ ...config, url: proxy.url() }, 'directory-gateway', { logger });
    try {
      await expect(
        proxied.call(RPC_PATTERNS.directoryHealth, {}, { correlationId: randomUUID() }),
      ).resolves.toEqual(HEALTHY);

      proxy.drop();

      // Calls fail fast (retryably) while the client reconnects, then succeed again.
      const outcomes = new Set<string>();
      await waitFor(
        async () => {
          try {
            await proxied.call(
              RPC_PATTERNS.directoryHealth,
              {},
              { correlationId: randomUUID(), timeoutMs: 500 },
            );
            return true;
          } catch (error) {
            outcomes.add((error as RoamingError).code);
            return false;
          }
        },
        { description: 'a call to succeed after the reconnect', timeoutMs: 8_000, intervalMs: 100 },
      );
      expect([...outcomes].every((code) => code === 'SERVICE_UNAVAILABLE' || code === 'TIMEOUT')).toBe(true);
    } finally {
      await proxied.close();
      await proxy.close();
    }
  });

  it('closes a replica right after a burst of replies without losing a reply or an unhandled rejection', async () => {
    const replica = await NestFactory.createMicroservice(DirectoryTestModule, {
      ...rpcServer(config, 'directory-gateway', { logger }),
      logger: false,
    });
    await replica.listen();
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        client.call(RPC_PATTERNS.directoryHealth, {}, { correlationId: `burst-${i}` }),
      ),
    );
    expect(replies).toHaveLength(50);
    // Some replies' publisher confirms are still in flight here: the stock ServerRMQ rejects them unhandled.
    await replica.close();
    expect(logger.lines.filter((line) => line.message === 'rpc reply not sent')).toEqual([]);
  });

  it('keeps request/reply latency low (noDelay on both ends): 100 sequential and 100 concurrent calls', async () => {
    const sequentialStart = performance.now();
    for (let i = 0; i < 100; i++) {
      await expect(
        client.call(RPC_PATTERNS.directoryHealth, {}, { correlationId: `seq-${i}` }),
      ).resolves.toEqual(HEALTHY);
    }
    const sequentialMs = performance.now() - sequentialStart;

    const concurrentStart = performance.now();
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        client.call(RPC_PATTERNS.directoryHealth, {}, { correlationId: `par-${i}` }),
      ),
    );
    const concurrentMs = performance.now() - concurrentStart;

    expect(replies).toHaveLength(100);
    expect(replies.every((reply) => reply.status === 'ok')).toBe(true);
    console.log(
      `RPC rate: ${Math.round(100_000 / sequentialMs)} calls/s sequential (${Math.round(sequentialMs)} ms for 100), ` +
        `${Math.round(100_000 / concurrentMs)} calls/s with 100 in flight`,
    );
  });
});
