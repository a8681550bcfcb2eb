import { readFileSync } from 'node:fs';
import { ImportService } from '../../import/import.service';
import { terminalProgress } from '../../progress/progress';
import { readPassword, type Command } from '../command';
import { EXIT, UsageError } from '../exit-codes';

export const importCommand: Command = {
  name: 'import',
  summary: 'add certificates, keys or requests from a file',
  usage: `usage: credroam-agent import FILE [--password-stdin] [--json]

Imports a PEM or DER certificate (id = SHA-1 thumbprint), PKCS#8 private key, PKCS#10 request, or a PKCS#12
bundle (certificates and keys, linked). Encrypted keys and PKCS#12 need --password-stdin. Needs a login: token
hashes use the user's hash key.`,
  options: { 'password-stdin': { type: 'boolean' }, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1, names: 'FILE' },
  async run(context, { values, positionals }) {
    const file = positionals[0] as string;
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      throw new UsageError(
        `cannot read ${JSON.stringify(file)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    const password = values['password-stdin'] === true ? await readPassword(context) : undefined;
    const progress = terminalProgress(context.io);
    const imported = await context
      .exclusive((store) =>
        new ImportService(store, context.now).importFile(bytes, password, progress.update),
      )
      .finally(progress.done);
    if (values.json === true) context.io.stdout(`${JSON.stringify(imported)}\n`);
    else {
      for (const token of imported) {
        const link = token.linkedCertificate ? ` (key of certificate ${token.linkedCertificate})` : '';
        context.io.stdout(`${token.status} ${token.type} ${token.id}${link}\n`);
      }
    }
    return EXIT.ok;
  },
};
