import { QueryFailedError } from 'typeorm';
import { isTransientDatabaseError } from './database';

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
