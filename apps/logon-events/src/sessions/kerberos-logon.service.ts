import { loadGssapi, splitPrincipal } from '@credroam/platform';
import {
  kerberosSessionRequestSchema,
  loginNameSchema,
  negotiateToken,
  negotiateTokenSchema,
  parseWith,
  RoamingError,
  unwrap,
  type KerberosSessionResponse,
  type DirectoryUser,
  type KerberosSessionRequest,
  type KerberosRefusal,
} from '@credroam/roaming';
import { EventFactory } from '../events/event.factory';
import { type Clock, type DirectoryRepository, type LogSink } from '../repositories/logon.repositories';
import { type SessionsService } from './sessions.service';

/** The service's Kerberos identity: its keytab, the principal it answers as, and the one realm it trusts. */
export interface KerberosSettings {
  keytab: string;
  /** `HTTP/host@REALM`: a ticket for any other principal of the keytab is refused. */
  servicePrincipal: string;
  /** Clients of this realm only (the service principal's own realm unless configured otherwise). */
  realm: string;
}

/** What the keytab made of a ticket. */
export interface AcceptedTicket {
  /** The client principal, `name@REALM`. */
  client: string;
  /** The service principal the ticket was issued for. */
  target: string;
  /** The acceptor's token for mutual authentication (base64), when GSSAPI made one. */
  response: string | null;
}

export interface TicketAcceptor {
  /** Throws KERBEROS_REFUSED when GSSAPI does not accept the token (invalid, expired, replayed, unknown key). */
  accept(token: string): Promise<AcceptedTicket>;
}

/**
 * GSSAPI through the `kerberos` package, with the configured keytab as the process's acceptor keytab
 * (KRB5_KTNAME, read by libkrb5 at each context). The acceptor takes any key of the keytab; which principal the
 * ticket was for is checked afterwards, against the configured one.
 */
export class GssapiTicketAcceptor implements TicketAcceptor {
  constructor(keytab: string) {
    process.env.KRB5_KTNAME = `FILE:${keytab}`;
  }

  async accept(token: string): Promise<AcceptedTicket> {
    let gssapi;
    try {
      gssapi = loadGssapi();
    } catch (error) {
      throw new RoamingError('KERBEROS_NOT_CONFIGURED', (error as Error).message);
    }
    const server = await gssapi.initializeServer('');
    try {
      await server.step(token);
    } catch (error) {
      // GSSAPI's own words ("Ticket expired", "Request is a replay", "Clock skew too great", ...): no secret in them.
      throw new RoamingError(
        'KERBEROS_REFUSED',
        `the Kerberos ticket was refused: ${(error as Error).message}`,
      );
    }
    return { client: server.username, target: server.targetName, response: server.response || null };
  }
}

export interface KerberosLogonDependencies {
  sessions: SessionsService;
  directory: DirectoryRepository;
  clock: Clock;
  log: LogSink;
  /** null: no keytab configured, every Kerberos logon is answered KERBEROS_NOT_CONFIGURED. */
  kerberos: { settings: KerberosSettings; acceptor: TicketAcceptor } | null;
}

/** A ticket accepted for this service, of this realm, whose login names a usable directory account. */
export interface KerberosIdentity {
  /** The directory's account as checkAccount found it now. */
  user: DirectoryUser;
  principal: string;
  /** Sent back as `WWW-Authenticate: Negotiate <token>`, so that the agent authenticates the service too. */
  response: string | null;
}

/**
 * The Kerberos logon (RFC 4559 over the agent protocol): the SPNEGO token of `Authorization: Negotiate` is
 * accepted with the service's keytab, its client principal `login@REALM` must be of the configured realm and name
 * a usable directory account, and the session is then opened exactly as a password logon opens it (the device key
 * registered in the same request). No password exists anywhere in this exchange.
 */
export class KerberosLogonService {
  private readonly factory: EventFactory;

  constructor(private readonly deps: KerberosLogonDependencies) {
    this.factory = new EventFactory(deps.clock);
  }

  /** Checks the ticket and the account; the caller rate-limits by the login it returns before logOn. */
  async authenticate(
    authorization: string | undefined,
    body: unknown,
    source: string,
    correlationId: string,
  ): Promise<{ identity: KerberosIdentity; device: KerberosSessionRequest }> {
    const { kerberos } = this.deps;
    if (kerberos === null)
      throw new RoamingError(
        'KERBEROS_NOT_CONFIGURED',
        'this service has no keytab (CREDROAM_KERBEROS_KEYTAB): log on with a password',
      );
    const token = negotiateToken(authorization);
    if (token === undefined)
      throw new RoamingError('UNAUTHENTICATED', 'a Kerberos logon needs "Authorization: Negotiate <token>"');
    unwrap(parseWith(negotiateTokenSchema, token, 'INVALID_INPUT'));
    const device = parseDevice(body);
    const refuse = async (
      reason: KerberosRefusal,
      principal: string | null,
      user: string | null,
      why: string,
    ) => {
      await this.refused(reason, principal, user, device.machine, source, correlationId);
      throw new RoamingError(reason === 'foreign-realm' ? 'KERBEROS_FOREIGN_REALM' : 'KERBEROS_REFUSED', why);
    };

    let ticket: AcceptedTicket;
    try {
      ticket = await kerberos.acceptor.accept(token);
    } catch (error) {
      if (error instanceof RoamingError && error.code === 'KERBEROS_REFUSED')
        return refuse('ticket-refused', null, null, error.message);
      throw error;
    }
    const { settings } = kerberos;
    const client = splitPrincipal(ticket.client);
    if (client === null) return refuse('not-a-user', ticket.client, null, 'the ticket names no client realm');
    if (client.realm !== settings.realm)
      return refuse(
        'foreign-realm',
        ticket.client,
        null,
        `the ticket's client ${ticket.client} is not of realm ${settings.realm}, the only one this service trusts`,
      );
    if (ticket.target !== settings.servicePrincipal)
      return refuse(
        'wrong-service',
        ticket.client,
        null,
        `the ticket is for ${ticket.target}, not for this service (${settings.servicePrincipal})`,
      );
    // A user principal is one component: host/ws1 or HTTP/x are machines and services, never a user's logon. The
    // login goes to the directory as a login name like any other, validated here as one.
    const parsed = loginNameSchema.safeParse(client.name);
    if (!parsed.success || client.name.includes('/') || client.name.includes('\\'))
      return refuse('not-a-user', ticket.client, null, `${ticket.client} is not a user principal`);
    const login = parsed.data;

    const found = await this.deps.directory.lookupUser(login, correlationId).catch((error: unknown) => {
      if (error instanceof RoamingError && error.code === 'USER_NOT_FOUND') return null;
      throw error;
    });
    if (found === null)
      return refuse('missing', ticket.client, login, `no directory account for ${ticket.client}`);
    const { user } = found;
    const account = await this.deps.directory.checkAccount(
      {
        login: user.login,
        stableId: user.stableId,
        dn: user.dn,
        authenticatedAt: new Date(this.deps.clock.now()).toISOString(),
      },
      { login: user.login, stableId: user.stableId, dn: user.dn, devicePublicKey: device.devicePublicKey },
      correlationId,
    );
    if (account.status === 'missing' || account.user === null)
      return refuse('missing', ticket.client, login, `no directory account for ${ticket.client}`);
    if (account.status === 'disabled' || account.status === 'locked')
      return refuse(
        account.status,
        ticket.client,
        login,
        `the directory account of ${login} is ${account.status}`,
      );
    // password-changed does not apply: a ticket is not the password (the KDC refuses tickets to a reset account).
    return { identity: { user: account.user, principal: ticket.client, response: ticket.response }, device };
  }

  /** The session, opened as a password logon opens it. */
  async logOn(
    identity: KerberosIdentity,
    device: KerberosSessionRequest,
    correlationId: string,
  ): Promise<KerberosSessionResponse> {
    const session = await this.deps.sessions.openSession(
      identity.user,
      device,
      'http',
      'kerberos',
      correlationId,
    );
    return { ...session, user: identity.user.login };
  }

  private async refused(
    reason: KerberosRefusal,
    principal: string | null,
    user: string | null,
    machine: string,
    source: string,
    correlationId: string,
  ): Promise<void> {
    this.deps.log.warn({ correlationId, principal, source, reason }, 'Kerberos logon refused');
    const event = this.factory.event('logon.kerberos-refused', {
      correlationId,
      user,
      machine,
      payload: { reason, principal, transport: 'http', source },
    });
    await this.deps.sessions
      .reportFailure(event, user, { transport: 'http', source }, correlationId)
      .catch((failure: unknown) =>
        this.deps.log.error({ correlationId, err: (failure as Error).message }, 'failed logon not reported'),
      );
  }
}

function parseDevice(body: unknown): KerberosSessionRequest {
  return unwrap(parseWith(kerberosSessionRequestSchema, body, 'INVALID_INPUT'));
}
