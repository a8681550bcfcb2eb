import { loginNameSchema, machineIdSchema } from '@credroam/roaming';
import { LoginService } from '../../sync/login.service';
import { requiredOption, stringOption } from '../arguments';
import { defaultMachineId } from '../cli-context';
import { readPassword, type Command } from '../command';
import { EXIT, UsageError } from '../exit-codes';

export const loginCommand: Command = {
  name: 'login',
  summary: 'log on to logon-events and register this device',
  usage: `usage: credroam-agent login --server URL --user USER --password-stdin [--machine ID]

Creates a session (POST /v1/sessions), generating the device key pair on first use. The password is read from
standard input (first line), never from the command line.
  --server URL       logon-events, e.g. http://127.0.0.1:8440
  --user USER        login name
  --password-stdin   required: read the password from standard input
  --machine ID       this workstation's id (default: the host name)
  --key-type T       p-256 (default) or rsa-3072: the device key generated at the first login`,
  options: {
    server: { type: 'string' },
    user: { type: 'string' },
    machine: { type: 'string' },
    'key-type': { type: 'string' },
    'password-stdin': { type: 'boolean' },
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
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UsageError('--server must be http(s)');
    if (!loginNameSchema.safeParse(user).success) throw new UsageError('--user is not a valid login name');
    const machine =
      stringOption(values, 'machine') ?? context.store().session.read()?.machine ?? defaultMachineId();
    if (!machineIdSchema.safeParse(machine).success) {
      throw new UsageError('--machine must be 1-64 characters of [A-Za-z0-9._-], not starting with "."');
    }
    const keyType = stringOption(values, 'key-type') ?? 'p-256';
    if (keyType !== 'p-256' && keyType !== 'rsa-3072')
      throw new UsageError('--key-type must be p-256 or rsa-3072');
    const password = await readPassword(context);
    if (password.length === 0) throw new UsageError('no password on standard input');
    const session = await context.exclusive((store) =>
      new LoginService(store, context.clientFor(url.toString()), context.now).login({
        server: url.toString(),
        user,
        password,
        machine,
        deviceKeyKind: keyType,
      }),
    );
    context.io.stdout(
      `logged in as ${session.user} on ${session.server} (machine ${session.machine}), session until ${session.expiresAt}\n`,
    );
    return EXIT.ok;
  },
};
