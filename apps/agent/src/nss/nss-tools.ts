import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePem } from '@credroam/sealing';

/** One certificate of an NSS database: its nickname and DER. */
export interface NssCertificate {
  nickname: string;
  der: Buffer;
}

/** A failure of certutil or pk12util, with what the tool said (tools never print key material). */
export class NssToolError extends Error {
  override readonly name = 'NssToolError';
}

const TOOL_TIMEOUT_MS = 60_000;
const EMPTY_PASSWORD_FILE = '/dev/null';
/**
 * Iterations of the one-time PKCS#12 files credroam gives pk12util: their passwords are 192 random bits, so
 * stretching them buys nothing. (pk12util's own exports use 600,000, which makes importing a key from NSS slow.)
 */
export const TRANSFER_KDF_ITERATIONS = 2048;
/** certutil -L: "<nickname><spaces><trust>", trust being three comma-separated flag sets (",," for none). */
const LISTING_LINE = /^(.*\S)\s+([a-zA-Z]*,[a-zA-Z]*,[a-zA-Z]*)\s*$/;
/** certutil -K: "< 0> rsa      <CKA_ID hex>   <nickname or (orphan)>". */
const KEY_LINE = /^<\s*\d+>\s+\S+\s+([0-9a-f]+)\s/;

/**
 * The NSS command-line tools (Debian libnss3-tools) on one database, `sql:DIR` (cert9.db, key4.db: the shared
 * format Chromium, Firefox, Evolution and NetworkManager read). The database must have no password: every call
 * passes an empty password file, so nothing ever prompts, and a database with a password fails with that reason.
 * Passwords of the PKCS#12 files exchanged with pk12util go through files in a private directory (mode 0700,
 * removed at once), never on a command line where `ps` would show them.
 */
export class NssTools {
  constructor(readonly directory: string) {}

  private get database(): string {
    return `sql:${this.directory}`;
  }

  /** Creates the database (and its directory, 0700) when there is none. */
  ensureDatabase(): void {
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    if (existsSync(join(this.directory, 'cert9.db'))) return;
    this.run('certutil', ['-N', '--empty-password', '-d', this.database]);
  }

  /** Every certificate in the database, each with the nickname NSS files it under. */
  certificates(): NssCertificate[] {
    const listing = this.run('certutil', ['-L', '-d', this.database]);
    const nicknames = new Set<string>();
    for (const line of listing.split('\n')) {
      // The header lines ("Certificate Nickname  Trust Attributes", "SSL,S/MIME,JAR/XPI") do not match.
      const match = LISTING_LINE.exec(line);
      if (match) nicknames.add(match[1] as string);
    }
    return [...nicknames].flatMap((nickname) => this.certificatesNamed(nickname));
  }

  /** The certificates filed under `nickname` (all certificates of one subject share one in NSS). */
  certificatesNamed(nickname: string): NssCertificate[] {
    const result = this.spawn('certutil', ['-L', '-d', this.database, '-n', nickname, '-a']);
    if (result.status !== 0) {
      if (/Could not find cert/.test(result.output)) return [];
      throw this.failure('certutil', result.output);
    }
    const blocks = decodePem(result.stdout);
    if (!blocks.ok) {
      throw new NssToolError(`certutil printed an unreadable certificate for ${JSON.stringify(nickname)}`);
    }
    return blocks.value.map((block) => ({ nickname, der: block.der }));
  }

  /** The CKA_IDs (lower-case hex) of the private keys in the database. */
  keyIds(): Set<string> {
    const result = this.spawn('certutil', ['-K', '-d', this.database]);
    if (result.status !== 0) {
      if (/no keys found/.test(result.output)) return new Set();
      throw this.failure('certutil', result.output);
    }
    const ids = new Set<string>();
    for (const line of result.stdout.split('\n')) {
      const match = KEY_LINE.exec(line);
      if (match) ids.add(match[1] as string);
    }
    return ids;
  }

  /** Imports a PKCS#12 (certificate and key); NSS names it by the file's friendlyName. */
  importPkcs12(pkcs12: (password: string) => Buffer): void {
    this.withPrivateFiles((dir, password) => {
      const file = join(dir, 'import.p12');
      writeFileSync(file, pkcs12(password), { mode: 0o600 });
      this.run('pk12util', ['-i', file, '-d', this.database, '-w', join(dir, 'password')]);
    });
  }

  /** Adds a certificate without a key and without trust (",,": NSS' default for another person's certificate). */
  addCertificate(der: Buffer, nickname: string): void {
    this.withPrivateFiles((dir) => {
      const file = join(dir, 'certificate.der');
      writeFileSync(file, der, { mode: 0o600 });
      this.run('certutil', ['-A', '-d', this.database, '-n', nickname, '-t', ',,', '-i', file]);
    });
  }

  /** Exports the certificates of `nickname` with their keys as PKCS#12; returns its bytes and one-time password. */
  exportPkcs12(nickname: string): { pkcs12: Buffer; password: string } {
    return this.withPrivateFiles((dir, password) => {
      const file = join(dir, 'export.p12');
      this.run('pk12util', ['-o', file, '-n', nickname, '-d', this.database, '-w', join(dir, 'password')]);
      return { pkcs12: readFileSync(file), password };
    });
  }

  /**
   * Deletes one certificate filed under `nickname` (NSS picks which, when a subject has several); its key stays.
   * Callers check what is left and put back what they did not mean to delete.
   */
  deleteCertificate(nickname: string): void {
    this.run('certutil', ['-D', '-d', this.database, '-n', nickname]);
  }

  /** Deletes the private key with this CKA_ID. */
  deleteKey(keyId: string): void {
    this.run('certutil', ['-F', '-d', this.database, '-k', keyId]);
  }

  /** A private directory (0700, mkdtemp's) holding a random one-time password in a file (0600). */
  private withPrivateFiles<T>(work: (dir: string, password: string) => T): T {
    const dir = mkdtempSync(join(tmpdir(), 'credroam-nss-'));
    try {
      const password = randomBytes(24).toString('base64url');
      writeFileSync(join(dir, 'password'), password, { mode: 0o600 });
      return work(dir, password);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private run(tool: 'certutil' | 'pk12util', args: string[]): string {
    const result = this.spawn(tool, args);
    if (result.status !== 0) throw this.failure(tool, result.output);
    return result.stdout;
  }

  private spawn(
    tool: 'certutil' | 'pk12util',
    args: string[],
  ): { status: number | null; stdout: string; output: string } {
    // certutil reads the database password from -f, pk12util from -k: an empty one, never a prompt.
    const withPassword = [...args, tool === 'certutil' ? '-f' : '-k', EMPTY_PASSWORD_FILE];
    const result = spawnSync(tool, withPassword, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: TOOL_TIMEOUT_MS,
      env: { ...process.env, LC_ALL: 'C' },
    });
    if (result.error) {
      const code = (result.error as NodeJS.ErrnoException).code;
      throw new NssToolError(
        code === 'ENOENT'
          ? `${tool} is not installed (Debian/Ubuntu: apt-get install libnss3-tools)`
          : `${tool} failed to run (${code ?? result.error.message})`,
      );
    }
    // Without a terminal, certutil writes some of its errors to standard output.
    return { status: result.status, stdout: result.stdout, output: `${result.stdout}\n${result.stderr}` };
  }

  private failure(tool: string, output: string): NssToolError {
    const lines = output
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    const said = lines.at(-1) ?? 'no output';
    if (/SEC_ERROR_BAD_PASSWORD|could not authenticate|Failed to authenticate/.test(output)) {
      return new NssToolError(
        `the NSS database ${this.directory} has a password; credroam only writes to one without (${said})`,
      );
    }
    return new NssToolError(`${tool} failed on ${this.directory}: ${said}`);
  }
}
