import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultTextMapGetter, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { startSyncTrace } from './sync-trace';

describe('startSyncTrace', () => {
  it('makes a sampled W3C traceparent whose trace id is the one the agent reports', () => {
    const syncTrace = startSyncTrace();
    expect(syncTrace.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(syncTrace.headers.traceparent).toMatch(new RegExp(`^00-${syncTrace.traceId}-[0-9a-f]{16}-01$`));
    // What a service reads back from the header: the same trace, sampled, as a remote parent.
    const read = new W3CTraceContextPropagator().extract(
      ROOT_CONTEXT,
      syncTrace.headers,
      defaultTextMapGetter,
    );
    expect(trace.getSpanContext(read)).toMatchObject({
      traceId: syncTrace.traceId,
      traceFlags: 1,
      isRemote: true,
    });
  });

  it('starts a new trace for every sync', () => {
    expect(startSyncTrace().traceId).not.toBe(startSyncTrace().traceId);
  });

  it('draws again rather than send an all-zero id, which a service would drop', () => {
    const draws = [Buffer.alloc(16), Buffer.alloc(8), Buffer.alloc(16, 0xab), Buffer.alloc(8, 0xcd)];
    const syncTrace = startSyncTrace(() => draws.shift()!);
    expect(syncTrace.traceId).toBe('ab'.repeat(16));
    expect(syncTrace.headers.traceparent).toBe(`00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`);
  });
});
