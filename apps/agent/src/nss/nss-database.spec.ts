import { resolve } from 'node:path';
import { defaultNssDatabase, nssWatchPaths, resolveNssDatabase } from './nss-database';

describe('resolveNssDatabase', () => {
  it('takes --nssdb, then CREDROAM_NSSDB, then the configuration, else is off', () => {
    expect(resolveNssDatabase('/opt/db', { CREDROAM_NSSDB: '/env/db' }, true, '/home/a')).toBe('/opt/db');
    expect(resolveNssDatabase(undefined, { CREDROAM_NSSDB: '/env/db' }, true, '/home/a')).toBe('/env/db');
    expect(resolveNssDatabase(undefined, {}, true, '/home/a')).toBe('/home/a/.pki/nssdb');
    expect(resolveNssDatabase(undefined, {}, '/cfg/db', '/home/a')).toBe('/cfg/db');
    expect(resolveNssDatabase(undefined, { CREDROAM_NSSDB: '' }, undefined)).toBeNull();
    expect(resolveNssDatabase(undefined, {}, false)).toBeNull();
    expect(resolveNssDatabase('rel/db', {})).toBe(resolve('rel/db'));
  });

  it('watches the certificate and key databases', () => {
    expect(defaultNssDatabase('/home/a')).toBe('/home/a/.pki/nssdb');
    expect(nssWatchPaths('/home/a/.pki/nssdb')).toEqual([
      '/home/a/.pki/nssdb/cert9.db',
      '/home/a/.pki/nssdb/key4.db',
    ]);
  });
});
