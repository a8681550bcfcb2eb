// Tampering with stored values, as someone with write access to the directory could: flip any byte, swap values
// between users or between tokens, replay an older value under a newer header, relabel the key version. Values go
// through the real directory codec (what an attacker can write is any well-formed value) and the contract, and
// every change must come back from crypto.seal-for-device (and crypto.reseal) as INTEGRITY_CHECK_FAILED.
import { randomUUID } from 'node:crypto';
import {
  decodeDirectoryValue,
  encodeDirectoryToken,
  parseRpcRequest,
  unwrap,
  type DirectoryToken,
  type StoredValue,
  type TokenMeta,
} from '@credroam/roaming';
import { createEphemeralKeyStore } from '../../../apps/token-crypto/src/keys/ephemeral-key-store';
import { ResealService } from '../../../apps/token-crypto/src/sealing/reseal.service';
import { SealForDeviceService } from '../../../apps/token-crypto/src/sealing/seal-for-device.service';
import { SealForStorageService } from '../../../apps/token-crypto/src/sealing/seal-for-storage.service';
import {
  ALICE,
  BOB,
  device,
  LIMITS,
  meta,
  someSecret,
  upload,
} from '../../../apps/token-crypto/src/testing/agent.fixture';

// openssl subprocesses and thousands of envelopes: generous under a loaded CI machine.
jest.setTimeout(30_000);

// Two key versions loaded, v2 current, so that relabelling a value to the other version is a real attempt.
const keys = createEphemeralKeyStore({ storageKeyVersions: [1, 2] });
const storage = new SealForStorageService(keys);
const forDevice = new SealForDeviceService(keys);
const reseal = new ResealService(keys);
const workstation = device('ec');

afterAll(() => keys.close());

/** The directory value for a token: Windows framing around credroam's header and the sealed bytes. */
async function directoryValue(user: typeof ALICE, token: TokenMeta, content: Buffer): Promise<Buffer> {
  const [item] = unwrap(
    await storage.seal({ user, limits: LIMITS, items: [{ token, envelope: upload(keys, content) }] }),
  ).items;
  if (!item?.ok) throw new Error('not sealed');
  return unwrap(
    encodeDirectoryToken({
      token: { ...token, tombstone: false },
      keyVersion: item.keyVersion,
      sealed: Buffer.from(item.sealed, 'base64'),
    }),
  );
}

/** What the gateway hands token-crypto for a directory value. */
function storedValue(raw: Buffer): StoredValue {
  const decoded = unwrap(decodeDirectoryValue(raw));
  if (decoded.kind !== 'token') throw new Error(`not a token: ${decoded.kind}`);
  return { token: decoded.token, keyVersion: decoded.keyVersion, sealed: decoded.sealed.toString('base64') };
}

/** An attacker's re-encoding: the sealed bytes of one value under the header (token, key version) of another. */
function relabel(raw: Buffer, header: { token?: DirectoryToken; keyVersion?: number }): Buffer {
  const decoded = unwrap(decodeDirectoryValue(raw));
  if (decoded.kind !== 'token') throw new Error('not a token');
  return unwrap(
    encodeDirectoryToken({
      token: header.token ?? decoded.token,
      keyVersion: header.keyVersion ?? decoded.keyVersion,
      sealed: decoded.sealed,
    }),
  );
}

async function download(user: typeof ALICE, items: StoredValue[]): Promise<string[]> {
  const request = unwrap(
    parseRpcRequest('crypto.seal-for-device', {
      correlationId: randomUUID(),
      payload: { user, devicePublicKey: workstation.publicKey, items, includeHashKey: false },
    }),
  );
  const result = unwrap(await forDevice.seal(request.payload));
  return result.items.map((item) =>
    item.ok ? `OK:${workstation.open(item.envelope).toString('hex').slice(0, 16)}` : item.error.code,
  );
}

describe('stored values in the directory', () => {
  const mail = someSecret(400);
  const vpn = someSecret(400);
  const mailToken = meta(keys, ALICE, 'stored-credential', 'Domain:target=mail', mail);
  const vpnToken = meta(keys, ALICE, 'stored-credential', 'Domain:target=vpn', vpn);
  let mailValue: Buffer;
  let vpnValue: Buffer;

  beforeAll(async () => {
    mailValue = await directoryValue(ALICE, mailToken, mail);
    vpnValue = await directoryValue(ALICE, vpnToken, vpn);
  });

  it('open untouched', async () => {
    expect(await download(ALICE, [storedValue(mailValue), storedValue(vpnValue)])).toEqual([
      `OK:${mail.toString('hex').slice(0, 16)}`,
      `OK:${vpn.toString('hex').slice(0, 16)}`,
    ]);
  });

  it('fail their integrity check when any byte of the sealed content is flipped', async () => {
    const original = storedValue(mailValue);
    const sealed = Buffer.from(original.sealed, 'base64');
    const outcomes = new Map<string, number>();
    for (let index = 0; index < sealed.length; index += 1) {
      for (const mask of [0x01, 0x80]) {
        const tampered = Buffer.from(sealed);
        tampered[index]! ^= mask;
        const [outcome] = await download(ALICE, [{ ...original, sealed: tampered.toString('base64') }]);
        outcomes.set(outcome!, (outcomes.get(outcome!) ?? 0) + 1);
      }
    }
    expect([...outcomes.keys()]).toEqual(['INTEGRITY_CHECK_FAILED']);
    expect(outcomes.get('INTEGRITY_CHECK_FAILED')).toBe(sealed.length * 2);
  });

  it('fail when the clear header’s hash or size is changed', async () => {
    const original = storedValue(mailValue);
    const flippedHash = original.token.hash.replace(/^./, (digit) => (digit === '0' ? '1' : '0'));
    const changed = [
      relabel(mailValue, { token: { ...original.token, hash: flippedHash } }),
      relabel(mailValue, { token: { ...original.token, size: original.token.size + 1 } }),
    ];
    for (const value of changed) {
      expect(await download(ALICE, [storedValue(value)])).toEqual(['INTEGRITY_CHECK_FAILED']);
    }
  });

  it('fail when swapped between users', async () => {
    const bobsMail = meta(keys, BOB, 'stored-credential', 'Domain:target=mail', mail);
    const bobs = await directoryValue(BOB, bobsMail, mail);
    // Bob's value, written under Alice's entry, with Alice's header for the same content: still Bob's.
    const planted = relabel(bobs, { token: storedValue(mailValue).token });
    expect(await download(ALICE, [storedValue(planted)])).toEqual(['INTEGRITY_CHECK_FAILED']);
    // …and Alice's value offered to Bob's sync.
    expect(
      await download(BOB, [storedValue(relabel(mailValue, { token: storedValue(bobs).token }))]),
    ).toEqual(['INTEGRITY_CHECK_FAILED']);
  });

  it('fail when swapped between tokens of one user', async () => {
    const mailUnderVpn = relabel(mailValue, { token: storedValue(vpnValue).token });
    const vpnUnderMail = relabel(vpnValue, { token: storedValue(mailValue).token });
    expect(await download(ALICE, [storedValue(mailUnderVpn), storedValue(vpnUnderMail)])).toEqual([
      'INTEGRITY_CHECK_FAILED',
      'INTEGRITY_CHECK_FAILED',
    ]);
  });

  it('fail when an older value is replayed under a newer header', async () => {
    const newer = someSecret(400);
    const newerToken = {
      ...meta(keys, ALICE, 'stored-credential', 'Domain:target=mail', newer),
      modifiedAt: mailToken.modifiedAt + 60_000,
    };
    const newerValue = await directoryValue(ALICE, newerToken, newer);
    const replayed = relabel(mailValue, { token: storedValue(newerValue).token });
    expect(await download(ALICE, [storedValue(replayed)])).toEqual(['INTEGRITY_CHECK_FAILED']);
    expect(await download(ALICE, [storedValue(newerValue)])).toEqual([
      `OK:${newer.toString('hex').slice(0, 16)}`,
    ]);
  });

  it('fail when relabelled to another key version, and are not re-sealed either', async () => {
    const original = storedValue(mailValue);
    const otherVersion = original.keyVersion === 2 ? 1 : 2;
    const relabelled = storedValue(relabel(mailValue, { keyVersion: otherVersion }));
    expect(await download(ALICE, [relabelled])).toEqual(['INTEGRITY_CHECK_FAILED']);
    const [resealed] = unwrap(await reseal.reseal({ user: ALICE, items: [relabelled] })).items;
    expect(!resealed!.ok && resealed!.error.code).toBe('INTEGRITY_CHECK_FAILED');
  });
});
