// Throughput of token-crypto's two hot paths on one core (a replica runs them on one thread): seal-for-storage
// (open an upload, check it, seal it under the user's storage key) and seal-for-device (authenticate and open a
// stored value, seal it to the device key), for typical tokens, with the share of the time spent in RSA/ECDH.
// Prints figures, asserts nothing. Run: npm run bench seal [-- --quick] [--transport-key-bits=2048|3072|4096]
import {
  constants,
  createECDH,
  createHash,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { unwrap, type StoredValue, type TokenMeta, type TokenType } from '@credroam/roaming';
import { createSelfSignedCertificate, sealEnvelope, spkiDer, tokenHash } from '@credroam/sealing';
import { createEphemeralKeyStore } from '../apps/token-crypto/src/keys/ephemeral-key-store';
import { SealForDeviceService } from '../apps/token-crypto/src/sealing/seal-for-device.service';
import { SealForStorageService } from '../apps/token-crypto/src/sealing/seal-for-storage.service';

const USER = { stableId: '0f8fad5b-d9cb-469f-a165-70867728950e', login: 'alice' };
const LIMITS = { maxTokenBytes: 100_000 };
const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;

interface Sample {
  label: string;
  type: TokenType;
  /** One content per item: certificates differ (their id is their thumbprint), other tokens repeat. */
  contents: Buffer[];
}

function samples(items: number): Sample[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // Distinct certificates of a realistic size: one RSA-3072 key, a fresh serial (so a fresh thumbprint) each.
  const issuerKey = generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey;
  const certificates = Array.from(
    { length: items },
    () =>
      unwrap(
        createSelfSignedCertificate(issuerKey, {
          commonName: 'Alice Martin (credroam benchmark user certificate)',
          notBefore: new Date(),
          notAfter: new Date(Date.now() + 365 * 86_400_000),
        }),
      ).der,
  );
  const repeat = (content: Buffer) => Array.from({ length: items }, () => content);
  return [
    { label: `certificate (${certificates[0]?.length} B)`, type: 'certificate', contents: certificates },
    {
      label: 'RSA-2048 key (PKCS#8)',
      type: 'private-key',
      contents: repeat(rsa.privateKey.export({ type: 'pkcs8', format: 'der' })),
    },
    {
      label: 'P-256 key (PKCS#8)',
      type: 'private-key',
      contents: repeat(ec.privateKey.export({ type: 'pkcs8', format: 'der' })),
    },
    { label: 'stored credential (2 KB)', type: 'stored-credential', contents: repeat(randomBytes(2048)) },
  ];
}

function tokenFor(hashKey: Buffer, sample: Sample, index: number): TokenMeta {
  const content = sample.contents[index] as Buffer;
  const id =
    sample.type === 'certificate'
      ? createHash('sha1').update(content).digest('hex').toUpperCase()
      : sample.type === 'private-key'
        ? `key-${index}`
        : `Domain:target=host-${index}`;
  return {
    type: sample.type,
    id,
    modifiedAt: Date.now(),
    hash: tokenHash(hashKey, content),
    size: content.length,
    flags: { archived: false, encryptionKey: false, smartCard: false },
  };
}

function time(work: () => void): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

async function timeAsync(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

function row(cells: (string | number)[]): string {
  const widths = [28, 10, 13, 18];
  return cells.map((cell, index) => String(cell).padEnd(widths[index] ?? 12)).join(' ');
}

function costPerCall(rounds: number, work: () => void): number {
  work();
  return (
    time(() => {
      for (let i = 0; i < rounds; i += 1) work();
    }) / rounds
  );
}

export async function main(argv: readonly string[] = []): Promise<void> {
  const quick = argv.includes('--quick');
  const items = quick ? 50 : 300;
  const transportKeyBits = Number(
    argv.find((arg) => arg.startsWith('--transport-key-bits='))?.split('=')[1] ?? 3072,
  );
  const keys = createEphemeralKeyStore({ transportKeyBits });
  const storage = new SealForStorageService(keys);
  const forDevice = new SealForDeviceService(keys);
  const devices = {
    'RSA-2048': generateKeyPairSync('rsa', { modulusLength: 2048 }),
    'P-256': generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  };

  console.log(`token-crypto seal benchmark: batches of ${items} items, one core, Node ${process.version}`);
  console.log(
    `transport key RSA-${transportKeyBits}; content AES-256-CBC; storage value = CMS KEK recipient (AES-256 key wrap) + HMAC-SHA-256\n`,
  );

  // The asymmetric operations alone, for the shares below.
  const rounds = quick ? 50 : 200;
  const contentKey = randomBytes(32);
  const [transport] = keys.transportKeys() as [{ privateKey: KeyObject }];
  const transportCiphertext = publicEncrypt(
    { key: keys.transportCertificate.publicKey as KeyObject, ...OAEP },
    contentKey,
  );
  const rsaDecrypt = costPerCall(rounds, () =>
    privateDecrypt({ key: transport.privateKey, ...OAEP }, transportCiphertext),
  );
  const rsaEncrypt = costPerCall(rounds * 4, () =>
    publicEncrypt({ key: devices['RSA-2048'].publicKey, ...OAEP }, contentKey),
  );
  const device = createECDH('prime256v1');
  device.generateKeys();
  const ecdh = costPerCall(rounds * 2, () => {
    const ephemeral = createECDH('prime256v1');
    ephemeral.generateKeys();
    ephemeral.computeSecret(device.getPublicKey());
  });
  console.log(
    `asymmetric alone, per call: RSA-${transportKeyBits} OAEP decrypt ${rsaDecrypt.toFixed(3)} ms, ` +
      `RSA-2048 OAEP encrypt ${rsaEncrypt.toFixed(3)} ms, P-256 ECDH (ephemeral key + derive) ${ecdh.toFixed(3)} ms\n`,
  );

  console.log(
    'seal-for-storage: open the upload (transport key), check hash/size/type/thumbprint, seal for storage',
  );
  console.log(row(['token', 'items/s', 'ms per item', 'RSA decrypt share']));
  const storedValues = new Map<string, StoredValue[]>();
  const hashKey = keys.hashKey(USER.stableId);
  for (const sample of samples(items)) {
    // One request per batch, as one sync uploads every changed token at once.
    const batch = sample.contents.map((content, index) => ({
      token: tokenFor(hashKey, sample, index),
      envelope: unwrap(sealEnvelope(content, [{ certificate: keys.transportCertificate }])).toString(
        'base64',
      ),
    }));
    let replyItems: Awaited<ReturnType<SealForStorageService['seal']>> | undefined;
    const elapsed = await timeAsync(async () => {
      replyItems = await storage.seal({ user: USER, limits: LIMITS, items: batch });
    });
    const results = unwrap(replyItems as NonNullable<typeof replyItems>).items.map(
      (item, index): StoredValue => {
        if (!item.ok) throw new Error(`${sample.label}: ${item.error.message}`);
        return {
          token: { ...(batch[index] as (typeof batch)[number]).token, tombstone: false },
          keyVersion: item.keyVersion,
          sealed: item.sealed,
        };
      },
    );
    storedValues.set(sample.label, results);
    const perItem = elapsed / items;
    console.log(
      row([
        sample.label,
        Math.round(1000 / perItem),
        perItem.toFixed(3),
        `${Math.round((rsaDecrypt / perItem) * 100)}%`,
      ]),
    );
  }

  for (const [deviceName, pair] of Object.entries(devices)) {
    const publicKey = spkiDer(pair.publicKey).toString('base64');
    const asymmetric = deviceName === 'P-256' ? ecdh : rsaEncrypt;
    console.log(
      `\nseal-for-device to a ${deviceName} key: authenticate and open the stored value, seal to the device`,
    );
    console.log(
      row(['token', 'items/s', 'ms per item', `${deviceName === 'P-256' ? 'ECDH' : 'RSA encrypt'} share`]),
    );
    for (const [label, values] of storedValues) {
      let failed = false;
      const elapsed = await timeAsync(async () => {
        const reply = unwrap(
          await forDevice.seal({
            user: USER,
            devicePublicKey: publicKey,
            items: values,
            includeHashKey: false,
          }),
        );
        failed = reply.items.some((item) => !item.ok);
      });
      if (failed) throw new Error(`${label}: not sealed`);
      const perItem = elapsed / values.length;
      console.log(
        row([
          label,
          Math.round(1000 / perItem),
          perItem.toFixed(3),
          `${Math.round((asymmetric / perItem) * 100)}%`,
        ]),
      );
    }
  }
  console.log(
    '\nThe rest of each item: parsing (asn1js, OpenSSL key decoding), AES-CBC, AES key wrap, HKDF and HMAC.',
  );
  keys.close();
}
