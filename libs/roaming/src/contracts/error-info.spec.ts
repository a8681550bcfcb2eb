import { type z } from 'zod';
import { RoamingError, type ErrorInfo } from '../errors/roaming-error';
import { parseWith } from '../validation/parse';
import { errorInfoSchema } from './error-info';

// Compile-time: the wire schema and the ErrorInfo interface describe the same values, both ways.
const toInterface = (wire: z.output<typeof errorInfoSchema>): ErrorInfo => wire;
const toWire = (info: ErrorInfo): z.output<typeof errorInfoSchema> => info;

describe('error info on the wire', () => {
  it('carries a RoamingError across the broker unchanged', () => {
    const info = new RoamingError('TOKEN_LIMIT_EXCEEDED', '412 tokens, policy allows 400', {
      count: 412,
      limit: 400,
    }).toInfo();
    const received = parseWith(errorInfoSchema, JSON.parse(JSON.stringify(toWire(info))));
    expect(received).toEqual({ ok: true, value: info });
    if (received.ok) expect(RoamingError.fromInfo(toInterface(received.value)).retryable).toBe(false);
  });

  it.each([
    ['an unknown code', { code: 'EVERYTHING_IS_FINE', message: '', retryable: false }],
    [
      'a stack trace beside the message',
      { code: 'INTERNAL', message: 'x', retryable: false, stack: 'at ...' },
    ],
    ['nested details', { code: 'INTERNAL', message: 'x', retryable: false, details: { inner: { a: 1 } } }],
    [
      'too many details',
      {
        code: 'INTERNAL',
        message: 'x',
        retryable: false,
        details: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])),
      },
    ],
  ])('refuses %s', (_label, input) => {
    expect(errorInfoSchema.safeParse(input).success).toBe(false);
  });
});
