import { RoamingError, type CreateSessionResponse } from '@credroam/roaming';
import { type AgentApiClient } from './agent-api.client';
import { type KerberosInitiator } from './kerberos-initiator';
import { type AgentStore } from '../store/agent-store';
import { type DeviceKeyKind } from '../store/device-keys';
import { type Session } from '../store/session.file';
import { openHashKey, transportCertificate } from './credentials';
import { type LogonClient } from './logon-client';
import { DEFAULT_SECURITY, sessionSecurity, type TransportSecurity } from './transport-security';

export const AGENT_VERSION = '0.1.0';

export interface LoginInput {
  server: string;
  user: string;
  password: string;
  machine: string;
  /** The kind of device key to generate at the first login (ignored once one exists). */
  deviceKeyKind?: DeviceKeyKind;
  /** How `client` connects; kept in the session for later syncs. */
  security?: TransportSecurity;
}

/** A logon with the user's Kerberos ticket: no user (the ticket names them), no password. */
export type KerberosLoginInput = Omit<LoginInput, 'user' | 'password'> & {
  initiator: KerberosInitiator;
  /** When given, the ticket's user must be this one (`--user` beside `--kerberos`). */
  expectedUser?: string;
};

/** Registers this workstation's device key with logon-events and keeps what the session needs. */
export class LoginService {
  constructor(
    private readonly store: AgentStore,
    private readonly client: LogonClient,
    private readonly now: () => number,
  ) {}

  async login(input: LoginInput): Promise<Session> {
    this.checkOwner(input.user);
    const deviceKey = this.store.deviceKeys.loadOrCreate(input.deviceKeyKind);
    const response = await this.client.createSession({
      user: input.user,
      password: input.password,
      machine: input.machine,
      deviceKey,
      agentVersion: AGENT_VERSION,
    });
    return this.keep(input.user, input, deviceKey, response);
  }

  /**
   * The same over HTTP(S) with a Kerberos ticket: the user is whom the service mapped the ticket to, checked
   * against the store's owner before the session is kept.
   */
  async loginWithKerberos(client: AgentApiClient, input: KerberosLoginInput): Promise<Session> {
    const deviceKey = this.store.deviceKeys.loadOrCreate(input.deviceKeyKind);
    const response = await client.createKerberosSession(
      { machine: input.machine, deviceKey, agentVersion: AGENT_VERSION },
      input.initiator,
    );
    if (input.expectedUser !== undefined && input.expectedUser.toLowerCase() !== response.user.toLowerCase())
      throw new RoamingError(
        'FORBIDDEN',
        `the Kerberos ticket is ${JSON.stringify(response.user)}'s, not ${JSON.stringify(input.expectedUser)}'s`,
      );
    this.checkOwner(response.user);
    return this.keep(response.user, input, deviceKey, response);
  }

  private checkOwner(user: string): void {
    const previous = this.store.session.read();
    if (previous && previous.user !== user) {
      // The tokens and the merge base here are another user's: syncing them into this user's entry would leak them.
      throw new RoamingError(
        'FORBIDDEN',
        `this store belongs to ${JSON.stringify(previous.user)}; use another --store for ${JSON.stringify(user)}`,
      );
    }
  }

  private keep(
    user: string,
    input: Pick<LoginInput, 'machine' | 'security'>,
    deviceKey: ReturnType<AgentStore['deviceKeys']['loadOrCreate']>,
    response: CreateSessionResponse,
  ): Session {
    // Check what the session will be used for before keeping it: the hash key must open, the certificate parse.
    openHashKey(response.hashKeyEnvelope, deviceKey.privateKey).fill(0);
    transportCertificate(response.transportCertificatePem);
    const session: Session = {
      format: 1,
      server: this.client.server,
      user,
      machine: input.machine,
      sessionToken: response.sessionToken,
      expiresAt: response.expiresAt,
      renewableUntil: response.renewableUntil,
      transportCertificatePem: response.transportCertificatePem,
      policy: response.policy,
      hashKeyEnvelope: response.hashKeyEnvelope,
      loggedInAt: new Date(this.now()).toISOString(),
      ...sessionSecurity(input.security ?? DEFAULT_SECURITY),
    };
    this.store.session.write(session);
    return session;
  }
}
