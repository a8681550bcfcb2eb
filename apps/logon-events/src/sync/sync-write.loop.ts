import {
  directoryChanges,
  planWritesDirectory,
  reconcile,
  RoamingError,
  tokenKeyString,
  type CertificateMetadata,
  type Rejection,
  type SyncPlan,
  type SyncRequest,
  type WindowsCertificateDelivery,
} from '@credroam/roaming';
import { type Clock, type DirectoryRepository } from '../repositories/logon.repositories';
import { granteeOf } from '../sessions/session-token';
import { type SyncSession } from './sync-session';
import {
  sealedCertificates,
  withoutRejectedUploads,
  type SealedUpload,
  type UploadSealer,
} from './upload.sealer';

export interface SyncSettings {
  /** Write attempts per sync, counting the first (lost compare-and-swap races are retried). */
  maxWriteAttempts: number;
  /** Base delay of the jittered exponential backoff between attempts. */
  retryBaseDelayMs: number;
}

/** What the directory holds after the loop: the plan that was written (or needed no write) and the stamp. */
export interface WrittenPlan {
  plan: SyncPlan;
  stamp: string | null;
  /** When the directory's roaming data was first written (the stamp's created time); null: never. */
  createdAt: number | null;
  wrote: boolean;
  /** Uploads token-crypto refused: not written. */
  rejections: Rejection[];
  /** The public facts of the certificates sealed for this write, by token key (for the inventory events). */
  certificates: ReadonlyMap<string, CertificateMetadata>;
  /** The certificates Windows clients roamed, as the gateway read them (undefined: a gateway that predates them). */
  windowsCertificates: WindowsCertificateDelivery[] | undefined;
}

/** A lost race, as the loop reports it before waiting for the next attempt. */
export interface RetriedWrite {
  attempt: number;
  reason: 'DIRECTORY_STAMP_CHANGED';
  delayMs: number;
}

/**
 * The heart of a sync (DESIGN.md section 6): read the directory → reconcile → seal uploads → one compare-and-swap
 * write; after a lost race read again and retry, bounded and with jittered backoff. With the directory unchanged
 * since the agent's last stamp and nothing new locally it costs one directory read.
 */
export class SyncWriteLoop {
  constructor(
    private readonly directory: DirectoryRepository,
    private readonly uploads: UploadSealer,
    private readonly clock: Clock,
    private readonly settings: SyncSettings,
  ) {}

  async run(
    session: SyncSession,
    request: SyncRequest,
    correlationId: string,
    attempts: { count: number },
    onRetry: (retry: RetriedWrite) => Promise<void>,
  ): Promise<WrittenPlan> {
    const sealed = new Map<string, SealedUpload>();
    for (;;) {
      const read = await this.directory.readState(session.claims.dn, correlationId);
      const { windowsCertificates } = read.state;
      const unwritten = {
        stamp: read.stamp,
        createdAt: read.state.createdAt,
        wrote: false,
        windowsCertificates,
      };
      const plan = reconcile({
        local: request.manifest,
        directory: read.state,
        policy: session.policy,
        now: this.clock.now(),
      });
      if (plan.blocked || !planWritesDirectory(plan))
        return { plan, ...unwritten, rejections: [], certificates: new Map() };
      const rejections = await this.uploads.seal(session, request, plan, sealed, correlationId);
      const writable = withoutRejectedUploads(plan, rejections, request.manifest.base);
      const certificates = sealedCertificates(sealed);
      if (!planWritesDirectory(writable)) return { plan: writable, ...unwritten, rejections, certificates };
      try {
        const written = await this.write(session, writable, read.stamp, sealed, correlationId);
        return { plan: writable, ...written, wrote: true, rejections, certificates, windowsCertificates };
      } catch (error) {
        if (!(error instanceof RoamingError) || error.code !== 'DIRECTORY_STAMP_CHANGED') throw error;
        if (attempts.count >= this.settings.maxWriteAttempts) throw error;
        const delayMs = this.retryDelay(attempts.count);
        await onRetry({ attempt: attempts.count, reason: error.code, delayMs });
        attempts.count += 1;
        await this.clock.sleep(delayMs);
      }
    }
  }

  private write(
    session: SyncSession,
    plan: SyncPlan,
    expectedStamp: string | null,
    sealed: Map<string, SealedUpload>,
    correlationId: string,
  ) {
    const { remove, add } = directoryChanges(plan);
    return this.directory.applyChanges(
      {
        userDn: session.claims.dn,
        expectedStamp,
        remove: remove.map((entry) => entry.ref),
        add: add.map((token) => {
          const upload = sealed.get(tokenKeyString(token));
          return upload && 'sealed' in upload && !token.tombstone
            ? { token, keyVersion: upload.keyVersion, sealed: upload.sealed }
            : { token, keyVersion: null, sealed: null };
        }),
        purgeWatermark: plan.purgeWatermark,
      },
      granteeOf(session.claims),
      correlationId,
    );
  }

  private retryDelay(attempt: number): number {
    const ceiling = this.settings.retryBaseDelayMs * 2 ** (attempt - 1);
    // Full jitter: writers that lost the same race do not collide again in lockstep.
    return Math.round(ceiling / 2 + (this.clock.random() * ceiling) / 2);
  }
}
