import { collectDefaultMetrics, Counter, Gauge, Histogram, register, type Registry } from 'prom-client';

/** Request latencies from a cached health answer (ms) to a sync of a large store (seconds). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The metrics every credroam service exposes on `/metrics`: Node's defaults and RED (rate, errors, duration) per
 * RPC pattern and HTTP route. They live on prom-client's default registry, because a process has one exposition
 * and the hooks that feed it (the RPC runner, the RPC client, the HTTP middleware) sit in shared libraries
 * that are not Nest providers everywhere. Labels are bounded: patterns, routes as declared (never the raw URL),
 * outcome codes.
 */
export const serviceMetricsRegistry: Registry = register;

let defaultsCollected = false;
/** Node's process metrics (CPU, memory, event loop lag), once per process. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: serviceMetricsRegistry });
}

export const rpcServerRequests = new Counter({
  name: 'credroam_rpc_server_requests_total',
  help: 'RPC requests this service handled, by pattern and outcome (OK or the error code).',
  labelNames: ['pattern', 'outcome'] as const,
  registers: [serviceMetricsRegistry],
});

export const rpcServerDuration = new Histogram({
  name: 'credroam_rpc_server_duration_seconds',
  help: 'Time from receiving an RPC request to its reply, by pattern.',
  labelNames: ['pattern'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [serviceMetricsRegistry],
});

export const rpcClientRequests = new Counter({
  name: 'credroam_rpc_client_requests_total',
  help: 'RPC calls this service made, by pattern and outcome (OK or the error code).',
  labelNames: ['pattern', 'outcome'] as const,
  registers: [serviceMetricsRegistry],
});

export const rpcClientDuration = new Histogram({
  name: 'credroam_rpc_client_duration_seconds',
  help: 'Time an RPC call took as its caller saw it (queueing, transport and handling), by pattern.',
  labelNames: ['pattern'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [serviceMetricsRegistry],
});

export const rpcClientConnected = new Gauge({
  name: 'credroam_broker_connected',
  help: "1 while this service's RPC client to a service has a broker connection, 0 while it has none.",
  labelNames: ['service'] as const,
  registers: [serviceMetricsRegistry],
});

export const eventsPublished = new Counter({
  name: 'credroam_events_published_total',
  help: 'Domain events published, by type and outcome (confirmed by the broker, or failed).',
  labelNames: ['type', 'outcome'] as const,
  registers: [serviceMetricsRegistry],
});

export const httpRequests = new Counter({
  name: 'credroam_http_requests_total',
  help: 'HTTP requests answered, by method, route (as declared) and status.',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [serviceMetricsRegistry],
});

export const httpDuration = new Histogram({
  name: 'credroam_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by method and route (as declared).',
  labelNames: ['method', 'route'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [serviceMetricsRegistry],
});

/** Seconds since `started` (a performance.now() reading). */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}

/** The Prometheus text exposition of the service registry, plus any registry of the app's own (audit's). */
export async function renderMetrics(
  extra: readonly Registry[] = [],
): Promise<{ contentType: string; body: string }> {
  const registries = [serviceMetricsRegistry, ...extra];
  const body = (await Promise.all(registries.map((registry) => registry.metrics()))).join('\n');
  return { contentType: serviceMetricsRegistry.contentType, body };
}

let ldapPoolReader: (() => Record<string, number>) | undefined;

export const ldapPoolConnections = new Gauge({
  name: 'credroam_ldap_pool_connections',
  help: "The gateway's LDAP connections to the directory: configured, open (bound), busy (operations in flight).",
  labelNames: ['state'] as const,
  registers: [serviceMetricsRegistry],
  collect() {
    for (const [state, count] of Object.entries(ldapPoolReader?.() ?? {})) this.set({ state }, count);
  },
});

/** Where the LDAP pool gauge reads from at each scrape (the gateway's pool; the latest one registered). */
export function watchLdapPool(read: () => Record<string, number>): void {
  ldapPoolReader = read;
}

let changeWaitsReader: (() => number) | undefined;

export const changeWaitsOpen = new Gauge({
  name: 'credroam_change_waits_open',
  help: "Workstations' long polls for directory changes held open by this logon-events replica.",
  registers: [serviceMetricsRegistry],
  collect() {
    if (changeWaitsReader) this.set(changeWaitsReader());
  },
});

/** Where the change-wait gauge reads from at each scrape (logon-events' change notifier). */
export function watchChangeWaits(read: () => number): void {
  changeWaitsReader = read;
}
