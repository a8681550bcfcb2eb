import { hostname } from 'node:os';
import { createHash } from 'node:crypto';
import { createLogger, type Logger } from '@credroam/platform';
import { machineIdSchema } from '@credroam/roaming';
import { AgentStore } from '../store/agent-store';
import { AtomicFileWriter } from '../store/atomic-file.writer';
import { ClockOffsetFile } from '../store/clock-offset.file';
import { StoreLayout } from '../store/store-layout';
import { StoreLock } from '../store/store.lock';
import { AgentApiClient } from '../sync/agent-api.client';
import { AmqpLogonClient } from '../sync/amqp-logon.client';
import { type LogonClient } from '../sync/logon-client';
import { DEFAULT_RETRY, type RetryPolicy } from '../sync/retry';
import { ServerClock } from '../sync/server-clock';
import {
  DEFAULT_SECURITY,
  fetchTrusting,
  plainServerRefusal,
  type TransportSecurity,
} from '../sync/transport-security';
import { UsageError } from './exit-codes';

/** How long a command waits for a store another process has locked; a sync takes seconds at most. */
const LOCK_WAIT_MS = 30_000;

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of standard input, as text. */
  readStdin(): Promise<string>;
  /** stderr is a terminal, so progress lines may be drawn there (see terminalProgress); absent means no. */
  readonly stderrIsTerminal?: boolean;
}

export interface CliEnvironment {
  io: CliIo;
  env: NodeJS.ProcessEnv;
  now: () => number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** What a command gets: output, the store (opened on first use), a client factory, the clock. */
export class CliContext {
  private opened: AgentStore | undefined;
  private log: Logger | undefined;
  readonly layout: StoreLayout;

  constructor(
    readonly environment: CliEnvironment,
    storeOption: string | undefined,
  ) {
    this.layout = StoreLayout.resolve(storeOption, environment.env);
  }

  get io(): CliIo {
    return this.environment.io;
  }

  private serverClock: ServerClock | undefined;

  /** This workstation's clock corrected by the offset last measured against logon-events' (server-clock.ts). */
  get clock(): ServerClock {
    this.serverClock ??= new ServerClock(
      this.environment.now,
      new ClockOffsetFile(this.layout, new AtomicFileWriter()),
    );
    return this.serverClock;
  }

  now = (): number => this.clock.now();

  /**
   * JSON log lines on stderr, silent unless CREDROAM_LOG_LEVEL asks for them (the CLI's own output is for people);
   * the watch daemon, whose only output is its log, defaults to info.
   */
  logger(defaultLevel = 'silent'): Logger {
    this.log ??= createLogger('credroam-agent', {
      level: this.environment.env.CREDROAM_LOG_LEVEL ?? defaultLevel,
      destination: { write: (line: string) => this.environment.io.stderr(line) },
    });
    return this.log;
  }

  store(): AgentStore {
    this.opened ??= AgentStore.open(this.layout);
    return this.opened;
  }

  /**
   * Runs a command that writes the store while holding the store lock. A lock held by another live process (the
   * watch daemon syncing, a logon hook) is waited for, up to LOCK_WAIT_MS, rather than refused at once.
   */
  async exclusive<T>(work: (store: AgentStore) => Promise<T> | T): Promise<T> {
    const store = this.store();
    const release = await new StoreLock(this.layout.lockFile).acquireWaiting(
      LOCK_WAIT_MS,
      this.environment.sleep,
    );
    try {
      store.sweep();
      return await work(store);
    } finally {
      release();
    }
  }

  /**
   * logon-events at `server`: over HTTP(S), or over the broker for an amqp(s) URL. `transportCertificate` is the
   * certificate an AMQP logon seals the password to (asked from the ingress when not given); `security` the CA to
   * trust and whether a plain server off loopback was accepted (--insecure). A plain server off loopback is
   * refused here too, before any connection, whatever wrote the session.
   */
  clientFor = (
    server: string,
    {
      transportCertificate = null,
      security = DEFAULT_SECURITY,
    }: {
      transportCertificate?: { pem: string; pinned: boolean } | null;
      security?: TransportSecurity;
    } = {},
  ): LogonClient => {
    const url = new URL(server);
    const refusal = plainServerRefusal(url, security.insecure);
    if (refusal) throw new UsageError(refusal, true);
    const common = {
      server,
      now: this.now,
      onServerTime: this.clock.observe,
      retry: retryFromEnv(this.environment.env),
      ...(this.environment.sleep ? { sleep: this.environment.sleep } : {}),
    };
    if (url.protocol === 'amqp:' || url.protocol === 'amqps:') {
      return new AmqpLogonClient({ ...common, transportCertificate, caPem: security.caPem });
    }
    const fetch =
      this.environment.fetch ??
      (url.protocol === 'https:' && security.caPem !== null ? fetchTrusting(security.caPem) : undefined);
    return new AgentApiClient({ ...common, ...(fetch ? { fetch } : {}) });
  };
}

/** CREDROAM_AGENT_RETRY_ATTEMPTS / CREDROAM_AGENT_RETRY_BASE_MS tune the backoff (tests shorten it). */
function retryFromEnv(env: NodeJS.ProcessEnv): RetryPolicy {
  const attempts = Number(env.CREDROAM_AGENT_RETRY_ATTEMPTS);
  const base = Number(env.CREDROAM_AGENT_RETRY_BASE_MS);
  return {
    maxAttempts:
      Number.isInteger(attempts) && attempts >= 1 && attempts <= 10 ? attempts : DEFAULT_RETRY.maxAttempts,
    baseDelayMs: Number.isInteger(base) && base >= 0 && base <= 60_000 ? base : DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: DEFAULT_RETRY.maxDelayMs,
  };
}

/** The host name when it is a valid machine id, else a stable id derived from it. */
export function defaultMachineId(host: string = hostname()): string {
  const short = host.split('.')[0] ?? '';
  if (machineIdSchema.safeParse(short).success) return short;
  return `host-${createHash('sha256').update(host).digest('hex').slice(0, 16)}`;
}
