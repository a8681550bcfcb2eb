import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  fail,
  ok,
  type CertificateMetadata,
  type DeviceItemResult,
  type Result,
  type RpcRequest,
  type RpcResponse,
} from '@credroam/roaming';
import {
  certificateFacts,
  createDownloadKey,
  parseCertificate,
  recipientKeyKind,
  SECRET_PURPOSES,
  sealEnvelope,
  sealSecret,
  wipe,
  type EnvelopeRecipient,
} from '@credroam/sealing';
import { type KeyRepository } from '../keys/key.repository';
import { openStored } from './stored-value.opener';
import { withUserKeys } from './user-keys';
import { WorkSlicer } from './work-slicer';

type Request = RpcRequest<'crypto.seal-for-device'>;
type Response = RpcResponse<'crypto.seal-for-device'>;

/** The device key an agent registered: a DER SubjectPublicKeyInfo, RSA (2048+) or EC P-256/384/521. */
export function parseDevicePublicKey(base64: string): Result<KeyObject> {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
  } catch {
    return fail('INVALID_INPUT', 'the device public key is not a DER SubjectPublicKeyInfo');
  }
  const kind = recipientKeyKind(key);
  return 'error' in kind ? fail('INVALID_INPUT', `the device public key is refused: ${kind.error}`) : ok(key);
}

/**
 * A stored certificate's facts for the inventory: downloads are how certificates that roamed before audit kept an
 * inventory get counted. A stored value is authenticated, so a parse failure only leaves it uncounted.
 */
function factsOf(content: Buffer): CertificateMetadata | undefined {
  const certificate = parseCertificate(content);
  const facts = certificate.ok ? certificateFacts(certificate.value) : undefined;
  return facts?.ok ? facts.value : undefined;
}

/**
 * Downloads on their way to one workstation: every stored value is opened (and authenticated) and sealed to the
 * device key, or to a fresh download key sealed to it (one key agreement per call instead of one per item), in
 * batches per sync; at logon the user's hash key travels the same way (a secret envelope with purpose
 * "hash-key"). A value that fails its integrity check is a per-item error.
 */
export class SealForDeviceService {
  constructor(private readonly keys: KeyRepository) {}

  async seal(request: Request): Promise<Result<Response>> {
    const device = parseDevicePublicKey(request.devicePublicKey);
    if (!device.ok) return device;
    const downloadKey = request.downloadKey === true ? createDownloadKey(device.value) : null;
    if (downloadKey && !downloadKey.ok) return downloadKey;
    const recipient: EnvelopeRecipient = downloadKey ? downloadKey.value.key : { publicKey: device.value };
    try {
      return await this.sealItems(request, device.value, recipient, downloadKey?.value.envelope);
    } finally {
      if (downloadKey) wipe(downloadKey.value.key.kek);
    }
  }

  private sealItems(
    request: Request,
    device: KeyObject,
    recipient: EnvelopeRecipient,
    downloadKeyEnvelope: Buffer | undefined,
  ): Promise<Result<Response>> {
    return withUserKeys(this.keys, request.user.stableId, async (user) => {
      const slicer = new WorkSlicer();
      const items: DeviceItemResult[] = [];
      for (const item of request.items) {
        const { type, id } = item.token;
        const content = openStored(user, item);
        if (!content.ok) {
          items.push({ type, id, ok: false, error: content.error });
        } else {
          const envelope = sealEnvelope(content.value, [recipient]);
          const facts = type === 'certificate' ? factsOf(content.value) : undefined;
          wipe(content.value);
          items.push(
            envelope.ok
              ? {
                  type,
                  id,
                  ok: true,
                  envelope: envelope.value.toString('base64'),
                  ...(facts ? { certificate: facts } : {}),
                }
              : { type, id, ok: false, error: envelope.error },
          );
        }
        await slicer.pause();
      }
      let hashKeyEnvelope: string | null = null;
      if (request.includeHashKey) {
        const sealed = sealSecret(SECRET_PURPOSES.hashKey, user.hashKey, [{ publicKey: device }]);
        if (!sealed.ok) return sealed;
        hashKeyEnvelope = sealed.value.toString('base64');
      }
      return ok({
        items,
        hashKeyEnvelope,
        ...(downloadKeyEnvelope ? { downloadKeyEnvelope: downloadKeyEnvelope.toString('base64') } : {}),
      });
    });
  }
}
