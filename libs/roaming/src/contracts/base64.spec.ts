import { parseWith } from '../validation/parse';
import { base64Schema, certificatePemSchema, stampSchema } from './base64';
import { CERTIFICATE_PEM } from './testing/contract-examples';

describe('base64 fields', () => {
  const small = base64Schema({ maxBytes: 4, what: 'blob' });

  it.each(['AQ==', 'AQI=', 'AQID', 'AQIDBA=='])('accepts %j within the cap', (value) => {
    expect(small.safeParse(value).success).toBe(true);
  });

  it.each([
    ['the empty string', ''],
    ['five bytes', 'AQIDBAU='],
    ['url-safe characters', 'A-_='],
    ['missing padding', 'AQ'],
    ['embedded whitespace', 'AQ I='],
    ['padding in the middle', 'AQ==AQ=='],
  ])('refuses %s', (_label, value) => {
    const parsed = parseWith(small, value);
    expect(parsed).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('refuses an oversized value by its length before checking its alphabet', () => {
    const parsed = small.safeParse('!'.repeat(10_000));
    expect(parsed.error?.issues).toHaveLength(1);
    expect(parsed.error?.issues[0]?.message).toBe('blob must be at most 4 bytes');
  });

  it('takes a directory stamp as exactly 16 bytes', () => {
    expect(stampSchema.safeParse(Buffer.alloc(16).toString('base64')).success).toBe(true);
    expect(stampSchema.safeParse(Buffer.alloc(15).toString('base64')).success).toBe(false);
    expect(stampSchema.safeParse(Buffer.alloc(17).toString('base64')).success).toBe(false);
  });

  it('takes one PEM certificate', () => {
    expect(certificatePemSchema.safeParse(CERTIFICATE_PEM).success).toBe(true);
    expect(
      certificatePemSchema.safeParse(CERTIFICATE_PEM.replace('CERTIFICATE', 'PRIVATE KEY')).success,
    ).toBe(false);
    expect(certificatePemSchema.safeParse(CERTIFICATE_PEM + CERTIFICATE_PEM).success).toBe(false);
  });
});
