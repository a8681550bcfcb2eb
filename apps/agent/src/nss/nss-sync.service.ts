import { certificateThumbprint, encodePem, parseCertificate, buildPkcs12 } from '@credroam/sealing';
import { allCertificateBundles, displayName, type CertificateBundle } from '../export/certificate-bundle';
import { ImportService } from '../import/import.service';
import { NO_PROGRESS, type Progress } from '../progress/progress';
import { type AgentStore } from '../store/agent-store';
import { type ApplicationStore } from '../sync/sync.service';
import { nssKeyId } from './nss-key-id';
import { planNssSync, type NssPresence } from './nss-plan';
import { NssRecord } from './nss-record';
import { NssTools, TRANSFER_KDF_ITERATIONS, type NssCertificate } from './nss-tools';

export interface NssSyncReport {
  database: string;
  /** Thumbprints added to NSS (with or without key), removed from it, and imported from it into roaming. */
  added: string[];
  removed: string[];
  roamed: string[];
  /** One line per certificate that could not be handled; the others were. */
  problems: string[];
}

/**
 * Mirrors the local store into one NSS database and takes in what the user added there (see planNssSync for the
 * rules). Certificates go in as PKCS#12 through pk12util (with their key) or certutil -A (without), named by
 * displayName(). Nothing here writes the store except importing a user's certificate, through ImportService (so a
 * login is needed for that part); a failure on one certificate is reported and the others go on.
 */
export class NssSyncService {
  private readonly record: NssRecord;

  constructor(
    private readonly store: AgentStore,
    private readonly tools: NssTools,
    private readonly now: () => number,
  ) {
    this.record = new NssRecord(store);
  }

  run(progress: Progress = NO_PROGRESS): NssSyncReport {
    const database = this.tools.directory;
    this.tools.ensureDatabase();
    const inNss = this.tools.certificates();
    const keyIds = this.tools.keyIds();
    const present = new Map<string, NssPresence>();
    for (const certificate of inNss) {
      const keyId = keyIdOf(certificate.der);
      present.set(certificateThumbprint(certificate.der), {
        nickname: certificate.nickname,
        hasKey: keyId !== null && keyIds.has(keyId),
      });
    }
    const bundles = new Map(
      allCertificateBundles(this.store.tokens.list().tokens, this.store.windows.read()).map((b) => [
        b.thumbprint,
        b,
      ]),
    );
    const plan = planNssSync(
      [...bundles.values()].map((bundle) => ({
        thumbprint: bundle.thumbprint,
        hasKey: bundle.privateKey !== null,
      })),
      present,
      this.record.read(database),
    );
    const report: NssSyncReport = { database, added: [], removed: [], roamed: [], problems: [] };
    const total = plan.remove.length + plan.add.length + plan.addKey.length + plan.roam.length;
    let done = 0;
    const attempt = (thumbprint: string, what: string, work: () => void): boolean => {
      done += 1;
      progress(`NSS database: certificate ${done}/${total}`);
      try {
        work();
        return true;
      } catch (error) {
        report.problems.push(`${what} ${thumbprint}: ${(error as Error).message.split('\n')[0]}`);
        return false;
      }
    };

    for (const entry of plan.remove) {
      if (attempt(entry.thumbprint, 'cannot remove from NSS', () => this.remove(entry, inNss))) {
        report.removed.push(entry.thumbprint);
      }
    }
    for (const { thumbprint } of plan.add) {
      const bundle = bundles.get(thumbprint) as CertificateBundle;
      if (attempt(thumbprint, 'cannot add to NSS', () => this.add(bundle))) report.added.push(thumbprint);
      else plan.record.delete(thumbprint);
    }
    for (const thumbprint of plan.addKey) {
      const bundle = bundles.get(thumbprint) as CertificateBundle;
      if (attempt(thumbprint, 'cannot add the key to NSS', () => this.add(bundle)))
        report.added.push(thumbprint);
      else plan.record.set(thumbprint, { key: false });
    }
    for (const entry of plan.roam) {
      if (attempt(entry.thumbprint, 'cannot import from NSS', () => this.roam(entry))) {
        plan.record.set(entry.thumbprint, { key: entry.withKey });
        report.roamed.push(entry.thumbprint);
      }
    }
    this.record.write(database, plan.record);
    return report;
  }

  private add(bundle: CertificateBundle): void {
    const nickname = displayName(bundle);
    const { privateKey } = bundle;
    if (!privateKey) {
      this.tools.addCertificate(bundle.certificate, nickname);
      return;
    }
    this.tools.importPkcs12((password) =>
      buildPkcs12(
        { certificate: bundle.certificate, privateKey, friendlyName: nickname },
        { password, iterations: TRANSFER_KDF_ITERATIONS },
      ),
    );
  }

  /**
   * certutil deletes by nickname only, and NSS files every certificate of a subject under one nickname (a renewed
   * certificate shares its predecessor's): delete until this one is gone, then put back the others it took.
   */
  private remove(
    entry: { thumbprint: string; nickname: string; withKey: boolean },
    inNss: NssCertificate[],
  ): void {
    const before = inNss.filter((certificate) => certificate.nickname === entry.nickname);
    let left = before;
    for (let round = 0; round < before.length && left.some((c) => isThe(c, entry.thumbprint)); round += 1) {
      this.tools.deleteCertificate(entry.nickname);
      left = this.tools.certificatesNamed(entry.nickname);
    }
    if (left.some((c) => isThe(c, entry.thumbprint))) throw new Error('certutil did not delete it');
    const kept = new Set(left.map((c) => certificateThumbprint(c.der)));
    for (const sibling of before) {
      // Their keys stayed (certutil -D keeps keys), so NSS pairs them again.
      if (!isThe(sibling, entry.thumbprint) && !kept.has(certificateThumbprint(sibling.der))) {
        this.tools.addCertificate(sibling.der, entry.nickname);
      }
    }
    const removed = before.find((c) => isThe(c, entry.thumbprint));
    const keyId = entry.withKey && removed ? keyIdOf(removed.der) : null;
    const shared = before.some((c) => !isThe(c, entry.thumbprint) && keyIdOf(c.der) === keyId);
    if (keyId && !shared && this.tools.keyIds().has(keyId)) this.tools.deleteKey(keyId);
  }

  /** Imports a certificate the user added to NSS, with its key when NSS has one (exported as PKCS#12). */
  private roam(entry: { thumbprint: string; nickname: string; withKey: boolean }): void {
    const importer = new ImportService(this.store, this.now);
    if (entry.withKey) {
      const { pkcs12, password } = this.tools.exportPkcs12(entry.nickname);
      importer.importFile(pkcs12, password);
      return;
    }
    const certificate = this.tools.certificatesNamed(entry.nickname).find((c) => isThe(c, entry.thumbprint));
    if (!certificate) throw new Error('it left the NSS database');
    importer.importFile(Buffer.from(encodePem('CERTIFICATE', certificate.der), 'ascii'));
  }
}

function isThe(certificate: NssCertificate, thumbprint: string): boolean {
  return certificateThumbprint(certificate.der) === thumbprint;
}

function keyIdOf(der: Buffer): string | null {
  const parsed = parseCertificate(der);
  return parsed.ok && parsed.value.publicKey ? nssKeyId(parsed.value.publicKey) : null;
}

/** The NSS sync of `database` as one of a sync's application stores; each problem line names the database. */
export function nssApplicationStore(
  store: AgentStore,
  database: string,
  now: () => number,
  progress: Progress = NO_PROGRESS,
): ApplicationStore {
  const service = new NssSyncService(store, new NssTools(database), now);
  return {
    reconcile: () => {
      try {
        return service.run(progress).problems.map((problem) => `NSS database ${database}: ${problem}`);
      } catch (error) {
        throw new Error(`NSS database ${database}: ${(error as Error).message.split('\n')[0]}`);
      }
    },
  };
}
