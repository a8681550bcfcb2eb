import { pamPassword, pamRequestFromEnv } from './pam-request';
import { parsePasswdLine } from './local-account';

describe('what pam_exec hands the hook', () => {
  it('reads the user, phase and service, and ignores the phases the hook has nothing to do in', () => {
    const env = { PAM_USER: 'alice', PAM_SERVICE: 'gdm-password' };
    expect(pamRequestFromEnv({ ...env, PAM_TYPE: 'auth' })).toEqual({
      user: 'alice',
      phase: 'auth',
      service: 'gdm-password',
    });
    expect(pamRequestFromEnv({ ...env, PAM_TYPE: 'close_session' })?.phase).toBe('close_session');
    expect(pamRequestFromEnv({ ...env, PAM_TYPE: 'account' })).toBeNull();
  });

  it('refuses to run outside pam_exec or for a name getent could take for an option', () => {
    expect(() => pamRequestFromEnv({})).toThrow(/^not run by pam_exec: PAM_USER/);
    expect(() => pamRequestFromEnv({ PAM_USER: '-s', PAM_TYPE: 'auth', PAM_SERVICE: 'login' })).toThrow(
      /not a usable account name/,
    );
  });

  it("takes the password without expose_authtok's NUL or a line break", () => {
    expect(pamPassword('s3cret\0')).toBe('s3cret');
    expect(pamPassword('s3cret\n')).toBe('s3cret');
    expect(pamPassword('with space \0')).toBe('with space ');
  });

  it('reads an account from a passwd line', () => {
    expect(parsePasswdLine('alice:x:1001:1001:Alice,,,:/home/alice:/bin/bash', 'alice')).toEqual({
      name: 'alice',
      uid: 1001,
      gid: 1001,
      home: '/home/alice',
    });
    expect(() => parsePasswdLine('bob:x:1002:1002::/home/bob:/bin/sh', 'alice')).toThrow(/unexpected answer/);
    expect(() => parsePasswdLine('alice:x:1001:1001::relative:/bin/sh', 'alice')).toThrow(/no absolute home/);
  });
});
