import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseWith } from '@credroam/roaming';
import { type AtomicFileWriter } from './atomic-file.writer';
import { type StoreLayout } from './store-layout';

/** A day either way: beyond that the clock is not "off", it is broken, and no offset should paper over it. */
export const MAX_CLOCK_OFFSET_MS = 86_400_000;

const clockOffsetSchema = z
  .object({
    format: z.literal(1),
    /** Server time minus this workstation's clock, as last measured (ms). */
    offsetMs: z.number().int().min(-MAX_CLOCK_OFFSET_MS).max(MAX_CLOCK_OFFSET_MS),
  })
  .strict();

/**
 * How far logon-events' clock is from this workstation's (server-clock.ts), kept between runs so that a workstation
 * whose clock is off dates its proofs and edits by the server's time from its first request on, not only after a
 * refusal. Any problem reading it counts as no offset: the next refusal measures it again.
 */
export class ClockOffsetFile {
  constructor(
    private readonly layout: StoreLayout,
    private readonly writer: AtomicFileWriter,
  ) {}

  read(): number {
    try {
      const parsed = parseWith(clockOffsetSchema, JSON.parse(readFileSync(this.layout.clockFile, 'utf8')));
      return parsed.ok ? parsed.value.offsetMs : 0;
    } catch {
      return 0;
    }
  }

  write(offsetMs: number): void {
    const checked = parseWith(clockOffsetSchema, { format: 1, offsetMs: Math.round(offsetMs) });
    if (!checked.ok) return;
    this.writer.write(this.layout.clockFile, `${JSON.stringify(checked.value)}\n`, 0o600);
  }
}
