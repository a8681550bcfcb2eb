import {
  BadRequestException,
  NotFoundException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { RoamingError } from '@credroam/roaming';
import { toRoamingError } from './problem.filter';

describe('toRoamingError', () => {
  it.each([
    [new NotFoundException('Cannot GET /v1/nothing'), 'NOT_FOUND', 'no such resource'],
    [new UnsupportedMediaTypeException(), 'UNSUPPORTED_MEDIA_TYPE', 'unsupported media type'],
    [new PayloadTooLargeException(), 'VALUE_TOO_LARGE', 'the request body is too large'],
    [
      new BadRequestException('Unexpected token } in JSON at position 7'),
      'INVALID_INPUT',
      'the request is not valid',
    ],
    [new Error('ECONNRESET at 10.0.0.7'), 'INTERNAL', 'internal error'],
    ['a thrown string', 'INTERNAL', 'internal error'],
  ])('maps %p to %s without echoing the framework or the cause', (exception, code, message) => {
    expect(toRoamingError(exception).toInfo()).toMatchObject({ code, message });
  });

  it('keeps a RoamingError, and one from another copy of the library, with its details', () => {
    const own = new RoamingError('RATE_LIMITED', 'slow down', { retryAfterSeconds: 3 });
    expect(toRoamingError(own)).toBe(own);
    const foreign = Object.assign(new Error('slow down'), {
      name: 'RoamingError',
      code: 'RATE_LIMITED',
      details: { retryAfterSeconds: 3 },
    });
    expect(toRoamingError(foreign).toInfo()).toEqual({
      code: 'RATE_LIMITED',
      message: 'slow down',
      retryable: true,
      details: { retryAfterSeconds: 3 },
    });
  });
});
