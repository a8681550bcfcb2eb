import { once } from 'node:events';
import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { OperatorTokenGuard } from '../access/operator-token.guard';
import { exportQuerySchema, listQuerySchema, type EventPage } from '../contract/audit-api.schemas';
import { parseQuery } from '../http/parse-query';
import { csvHeader, toCsvRow, toNdjsonLine } from './event-export.format';
import { toEventFilter } from './event-filter';
import { EventsService } from './events.service';

const DEFAULT_PAGE = 100;
const DEFAULT_EXPORT = 100_000;

@Controller('v1/events')
@UseGuards(OperatorTokenGuard)
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  list(@Query() query: unknown): Promise<EventPage> {
    const params = parseQuery(listQuerySchema, query);
    return this.events.list(toEventFilter(params), params.cursor, params.limit ?? DEFAULT_PAGE);
  }

  /** Streams every matching event as CSV or NDJSON, reading pages as the client keeps up. */
  @Get('export')
  async export(@Query() query: unknown, @Res() response: Response): Promise<void> {
    const params = parseQuery(exportQuerySchema, query);
    const format = params.format ?? 'csv';
    const events = this.events.export(toEventFilter(params), params.limit ?? DEFAULT_EXPORT);
    // The first page is read before any header goes out, so a database failure is still a proper 503.
    let next = await events.next();
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    response.status(200);
    response.setHeader(
      'Content-Type',
      format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    );
    response.setHeader('Content-Disposition', `attachment; filename="credroam-audit-${stamp}.${format}"`);
    let closed = false;
    response.once('close', () => (closed = true));
    if (format === 'csv') response.write(csvHeader());
    while (!next.done && !closed) {
      const line = format === 'csv' ? toCsvRow(next.value) : toNdjsonLine(next.value);
      if (!response.write(line)) await Promise.race([once(response, 'drain'), once(response, 'close')]);
      next = await events.next();
    }
    await events.return(undefined);
    response.end();
  }
}
