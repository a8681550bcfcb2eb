// Types for local-stack.cjs (the local stack of `npm start`), for the suites that start it.
import { type SlapdHandle, type SlapdUserOptions } from './slapd.cjs';

export interface LocalStackOptions {
  dataDir?: string;
  /** 0: a free port. */
  ldapPort?: number;
  namespace?: string;
  amqpUrl?: string;
  users?: SlapdUserOptions[];
  services?: string[];
  /** More environment per service (e.g. `CREDROAM_LOGON_PORT: '0'`). */
  serviceEnv?: Record<string, Record<string, string>>;
  brokerAccounts?: boolean;
  /** The throwaway directory: slapd (default) or a Samba AD domain controller. */
  directory?: 'slapd' | 'samba-ad';
  https?: { certFile: string; keyFile: string };
  /**
   * Processes per service (default 1 each): replicas beyond the first are named <service>#<n>; give them free
   * ports through serviceEnv (e.g. CREDROAM_LOGON_PORT: '0').
   */
  replicas?: Record<string, number>;
  /** node options per service, e.g. ['--cpu-prof', '--cpu-prof-dir=DIR'] (NODE_OPTIONS refuses some). */
  nodeArgs?: Record<string, string[]>;
  log?: (line: string) => void;
}

export interface LocalStack {
  /** Undefined when the directory is Samba AD. */
  slapd: SlapdHandle | undefined;
  directory: { url: string; suffix: string; stop(): Promise<void> };
  /** The services as started (a restarted one has another pid since). */
  services: { name: string; pid: number; url?: string }[];
  logDir: string;
  hookUrl: string;
  stop(): Promise<void>;
}

export function startLocalStack(options?: LocalStackOptions): Promise<LocalStack>;
export function serviceUrl(stack: LocalStack, name: string): string;
export function prepareLocalStack(options?: { log?: (line: string) => void; build?: boolean }): void;
