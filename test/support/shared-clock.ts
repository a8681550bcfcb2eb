// One clock for a whole real stack, moved by the test: libfaketime (Debian package faketime, which npm test installs)
// preloaded into every service process and every agent run. The services and the workstations then see a day pass
// (a tombstone lifetime) or a workstation's clock run a few seconds off, with no test-only code in any of them: the
// grants, session expiries, device proofs and tombstone purges all read the same moved clock, as they would after a
// real day. Monotonic clocks are left alone, so timers, heartbeats and timeouts keep real time.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's multiarch path of libfaketime's thread-safe build (Node is multithreaded). */
const MULTIARCH: Partial<Record<NodeJS.Architecture, string>> = { x64: 'x86_64', arm64: 'aarch64' };
export const LIBFAKETIME = `/usr/lib/${MULTIARCH[process.arch] ?? process.arch}-linux-gnu/faketime/libfaketimeMT.so.1`;
/** How often (s) a service re-reads the shared offset (FAKETIME_CACHE_DURATION). */
const REREAD_SECONDS = 1;
/**
 * How long a move takes to reach every service. libfaketime re-reads the file once the real clock's whole seconds
 * since its last read exceed the cache duration (`now.tv_sec - last_data_fetch > cache_duration`), so a move written
 * just after a read is seen up to REREAD_SECONDS + 1 s later. Waiting 1.5 s missed that window now and then: the
 * session-renewal suite got GRANT_EXPIRED when logon-events still issued grants at the old time and the gateway
 * checked them at the new one.
 */
const MOVE_REACHES_ALL_MS = (REREAD_SECONDS + 1) * 1000 + 500;

function seconds(ms: number): string {
  return `${ms < 0 ? '-' : '+'}${(Math.abs(ms) / 1000).toFixed(3)}`;
}

export class SharedClock {
  private offsetMs = 0;

  private constructor(private readonly file: string) {
    this.write();
  }

  static create(dir: string): SharedClock {
    if (!existsSync(LIBFAKETIME)) {
      throw new Error(
        `${LIBFAKETIME} is missing: apt-get install faketime (npm test installs it when missing)`,
      );
    }
    return new SharedClock(join(dir, 'faketime.rc'));
  }

  /** For a long-running service: follows every move of the clock. */
  serviceEnv(): Record<string, string> {
    return {
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME_TIMESTAMP_FILE: this.file,
      FAKETIME_CACHE_DURATION: String(REREAD_SECONDS),
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    };
  }

  /** For one agent run on a workstation whose clock is `skewMs` off the servers'. */
  workstationEnv(skewMs: number): Record<string, string> {
    return {
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME: seconds(this.offsetMs + skewMs),
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    };
  }

  /** The servers' time now. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves every clock forward; resolves once every service has read the move. */
  async advance(ms: number): Promise<void> {
    this.offsetMs += ms;
    this.write();
    await new Promise((resolve) => setTimeout(resolve, MOVE_REACHES_ALL_MS));
  }

  private write(): void {
    writeFileSync(this.file, `${seconds(this.offsetMs)}\n`);
  }
}
