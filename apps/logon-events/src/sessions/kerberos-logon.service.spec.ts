import { RoamingError, type AccountStatus, type RoamingEvent } from '@credroam/roaming';
import { type DirectoryRepository } from '../repositories/logon.repositories';
import { ALICE } from '../testing/session-claims';
import { KerberosLogonService, type AcceptedTicket, type TicketAcceptor } from './kerberos-logon.service';
import { type SessionsService } from './sessions.service';

const NOW = Date.UTC(2026, 11, 3, 12);
const SETTINGS = {
  keytab: '/etc/credroam/http.keytab',
  servicePrincipal: 'HTTP/logon.corp@CORP.TEST',
  realm: 'CORP.TEST',
};
const BODY = {
  machine: 'ws-01',
  devicePublicKey: Buffer.from('device spki').toString('base64'),
  agentVersion: '0.1.0',
};
const TOKEN =
  'YIIGhgYGKwYBBQUCoIIGejCCBnagMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHgYKKwYBBAGCNwICCg==';

/** The service with a fake acceptor (GSSAPI itself is exercised against Samba's KDC in the integration suite). */
function setup(ticket: AcceptedTicket | RoamingError, status: AccountStatus = 'usable') {
  const acceptor: TicketAcceptor = {
    accept: async () => {
      if (ticket instanceof RoamingError) throw ticket;
      return ticket;
    },
  };
  const directory = {
    lookupUser: jest.fn(async (login: string) => {
      if (login !== 'alice') throw new RoamingError('USER_NOT_FOUND', 'no such user');
      return { user: ALICE };
    }),
    checkAccount: jest.fn(async () => ({ status, user: status === 'missing' ? null : ALICE })),
  } as unknown as DirectoryRepository;
  const failures: { event: RoamingEvent; user: string | null }[] = [];
  const sessions = {
    reportFailure: jest.fn(
      async (event: RoamingEvent, user: string | null) => void failures.push({ event, user }),
    ),
    openSession: jest.fn(async () => ({ sessionToken: 'session' })),
  } as unknown as SessionsService;
  const service = new KerberosLogonService({
    sessions,
    directory,
    clock: { now: () => NOW, sleep: async () => undefined, random: () => 0 },
    log: { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() },
    kerberos: { settings: SETTINGS, acceptor },
  });
  const authenticate = () => service.authenticate(`Negotiate ${TOKEN}`, BODY, '192.0.2.7', 'corr-1');
  return { service, sessions, directory, failures, authenticate };
}

const ticket = (client: string, target = SETTINGS.servicePrincipal): AcceptedTicket => ({
  client,
  target,
  response: 'oYGfMIGcoAMKAQChCwYJKoZIgvcSAQICooGHBIGE',
});

/** What the refusal was: its code, and the event's reason, principal and user. */
async function refusal(setupResult: ReturnType<typeof setup>) {
  const error = await setupResult.authenticate().then(
    () => null,
    (thrown: unknown) => thrown as RoamingError,
  );
  const [failure] = setupResult.failures;
  return {
    code: error?.code,
    event: failure?.event.type,
    payload: failure?.event.payload,
    user: failure?.event.user,
  };
}

describe('KerberosLogonService', () => {
  it('maps alice@REALM to the directory user alice and opens her session as a password logon would', async () => {
    const kerberos = setup(ticket('alice@CORP.TEST'));
    const { identity, device } = await kerberos.authenticate();
    expect(identity).toEqual({ user: ALICE, principal: 'alice@CORP.TEST', response: ticket('x').response });
    expect(device).toEqual(BODY);
    const session = await kerberos.service.logOn(identity, device, 'corr-1');
    expect(session).toEqual({ sessionToken: 'session', user: 'alice' });
    expect(kerberos.sessions.openSession).toHaveBeenCalledWith(ALICE, BODY, 'http', 'kerberos', 'corr-1');
  });

  it('refuses a client of another realm, before any directory lookup', async () => {
    const kerberos = setup(ticket('alice@OTHER.TEST'));
    expect(await refusal(kerberos)).toEqual({
      code: 'KERBEROS_FOREIGN_REALM',
      event: 'logon.kerberos-refused',
      payload: {
        reason: 'foreign-realm',
        principal: 'alice@OTHER.TEST',
        transport: 'http',
        source: '192.0.2.7',
      },
      user: null,
    });
    expect(kerberos.directory.lookupUser).not.toHaveBeenCalled();
  });

  it('refuses a ticket for another principal of the keytab, and a machine or service principal', async () => {
    expect(await refusal(setup(ticket('alice@CORP.TEST', 'HTTP/other.corp@CORP.TEST')))).toMatchObject({
      code: 'KERBEROS_REFUSED',
      payload: { reason: 'wrong-service' },
    });
    expect(await refusal(setup(ticket('host/ws-01.corp@CORP.TEST')))).toMatchObject({
      code: 'KERBEROS_REFUSED',
      payload: { reason: 'not-a-user', principal: 'host/ws-01.corp@CORP.TEST' },
    });
  });

  it('refuses a ticket GSSAPI did not accept, naming nobody', async () => {
    const kerberos = setup(
      new RoamingError('KERBEROS_REFUSED', 'the Kerberos ticket was refused: Ticket expired'),
    );
    expect(await refusal(kerberos)).toMatchObject({
      code: 'KERBEROS_REFUSED',
      payload: { reason: 'ticket-refused', principal: null },
      user: null,
    });
  });

  it('refuses a principal with no directory account, or a disabled or locked one', async () => {
    expect(await refusal(setup(ticket('mallory@CORP.TEST')))).toMatchObject({
      code: 'KERBEROS_REFUSED',
      payload: { reason: 'missing' },
      user: 'mallory',
    });
    for (const status of ['disabled', 'locked'] as const)
      expect(await refusal(setup(ticket('alice@CORP.TEST'), status))).toMatchObject({
        code: 'KERBEROS_REFUSED',
        payload: { reason: status },
        user: 'alice',
      });
  });

  it('answers KERBEROS_NOT_CONFIGURED without a keytab, and UNAUTHENTICATED without a Negotiate header', async () => {
    const { sessions, directory } = setup(ticket('alice@CORP.TEST'));
    const log = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const clock = { now: () => NOW, sleep: async () => undefined, random: () => 0 };
    const unconfigured = new KerberosLogonService({ sessions, directory, clock, log, kerberos: null });
    await expect(
      unconfigured.authenticate(`Negotiate ${TOKEN}`, BODY, '192.0.2.7', 'c'),
    ).rejects.toMatchObject({
      code: 'KERBEROS_NOT_CONFIGURED',
    });
    const kerberos = setup(ticket('alice@CORP.TEST'));
    await expect(kerberos.service.authenticate('Bearer abc', BODY, '192.0.2.7', 'c')).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await expect(
      kerberos.service.authenticate(`Negotiate ${TOKEN}`, { ...BODY, password: 'x' }, '192.0.2.7', 'c'),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
