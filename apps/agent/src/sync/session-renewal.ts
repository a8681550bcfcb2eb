import { RoamingError } from '@credroam/roaming';
import { type Logger } from '@credroam/platform';
import { type AgentStore } from '../store/agent-store';
import { type LogonClient } from './logon-client';
import { securityOf, type TransportSecurity } from './transport-security';

/** A session with less than this left is renewed before a sync, so none starts on a session about to lapse. */
export const RENEW_AHEAD_MS = 60_000;

type ClientFor = (server: string, options: { security: TransportSecurity }) => LogonClient;

/**
 * Keeps the session alive without the password: when it has expired or is about to, the device key registered at
 * login renews it (logon-events checks the directory account and the renewal window) and the new token replaces
 * the old one in session.json. The password is neither asked for nor stored.
 */
export class SessionRenewal {
  constructor(
    private readonly store: AgentStore,
    private readonly clientFor: ClientFor,
    private readonly now: () => number,
    private readonly logger?: Logger,
  ) {}

  /**
   * Renews when due, or now with `force` (logon-events, whose clock decides, said the session expired); a refusal
   * is exit 3 with the server's reason. Without a session it leaves the error to others.
   */
  async ensureFresh({ force = false } = {}): Promise<void> {
    const session = this.store.session.read();
    const deviceKey = this.store.deviceKeys.load();
    if (!session || !deviceKey) return;
    const now = this.now();
    // Forced, the session counts as expired whatever this workstation's clock says.
    const expiresAt = force ? now : Date.parse(session.expiresAt);
    if (expiresAt - now > RENEW_AHEAD_MS) return;
    const renewable = session.renewableUntil !== undefined && Date.parse(session.renewableUntil) > now;
    if (!renewable) {
      if (expiresAt > now) return;
      throw new RoamingError(
        'SESSION_EXPIRED',
        'the session has expired and can no longer be renewed (the password logon is older than policy ' +
          'sessionRenewalHours allows): run "credroam-agent login" again',
      );
    }
    let renewed;
    try {
      renewed = await this.clientFor(session.server, { security: securityOf(session) }).renewSession(
        session.sessionToken,
        deviceKey,
      );
    } catch (error) {
      if (error instanceof RoamingError && ['UNAUTHENTICATED', 'SESSION_EXPIRED'].includes(error.code)) {
        throw new RoamingError(error.code, `${error.message} (run "credroam-agent login")`);
      }
      // Not a refusal (the server unreachable ...): a session still valid serves this sync as it is.
      if (expiresAt > now) {
        this.logger?.warn(
          { err: (error as Error).message },
          'session renewal failed; using the current session',
        );
        return;
      }
      throw error;
    }
    this.store.session.write({
      ...session,
      sessionToken: renewed.sessionToken,
      expiresAt: renewed.expiresAt,
      renewableUntil: renewed.renewableUntil,
      policy: renewed.policy,
    });
    this.logger?.info({ expiresAt: renewed.expiresAt }, 'session renewed');
  }
}
