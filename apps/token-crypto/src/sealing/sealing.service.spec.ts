import { generateKeyPairSync } from 'node:crypto';
import { unwrap, type RpcRequest, type StoredValue } from '@credroam/roaming';
import {
  createSelfSignedCertificate,
  openDownloadKey,
  openEnvelope,
  openSecret,
  SECRET_PURPOSES,
} from '@credroam/sealing';
import { createEphemeralKeyStore } from '../keys/ephemeral-key-store';
import { ALICE, BOB, device, LIMITS, meta, someSecret, stored, upload } from '../testing/agent.fixture';
import { ResealService } from './reseal.service';
import { SealForDeviceService } from './seal-for-device.service';
import { SealForStorageService, UPLOAD_NOT_OPENED } from './seal-for-storage.service';

const keys = createEphemeralKeyStore();
const storage = new SealForStorageService(keys);
const forDevice = new SealForDeviceService(keys);

function certificateAndKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const certificate = unwrap(
    createSelfSignedCertificate(privateKey, {
      commonName: 'alice',
      notBefore: new Date(0),
      notAfter: new Date(4e12),
    }),
  );
  return { certificate, key: privateKey.export({ type: 'pkcs8', format: 'der' }) };
}

function codeOf(result: { ok: boolean; error?: { code: string } }): string {
  return result.ok ? 'OK' : (result.error?.code ?? '?');
}

async function sealOne(request: RpcRequest<'crypto.seal-for-storage'>) {
  const [item] = unwrap(await storage.seal(request)).items;
  return item!;
}

describe('seal for storage', () => {
  it('opens an upload, checks it and seals it under the current key version', async () => {
    const secret = someSecret();
    const token = meta(keys, ALICE, 'stored-credential', 'target', secret);
    const item = await sealOne({
      user: ALICE,
      limits: LIMITS,
      items: [{ token, envelope: upload(keys, secret) }],
    });
    expect(item).toMatchObject({ ok: true, type: 'stored-credential', id: 'target', keyVersion: 1 });
  });

  it('checks a certificate against its id and a key against the certificate uploaded with it', async () => {
    const mine = certificateAndKey();
    const other = certificateAndKey();
    const certToken = meta(keys, ALICE, 'certificate', mine.certificate.thumbprint, mine.certificate.der);
    const items = [
      { token: certToken, envelope: upload(keys, mine.certificate.der) },
      {
        token: meta(keys, ALICE, 'private-key', 'good-key', mine.key, {
          linkedCertificate: mine.certificate.thumbprint,
        }),
        envelope: upload(keys, mine.key),
      },
      {
        token: meta(keys, ALICE, 'private-key', 'wrong-key', other.key, {
          linkedCertificate: mine.certificate.thumbprint,
        }),
        envelope: upload(keys, other.key),
      },
      {
        token: meta(
          keys,
          ALICE,
          'certificate',
          // One hex digit off (a thumbprint may already start with 0).
          other.certificate.thumbprint.replace(/^./, (first) => (first === '0' ? '1' : '0')),
          other.certificate.der,
        ),
        envelope: upload(keys, other.certificate.der),
      },
    ];
    // Keys listed before their certificate still find it: certificates are checked first.
    const result = unwrap(
      await storage.seal({
        user: ALICE,
        limits: LIMITS,
        items: [items[1]!, items[2]!, items[0]!, items[3]!],
      }),
    );
    expect(result.items.map((item) => (item.ok ? 'OK' : item.error.code))).toEqual([
      'OK',
      'KEY_MISMATCH',
      'OK',
      'THUMBPRINT_MISMATCH',
    ]);
  });

  it("returns a certificate's public facts for the inventory, and none for other types", async () => {
    const { certificate, key } = certificateAndKey();
    const result = unwrap(
      await storage.seal({
        user: ALICE,
        limits: LIMITS,
        items: [
          {
            token: meta(keys, ALICE, 'certificate', certificate.thumbprint, certificate.der),
            envelope: upload(keys, certificate.der),
          },
          { token: meta(keys, ALICE, 'private-key', 'its-key', key), envelope: upload(keys, key) },
        ],
      }),
    );
    const [sealedCertificate, sealedKey] = result.items;
    expect(sealedCertificate).toMatchObject({
      ok: true,
      certificate: {
        subject: 'CN=alice',
        issuer: 'CN=alice',
        serialNumber: certificate.serialNumber,
        notBefore: new Date(0).toISOString(),
        notAfter: new Date(4e12).toISOString(),
        keyAlgorithm: 'RSA',
        keySize: 2048,
        signatureAlgorithm: 'RSA-SHA256',
        weaknesses: [],
      },
    });
    expect(sealedKey).not.toHaveProperty('certificate');

    // The same facts come back when the stored certificate is re-sealed for a workstation (a download).
    if (!sealedCertificate?.ok) throw new Error('not sealed');
    const token = meta(keys, ALICE, 'certificate', certificate.thumbprint, certificate.der);
    const download = unwrap(
      await forDevice.seal({
        user: ALICE,
        devicePublicKey: device().publicKey,
        items: [stored(token, sealedCertificate.keyVersion, sealedCertificate.sealed)],
        includeHashKey: false,
      }),
    );
    expect(download.items[0]).toMatchObject({ ok: true, certificate: sealedCertificate.certificate });
  });

  it('refuses content that is not what its type says', async () => {
    const garbage = someSecret(100);
    for (const type of ['certificate', 'private-key', 'certificate-request'] as const) {
      const id = type === 'certificate' ? 'A'.repeat(40) : 'k1';
      const item = await sealOne({
        user: ALICE,
        limits: LIMITS,
        items: [{ token: meta(keys, ALICE, type, id, garbage), envelope: upload(keys, garbage) }],
      });
      expect(!item.ok && item.error.code).toBe('CRYPTO_PARSE_FAILED');
    }
  });

  it('answers a hash mismatch and an unopenable envelope identically (no padding oracle)', async () => {
    const secret = someSecret();
    const token = meta(keys, ALICE, 'stored-credential', 'target', secret);
    const wrongHash = await sealOne({
      user: ALICE,
      limits: LIMITS,
      items: [
        { token: meta(keys, BOB, 'stored-credential', 'target', secret), envelope: upload(keys, secret) },
      ],
    });
    const envelope = Buffer.from(upload(keys, secret), 'base64');
    envelope[envelope.length - 1]! ^= 0x55;
    const broken = await sealOne({
      user: ALICE,
      limits: LIMITS,
      items: [{ token, envelope: envelope.toString('base64') }],
    });
    expect(wrongHash).toEqual(broken);
    expect(!broken.ok && broken.error).toMatchObject({
      code: 'INTEGRITY_CHECK_FAILED',
      message: UPLOAD_NOT_OPENED,
    });
  });

  it('enforces the size in the metadata and the policy limit', async () => {
    const secret = someSecret(2000);
    const tooBig = await sealOne({
      user: ALICE,
      limits: { maxTokenBytes: 1000 },
      items: [{ token: meta(keys, ALICE, 'stored-credential', 't', secret), envelope: upload(keys, secret) }],
    });
    expect(!tooBig.ok && tooBig.error.code).toBe('TOKEN_SIZE_EXCEEDED');
    const lying = await sealOne({
      user: ALICE,
      limits: LIMITS,
      items: [
        {
          token: { ...meta(keys, ALICE, 'stored-credential', 't', secret), size: 10 },
          envelope: upload(keys, secret),
        },
      ],
    });
    expect(!lying.ok && lying.error.code).toBe('INVALID_INPUT');
  });

  it('refuses an upload sealed to another certificate with KEY_UNAVAILABLE', async () => {
    const secret = someSecret();
    const elsewhere = createEphemeralKeyStore();
    const item = await sealOne({
      user: ALICE,
      limits: LIMITS,
      items: [
        { token: meta(keys, ALICE, 'stored-credential', 't', secret), envelope: upload(elsewhere, secret) },
      ],
    });
    expect(!item.ok && item.error.code).toBe('KEY_UNAVAILABLE');
  });
});

describe('seal for device', () => {
  async function storedSecret(
    user = ALICE,
    id = 'target',
    secret = someSecret(),
  ): Promise<{ value: StoredValue; secret: Buffer }> {
    const token = meta(keys, user, 'stored-credential', id, secret);
    const item = await sealOne({ user, limits: LIMITS, items: [{ token, envelope: upload(keys, secret) }] });
    if (!item.ok) throw new Error(item.error.message);
    return { value: stored(token, item.keyVersion, item.sealed), secret };
  }

  async function sealFor(
    workstation: { publicKey: string },
    items: StoredValue[],
    options: { includeHashKey?: boolean; downloadKey?: boolean } = {},
  ) {
    const { includeHashKey = false, ...rest } = options;
    return unwrap(
      await forDevice.seal({
        user: ALICE,
        devicePublicKey: workstation.publicKey,
        items,
        includeHashKey,
        ...rest,
      }),
    );
  }

  it.each(['ec', 'rsa'] as const)(
    're-seals stored values to an %s device key, with the hash key at logon',
    async (kind) => {
      const workstation = device(kind);
      const { value, secret } = await storedSecret();
      const result = await sealFor(workstation, [value], { includeHashKey: true });
      const [item] = result.items;
      expect(item?.ok && workstation.open(item.envelope)).toEqual(secret);
      const hashKey = unwrap(
        openSecret(SECRET_PURPOSES.hashKey, Buffer.from(result.hashKeyEnvelope!, 'base64'), [
          { privateKey: workstation.privateKey },
        ]),
      );
      expect(hashKey).toEqual(keys.hashKey(ALICE.stableId));
    },
  );

  it.each(['ec', 'rsa'] as const)(
    'seals a batch to one download key sealed to an %s device key, when asked',
    async (kind) => {
      const workstation = device(kind);
      const first = await storedSecret(ALICE, 'first');
      const second = await storedSecret(ALICE, 'second');
      const result = await sealFor(workstation, [first.value, second.value], { downloadKey: true });
      const downloadKey = unwrap(
        openDownloadKey(Buffer.from(result.downloadKeyEnvelope!, 'base64'), workstation.privateKey),
      );
      const envelopes = result.items.map((item) => (item.ok ? Buffer.from(item.envelope, 'base64') : null));
      expect(envelopes.map((envelope) => envelope && unwrap(openEnvelope(envelope, [downloadKey])))).toEqual([
        first.secret,
        second.secret,
      ]);
      // Sealed to the download key only: the device key alone does not open a download.
      expect(codeOf(openEnvelope(envelopes[0]!, [{ privateKey: workstation.privateKey }]))).toBe(
        'KEY_UNAVAILABLE',
      );
    },
  );

  it('seals to the device key, with no download key, unless asked', async () => {
    const workstation = device();
    const { value, secret } = await storedSecret();
    const result = await sealFor(workstation, [value]);
    expect(result.downloadKeyEnvelope).toBeUndefined();
    const [item] = result.items;
    expect(item?.ok && workstation.open(item.envelope)).toEqual(secret);
  });

  it('reports a value swapped between users or tokens per item, and delivers the rest', async () => {
    const workstation = device();
    const alices = await storedSecret(ALICE, 'a');
    const bobs = await storedSecret(BOB, 'b');
    const other = await storedSecret(ALICE, 'c');
    const swappedUser: StoredValue = {
      ...alices.value,
      sealed: bobs.value.sealed,
      token: { ...bobs.value.token, id: 'a' },
    };
    const swappedToken: StoredValue = { ...other.value, sealed: alices.value.sealed };
    const result = unwrap(
      await forDevice.seal({
        user: ALICE,
        devicePublicKey: workstation.publicKey,
        items: [swappedUser, swappedToken, alices.value],
        includeHashKey: false,
      }),
    );
    expect(result.items.map((item) => (item.ok ? 'OK' : item.error.code))).toEqual([
      'INTEGRITY_CHECK_FAILED',
      'INTEGRITY_CHECK_FAILED',
      'OK',
    ]);
    expect(result.hashKeyEnvelope).toBeNull();
  });

  it('refuses a device key that is weak, of another kind, or not a key', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    for (const key of [weak.toString('base64'), Buffer.from('not a key').toString('base64')]) {
      const result = await forDevice.seal({
        user: ALICE,
        devicePublicKey: key,
        items: [],
        includeHashKey: true,
      });
      expect(!result.ok && result.error.code).toBe('INVALID_INPUT');
    }
  });

  it('answers KEY_UNAVAILABLE for a key version it does not hold', async () => {
    const { value } = await storedSecret();
    const result = unwrap(
      await forDevice.seal({
        user: ALICE,
        devicePublicKey: device().publicKey,
        items: [{ ...value, keyVersion: 9 }],
        includeHashKey: false,
      }),
    );
    expect(!result.items[0]!.ok && result.items[0]!.error.code).toBe('KEY_UNAVAILABLE');
  });
});

describe('rotation and reseal', () => {
  it('keeps values of older versions readable and moves them to the current one', async () => {
    const master1 = someSecret(32);
    const hashKeyMaster = someSecret(32);
    const v1 = createEphemeralKeyStore({ storageMasterKeys: new Map([[1, master1]]), hashKeyMaster });
    const secret = someSecret();
    const token = meta(v1, ALICE, 'stored-credential', 't', secret);
    const [sealed] = unwrap(
      await new SealForStorageService(v1).seal({
        user: ALICE,
        limits: LIMITS,
        items: [{ token, envelope: upload(v1, secret) }],
      }),
    ).items;
    if (!sealed?.ok) throw new Error('not sealed');

    // The same installation after `new-storage-key`: v1 still loaded, v2 current.
    const rotated = createEphemeralKeyStore({
      storageMasterKeys: new Map([
        [1, master1],
        [2, someSecret(32)],
      ]),
      hashKeyMaster,
    });
    const workstation = device();
    const old = stored(token, 1, sealed.sealed);
    const before = unwrap(
      await new SealForDeviceService(rotated).seal({
        user: ALICE,
        devicePublicKey: workstation.publicKey,
        items: [old],
        includeHashKey: false,
      }),
    );
    expect(before.items[0]?.ok && workstation.open(before.items[0].envelope)).toEqual(secret);

    const [moved] = unwrap(await new ResealService(rotated).reseal({ user: ALICE, items: [old] })).items;
    expect(moved).toMatchObject({ ok: true, keyVersion: 2 });
    if (!moved?.ok) throw new Error('not resealed');
    const after = unwrap(
      await new SealForDeviceService(rotated).seal({
        user: ALICE,
        devicePublicKey: workstation.publicKey,
        items: [stored(token, 2, moved.sealed)],
        includeHashKey: false,
      }),
    );
    expect(after.items[0]?.ok && workstation.open(after.items[0].envelope)).toEqual(secret);
    // A v2 value under a header still saying v1 is refused.
    const mislabelled = unwrap(
      await new SealForDeviceService(rotated).seal({
        user: ALICE,
        devicePublicKey: workstation.publicKey,
        items: [stored(token, 1, moved.sealed)],
        includeHashKey: false,
      }),
    );
    expect(!mislabelled.items[0]!.ok && mislabelled.items[0]!.error.code).toBe('INTEGRITY_CHECK_FAILED');
  });

  it('refuses to reseal a tampered value', async () => {
    const secret = someSecret();
    const token = meta(keys, ALICE, 'stored-credential', 't', secret);
    const [sealed] = unwrap(
      await storage.seal({ user: ALICE, limits: LIMITS, items: [{ token, envelope: upload(keys, secret) }] }),
    ).items;
    if (!sealed?.ok) throw new Error('not sealed');
    const bytes = Buffer.from(sealed.sealed, 'base64');
    bytes[bytes.length - 40]! ^= 1;
    const [result] = unwrap(
      await new ResealService(keys).reseal({
        user: ALICE,
        items: [stored(token, 1, bytes.toString('base64'))],
      }),
    ).items;
    expect(!result!.ok && result!.error.code).toBe('INTEGRITY_CHECK_FAILED');
  });
});
