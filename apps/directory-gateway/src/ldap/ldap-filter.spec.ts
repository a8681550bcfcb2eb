import fc from 'fast-check';
import { equalityFilter, escapeFilterValue } from './ldap-filter';

describe('RFC 4515 escaping', () => {
  it.each([
    ['*', '\\2a'],
    ['alice)(uid=*', 'alice\\29\\28uid=\\2a'],
    ['\u0000', '\\00'],
    ['back\\slash', 'back\\5cslash'],
    ['Zoë', 'Zo\\c3\\ab'],
  ])('escapes %j as %j', (input, expected) => {
    expect(escapeFilterValue(input)).toBe(expected);
  });

  it('never lets a value open or close a filter component', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const filter = equalityFilter('uid', value);
        expect([...filter.slice(1, -1)].some((char) => '()*\u0000'.includes(char))).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
