import {
  RoamingError,
  tokenKeyString,
  toLocalToken,
  type CertificateMetadata,
  type DirectoryAddition,
  type MachineBase,
  type Rejection,
  type SyncPlan,
  type SyncRequest,
} from '@credroam/roaming';
import { type CryptoRepository } from '../repositories/logon.repositories';
import { granteeOf } from '../sessions/session-token';
import { inCryptoBatches } from './crypto-batches';
import { isRejectionOf, rejection, restoreEntries } from './sync-rejections';
import { type SyncSession } from './sync-session';

/** A planned upload as sealed for storage (a certificate with its facts for the inventory), or why token-crypto refused it. */
export type SealedUpload = (DirectoryAddition & { certificate?: CertificateMetadata }) | Rejection;

/**
 * Seals a plan's uploads for storage, once per sync: `sealed` carries what earlier attempts of the same sync
 * sealed, so a retry after a lost race only seals what it has not seen (or what changed).
 */
export class UploadSealer {
  constructor(private readonly crypto: CryptoRepository) {}

  async seal(
    session: SyncSession,
    request: SyncRequest,
    plan: SyncPlan,
    sealed: Map<string, SealedUpload>,
    correlationId: string,
  ): Promise<Rejection[]> {
    const envelopes = new Map(request.uploads.map((upload) => [tokenKeyString(upload), upload.envelope]));
    const missing: Rejection[] = [];
    const toSeal = plan.uploads.filter((upload) => {
      const key = tokenKeyString(upload.token);
      const existing = sealed.get(key);
      if (existing && 'sealed' in existing && existing.token.hash === upload.token.hash) return false;
      if (existing && !('sealed' in existing)) return false;
      if (!envelopes.has(key)) {
        missing.push(rejection(upload.token, 'INVALID_INPUT', 'the content of this token was not uploaded'));
        return false;
      }
      return true;
    });
    if (toSeal.length > 0) {
      const items = await inCryptoBatches(toSeal, async (batch) => {
        const answer = await this.crypto.sealForStorage(
          {
            user: { stableId: session.claims.stableId, login: session.claims.login },
            limits: { maxTokenBytes: session.policy.maxTokenBytes },
            items: batch.map((upload) => ({
              token: toLocalToken(upload.token),
              envelope: envelopes.get(tokenKeyString(upload.token)) as string,
            })),
          },
          granteeOf(session.claims),
          correlationId,
        );
        return answer.items;
      });
      toSeal.forEach((upload, index) => {
        const item = items[index];
        const key = tokenKeyString(upload.token);
        if (!item || tokenKeyString(item) !== key) {
          throw new RoamingError('CONTRACT_VIOLATION', 'token-crypto answered seal-for-storage out of order');
        }
        sealed.set(
          key,
          item.ok
            ? {
                token: upload.token,
                keyVersion: item.keyVersion,
                sealed: item.sealed,
                ...(item.certificate ? { certificate: item.certificate } : {}),
              }
            : rejection(upload.token, item.error.code, item.error.message),
        );
      });
    }
    const refused = plan.uploads.flatMap((upload) => {
      const result = sealed.get(tokenKeyString(upload.token));
      return result && !('sealed' in result) ? [result] : [];
    });
    return [...missing, ...refused];
  }
}

/**
 * The plan without the uploads token-crypto refused. Their base entries go back to what the machine had, so the
 * next sync sees them as still to upload instead of as written.
 */
export function withoutRejectedUploads(
  plan: SyncPlan,
  rejections: Rejection[],
  previous: MachineBase | null,
): SyncPlan {
  if (rejections.length === 0) return plan;
  const refused = new Set(
    plan.uploads
      .filter((upload) => rejections.some((rejected) => isRejectionOf(rejected, upload.token)))
      .map((upload) => tokenKeyString(upload.token)),
  );
  return {
    ...plan,
    uploads: plan.uploads.filter((upload) => !refused.has(tokenKeyString(upload.token))),
    base: plan.base && { ...plan.base, entries: restoreEntries(plan.base.entries, refused, previous) },
  };
}

/** The facts token-crypto returned for the certificates it sealed, by token key. */
export function sealedCertificates(
  sealed: ReadonlyMap<string, SealedUpload>,
): Map<string, CertificateMetadata> {
  const found = new Map<string, CertificateMetadata>();
  for (const [key, upload] of sealed)
    if ('certificate' in upload && upload.certificate) found.set(key, upload.certificate);
  return found;
}
