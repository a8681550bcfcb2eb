// Polling for conditions that become true eventually (a process is ready, a message arrived).

export interface WaitForOptions {
  /** What is awaited, for the error message: "audit to store event e-1". */
  description: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** Stops polling (rejects) once aborted, e.g. when a race the wait is part of is already decided. */
  signal?: AbortSignal;
}

/**
 * Calls `probe` until it returns a value other than undefined/false/null and resolves with that value. A probe
 * that throws counts as "not yet"; on timeout the error names the description and the last thrown error.
 */
export async function waitFor<T>(
  probe: () => T | false | null | undefined | Promise<T | false | null | undefined>,
  { description, timeoutMs = 5_000, intervalMs = 25, signal }: WaitForOptions,
): Promise<T> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    if (signal?.aborted) throw new Error(`Stopped waiting for ${description}`);
    try {
      const value = await probe();
      if (value !== undefined && value !== false && value !== null) return value;
    } catch (error) {
      lastError = error;
    }
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`Timed out after ${elapsed} ms waiting for ${description}${cause}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, timeoutMs - elapsed)));
  }
}
