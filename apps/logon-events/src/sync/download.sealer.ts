import {
  RoamingError,
  tokenKeyString,
  toLocalToken,
  type CertificateMetadata,
  type Download,
  type Rejection,
  type StoredValue,
  type SyncPlan,
} from '@credroam/roaming';
import { type CryptoRepository, type DirectoryRepository } from '../repositories/logon.repositories';
import { granteeOf } from '../sessions/session-token';
import { inCryptoBatches } from './crypto-batches';
import { isRejectionOf, rejection } from './sync-rejections';
import { type SyncSession } from './sync-session';

/** What the download sealer hands to the answer. */
export interface SealedDownloads {
  downloads: Download[];
  failed: Rejection[];
  certificates: Map<string, CertificateMetadata>;
  /** The download keys the downloads are sealed to (one per token-crypto call), when the agent opens them. */
  downloadKeys: string[];
}

/**
 * Re-seals a plan's downloads to the session's device key, or, for an agent that opens download keys, to one
 * download key per token-crypto call (one key agreement per call instead of one per token). A value that cannot be
 * delivered is rejected and left for the next sync; only the version the plan was made from is delivered.
 */
export class DownloadSealer {
  constructor(
    private readonly directory: DirectoryRepository,
    private readonly crypto: CryptoRepository,
  ) {}

  async seal(
    session: SyncSession,
    plan: SyncPlan,
    correlationId: string,
    { downloadKeys = false }: { downloadKeys?: boolean } = {},
  ): Promise<SealedDownloads> {
    const certificates = new Map<string, CertificateMetadata>();
    const keys: string[] = [];
    if (plan.blocked || plan.downloads.length === 0)
      return { downloads: [], failed: [], certificates, downloadKeys: keys };
    const failed: Rejection[] = [];
    const stored = await this.storedValues(session, plan, failed, correlationId);
    const items = plan.downloads.flatMap(({ token }) => {
      // The directory may have moved on since it was read for the plan: only the planned version is delivered.
      const found = stored.get(tokenKeyString(token));
      const value =
        found && found.token.hash === token.hash && found.token.modifiedAt === token.modifiedAt
          ? found
          : undefined;
      if (!value && !failed.some((rejected) => isRejectionOf(rejected, token))) {
        failed.push(
          rejection(token, 'DIRECTORY_UNAVAILABLE', 'the stored value could not be read', 'directory'),
        );
      }
      return value ? [value] : [];
    });
    const downloads: Download[] = [];
    if (items.length > 0) {
      const sealed = await inCryptoBatches(items, async (batch) => {
        const answer = await this.crypto.sealForDevice(
          {
            user: { stableId: session.claims.stableId, login: session.claims.login },
            devicePublicKey: session.claims.devicePublicKey,
            items: batch,
            includeHashKey: false,
            ...(downloadKeys ? { downloadKey: true } : {}),
          },
          granteeOf(session.claims),
          correlationId,
        );
        if (answer.downloadKeyEnvelope !== undefined) keys.push(answer.downloadKeyEnvelope);
        return answer.items;
      });
      const byKey = new Map(sealed.map((item) => [tokenKeyString(item), item]));
      for (const { token } of plan.downloads) {
        const item = byKey.get(tokenKeyString(token));
        if (!item) continue;
        if (item.ok) {
          downloads.push({ token: toLocalToken(token), envelope: item.envelope });
          if (item.certificate) certificates.set(tokenKeyString(token), item.certificate);
        } else failed.push(rejection(token, item.error.code, item.error.message, 'directory'));
      }
    }
    return { downloads, failed, certificates, downloadKeys: downloads.length > 0 ? keys : [] };
  }

  /** The planned values as stored; when the read fails, every download is rejected with its code. */
  private storedValues(
    session: SyncSession,
    plan: SyncPlan,
    failed: Rejection[],
    correlationId: string,
  ): Promise<Map<string, StoredValue>> {
    return this.directory
      .readStoredValues(
        session.claims.dn,
        plan.downloads.map(({ token }) => ({ type: token.type, id: token.id })),
        granteeOf(session.claims),
        correlationId,
      )
      .catch((error: unknown) => {
        const info = error instanceof RoamingError ? error : new RoamingError('INTERNAL', String(error));
        plan.downloads.forEach(({ token }) =>
          failed.push(rejection(token, info.code, info.message, 'directory')),
        );
        return new Map<string, StoredValue>();
      });
  }
}
