import { ERROR_CODES } from '@credroam/roaming';
import { httpStatusFor } from './http-status';

describe('HTTP status of error codes', () => {
  it('maps every error code to a status', () => {
    for (const code of ERROR_CODES)
      expect([400, 401, 403, 404, 429, 500, 503, 504]).toContain(httpStatusFor(code));
  });

  it('tells the client what to do: fix the request, authenticate, or retry later', () => {
    expect(httpStatusFor('INVALID_INPUT')).toBe(400);
    expect(httpStatusFor('UNAUTHENTICATED')).toBe(401);
    expect(httpStatusFor('SERVICE_UNAVAILABLE')).toBe(503);
    expect(httpStatusFor('INTERNAL')).toBe(500);
  });
});
