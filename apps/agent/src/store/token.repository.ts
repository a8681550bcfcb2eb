import { lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  compareTokenKeys,
  describeUntrusted,
  parseWith,
  tokenMetaSchema,
  TOKEN_TYPES,
  type TokenKey,
  type TokenMeta,
  type TokenType,
} from '@credroam/roaming';
import { type AtomicFileWriter } from './atomic-file.writer';
import { type StoreLayout } from './store-layout';
import { TOKEN_FILE_NAME, tokenFileName } from './token-file-name';

export interface StoredToken {
  meta: TokenMeta;
  content: Buffer;
}

/** A token file the store could not use; it is left in place (for the user to inspect) and not synced. */
export interface TokenFileProblem {
  file: string;
  reason: string;
}

const tokenFileSchema = z
  .object({ format: z.literal(1), meta: tokenMetaSchema, content: z.base64() })
  .strict();

/**
 * The local credential store: one file per token under tokens/<type>/, holding its metadata and content, written
 * atomically. The only code that reads or writes token files.
 */
export class TokenRepository {
  constructor(
    private readonly layout: StoreLayout,
    private readonly writer: AtomicFileWriter,
  ) {}

  list(): { tokens: StoredToken[]; problems: TokenFileProblem[] } {
    const tokens: StoredToken[] = [];
    const problems: TokenFileProblem[] = [];
    for (const type of TOKEN_TYPES) {
      for (const name of this.fileNames(type)) {
        const file = join(this.layout.tokenTypeDir(type), name);
        const read = this.readFile(file, type, name);
        if ('reason' in read) problems.push({ file, reason: read.reason });
        else tokens.push(read);
      }
    }
    tokens.sort((a, b) => compareTokenKeys(a.meta, b.meta));
    return { tokens, problems };
  }

  get(key: TokenKey): StoredToken | null {
    const name = tokenFileName(key);
    const read = this.readFile(join(this.layout.tokenTypeDir(key.type), name), key.type, name);
    return 'reason' in read ? null : read;
  }

  put(token: StoredToken): void {
    this.putAll([token]);
  }

  /** Checks every token before writing any, so one invalid token leaves the store as it was. */
  putAll(tokens: readonly StoredToken[]): void {
    const files = tokens.map((token) => {
      const parsed = parseWith(tokenMetaSchema, token.meta);
      if (!parsed.ok) throw new Error(`refusing to store an invalid token: ${parsed.error.message}`);
      if (token.content.length !== token.meta.size) {
        throw new Error(
          `refusing to store ${token.meta.type} ${describeUntrusted(token.meta.id)}: size mismatch`,
        );
      }
      const body = { format: 1, meta: parsed.value, content: token.content.toString('base64') };
      const dir = this.layout.tokenTypeDir(token.meta.type);
      return { dir, path: join(dir, tokenFileName(token.meta)), data: JSON.stringify(body) };
    });
    for (const dir of new Set(files.map((file) => file.dir))) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    this.writer.writeAll(files);
  }

  delete(key: TokenKey): boolean {
    return this.writer.remove(join(this.layout.tokenTypeDir(key.type), tokenFileName(key)));
  }

  /** Removes temp files left by a crash mid-write. */
  sweep(): void {
    for (const type of TOKEN_TYPES) this.writer.sweep(this.layout.tokenTypeDir(type));
  }

  private fileNames(type: TokenType): string[] {
    try {
      return readdirSync(this.layout.tokenTypeDir(type)).filter((name) => TOKEN_FILE_NAME.test(name));
    } catch {
      return [];
    }
  }

  private readFile(file: string, type: TokenType, name: string): StoredToken | { reason: string } {
    let text: string;
    try {
      // A symlink here was not written by this store (it writes by rename): it could lead anywhere. A file of
      // another owner could be rewritten under the agent by that owner.
      const stats = lstatSync(file);
      if (stats.isSymbolicLink()) return { reason: 'a symlink, not a token file' };
      const uid = process.getuid?.();
      if (uid !== undefined && stats.uid !== uid)
        return { reason: `belongs to uid ${stats.uid}, not to this user` };
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { reason: code === 'ENOENT' ? 'missing' : `unreadable (${code ?? 'error'})` };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { reason: 'not valid JSON' };
    }
    const parsed = parseWith(tokenFileSchema, json);
    if (!parsed.ok) return { reason: parsed.error.message };
    const { meta } = parsed.value;
    // A file whose name is not its key's hash was not written by this store (or was moved): never trust it.
    if (meta.type !== type || tokenFileName(meta) !== name)
      return { reason: 'file name does not match its token' };
    const content = Buffer.from(parsed.value.content, 'base64');
    if (content.length !== meta.size) return { reason: 'content size does not match its metadata' };
    return { meta, content };
  }
}
