import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import { type EventEnvelope } from '@credroam/roaming';
import type { Response } from 'express';
import { OperatorTokenGuard } from '../access/operator-token.guard';
import { streamQuerySchema } from '../contract/audit-api.schemas';
import { toEventFilter } from '../events/event-filter';
import { parseQuery } from '../http/parse-query';
import { LiveFeedService, type LiveSink } from './live-feed.service';

/** A client this far behind (bytes buffered in the socket) is dropped; its EventSource reconnects. */
const MAX_BUFFERED_BYTES = 1 << 20;
const HEARTBEAT_MS = 15_000;

/** One SSE frame: `data` is a single line because JSON.stringify escapes every newline. */
export function sseFrame(event: EventEnvelope): string {
  return `id: ${event.id}\nevent: audit-event\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Server-Sent Events: every event published from the moment the stream opens that matches the filters, as
 * `event: audit-event` frames (the envelope as JSON). An `event: ready` frame says the subscription is live;
 * comments keep idle proxies from closing the connection. Authentication is the same bearer token as the rest of
 * the API, so browsers read it with fetch() streaming (the dashboard does) rather than EventSource, which cannot
 * send headers; `curl -N -H "Authorization: Bearer …"` works too.
 */
@Controller('v1/stream')
@UseGuards(OperatorTokenGuard)
export class StreamController {
  constructor(private readonly feed: LiveFeedService) {}

  @Get()
  async stream(@Query() query: unknown, @Res() response: Response): Promise<void> {
    const filter = toEventFilter(parseQuery(streamQuerySchema, query));
    const open = () => {
      if (response.headersSent) return;
      response.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      response.write('retry: 3000\n\n');
    };
    const sink: LiveSink = {
      send: (event) => {
        if (response.writableLength > MAX_BUFFERED_BYTES) return false;
        open();
        response.write(sseFrame(event));
        return true;
      },
      close: () => response.end(),
    };
    // The response's close event covers both ends: the client going away and the server ending the stream.
    let closed = false;
    response.once('close', () => (closed = true));
    // Subscribing first means a broker outage is still answered with a 503 instead of an empty stream.
    const unsubscribe = await this.feed.subscribe(filter, sink);
    if (closed) return unsubscribe();
    open();
    response.write('event: ready\ndata: {}\n\n');
    const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
    response.once('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  }
}
