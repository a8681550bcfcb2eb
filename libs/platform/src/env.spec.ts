import { envWholeNumber } from './env';

describe('envWholeNumber', () => {
  it('reads digits within range', () => {
    expect(envWholeNumber(1, 10).parse('7')).toBe(7);
  });

  it.each(['', ' 7', '1e1', '0x1', '-1', '7.5', '11', '0'])('refuses %j', (value) => {
    expect(envWholeNumber(1, 10).safeParse(value).success).toBe(false);
  });

  it('takes a default when the variable is not set', () => {
    expect(envWholeNumber(1, 10).default(5).parse(undefined)).toBe(5);
  });
});
