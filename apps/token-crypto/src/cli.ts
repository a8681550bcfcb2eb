#!/usr/bin/env node
// token-crypto's command line: first setup (generate-keys), key rotation (new-storage-key) and offline recovery of
// a stored value with a key-recovery agent's key (recover). Runs without the service, the broker or the directory.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RoamingError } from '@credroam/roaming';
import {
  certificateThumbprint,
  parseCertificate,
  recoverStoredValue,
  storedValueKeyVersion,
  wipe,
} from '@credroam/sealing';
import { addStorageMasterKey, generateKeys } from './keys/key-generator';
import { readRecoveryKey } from './recovery/recovery-key.reader';
import { readStoredValueFile } from './recovery/stored-value.reader';

export const USAGE = `usage: token-crypto <command> [options]

commands:
  generate-keys --dir DIR [--transport-key-bits 2048|3072|4096] [--days N]
      First setup, once: writes the transport key and certificate, storage master key v1 and the hash key
      master into DIR (then run the service with CREDROAM_KEY_DIR=DIR). Never overwrites a key.
  new-storage-key --dir DIR
      Key rotation: adds storage master key version N+1 to DIR/storage-master-keys.
  recover --recovery-key FILE --value FILE [--recovery-cert FILE] [--password-file FILE] [--out FILE]
      Opens a stored value offline with a key-recovery agent's key (PKCS#12, or PKCS#8 PEM/DER). The value may be
      the raw directory value, its DN-Binary text, credroam's payload or the bare CMS, in binary or base64. The
      plaintext goes to --out (mode 0600) or stdout; what is known about it goes to stderr.
  --help
      This text.`;

export interface CliIo {
  stdout: (bytes: Buffer | string) => void;
  stderr: (text: string) => void;
}

const defaultIo: CliIo = {
  stdout: (bytes) => process.stdout.write(bytes),
  stderr: (text) => process.stderr.write(text),
};

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function required(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.length === 0)
    throw new RoamingError('INVALID_INPUT', `--${name} is required`);
  return value;
}

function generate(values: Values, io: CliIo): void {
  const dir = resolve(required(values, 'dir'));
  const bits = values['transport-key-bits'] === undefined ? 3072 : Number(values['transport-key-bits']);
  if (bits !== 2048 && bits !== 3072 && bits !== 4096) {
    throw new RoamingError('INVALID_INPUT', '--transport-key-bits must be 2048, 3072 or 4096');
  }
  const days = values.days === undefined ? 1095 : Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 7300)
    throw new RoamingError('INVALID_INPUT', '--days must be 1-7300');
  const generated = generateKeys(dir, { transportKeyBits: bits, days });
  io.stderr(
    [
      `wrote ${generated.files.join('\n      ')}`,
      `transport certificate ${generated.transportThumbprint}, valid until ${generated.transportNotAfter.toISOString()}`,
      `start token-crypto with CREDROAM_KEY_DIR=${dir}; back the directory up, offline: losing it loses every value`,
      '',
    ].join('\n'),
  );
}

function recover(values: Values, io: CliIo): void {
  const valueFile = readStoredValueFile(readFileSync(required(values, 'value')));
  if (!valueFile.ok) throw RoamingError.fromInfo(valueFile.error);
  const passwordFile = values['password-file'];
  const passwordBytes = typeof passwordFile === 'string' ? readFileSync(passwordFile) : undefined;
  const password = passwordBytes?.toString('utf8').replace(/\r?\n$/, '');
  wipe(passwordBytes);
  const certificatePath = values['recovery-cert'];
  const keyBytes = readFileSync(required(values, 'recovery-key'));
  const key = readRecoveryKey(
    keyBytes,
    password,
    typeof certificatePath === 'string' ? readFileSync(certificatePath) : undefined,
  );
  wipe(keyBytes);
  if (!key.ok) throw RoamingError.fromInfo(key.error);
  const opened = recoverStoredValue(valueFile.value.sealed, key.value);
  if (!opened.ok) {
    // Without a certificate the key is tried on every recipient; failing them all means it is the wrong key.
    if (!key.value.certificate && opened.error.code === 'INTEGRITY_CHECK_FAILED') {
      throw new RoamingError(
        'KEY_UNAVAILABLE',
        'the recovery key opens none of the value’s recipients (wrong key?)',
      );
    }
    throw RoamingError.fromInfo(opened.error);
  }

  const { token } = valueFile.value;
  const fromKekId = storedValueKeyVersion(valueFile.value.sealed);
  const keyVersion = valueFile.value.keyVersion ?? (fromKekId.ok ? fromKekId.value : null);
  const notes = [`recovered ${opened.value.length} bytes`];
  if (token) notes.push(`token ${token.type} ${JSON.stringify(token.id)}, header size ${token.size}`);
  if (keyVersion !== null) notes.push(`storage key version ${keyVersion}`);
  if (token && token.size !== opened.value.length) notes.push('WARNING: the size differs from the header');
  if (token?.type === 'certificate' && parseCertificate(opened.value).ok) {
    const thumbprint = certificateThumbprint(opened.value);
    notes.push(
      thumbprint === token.id
        ? 'thumbprint matches the token id'
        : `WARNING: thumbprint ${thumbprint} is not the token id`,
    );
  }
  notes.push('(without the storage master key the value could not be authenticated)');
  const out = values.out;
  if (typeof out === 'string') writeFileSync(out, opened.value, { mode: 0o600 });
  else io.stdout(opened.value);
  wipe(opened.value);
  io.stderr(`${notes.join('\n')}\n`);
}

/** Runs the command line; returns the exit code (0 success, 1 failure, 2 usage). */
export function runCli(argv: string[], io: CliIo = defaultIo): number {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        dir: { type: 'string' },
        'transport-key-bits': { type: 'string' },
        days: { type: 'string' },
        'recovery-key': { type: 'string' },
        'recovery-cert': { type: 'string' },
        'password-file': { type: 'string' },
        value: { type: 'string' },
        out: { type: 'string' },
      },
    });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || command === undefined || command === 'help') {
    io.stderr(`${USAGE}\n`);
    return parsed.values.help || command === 'help' ? 0 : 2;
  }
  if (rest.length > 0) {
    io.stderr(`unexpected arguments: ${rest.join(' ')}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    switch (command) {
      case 'generate-keys':
        generate(parsed.values, io);
        return 0;
      case 'new-storage-key': {
        const added = addStorageMasterKey(resolve(required(parsed.values, 'dir')));
        io.stderr(
          `wrote storage master key v${added.version} to ${added.file}\n` +
            'roll it out to every replica with CREDROAM_STORAGE_KEY_CURRENT at the old version, then raise it\n',
        );
        return 0;
      }
      case 'recover':
        recover(parsed.values, io);
        return 0;
      default:
        io.stderr(`unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    const message =
      error instanceof RoamingError
        ? `${error.code}: ${error.message}`
        : error instanceof Error
          ? error.message
          : String(error);
    io.stderr(`token-crypto ${command}: ${message}\n`);
    return 1;
  }
}

if (require.main === module) process.exitCode = runCli(process.argv.slice(2));
