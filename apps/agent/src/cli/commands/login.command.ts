import { readFileSync } from 'node:fs';
import { readCertificates } from '@credroam/platform';
import { loginNameSchema, machineIdSchema, RoamingError } from '@credroam/roaming';
import { SESSION_CA_MAX_CHARS } from '../../store/session.file';
import { transportCertificate } from '../../sync/credentials';
import { displayServer } from '../../sync/logon-client';
import { AgentApiClient } from '../../sync/agent-api.client';
import { gssapiInitiator } from '../../sync/kerberos-initiator';
import { LoginService } from '../../sync/login.service';
import { plainServerRefusal, type TransportSecurity } from '../../sync/transport-security';
import { requiredOption, stringOption, type CommandArguments } from '../arguments';
import { defaultMachineId } from '../cli-context';
import { readPassword, type Command } from '../command';
import { EXIT, UsageError } from '../exit-codes';

export const loginCommand: Command = {
  name: 'login',
  summary: 'log on to logon-events and register this device',
  usage: `usage: credroam-agent login --server URL --user USER --password-stdin [--machine ID] [--ca-file FILE]
       credroam-agent login --server URL --kerberos [--service-principal HTTP@HOST] [--machine ID] [--ca-file FILE]

Creates a session, generating the device key pair on first use. The password is read from standard input (first
line), never from the command line. With --kerberos there is no password: the user's Kerberos ticket (KRB5CCNAME,
from kinit, pam_krb5 or SSSD) authenticates over SPNEGO, and the service's answer is checked (mutual
authentication).
  --server URL       logon-events over HTTP(S), e.g. https://logon.example.com:8440, or the broker its AMQP
                     ingress listens on, e.g. amqps://hook:secret@mq.example.com/credroam?namespace=credroam;
                     a plain http:// or amqp:// server is refused unless it is on this machine's loopback address
  --ca-file FILE     https/amqps: trust only this CA (PEM) for the server's certificate, also in later syncs
                     (default $CREDROAM_AGENT_CA_FILE, else the system's CAs)
  --insecure         accept a plain http:// or amqp:// server that is not on the loopback address: the network
                     can then read the password or broker password and the session (never turns off
                     certificate checks)
  --user USER        login name (with --kerberos: optional, then the ticket's user must be this one)
  --password-stdin   required without --kerberos: read the password from standard input
  --kerberos         http(s) only: log on with the Kerberos ticket of the ticket cache instead of a password
  --service-principal NAME
                     with --kerberos: the service's host-based name (default HTTP@<the --server host>)
  --machine ID       this workstation's id (default: the host name)
  --key-type T       p-256 (default) or rsa-3072: the device key generated at the first login
  --transport-certificate FILE
                     AMQP only: the PEM certificate to seal the password to (default: the one of the previous
                     session on the same server, replaced by the ingress's current one after a transport key
                     rotation; else the one the ingress names on first use)`,
  options: {
    server: { type: 'string' },
    user: { type: 'string' },
    machine: { type: 'string' },
    'key-type': { type: 'string' },
    'password-stdin': { type: 'boolean' },
    'transport-certificate': { type: 'string' },
    'ca-file': { type: 'string' },
    insecure: { type: 'boolean' },
    kerberos: { type: 'boolean' },
    'service-principal': { type: 'string' },
  },
  positionals: { min: 0, max: 0, names: '' },
  async run(context, { values }) {
    const server = requiredOption(values, 'server');
    const kerberos = values.kerberos === true;
    if (kerberos && values['password-stdin'] === true)
      throw new UsageError('--kerberos logs on with the ticket: no --password-stdin');
    if (!kerberos && stringOption(values, 'service-principal') !== undefined)
      throw new UsageError('--service-principal applies to --kerberos only');
    const user = kerberos ? stringOption(values, 'user') : requiredOption(values, 'user');
    if (!kerberos && values['password-stdin'] !== true) throw new UsageError('--password-stdin is required');
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new UsageError(`--server ${JSON.stringify(server)} is not a URL`);
    }
    const overBroker = url.protocol === 'amqp:' || url.protocol === 'amqps:';
    if (!overBroker && url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError('--server must be an http(s) or amqp(s) URL');
    }
    const security = transportSecurity(url, values, context.environment.env);
    if (kerberos && overBroker)
      throw new UsageError('--kerberos needs an http(s) --server: SPNEGO rides on HTTP, not on the broker');
    const pinnedFile = stringOption(values, 'transport-certificate');
    if (pinnedFile !== undefined && !overBroker) {
      throw new UsageError('--transport-certificate applies to an amqp(s) --server only');
    }
    if (user !== undefined && !loginNameSchema.safeParse(user).success)
      throw new UsageError('--user is not a valid login name');
    const machine =
      stringOption(values, 'machine') ?? context.store().session.read()?.machine ?? defaultMachineId();
    if (!machineIdSchema.safeParse(machine).success) {
      throw new UsageError('--machine must be 1-64 characters of [A-Za-z0-9._-], not starting with "."');
    }
    const keyType = stringOption(values, 'key-type') ?? 'p-256';
    if (keyType !== 'p-256' && keyType !== 'rsa-3072')
      throw new UsageError('--key-type must be p-256 or rsa-3072');
    if (kerberos) {
      const service =
        stringOption(values, 'service-principal') ?? `HTTP@${url.hostname.replace(/^\[|\]$/g, '')}`;
      const session = await context.exclusive((store) => {
        const client = context.clientFor(url.toString(), { security });
        if (!(client instanceof AgentApiClient)) throw new UsageError('--kerberos needs an http(s) --server');
        return new LoginService(store, client, context.now).loginWithKerberos(client, {
          server: url.toString(),
          machine,
          deviceKeyKind: keyType,
          security,
          initiator: gssapiInitiator(service),
          ...(user !== undefined ? { expectedUser: user } : {}),
        });
      });
      context.io.stdout(
        `logged in as ${session.user} with Kerberos on ${displayServer(session.server)} (machine ${session.machine}), session until ${session.expiresAt}\n`,
      );
      return EXIT.ok;
    }
    if (user === undefined) throw new UsageError('--user is required');
    const pinned = pinnedFile === undefined ? null : readCertificate(pinnedFile);
    const password = await readPassword(context);
    if (password.length === 0) throw new UsageError('no password on standard input');
    const session = await context.exclusive((store) => {
      const previous = store.session.read();
      const remembered = previous?.server === url.toString() ? previous.transportCertificatePem : null;
      const known =
        pinned !== null
          ? { pem: pinned, pinned: true }
          : remembered !== null
            ? { pem: remembered, pinned: false }
            : null;
      const client = context.clientFor(url.toString(), { transportCertificate: known, security });
      return new LoginService(store, client, context.now).login({
        server: url.toString(),
        user,
        password,
        machine,
        deviceKeyKind: keyType,
        security,
      });
    });
    context.io.stdout(
      `logged in as ${session.user} on ${displayServer(session.server)} (machine ${session.machine}), session until ${session.expiresAt}\n`,
    );
    return EXIT.ok;
  },
};

/**
 * --ca-file and --insecure, checked against the server's scheme before anything is read or sent: a plain server
 * off loopback needs --insecure (said in one line, with what to do instead); a CA only means something for TLS,
 * and --insecure never for it (it does not turn certificate checks off, whatever other tools mean by it).
 */
function transportSecurity(
  url: URL,
  values: CommandArguments['values'],
  env: NodeJS.ProcessEnv,
): TransportSecurity {
  const tls = url.protocol === 'https:' || url.protocol === 'amqps:';
  const insecure = values.insecure === true;
  if (insecure && tls) {
    throw new UsageError(
      '--insecure applies to plain http:// and amqp:// servers; it never turns certificate checks off (use --ca-file)',
    );
  }
  const refusal = plainServerRefusal(url, insecure);
  if (refusal) throw new UsageError(refusal, true);
  const given = stringOption(values, 'ca-file');
  if (given !== undefined && !tls) throw new UsageError('--ca-file applies to https:// and amqps:// servers');
  const fromEnv = env.CREDROAM_AGENT_CA_FILE?.trim() || undefined;
  const [file, source] = given !== undefined ? [given, '--ca-file'] : [fromEnv, 'CREDROAM_AGENT_CA_FILE'];
  if (file === undefined || !tls) return { caPem: null, insecure };
  let caPem: string;
  try {
    caPem = readCertificates(file, source)
      .map((certificate) => certificate.toString())
      .join('');
  } catch (error) {
    throw new UsageError(error instanceof RoamingError ? error.message : `${source} ${file}: unreadable`);
  }
  if (caPem.length > SESSION_CA_MAX_CHARS) {
    throw new UsageError(
      `${source} ${file}: too large; give the CA that issued the server's certificate, not a bundle`,
    );
  }
  return { caPem, insecure };
}

/** A PEM certificate file given on the command line, checked before anything is sent. */
function readCertificate(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--transport-certificate ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    );
  }
  try {
    transportCertificate(pem);
  } catch (error) {
    throw new UsageError(
      `--transport-certificate ${file}: ${error instanceof RoamingError ? error.message : 'not a PEM certificate'}`,
    );
  }
  return pem;
}
