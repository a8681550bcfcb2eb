import { parseWith } from '../validation/parse';
import { directoryTokenSchema, tokenKeySchema, tokenMetaSchema } from './token-meta';
import { validateTokenId } from './token-id';

const hash = 'a'.repeat(64);
const certificate = {
  type: 'certificate',
  id: 'B6AF1EF9D302A7332208091CC8C1EFF836F60620',
  modifiedAt: 1_700_000_000_000,
  hash,
  size: 1200,
};

describe('token metadata schemas', () => {
  it('accepts a well-formed certificate token and fills default flags', () => {
    const parsed = parseWith(tokenMetaSchema, certificate);
    expect(parsed).toEqual({
      ok: true,
      value: { ...certificate, flags: { archived: false, encryptionKey: false, smartCard: false } },
    });
  });

  it.each([
    ['an unknown type', { ...certificate, type: 'password' }, 'INVALID_TOKEN_TYPE'],
    ['a lower-case thumbprint', { ...certificate, id: certificate.id.toLowerCase() }, 'INVALID_TOKEN_ID'],
    ['an upper-case hash', { ...certificate, hash: 'A'.repeat(64) }, 'INVALID_TOKEN_HASH'],
    ['a fractional timestamp', { ...certificate, modifiedAt: 1.5 }, 'INVALID_TIMESTAMP'],
    ['a negative timestamp', { ...certificate, modifiedAt: -1 }, 'INVALID_TIMESTAMP'],
    ['an unknown field', { ...certificate, content: 'secret' }, 'INVALID_INPUT'],
  ])('rejects %s with a precise code', (_label, input, code) => {
    const parsed = parseWith(tokenMetaSchema, input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.code).toBe(code);
  });

  it('names the offending field in the message', () => {
    const parsed = parseWith(tokenKeySchema, { type: 'private-key', id: '..\\..\\x.bat' });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.error.message).toMatch(/^id: private-key identifier "\.\.\\\\\.\.\\\\x\.bat"/);
  });

  it('requires the tombstone flag on directory tokens', () => {
    expect(parseWith(directoryTokenSchema, certificate).ok).toBe(false);
    expect(parseWith(directoryTokenSchema, { ...certificate, tombstone: true }).ok).toBe(true);
  });
});

describe('identifier whitelists', () => {
  it.each([
    ['certificate', 'B6AF1EF9D302A7332208091CC8C1EFF836F60620'],
    ['private-key', '701577141985b6923998dcca035c007a_f8b7bbef-d227-4ac7-badd-3a238a7f741e'],
    ['certificate-request', 'req-2026.11'],
    ['master-key', '7fc19508-7b85-4a7c-9e5d-15f9e00e7ce5'],
    ['master-key', 'Preferred'],
    ['stored-credential', 'Domain:target=TERMSRV/host.example.com'],
    ['stored-credential', 'Zürich mail ✉'],
  ] as const)('accepts a %s id %s', (type, id) => {
    expect(validateTokenId(type, id).ok).toBe(true);
  });

  it.each([
    ['certificate', 'b6af1ef9d302a7332208091cc8c1eff836f60620'],
    ['certificate', 'B6AF1EF9D302A7332208091CC8C1EFF836F6062'],
    ['private-key', '..\\..\\Windows\\Start Menu\\Programs\\Startup\\x.bat'],
    ['private-key', '.hidden'],
    ['private-key', 'a/b'],
    ['private-key', 'k'.repeat(94)],
    ['certificate-request', ''],
    ['master-key', 'preferred'],
    ['master-key', '7fc19508-7b85-4a7c-9e5d-15f9e00e7ce'],
    ['stored-credential', ''],
    ['stored-credential', 'line\nbreak'],
    ['stored-credential', 'nul\u0000byte'],
    ['stored-credential', 'é'.repeat(47)],
    ['stored-credential', '\ud800lonely'],
  ] as const)('rejects a %s id %j', (type, id) => {
    const checked = validateTokenId(type, id);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.error.code).toBe('INVALID_TOKEN_ID');
  });
});
