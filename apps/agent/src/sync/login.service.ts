import { RoamingError } from '@credroam/roaming';
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

/** Registers this workstation's device key with logon-events and keeps what the session needs. */
export class LoginService {
  constructor(
    private readonly store: AgentStore,
    private readonly client: LogonClient,
    private readonly now: () => number,
  ) {}

  async login(input: LoginInput): Promise<Session> {
    const previous = this.store.session.read();
    if (previous && previous.user !== input.user) {
      // The tokens and the merge base here are another user's: syncing them into this user's entry would leak them.
      throw new RoamingError(
        'FORBIDDEN',
        `this store belongs to ${JSON.stringify(previous.user)}; use another --store for ${JSON.stringify(input.user)}`,
      );
    }
    const deviceKey = this.store.deviceKeys.loadOrCreate(input.deviceKeyKind);
    const response = await this.client.createSession({
      user: input.user,
      password: input.password,
      machine: input.machine,
      deviceKey,
      agentVersion: AGENT_VERSION,
    });
    // Check what the session will be used for before keeping it: the hash key must open, the certificate parse.
    openHashKey(response.hashKeyEnvelope, deviceKey.privateKey).fill(0);
    transportCertificate(response.transportCertificatePem);
    const session: Session = {
      format: 1,
      server: this.client.server,
      user: input.user,
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
