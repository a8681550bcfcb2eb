import { RoamingError } from '@credroam/roaming';
import { decideFailure, errorCodeOf } from './failure-policy';

const policy = { maxAttempts: 3, retryDelayMs: 250 };

describe('decideFailure', () => {
  it('retries an unexpected exception with the next attempt number', () => {
    expect(decideFailure({ kind: 'threw', error: new Error('db down') }, 1, policy)).toEqual({
      action: 'retry',
      nextAttempt: 2,
      delayMs: 250,
      errorCode: 'INTERNAL',
    });
  });

  it('retries a retryable RoamingError under its own code', () => {
    const error = new RoamingError('DIRECTORY_UNAVAILABLE', 'ldap down');
    expect(decideFailure({ kind: 'threw', error }, 2, policy)).toMatchObject({
      action: 'retry',
      nextAttempt: 3,
      errorCode: 'DIRECTORY_UNAVAILABLE',
    });
  });

  it('gives up after maxAttempts deliveries', () => {
    expect(decideFailure({ kind: 'threw', error: new Error('x') }, 3, policy)).toEqual({
      action: 'dead-letter',
      reason: 'retries-exhausted',
      errorCode: 'INTERNAL',
    });
  });

  it('dead-letters a non-retryable RoamingError at once', () => {
    const error = new RoamingError('USER_NOT_FOUND', 'gone');
    expect(decideFailure({ kind: 'threw', error }, 1, policy)).toEqual({
      action: 'dead-letter',
      reason: 'rejected',
      errorCode: 'USER_NOT_FOUND',
    });
  });

  it('counts a redelivery after a lost consumer as a failed attempt without an error code', () => {
    expect(decideFailure({ kind: 'redelivered' }, 1, policy)).toMatchObject({
      action: 'retry',
      errorCode: null,
    });
    expect(decideFailure({ kind: 'redelivered' }, 3, policy)).toEqual({
      action: 'dead-letter',
      reason: 'retries-exhausted',
      errorCode: null,
    });
  });

  it('with maxAttempts 1 never retries', () => {
    expect(
      decideFailure({ kind: 'threw', error: new Error('x') }, 1, { ...policy, maxAttempts: 1 }),
    ).toMatchObject({
      action: 'dead-letter',
    });
  });
});

describe('errorCodeOf', () => {
  it('recognises RoamingErrors by shape, and nothing else', () => {
    expect(errorCodeOf(new RoamingError('TIMEOUT', 'slow'))).toBe('TIMEOUT');
    expect(errorCodeOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeNull();
    expect(errorCodeOf('TIMEOUT')).toBeNull();
    expect(errorCodeOf(null)).toBeNull();
  });
});
