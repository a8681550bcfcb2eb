import { readFileSync } from 'node:fs';
import { loginNameSchema, machineIdSchema, RoamingError } from '@credroam/roaming';
import { transportCertificate } from '../../sync/credentials';
import { displayServer } from '../../sync/logon-client';
import { LoginService } from '../../sync/login.service';
import { requiredOption, stringOption } from '../arguments';
import { defaultMachineId } from '../cli-context';
import { readPassword, type Command } from '../command';
import { EXIT, UsageError } from '../exit-codes';

export const loginCommand: Command = {
  name: 'login',
  summary: 'log on to logon-events and register this device',
  usage: `usage: credroam-agent login --server URL --user USER --password-stdin [--machine ID]

Creates a session, generating the device key pair on first use. The password is read from standard input (first
line), never from the command line.
  --server URL       logon-events over HTTP(S), e.g. https://logon.example.com:8440, or the broker its AMQP
                     ingress listens on, e.g. amqps://hook:secret@mq.example.com/credroam?namespace=credroam
  --user USER        login name
  --password-stdin   required: read the password from standard input
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
  },
  positionals: { min: 0, max: 0, names: '' },
  async run(context, { values }) {
    const server = requiredOption(values, 'server');
    const user = requiredOption(values, 'user');
    if (values['password-stdin'] !== true) throw new UsageError('--password-stdin is required');
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
    const pinnedFile = stringOption(values, 'transport-certificate');
    if (pinnedFile !== undefined && !overBroker) {
      throw new UsageError('--transport-certificate applies to an amqp(s) --server only');
    }
    if (!loginNameSchema.safeParse(user).success) throw new UsageError('--user is not a valid login name');
    const machine =
      stringOption(values, 'machine') ?? context.store().session.read()?.machine ?? defaultMachineId();
    if (!machineIdSchema.safeParse(machine).success) {
      throw new UsageError('--machine must be 1-64 characters of [A-Za-z0-9._-], not starting with "."');
    }
    const keyType = stringOption(values, 'key-type') ?? 'p-256';
    if (keyType !== 'p-256' && keyType !== 'rsa-3072')
      throw new UsageError('--key-type must be p-256 or rsa-3072');
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
      const client = context.clientFor(url.toString(), known);
      return new LoginService(store, client, context.now).login({
        server: url.toString(),
        user,
        password,
        machine,
        deviceKeyKind: keyType,
      });
    });
    context.io.stdout(
      `logged in as ${session.user} on ${displayServer(session.server)} (machine ${session.machine}), session until ${session.expiresAt}\n`,
    );
    return EXIT.ok;
  },
};

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
