import { readFileSync } from 'node:fs';
import { OpensslWorkspace, type GeneratedCertificate } from '../../../../test/helpers/openssl';
import { parseCredentialFile } from './credential-file.parser';

describe('parseCredentialFile (files made by the openssl binary)', () => {
  let workspace: OpensslWorkspace;
  let rsa: GeneratedCertificate;
  let ec: GeneratedCertificate;

  beforeAll(async () => {
    workspace = await OpensslWorkspace.create();
    rsa = await workspace.selfSignedCertificate({ algorithm: 'rsa-2048' });
    ec = await workspace.selfSignedCertificate({ algorithm: 'p-256' });
  }, 60_000);
  afterAll(() => workspace.dispose());

  it.each(['PEM', 'DER'] as const)('reads a %s certificate with its thumbprint as id', (form) => {
    const bytes = form === 'PEM' ? Buffer.from(rsa.certPem) : rsa.certDer;
    const parsed = parseCredentialFile(bytes);
    expect(parsed.ok && parsed.value.map(({ type, id }) => ({ type, id }))).toEqual([
      { type: 'certificate', id: rsa.thumbprint },
    ]);
    expect(parsed.ok && parsed.value[0]!.content.equals(rsa.certDer)).toBe(true);
  });

  it('reads a PKCS#8 key under a derived, whitelisted id', () => {
    const parsed = parseCredentialFile(Buffer.from(ec.keyPem));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value[0]).toMatchObject({
      type: 'private-key',
      id: expect.stringMatching(/^key-[0-9a-f]{40}$/),
    });
    expect(parsed.value[0]!.linkedCertificate).toBeUndefined();
  });

  it('links a key to the certificate in the same file', () => {
    const parsed = parseCredentialFile(Buffer.from(ec.certPem + ec.keyPem));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.find((c) => c.type === 'private-key')?.linkedCertificate).toBe(ec.thumbprint);
  });

  it('reads a PKCS#10 request', async () => {
    const request = await workspace.certificateRequest({ algorithm: 'p-256' });
    const parsed = parseCredentialFile(request.csrDer);
    expect(parsed.ok && parsed.value[0]).toMatchObject({
      type: 'certificate-request',
      id: expect.stringMatching(/^req-[0-9a-f]{40}$/),
    });
  });

  it.each([false, true])(
    'reads a PKCS#12 bundle (legacy algorithms: %s) and links its key',
    async (legacy) => {
      const bundle = await workspace.pkcs12(rsa, { password: 'p12-pass', legacy });
      const parsed = parseCredentialFile(readFileSync(bundle.file), 'p12-pass');
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      expect(parsed.value.map((c) => c.type).sort()).toEqual(['certificate', 'private-key']);
      expect(parsed.value.find((c) => c.type === 'private-key')?.linkedCertificate).toBe(rsa.thumbprint);
    },
  );

  it('asks for the password of a PKCS#12 file and refuses a wrong one', async () => {
    const bundle = await workspace.pkcs12(ec, { password: 'right' });
    const missing = parseCredentialFile(bundle.der);
    expect(!missing.ok && missing.error.code).toBe('KEY_UNAVAILABLE');
    const wrong = parseCredentialFile(bundle.der, 'wrong');
    expect(!wrong.ok && wrong.error.code).toBe('KEY_UNAVAILABLE');
  });

  it('refuses a file that is none of these', () => {
    for (const bytes of [Buffer.from('just some text'), Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05])]) {
      const parsed = parseCredentialFile(bytes);
      expect(!parsed.ok && parsed.error.code).toBe('CRYPTO_PARSE_FAILED');
    }
  });
});
