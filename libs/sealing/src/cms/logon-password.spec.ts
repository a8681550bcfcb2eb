import { unwrap } from '@credroam/roaming';
import { keyFixture } from '../testing/key-fixtures';
import { openLogonPassword, sealLogonPassword } from './logon-password';
import { sealSecret, SECRET_PURPOSES } from './secret-envelope';

const transport = keyFixture('rsa-2048');
const binding = { login: 'alice', deviceKeyHash: 'ab'.repeat(32), issuedAt: 1_764_000_000_000 };

describe('sealed logon password', () => {
  it('round-trips the password with what it is bound to, including NUL and non-ASCII bytes', () => {
    const password = Buffer.from('pä\0ss:word', 'utf8');
    const sealed = unwrap(sealLogonPassword(binding, password, [{ certificate: transport.certificate }]));
    const opened = unwrap(
      openLogonPassword(sealed, [{ privateKey: transport.privateKey, certificate: transport.certificate }]),
    );
    expect(opened.binding).toEqual(binding);
    expect(opened.password).toEqual(password);
  });

  it('refuses a plain logon-password secret without binding as a corrupted envelope', () => {
    const unbound = unwrap(
      sealSecret(SECRET_PURPOSES.logonPassword, Buffer.from('alice-pass'), [
        { certificate: transport.certificate },
      ]),
    );
    expect(
      openLogonPassword(unbound, [{ privateKey: transport.privateKey, certificate: transport.certificate }]),
    ).toMatchObject({
      ok: false,
      error: { code: 'INTEGRITY_CHECK_FAILED' },
    });
  });

  it('refuses to seal a malformed binding', () => {
    const seal = (change: object) =>
      sealLogonPassword({ ...binding, ...change }, Buffer.from('x'), [
        { certificate: transport.certificate },
      ]);
    expect(seal({ login: 'a\0b' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(seal({ deviceKeyHash: 'xyz' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(seal({ issuedAt: -1 })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });
});
