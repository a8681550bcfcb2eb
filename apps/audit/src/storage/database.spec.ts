import { QueryFailedError } from 'typeorm';
import { databaseErrorCode, isTransientDatabaseError } from './database';

const driverError = (fields: Record<string, unknown>) =>
  Object.assign(new Error(String(fields.message ?? 'x')), fields);

describe('database error classification', () => {
  it.each([
    ['connection refused', driverError({ code: 'ECONNREFUSED' })],
    ['admin shutdown', new QueryFailedError('INSERT', [], driverError({ code: '57P01' }))],
    ['cannot connect now', driverError({ code: '57P03' })],
    ['connection exception', driverError({ code: '08006' })],
    ['too many connections', driverError({ code: '53300' })],
    ['deadlock', driverError({ code: '40P01' })],
    ['pool timeout', new Error('timeout exceeded when trying to connect')],
    ['terminated', new Error('Connection terminated unexpectedly')],
    ['SQLite busy', driverError({ code: 'SQLITE_BUSY' })],
    ['SQLite I/O', driverError({ code: 'SQLITE_IOERR_WRITE' })],
    ['a full disk under SQLite', new QueryFailedError('INSERT', [], driverError({ code: 'SQLITE_FULL' }))],
    ['a full disk under PostgreSQL', driverError({ code: '53100' })],
    [
      'a crash recovery under way',
      driverError({ code: '57P03', message: 'the database system is in recovery mode' }),
    ],
  ])('waits out %s', (_label, error) => {
    expect(isTransientDatabaseError(error)).toBe(true);
  });

  it.each([
    ['a value too long', new QueryFailedError('INSERT', [], driverError({ code: '22001' }))],
    ['a syntax error', driverError({ code: '42601' })],
    ['a SQLite constraint', driverError({ code: 'SQLITE_CONSTRAINT_NOTNULL' })],
    ['a plain error', new Error('boom')],
  ])('does not wait out %s', (_label, error) => {
    expect(isTransientDatabaseError(error)).toBe(false);
  });
});

describe('database error code', () => {
  it('reads the driver code through TypeORM', () => {
    expect(databaseErrorCode(new QueryFailedError('INSERT', [], driverError({ code: 'SQLITE_FULL' })))).toBe(
      'SQLITE_FULL',
    );
    expect(databaseErrorCode(driverError({ code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
  });

  it('gives null for an error without a well-formed code', () => {
    expect(databaseErrorCode(new Error('boom'))).toBeNull();
    expect(databaseErrorCode(driverError({ code: 'not a code; DROP TABLE' }))).toBeNull();
  });
});
