import { MAX_CLOCK_OFFSET_MS } from '../store/clock-offset.file';

/**
 * Below this a measured offset is the measurement's own error (an HTTP Date has whole seconds, and the answer
 * spends time on the way): the workstation's clock is then taken as right, and a known offset as unchanged.
 * Well inside every tolerance that depends on it: INGRESS_FRESHNESS_MS (120 s) and policy clockSkewSeconds.
 */
export const CLOCK_OFFSET_NOISE_MS = 5_000;

/**
 * The offset to use after measuring `measuredMs` (server time minus local time) with `currentMs` in use: none
 * when the clocks agree within the noise, the one in use when the measurement confirms it, else the measurement.
 * So a right clock never drifts by measurement noise, an offset is stable once learnt, and a clock set right (or
 * stepped) is followed at the next measurement.
 */
export function nextClockOffset(currentMs: number, measuredMs: number): number {
  if (!Number.isFinite(measuredMs) || Math.abs(measuredMs) > MAX_CLOCK_OFFSET_MS) return currentMs;
  if (Math.abs(measuredMs) < CLOCK_OFFSET_NOISE_MS) return 0;
  if (Math.abs(measuredMs - currentMs) < CLOCK_OFFSET_NOISE_MS) return currentMs;
  return Math.round(measuredMs);
}

export interface ClockOffsetStore {
  read(): number;
  write(offsetMs: number): void;
}

/**
 * The workstation's idea of logon-events' time: its own clock plus the offset last measured against the server
 * (a CLOCK_SKEW refusal names the server's time; every HTTP answer carries a Date). Device proofs, sealed logon
 * passwords and the modified time of local edits are dated by it, so a workstation whose clock is minutes off
 * neither has its requests refused as stale nor its edits ordered wrongly against other machines' (the directory
 * decides conflicts by these times).
 */
export class ServerClock {
  private offsetMs: number | null = null;

  constructor(
    private readonly local: () => number,
    private readonly store: ClockOffsetStore,
  ) {}

  now = (): number => this.local() + this.offset();

  /** The server said it was `serverTime` (ms UTC) when it answered, which arrived just now. */
  observe = (serverTime: number): void => {
    const current = this.offset();
    const next = nextClockOffset(current, serverTime - this.local());
    if (next === current) return;
    this.offsetMs = next;
    try {
      this.store.write(next);
    } catch {
      // Kept for this run only; the next run measures it again at its first refusal or answer.
    }
  };

  private offset(): number {
    this.offsetMs ??= this.store.read();
    return this.offsetMs;
  }
}
