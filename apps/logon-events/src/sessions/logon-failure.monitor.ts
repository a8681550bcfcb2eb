export interface LogonFailureThresholds {
  /** More failures than this within the window raise an alert. */
  threshold: number;
  windowMs: number;
  /** How many users and sources are tracked at most; the least recently failing are forgotten first. */
  maxTracked: number;
}

interface Track {
  /** Times of the latest failures in the window, at most threshold + 1 of them. */
  times: number[];
  /** Alerted since the count last went over the threshold: one alert per burst, not one per failure. */
  alerted: boolean;
}

/**
 * Counts failed logons per key (a user, a source) in a sliding window and says when a key goes over the
 * threshold. In memory, per replica: behind a load balancer each replica counts what it sees, so an attack spread
 * over N replicas is caught at up to N times the threshold.
 */
export class LogonFailureMonitor {
  private readonly tracks = new Map<string, Track>();

  constructor(readonly thresholds: LogonFailureThresholds) {}

  /** Records a failure; returns the failures counted when this one takes the key over the threshold, else null. */
  record(key: string, now: number): number | null {
    const { threshold, windowMs, maxTracked } = this.thresholds;
    const track = this.tracks.get(key) ?? { times: [], alerted: false };
    // Re-inserted so that the map's order is least recently failing first.
    this.tracks.delete(key);
    track.times = [...track.times.filter((at) => at > now - windowMs), now].slice(-(threshold + 1));
    if (track.times.length <= threshold) track.alerted = false;
    this.tracks.set(key, track);
    for (const oldest of this.tracks.keys()) {
      if (this.tracks.size <= maxTracked) break;
      this.tracks.delete(oldest);
    }
    if (track.times.length > threshold && !track.alerted) {
      track.alerted = true;
      return track.times.length;
    }
    return null;
  }
}
