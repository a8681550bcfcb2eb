// Manual acknowledgements on the RPC queue: a request is acknowledged only once its reply is computed, so a
// replica that dies mid-request hands it to another replica instead of losing it; prefetch bounds what a busy
// replica holds.
import 'reflect-metadata';
import { RPC_PATTERNS } from '@credroam/roaming';
import { RpcClient, RpcHandlerRunner, rpcServer, type AmqpConfig } from '@credroam/messaging';
import {
  Controller,
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type INestMicroservice,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { waitFor } from '../../helpers/wait-for';
import {
  BrokerProbe,
  gate,
  recordingLogger,
  testConfig,
  testNamespace,
} from '../../support/messaging-fixtures';

// Nest's own client logs ("Successfully connected") would only clutter the test output.
Logger.overrideLogger(false);

const REPLICA = Symbol('replica');
const logger = recordingLogger();

interface Replica {
  name: string;
  /** Requests the handler started, with whether the broker marked them redelivered. */
  started: { correlationId: string; redelivered: boolean }[];
  /** While set, the handler waits on it: a request that "never finishes". */
  stall?: Promise<void>;
}

@Controller()
class HealthController {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    @Inject(REPLICA) private readonly replica: Replica,
  ) {}

  @MessagePattern(RPC_PATTERNS.directoryHealth)
  health(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.directoryHealth, message, ctx, async (_request, meta) => {
      this.replica.started.push({ correlationId: meta.correlationId, redelivered: meta.redelivered });
      if (this.replica.stall) await this.replica.stall;
      return { status: 'ok' as const, checks: { replica: { ok: true, detail: this.replica.name } } };
    });
  }
}

@Module({})
class ReplicaModule {
  static for(replica: Replica): DynamicModule {
    return {
      module: ReplicaModule,
      controllers: [HealthController],
      providers: [
        { provide: REPLICA, useValue: replica },
        { provide: RpcHandlerRunner, useFactory: () => new RpcHandlerRunner(logger) },
      ],
    };
  }
}

async function startReplica(config: AmqpConfig, replica: Replica): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(ReplicaModule.for(replica), {
    ...rpcServer(config, 'directory-gateway', { logger }),
    logger: false,
  });
  await app.listen();
  return app;
}

describe('RPC manual acknowledgement', () => {
  const namespace = testNamespace();
  let config: AmqpConfig;
  let probe: BrokerProbe;
  let client: RpcClient;
  const apps: INestMicroservice[] = [];

  beforeAll(async () => {
    config = testConfig(namespace, { prefetch: 1 });
    probe = await BrokerProbe.open(namespace);
    client = new RpcClient(config, 'directory-gateway', { logger });
    await client.connect();
  });

  afterAll(async () => {
    try {
      await Promise.allSettled([client?.close(), ...apps.map((app) => app.close())]);
    } finally {
      await probe?.cleanUp();
    }
  }, 15_000);

  it('keeps a request unacknowledged while its handler runs and redelivers it when that replica goes away', async () => {
    const stalled = gate();
    const first: Replica = { name: 'first', started: [], stall: stalled.promise };
    const firstApp = await startReplica(config, first);
    apps.push(firstApp);
    const queue = client.queue;

    const slow = client.call(
      RPC_PATTERNS.directoryHealth,
      {},
      { correlationId: 'stalled-1', timeoutMs: 10_000 },
    );
    await waitFor(() => first.started.length === 1, { description: 'the first replica to take the request' });

    // Prefetch 1: the first replica holds one unacknowledged request, so the next one waits in the queue.
    const queued = client.call(
      RPC_PATTERNS.directoryHealth,
      {},
      { correlationId: 'queued-2', timeoutMs: 10_000 },
    );
    await waitFor(async () => (await probe.readyCount(queue)) === 1, {
      description: 'the second request to wait in the queue',
    });
    expect(first.started).toHaveLength(1);

    const second: Replica = { name: 'second', started: [] };
    apps.push(await startReplica(config, second));
    await expect(queued).resolves.toEqual(
      expect.objectContaining({ checks: { replica: { ok: true, detail: 'second' } } }),
    );

    // The first replica's channel closes with the request still unacknowledged: the broker requeues it.
    apps.splice(apps.indexOf(firstApp), 1);
    await firstApp.close();
    await expect(slow).resolves.toEqual(
      expect.objectContaining({ checks: { replica: { ok: true, detail: 'second' } } }),
    );
    expect(second.started).toEqual([
      { correlationId: 'queued-2', redelivered: false },
      { correlationId: 'stalled-1', redelivered: true },
    ]);

    // The stalled handler finishing late must not disturb anything: its acknowledgement has no channel left.
    stalled.open();
    await waitFor(() => logger.lines.some((line) => line.message.includes('could not acknowledge')), {
      description: 'the late acknowledgement to be refused',
    });
    expect(await probe.readyCount(queue)).toBe(0);
  });
});
