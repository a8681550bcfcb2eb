import { ERROR_CODES } from '../errors/roaming-error';
import {
  ALL_EVENT_CODES,
  EVENT_CODE_INFO,
  EVENT_CODES,
  FAILURE_EVENT_CODE_BY_ERROR,
  FAILURE_EVENT_CODES,
  failureEventCode,
} from './event-codes';

describe('Windows event codes', () => {
  it("lists the sixteen codes of the Windows credential roaming provider, and the Security log's failed logon", () => {
    expect([...ALL_EVENT_CODES].sort((a, b) => a - b)).toEqual([
      1, 2, 501, 502, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 4625,
    ]);
  });

  it('describes every code under the name it is exported as', () => {
    for (const [name, code] of Object.entries(EVENT_CODES)) {
      expect(EVENT_CODE_INFO[code].name).toBe(name);
      expect(EVENT_CODE_INFO[code].description).not.toBe('');
    }
  });

  it('grades successes as information, 501/502 as warnings and 1001-1012 as errors', () => {
    expect(EVENT_CODE_INFO[1].level).toBe('information');
    expect(EVENT_CODE_INFO[2].level).toBe('information');
    expect(EVENT_CODE_INFO[501].level).toBe('warning');
    expect(EVENT_CODE_INFO[502].level).toBe('warning');
    for (const code of FAILURE_EVENT_CODES) expect(EVENT_CODE_INFO[code].level).toBe('error');
  });
});

describe('failure code for an error', () => {
  it('maps every error code to a Windows failure code', () => {
    expect(Object.keys(FAILURE_EVENT_CODE_BY_ERROR).sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) expect(FAILURE_EVENT_CODES).toContain(failureEventCode(code));
  });

  it.each([
    ['DIRECTORY_STAMP_CHANGED', 1005],
    ['DIRECTORY_UNAVAILABLE', 1010],
    ['DIRECTORY_ACCESS_DENIED', 1010],
    ['DIRECTORY_SCHEMA_MISSING', 1012],
    ['TOKEN_LIMIT_EXCEEDED', 1008],
    ['TOKEN_SIZE_EXCEEDED', 1011],
    ['TOTAL_SIZE_EXCEEDED', 1011],
    ['ROAMING_DISABLED', 1009],
    ['VALUE_MALFORMED', 1004],
    ['INTEGRITY_CHECK_FAILED', 1001],
    ['INTERNAL', 1001],
  ] as const)('reports %s as %d', (code, windows) => {
    expect(failureEventCode(code)).toBe(windows);
  });
});
