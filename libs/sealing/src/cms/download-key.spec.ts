import { randomBytes } from 'node:crypto';
import { unwrap } from '@credroam/roaming';
import { keyFixture } from '../testing/key-fixtures';
import { createDownloadKey, openDownloadKey } from './download-key';
import { openEnvelope, sealEnvelope } from './envelope';
import { sealSecret, SECRET_PURPOSES } from './secret-envelope';

const device = keyFixture('p-256');
const other = keyFixture('p-384');

function codeOf(result: { ok: boolean; error?: { code: string } }): string {
  return result.ok ? 'OK' : (result.error?.code ?? '?');
}

describe('download keys', () => {
  it('opens on the device it was sealed to, and opens the batch sealed under it', () => {
    const { key, envelope } = unwrap(createDownloadKey(device.publicKey));
    const content = randomBytes(1200);
    const download = unwrap(sealEnvelope(content, [key]));
    const opened = unwrap(openDownloadKey(envelope, device.privateKey));
    expect(opened.kekId).toEqual(key.kekId);
    expect(unwrap(openEnvelope(download, [opened]))).toEqual(content);
  });

  it('is fresh for every batch', () => {
    const first = unwrap(createDownloadKey(device.publicKey)).key;
    const second = unwrap(createDownloadKey(device.publicKey)).key;
    expect(first.kek.equals(second.kek)).toBe(false);
    expect(first.kekId.equals(second.kekId)).toBe(false);
  });

  it('does not open on another device, nor from a secret sealed for another purpose', () => {
    const { envelope } = unwrap(createDownloadKey(device.publicKey));
    expect(codeOf(openDownloadKey(envelope, other.privateKey))).toBe('KEY_UNAVAILABLE');
    const hashKey = unwrap(
      sealSecret(SECRET_PURPOSES.hashKey, randomBytes(48), [{ publicKey: device.publicKey }]),
    );
    expect(codeOf(openDownloadKey(hashKey, device.privateKey))).toBe('INTEGRITY_CHECK_FAILED');
  });

  it('refuses a download-key secret of the wrong length', () => {
    const short = unwrap(
      sealSecret(SECRET_PURPOSES.downloadKey, randomBytes(32), [{ publicKey: device.publicKey }]),
    );
    expect(codeOf(openDownloadKey(short, device.privateKey))).toBe('INTEGRITY_CHECK_FAILED');
  });
});
