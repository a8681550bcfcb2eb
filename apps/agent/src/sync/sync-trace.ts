// The workstation's end of a sync's trace (W3C trace context). The agent exports no spans, so it needs no tracing
// SDK: it makes the root span's context itself and sends it as `traceparent` on every request of the sync, and the
// services (libs/observability) hang their spans under it. The trace id is what a help desk searches the traces for.
import { randomBytes } from 'node:crypto';
import {
  defaultTextMapSetter,
  isSpanContextValid,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type SpanContext,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const propagator = new W3CTraceContextPropagator();

export interface SyncTrace {
  /** 32 lower-case hex digits: the id of the trace every service's spans of this sync share. */
  readonly traceId: string;
  /** The trace context headers (`traceparent`) for the requests of this sync. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A new trace for one sync. Sampled: the services sample by their parent (OpenTelemetry's default), so an unsampled
 * context would switch their spans off.
 */
export function startSyncTrace(random: (size: number) => Buffer = randomBytes): SyncTrace {
  let root: SpanContext;
  // All-zero ids are invalid (a propagator drops them): 2^-64 odds, drawn again.
  do {
    root = {
      traceId: random(16).toString('hex'),
      spanId: random(8).toString('hex'),
      traceFlags: TraceFlags.SAMPLED,
    };
  } while (!isSpanContextValid(root));
  const headers: Record<string, string> = {};
  propagator.inject(trace.setSpanContext(ROOT_CONTEXT, root), headers, defaultTextMapSetter);
  return { traceId: root.traceId, headers };
}
