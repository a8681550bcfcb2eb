import { RoamingError, RPC_PATTERNS, type Health } from '@credroam/roaming';
import type { MessagingLogger } from '../messaging.logger';
import { RpcHandlerRunner, type RpcDeliveryContext } from './rpc-handler.runner';

const HEALTHY: Health = { status: 'ok', checks: { ldap: { ok: true } } };

function fakeDelivery(options: { redelivered?: boolean; closed?: boolean } = {}) {
  const message = { fields: { redelivered: options.redelivered ?? false }, properties: { headers: {} } };
  const acked: unknown[] = [];
  const channel = {
    ack: (delivered: unknown) => {
      if (options.closed) throw new Error('Channel closed');
      acked.push(delivered);
    },
  };
  const ctx = { getMessage: () => message, getChannelRef: () => channel } as unknown as RpcDeliveryContext;
  return { ctx, message, acked };
}

function recordingLogger() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) =>
    lines.push({ level, message, fields });
  const logger: MessagingLogger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
  return { logger, lines };
}

describe('RpcHandlerRunner', () => {
  it('runs valid work, acknowledges once and logs one line without the payload', async () => {
    const { logger, lines } = recordingLogger();
    const { ctx, message, acked } = fakeDelivery();
    const work = jest.fn(async () => HEALTHY);

    const reply = await new RpcHandlerRunner(logger).run(
      RPC_PATTERNS.directoryHealth,
      { correlationId: 'c-1', payload: {} },
      ctx,
      work,
    );

    expect(reply).toEqual({ ok: true, value: HEALTHY });
    expect(work).toHaveBeenCalledWith({}, { correlationId: 'c-1', redelivered: false });
    expect(acked).toEqual([message]);
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'rpc handled',
        fields: {
          pattern: 'directory.health',
          correlationId: 'c-1',
          outcome: 'OK',
          durationMs: expect.any(Number),
        },
      },
    ]);
  });

  it('answers CONTRACT_VIOLATION without running the work for an invalid request', async () => {
    const { ctx, acked } = fakeDelivery();
    const work = jest.fn(async () => HEALTHY);
    const reply = await new RpcHandlerRunner(recordingLogger().logger).run(
      RPC_PATTERNS.lookupUser,
      { correlationId: 'c-2', payload: { login: 'alice', extra: 1 } },
      ctx,
      work as never,
    );
    expect(reply).toMatchObject({ ok: false, error: { code: 'CONTRACT_VIOLATION' } });
    expect(work).not.toHaveBeenCalled();
    expect(acked).toHaveLength(1);
  });

  it('maps a RoamingError to its code and anything else to INTERNAL without its message', async () => {
    const runner = new RpcHandlerRunner(recordingLogger().logger);
    const request = { correlationId: 'c-3', payload: {} };
    const stamp = await runner.run(RPC_PATTERNS.directoryHealth, request, fakeDelivery().ctx, async () => {
      throw new RoamingError('DIRECTORY_STAMP_CHANGED', 'lost the race', { attempt: 2 });
    });
    expect(stamp).toEqual({
      ok: false,
      error: {
        code: 'DIRECTORY_STAMP_CHANGED',
        message: 'lost the race',
        retryable: true,
        details: { attempt: 2 },
      },
    });
    const internal = await runner.run(RPC_PATTERNS.directoryHealth, request, fakeDelivery().ctx, async () => {
      throw new TypeError('cannot read secretValue of undefined');
    });
    expect(internal).toMatchObject({ ok: false, error: { code: 'INTERNAL', retryable: false } });
    expect(JSON.stringify(internal)).not.toContain('secretValue');
  });

  it('answers INTERNAL and logs a bug when the work returns an off-contract value', async () => {
    const { logger, lines } = recordingLogger();
    const reply = await new RpcHandlerRunner(logger).run(
      RPC_PATTERNS.directoryHealth,
      { correlationId: 'c-4', payload: {} },
      fakeDelivery().ctx,
      async () => ({ status: 'fine' }) as never,
    );
    expect(reply).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(
      lines.find((line) => line.level === 'error' && 'problem' in line.fields)?.fields.problem,
    ).toContain('status');
  });

  it('trims an error reply that would not fit the wire contract', async () => {
    const reply = await new RpcHandlerRunner(recordingLogger().logger).run(
      RPC_PATTERNS.directoryHealth,
      { correlationId: 'c-5', payload: {} },
      fakeDelivery().ctx,
      async () => {
        throw new RoamingError('DIRECTORY_UNAVAILABLE', 'x'.repeat(10_000));
      },
    );
    expect(reply).toMatchObject({ ok: false, error: { code: 'DIRECTORY_UNAVAILABLE', retryable: true } });
    expect(!reply.ok && reply.error.message.length).toBe(4096);
  });

  it('passes the redelivery flag on and survives a channel that closed meanwhile', async () => {
    const { logger, lines } = recordingLogger();
    const { ctx } = fakeDelivery({ redelivered: true, closed: true });
    const work = jest.fn(async () => HEALTHY);
    const reply = await new RpcHandlerRunner(logger).run(
      RPC_PATTERNS.directoryHealth,
      { correlationId: 'c-6', payload: {} },
      ctx,
      work,
    );
    expect(reply.ok).toBe(true);
    expect(work).toHaveBeenCalledWith({}, { correlationId: 'c-6', redelivered: true });
    expect(lines.some((line) => line.message.includes('could not acknowledge'))).toBe(true);
  });
});
