import { ERROR_CODES } from '../errors/roaming-error';
import { httpStatusOf } from './http-status';

describe('HTTP status of error codes', () => {
  it('maps every error code to a status', () => {
    for (const code of ERROR_CODES)
      expect([400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 501, 503, 504]).toContain(httpStatusOf(code));
  });

  it('tells the client what to do: fix the request, authenticate, or retry later', () => {
    expect(httpStatusOf('INVALID_INPUT')).toBe(400);
    expect(httpStatusOf('UNAUTHENTICATED')).toBe(401);
    expect(httpStatusOf('SERVICE_UNAVAILABLE')).toBe(503);
    expect(httpStatusOf('INTERNAL')).toBe(500);
  });
});
