import {
  correlationIdSchema,
  distinguishedNameSchema,
  isoInstantSchema,
  loginNameSchema,
  machineIdSchema,
  stableIdSchema,
} from './identifiers';

describe('login names', () => {
  it.each(['alice', 'alice.martin@corp.example', 'CORP\\alice', 'Zoë Ødegård'])('accepts %j', (login) => {
    expect(loginNameSchema.safeParse(login).success).toBe(true);
  });

  it.each([
    '',
    'a'.repeat(257),
    'alice\nINFO forged line',
    'nul\u0000',
    'bell\u0007',
    ' alice',
    'alice ',
    '\ud800x',
  ])('refuses %j', (login) => {
    expect(loginNameSchema.safeParse(login).success).toBe(false);
  });
});

describe('machine ids', () => {
  it.each(['WS-0042', 'ws-0042.corp.example', 'a', 'x'.repeat(64)])('accepts %j', (machine) => {
    expect(machineIdSchema.safeParse(machine).success).toBe(true);
  });

  it.each(['', '.hidden', '..', 'x'.repeat(65), 'ws 42', 'ws/42', '..\\..\\x'])('refuses %j', (machine) => {
    expect(machineIdSchema.safeParse(machine).success).toBe(false);
  });
});

describe('other identifiers', () => {
  it('accepts only lower-case UUIDs as stable ids, so one user derives one storage key', () => {
    expect(stableIdSchema.safeParse('f81d4fae-7dec-11d0-a765-00a0c91e6bf6').success).toBe(true);
    expect(stableIdSchema.safeParse('F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6').success).toBe(false);
  });

  it('accepts correlation ids safe to print in a log line', () => {
    expect(correlationIdSchema.safeParse('c0ffee00-1234-4abc-8def-001122334455').success).toBe(true);
    expect(correlationIdSchema.safeParse('req:42.a_b-c').success).toBe(true);
    expect(correlationIdSchema.safeParse('-leading').success).toBe(false);
    expect(correlationIdSchema.safeParse('x'.repeat(129)).success).toBe(false);
  });

  it('accepts printable DNs only', () => {
    expect(distinguishedNameSchema.safeParse('cn=Martin\\, Alice,ou=people,dc=corp').success).toBe(true);
    expect(distinguishedNameSchema.safeParse('cn=a\r\n,dc=corp').success).toBe(false);
  });

  it('accepts UTC instants only', () => {
    expect(isoInstantSchema.safeParse('2026-03-14T08:30:00.000Z').success).toBe(true);
    expect(isoInstantSchema.safeParse('2026-03-14T08:30:00').success).toBe(false);
  });
});
