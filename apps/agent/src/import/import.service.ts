import { createPrivateKey, type KeyObject } from 'node:crypto';
import { RoamingError, NO_FLAGS, type TokenMeta } from '@credroam/roaming';
import { parseCertificate, tokenHash, type ParsedCertificate } from '@credroam/sealing';
import { NO_PROGRESS, type Progress } from '../progress/progress';
import { type AgentStore } from '../store/agent-store';
import { type StoredToken } from '../store/token.repository';
import { requireSession } from '../sync/credentials';
import { linkKeys, parseCredentialFile, type ParsedCredential } from './credential-file.parser';

export interface ImportedToken {
  type: TokenMeta['type'];
  id: string;
  status: 'added' | 'updated' | 'unchanged';
  linkedCertificate?: string;
}

/** What one write of an import replaced: the token as it was, or none (content null) when it was new. */
type Replaced = StoredToken | { meta: TokenMeta; content: null };

/**
 * Turns a credential file into tokens: hashed with the user's hash key (so a login is needed), stamped with the
 * import time, keys linked to the certificate (in the file or already stored) whose public key they match.
 */
export class ImportService {
  constructor(
    private readonly store: AgentStore,
    private readonly now: () => number,
  ) {}

  importFile(bytes: Buffer, password?: string, progress: Progress = NO_PROGRESS): ImportedToken[] {
    const { hashKey } = requireSession(this.store, this.now());
    const parsed = parseCredentialFile(bytes, password);
    if (!parsed.ok) throw RoamingError.fromInfo(parsed.error);
    const { tokens } = this.store.tokens.list();
    const storedCertificates = tokens.flatMap((token) => {
      if (token.meta.type !== 'certificate') return [];
      const certificate = parseCertificate(token.content);
      return certificate.ok ? [certificate.value] : [];
    });
    const credentials = linkKeys(parsed.value, storedCertificates);
    const modifiedAt = this.now();
    const replaced: Replaced[] = [];
    try {
      const results = credentials.map((credential, index) => {
        progress(`import: token ${index + 1}/${credentials.length}`);
        return this.put(credential, hashKey, modifiedAt, replaced);
      });
      this.linkStoredKeys(credentials, modifiedAt, replaced);
      this.store.records.markImported(results.filter((result) => result.status !== 'unchanged'));
      return results;
    } catch (error) {
      this.undo(replaced);
      throw error;
    }
  }

  /**
   * Puts back what an import that failed part-way (a full disk) had replaced, newest first, so that an import is
   * all or nothing: a PKCS#12 file never lands as its certificate without its key, nor a token without its record.
   */
  private undo(replaced: Replaced[]): void {
    for (const previous of replaced.reverse()) {
      try {
        if (previous.content === null) this.store.tokens.delete(previous.meta);
        else this.store.tokens.put(previous);
      } catch {
        // Removing a file frees space and restoring one takes back what it held: this only fails when the
        // store itself went away, and the import's own error is the one to report.
      }
    }
  }

  /** Writes a token of this import, remembering what it replaces (the old token, or none) for undo. */
  private write(token: StoredToken, replaced: Replaced[]): void {
    replaced.push(this.store.tokens.get(token.meta) ?? { meta: token.meta, content: null });
    this.store.tokens.put(token);
  }

  private put(
    credential: ParsedCredential,
    hashKey: Buffer,
    modifiedAt: number,
    replaced: Replaced[],
  ): ImportedToken {
    const hash = tokenHash(hashKey, credential.content);
    const existing = this.store.tokens.get(credential);
    const linkedCertificate = credential.linkedCertificate ?? existing?.meta.linkedCertificate;
    const summary = {
      type: credential.type,
      id: credential.id,
      ...(linkedCertificate ? { linkedCertificate } : {}),
    };
    if (existing && existing.meta.hash === hash && existing.meta.linkedCertificate === linkedCertificate) {
      return { ...summary, status: 'unchanged' };
    }
    const meta: TokenMeta = {
      type: credential.type,
      id: credential.id,
      modifiedAt,
      hash,
      size: credential.content.length,
      flags: existing?.meta.flags ?? NO_FLAGS,
      ...(linkedCertificate ? { linkedCertificate } : {}),
    };
    this.write({ meta, content: credential.content }, replaced);
    return { ...summary, status: existing ? 'updated' : 'added' };
  }

  /** A certificate imported after its key: link the stored key now, so the key roams with it. */
  private linkStoredKeys(credentials: ParsedCredential[], modifiedAt: number, replaced: Replaced[]): void {
    const certificates = credentials.flatMap((c): ParsedCertificate[] =>
      c.certificate ? [c.certificate] : [],
    );
    if (certificates.length === 0) return;
    const { tokens } = this.store.tokens.list();
    for (const token of tokens) {
      if (token.meta.type !== 'private-key' || token.meta.linkedCertificate) continue;
      const [linked] = linkKeys(
        [
          {
            type: 'private-key',
            id: token.meta.id,
            content: token.content,
            privateKey: privateKeyOf(token.content),
          },
        ],
        certificates,
      );
      if (linked?.linkedCertificate) {
        this.write(
          {
            meta: { ...token.meta, linkedCertificate: linked.linkedCertificate, modifiedAt },
            content: token.content,
          },
          replaced,
        );
      }
    }
  }
}

function privateKeyOf(pkcs8: Buffer): KeyObject | undefined {
  // The key parsed when it was stored; a failure now only means "do not link".
  try {
    return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch {
    return undefined;
  }
}
