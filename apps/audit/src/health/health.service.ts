import { type Health } from '../contract/audit-api.schemas';

export interface Probe {
  name: string;
  /** Never throws: up or down with a detail (no credentials in it). */
  check(): Promise<{ ok: boolean; detail: string }>;
}

const PROBE_TIMEOUT_MS = 3_000;

async function withTimeout(probe: Probe): Promise<{ ok: boolean; detail: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ ok: boolean; detail: string }>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, detail: `no answer within ${PROBE_TIMEOUT_MS} ms` }),
      PROBE_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([
      probe
        .check()
        .catch((error: unknown) => ({ ok: false, detail: String((error as Error)?.message ?? error) })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Readiness: the database and the broker both answer. Liveness needs nothing but a running event loop. */
export class HealthService {
  constructor(private readonly probes: readonly Probe[]) {}

  async ready(): Promise<Health> {
    const results = await Promise.all(
      this.probes.map(async (probe) => [probe.name, await withTimeout(probe)] as const),
    );
    const checks = Object.fromEntries(
      results.map(([name, result]) => [
        name,
        { status: result.ok ? ('up' as const) : ('down' as const), detail: result.detail },
      ]),
    );
    return { status: results.every(([, result]) => result.ok) ? 'ok' : 'error', checks };
  }
}
