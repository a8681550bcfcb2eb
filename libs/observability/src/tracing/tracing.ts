import {
  context,
  propagation,
  trace,
  SpanKind,
  SpanStatusCode,
  type Context,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { z } from 'zod';
import { SpanFileExporter } from './span-file.exporter';

const TRACER_NAME = 'credroam';

/** The provider startTracing registered, flushed by stopTracing at shutdown. */
let registered: NodeTracerProvider | undefined;

const tracingEnvSchema = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .optional(),
  CREDROAM_TRACE_FILE: z.string().min(1).max(4096).optional(),
});

export interface TracingSetup {
  /** Where spans go: 'off', 'otlp <url>', 'file <path>' (for the startup log line). */
  exporting: string;
}

/**
 * Starts tracing for a service, first thing in main(): W3C trace context (traceparent) is always read from and
 * written to HTTP and AMQP headers, so a trace passes through a service even when it exports nothing. Exporting
 * is off unless OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT, OpenTelemetry's own variables, read by the
 * OTLP exporter) is set; CREDROAM_TRACE_FILE (tests) appends finished spans to a file as JSON lines.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): TracingSetup {
  const present = Object.fromEntries(
    Object.keys(tracingEnvSchema.shape)
      .map((name) => [name, env[name]?.trim()])
      .filter(([, value]) => value),
  );
  const parsed = tracingEnvSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`tracing: ${issue?.path.join('.')} ${issue?.message}`);
  }
  const settings = parsed.data;
  const processors: SpanProcessor[] = [];
  const exporting: string[] = [];
  const otlp = settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? settings.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (otlp) {
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
    exporting.push(`otlp ${otlp}`);
  }
  if (settings.CREDROAM_TRACE_FILE) {
    processors.push(new SimpleSpanProcessor(new SpanFileExporter(settings.CREDROAM_TRACE_FILE, service)));
    exporting.push(`file ${settings.CREDROAM_TRACE_FILE}`);
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: processors,
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  registered = provider;
  return { exporting: exporting.join(', ') || 'off' };
}

/** Flushes the spans still batched and stops exporting (the service is shutting down). */
export async function stopTracing(): Promise<void> {
  const provider = registered;
  registered = undefined;
  await provider?.shutdown();
}

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** Header maps as AMQP (values of any type) and Node's HTTP (string or string[]) carry them. */
type Carrier = Record<string, unknown>;

const carrierGetter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
    return undefined;
  },
};

/** The trace context (traceparent, tracestate) of the active span, to put into outgoing headers. */
export function traceHeaders(active: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(active, headers);
  return headers;
}

/** The context a caller sent in its headers (the active one when they carry none or a malformed one). */
export function contextFromHeaders(headers: Carrier | undefined): Context {
  return propagation.extract(context.active(), headers ?? {}, carrierGetter);
}

/**
 * Runs `work` inside a new span (child of `parent`), ends it, and marks it failed when `work` throws or
 * `outcome` (read after the work) is not OK. Returns what `work` returns.
 */
export async function inSpan<T>(
  name: string,
  options: { kind: SpanKind; parent?: Context; attributes?: Record<string, string> },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: options.kind, attributes: options.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as { code?: string }).code ?? 'error' });
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span failed with an error code (never a message: those may quote input). */
export function failSpan(span: Span, code: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.setAttribute('credroam.outcome', code);
}

export { SpanKind };
