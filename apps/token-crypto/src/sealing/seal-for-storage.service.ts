import {
  fail,
  ok,
  type CertificateMetadata,
  type Result,
  type RpcRequest,
  type RpcResponse,
  type SealedItemResult,
  type TokenMeta,
} from '@credroam/roaming';
import {
  certificateFacts,
  openEnvelope,
  sealStoredValue,
  tokenHashMatches,
  wipe,
  type ParsedCertificate,
} from '@credroam/sealing';
import { type KeyRepository } from '../keys/key.repository';
import { validateTokenContent } from './token-content.validator';
import { withUserKeys, type UserKeys } from './user-keys';
import { WorkSlicer } from './work-slicer';

type Request = RpcRequest<'crypto.seal-for-storage'>;
type Response = RpcResponse<'crypto.seal-for-storage'>;

/** Room for the envelope around the content: recipient infos, IV, padding. Anything larger is not an upload. */
const ENVELOPE_OVERHEAD_BYTES = 64 * 1024;

/**
 * One message for "the envelope did not open" and "it opened to content that does not match its hash": telling
 * them apart would tell a caller whether a doctored CBC ciphertext still had valid padding (a decryption oracle
 * on any captured upload). Everything after the hash check may be specific: the caller then knows the content.
 */
export const UPLOAD_NOT_OPENED =
  'the upload could not be opened with the transport key, or its content does not match its hash';

/**
 * Uploads on their way to the directory: each envelope (sealed by the agent to the transport certificate) is
 * opened, checked against its metadata (hash, size, type, thumbprint, key/certificate match) and sealed under the
 * user's storage key and the recovery agents. One bad item is rejected on its own. A certificate's answer carries
 * its public facts (certificateFacts) for the fleet inventory.
 */
export class SealForStorageService {
  constructor(private readonly keys: KeyRepository) {}

  async seal(request: Request): Promise<Result<Response>> {
    return withUserKeys(this.keys, request.user.stableId, async (user) => {
      const results: SealedItemResult[] = new Array(request.items.length);
      const certificates = new Map<string, ParsedCertificate>();
      const slicer = new WorkSlicer();
      // Certificates first, so that a private key can be checked against a certificate uploaded with it.
      const order = request.items
        .map((item, index) => ({ item, index }))
        .sort(
          (a, b) => Number(b.item.token.type === 'certificate') - Number(a.item.token.type === 'certificate'),
        );
      for (const { item, index } of order) {
        const sealed = this.sealItem(
          user,
          request.limits.maxTokenBytes,
          item.token,
          item.envelope,
          certificates,
        );
        results[index] = sealed.ok
          ? { type: item.token.type, id: item.token.id, ok: true, ...sealed.value }
          : { type: item.token.type, id: item.token.id, ok: false, error: sealed.error };
        await slicer.pause();
      }
      return ok({ items: results });
    });
  }

  private sealItem(
    user: UserKeys,
    maxTokenBytes: number,
    token: TokenMeta,
    envelopeBase64: string,
    certificates: Map<string, ParsedCertificate>,
  ): Result<{ keyVersion: number; sealed: string; certificate?: CertificateMetadata }> {
    if (token.size > maxTokenBytes) {
      return fail(
        'TOKEN_SIZE_EXCEEDED',
        `token of ${token.size} bytes exceeds the policy limit of ${maxTokenBytes}`,
        {
          size: token.size,
          limit: maxTokenBytes,
        },
      );
    }
    const envelope = Buffer.from(envelopeBase64, 'base64');
    if (envelope.length > token.size + ENVELOPE_OVERHEAD_BYTES) {
      return fail(
        'INVALID_INPUT',
        `an envelope of ${envelope.length} bytes cannot hold ${token.size} bytes of content`,
      );
    }
    const opened = openEnvelope(envelope, this.keys.transportKeys());
    if (!opened.ok) {
      return opened.error.code === 'INTEGRITY_CHECK_FAILED'
        ? fail('INTEGRITY_CHECK_FAILED', UPLOAD_NOT_OPENED)
        : opened;
    }
    const content = opened.value;
    try {
      if (!tokenHashMatches(user.hashKey, content, token.hash))
        return fail('INTEGRITY_CHECK_FAILED', UPLOAD_NOT_OPENED);
      if (content.length !== token.size) {
        return fail('INVALID_INPUT', `content is ${content.length} bytes, its metadata says ${token.size}`);
      }
      const valid = validateTokenContent(token, content, certificates);
      if (!valid.ok) return valid;
      if (valid.value.certificate) certificates.set(token.id, valid.value.certificate);
      const keyVersion = this.keys.currentKeyVersion;
      const storageKeys = user.storageKeys(keyVersion);
      if (!storageKeys.ok) return storageKeys;
      const sealed = sealStoredValue(
        content,
        user.storageContext(token, keyVersion),
        storageKeys.value,
        this.keys.recoveryAgents,
      );
      if (!sealed.ok) return sealed;
      // The inventory's facts; a certificate whose facts the contract cannot carry still roams, uncounted.
      const facts = valid.value.certificate && certificateFacts(valid.value.certificate);
      return ok({
        keyVersion,
        sealed: sealed.value.toString('base64'),
        ...(facts?.ok ? { certificate: facts.value } : {}),
      });
    } finally {
      wipe(content);
    }
  }
}
