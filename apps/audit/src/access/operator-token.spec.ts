import { bearerMatches, tokenDigest } from './operator-token';

describe('operator token check', () => {
  const expected = tokenDigest('dev-operator-token');

  it('accepts exactly "Bearer <token>", the scheme in any case', () => {
    expect(bearerMatches('Bearer dev-operator-token', expected)).toBe(true);
    expect(bearerMatches('bearer dev-operator-token', expected)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'dev-operator-token',
    'Basic ZGV2Om9wZXJhdG9y',
    'Bearer dev-operator-token2',
    'Bearer dev-operator-toke',
    'Bearer dev-operator-token extra',
    `Bearer ${'x'.repeat(2000)}`,
  ])('refuses %j', (header) => {
    expect(bearerMatches(header, expected)).toBe(false);
  });
});
