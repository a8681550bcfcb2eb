import { randomBytes } from 'node:crypto';
import { SessionTokenSigner } from './session-token';
import { sessionClaims } from '../testing/session-claims';

const NOW = Date.UTC(2026, 10, 25, 12);
const claims = sessionClaims({ exp: NOW + 15 * 60_000 });

describe('SessionTokenSigner', () => {
  const signer = new SessionTokenSigner(randomBytes(32));

  it('verifies a token it signed and returns its claims', () => {
    const token = signer.sign(claims);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(signer.verify(token, NOW)).toEqual(claims);
  });

  it('answers SESSION_EXPIRED from the expiry on', () => {
    const token = signer.sign(claims);
    expect(() => signer.verify(token, claims.exp - 1)).not.toThrow();
    expect(() => signer.verify(token, claims.exp)).toThrow(
      expect.objectContaining({ code: 'SESSION_EXPIRED' }),
    );
  });

  it('refuses a token signed with another key', () => {
    const token = new SessionTokenSigner(randomBytes(32)).sign(claims);
    expect(() => signer.verify(token, NOW)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
  });

  it('refuses a token whose claims were edited (another user, a later expiry)', () => {
    const [, signature] = signer.sign(claims).split('.');
    for (const edit of [
      { login: 'bob', dn: 'uid=bob,ou=people,dc=credroam,dc=test' },
      { exp: NOW + 86_400_000 },
    ]) {
      const body = Buffer.from(JSON.stringify({ ...claims, ...edit })).toString('base64url');
      expect(() => signer.verify(`${body}.${signature}`, NOW)).toThrow(
        expect.objectContaining({ code: 'UNAUTHENTICATED' }),
      );
    }
  });

  it.each(['', 'abc', 'a.b.c', '.x', 'x.', 'not base64!.zz'])('refuses the malformed token %j', (token) => {
    expect(() => signer.verify(token, NOW)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => new SessionTokenSigner(randomBytes(16))).toThrow(
      expect.objectContaining({ code: 'KEY_UNAVAILABLE' }),
    );
  });
});
