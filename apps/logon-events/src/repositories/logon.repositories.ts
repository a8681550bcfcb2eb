import { type Grantee } from '@credroam/grants';
import { type MessagingLogger } from '@credroam/messaging';
import {
  type RoamingEvent,
  type RpcRequest,
  type RpcResponse,
  type StoredValue,
  type TokenKey,
} from '@credroam/roaming';

/**
 * Every side effect of logon-events sits behind one of these small repositories: the services test with in-memory
 * fakes, the running app plugs in the RPC clients and the event publisher. A call that touches a user's secrets
 * names its `grantee`, the user (and device) logon-events authenticated: the repository signs the grant for them.
 */
export interface DirectoryRepository {
  lookupUser(login: string, correlationId: string): Promise<RpcResponse<'directory.lookup-user'>>;
  verifyPassword(
    request: RpcRequest<'directory.verify-password'>,
    grantee: Grantee,
    correlationId: string,
  ): Promise<RpcResponse<'directory.verify-password'>>;
  /** Whether a session's account may still renew it (granted for the session's user). */
  checkAccount(
    request: RpcRequest<'directory.check-account'>,
    grantee: Grantee,
    correlationId: string,
  ): Promise<RpcResponse<'directory.check-account'>>;
  readState(userDn: string, correlationId: string): Promise<RpcResponse<'directory.read-state'>>;
  readStamp(userDn: string, correlationId: string): Promise<RpcResponse<'directory.read-stamp'>>;
  applyChanges(
    request: RpcRequest<'directory.apply-changes'>,
    grantee: Grantee,
    correlationId: string,
  ): Promise<RpcResponse<'directory.apply-changes'>>;
  resolvePolicy(
    request: RpcRequest<'directory.resolve-policy'>,
    correlationId: string,
  ): Promise<RpcResponse<'directory.resolve-policy'>>;
  /** The stored (sealed) values of the tokens a plan downloads, by tokenKeyString (directory.read-values). */
  readStoredValues(
    userDn: string,
    keys: TokenKey[],
    grantee: Grantee,
    correlationId: string,
  ): Promise<Map<string, StoredValue>>;
}

export interface CryptoRepository {
  transportCertificate(correlationId: string): Promise<RpcResponse<'crypto.transport-certificate'>>;
  sealForStorage(
    request: RpcRequest<'crypto.seal-for-storage'>,
    grantee: Grantee,
    correlationId: string,
  ): Promise<RpcResponse<'crypto.seal-for-storage'>>;
  sealForDevice(
    request: RpcRequest<'crypto.seal-for-device'>,
    grantee: Grantee,
    correlationId: string,
  ): Promise<RpcResponse<'crypto.seal-for-device'>>;
  /** A logon password sealed to the transport certificate, re-sealed for directory.verify-password. */
  resealPassword(
    request: RpcRequest<'crypto.reseal-password'>,
    grantee: Grantee,
    correlationId: string,
  ): Promise<RpcResponse<'crypto.reseal-password'>>;
}

export interface EventSink {
  /** Resolves once the broker confirmed every event. */
  publishAll(events: readonly RoamingEvent[]): Promise<void>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** In [0, 1): jitter for retry delays. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/** What a service logs through: pino's call shape (libs/messaging's logger), so the app passes its logger as is. */
export type LogSink = MessagingLogger;
