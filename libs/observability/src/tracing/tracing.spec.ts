import { context, trace } from '@opentelemetry/api';
import { contextFromHeaders, SpanKind, startTracing, traceHeaders, tracer } from './tracing';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

describe('tracing', () => {
  beforeAll(() => startTracing('spec', {}));

  it('continues the trace named in incoming headers and writes it into outgoing ones', () => {
    const parent = contextFromHeaders({ traceparent: PARENT, 'x-other': 7 });
    const span = tracer().startSpan('child', { kind: SpanKind.SERVER }, parent);
    const headers = context.with(trace.setSpan(parent, span), () => traceHeaders());
    span.end();
    expect(headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(headers.traceparent).not.toBe(PARENT);
  });

  it('starts a fresh trace when the headers carry none or a malformed one', () => {
    for (const headers of [undefined, {}, { traceparent: 'junk' }, { traceparent: ['a', 1] }]) {
      const span = tracer().startSpan('root', {}, contextFromHeaders(headers as Record<string, unknown>));
      expect(span.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.spanContext().traceId).not.toBe(TRACE_ID);
      span.end();
    }
  });

  it('refuses an OTLP endpoint that is not a URL, naming the variable', () => {
    expect(() => startTracing('spec', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
    expect(startTracing('spec', {}).exporting).toBe('off');
  });
});
