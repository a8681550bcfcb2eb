import { ok, type Result, type RpcRequest, type RpcResponse, type SealedItemResult } from '@credroam/roaming';
import { sealStoredValue, wipe } from '@credroam/sealing';
import { type KeyRepository } from '../keys/key.repository';
import { openStored } from './stored-value.opener';
import { withUserKeys } from './user-keys';
import { WorkSlicer } from './work-slicer';

type Request = RpcRequest<'crypto.reseal'>;
type Response = RpcResponse<'crypto.reseal'>;

/**
 * Key rotation: stored values are opened under whatever version they name and sealed again under the current
 * storage master key version, with the recovery agents configured now. Values already current are re-sealed too,
 * which also brings their recovery recipients up to date.
 */
export class ResealService {
  constructor(private readonly keys: KeyRepository) {}

  async reseal(request: Request): Promise<Result<Response>> {
    const keyVersion = this.keys.currentKeyVersion;
    return withUserKeys(this.keys, request.user.stableId, async (user) => {
      const slicer = new WorkSlicer();
      const items: SealedItemResult[] = [];
      for (const item of request.items) {
        const { type, id, hash, size } = item.token;
        const content = openStored(user, item);
        if (!content.ok) {
          items.push({ type, id, ok: false, error: content.error });
          continue;
        }
        const storageKeys = user.storageKeys(keyVersion);
        if (!storageKeys.ok) {
          wipe(content.value);
          items.push({ type, id, ok: false, error: storageKeys.error });
          continue;
        }
        const sealed = sealStoredValue(
          content.value,
          { stableId: user.stableId, type, id, keyVersion, hash, size },
          storageKeys.value,
          this.keys.recoveryAgents,
        );
        wipe(content.value);
        items.push(
          sealed.ok
            ? { type, id, ok: true, keyVersion, sealed: sealed.value.toString('base64') }
            : { type, id, ok: false, error: sealed.error },
        );
        await slicer.pause();
      }
      return ok({ items });
    });
  }
}
