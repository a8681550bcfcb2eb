// Interop with the openssl binary, both directions: what token-crypto seals opens with `openssl cms -decrypt`, and
// what `openssl cms -encrypt` and `openssl pkcs8/pkcs12/req` write opens or parses in token-crypto.
import { createPublicKey, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { unwrap, type TokenMeta } from '@credroam/roaming';
import { deriveStorageKeys, sealSecret, SECRET_PURPOSES, spkiDer, storageKekId } from '@credroam/sealing';
import { runCli } from '../../../apps/token-crypto/src/cli';
import { ALICE, LIMITS, meta, stored, upload } from '../../../apps/token-crypto/src/testing/agent.fixture';
import { openssl, OpensslWorkspace } from '../../helpers/openssl';
import { cmsDecrypt, install, put, type Installation } from './token-crypto-fixtures';

// openssl subprocesses and thousands of envelopes: generous under a loaded CI machine.
jest.setTimeout(30_000);

let workspace: OpensslWorkspace;
let installation: Installation;

beforeAll(async () => {
  workspace = await OpensslWorkspace.create();
  installation = await install(workspace);
});

afterAll(async () => {
  installation?.keys.close();
  await workspace?.dispose();
});

async function sealForStorage(token: TokenMeta, envelope: string) {
  const result = unwrap(
    await installation.services.sealForStorage.seal({
      user: ALICE,
      limits: LIMITS,
      items: [{ token, envelope }],
    }),
  );
  return result.items[0]!;
}

async function storedCertificate() {
  const certificate = await workspace.selfSignedCertificate({ subject: '/CN=Alice Martin/O=credroam' });
  const token = meta(installation.keys, ALICE, 'certificate', certificate.thumbprint, certificate.certDer);
  const item = await sealForStorage(token, upload(installation.keys, certificate.certDer));
  if (!item.ok) throw new Error(item.error.message);
  return { certificate, token, item, value: stored(token, item.keyVersion, item.sealed) };
}

describe('uploads sealed by openssl cms -encrypt to the transport certificate', () => {
  const transportCert = () => join(installation.keyDir, 'transport.crt');

  it.each([
    ['RSA-OAEP (SHA-1) and AES-256-CBC', ['-aes256', '-keyopt', 'rsa_padding_mode:oaep']],
    [
      'RSA-OAEP SHA-256 and AES-256-CBC',
      ['-aes256', '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256'],
    ],
    ['RSA-OAEP and AES-128-CBC', ['-aes128', '-keyopt', 'rsa_padding_mode:oaep']],
  ])('open in token-crypto: %s', async (_label, options) => {
    const certificate = await workspace.selfSignedCertificate();
    const content = put(workspace, `upload-${certificate.thumbprint}.der`, certificate.certDer);
    // -keyopt applies to the -recip before it.
    const envelope = await openssl([
      'cms',
      '-encrypt',
      '-binary',
      '-in',
      content,
      '-outform',
      'DER',
      '-recip',
      transportCert(),
      ...options,
    ]);
    const token = meta(installation.keys, ALICE, 'certificate', certificate.thumbprint, certificate.certDer);
    expect(await sealForStorage(token, envelope.toString('base64'))).toMatchObject({
      ok: true,
      id: certificate.thumbprint,
    });
  });

  it('refuse openssl’s default RSA PKCS#1 v1.5 key transport, saying how to seal instead', async () => {
    const content = randomBytes(200);
    const envelope = await openssl([
      'cms',
      '-encrypt',
      '-binary',
      '-in',
      put(workspace, 'pkcs1.bin', content),
      '-outform',
      'DER',
      '-aes256',
      '-recip',
      transportCert(),
    ]);
    const item = await sealForStorage(
      meta(installation.keys, ALICE, 'stored-credential', 'x', content),
      envelope.toString('base64'),
    );
    expect(!item.ok && item.error).toMatchObject({
      code: 'CRYPTO_PARSE_FAILED',
      message: expect.stringMatching(/rsa_padding_mode:oaep/),
    });
  });
});

describe('what token-crypto seals opens with openssl cms -decrypt', () => {
  it.each(['rsa-2048', 'p-256'] as const)('a download sealed to a %s device key', async (algorithm) => {
    const { certificate, value } = await storedCertificate();
    const deviceKey = await workspace.generateKey(algorithm);
    const devicePublicKey = spkiDer(createPublicKey(deviceKey.keyPem)).toString('base64');
    const result = unwrap(
      await installation.services.sealForDevice.seal({
        user: ALICE,
        devicePublicKey,
        items: [value],
        includeHashKey: true,
      }),
    );
    const [item] = result.items;
    if (!item?.ok) throw new Error('not sealed');
    expect(
      await cmsDecrypt(workspace, Buffer.from(item.envelope, 'base64'), ['-inkey', deviceKey.keyFile]),
    ).toEqual(certificate.certDer);
    // The hash key travels the same way, labelled with its purpose.
    const hashKey = await cmsDecrypt(workspace, Buffer.from(result.hashKeyEnvelope!, 'base64'), [
      '-inkey',
      deviceKey.keyFile,
    ]);
    expect(hashKey).toEqual(
      Buffer.concat([
        Buffer.from('credroam secret v1\0hash-key\0'),
        installation.keys.hashKey(ALICE.stableId),
      ]),
    );
  });

  it('a stored value, for each recovery agent (RSA-OAEP and ECDH)', async () => {
    const { certificate, item } = await storedCertificate();
    if (!item.ok) throw new Error('not sealed');
    const sealed = Buffer.from(item.sealed, 'base64');
    for (const agent of [installation.recoveryRsa, installation.recoveryEc]) {
      expect(await cmsDecrypt(workspace, sealed, ['-inkey', agent.keyFile])).toEqual(certificate.certDer);
    }
  });

  it('a stored value, given the KEK derived from the storage master key (standard CMS KEK recipient)', async () => {
    const { certificate, item } = await storedCertificate();
    if (!item.ok) throw new Error('not sealed');
    const master = Buffer.from(
      await openssl(['base64', '-d', '-in', join(installation.keyDir, 'storage-master-keys', 'v1.key')]),
    );
    const { kek } = deriveStorageKeys(master, 1, ALICE.stableId);
    const opened = await cmsDecrypt(workspace, Buffer.from(item.sealed, 'base64'), [
      '-secretkey',
      kek.toString('hex'),
      '-secretkeyid',
      storageKekId(1).toString('hex'),
    ]);
    expect(opened).toEqual(certificate.certDer);
  });
});

describe('offline recovery', () => {
  it('opens a stored value with a recovery agent’s PKCS#12 made by openssl', async () => {
    const { certificate, token, item } = await storedCertificate();
    if (!item.ok) throw new Error('not sealed');
    const bundle = await workspace.pkcs12(installation.recoveryRsa, { password: 'kra pass' });
    const value = put(workspace, 'stored.b64', item.sealed);
    const out = join(workspace.dir, 'recovered.der');
    const stderr: string[] = [];
    const code = runCli(
      [
        'recover',
        '--recovery-key',
        bundle.file,
        '--password-file',
        put(workspace, 'kra.pass', 'kra pass'),
        '--value',
        value,
        '--out',
        out,
      ],
      { stdout: () => undefined, stderr: (text) => stderr.push(text) },
    );
    expect({ code, stderr: stderr.join('') }).toMatchObject({
      code: 0,
      stderr: expect.stringMatching(/recovered \d+ bytes/),
    });
    expect(await openssl(['x509', '-inform', 'DER', '-in', out, '-noout', '-fingerprint', '-sha1'])).toEqual(
      await openssl([
        'x509',
        '-inform',
        'DER',
        '-in',
        put(workspace, 'original.der', certificate.certDer),
        '-noout',
        '-fingerprint',
        '-sha1',
      ]),
    );
    expect(token.id).toBe(certificate.thumbprint);
  });
});

describe('inspecting what openssl writes', () => {
  const passwordEnvelope = (password: string) =>
    unwrap(
      sealSecret(SECRET_PURPOSES.inspectPassword, Buffer.from(password), [
        { certificate: installation.keys.transportCertificate },
      ]),
    ).toString('base64');
  const inspect = (data: Buffer, password?: string) =>
    installation.services.inspect.inspect({
      data: data.toString('base64'),
      format: 'auto',
      ...(password === undefined ? {} : { passwordEnvelope: passwordEnvelope(password) }),
    });

  it('certificates (PEM and DER), with subject, issuer, serial, validity and key as openssl prints them', async () => {
    const certificate = await workspace.selfSignedCertificate({
      subject: '/C=FR/O=credroam/CN=Alice Martin',
      days: 10,
    });
    const serial = (await openssl(['x509', '-in', certificate.certFile, '-noout', '-serial']))
      .toString()
      .trim()
      .replace('serial=', '');
    for (const data of [Buffer.from(certificate.certPem), certificate.certDer]) {
      expect(unwrap(inspect(data))).toMatchObject({
        kind: 'certificate',
        subject: 'CN=Alice Martin,O=credroam,C=FR',
        issuer: 'CN=Alice Martin,O=credroam,C=FR',
        serialNumber: serial,
        thumbprint: certificate.thumbprint,
        keyAlgorithm: 'RSA',
        keySize: 2048,
        expired: false,
      });
    }
  });

  it('PKCS#8 keys: plain, PBES2-encrypted (openssl default) and legacy PBE-SHA1-3DES', async () => {
    const key = await workspace.generateKey('p-256');
    expect(unwrap(inspect(Buffer.from(key.keyPem)))).toMatchObject({
      kind: 'private-key',
      keyAlgorithm: 'EC-P-256',
      keySize: 256,
    });
    for (const options of [[], ['-v1', 'PBE-SHA1-3DES']]) {
      const encrypted = await openssl([
        'pkcs8',
        '-topk8',
        '-in',
        key.keyFile,
        '-passout',
        'pass:s3cret',
        ...options,
      ]);
      expect(unwrap(inspect(encrypted, 's3cret'))).toMatchObject({
        kind: 'private-key',
        keyAlgorithm: 'EC-P-256',
      });
      const wrong = inspect(encrypted, 'wrong');
      expect(!wrong.ok && wrong.error.code).toBe('KEY_UNAVAILABLE');
    }
  });

  it('certificate requests', async () => {
    const request = await workspace.certificateRequest({ subject: '/CN=Alice Martin', algorithm: 'p-256' });
    for (const data of [Buffer.from(request.csrPem), request.csrDer]) {
      expect(unwrap(inspect(data))).toMatchObject({
        kind: 'certificate-request',
        subject: 'CN=Alice Martin',
        keyAlgorithm: 'EC-P-256',
        thumbprint: null,
      });
    }
  });

  it.each([
    ['OpenSSL 3 default (AES-256-CBC, PBKDF2, SHA-256 MAC)', false],
    ['legacy (3DES, SHA-1 MAC)', true],
  ])('PKCS#12 bundles: %s', async (_label, legacy) => {
    const certificate = await workspace.selfSignedCertificate({ subject: '/CN=Alice Martin' });
    const bundle = await workspace.pkcs12(certificate, { password: 'pfx pass ✓', legacy });
    expect(unwrap(inspect(bundle.der, 'pfx pass ✓'))).toMatchObject({
      kind: 'pkcs12',
      thumbprint: certificate.thumbprint,
      keyMatchesCertificate: true,
    });
    const wrong = inspect(bundle.der, 'pfx pass');
    expect(!wrong.ok && wrong.error).toMatchObject({
      code: 'KEY_UNAVAILABLE',
      message: expect.stringMatching(/password is wrong/),
    });
    const none = inspect(bundle.der);
    expect(!none.ok && none.error.code).toBe('KEY_UNAVAILABLE');
  });
});
