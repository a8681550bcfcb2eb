import { appendFileSync } from 'node:fs';
import { ExportResultCode, hrTimeToMicroseconds, type ExportResult } from '@opentelemetry/core';
import { type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';

/** One finished span as a line of the span file: what a test needs to put a trace back together. */
export interface SpanRecord {
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  startMicros: number;
  attributes: Record<string, unknown>;
}

/**
 * Test-only exporter: appends each finished span to a file as a JSON line, synchronously, so a test reading the
 * file after the request sees every span without waiting for a batch. Spans carry names, ids and the bounded
 * attributes credroam sets (patterns, routes, codes), never payloads.
 */
export class SpanFileExporter implements SpanExporter {
  constructor(
    private readonly file: string,
    private readonly service: string,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const lines = spans.map((span) => {
      const record: SpanRecord = {
        service: this.service,
        name: span.name,
        kind: span.kind,
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
        parentSpanId: span.parentSpanContext?.spanId ?? null,
        startMicros: hrTimeToMicroseconds(span.startTime),
        attributes: { ...span.attributes },
      };
      return `${JSON.stringify(record)}\n`;
    });
    try {
      appendFileSync(this.file, lines.join(''));
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {}
}
