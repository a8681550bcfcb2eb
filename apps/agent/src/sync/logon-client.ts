import { type CreateSessionResponse, type SyncRequest, type SyncResponse } from '@credroam/roaming';
import { type DeviceKeyPair } from '../store/device-keys';

/** What login hands to a transport: how the password travels (clear over TLS, sealed over AMQP) is its business. */
export interface SessionRequest {
  user: string;
  password: string;
  machine: string;
  deviceKey: DeviceKeyPair;
  agentVersion: string;
}

/**
 * logon-events as the agent sees it, over HTTP (AgentApiClient) or over the broker (AmqpLogonClient). Every answer
 * is validated against its contract before anyone acts on it; transient failures are retried inside.
 */
export interface LogonClient {
  /** The server URL as the session file keeps it. */
  readonly server: string;
  createSession(request: SessionRequest): Promise<CreateSessionResponse>;
  /** The device key signs the request where the transport needs a proof of possession (AMQP). */
  sync(sessionToken: string, body: SyncRequest, deviceKey: DeviceKeyPair): Promise<SyncResponse>;
}

/** The server URL for people: a broker password in it is masked. */
export function displayServer(server: string): string {
  try {
    const url = new URL(server);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return server;
  }
}
