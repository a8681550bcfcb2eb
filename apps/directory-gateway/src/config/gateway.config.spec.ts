import { RoamingError } from '@credroam/roaming';
import { loadGatewayConfig } from './gateway.config';

const base = { CREDROAM_LDAP_BIND_PASSWORD: 'secret' };

function messageOf(env: NodeJS.ProcessEnv): string {
  try {
    loadGatewayConfig(env);
  } catch (error) {
    if (error instanceof RoamingError) return error.message;
    throw error;
  }
  return 'accepted';
}

describe('directory-gateway configuration', () => {
  it('boots on the local-stack defaults with just a bind password', () => {
    const config = loadGatewayConfig(base);
    expect(config).toMatchObject({
      ldap: { url: 'ldap://127.0.0.1:3890', poolSize: 4, startTls: false },
      baseDn: 'dc=credroam,dc=test',
      loginAttribute: 'uid',
      dialect: 'openldap',
      serviceChannelKey: null,
    });
  });

  it.each([
    [{ CREDROAM_LDAP_URL: 'http://x' }, /CREDROAM_LDAP_URL/],
    [{ CREDROAM_DIRECTORY_DIALECT: 'novell' }, /CREDROAM_DIRECTORY_DIALECT/],
    [{ CREDROAM_LDAP_LOGIN_ATTRIBUTE: 'uid)(x=*' }, /CREDROAM_LDAP_LOGIN_ATTRIBUTE/],
    [{ CREDROAM_LDAP_TIMEOUT_MS: 'soon' }, /CREDROAM_LDAP_TIMEOUT_MS/],
    [{ CREDROAM_LDAP_USER_FILTER: 'objectClass=person' }, /CREDROAM_LDAP_USER_FILTER/],
  ])('names the variable that is wrong: %j', (env, pattern) => {
    expect(messageOf({ ...base, ...env })).toMatch(pattern);
  });

  it('requires exactly one source for the bind password', () => {
    expect(messageOf({})).toMatch(
      /exactly one of CREDROAM_LDAP_BIND_PASSWORD and CREDROAM_LDAP_BIND_PASSWORD_FILE/,
    );
    expect(messageOf({ ...base, CREDROAM_LDAP_BIND_PASSWORD_FILE: '/nonexistent' })).toMatch(/exactly one/);
    expect(messageOf({ CREDROAM_LDAP_BIND_PASSWORD_FILE: '/nonexistent/pw' })).toMatch(
      /cannot read the LDAP bind password/,
    );
  });

  it('never echoes the bind password in an error', () => {
    expect(messageOf({ CREDROAM_LDAP_BIND_PASSWORD: 'hunter2', CREDROAM_LDAP_URL: 'bad' })).not.toContain(
      'hunter2',
    );
  });
});
