import {
  renewalProofMessage,
  type ChangeNotice,
  type CreateSessionResponse,
  type RenewSessionResponse,
  type SyncCheckRequest,
  type SyncCheckResponse,
  type SyncRequest,
  type SyncResponse,
  type WaitForChangeRequest,
  type WorkstationEventRequest,
  type WorkstationEventResponse,
} from '@credroam/roaming';
import { signDeviceProof } from '@credroam/sealing';
import { type DeviceKeyPair } from '../store/device-keys';
import { type SyncTrace } from './sync-trace';

/** What login hands to a transport: how the password travels (clear over TLS, sealed over AMQP) is its business. */
export interface SessionRequest {
  user: string;
  password: string;
  machine: string;
  deviceKey: DeviceKeyPair;
  agentVersion: string;
}

/** A Kerberos logon registers the device as a password logon does; the ticket, not the request, names the user. */
export type KerberosSessionRequest = Omit<SessionRequest, 'user' | 'password'>;

/**
 * logon-events as the agent sees it, over HTTP (AgentApiClient) or over the broker (AmqpLogonClient). Every answer
 * is validated against its contract before anyone acts on it; transient failures are retried inside.
 */
export interface LogonClient {
  /** The server URL as the session file keeps it. */
  readonly server: string;
  createSession(request: SessionRequest): Promise<CreateSessionResponse>;
  /**
   * The device key signs the request where the transport needs a proof of possession (AMQP); the trace's headers
   * go with it, so the services' spans join the workstation's trace.
   */
  sync(
    sessionToken: string,
    body: SyncRequest,
    deviceKey: DeviceKeyPair,
    trace?: SyncTrace,
  ): Promise<SyncResponse>;
  /**
   * The settled check of a steady sync (`POST /v1/sync/check`); absent where the transport has none (the broker
   * ingress takes whole syncs only).
   */
  checkSync?(sessionToken: string, body: SyncCheckRequest, trace?: SyncTrace): Promise<SyncCheckResponse>;
  /** A new session for this one (expired or not), proven by the device key: never the password. */
  renewSession(sessionToken: string, deviceKey: DeviceKeyPair): Promise<RenewSessionResponse>;
  /**
   * A long poll for the user's changes made on other workstations; absent where the transport has none (the broker
   * ingress answers requests, it holds no waits).
   */
  waitForChange?(sessionToken: string, body: WaitForChangeRequest, stop: AbortSignal): Promise<ChangeNotice>;
  /** A local failure, for the audit. */
  reportEvent(
    sessionToken: string,
    body: WorkstationEventRequest,
    deviceKey: DeviceKeyPair,
  ): Promise<WorkstationEventResponse>;
}

/** The body of a renewal: the token and a fresh proof over it (made again for every attempt, so none is a replay). */
export function renewalBody(sessionToken: string, deviceKey: DeviceKeyPair, issuedAt: number) {
  const signature = signDeviceProof(deviceKey.privateKey, issuedAt, renewalProofMessage(sessionToken));
  return { sessionToken, proof: { issuedAt, signature } };
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
